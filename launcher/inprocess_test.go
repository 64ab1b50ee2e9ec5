package launcher

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// funcService is an in-process Service for Run called from the test process itself.
type funcService struct {
	ready chan struct{}
	run   func(ctx context.Context) error
}

func (f *funcService) Run(ctx context.Context, _ []byte, ready func()) error {
	ready()
	close(f.ready)
	if f.run != nil {
		return f.run(ctx)
	}
	<-ctx.Done()
	return nil
}

func inprocSettings(svc Service, load func() (*Generation, error)) Settings {
	s := Settings{Load: load, Service: svc, os: realEnv()}
	s.os.isDaemon = func() bool { return true }
	s.os.getenv = func(string) string { return "" } // no NOTIFY_SOCKET of the test's environment
	return s
}

func runAsync(ctx context.Context, s Settings) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Run(ctx, s) }()
	return done
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// workers=1: the service runs in-process; ctx cancellation is a graceful stop; no goroutine is
// left behind.
func TestRunInProcessStopsOnContext(t *testing.T) {
	c := make(chan os.Signal, 1) // start os/signal's own (permanent) goroutine before counting
	signal.Notify(c, syscall.SIGUSR1)
	signal.Stop(c)
	before := runtime.NumGoroutine()
	svc := &funcService{ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(ctx, inprocSettings(svc, func() (*Generation, error) {
		return &Generation{Workers: 1, Snapshot: []byte("{}")}, nil
	}))
	select {
	case <-svc.ready:
	case <-time.After(5 * time.Second):
		t.Fatal("service not started")
	}
	cancel()
	if err := waitErr(t, done); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if !waitFor(2*time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines leaked: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
}

func TestRunRefusesBadGenerations(t *testing.T) {
	svc := &funcService{ready: make(chan struct{})}
	for _, tc := range []struct {
		name string
		load func() (*Generation, error)
		want string
		code int
	}{
		{"workers=0", func() (*Generation, error) { return &Generation{Workers: 0}, nil }, "Number of workers should be positive!", ExitFatalConfig},
		{"restart_method", func() (*Generation, error) { return &Generation{Workers: 1, RestartMethod: "x"}, nil }, "Invalid restart_method: x", ExitFatalConfig},
		{"load error", func() (*Generation, error) { return nil, errors.New("ceilometer.conf:3: bad") }, "ceilometer.conf:3: bad", ExitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := waitErr(t, runAsync(context.Background(), inprocSettings(svc, tc.load)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want %q", err, tc.want)
			}
			if got := ExitCode(err); got != tc.code {
				t.Fatalf("ExitCode = %d, want %d", got, tc.code)
			}
		})
	}
}

// A fatal error of the in-process service ends Run with that error (ExitFatalConfig).
func TestRunInProcessFatal(t *testing.T) {
	svc := &funcService{ready: make(chan struct{}), run: func(context.Context) error {
		return errors.Join(ErrFatalConfig, errors.New("pipeline.yaml:7: unknown publisher"))
	}}
	err := waitErr(t, runAsync(context.Background(), inprocSettings(svc, func() (*Generation, error) {
		return &Generation{Workers: 1}, nil
	})))
	if !errors.Is(err, ErrFatalConfig) || ExitCode(err) != ExitFatalConfig {
		t.Fatalf("Run = %v", err)
	}
}
