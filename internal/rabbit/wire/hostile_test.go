package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The tests of this file play the broker with a fake server (fake_test.go) to
// produce what a real broker never sends.

// nestedHeaders is a headers property whose table nests depth tables.
func nestedHeaders(depth int) []byte {
	t := cat(sstr("leaf"), u8('S'), lstr("v"))
	for range depth {
		t = cat(sstr("n"), u8('F'), u32(uint32(len(t))), t)
	}
	return cat(u32(uint32(len(t))), t)
}

// endFrame ends a scenario whose frames are all valid: a frame of an unknown
// type.
var endFrame = rawFrame(9, 0, nil)

const (
	flagContentType = 1 << 15
	flagHeaders     = 1 << 13
)

// TestHostileFrames feeds a consuming connection frames a broken or hostile
// broker could send. Each must end the connection with an error naming the
// problem (told to the broker in connection.close), close the channel and
// its consumer, and never hand a partial delivery to the consumer.
func TestHostileFrames(t *testing.T) {
	withEnd := func(b []byte, end byte) []byte { b = bytes.Clone(b); b[len(b)-1] = end; return b }
	big := bytes.Repeat([]byte{'x'}, 4096-8)
	cases := []struct {
		name   string
		frames [][]byte // sent once consumer "ctag" consumes on channel 1
		hangUp bool     // the server closes the socket after the frames
		want   string   // in the connection's Err
		code   int      // Err's *amqp.Error code (0: not one)
		server bool     // Err is the server's own close
		bodies []string // the deliveries handed over before the end
	}{
		{name: "frame larger than frame-max",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 5000, 0), cat(u8(3), u16(1), u32(4089)), make([]byte, 4090)},
			want:   "frame of 4089 octets on channel 1 exceeds the negotiated frame-max", code: 501},
		{name: "largest frame frame-max allows",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, uint64(len(big)), 0), bodyFrame(1, big), endFrame},
			want:   "frame of unknown type 9", code: 505, bodies: []string{string(big)}},
		{name: "method frame with a bad end octet",
			frames: [][]byte{withEnd(deliverFrame(1, "ctag", 1), 0)},
			want:   "frame on channel 1 does not end with 0xCE", code: 501},
		{name: "body frame with a bad end octet",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 3, 0), withEnd(bodyFrame(1, []byte("abc")), 0xCD)},
			want:   "body frame on channel 1 does not end with 0xCE", code: 501},
		{name: "unknown frame type",
			frames: [][]byte{rawFrame(4, 1, []byte("??"))},
			want:   "frame of unknown type 4", code: 505},
		{name: "body longer than its header said",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 3, 0), bodyFrame(1, []byte("abcd"))},
			want:   "content body on channel 1 longer than its header said", code: 501},
		{name: "second body frame overflows",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 5, 0), bodyFrame(1, []byte("abc")), bodyFrame(1, []byte("def"))},
			want:   "content body on channel 1 longer than its header said", code: 501},
		{name: "header without deliver",
			frames: [][]byte{headerFrame(1, 3, 0)},
			want:   "content header on channel 1 where none was due", code: 505},
		{name: "header after a complete delivery",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 2, 0), bodyFrame(1, []byte("ok")), headerFrame(1, 2, 0)},
			want:   "content header on channel 1 where none was due", code: 505, bodies: []string{"ok"}},
		{name: "body without header",
			frames: [][]byte{deliverFrame(1, "ctag", 1), bodyFrame(1, []byte("abc"))},
			want:   "content body on channel 1 where none was due", code: 505},
		{name: "body without deliver",
			frames: [][]byte{bodyFrame(1, []byte("abc"))},
			want:   "content body on channel 1 where none was due", code: 505},
		{name: "method where content was due",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 3, 0), deliverFrame(1, "ctag", 2)},
			want:   "method frame on channel 1 where content was due", code: 505},
		{name: "method on an unopened channel",
			frames: [][]byte{deliverFrame(7, "ctag", 1)},
			want:   "method on channel 7, which is not open", code: 503},
		{name: "content on an unopened channel",
			frames: [][]byte{headerFrame(9, 0, 0)},
			want:   "content on channel 9, which is not open", code: 503},
		{name: "truncated deliver",
			frames: [][]byte{methodFrame(1, 60, 60, sstr("ctag"), u32(1))},
			want:   "truncated or malformed", code: 502},
		{name: "truncated method",
			frames: [][]byte{rawFrame(1, 1, []byte{0, 60, 0})},
			want:   "truncated or malformed", code: 502},
		{name: "truncated header",
			frames: [][]byte{deliverFrame(1, "ctag", 1), rawFrame(2, 1, cat(u16(60), u16(0), u32(0)))},
			want:   "truncated or malformed", code: 502},
		{name: "truncated property",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 0, flagContentType, u8(10), []byte("ab"))},
			want:   "truncated or malformed short string", code: 502},
		{name: "header of another class",
			frames: [][]byte{deliverFrame(1, "ctag", 1), rawFrame(2, 1, cat(u16(50), u16(0), u64(0), u16(0)))},
			want:   "content header of class 50 on channel 1", code: 501},
		{name: "continued property flags",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 0, 1)},
			want:   "more property flags", code: 501},
		{name: "body too large",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 1<<40, 0)},
			want:   "content body of 1099511627776 octets", code: 501},
		{name: "unknown field type in the headers",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 0, flagHeaders, lstr(string(cat(sstr("k"), u8('Z'), u32(0)))))},
			want:   "unknown field type 'Z'", code: 502},
		{name: "headers nested 100 deep",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 0, flagHeaders, nestedHeaders(100))},
			want:   "nested too deep", code: 502},
		{name: "field table longer than the header",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 0, flagHeaders, u32(100), sstr("k"), u8('t'), u8(1))},
			want:   "truncated or malformed", code: 502},
		{name: "unexpected method on a channel",
			frames: [][]byte{methodFrame(1, 50, 41, u32(0))},
			want:   "unexpected method 50.41 on channel 1", code: 503},
		{name: "unexpected connection method",
			frames: [][]byte{methodFrame(0, 10, 10, u8(0), u8(9), u32(0), lstr("PLAIN"), lstr("en_US"))},
			want:   "unexpected method connection.10", code: 503},
		{name: "channel method on channel 0",
			frames: [][]byte{methodFrame(0, 20, 10, sstr(""))},
			want:   "method 20.10 on channel 0", code: 503},
		{name: "truncated connection.close",
			frames: [][]byte{methodFrame(0, 10, 50, u16(320))},
			want:   "truncated or malformed", code: 502},
		{name: "hang-up in the middle of a body",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 10, 0), bodyFrame(1, []byte("abcde"))}, hangUp: true,
			want: "read from the broker: EOF"},
		{name: "hang-up in the middle of a frame",
			frames: [][]byte{deliverFrame(1, "ctag", 1), headerFrame(1, 10, 0), cat(u8(3), u16(1), u32(10), []byte("abc"))}, hangUp: true,
			want: "read from the broker: unexpected EOF"},
		{name: "broker closes the connection",
			frames: [][]byte{closeFrame(0, 320, "CONNECTION_FORCED - bye")},
			want:   "CONNECTION_FORCED - bye", code: 320, server: true},
		{name: "heartbeats and empty bodies are fine",
			frames: [][]byte{
				deliverFrame(1, "ctag", 1), headerFrame(1, 6, 0), heartbeat, bodyFrame(1, []byte("abc")), heartbeat, bodyFrame(1, nil), bodyFrame(1, []byte("def")),
				deliverFrame(1, "ctag", 2), headerFrame(1, 0, 0), endFrame},
			want: "frame of unknown type 9", code: 505, bodies: []string{"abcdef", ""}},
		{name: "a delivery for an unknown consumer is skipped",
			frames: [][]byte{
				deliverFrame(1, "other", 1), headerFrame(1, 3, 0), bodyFrame(1, []byte("abc")),
				deliverFrame(1, "ctag", 2), headerFrame(1, 2, 0), bodyFrame(1, []byte("ok")), endFrame},
			want: "frame of unknown type 9", code: 505, bodies: []string{"ok"}},
		{name: "connection.blocked and unblocked are ignored",
			frames: [][]byte{methodFrame(0, 10, 60, sstr("low on memory")), methodFrame(0, 10, 61), deliverFrame(1, "ctag", 1), headerFrame(1, 2, 0), bodyFrame(1, []byte("ok")), endFrame},
			want:   "frame of unknown type 9", code: 505, bodies: []string{"ok"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			consuming := make(chan struct{})
			result := make(chan drained, 1)
			addr := startFake(t, func(f *fakeServer) {
				f.handshake(tune{chanMax: 16, frameMax: 4096, heartbeat: 0})
				if _, ok := f.serve(func(fr fakeFrame) bool { return fr.is(60, 20) }); !ok {
					f.fatalf("the client hung up before consuming")
				}
				select {
				case <-consuming:
				case <-time.After(10 * time.Second):
					f.fatalf("Consume did not return")
				}
				f.send(tc.frames...)
				if tc.hangUp {
					return
				}
				result <- f.drain()
			})
			c := mustOpenFake(t, addr, Config{User: "u", Password: "p"})
			ch, err := c.Channel()
			if err != nil {
				t.Fatal(err)
			}
			s := newSink()
			ended, err := ch.Consume("q", "ctag", s.deliver)
			close(consuming)
			if err != nil {
				t.Fatal(err)
			}
			waitClosed(t, c.Done(), 5*time.Second, "Done")
			err = c.Err()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Err = %v, want one saying %q", err, tc.want)
			}
			var ae *amqp.Error
			if tc.code != 0 && (!errors.As(err, &ae) || ae.Code != tc.code || ae.Server != tc.server) {
				t.Errorf("Err = %#v, want an *amqp.Error %d with Server %v", err, tc.code, tc.server)
			}
			if !isClosed(ch.Done()) || ch.Err() != err || !isClosed(ended) {
				t.Errorf("channel: Done closed %v, Err %v, consumer ended %v; want all ended with %v", isClosed(ch.Done()), ch.Err(), isClosed(ended), err)
			}
			got := s.deliveries()
			if len(got) != len(tc.bodies) {
				t.Errorf("%d deliveries, want %d", len(got), len(tc.bodies))
			}
			for i := range min(len(got), len(tc.bodies)) {
				if string(got[i].Body) != tc.bodies[i] || got[i].ConsumerTag != "ctag" || got[i].Exchange != "ex" || got[i].RoutingKey != "rk" {
					t.Errorf("delivery %d: %q of %q (%s, %s)", i, got[i].Body, got[i].ConsumerTag, got[i].Exchange, got[i].RoutingKey)
				}
			}
			if tc.hangUp {
				return
			}
			var d drained
			select {
			case d = <-result:
			case <-time.After(5 * time.Second):
				t.Fatal("the fake server did not see the client hang up")
			}
			switch {
			case tc.server && !d.closeOk:
				t.Errorf("the client did not answer connection.close with close-ok (sent %v)", d.frames)
			case !tc.server && d.closeCode != tc.code:
				t.Errorf("the client closed with code %d, want %d (sent %v)", d.closeCode, tc.code, d.frames)
			}
		})
	}
}

// TestHandshakeFailures: Open fails with a clear error, and hangs up, when
// the server refuses or misbehaves during the handshake; ctx bounds it.
func TestHandshakeFailures(t *testing.T) {
	cases := []struct {
		name    string
		cfg     *Config // default: user u, password p, virtual host /vh
		script  func(f *fakeServer)
		cancel  time.Duration // cancel Open's context after this long (0: never)
		want    string
		code    int  // the *amqp.Error code of Open's error, 0 if not one
		closeOk bool // the client must answer the server's connection.close
	}{
		{name: "refused after start-ok", code: 403, closeOk: true, want: "ACCESS_REFUSED - Login was refused",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.start("PLAIN")
				f.send(closeFrame(0, 403, "ACCESS_REFUSED - Login was refused"))
			}},
		{name: "refused at open", code: 530, closeOk: true, want: "NOT_ALLOWED - vhost /vh not found",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.start("PLAIN")
				f.send(methodFrame(0, 10, 30, u16(0), u32(0), u16(0)))
				f.expect(10, 31)
				f.expect(10, 40)
				f.send(closeFrame(0, 530, "NOT_ALLOWED - vhost /vh not found"))
			}},
		{name: "another protocol", want: "does not speak AMQP 0-9-1",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.send([]byte("AMQP\x01\x01\x00\x0a"))
			}},
		{name: "no PLAIN", want: `no PLAIN authentication (offers "AMQPLAIN EXTERNAL")`,
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.send(methodFrame(0, 10, 10, u8(0), u8(9), u32(0), lstr("AMQPLAIN EXTERNAL"), lstr("en_US")))
			}},
		{name: "SASL challenge", want: "SASL challenge",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.start("PLAIN")
				f.send(methodFrame(0, 10, 20, lstr("challenge")))
			}},
		{name: "frame-max below the minimum", want: "frame-max 1024 is below the minimum 4096",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.start("PLAIN")
				f.send(methodFrame(0, 10, 30, u16(0), u32(1024), u16(0)))
			}},
		{name: "malformed connection.start", want: "connection.start",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.send(methodFrame(0, 10, 10, u8(0), u8(9), u32(100)))
			}},
		{name: "unexpected frame", want: "unexpected frame of type 2 on channel 0",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.send(headerFrame(0, 0, 0))
			}},
		{name: "unexpected method", want: "unexpected method 10.30 (want 10.10)",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.send(methodFrame(0, 10, 30, u16(0), u32(0), u16(0)))
			}},
		{name: "oversized frame", want: "exceeds the negotiated frame-max",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.send(cat(u8(1), u16(0), u32(2<<20)))
			}},
		{name: "bad end octet", want: "does not end with 0xCE",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				b := methodFrame(0, 10, 10, u8(0), u8(9), u32(0), lstr("PLAIN"), lstr("en_US"))
				b[len(b)-1] = 0
				f.send(b)
			}},
		{name: "hang-up", want: "the broker closed the connection",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.nc.Close()
			}},
		{name: "unencodable client properties", cfg: &Config{Properties: amqp.Table{"bad": uint64(1)}}, want: "client properties",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.sendStart("PLAIN")
			}},
		{name: "user name too long", cfg: &Config{User: strings.Repeat("u", 256)}, want: "longer than 255 octets",
			script: func(f *fakeServer) {
				f.readProtocolHeader()
				f.sendStart("PLAIN")
			}},
		{name: "silence", cancel: 300 * time.Millisecond, want: context.Canceled.Error(),
			script: func(f *fakeServer) {
				f.readProtocolHeader()
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hungUp := make(chan drained, 1)
			addr := startFake(t, func(f *fakeServer) {
				tc.script(f)
				hungUp <- f.drain()
			})
			nc := dialTCP(t, addr)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tc.cancel > 0 {
				time.AfterFunc(tc.cancel, cancel)
			}
			start := time.Now()
			cfg := Config{User: "u", Password: "p", VHost: "/vh"}
			if tc.cfg != nil {
				cfg = *tc.cfg
			}
			c, err := Open(ctx, nc, cfg)
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			if d := time.Since(start); d > tc.cancel+2*time.Second {
				t.Errorf("Open took %v to fail", d)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
			var ae *amqp.Error
			if tc.code != 0 && (!errors.As(err, &ae) || ae.Code != tc.code || !ae.Server) {
				t.Errorf("err = %#v, want the server's *amqp.Error %d", err, tc.code)
			}
			if tc.cancel != 0 && !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want it to wrap context.Canceled", err)
			}
			select {
			case d := <-hungUp:
				if d.closeOk != tc.closeOk {
					t.Errorf("the client answered close-ok: %v, want %v", d.closeOk, tc.closeOk)
				}
			case <-time.After(5 * time.Second):
				t.Error("the client did not close the socket")
			}
		})
	}
}

// TestOpenContextDeadline: when Open's context expires during the
// handshake, Open fails promptly with an error wrapping
// context.DeadlineExceeded, every time.
func TestOpenContextDeadline(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // a server that accepts and never answers
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // until Open hangs up
				_, _ = io.Copy(io.Discard, nc)
				nc.Close()
			}()
		}
	}()
	for i := range 10 {
		nc := dialTCP(t, ln.Addr().String())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		start := time.Now()
		_, err := Open(ctx, nc, Config{})
		cancel()
		if d := time.Since(start); d > time.Second {
			t.Errorf("round %d: Open took %v", i, d)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: err = %v, want it to wrap context.DeadlineExceeded", i, err)
		}
	}
}

func dialTCP(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// TestNegotiation: the client takes the smaller non-zero limits of the
// server's tune and its own, answers with them in tune-ok, and sends its
// credentials (PLAIN), properties and virtual host.
func TestNegotiation(t *testing.T) {
	cases := []struct {
		name      string
		heartbeat time.Duration // Config.Heartbeat
		server    tune
		want      tune
	}{
		{"server without limits", 0, tune{0, 0, 0}, tune{2047, maxFrame, 10}},
		{"RabbitMQ's defaults", 0, tune{2047, 131072, 60}, tune{2047, 131072, 10}},
		{"smaller server limits win", 30 * time.Second, tune{10, 4096, 5}, tune{10, 4096, 5}},
		{"smaller client limits win", 3 * time.Second, tune{65535, 1 << 20, 60}, tune{2047, maxFrame, 3}},
		{"client heartbeat when the server has none", 7 * time.Second, tune{0, 0, 0}, tune{2047, maxFrame, 7}},
		// AMQP counts heartbeats in whole seconds: asking for less than one
		// must still be the smaller proposal, not none (60 s from RabbitMQ).
		{"sub-second heartbeat", 500 * time.Millisecond, tune{0, 0, 60}, tune{2047, maxFrame, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			shook := make(chan handshook, 1)
			addr := startFake(t, func(f *fakeServer) {
				shook <- f.handshake(tc.server)
				f.serve(func(fr fakeFrame) bool { return fr.is(10, 50) })
			})
			c := mustOpenFake(t, addr, Config{User: "user", Password: "secret", VHost: "/vh", Heartbeat: tc.heartbeat,
				Properties: amqp.Table{"connection_name": "negotiation test"}})
			h := <-shook
			if h.tuneOk != tc.want {
				t.Errorf("tune-ok %+v, want %+v", h.tuneOk, tc.want)
			}
			if c.Heartbeat() != time.Duration(tc.want.heartbeat)*time.Second || c.frameMax != tc.want.frameMax || c.chanMax != tc.want.chanMax {
				t.Errorf("Heartbeat() %v, frame-max %d, channel-max %d; want %+v", c.Heartbeat(), c.frameMax, c.chanMax, tc.want)
			}
			if h.vhost != "/vh" {
				t.Errorf("connection.open for virtual host %q", h.vhost)
			}
			if c.Server["product"] != "fake" {
				t.Errorf("Server = %v", c.Server)
			}
			d := decoder{b: h.startOk}
			props, mechanism, response, locale := d.table(), d.shortstr(), d.longstr(), d.shortstr()
			if d.err != nil || len(d.b) != 0 {
				t.Fatalf("start-ok: %v, %d octets left", d.err, len(d.b))
			}
			if mechanism != "PLAIN" || response != "\x00user\x00secret" || locale != "en_US" {
				t.Errorf("start-ok: mechanism %q, response %q, locale %q", mechanism, response, locale)
			}
			caps, _ := props["capabilities"].(amqp.Table)
			for _, k := range []string{"consumer_cancel_notify", "basic.nack", "connection.blocked", "authentication_failure_close"} {
				if caps[k] != true {
					t.Errorf("capability %s = %v", k, caps[k])
				}
			}
			if props["product"] != "agent-notification" || props["connection_name"] != "negotiation test" {
				t.Errorf("client properties %v", props)
			}
			start := time.Now()
			if err := c.Close(); err != nil || c.Err() != amqp.ErrClosed {
				t.Errorf("Close: %v, Err %v", err, c.Err())
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Close took %v despite the server's close-ok", d)
			}
		})
	}
}

// TestChannelMax: no more channels than the negotiated channel-max; a closed
// channel's number is free again.
func TestChannelMax(t *testing.T) {
	t.Parallel()
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{chanMax: 2})
		f.serve(func(fr fakeFrame) bool { return fr.is(10, 50) })
	})
	c := mustOpenFake(t, addr, Config{})
	ch1, err1 := c.Channel()
	_, err2 := c.Channel()
	if err1 != nil || err2 != nil {
		t.Fatalf("Channel: %v, %v", err1, err2)
	}
	if _, err := c.Channel(); err == nil || !strings.Contains(err.Error(), "no free channel") {
		t.Fatalf("a third channel with channel-max 2: %v", err)
	}
	if err := ch1.Close(); err != nil {
		t.Fatal(err)
	}
	ch3, err := c.Channel()
	if err != nil {
		t.Fatalf("Channel after closing one: %v", err)
	}
	if ch3.id != ch1.id {
		t.Errorf("new channel %d, want the freed %d", ch3.id, ch1.id)
	}
}

// TestHeartbeats: with a 1 s heartbeat the connection lives on the server's
// heartbeats alone, sends its own while idle, and ends with a read timeout
// about 3 s after the server fell silent.
func TestHeartbeats(t *testing.T) {
	t.Parallel()
	silent := make(chan struct{})
	beats := make(chan int32, 1)
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{heartbeat: 1})
		var n atomic.Int32
		hungUp := make(chan struct{})
		go func() {
			defer close(hungUp)
			for {
				fr, err := f.read()
				if err != nil {
					return
				}
				if fr.typ == 8 {
					n.Add(1)
				} else {
					f.t.Errorf("the idle client sent %v", fr)
				}
			}
		}()
		for range 14 {
			f.send(heartbeat)
			time.Sleep(250 * time.Millisecond)
		}
		close(silent)
		<-hungUp
		beats <- n.Load()
	})
	c := mustOpenFake(t, addr, Config{})
	if c.Heartbeat() != time.Second {
		t.Fatalf("Heartbeat() = %v, want the server's 1 s", c.Heartbeat())
	}
	waitClosed(t, silent, 10*time.Second, "the server's heartbeat phase")
	if err := c.Err(); err != nil {
		t.Fatalf("the connection ended while the server sent heartbeats: %v", err)
	}
	start := time.Now()
	waitClosed(t, c.Done(), 6*time.Second, "Done after the server fell silent")
	if d := time.Since(start); d < 1500*time.Millisecond || d > 4500*time.Millisecond {
		t.Errorf("the silent server was noticed after %v, want about 3 heartbeats (3 s)", d)
	}
	if err := c.Err(); !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "read from the broker") {
		t.Errorf("Err = %v, want a read timeout", err)
	}
	select {
	case n := <-beats:
		// About 6 s idle: one heartbeat every 0.5 to 1 s.
		if n < 5 {
			t.Errorf("the client sent %d heartbeats in about 6 s, want one at least every second", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not hang up")
	}
}

// TestWriteBlockedByBroker: a broker under a resource alarm stops reading a
// publishing connection but still sends its heartbeats. A publish then
// blocks in its write, for as long as the alarm lasts; the connection must
// live on (the heartbeat sender skips a beat rather than queue behind the
// blocked write and stop the reader's clock) and the publish completes once
// the broker reads again.
func TestWriteBlockedByBroker(t *testing.T) {
	t.Parallel()
	resume := make(chan struct{})
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{heartbeat: 1})
		f.serve(func(fr fakeFrame) bool { return fr.is(20, 10) })
		// Blocked: nothing read, heartbeats sent.
		for {
			select {
			case <-resume:
				f.drain()
				return
			case <-time.After(250 * time.Millisecond):
				f.send(heartbeat)
			}
		}
	})
	c := mustOpenFake(t, addr, Config{})
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	published := make(chan error, 1)
	go func() {
		// Far more than the sockets' buffers hold.
		_, err := ch.Publish("", "q", &amqp.Publishing{Body: make([]byte, 64<<20)})
		published <- err
	}()
	select {
	case err := <-published:
		t.Fatalf("Publish returned %v while the broker read nothing", err)
	case <-time.After(4500 * time.Millisecond): // past three heartbeat intervals
	}
	if err := c.Err(); err != nil {
		t.Fatalf("the connection ended while its write was blocked and the broker sent heartbeats: %v", err)
	}
	close(resume)
	select {
	case err := <-published:
		if err != nil {
			t.Errorf("Publish once the broker read again: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish still blocked after the broker read again")
	}
}

// TestCloseWithoutCloseOk: Close gives up on a server that never answers
// connection.close after closeTimeout and hangs up.
func TestCloseWithoutCloseOk(t *testing.T) {
	t.Parallel()
	hungUp := make(chan drained, 1)
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{})
		for {
			fr, err := f.read()
			if err != nil {
				f.fatalf("the client hung up before connection.close: %v", err)
			}
			if fr.is(10, 50) {
				break
			}
		}
		// Never answered; drain would answer, so read by hand.
		for {
			if _, err := f.read(); err != nil {
				hungUp <- drained{}
				return
			}
		}
	})
	c := mustOpenFake(t, addr, Config{})
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d < closeTimeout-100*time.Millisecond || d > closeTimeout+2*time.Second {
		t.Errorf("Close took %v, want about %v", d, closeTimeout)
	}
	if !isClosed(c.Done()) || c.Err() != amqp.ErrClosed {
		t.Errorf("Done closed %v, Err %v", isClosed(c.Done()), c.Err())
	}
	select {
	case <-hungUp:
	case <-time.After(5 * time.Second):
		t.Error("the client did not close the socket")
	}
}

// TestChannelCloseCrossing: the client closes a channel while the server
// closes it too (its channel.close crosses ours, and it then answers ours
// with close-ok, AMQP 0-9-1 §4.2.7 / RabbitMQ). The client answers the
// server's close with close-ok all the same (RabbitMQ waits for it before it
// frees the channel id); the channel ends; the connection must survive.
func TestChannelCloseCrossing(t *testing.T) {
	t.Parallel()
	closed := make(chan int, 1)
	answered := make(chan bool, 1)
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{})
		f.serve(func(fr fakeFrame) bool { return fr.is(20, 10) })
		f.expect(20, 40)
		f.send(closeFrame(1, 406, "PRECONDITION_FAILED - unknown delivery tag 99"), methodFrame(1, 20, 41))
		fr, ok := f.serve(func(fr fakeFrame) bool { return fr.is(20, 41) || fr.is(10, 50) })
		answered <- ok && fr.is(20, 41) && fr.channel == 1
		if fr, ok := f.serve(func(fr fakeFrame) bool { return fr.is(10, 50) }); ok {
			closed <- int(binary.BigEndian.Uint16(fr.payload[4:]))
		} else {
			closed <- 0
		}
	})
	c := mustOpenFake(t, addr, Config{})
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Close()
	var ae *amqp.Error
	if err != nil && (!errors.As(err, &ae) || ae.Code != 406) {
		t.Errorf("Close: %v, want nil or the server's 406", err)
	}
	if !isClosed(ch.Done()) {
		t.Error("the channel is not closed")
	}
	time.Sleep(100 * time.Millisecond) // let the reader see the close-ok
	if err := c.Err(); err != nil {
		t.Fatalf("the connection ended: %v", err)
	}
	if _, err := c.Channel(); err != nil {
		t.Fatalf("a new channel: %v", err)
	}
	c.Close()
	if !<-answered {
		t.Error("the client did not answer the server's channel.close with close-ok")
	}
	if code := <-closed; code != 200 {
		t.Errorf("the client closed the connection with code %d, want 200", code)
	}
}

// TestServerRequests: the client answers the server's channel.flow,
// connection.update-secret and basic.cancel (with a reply wanted); the
// cancel ends the consumer, nothing else changes.
func TestServerRequests(t *testing.T) {
	t.Parallel()
	consuming, checked := make(chan struct{}), make(chan struct{})
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{})
		f.serve(func(fr fakeFrame) bool { return fr.is(60, 20) })
		<-consuming
		for _, active := range []byte{0, 1} {
			f.send(methodFrame(1, 20, 20, u8(active)))
			if a := f.expect(20, 21); !bytes.Equal(a, []byte{active}) {
				f.fatalf("flow-ok %v to flow %d", a, active)
			}
		}
		f.send(methodFrame(0, 10, 70, lstr("new token"), sstr("refresh")))
		f.expect(10, 71)
		f.send(methodFrame(1, 60, 30, sstr("ctag"), u8(0)))
		if a := f.expect(60, 31); !bytes.Equal(a, sstr("ctag")) {
			f.fatalf("cancel-ok %q", a)
		}
		close(checked)
		f.serve(func(fr fakeFrame) bool { return fr.is(10, 50) })
	})
	c := mustOpenFake(t, addr, Config{})
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ended, err := ch.Consume("q", "ctag", func(*amqp.Delivery) {})
	close(consuming)
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, checked, 5*time.Second, "the server's requests")
	waitClosed(t, ended, time.Second, "the consumer the server cancelled")
	if err := ch.Qos(10); err != nil {
		t.Fatalf("the channel after the server's requests: %v", err)
	}
	if c.Err() != nil || ch.Err() != nil {
		t.Fatalf("connection %v, channel %v", c.Err(), ch.Err())
	}
}

// TestCloseWhileWriterBlocked: a broker that stops reading (a resource
// alarm) leaves a publisher blocked in its write, holding the write lock;
// Close still returns within its bound, and releases the publisher.
func TestCloseWhileWriterBlocked(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{})
		f.serve(func(fr fakeFrame) bool { return fr.is(20, 10) })
		<-stop // reads nothing more: the client's writes back up
	})
	defer close(stop)
	c := mustOpenFake(t, addr, Config{})
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 100<<10)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for {
			if _, err := ch.Publish("", "q", &amqp.Publishing{Body: body}); err != nil {
				return
			}
		}
	}()
	// Wait until the publisher is blocked in a write (the lock is held).
	deadline := time.Now().Add(10 * time.Second)
	for c.wmu.TryLock() {
		c.wmu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the publisher never blocked")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if c.wmu.TryLock() {
		c.wmu.Unlock()
		t.Fatal("the publisher is not blocked in a write")
	}
	start := time.Now()
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	waitClosed(t, closed, closeTimeout+3*time.Second, "Close with a blocked writer")
	if d := time.Since(start); d < closeTimeout-500*time.Millisecond {
		t.Errorf("Close returned after %v, before its bound (%v): was the writer really blocked?", d, closeTimeout)
	}
	waitClosed(t, published, 3*time.Second, "the blocked publisher's return")
}

// TestCancelSendsEveryCancelAtOnce: Cancel of several consumers writes every
// basic.cancel before it waits for any cancel-ok. A cancel-ok can queue
// behind deliveries still being taken; cancelling one consumer at a time
// would leave the later ones receiving meanwhile (a reload's old workers
// then take notifications after they were told to stop).
func TestCancelSendsEveryCancelAtOnce(t *testing.T) {
	t.Parallel()
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{})
		consumes := 0
		f.serve(func(fr fakeFrame) bool {
			if fr.is(60, 20) {
				consumes++
			}
			return consumes == 2
		})
		// Both cancels must come without an answer to the first.
		_ = f.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		var got []string
		for len(got) < 2 {
			fr, err := f.read()
			if err != nil {
				f.fatalf("after basic.cancel %q: %v (the client waits for its cancel-ok before the next)", got, err)
			}
			if fr.is(60, 30) {
				a := fr.payload[4:]
				got = append(got, string(a[1:1+a[0]]))
			}
		}
		_ = f.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		f.send(methodFrame(1, 60, 31, sstr(got[0])), methodFrame(1, 60, 31, sstr(got[1])))
		f.serve(func(fr fakeFrame) bool { return fr.is(10, 50) })
	})
	c := mustOpenFake(t, addr, Config{})
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	var ended []<-chan struct{}
	for _, tag := range []string{"a", "b"} {
		e, err := ch.Consume("q-"+tag, tag, func(*amqp.Delivery) {})
		if err != nil {
			t.Fatal(err)
		}
		ended = append(ended, e)
	}
	if err := ch.Cancel("a", "b", "a", "never-started"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	for i, e := range ended {
		if !isClosed(e) {
			t.Errorf("consumer %d still open after Cancel returned", i)
		}
	}
	if err := ch.Qos(5); err != nil {
		t.Fatalf("a call after the cancels: %v", err)
	}
}

// TestConfirmAfterCrossedClose: when our channel.close and the broker's
// cross, the channel ends and its awaited confirmations are lost; an ack
// the broker sends after its channel.close is ignored (it used to index the
// emptied list and panic in the reader), and the connection carries on.
func TestConfirmAfterCrossedClose(t *testing.T) {
	t.Parallel()
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{})
		f.serve(func(fr fakeFrame) bool { return fr.is(20, 10) })
		f.expect(85, 10)
		f.send(methodFrame(1, 85, 11))
		for { // the publish, unanswered, then the client's channel.close
			fr, err := f.read()
			if err != nil {
				f.fatalf("the client hung up before channel.close: %v", err)
			}
			if fr.is(20, 40) {
				break
			}
		}
		// The broker's own channel.close crosses the client's; an ack
		// follows it, then the close-ok.
		f.send(closeFrame(1, 406, "PRECONDITION_FAILED - crossed"), methodFrame(1, 60, 80, u64(1), u8(0)), methodFrame(1, 20, 41))
		f.serve(func(fr fakeFrame) bool { return fr.is(10, 50) })
	})
	c := mustOpenFake(t, addr, Config{})
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(); err != nil {
		t.Fatal(err)
	}
	conf, err := ch.Publish("", "q", &amqp.Publishing{Body: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if acked, err := conf.Wait(ctx); acked || !errors.Is(err, ErrConfirmLost) {
		t.Errorf("confirmation: acked %v, err %v; want lost", acked, err)
	}
	// The reader went on past the late ack: a new channel opens.
	ch2, err := c.Channel()
	if err != nil {
		t.Fatalf("a channel after the crossed close: %v (connection: %v)", err, c.Err())
	}
	_ = ch2.Close()
}

// TestCancelLockOrder: the reader answers the broker's channel.close under
// the channel's lock, then takes the write lock; Cancel must never hold the
// write lock while it waits for the channel's lock, or the two deadlock and
// the connection is wedged for good (no reads, no heartbeats), as a SIGTERM
// landing when the broker closes the listener's channel would find it. The
// test holds the channel's lock as the reader would and checks that the
// reader could still write while Cancel waits.
func TestCancelLockOrder(t *testing.T) {
	t.Parallel()
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{})
		f.serve(func(fr fakeFrame) bool { return fr.is(10, 50) })
	})
	c := mustOpenFake(t, addr, Config{})
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Consume("q", "a", func(*amqp.Delivery) {}); err != nil {
		t.Fatal(err)
	}
	ch.mu.Lock() // the reader, handling channel.close
	cancelled := make(chan error, 1)
	go func() { cancelled <- ch.Cancel("a") }()
	// Give Cancel time to block, then write as the reader would.
	time.Sleep(50 * time.Millisecond)
	wrote := make(chan struct{})
	go func() {
		c.wmu.Lock()
		c.wmu.Unlock()
		close(wrote)
	}()
	select {
	case <-wrote:
	case <-time.After(2 * time.Second):
		t.Error("the write lock stays taken while Cancel waits for the channel's lock: the reader would deadlock")
	}
	ch.mu.Unlock()
	select {
	case err := <-cancelled:
		if err != nil {
			t.Errorf("Cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Cancel did not return")
	}
}
