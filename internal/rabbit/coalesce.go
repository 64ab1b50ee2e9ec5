package rabbit

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// maxPendingWrite bounds the bytes a coalescing connection holds before a
// writer waits for the socket (back-pressure from a slow or blocked broker).
const maxPendingWrite = 1 << 20

// writeChunk is the size of the pooled blocks pending bytes are kept in.
const writeChunk = 32 << 10

// chunks recycles write blocks across connections. A batch used to be one
// growing buffer, and one that outgrew what a connection kept (a burst while
// the broker read slowly) was reallocated from scratch: under load as many
// bytes were allocated as written.
var chunks = sync.Pool{New: func() any { b := make([]byte, 0, writeChunk); return &b }}

// coalescingConn batches the writes of an AMQP connection. amqp091 flushes
// after every publish and every ack — one write system call each, and one
// wake-up of the broker per frame. Here a write only appends to pooled blocks
// and one goroutine writes them to the socket (one writev): the frames that
// concurrent handlers produce while that write is under way leave in the next
// one, so under load one system call carries many frames, and when idle a
// frame leaves at once (there is no timer, nothing waits for more data).
//
// Order is kept (one list of blocks, one writer). A socket error is returned
// by every later Write and closes the socket, so amqp091's reader notices the
// loss as it would without the buffer.
type coalescingConn struct {
	net.Conn
	raw *rawSocket // nil when Conn is not a socket

	mu           sync.Mutex
	space        *sync.Cond // signalled when the flusher took the pending bytes
	pending      []*[]byte  // blocks from chunks; only the last one has room
	pendingBytes int
	spare        []*[]byte   // the flusher's previous list, for reuse
	iov          net.Buffers // the flusher's scratch (writev consumes it)
	err          error
	closed       bool

	wake chan struct{} // capacity 1: the flusher has something to write
	done chan struct{}
	once sync.Once

	// The read side (one reader: amqp091's reader goroutine).
	rbuf       []byte
	rpos, rend int
	pace       atomic.Int64  // nanoseconds, 0 until PaceReads
	streamPace time.Duration // what PaceReads sets: Settings.ReadPace
	lastRead   time.Time
	lastSmall  bool
}

// readBufferSize is the most one read system call takes from the socket.
// amqp091 reads through a 4 KiB bufio.Reader — two notifications — so under
// a backlog each delivery cost a read call; the broker streams deliveries as
// fast as prefetch allows, so a larger read takes tens at once.
const readBufferSize = 64 << 10

func newCoalescingConn(c net.Conn) *coalescingConn {
	cc := &coalescingConn{Conn: c, raw: newRawSocket(c), wake: make(chan struct{}, 1), done: make(chan struct{})}
	cc.space = sync.NewCond(&cc.mu)
	go cc.flush()
	return cc
}

// Write queues p for the flusher; it blocks only while maxPendingWrite bytes
// are waiting.
func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	for c.pendingBytes >= maxPendingWrite && c.err == nil && !c.closed {
		c.space.Wait()
	}
	if c.err != nil || c.closed {
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return 0, err
	}
	c.pendingBytes += len(p)
	for rest := p; len(rest) > 0; {
		var last *[]byte
		if k := len(c.pending); k > 0 && len(*c.pending[k-1]) < cap(*c.pending[k-1]) {
			last = c.pending[k-1]
		} else {
			last = chunks.Get().(*[]byte)
			c.pending = append(c.pending, last)
		}
		n := copy((*last)[len(*last):cap(*last)], rest)
		*last = (*last)[:len(*last)+n]
		rest = rest[n:]
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the flusher is already due to run
	}
	return len(p), nil
}

func (c *coalescingConn) flush() {
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		// Let the goroutines that are ready to run (handlers finishing the
		// deliveries of the same read) add their frames first: the batch then
		// leaves in one system call. Nothing waits on a clock.
		runtime.Gosched()
		c.mu.Lock()
		for len(c.pending) > 0 && c.err == nil {
			out := c.pending
			c.pending, c.spare = c.spare[:0], nil // the two lists alternate
			c.pendingBytes = 0
			c.mu.Unlock()
			c.iov = c.iov[:0]
			for _, b := range out {
				c.iov = append(c.iov, *b)
			}
			err := c.writeAll()
			clear(c.iov)
			for i, b := range out {
				*b = (*b)[:0]
				chunks.Put(b)
				out[i] = nil
			}
			c.mu.Lock()
			c.spare = out[:0]
			c.space.Broadcast()
			if err != nil {
				c.err = err
				c.mu.Unlock()
				_ = c.Conn.Close()
				return
			}
		}
		c.mu.Unlock()
	}
}

// Read serves amqp091's reader from a buffer filled by one system call.
func (c *coalescingConn) Read(p []byte) (int, error) {
	if c.rpos == c.rend {
		if len(p) >= readBufferSize {
			return c.readSocket(p)
		}
		if c.rbuf == nil {
			c.rbuf = make([]byte, readBufferSize)
		}
		if pace := time.Duration(c.pace.Load()); pace > 0 && c.lastSmall {
			if since := time.Since(c.lastRead); since < pace {
				time.Sleep(pace - since)
			}
		}
		n, err := c.readSocket(c.rbuf)
		if c.pace.Load() > 0 {
			c.lastRead, c.lastSmall = time.Now(), n < readBufferSize/4
		}
		c.rpos, c.rend = 0, n
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, c.rbuf[c.rpos:c.rend])
	c.rpos += n
	return n, nil
}

// writeAll writes c.iov to the socket.
func (c *coalescingConn) writeAll() error {
	if c.raw != nil {
		return c.raw.writeAll(c.iov)
	}
	iov := c.iov // WriteTo advances its receiver; c.iov keeps the array
	_, err := iov.WriteTo(c.Conn)
	return err
}

// readSocket reads once from the socket into p.
func (c *coalescingConn) readSocket(p []byte) (int, error) {
	if c.raw != nil {
		return c.raw.read(p)
	}
	return c.Conn.Read(p)
}

// Close closes the socket; bytes not yet written are dropped (amqp091 closes
// after the broker answered connection.close, or after a failure).
func (c *coalescingConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.space.Broadcast()
	c.mu.Unlock()
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}
