package wire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// This file is a scripted fake AMQP server for the behaviour a real broker
// never shows (malformed frames, silence, refusals at chosen moments). Its
// frames are built by hand with encoding/binary, not with the package's own
// encoder, so an encoding bug cannot hide itself.

// Frame building blocks (AMQP 0-9-1 §4.2).

func u8(v byte) []byte    { return []byte{v} }
func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func sstr(s string) []byte { return append([]byte{byte(len(s))}, s...) }
func lstr(s string) []byte { return append(u32(uint32(len(s))), s...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// rawFrame is a whole frame: type, channel, size, payload, end octet.
func rawFrame(typ byte, channel uint16, payload []byte) []byte {
	return cat(u8(typ), u16(channel), u32(uint32(len(payload))), payload, u8(0xCE))
}

// methodFrame is a method frame with the given arguments.
func methodFrame(channel, class, method uint16, args ...[]byte) []byte {
	return rawFrame(1, channel, cat(u16(class), u16(method), cat(args...)))
}

// headerFrame is a basic content header; props are the property values the
// flags announce, already encoded.
func headerFrame(channel uint16, size uint64, flags uint16, props ...[]byte) []byte {
	return rawFrame(2, channel, cat(u16(60), u16(0), u64(size), u16(flags), cat(props...)))
}

func bodyFrame(channel uint16, body []byte) []byte { return rawFrame(3, channel, body) }

var heartbeat = rawFrame(8, 0, nil)

// deliverFrame is basic.deliver on channel for consumer tag with exchange
// "ex" and routing key "rk".
func deliverFrame(channel uint16, tag string, deliveryTag uint64) []byte {
	return methodFrame(channel, 60, 60, sstr(tag), u64(deliveryTag), u8(0), sstr("ex"), sstr("rk"))
}

// closeFrame is connection.close (channel 0) or channel.close.
func closeFrame(channel uint16, code uint16, text string) []byte {
	if channel == 0 {
		return methodFrame(0, 10, 50, u16(code), sstr(text), u16(0), u16(0))
	}
	return methodFrame(channel, 20, 40, u16(code), sstr(text), u16(0), u16(0))
}

// fakeFrame is a frame the fake server read.
type fakeFrame struct {
	typ     byte
	channel uint16
	payload []byte
}

func (f fakeFrame) is(class, method uint16) bool {
	return f.typ == 1 && len(f.payload) >= 4 &&
		binary.BigEndian.Uint16(f.payload) == class && binary.BigEndian.Uint16(f.payload[2:]) == method
}

func (f fakeFrame) String() string {
	if f.typ == 1 && len(f.payload) >= 4 {
		return fmt.Sprintf("method %d.%d on channel %d", binary.BigEndian.Uint16(f.payload), binary.BigEndian.Uint16(f.payload[2:]), f.channel)
	}
	return fmt.Sprintf("frame of type %d on channel %d (%d octets)", f.typ, f.channel, len(f.payload))
}

// fakeServer is the server side of one connection. Its helpers report a
// broken expectation with t.Errorf and end the script's goroutine.
type fakeServer struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func (f *fakeServer) fatalf(format string, args ...any) {
	f.t.Errorf("fake server: "+format, args...)
	runtime.Goexit()
}

// read reads one frame; err is the socket's (io.EOF once the client hung up).
func (f *fakeServer) read() (fakeFrame, error) {
	var h [7]byte
	if _, err := io.ReadFull(f.r, h[:]); err != nil {
		return fakeFrame{}, err
	}
	fr := fakeFrame{typ: h[0], channel: binary.BigEndian.Uint16(h[1:]), payload: make([]byte, binary.BigEndian.Uint32(h[3:])+1)}
	if _, err := io.ReadFull(f.r, fr.payload); err != nil {
		return fakeFrame{}, err
	}
	if end := fr.payload[len(fr.payload)-1]; end != 0xCE {
		f.fatalf("the client sent a frame ending with %#x", end)
	}
	fr.payload = fr.payload[:len(fr.payload)-1]
	return fr, nil
}

// expect reads frames, skipping heartbeats, until a method, which must be
// class.method; it returns the method's arguments.
func (f *fakeServer) expect(class, method uint16) []byte {
	for {
		fr, err := f.read()
		if err != nil {
			f.fatalf("waiting for method %d.%d: %v", class, method, err)
		}
		if fr.typ == 8 {
			continue
		}
		if !fr.is(class, method) {
			f.fatalf("got %v, want method %d.%d", fr, class, method)
		}
		return fr.payload[4:]
	}
}

func (f *fakeServer) send(frames ...[]byte) {
	if _, err := f.nc.Write(cat(frames...)); err != nil {
		f.fatalf("write: %v", err)
	}
}

// readProtocolHeader reads the client's protocol header.
func (f *fakeServer) readProtocolHeader() {
	var h [8]byte
	if _, err := io.ReadFull(f.r, h[:]); err != nil {
		f.fatalf("protocol header: %v", err)
	}
	if string(h[:]) != "AMQP\x00\x00\x09\x01" {
		f.fatalf("protocol header %q", h[:])
	}
}

// start sends connection.start offering mechanisms and returns the
// arguments of the client's start-ok.
func (f *fakeServer) start(mechanisms string) []byte {
	f.sendStart(mechanisms)
	return f.expect(10, 11)
}

// sendStart sends connection.start with server property product=fake.
func (f *fakeServer) sendStart(mechanisms string) {
	props := cat(sstr("product"), u8('S'), lstr("fake"))
	f.send(methodFrame(0, 10, 10, u8(0), u8(9), u32(uint32(len(props))), props, lstr(mechanisms), lstr("en_US")))
}

// tune is what the fake server proposes in connection.tune.
type tune struct {
	chanMax   uint16
	frameMax  uint32
	heartbeat uint16
}

// handshook is what the client sent during the handshake.
type handshook struct {
	startOk []byte
	tuneOk  tune
	vhost   string
}

// handshake plays the server's side of a successful handshake.
func (f *fakeServer) handshake(p tune) handshook {
	f.readProtocolHeader()
	var h handshook
	h.startOk = f.start("AMQPLAIN PLAIN")
	f.send(methodFrame(0, 10, 30, u16(p.chanMax), u32(p.frameMax), u16(p.heartbeat)))
	a := f.expect(10, 31)
	if len(a) != 8 {
		f.fatalf("tune-ok of %d octets", len(a))
	}
	h.tuneOk = tune{binary.BigEndian.Uint16(a), binary.BigEndian.Uint32(a[2:]), binary.BigEndian.Uint16(a[6:])}
	a = f.expect(10, 40)
	h.vhost = string(a[1 : 1+a[0]])
	f.send(methodFrame(0, 10, 41, sstr("")))
	return h
}

// serve answers the client's synchronous methods (channel.open, basic.qos,
// basic.consume, channel.close, connection.close) until a frame for which
// stop is true, which it returns after answering it. ok is false when the
// client hung up first.
func (f *fakeServer) serve(stop func(fakeFrame) bool) (fr fakeFrame, ok bool) {
	for {
		fr, err := f.read()
		if err != nil {
			return fakeFrame{}, false
		}
		switch {
		case fr.is(20, 10):
			f.send(methodFrame(fr.channel, 20, 11, lstr("")))
		case fr.is(60, 10):
			f.send(methodFrame(fr.channel, 60, 11))
		case fr.is(60, 20):
			a := fr.payload[4+2:]
			a = a[1+a[0]:] // queue
			f.send(methodFrame(fr.channel, 60, 21, sstr(string(a[1:1+a[0]]))))
		case fr.is(60, 30):
			a := fr.payload[4:]
			f.send(methodFrame(fr.channel, 60, 31, sstr(string(a[1:1+a[0]]))))
		case fr.is(20, 40):
			f.send(methodFrame(fr.channel, 20, 41))
		case fr.is(10, 50):
			f.send(methodFrame(0, 10, 51))
		}
		if stop != nil && stop(fr) {
			return fr, true
		}
	}
}

// drained is what the client sent after the script's last frames.
type drained struct {
	closeCode int  // the reply code of the client's connection.close, 0 if none
	closeOk   bool // the client answered the server's connection.close
	frames    []fakeFrame
}

// drain reads until the client hangs up, answering connection.close.
func (f *fakeServer) drain() drained {
	var d drained
	for {
		fr, err := f.read()
		if err != nil {
			return d
		}
		d.frames = append(d.frames, fr)
		switch {
		case fr.is(10, 50):
			if len(fr.payload) >= 6 {
				d.closeCode = int(binary.BigEndian.Uint16(fr.payload[4:]))
			}
			_, _ = f.nc.Write(methodFrame(0, 10, 51)) // the client may not wait for it
		case fr.is(10, 51):
			d.closeOk = true
		}
	}
}

// startFake runs script as the server of the first connection to the
// returned address. The test waits for the script when it ends.
func startFake(t *testing.T, script func(f *fakeServer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runFake(t, ln.Accept, ln.Close, script)
	return ln.Addr().String()
}

// pairFake runs script as the server of a connected Unix socket pair and
// returns the client's end: no port per connection, for the fuzz target's
// thousands of connections a minute (TCP's would wait out TIME_WAIT).
func pairFake(t *testing.T, script func(f *fakeServer)) net.Conn {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ends [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "fake")
		ends[i], err = net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { ends[0].Close() })
	runFake(t, func() (net.Conn, error) { return ends[1], nil }, func() error { return nil }, script)
	return ends[0]
}

// runFake runs script, in a goroutine, as the server of the connection
// accept gives (called once); the test waits for the script when it ends,
// after stop.
func runFake(t *testing.T, accept func() (net.Conn, error), stop func() error, script func(f *fakeServer)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("fake server: accept: %v", err)
			}
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
		script(&fakeServer{t: t, nc: nc, r: bufio.NewReader(nc)})
	}()
	t.Cleanup(func() {
		_ = stop()
		select {
		case <-done:
		case <-time.After(25 * time.Second):
			t.Error("the fake server's script did not end")
		}
	})
}

// openFake connects to a fake server; the connection is closed when the test
// ends.
func openFake(t *testing.T, addr string, cfg Config) (*Conn, error) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return openOn(t, nc, cfg)
}

// openOn opens a connection over nc (10 s at most); it is closed when the
// test ends.
func openOn(t *testing.T, nc net.Conn, cfg Config) (*Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Open(ctx, nc, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

func mustOpenFake(t *testing.T, addr string, cfg Config) *Conn {
	t.Helper()
	c, err := openFake(t, addr, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return c
}

// waitClosed fails the test unless c is closed within d.
func waitClosed(t testing.TB, c <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(d):
		t.Fatalf("%s: not closed after %v", what, d)
	}
}

// isClosed reports whether c is closed now.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// sink collects deliveries handed to a consumer's function.
type sink struct {
	mu   sync.Mutex
	got  []amqp.Delivery
	more chan struct{}
}

func newSink() *sink { return &sink{more: make(chan struct{}, 1)} }

func (s *sink) deliver(d *amqp.Delivery) {
	s.mu.Lock()
	s.got = append(s.got, *d) // the function may keep the fields, not the pointer
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
}

func (s *sink) deliveries() []amqp.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]amqp.Delivery(nil), s.got...)
}

func (s *sink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// wait waits until n deliveries arrived (at most d) and returns them.
func (s *sink) wait(t testing.TB, n int, d time.Duration) []amqp.Delivery {
	t.Helper()
	deadline := time.After(d)
	for {
		if got := s.deliveries(); len(got) >= n {
			return got
		}
		select {
		case <-s.more:
		case <-deadline:
			t.Fatalf("%d deliveries after %v, want %d", s.len(), d, n)
		}
	}
}

// wireGoroutines counts the goroutines running this package's connection
// code (reader, heartbeats).
func wireGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "rabbit/wire.(*Conn).readLoop") || strings.Contains(g, "rabbit/wire.(*Conn).beat") {
			count++
		}
	}
	return count
}

// waitGoroutines waits (at most 3 s) until at most n wire goroutines run.
func waitGoroutines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for wireGoroutines() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of package wire still run, want at most %d", wireGoroutines(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
