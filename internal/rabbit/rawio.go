package rabbit

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawSocket does a connection's reads and writes as raw system calls, which
// the Go scheduler does not see.
//
// A read or write through net.Conn enters the runtime's "syscall" state. With
// one CPU per worker (see service.WorkerProcs) and the broker on the same
// cores, such a call is often descheduled mid-way; the runtime's monitor then
// finds the worker's only P stuck in a system call, hands it to another
// thread, which wakes a third to poll the network, and the first parks when
// its call returns. Measured under the benchmark's load (one worker, 7,000
// notifications/s), these hand-offs and the monitor's 20 µs polling that they
// keep going were most of the process's 8,400 context switches per second,
// and context switching was a tenth of its CPU time. A socket in non-blocking
// mode never blocks in the call itself, so the hand-off buys nothing: the
// call is made raw, and when it would block the goroutine waits in the
// network poller as usual (syscall.RawConn), deadlines included.
type rawSocket struct {
	rc     syscall.RawConn
	iovecs []unix.Iovec // writev's scratch
}

// newRawSocket returns the raw socket of c, or nil when c is not a socket
// (tests use in-memory pipes: their calls go through c).
func newRawSocket(c net.Conn) *rawSocket {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &rawSocket{rc: rc}
}

// read reads once into p, waiting until the socket is readable; it returns
// io.EOF when the peer closed.
func (s *rawSocket) read(p []byte) (int, error) {
	var n int
	var errno syscall.Errno
	err := s.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
			if e == unix.EINTR {
				continue
			}
			n, errno = int(r), e
			return e != unix.EAGAIN
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// maxIovecs is the most buffers one writev takes (Linux's IOV_MAX).
const maxIovecs = 1024

// writeAll writes every byte of bufs (consumed as written), waiting whenever
// the socket is full.
func (s *rawSocket) writeAll(bufs [][]byte) error {
	var errno syscall.Errno
	err := s.rc.Write(func(fd uintptr) bool {
		for len(bufs) > 0 {
			s.iovecs = s.iovecs[:0]
			for _, b := range bufs[:min(len(bufs), maxIovecs)] {
				if len(b) > 0 {
					v := unix.Iovec{Base: unsafe.SliceData(b)}
					v.SetLen(len(b))
					s.iovecs = append(s.iovecs, v)
				}
			}
			if len(s.iovecs) == 0 {
				return true
			}
			r, _, e := unix.RawSyscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.iovecs))), uintptr(len(s.iovecs)))
			switch e {
			case 0:
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // wait until writable, then go on
			default:
				errno = e
				return true
			}
			bufs = consumeBuffers(bufs, int(r))
		}
		return true
	})
	clear(s.iovecs) // keep no block alive
	if err != nil {
		return err
	}
	if errno != 0 {
		return os.NewSyscallError("writev", errno)
	}
	return nil
}

// consumeBuffers drops the first n bytes of bufs.
func consumeBuffers(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs[0] = nil
		bufs = bufs[1:]
	}
	if len(bufs) > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}
