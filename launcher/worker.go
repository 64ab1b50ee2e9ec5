package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/openstack-go/agent-notification/internal/metrics"
)

// snapshotTimeout bounds the wait for the parent's first message.
const snapshotTimeout = 30 * time.Second

// IsWorker reports whether this process was started by a launcher as a worker (the sentinel
// environment variable is present). main then calls RunWorker instead of Run.
func IsWorker() bool { return os.Getenv(envWorker) != "" }

// NewWorkerLogger returns the logger a worker's main should use: JSON lines on stderr at the
// parent's level, which the parent re-emits with the worker id attached.
func NewWorkerLogger(name string) hclog.Logger {
	level := hclog.LevelFromString(os.Getenv(envLogLevel))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: level, JSONFormat: true, Output: os.Stderr})
}

// RunWorker is a worker's entry point (main calls it when IsWorker). It receives its generation
// over the control channel, runs Settings.Service, reports readiness and heartbeats, and stops on
// the parent's stop message, on SIGTERM (once; repeated SIGTERMs are ignored), or when the
// lifeline reports the parent's death (then it exits 1 after a graceful stop bounded by
// graceful_shutdown_timeout). SIGINT returns ErrInterrupted at once. Settings.Load is not used.
func RunWorker(ctx context.Context, s Settings) error {
	if s.Service == nil {
		return errors.New("launcher: Settings.Service is nil")
	}
	if s.Logger == nil {
		s.Logger = NewWorkerLogger("")
	}
	if s.HeartbeatInterval <= 0 {
		s.HeartbeatInterval = 5 * time.Second
	}
	if s.os == nil {
		s.os = realEnv()
	}
	if s.Name == "" {
		s.Name = s.os.progName()
	}
	notManaged := func(cause error) error {
		return fmt.Errorf("%w (%v). It is started by the agent-notification launcher with inherited "+
			"descriptors; run agent-notification without %s set, or use the worker command to run one worker "+
			"in the foreground", ErrNotManaged, cause, envWorker)
	}
	if v := os.Getenv(envWorker); v != workerCookie {
		return notManaged(fmt.Errorf("%s=%q is not the expected value", envWorker, v))
	}
	lifeline, err := inheritedFile(fdLifeline, "lifeline", syscall.S_IFIFO)
	if err != nil {
		return notManaged(err)
	}
	ctlFile, err := inheritedFile(fdControl, "control", syscall.S_IFSOCK)
	if err != nil {
		lifeline.Close()
		return notManaged(err)
	}
	var raw *os.File
	var st syscall.Stat_t
	if syscall.Fstat(fdRawStderr, &st) == nil {
		syscall.CloseOnExec(fdRawStderr)
		raw = os.NewFile(fdRawStderr, "stderr-raw")
	}
	id, _ := strconv.Atoi(os.Getenv(envWorkerID))
	c := &child{s: &s, log: s.Logger.Named("launcher"), ctl: newConn(ctlFile), lifeline: lifeline, raw: raw,
		id: id, done: make(chan struct{})}
	return c.run(ctx)
}

// child is a worker's control loop; its fields belong to the loop goroutine.
type child struct {
	s        *Settings
	log      hclog.Logger
	ctl      *conn
	lifeline *os.File
	raw      *os.File // the parent's stderr, used once the parent is gone
	id       int

	snap       message // last snapshot/reload applied
	started    bool
	state      workerState
	stopping   bool
	parentGone bool
	result     error // what run returns once the service has drained
	svcCancel  context.CancelFunc

	done chan struct{} // closed when run returns; producers stop
	wg   sync.WaitGroup
}

func (c *child) run(ctx context.Context) error {
	sigCh := make(chan os.Signal, 8)
	signal.Notify(sigCh, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGPIPE)
	defer signal.Stop(sigCh)
	defer c.cleanup()

	msgs := make(chan message)
	ctlEOF := make(chan struct{})
	lifeDead := make(chan struct{})
	c.wg.Go(func() {
		defer close(ctlEOF)
		for {
			m, err := c.ctl.recv()
			if err != nil {
				return
			}
			select {
			case msgs <- m:
			case <-c.done:
				return
			}
		}
	})
	c.wg.Go(func() { // lifeline: the parent never writes, so any return means it is gone
		var b [1]byte
		_, err := c.lifeline.Read(b[:])
		if errors.Is(err, os.ErrClosed) {
			return
		}
		close(lifeDead)
	})

	readyCh := make(chan struct{}, 1)
	ready := func() {
		select {
		case readyCh <- struct{}{}:
		default:
		}
	}
	var readyOnce sync.Once
	svcDone := make(chan error, 1)
	reloadDone := make(chan error, 4)
	snapT := time.NewTimer(snapshotTimeout)
	defer snapT.Stop()
	hb := time.NewTicker(c.s.HeartbeatInterval)
	defer hb.Stop()
	deadline := stoppedTimer()
	defer deadline.Stop()
	ctxDone := ctx.Done()

	// begin starts the graceful stop; it returns true when run can return at once.
	begin := func(timeout time.Duration, result error) bool {
		if c.stopping {
			return false
		}
		c.stopping, c.result, c.state = true, result, workerDraining
		if !c.started {
			return true
		}
		c.svcCancel()
		if timeout > 0 {
			deadline.Reset(timeout)
		}
		return false
	}

	for {
		select {
		case sig := <-sigCh:
			switch sig {
			case syscall.SIGTERM:
				if c.stopping {
					c.log.Info("ignoring repeated SIGTERM while draining")
					continue
				}
				c.log.Info("Child caught SIGTERM, stopping")
				if begin(c.snap.Timeout, nil) {
					return nil
				}
			case syscall.SIGINT:
				c.log.Info("Caught SIGINT signal, instantaneous exiting")
				return ErrInterrupted
			case syscall.SIGHUP:
				c.log.Info("Child caught SIGHUP, handling")
				c.sendToParent(message{Type: msgReloadRequest})
			case syscall.SIGUSR2:
				c.report()
			}
		case m := <-msgs:
			switch m.Type {
			case msgSnapshot:
				if c.started || c.stopping {
					continue
				}
				snapT.Stop()
				c.snap, c.started, c.state = m, true, workerStarting
				svcCtx, cancel := context.WithCancel(context.Background())
				c.svcCancel = cancel
				snapshot := m.Snapshot
				c.log.Debug("starting service", "generation", m.Generation)
				c.wg.Go(func() { svcDone <- c.s.Service.Run(svcCtx, snapshot, func() { readyOnce.Do(ready) }) })
			case msgStop:
				c.log.Debug("stop requested by the parent")
				if begin(m.Timeout, nil) {
					return nil
				}
			case msgReload:
				c.reload(m, reloadDone)
			case msgReport:
				c.report()
			case msgMetrics:
				c.metrics(m.Seq)
			}
		case err := <-reloadDone:
			msg := message{Type: msgReloaded}
			if err != nil {
				msg.Error = err.Error()
			}
			c.sendToParent(msg)
		case <-lifeDead:
			lifeDead = nil
			if c.parentDied(begin) {
				return ErrParentDied
			}
		case <-ctlEOF:
			ctlEOF = nil // the lifeline reports the parent's death; a closed control channel alone is not enough
		case <-readyCh:
			if !c.stopping {
				c.state = workerReady
				c.sendToParent(message{Type: msgReady})
			}
		case <-hb.C:
			c.sendToParent(message{Type: msgHeartbeat})
		case <-snapT.C:
			if !c.started {
				return fmt.Errorf("launcher: no configuration received from the parent within %s", snapshotTimeout)
			}
		case <-ctxDone:
			ctxDone = nil
			if begin(c.snap.Timeout, nil) {
				return nil
			}
		case <-deadline.C:
			c.log.Error("Graceful shutdown timeout exceeded, instantaneous exiting")
			return ErrShutdownTimeout
		case err := <-svcDone:
			return c.finish(err)
		}
	}
}

func (c *child) cleanup() {
	close(c.done)
	if c.svcCancel != nil {
		c.svcCancel()
	}
	c.lifeline.Close()
	c.ctl.close()
	waited := make(chan struct{})
	go func() { c.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(100 * time.Millisecond): // a service that ignores ctx (SIGINT, timeout paths)
	}
}

// parentDied handles lifeline EOF: from now on log to the operator's stderr directly, then stop
// gracefully with the generation's deadline; RunWorker will return ErrParentDied.
func (c *child) parentDied(begin func(time.Duration, error) bool) bool {
	c.parentGone = true
	if c.raw != nil {
		_ = unix.Dup3(int(c.raw.Fd()), 2, 0)
	}
	c.log.Info("Parent process has died unexpectedly, exiting")
	return begin(c.snap.Timeout, ErrParentDied)
}

func (c *child) finish(err error) error {
	if c.stopping {
		if c.result != nil {
			return c.result
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
	if err == nil {
		return errors.New("launcher: service stopped unexpectedly")
	}
	if errors.Is(err, ErrFatalConfig) {
		c.sendToParent(message{Type: msgFatal, Reason: err.Error()})
	}
	return err
}

func (c *child) reload(m message, done chan<- error) {
	r, ok := c.s.Service.(Reloader)
	switch {
	case !ok:
		done <- errors.New("service does not support restart_method=mutate")
		return
	case !c.started || c.stopping:
		done <- errors.New("worker is not running")
		return
	}
	c.log.Info("applying new configuration in place", "generation", m.Generation)
	c.wg.Go(func() { done <- r.Reload(context.Background(), m.Snapshot) })
	c.snap.Generation, c.snap.ConfigDump, c.snap.LogDir = m.Generation, m.ConfigDump, m.LogDir
	if m.Timeout != 0 {
		c.snap.Timeout = m.Timeout
	}
}

// metrics answers the parent's scrape seq with the service's report
// (MetricsReporter), gathered off the loop; a service without the ability
// reports only its readiness as the launcher sees it.
func (c *child) metrics(seq uint64) {
	if c.parentGone {
		return
	}
	r, ok := c.s.Service.(MetricsReporter)
	if !ok || !c.started {
		rep := &metrics.Report{Ready: c.state == workerReady && !c.stopping}
		if !rep.Ready {
			rep.Reason = c.state.String()
		}
		c.sendToParent(message{Type: msgMetricsReport, Seq: seq, Metrics: rep})
		return
	}
	ctl, log := c.ctl, c.log
	c.wg.Go(func() {
		rep := r.Metrics()
		if err := ctl.send(message{Type: msgMetricsReport, Seq: seq, Metrics: &rep}); err != nil {
			log.Debug("control channel write failed", "type", msgMetricsReport, "error", err)
		}
	})
}

func (c *child) sendToParent(m message) {
	if c.parentGone {
		return
	}
	if err := c.ctl.send(m); err != nil {
		c.log.Debug("control channel write failed", "type", m.Type, "error", err)
	}
}

// report writes this worker's diagnostics report to log_dir, or hands it to the parent, which
// writes it to its stderr (the worker's own stderr is the parent's log pipe).
func (c *child) report() {
	now := c.s.os.now()
	in := reportInput{Name: c.s.Name, Version: c.s.Version, Role: "worker", Now: now, ConfigDump: c.snap.ConfigDump,
		Self: reportProcess{Pid: os.Getpid(), PPid: os.Getppid(),
			State: fmt.Sprintf("%s, worker_id: %d, generation: %d", c.state, c.id, c.snap.Generation)}}
	text := buildReport(in)
	if c.snap.LogDir == "" && !c.parentGone {
		c.sendToParent(message{Type: msgReportText, Text: text})
		return
	}
	path, err := writeReport(text, c.snap.LogDir, c.s.Name, in.Self.Pid, now, os.Stderr)
	if err != nil {
		c.log.Error("Unable to run Guru Meditation Report!", "error", err)
		return
	}
	c.log.Info("diagnostics report written", "path", path)
}
