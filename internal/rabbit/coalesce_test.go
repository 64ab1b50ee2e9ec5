package rabbit

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Concurrent writers' frames arrive whole and in each writer's order, and the
// writes are coalesced into fewer socket writes than frames.
func TestCoalescingConnKeepsOrder(t *testing.T) {
	client, server := net.Pipe()
	counting := &countingConn{Conn: client}
	c := newCoalescingConn(counting)
	defer c.Close()

	const writers, frames = 8, 2000
	got := make(chan [writers]uint32, 1)
	go func() {
		var next [writers]uint32
		r := bufio.NewReader(server)
		buf := make([]byte, 8)
		for range writers * frames {
			if _, err := io.ReadFull(r, buf); err != nil {
				break
			}
			w, seq := binary.BigEndian.Uint32(buf), binary.BigEndian.Uint32(buf[4:])
			if w >= writers || seq != next[w] {
				t.Errorf("writer %d: frame %d, want %d", w, seq, next[w])
				break
			}
			next[w]++
		}
		got <- next
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			buf := make([]byte, 8)
			for seq := range frames {
				binary.BigEndian.PutUint32(buf, uint32(w))
				binary.BigEndian.PutUint32(buf[4:], uint32(seq))
				if _, err := c.Write(buf); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case next := <-got:
		for w, n := range next {
			if n != frames {
				t.Errorf("writer %d: %d frames arrived, want %d", w, n, frames)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("frames did not arrive")
	}
	if n := counting.writes(); n >= writers*frames {
		t.Errorf("%d socket writes for %d frames: nothing coalesced", n, writers*frames)
	} else {
		t.Logf("%d frames in %d socket writes", writers*frames, n)
	}
}

// A socket error reaches later writers (and closes the socket); a writer held
// by back-pressure is released by it.
func TestCoalescingConnErrorsAndBackPressure(t *testing.T) {
	client, server := net.Pipe()
	c := newCoalescingConn(client)
	// Nobody reads: the pipe blocks the flusher, the pending bytes reach the
	// bound and the next Write waits.
	big := make([]byte, maxPendingWrite)
	if _, err := c.Write(big[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the flusher is now blocked writing those 10 bytes
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("x"))
		blocked <- err
	}()
	select {
	case err := <-blocked:
		t.Fatalf("write beyond the bound returned at once (%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	_ = server.Close() // the flusher's write fails
	select {
	case err := <-blocked:
		if err == nil {
			t.Fatal("write after a socket error succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the blocked writer was not released by the socket error")
	}
	if _, err := c.Write([]byte("y")); err == nil || !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("later write: %v, want the socket's error", err)
	}
	_ = c.Close()
}

type countingConn struct {
	net.Conn
	mu sync.Mutex
	n  int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep did not report the elapsed delay")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) || time.Since(start) > time.Second {
		t.Error("Sleep did not return at once on an ended context")
	}
}
