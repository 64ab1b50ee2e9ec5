package rabbit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
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

// countingConn counts the socket calls the coalescing conn makes.
type countingConn struct {
	net.Conn
	mu            sync.Mutex
	nRead, nWrite int
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.nRead++
	c.mu.Unlock()
	return c.Conn.Read(p)
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.nWrite++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nRead
}

func (c *countingConn) writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nWrite
}

// streamSmall writes n small frames, one every gap, and closes the pipe.
func streamSmall(server net.Conn, n int, gap time.Duration) {
	go func() {
		defer server.Close()
		for i := range n {
			if _, err := server.Write([]byte{byte(i), 1, 2, 3, 4, 5, 6, 7}); err != nil {
				return
			}
			time.Sleep(gap)
		}
	}()
}

// readAll reads through a 4 KiB bufio.Reader as amqp091 does and returns the
// bytes received.
func readAll(t *testing.T, c net.Conn) int {
	t.Helper()
	b, err := io.ReadAll(bufio.NewReader(c))
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return len(b)
}

// Unpaced, every small frame that arrives alone costs a read call (and
// arrives at once); paced, the reads of a stream are at least the pace apart
// and take what arrived meanwhile, and nothing is lost.
func TestCoalescingConnPacesReads(t *testing.T) {
	const frames, gap, pace = 60, time.Millisecond, 20 * time.Millisecond

	client, server := net.Pipe()
	counting := &countingConn{Conn: client}
	c := newCoalescingConn(counting)
	streamSmall(server, frames, gap)
	if got := readAll(t, c); got != frames*8 {
		t.Fatalf("unpaced: %d bytes, want %d", got, frames*8)
	}
	unpaced := counting.reads()
	_ = c.Close()

	// net.Pipe hands over one Write per Read: use a real socket, whose
	// kernel buffer holds what arrives while the reader waits.
	raw, server := tcpPair(t)
	counting = &countingConn{Conn: raw}
	c = newCoalescingConn(counting)
	defer c.Close()
	c.pace.Store(int64(pace))
	streamSmall(server, frames, gap)
	start := time.Now()
	if got := readAll(t, c); got != frames*8 {
		t.Fatalf("paced: %d bytes, want %d", got, frames*8)
	}
	paced, took := counting.reads(), time.Since(start)
	// 60 frames over ≥ 60 ms: at most one read per 20 ms (+ the first and
	// the end of stream).
	if limit := int(took/pace) + 3; paced > limit {
		t.Errorf("paced: %d read calls in %v, want at most %d", paced, took, limit)
	}
	if unpaced < frames/2 {
		t.Errorf("unpaced: only %d read calls for %d frames sent apart: the test does not exercise pacing", unpaced, frames)
	}
	t.Logf("%d frames: %d reads unpaced, %d paced (%v)", frames, unpaced, paced, took)
}

// A read that follows a small one within the pace waits for the rest of it;
// after an idle spell longer than the pace, the first read is not delayed.
func TestCoalescingConnPaceSparesIdleReads(t *testing.T) {
	const pace = 80 * time.Millisecond
	client, server := net.Pipe()
	c := newCoalescingConn(client)
	defer c.Close()
	c.pace.Store(int64(pace))
	go func() {
		for _, after := range []time.Duration{0, 0, 2 * pace} {
			time.Sleep(after)
			if _, err := server.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 8)
	read := func() time.Duration {
		start := time.Now()
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	read() // small: the next read is paced
	if d := read(); d < pace/2 {
		t.Errorf("read right after a small one took %v, want about %v", d, pace)
	}
	time.Sleep(pace + pace/2) // idle longer than the pace
	if d := read(); d > pace/2+pace/4 {
		t.Errorf("first read after an idle spell took %v: it was paced", d)
	}
}

// Bursts larger than any one buffer, written while the socket is slow, reuse
// pooled blocks: the bytes allocated stay a small part of the bytes written
// (a growing buffer dropped after each burst allocated them all again).
func TestCoalescingConnRecyclesBuffers(t *testing.T) {
	client, server := net.Pipe()
	c := newCoalescingConn(client)
	defer c.Close()
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := server.Read(buf); err != nil {
				return
			}
			time.Sleep(50 * time.Microsecond) // a slow broker: bursts pile up
		}
	}()
	frame := make([]byte, 3000)
	const total = 16 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for written := 0; written < total; written += len(frame) {
		if _, err := c.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	// About 3 % here (-race drops a share of what pools are given); the
	// growing buffer allocated 5 times what it wrote.
	if got := after.TotalAlloc - before.TotalAlloc; got > total/2 {
		t.Errorf("%d MiB allocated to write %d MiB", got>>20, total>>20)
	} else {
		t.Logf("%d KiB allocated to write %d MiB", got>>10, total>>20)
	}
}
