package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Frame types and the end octet (AMQP 0-9-1 §4.2.3).
const (
	frameMethod    = 1
	frameHeader    = 2
	frameBody      = 3
	frameHeartbeat = 8
	frameEnd       = 0xCE
)

// Class and method ids of the methods this package sends or receives.
const (
	classConnection = 10
	classChannel    = 20
	classExchange   = 40
	classQueue      = 50
	classBasic      = 60
	classConfirm    = 85

	connectionStart    = 10
	connectionStartOk  = 11
	connectionSecure   = 20
	connectionTune     = 30
	connectionTuneOk   = 31
	connectionOpen     = 40
	connectionOpenOk   = 41
	connectionClose    = 50
	connectionCloseOk  = 51
	connectionBlocked  = 60
	connectionUnblock  = 61
	connectionUpdSec   = 70
	connectionUpdSecOk = 71

	channelOpen    = 10
	channelOpenOk  = 11
	channelFlow    = 20
	channelFlowOk  = 21
	channelClose   = 40
	channelCloseOk = 41

	exchangeDeclare   = 10
	exchangeDeclareOk = 11

	queueDeclare   = 10
	queueDeclareOk = 11
	queueBind      = 20
	queueBindOk    = 21

	basicQos      = 10
	basicQosOk    = 11
	basicConsume  = 20
	basicConsumeO = 21
	basicCancel   = 30
	basicCancelOk = 31
	basicPublish  = 40
	basicReturn   = 50
	basicDeliver  = 60
	basicAck      = 80
	basicReject   = 90
	basicNack     = 120

	confirmSelect   = 10
	confirmSelectOk = 11
)

// Reply codes used here (AMQP 0-9-1 §1.9).
const (
	replySuccess       = 200
	replyFrameError    = 501
	replySyntaxError   = 502
	replyCommandInv    = 503
	replyUnexpectedFrm = 505
)

// protocolHeader opens every AMQP 0-9-1 connection.
var protocolHeader = []byte("AMQP\x00\x00\x09\x01")

// minFrameMax is the smallest frame size a peer must accept (§4.2.1).
const minFrameMax = 4096

// frameReader reads frames from the connection. Method and header payloads
// are read into buf, which the next read reuses; body payloads are read
// straight into the destination the caller gives (readBody).
type frameReader struct {
	r   io.Reader
	buf []byte
	hdr [7]byte
	max uint32 // largest payload accepted (frame-max minus the 8 octets of framing)
}

// frameHeaderOf is the fixed part of a frame.
type frameHead struct {
	typ     byte
	channel uint16
	size    uint32
}

// next reads the next frame's fixed part.
func (fr *frameReader) next() (frameHead, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return frameHead{}, err
	}
	h := frameHead{typ: fr.hdr[0], channel: binary.BigEndian.Uint16(fr.hdr[1:3]), size: binary.BigEndian.Uint32(fr.hdr[3:7])}
	if h.size > fr.max {
		return h, protocolError(replyFrameError, fmt.Sprintf("frame of %d octets on channel %d exceeds the negotiated frame-max", h.size, h.channel))
	}
	return h, nil
}

// payload reads the payload of a frame and its end octet into fr.buf.
func (fr *frameReader) payload(h frameHead) ([]byte, error) {
	n := int(h.size) + 1
	if cap(fr.buf) < n {
		fr.buf = make([]byte, n)
	}
	b := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, b); err != nil {
		return nil, err
	}
	if b[n-1] != frameEnd {
		return nil, protocolError(replyFrameError, fmt.Sprintf("frame on channel %d does not end with 0xCE", h.channel))
	}
	return b[:n-1], nil
}

// readBody reads a body frame's payload into dst (len(dst) == h.size) and its
// end octet.
func (fr *frameReader) readBody(h frameHead, dst []byte) error {
	if _, err := io.ReadFull(fr.r, dst); err != nil {
		return err
	}
	if _, err := io.ReadFull(fr.r, fr.hdr[:1]); err != nil {
		return err
	}
	if fr.hdr[0] != frameEnd {
		return protocolError(replyFrameError, fmt.Sprintf("body frame on channel %d does not end with 0xCE", h.channel))
	}
	return nil
}

// skip discards a payload and its end octet.
func (fr *frameReader) skip(h frameHead) error {
	_, err := fr.payload(h)
	return err
}

// decoder reads the fields of a method or content header payload. The first
// error sticks; every later read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = protocolError(replySyntaxError, "truncated or malformed "+what)
	}
	d.b = nil
}

func (d *decoder) octet() byte {
	if len(d.b) < 1 {
		d.fail("octet")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) short() uint16 {
	if len(d.b) < 2 {
		d.fail("short")
		return 0
	}
	v := binary.BigEndian.Uint16(d.b)
	d.b = d.b[2:]
	return v
}

func (d *decoder) long() uint32 {
	if len(d.b) < 4 {
		d.fail("long")
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) longlong() uint64 {
	if len(d.b) < 8 {
		d.fail("longlong")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// shortstrBytes returns a short string without copying it (valid until the
// next frame is read).
func (d *decoder) shortstrBytes() []byte {
	n := int(d.octet())
	if len(d.b) < n {
		d.fail("short string")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) shortstr() string { return string(d.shortstrBytes()) }

func (d *decoder) longstrBytes() []byte {
	n := d.long()
	if uint64(len(d.b)) < uint64(n) {
		d.fail("long string")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) longstr() string { return string(d.longstrBytes()) }

func (d *decoder) timestamp() time.Time { return time.Unix(int64(d.longlong()), 0) }

// encoder appends the fields of a method to a frame being built.
type encoder struct{ b []byte }

func (e *encoder) octet(v byte) { e.b = append(e.b, v) }

func (e *encoder) short(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }

func (e *encoder) long(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }

func (e *encoder) longlong(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }

// shortstr appends s; callers have checked it is at most 255 octets
// (checkShort).
func (e *encoder) shortstr(s string) {
	e.b = append(e.b, byte(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) longstr(s string) {
	e.long(uint32(len(s)))
	e.b = append(e.b, s...)
}

// bits packs consecutive bit fields into one octet, the first in the lowest
// bit (§4.2.5.2).
func (e *encoder) bits(v ...bool) {
	var o byte
	for i, b := range v {
		if b {
			o |= 1 << i
		}
	}
	e.b = append(e.b, o)
}

// checkShort reports a name too long for a short string.
func checkShort(what, s string) error {
	if len(s) > 255 {
		return fmt.Errorf("%s %.40q…: longer than 255 octets", what, s)
	}
	return nil
}

// appendMethod appends a method frame: class, method, then the arguments
// args appends.
func appendMethod(dst []byte, channel, class, method uint16, args func(*encoder)) []byte {
	e, start := beginMethod(dst, channel, class, method)
	if args != nil {
		args(&e)
	}
	return finishFrame(e.b, start)
}

// beginMethod starts a method frame at the end of dst; the caller appends
// the arguments to the encoder and ends it with finishFrame(e.b, start). (The
// hot paths use this pair directly: a closure taking the encoder makes it
// escape, one allocation per frame.)
func beginMethod(dst []byte, channel, class, method uint16) (e encoder, start int) {
	e.b, start = beginFrame(dst, frameMethod, channel)
	e.short(class)
	e.short(method)
	return e, start
}

// beginFrame starts a frame of type typ at the end of dst, its size left
// for finishFrame to set.
func beginFrame(dst []byte, typ byte, channel uint16) ([]byte, int) {
	return append(dst, typ, byte(channel>>8), byte(channel), 0, 0, 0, 0), len(dst)
}

// finishFrame sets the size of the frame that starts at dst[start] and appends
// its end octet.
func finishFrame(dst []byte, start int) []byte {
	binary.BigEndian.PutUint32(dst[start+3:], uint32(len(dst)-start-7))
	return append(dst, frameEnd)
}

// closeArgs are the arguments of connection.close and channel.close sent by
// this client (no failing method to name).
func closeArgs(code uint16, reason string) func(*encoder) {
	return func(e *encoder) {
		e.short(code)
		e.shortstr(truncate(reason, 255))
		e.short(0) // class-id
		e.short(0) // method-id
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// heartbeatFrame is the whole of a heartbeat frame.
var heartbeatFrame = []byte{frameHeartbeat, 0, 0, 0, 0, 0, 0, frameEnd}
