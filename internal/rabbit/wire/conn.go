// Package wire is the part of AMQP 0-9-1 the agent's hot path uses, written
// for it: a connection and its channels can declare exchanges, queues and
// bindings, set the prefetch, consume and ack, nack or reject, and publish in
// confirm mode — nothing else (the partition hop and the tools keep
// amqp091-go).
//
// amqp091-go cost the agent about a fifth of its CPU and a third of the bytes
// it allocated. On the consuming side every frame was read into a new buffer,
// a body then copied again into the delivery, each method and header got a
// struct, and each delivery crossed two goroutines before its consumer saw
// it. Here the reader goroutine parses a delivery's method and header in
// place, reads its body frames straight into the one buffer the delivery
// keeps, and hands the delivery to the consumer's function on the same
// goroutine. On the publishing side a message is framed into the
// connection's buffer in one pass, and its confirmation is a channel closed
// by the reader.
//
// The vocabulary is amqp091's (amqp.Delivery, amqp.Table, *amqp.Error), so a
// handler cannot tell which client read its delivery and errors read the same.
package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Config is what Open needs besides the socket.
type Config struct {
	User, Password string
	VHost          string
	// Heartbeat is the interval proposed to the broker (the smaller non-zero
	// of the two wins); 0 proposes DefaultHeartbeat.
	Heartbeat time.Duration
	// Properties are the client properties shown by the broker
	// (connection_name, product, …); the capabilities are added.
	Properties amqp.Table
	Locale     string // default en_US
}

// DefaultHeartbeat is proposed when Config.Heartbeat is 0 (amqp091's default).
const DefaultHeartbeat = 10 * time.Second

// handshakeTimeout bounds Open when ctx has no deadline.
const handshakeTimeout = 30 * time.Second

// closeTimeout bounds how long Close waits for the broker's close-ok.
const closeTimeout = 3 * time.Second

// maxFrame is the frame-max this client proposes (RabbitMQ's default).
const maxFrame = 128 << 10

// Conn is an open AMQP connection.
type Conn struct {
	nc        net.Conn
	fr        frameReader
	heartbeat time.Duration
	frameMax  uint32
	chanMax   uint16

	// Server holds the broker's server-properties.
	Server amqp.Table

	wmu  sync.Mutex
	wbuf []byte
	werr error
	// wrote is set by every write and cleared by each beat; tick counts the
	// beats (every half heartbeat interval): with them neither the writes
	// nor the reader read the clock (time.Now per frame and per write was 2 %
	// of the agent's CPU).
	wrote atomic.Bool
	tick  atomic.Uint32

	mu       sync.Mutex
	channels map[uint16]*Channel
	nextID   uint16
	closing  bool
	failure  error // the first cause of the connection's end

	done      chan struct{} // closed once the reader has ended and every channel is closed
	err       error         // why, set before done closes
	closeOnce sync.Once
}

// protocolError is an AMQP error this client detects in what the broker
// sent.
func protocolError(code int, reason string) *amqp.Error {
	return &amqp.Error{Code: code, Reason: reason}
}

// Open runs the AMQP handshake on nc (already connected, TLS included) and
// starts the connection's reader. ctx bounds the handshake; on failure nc is
// closed.
func Open(ctx context.Context, nc net.Conn, cfg Config) (*Conn, error) {
	c := &Conn{nc: nc, channels: map[uint16]*Channel{}, done: make(chan struct{})}
	c.fr = frameReader{r: nc, max: 1 << 20}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(handshakeTimeout)
	}
	_ = nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	err := c.handshake(cfg)
	ended := !stop() // ctx's function moved the deadline (or is about to)
	if err == nil && !ended {
		err = nc.SetDeadline(time.Time{})
	}
	if err != nil || ended {
		_ = nc.Close()
		// ctx's end is the cause, also when the socket's deadline (ctx's)
		// passed before ctx's own timer fired.
		cause := ctx.Err()
		if cause == nil && ok && !time.Now().Before(deadline) {
			cause = context.DeadlineExceeded
		}
		if cause != nil {
			return nil, fmt.Errorf("AMQP handshake: %w", cause)
		}
		return nil, err
	}
	go c.readLoop()
	if c.heartbeat > 0 {
		go c.beat()
	}
	return c, nil
}

func (c *Conn) handshake(cfg Config) error {
	if _, err := c.nc.Write(protocolHeader); err != nil {
		return fmt.Errorf("AMQP handshake: %w", err)
	}
	d, err := c.handshakeMethod(classConnection, connectionStart)
	if err != nil {
		return err
	}
	d.octet() // version-major
	d.octet() // version-minor
	c.Server = d.table()
	mechanisms := d.longstr()
	if d.err != nil {
		return fmt.Errorf("AMQP handshake: connection.start: %w", d.err)
	}
	if !slices.Contains(strings.Fields(mechanisms), "PLAIN") {
		return fmt.Errorf("AMQP handshake: the broker offers no PLAIN authentication (offers %q)", mechanisms)
	}
	props := amqp.Table{
		"product":  "agent-notification",
		"platform": "Go",
		"capabilities": amqp.Table{
			"connection.blocked":           true,
			"consumer_cancel_notify":       true,
			"basic.nack":                   true,
			"authentication_failure_close": true,
		},
	}
	for k, v := range cfg.Properties {
		props[k] = v
	}
	locale := cfg.Locale
	if locale == "" {
		locale = "en_US"
	}
	for _, s := range []string{cfg.User, cfg.VHost, locale} {
		if err := checkShort("user name, virtual host or locale", s); err != nil {
			return fmt.Errorf("AMQP handshake: %w", err)
		}
	}
	var tableErr error
	frame := appendMethod(nil, 0, classConnection, connectionStartOk, func(e *encoder) {
		tableErr = e.table(props)
		e.shortstr("PLAIN")
		e.longstr("\x00" + cfg.User + "\x00" + cfg.Password)
		e.shortstr(locale)
	})
	if tableErr != nil {
		return fmt.Errorf("AMQP handshake: client properties: %w", tableErr)
	}
	if _, err := c.nc.Write(frame); err != nil {
		return fmt.Errorf("AMQP handshake: %w", err)
	}
	d, err = c.handshakeMethod(classConnection, connectionTune)
	if err != nil {
		return err
	}
	chanMax, frameMax, heartbeat := d.short(), d.long(), d.short()
	if d.err != nil {
		return fmt.Errorf("AMQP handshake: connection.tune: %w", d.err)
	}
	c.chanMax = uint16(pick(2047, int(chanMax)))
	c.frameMax = uint32(pick(maxFrame, int(frameMax)))
	if c.frameMax < minFrameMax {
		return fmt.Errorf("AMQP handshake: the broker's frame-max %d is below the minimum %d", c.frameMax, minFrameMax)
	}
	want := cfg.Heartbeat
	if want <= 0 {
		want = DefaultHeartbeat
	}
	hb := pick(int((want+time.Second-1)/time.Second), int(heartbeat)) // whole seconds, rounded up: 0 would mean none
	c.heartbeat = time.Duration(hb) * time.Second
	c.fr.max = c.frameMax - 8
	frame = appendMethod(nil, 0, classConnection, connectionTuneOk, func(e *encoder) {
		e.short(c.chanMax)
		e.long(c.frameMax)
		e.short(uint16(hb))
	})
	frame = appendMethod(frame, 0, classConnection, connectionOpen, func(e *encoder) {
		e.shortstr(cfg.VHost)
		e.shortstr("")
		e.bits(false)
	})
	if _, err := c.nc.Write(frame); err != nil {
		return fmt.Errorf("AMQP handshake: %w", err)
	}
	if _, err := c.handshakeMethod(classConnection, connectionOpenOk); err != nil {
		return err
	}
	return nil
}

// pick negotiates a limit: the smaller of two non-zero values, else the
// non-zero one (0 means "no limit").
func pick(client, server int) int {
	if client == 0 || server == 0 {
		return max(client, server)
	}
	return min(client, server)
}

// handshakeMethod reads frames on channel 0 until a method, which must be
// class.method or connection.close (the broker refusing, returned as its
// *amqp.Error after close-ok).
func (c *Conn) handshakeMethod(class, method uint16) (*decoder, error) {
	for {
		h, err := c.fr.next()
		if err != nil {
			if c.fr.hdr[0] == 'A' {
				return nil, errors.New("AMQP handshake: the broker does not speak AMQP 0-9-1")
			}
			return nil, handshakeReadError(err)
		}
		p, err := c.fr.payload(h)
		if err != nil {
			return nil, handshakeReadError(err)
		}
		if h.typ == frameHeartbeat {
			continue
		}
		if h.typ != frameMethod || h.channel != 0 {
			return nil, fmt.Errorf("AMQP handshake: unexpected frame of type %d on channel %d", h.typ, h.channel)
		}
		d := &decoder{b: p}
		cl, m := d.short(), d.short()
		switch {
		case cl == class && m == method:
			return d, nil
		case cl == classConnection && m == connectionClose:
			e := closeError(d)
			_, _ = c.nc.Write(appendMethod(nil, 0, classConnection, connectionCloseOk, nil))
			return nil, e
		case cl == classConnection && m == connectionSecure:
			return nil, errors.New("AMQP handshake: the broker asks for a SASL challenge, which PLAIN does not have")
		default:
			return nil, fmt.Errorf("AMQP handshake: unexpected method %d.%d (want %d.%d)", cl, m, class, method)
		}
	}
}

func handshakeReadError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("AMQP handshake: the broker closed the connection (credentials or virtual host refused?): %w", err)
	}
	return fmt.Errorf("AMQP handshake: %w", err)
}

// closeError decodes the arguments of connection.close or channel.close.
func closeError(d *decoder) *amqp.Error {
	code, text := d.short(), d.shortstr()
	d.short() // class-id
	d.short() // method-id
	return &amqp.Error{Code: int(code), Reason: text, Server: true, Recover: amqp.ErrClosed.Recover}
}

// Done is closed once the connection has ended (its reader stopped and
// every channel is closed); Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended: the broker's *amqp.Error, a socket
// error, or amqp.ErrClosed after Close. It is nil while the connection is
// open.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Heartbeat returns the negotiated heartbeat interval (0: none).
func (c *Conn) Heartbeat() time.Duration { return c.heartbeat }

// Close closes the connection: connection.close, then the socket once the
// broker answered (or after closeTimeout). It waits for the reader to end, so
// it is not to be called from a consumer's deliver function.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		// Bounded even when a writer holds the write lock, blocked by a
		// broker that stopped reading (a resource alarm): the write is
		// tried on a goroutine of its own, and closing the socket at the
		// deadline releases both.
		t := time.NewTimer(closeTimeout)
		defer t.Stop()
		sent := make(chan error, 1)
		go func() {
			sent <- c.write(appendMethod(nil, 0, classConnection, connectionClose, closeArgs(replySuccess, "closing")))
		}()
	wait:
		for {
			select {
			case err := <-sent:
				if err != nil {
					break wait
				}
				sent = nil // written: wait for close-ok
			case <-c.done:
				break wait
			case <-t.C:
				break wait
			}
		}
		c.fail(amqp.ErrClosed)
	})
	<-c.done
	return nil
}

// fail records the first cause of the connection's end and closes the
// socket, which ends the reader.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.failure == nil {
		c.failure = err
	}
	c.mu.Unlock()
	_ = c.nc.Close()
}

// write sends whole frames; a failure fails the connection.
func (c *Conn) write(frames []byte) error {
	c.wmu.Lock()
	err := c.writeLocked(frames)
	c.wmu.Unlock()
	return err
}

func (c *Conn) writeLocked(frames []byte) error {
	if c.werr != nil {
		return c.werr
	}
	if _, err := c.nc.Write(frames); err != nil {
		c.werr = fmt.Errorf("write to the broker: %w", err)
		c.fail(c.werr)
		return c.werr
	}
	c.wrote.Store(true)
	return nil
}

// writeMethod builds a method frame in the connection's buffer and sends it.
func (c *Conn) writeMethod(channel, class, method uint16, args func(*encoder)) error {
	c.wmu.Lock()
	c.wbuf = appendMethod(c.wbuf[:0], channel, class, method, args)
	err := c.writeLocked(c.wbuf)
	c.wmu.Unlock()
	return err
}

// beat ticks every half heartbeat interval: it sends a heartbeat when
// nothing was written since the previous tick, and counts the tick for the
// reader's deadline.
func (c *Conn) beat() {
	t := time.NewTicker(c.heartbeat / 2)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.tick.Add(1)
			// A write under way (or blocked: a broker under a resource
			// alarm stops reading) is traffic enough; waiting for it would
			// stop the ticks, and the reader would then take a broker that
			// still sends its heartbeats for a dead one.
			if !c.wrote.Swap(false) && c.wmu.TryLock() {
				err := c.writeLocked(heartbeatFrame)
				c.wmu.Unlock()
				if err != nil {
					return
				}
			}
		}
	}
}

// readLoop reads until the connection fails or closes, then closes every
// channel — after the last delivery was handed over — and the connection.
func (c *Conn) readLoop() {
	err := c.read()
	c.mu.Lock()
	var se *amqp.Error
	if c.failure == nil || (errors.As(err, &se) && se.Server) {
		// The broker's own reason (connection.close) beats a write that
		// failed as the broker hung up: it says why.
		c.failure = err
	}
	err = c.failure
	chans := c.channels
	c.channels = map[uint16]*Channel{}
	c.mu.Unlock()
	var pe *amqp.Error
	if errors.As(err, &pe) && !pe.Server && pe.Code != 0 && pe != amqp.ErrClosed && c.wmu.TryLock() {
		// A protocol error of the broker's: tell it before hanging up (best
		// effort: never wait for a writer blocked by the broker).
		c.wbuf = appendMethod(c.wbuf[:0], 0, classConnection, connectionClose, closeArgs(uint16(pe.Code), pe.Reason))
		_ = c.writeLocked(c.wbuf)
		c.wmu.Unlock()
	}
	_ = c.nc.Close()
	for _, ch := range chans {
		ch.end(err)
	}
	c.err = err
	close(c.done)
}

// read is the reader: it returns the reason the connection ended.
func (c *Conn) read() error {
	lastTick, first := uint32(0), true
	for {
		if c.heartbeat > 0 {
			// The broker is dead after three silent intervals; moving the
			// deadline at the first frame after each beat (every half
			// interval) is enough for that, and a reader that was busy
			// handing over a delivery moves it before reading again.
			if t := c.tick.Load(); t != lastTick || first {
				_ = c.nc.SetReadDeadline(time.Now().Add(3 * c.heartbeat))
				lastTick, first = t, false
			}
		}
		h, err := c.fr.next()
		if err != nil {
			return c.readError(err)
		}
		switch h.typ {
		case frameHeartbeat:
			err = c.fr.skip(h)
		case frameMethod:
			var p []byte
			if p, err = c.fr.payload(h); err == nil {
				if h.channel == 0 {
					err = c.connectionMethod(p)
				} else if ch := c.channel(h.channel); ch != nil {
					err = ch.method(p)
				} else if isCloseOk(p) {
					// A late answer to a channel.close that crossed the
					// broker's own: the channel is gone already.
				} else {
					err = protocolError(replyCommandInv, fmt.Sprintf("method on channel %d, which is not open", h.channel))
				}
			}
		case frameHeader, frameBody:
			ch := c.channel(h.channel)
			switch {
			case ch == nil:
				err = protocolError(replyCommandInv, fmt.Sprintf("content on channel %d, which is not open", h.channel))
			case h.typ == frameHeader:
				var p []byte
				if p, err = c.fr.payload(h); err == nil {
					err = ch.header(p)
				}
			default:
				err = ch.body(h)
			}
		default:
			err = protocolError(replyUnexpectedFrm, fmt.Sprintf("frame of unknown type %d", h.typ))
		}
		if err != nil {
			return c.readError(err)
		}
	}
}

// readError turns a read failure into the connection's end: after Close
// started, the closed socket is the expected end.
func (c *Conn) readError(err error) error {
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return amqp.ErrClosed
	}
	var pe *amqp.Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("read from the broker: %w", err)
}

func (c *Conn) connectionMethod(p []byte) error {
	d := decoder{b: p}
	class, method := d.short(), d.short()
	if d.err != nil {
		return d.err
	}
	if class != classConnection {
		return protocolError(replyCommandInv, fmt.Sprintf("method %d.%d on channel 0", class, method))
	}
	switch method {
	case connectionClose:
		e := closeError(&d)
		if d.err != nil {
			return d.err
		}
		_ = c.writeMethod(0, classConnection, connectionCloseOk, nil)
		return e
	case connectionCloseOk:
		return amqp.ErrClosed
	case connectionBlocked, connectionUnblock:
		// Only publishing connections are blocked; a consumer reads on.
		return nil
	case connectionUpdSec:
		return c.writeMethod(0, classConnection, connectionUpdSecOk, nil)
	default:
		return protocolError(replyCommandInv, fmt.Sprintf("unexpected method connection.%d", method))
	}
}

// isCloseOk reports whether a method payload is channel.close-ok.
func isCloseOk(p []byte) bool {
	return len(p) >= 4 && p[0] == 0 && p[1] == classChannel && p[2] == 0 && p[3] == channelCloseOk
}

func (c *Conn) channel(id uint16) *Channel {
	c.mu.Lock()
	ch := c.channels[id]
	c.mu.Unlock()
	return ch
}

// Channel opens a channel.
func (c *Conn) Channel() (*Channel, error) {
	c.mu.Lock()
	if c.failure != nil || c.closing {
		c.mu.Unlock()
		return nil, amqp.ErrClosed
	}
	var id uint16
	for range c.chanMax {
		c.nextID = c.nextID%c.chanMax + 1
		if c.channels[c.nextID] == nil {
			id = c.nextID
			break
		}
	}
	if id == 0 {
		c.mu.Unlock()
		return nil, fmt.Errorf("no free channel (channel-max %d)", c.chanMax)
	}
	ch := newChannel(c, id)
	c.channels[id] = ch
	c.mu.Unlock()
	if _, err := ch.call(classChannel, channelOpen, channelOpenOk, func(e *encoder) { e.shortstr("") }); err != nil {
		c.forget(ch)
		return nil, err
	}
	return ch, nil
}

// forget removes a closed channel from the connection.
func (c *Conn) forget(ch *Channel) {
	c.mu.Lock()
	if c.channels[ch.id] == ch {
		delete(c.channels, ch.id)
	}
	c.mu.Unlock()
}
