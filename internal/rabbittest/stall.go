package rabbittest

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
)

// StallProxy listens on loopback and forwards each connection to the broker
// at target (host:port) until the client's first frame past the handshake
// (the first on a channel other than 0, e.g. channel.open). From then on the
// client's frames are dropped: the broker answers nothing more, while what
// it sends — heartbeats included — still reaches the client. It plays a
// broker that stalls a synchronous call with the connection alive. stalled
// is closed once the first connection stalled. Everything closes when the
// test ends.
func StallProxy(t testing.TB, target string) (addr string, stalled <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			track(client)
			track(server)
			wg.Go(func() { _, _ = io.Copy(client, server) })
			wg.Go(func() {
				if forwardHandshake(client, server) {
					once.Do(func() { close(st) })
				}
				_, _ = io.Copy(io.Discard, client)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), st
}

// forwardHandshake copies the client's protocol header and its frames on
// channel 0 to server; it reports true when it stopped at a frame on another
// channel (not forwarded), false when the client's side ended first.
func forwardHandshake(client io.Reader, server io.Writer) bool {
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(client, hdr); err != nil {
		return false
	}
	if _, err := server.Write(hdr); err != nil {
		return false
	}
	for {
		head := make([]byte, 7)
		if _, err := io.ReadFull(client, head); err != nil {
			return false
		}
		if binary.BigEndian.Uint16(head[1:]) != 0 {
			return true
		}
		rest := make([]byte, int(binary.BigEndian.Uint32(head[3:]))+1) // payload, end octet
		if _, err := io.ReadFull(client, rest); err != nil {
			return false
		}
		if _, err := server.Write(append(head, rest...)); err != nil {
			return false
		}
	}
}
