package rabbit

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- s
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// pattern returns n bytes that differ from any shifted copy of themselves.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// Over a real socket the reads and writes are raw system calls; every byte
// arrives in order both ways, through a socket buffer that fills (writes wait
// for the peer) and through both read paths (buffered and direct).
func TestRawSocketStreamsBothWays(t *testing.T) {
	client, server := tcpPair(t)
	c := newCoalescingConn(client)
	defer c.Close()
	if c.raw == nil {
		t.Fatal("a TCP connection is not read and written raw")
	}

	// Outgoing: 8 MiB in frames of varied sizes, to a peer that starts
	// reading only after 200 ms (the kernel buffers fill, writev meets
	// EAGAIN and waits in the poller).
	out := pattern(8 << 20)
	received := make(chan []byte, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		got, _ := io.ReadAll(io.LimitReader(server, int64(len(out))))
		received <- got
	}()
	go func() {
		for rest, size := out, 1; len(rest) > 0; size = size*7%70001 + 1 {
			n := min(size, len(rest))
			if _, err := c.Write(rest[:n]); err != nil {
				t.Errorf("write: %v", err)
				return
			}
			rest = rest[n:]
		}
	}()

	// Incoming: 4 MiB read in small pieces, then in pieces larger than the
	// read buffer (read straight into them).
	in := pattern(4 << 20)[1:] // not the same bytes as out
	go func() {
		_, _ = server.Write(in)
	}()
	var got bytes.Buffer
	small, large := make([]byte, 1000), make([]byte, readBufferSize+1)
	for got.Len() < len(in) {
		p := small
		if got.Len() > len(in)/2 {
			p = large
		}
		n, err := c.Read(p)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", got.Len(), err)
		}
		got.Write(p[:n])
	}
	if !bytes.Equal(got.Bytes(), in) {
		t.Error("incoming bytes differ from what was sent")
	}
	select {
	case b := <-received:
		if !bytes.Equal(b, out) {
			t.Errorf("outgoing: %d bytes arrived, want %d, equal %v", len(b), len(out), bytes.Equal(b, out))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("outgoing bytes did not arrive")
	}

	// The peer closes: the reader sees the end of the stream, a writer an
	// error (possibly after a write or two the kernel still accepts).
	server.Close()
	if _, err := c.Read(small); err != io.EOF {
		t.Errorf("read after the peer closed: %v, want io.EOF", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := c.Write([]byte("frame")); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes to a closed peer never fail")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Deadlines (amqp091 sets one per heartbeat interval on reads) end a raw read
// as they end a net.Conn read.
func TestRawSocketReadDeadline(t *testing.T) {
	client, _ := tcpPair(t)
	c := newCoalescingConn(client)
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Read(make([]byte, 10))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the deadline ended the read after %v", took)
	}
	// Closing the connection ends a read in progress.
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("read on a closed connection: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the read")
	}
}

func TestConsumeBuffers(t *testing.T) {
	mk := func() [][]byte { return [][]byte{[]byte("abc"), []byte("de"), []byte("fghi")} }
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{0, []string{"abc", "de", "fghi"}},
		{2, []string{"c", "de", "fghi"}},
		{3, []string{"de", "fghi"}},
		{4, []string{"e", "fghi"}},
		{6, []string{"ghi"}},
		{9, nil},
	} {
		got := consumeBuffers(mk(), tc.n)
		var s []string
		for _, b := range got {
			s = append(s, string(b))
		}
		if len(s) != len(tc.want) {
			t.Errorf("consume %d: %q, want %q", tc.n, s, tc.want)
			continue
		}
		for i := range s {
			if s[i] != tc.want[i] {
				t.Errorf("consume %d: %q, want %q", tc.n, s, tc.want)
				break
			}
		}
	}
}
