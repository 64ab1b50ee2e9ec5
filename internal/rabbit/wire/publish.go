package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Publishing in confirm mode (RabbitMQ's publisher confirms): every message
// published on a channel after Confirm gets the next sequence number, 1, 2, 3,
// …, in the order it was written, and the broker acks or nacks those numbers,
// one at a time or all up to one (multiple). A Confirmation resolves when its
// number is, or as lost when the channel ends first.

// ErrConfirmLost is what a Confirmation returns when its channel ended before
// the broker acked or nacked the message: it may or may not have been routed.
var ErrConfirmLost = errors.New("the channel closed before the broker confirmed the message")

// ErrReturned is what Confirmation.Wait gives for a mandatory message that
// may have been returned (basic.return: no queue was bound to its routing
// key) although the broker acked it. A return does not say which message it
// was: every message awaiting its confirm when the return came counts as
// possibly returned.
var ErrReturned = errors.New("the broker returned a mandatory message as unroutable (no queue bound to its routing key)")

// Confirmation is the broker's answer to one message published in confirm
// mode.
type Confirmation struct {
	seq   uint64
	done  chan struct{}
	state confirmState // written before done closes
}

type confirmState uint8

const (
	confirmAcked confirmState = iota + 1
	confirmNacked
	confirmLost
	confirmReturned
)

// Done is closed once the broker answered or the channel ended.
func (c *Confirmation) Done() <-chan struct{} { return c.done }

// Wait waits for the answer: true when acked, false when nacked,
// ErrConfirmLost when the channel ended first, ErrReturned when the message
// may have come back unroutable (or ctx's error when it ends first).
func (c *Confirmation) Wait(ctx context.Context) (bool, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		select {
		case <-c.done:
		default:
			return false, ctx.Err()
		}
	}
	switch c.state {
	case confirmAcked:
		return true, nil
	case confirmNacked:
		return false, nil
	case confirmReturned:
		return false, ErrReturned
	default:
		return false, ErrConfirmLost
	}
}

// confirms tracks the confirmations a channel awaits: pending[i] has
// sequence number head+i (nil once answered out of order).
type confirms struct {
	mu      sync.Mutex
	on      bool   // confirm mode
	closed  bool   // the channel ended: no more are registered
	next    uint64 // the next sequence number
	head    uint64
	pending []*Confirmation
	// returned: the sequence number of the last message awaiting its
	// confirm when a basic.return came; an ack up to it means returned.
	returned uint64
}

// Confirm puts the channel in confirm mode.
func (ch *Channel) Confirm() error {
	_, err := ch.callThen(classConfirm, confirmSelect, confirmSelectOk, func(e *encoder) { e.bits(false) }, func() {
		// Numbering starts with the first message written after
		// confirm.select: set it in the same critical section, so a
		// concurrent Publish is numbered as the broker numbers it.
		ch.conf.mu.Lock()
		if !ch.conf.on {
			ch.conf.on, ch.conf.next, ch.conf.head = true, 1, 1
		}
		ch.conf.mu.Unlock()
	})
	return err
}

// Publish publishes msg to exchange with the routing key (not mandatory, not
// immediate). In confirm mode it returns the message's Confirmation, else
// nil. The body is copied before Publish returns.
func (ch *Channel) Publish(exchange, key string, msg *amqp.Publishing) (*Confirmation, error) {
	return ch.publish(exchange, key, false, msg)
}

// PublishMandatory is Publish with the mandatory flag: the broker returns
// the message when no queue is bound to its routing key, and in confirm
// mode its Confirmation then says ErrReturned instead of acked.
func (ch *Channel) PublishMandatory(exchange, key string, msg *amqp.Publishing) (*Confirmation, error) {
	return ch.publish(exchange, key, true, msg)
}

func (ch *Channel) publish(exchange, key string, mandatory bool, msg *amqp.Publishing) (*Confirmation, error) {
	if err := checkShort("exchange", exchange); err != nil {
		return nil, err
	}
	if err := checkShort("routing key", key); err != nil {
		return nil, err
	}
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if ch.shut {
		return nil, amqp.ErrClosed
	}
	// Frames first: an error encoding the properties sends nothing.
	e, start := beginMethod(c.wbuf[:0], ch.id, classBasic, basicPublish)
	e.short(0)
	e.shortstr(exchange)
	e.shortstr(key)
	e.bits(mandatory, false) // immediate: never
	b, err := appendContent(finishFrame(e.b, start), ch.id, c.frameMax, msg)
	c.wbuf = b
	if err != nil {
		return nil, err
	}
	// The sequence number and the write happen under the write lock, so
	// numbers follow the order of the messages on the wire; the
	// confirmation is registered first, as the answer may come at once.
	var conf *Confirmation
	ch.conf.mu.Lock()
	if ch.conf.closed {
		ch.conf.mu.Unlock()
		return nil, amqp.ErrClosed
	}
	if ch.conf.on {
		conf = &Confirmation{seq: ch.conf.next, done: make(chan struct{})}
		ch.conf.next++
		ch.conf.pending = append(ch.conf.pending, conf)
	}
	ch.conf.mu.Unlock()
	err = c.writeLocked(b)
	if cap(c.wbuf) > keepWriteBuffer {
		c.wbuf = nil // one large message does not pin its size for good
	}
	if err != nil {
		// The connection failed: its end resolves conf as lost.
		return nil, err
	}
	return conf, nil
}

// keepWriteBuffer is the largest frame buffer a connection keeps between
// writes.
const keepWriteBuffer = 256 << 10

// appendContent appends the content header and body frames of msg.
func appendContent(dst []byte, channel uint16, frameMax uint32, msg *amqp.Publishing) ([]byte, error) {
	dst, start := beginFrame(dst, frameHeader, channel)
	e := encoder{b: dst}
	e.short(classBasic)
	e.short(0) // weight
	e.longlong(uint64(len(msg.Body)))
	var flags uint16
	at := len(e.b)
	e.short(0)
	str := func(bit uint16, s string) error {
		if s == "" {
			return nil
		}
		if err := checkShort("message property", s); err != nil {
			return err
		}
		flags |= bit
		e.shortstr(s)
		return nil
	}
	var err error
	err = errors.Join(err, str(1<<15, msg.ContentType), str(1<<14, msg.ContentEncoding))
	if len(msg.Headers) > 0 {
		flags |= 1 << 13
		err = errors.Join(err, e.table(msg.Headers))
	}
	if msg.DeliveryMode != 0 {
		flags |= 1 << 12
		e.octet(msg.DeliveryMode)
	}
	if msg.Priority != 0 {
		flags |= 1 << 11
		e.octet(msg.Priority)
	}
	err = errors.Join(err, str(1<<10, msg.CorrelationId), str(1<<9, msg.ReplyTo), str(1<<8, msg.Expiration), str(1<<7, msg.MessageId))
	if !msg.Timestamp.IsZero() {
		flags |= 1 << 6
		e.longlong(uint64(msg.Timestamp.Unix()))
	}
	err = errors.Join(err, str(1<<5, msg.Type), str(1<<4, msg.UserId), str(1<<3, msg.AppId))
	if err != nil {
		return dst[:start], fmt.Errorf("publish: %w", err)
	}
	binary.BigEndian.PutUint16(e.b[at:], flags)
	if size := len(e.b) - start - 7; size > int(frameMax)-8 {
		// A content header cannot be split: the broker would close the
		// connection.
		return dst[:start], fmt.Errorf("publish: the message's properties take %d octets, more than a frame holds (%d)", size, int(frameMax)-8)
	}
	dst = finishFrame(e.b, start)
	for body := msg.Body; len(body) > 0; {
		n := min(len(body), int(frameMax)-8)
		dst, start = beginFrame(dst, frameBody, channel)
		dst = finishFrame(append(dst, body[:n]...), start)
		body = body[n:]
	}
	return dst, nil
}

// answer resolves the confirmation tag (and every earlier one when multiple)
// (reader goroutine).
func (cs *confirms) answer(tag uint64, multiple bool, state confirmState) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		// The channel ended (its closes crossed): every confirmation was
		// resolved as lost then, and a late answer changes nothing.
		return nil
	}
	if !cs.on || tag < cs.head || tag >= cs.next {
		return protocolError(replyCommandInv, fmt.Sprintf("the broker confirmed message %d, which is not awaited", tag))
	}
	first := tag
	if multiple {
		first = cs.head
	} else if cs.pending[tag-cs.head] == nil {
		return protocolError(replyCommandInv, fmt.Sprintf("the broker confirmed message %d twice", tag))
	}
	for seq := first; seq <= tag; seq++ {
		st := state
		if st == confirmAcked && seq <= cs.returned {
			st = confirmReturned
		}
		i := seq - cs.head
		resolve(cs.pending[i], st) // nil when answered already
		cs.pending[i] = nil
	}
	// Drop what was answered from the front.
	for len(cs.pending) > 0 && cs.pending[0] == nil {
		cs.pending = cs.pending[1:]
		cs.head++
	}
	if len(cs.pending) == 0 {
		cs.pending = cs.pending[:0:0] // let the array go; the next append starts small
	}
	return nil
}

func resolve(c *Confirmation, state confirmState) {
	if c != nil {
		c.state = state
		close(c.done)
	}
}

// markReturned notes a basic.return (reader goroutine): the message it
// returns is one of those awaiting their confirms now, whose acks follow it.
func (cs *confirms) markReturned() {
	cs.mu.Lock()
	if cs.on {
		cs.returned = cs.next - 1
	}
	cs.mu.Unlock()
}

// close resolves every awaited confirmation as lost; none is registered
// after.
func (cs *confirms) close() {
	cs.mu.Lock()
	cs.closed = true
	for _, c := range cs.pending {
		resolve(c, confirmLost)
	}
	cs.pending = nil
	cs.mu.Unlock()
}
