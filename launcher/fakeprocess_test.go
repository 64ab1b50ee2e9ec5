package launcher

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeProc is a worker "process" living in the test (style rule 15): it speaks the control
// protocol over the descriptors the launcher passed in ExtraFiles and can be told to exit,
// crash or ignore stop.
type fakeProc struct {
	pid      int
	ctl      *conn
	lifeline *os.File
	stderr   *os.File
	exited   chan struct{}
	once     sync.Once
	status   syscall.WaitStatus
}

func (f *fakeProc) Pid() int       { return f.pid }
func (f *fakeProc) String() string { return "pid=fake" }
func (f *fakeProc) Signal(sig os.Signal) error {
	if sig == syscall.SIGKILL {
		f.exit(syscall.WaitStatus(syscall.SIGKILL)) // low bits = terminating signal
	}
	return nil
}

func (f *fakeProc) Wait() (syscall.WaitStatus, error) {
	<-f.exited
	return f.status, nil
}

func (f *fakeProc) exit(ws syscall.WaitStatus) {
	f.once.Do(func() {
		f.status = ws
		f.ctl.close()
		f.lifeline.Close()
		f.stderr.Close()
		close(f.exited)
	})
}

func dupFile(t *testing.T, f *os.File, nonblock bool) *os.File {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	syscall.CloseOnExec(fd)
	if nonblock {
		_ = syscall.SetNonblock(fd, true)
	}
	return os.NewFile(uintptr(fd), f.Name())
}

// fakeEnv returns OS seams whose startProcess runs behave(f) on a goroutine instead of a process.
func fakeEnv(t *testing.T, behave func(f *fakeProc)) (*osEnv, *sync.WaitGroup) {
	env := realEnv()
	env.isDaemon = func() bool { return true }
	env.getenv = func(string) string { return "" }
	var wg sync.WaitGroup
	next := 1_000_000
	env.startProcess = func(cmd *exec.Cmd) (process, error) {
		next++
		f := &fakeProc{pid: next, exited: make(chan struct{}),
			lifeline: dupFile(t, cmd.ExtraFiles[0], true),
			ctl:      newConn(dupFile(t, cmd.ExtraFiles[1], true)),
			stderr:   dupFile(t, cmd.Stderr.(*os.File), false)}
		wg.Go(func() { behave(f) })
		return f, nil
	}
	return env, &wg
}

func TestFakeWorkerIgnoringStopIsKilledAtDeadline(t *testing.T) {
	env, wg := fakeEnv(t, func(f *fakeProc) {
		for {
			m, err := f.ctl.recv()
			if err != nil {
				return
			}
			if m.Type == msgSnapshot {
				_ = f.ctl.send(message{Type: msgReady})
			} // stop is ignored
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	s := Settings{Service: &funcService{}, os: env, Load: func() (*Generation, error) {
		return &Generation{Workers: 2, GracefulShutdownTimeout: 300 * time.Millisecond}, nil
	}}
	done := runAsync(ctx, s)
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	err := waitErr(t, done)
	if !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("Run = %v, want ErrShutdownTimeout", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Fatalf("stop took %s, want ≈300ms", d)
	}
	wg.Wait()
}

func TestFakeWorkerFatalIsNotRespawned(t *testing.T) {
	var mu sync.Mutex
	starts := 0
	env, wg := fakeEnv(t, func(f *fakeProc) {
		mu.Lock()
		starts++
		mu.Unlock()
		if _, err := f.ctl.recv(); err != nil {
			return
		}
		_ = f.ctl.send(message{Type: msgFatal, Reason: "pipeline.yaml:9: bad publisher"})
		f.exit(syscall.WaitStatus(ExitFatalConfig << 8))
	})
	s := Settings{Service: &funcService{}, os: env, Load: func() (*Generation, error) {
		return &Generation{Workers: 3}, nil
	}}
	err := waitErr(t, runAsync(context.Background(), s))
	if !errors.Is(err, ErrFatalConfig) || ExitCode(err) != ExitFatalConfig {
		t.Fatalf("Run = %v", err)
	}
	if want := "pipeline.yaml:9: bad publisher"; !strings.Contains(err.Error(), want) {
		t.Fatalf("Run = %v, want the reason %q", err, want)
	}
	wg.Wait()
	if starts != 3 {
		t.Fatalf("%d starts, want 3", starts)
	}
}
