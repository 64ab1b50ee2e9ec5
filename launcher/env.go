package launcher

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// process is the launcher's view of a started worker process (style rule 15).
type process interface {
	Signal(sig os.Signal) error
	// Wait blocks until the process exits and returns its wait status.
	Wait() (syscall.WaitStatus, error)
	Pid() int
	String() string // "pid=N"
}

// osEnv holds every OS seam the launcher uses. realEnv fills it with the real OS; tests may
// replace single functions.
type osEnv struct {
	startProcess func(cmd *exec.Cmd) (process, error)
	now          func() time.Time // must carry a monotonic reading (time.Now does)
	getenv       func(string) string
	environ      func() []string
	executable   func() (string, error)
	selfExe      string   // "/proc/self/exe" where available: the running image, even if replaced on disk
	args         []string // arguments without the program name
	getpid       func() int
	isDaemon     func() bool // oslo's _is_daemon, evaluated once at start
	stderr       io.Writer
}

func realEnv() *osEnv {
	return &osEnv{
		startProcess: startExecProcess,
		now:          time.Now,
		getenv:       os.Getenv,
		environ:      os.Environ,
		executable:   os.Executable,
		selfExe:      procSelfExe(),
		args:         append([]string(nil), os.Args[1:]...),
		getpid:       os.Getpid,
		isDaemon:     isDaemon,
		stderr:       os.Stderr,
	}
}

func (e *osEnv) progName() string {
	if exe, err := e.executable(); err == nil {
		return filepath.Base(exe)
	}
	return filepath.Base(os.Args[0])
}

func procSelfExe() string {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe"
	}
	return ""
}

type execProcess struct{ cmd *exec.Cmd }

func startExecProcess(cmd *exec.Cmd) (process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return execProcess{cmd}, nil
}

func (p execProcess) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }
func (p execProcess) Pid() int                   { return p.cmd.Process.Pid }
func (p execProcess) String() string             { return fmt.Sprintf("pid=%d", p.cmd.Process.Pid) }

func (p execProcess) Wait() (syscall.WaitStatus, error) {
	err := p.cmd.Wait()
	if ps := p.cmd.ProcessState; ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
			return ws, nil
		}
	}
	return 0, err
}

// isDaemon is oslo's _is_daemon: true unless stdout is a terminal whose foreground process group
// is ours. Unlike oslo, every error (ENOTTY, EIO after a hang-up, EBADF) means "daemon".
func isDaemon() bool {
	fg, err := unix.IoctlGetInt(1, unix.TIOCGPGRP) // fd 1 = stdout, as oslo
	if err != nil {
		return true
	}
	return fg != unix.Getpgrp()
}

// signalName returns the conventional name of sig ("SIGTERM"), never oslo's SIG_UNBLOCK bug.
func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if n := unix.SignalName(s); n != "" {
			return n
		}
	}
	return sig.String()
}

// monotonicUsec reads CLOCK_MONOTONIC in microseconds (for systemd's MONOTONIC_USEC).
func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() / 1000
}

var errNoFD = errors.New("descriptor not inherited")
