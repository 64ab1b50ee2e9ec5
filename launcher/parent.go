package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/internal/metrics"
)

// workerState is the parent's view of one worker: starting → ready → draining → exited.
type workerState int

const (
	workerStarting workerState = iota // started, snapshot sent, not ready yet
	workerReady                       // reported ready (consuming)
	workerDraining                    // told to stop
	workerExited                      // reaped
)

func (s workerState) String() string {
	switch s {
	case workerStarting:
		return "starting"
	case workerReady:
		return "ready"
	case workerDraining:
		return "draining"
	default:
		return "exited"
	}
}

// generation is one Generation together with its worker slots.
type generation struct {
	num   int
	g     *Generation
	slots []*slot
}

// slot is one worker position (worker_id = id) of a generation; it holds at most one live worker.
type slot struct {
	id       int
	w        *worker
	failures int // consecutive quick failures (RespawnPolicy)
	fatal    bool
	reason   string
	removed  bool // dropped by a mutate that lowered the worker count
}

// worker is one running instance of the service: a child process, or (workers=1) a goroutine of
// the parent. Fields are owned by the control loop.
type worker struct {
	serial    int // unique per parent: names the worker in scrape answers
	slot      *slot
	gen       *generation
	genNum    int // generation whose snapshot it runs (changes on mutate)
	state     workerState
	started   time.Time
	heartbeat time.Time
	pid       int
	reason    string // fatal reason reported over the control channel
	log       hclog.Logger

	// child process
	proc     process
	outbox   chan message // drained by the worker's writer goroutine; closed by the loop at reap
	ctl      *conn
	lifeline *os.File // write end; never written; closed at reap
	readyT   *time.Timer

	// in-process (workers=1)
	cancel context.CancelFunc
}

func (w *worker) inproc() bool { return w.proc == nil }

type eventKind int

const (
	evMessage      eventKind = iota // msg from a worker
	evExit                          // a child was reaped (status) or the in-process Run returned (err)
	evReadyTimeout                  // a worker did not report ready in time
	evReloadDone                    // in-process Reloader.Reload returned (err)
)

type event struct {
	kind   eventKind
	w      *worker
	msg    message
	status syscall.WaitStatus
	err    error
}

type spawnReq struct {
	gen       *generation
	slot      *slot
	notBefore time.Time
}

// parent is the control loop of Run. Everything but the event producers runs on the loop's
// goroutine; producers hand events over p.events and stop producing once p.done is closed.
type parent struct {
	s    *Settings
	env  *osEnv
	log  hclog.Logger // Named("launcher")
	wlog hclog.Logger // Named("worker")

	inproc bool
	daemon bool
	notify *notifier

	genCounter int
	cur, next  *generation // next != nil while a rolling reload runs
	workers    map[*worker]struct{}

	limiter *forkLimiter
	queue   []spawnReq
	slept   bool // the next fork already waited for the limiter

	spawnT, debounceT, deadlineT, rollT *time.Timer
	spawnArmed, debounceArmed           bool

	// metrics endpoint (metrics.go); the counters are loop-owned
	metricsSrv    *metrics.Server
	metricsAddr   string // configured address metricsSrv serves
	scrapes       chan scrapeReq
	collectors    map[uint64]*collector
	scrapeSeq     uint64
	serials       int
	reloadsOK     uint64
	reloadsFailed uint64
	mutateFailed  bool
	restarts      map[int]uint64 // worker id → respawns after an unexpected exit

	stopping      bool
	stopErr       error
	readySent     bool
	reloadPending bool
	mutatePending map[*worker]bool

	events chan event
	done   chan struct{}
	wg     sync.WaitGroup
}

func newParent(s *Settings) *parent {
	return &parent{
		s:             s,
		env:           s.os,
		log:           s.Logger.Named("launcher"),
		wlog:          s.Logger.Named("worker"),
		workers:       map[*worker]struct{}{},
		mutatePending: map[*worker]bool{},
		scrapes:       make(chan scrapeReq),
		collectors:    map[uint64]*collector{},
		restarts:      map[int]uint64{},
		events:        make(chan event, 64),
		done:          make(chan struct{}),
	}
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// post hands ev to the control loop; it gives up once the loop has returned.
func (p *parent) post(ev event) {
	select {
	case p.events <- ev:
	case <-p.done:
	}
}

func (p *parent) run(ctx context.Context) error {
	// Signal handling first (oslo pitfall: a signal during start-up must not kill us).
	sigCh := make(chan os.Signal, 8)
	signal.Notify(sigCh, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGPIPE)
	defer signal.Stop(sigCh)

	g, err := p.s.Load()
	if err != nil {
		return fmt.Errorf("load configuration: %w", err)
	}
	if err := validate(g); err != nil {
		return err
	}
	p.daemon = p.env.isDaemon()
	p.notify = newNotifier(p.env.getenv, p.env.getpid())
	p.inproc = g.Workers == 1
	p.limiter = newForkLimiter(g.Workers)
	p.spawnT, p.debounceT, p.deadlineT, p.rollT = stoppedTimer(), stoppedTimer(), stoppedTimer(), stoppedTimer()
	defer p.cleanup()

	var watchdog <-chan time.Time
	if p.notify != nil && p.notify.watchdog > 0 {
		t := time.NewTicker(p.notify.watchdog)
		defer t.Stop()
		watchdog = t.C
	}

	p.cur = p.newGeneration(g)
	if g.ConfigDump != "" {
		p.log.Debug("Full set of CONF:\n" + g.ConfigDump) // oslo log_options: once, parent only
	}
	if p.inproc {
		p.log.Debug("starting service in-process", "generation", p.cur.num)
	} else {
		p.log.Info(fmt.Sprintf("Starting %d workers", g.Workers), "generation", p.cur.num)
	}
	p.setMetricsListen(g.MetricsListen)
	p.enqueueAll(p.cur)
	p.pump()

	ctxDone := ctx.Done()
	for {
		if p.stopping && len(p.workers) == 0 {
			return p.stopErr
		}
		select {
		case <-ctxDone:
			ctxDone = nil
			if !p.stopping {
				p.log.Info("context cancelled, stopping children")
				p.beginStop()
			}
		case sig := <-sigCh:
			if exit, err := p.onSignal(sig); exit {
				return err
			}
		case ev := <-p.events:
			p.onEvent(ev)
		case req := <-p.scrapes:
			p.onScrape(req)
		case <-p.spawnT.C:
			p.spawnArmed = false
			p.pump()
		case <-p.debounceT.C:
			p.debounceArmed = false
			p.reload()
		case <-p.rollT.C:
			p.rollTimeout()
		case <-p.deadlineT.C:
			if exit, err := p.deadlineExceeded(); exit {
				return err
			}
		case <-watchdog:
			p.sdNotify(sdWatchdog)
		}
	}
}

// cleanup runs when run returns: it makes sure no child outlives the parent's supervision and
// waits (boundedly, for the fast-exit paths) for every goroutine the loop started.
func (p *parent) cleanup() {
	for _, t := range []*time.Timer{p.spawnT, p.debounceT, p.deadlineT, p.rollT} {
		t.Stop()
	}
	for w := range p.workers {
		p.kill(w)
		p.release(w) // closes outbox, control and lifeline: the worker's goroutines can end
	}
	close(p.done)
	p.stopMetrics() // after done: handlers waiting for the loop give up
	waited := make(chan struct{})
	go func() { p.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(50 * time.Millisecond):
		// Fast exit (SIGINT, timeout with an in-process service that ignores ctx): the
		// remaining goroutines end with the process.
	}
}

func (p *parent) sdNotify(state string) {
	if err := p.notify.send(state); err != nil {
		p.log.Debug("Systemd notification failed", "error", err)
	}
}

func (p *parent) newGeneration(g *Generation) *generation {
	p.genCounter++
	gen := &generation{num: p.genCounter, g: g}
	for i := 1; i <= g.Workers; i++ {
		gen.slots = append(gen.slots, &slot{id: i})
	}
	return gen
}

func (p *parent) enqueueAll(gen *generation) {
	now := p.env.now()
	for _, sl := range gen.slots {
		p.queue = append(p.queue, spawnReq{gen: gen, slot: sl, notBefore: now})
	}
}

// live reports whether a spawn request still makes sense.
func (p *parent) live(r spawnReq) bool {
	return (r.gen == p.cur || r.gen == p.next) && r.slot.w == nil && !r.slot.fatal && !r.slot.removed
}

// pump starts queued workers: back-off first (notBefore), then oslo's fork-rate floor. It arms
// spawnT instead of sleeping, so signals and exits are handled meanwhile.
func (p *parent) pump() {
	for len(p.queue) > 0 && !p.stopping && !p.spawnArmed {
		now := p.env.now()
		idx, earliest := -1, time.Time{}
		kept := p.queue[:0]
		for _, r := range p.queue {
			if p.live(r) {
				kept = append(kept, r)
			}
		}
		p.queue = kept
		for i, r := range p.queue {
			if !r.notBefore.After(now) {
				idx = i
				break
			}
			if earliest.IsZero() || r.notBefore.Before(earliest) {
				earliest = r.notBefore
			}
		}
		if idx < 0 {
			if !earliest.IsZero() {
				p.arm(p.spawnT, earliest.Sub(now), &p.spawnArmed)
			}
			return
		}
		if !p.inproc && !p.slept {
			if d := p.limiter.delay(now); d > 0 {
				p.log.Info("Forking too fast, sleeping")
				p.slept = true
				p.arm(p.spawnT, d, &p.spawnArmed)
				return
			}
		}
		p.slept = false
		r := p.queue[idx]
		p.queue = append(p.queue[:idx], p.queue[idx+1:]...)
		if !p.inproc {
			p.limiter.record(now)
		}
		p.spawn(r.gen, r.slot)
	}
}

func (p *parent) arm(t *time.Timer, d time.Duration, armed *bool) {
	t.Reset(d)
	if armed != nil {
		*armed = true
	}
}

func (p *parent) spawn(gen *generation, sl *slot) {
	if p.inproc {
		p.spawnInproc(gen, sl)
		return
	}
	w, err := p.startChild(gen, sl)
	if err != nil {
		p.log.Error("cannot start worker", "worker_id", sl.id, "error", err)
		var d time.Duration
		sl.failures, d = p.s.Respawn.next(sl.failures, 0)
		p.queue = append(p.queue, spawnReq{gen: gen, slot: sl, notBefore: p.env.now().Add(d)})
		if !p.spawnArmed {
			p.arm(p.spawnT, max(d, 10*time.Millisecond), &p.spawnArmed)
		}
		return
	}
	sl.w = w
	p.workers[w] = struct{}{}
	p.log.Debug(fmt.Sprintf("Started child %d", w.pid), "worker_id", sl.id, "generation", gen.num)
}

func (p *parent) startChild(gen *generation, sl *slot) (w *worker, err error) {
	var childEnds, parentEnds []*os.File // childEnds are closed here in any case, parentEnds on error
	defer func() {
		for _, f := range childEnds {
			f.Close()
		}
		if err != nil {
			for _, f := range parentEnds {
				f.Close()
			}
		}
	}()
	lr, lw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("lifeline pipe: %w", err)
	}
	childEnds, parentEnds = append(childEnds, lr), append(parentEnds, lw)
	pc, wc, err := socketPair()
	if err != nil {
		return nil, err
	}
	childEnds, parentEnds = append(childEnds, wc), append(parentEnds, pc)
	er, ew, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	childEnds, parentEnds = append(childEnds, ew), append(parentEnds, er)
	exe, err := p.env.executable()
	if err != nil {
		return nil, fmt.Errorf("find executable: %w", err)
	}
	cmd := exec.Command(exe, p.env.args...)
	if p.env.selfExe != "" {
		// Execute the parent's own image even if the file was replaced since (package upgrade):
		// siblings and respawns never run a different binary than their parent.
		cmd.Path = p.env.selfExe
	}
	cmd.Env = workerEnv(p.env.environ(), sl.id, gen.num, levelName(p.s.Logger))
	cmd.Stdout = os.Stdout
	cmd.Stderr = ew
	cmd.ExtraFiles = []*os.File{lr, wc, os.Stderr} // fdLifeline, fdControl, fdRawStderr
	proc, err := p.env.startProcess(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}

	outbox := make(chan message, 16)
	p.serials++
	w = &worker{
		serial: p.serials, slot: sl, gen: gen, genNum: gen.num, state: workerStarting, started: p.env.now(),
		pid: proc.Pid(), proc: proc, ctl: newConn(pc), lifeline: lw, outbox: outbox,
		log: p.wlog.With("worker_id", sl.id),
	}
	outbox <- message{Type: msgSnapshot, Generation: gen.num, Snapshot: gen.g.Snapshot,
		ConfigDump: gen.g.ConfigDump, LogDir: gen.g.LogDir, Timeout: gen.g.GracefulShutdownTimeout}

	ctl, log := w.ctl, w.log
	logsDone, readerDone := make(chan struct{}), make(chan struct{})
	p.wg.Go(func() { // log forwarder: ends at EOF, when the child (and anything it started) closed stderr
		defer close(logsDone)
		defer er.Close()
		forwardLogs(er, log)
	})
	p.wg.Go(func() { // writer: ends when the loop closes outbox (at reap)
		failed := false
		for m := range outbox {
			if !failed {
				failed = ctl.send(m) != nil // the child is gone; its exit is on the way
			}
		}
	})
	p.wg.Go(func() { // reader: ends at EOF (child exited) or when the loop closes the conn
		defer close(readerDone)
		for {
			m, err := ctl.recv()
			if err != nil {
				return
			}
			p.post(event{kind: evMessage, w: w, msg: m})
		}
	})
	p.wg.Go(func() { // waiter: the only reaper of this pid
		ws, _ := proc.Wait()
		// Let the last log lines and control messages (fatal reason) arrive before the exit,
		// for at most 200 ms (a grandchild could keep stderr open).
		grace := make(chan struct{})
		t := time.AfterFunc(200*time.Millisecond, func() { close(grace) })
		defer t.Stop()
		for _, c := range []chan struct{}{readerDone, logsDone} {
			select {
			case <-c:
			case <-grace:
			}
		}
		p.post(event{kind: evExit, w: w, status: ws})
	})
	w.readyT = time.AfterFunc(p.s.ReadyTimeout, func() { p.post(event{kind: evReadyTimeout, w: w}) })
	return w, nil
}

func (p *parent) spawnInproc(gen *generation, sl *slot) {
	ctx, cancel := context.WithCancel(context.Background())
	p.serials++
	w := &worker{serial: p.serials, slot: sl, gen: gen, genNum: gen.num, state: workerStarting, started: p.env.now(),
		pid: p.env.getpid(), cancel: cancel, log: p.wlog}
	sl.w = w
	p.workers[w] = struct{}{}
	var once sync.Once
	ready := func() {
		once.Do(func() { p.post(event{kind: evMessage, w: w, msg: message{Type: msgReady}}) })
	}
	snapshot := gen.g.Snapshot
	p.wg.Go(func() {
		err := p.s.Service.Run(ctx, snapshot, ready)
		p.post(event{kind: evExit, w: w, err: err})
	})
}

// send queues m for a child; it never blocks the loop.
func (p *parent) send(w *worker, m message) {
	if w.inproc() || w.state == workerExited {
		return
	}
	select {
	case w.outbox <- m:
	default:
		p.log.Warn("control channel full, message dropped", "worker_id", w.slot.id, "pid", w.pid, "type", m.Type)
	}
}

// stopWorker asks w to drain and exit within timeout.
func (p *parent) stopWorker(w *worker, timeout time.Duration) {
	if w.state == workerDraining || w.state == workerExited {
		return
	}
	w.state = workerDraining
	if w.inproc() {
		w.cancel()
		return
	}
	p.send(w, message{Type: msgStop, Timeout: timeout})
}

func (p *parent) kill(w *worker) {
	if w.inproc() || w.state == workerExited {
		return
	}
	if err := w.proc.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.log.Warn("cannot kill worker", "pid", w.pid, "error", err)
	}
}

// release frees the parent's resources of a reaped (or abandoned) worker.
func (p *parent) release(w *worker) {
	w.state = workerExited
	delete(p.workers, w)
	delete(p.mutatePending, w)
	if w.slot.w == w {
		w.slot.w = nil
	}
	if w.inproc() {
		w.cancel()
		return
	}
	w.readyT.Stop()
	if w.outbox != nil {
		close(w.outbox)
		w.outbox = nil
	}
	w.ctl.close()
	w.lifeline.Close()
}

func (p *parent) onSignal(sig os.Signal) (exit bool, err error) {
	switch sig {
	case syscall.SIGTERM:
		if p.stopping {
			p.log.Info("Caught SIGTERM again, killing children")
			return p.fastExit(fmt.Errorf("second SIGTERM during shutdown: %w", ErrInterrupted))
		}
		p.log.Info("Caught SIGTERM, stopping children")
		p.beginStop()
	case syscall.SIGINT:
		p.log.Info("Caught SIGINT signal, instantaneous exiting")
		return p.fastExit(ErrInterrupted)
	case syscall.SIGHUP:
		switch {
		case p.stopping:
			p.log.Debug("ignoring SIGHUP during shutdown")
		case !p.daemon:
			// oslo's _is_sighup_and_daemon: in a foreground terminal, SIGHUP means hang-up.
			p.log.Info("Caught SIGHUP, stopping children")
			p.beginStop()
		default:
			p.log.Info("Caught SIGHUP, reloading configuration")
			p.requestReload()
		}
	case syscall.SIGUSR2:
		p.report()
	case syscall.SIGPIPE:
		// ignored: a closed log pipe must not kill the supervisor
	}
	return false, nil
}

// requestReload coalesces reload requests: one reload per debounce window, and one more after
// a reload in progress.
func (p *parent) requestReload() {
	if p.next != nil || len(p.mutatePending) > 0 {
		p.reloadPending = true
		return
	}
	if !p.debounceArmed {
		p.arm(p.debounceT, p.s.ReloadDebounce, &p.debounceArmed)
	}
}

func (p *parent) fastExit(err error) (bool, error) {
	p.stopping = true
	for w := range p.workers {
		p.kill(w)
	}
	return true, err
}

// beginStop starts the graceful stop of the whole tree, bounded by graceful_shutdown_timeout.
func (p *parent) beginStop() {
	if p.stopping {
		return
	}
	p.stopping = true
	p.sdNotify(sdStopping)
	p.spawnT.Stop()
	p.debounceT.Stop()
	p.rollT.Stop()
	p.queue = nil
	timeout := p.cur.g.GracefulShutdownTimeout
	n := 0
	for w := range p.workers {
		p.stopWorker(w, timeout)
		n++
	}
	if n > 0 && !p.inproc {
		p.log.Info(fmt.Sprintf("Waiting on %d children to exit", n))
	}
	if timeout > 0 {
		p.deadlineT.Reset(timeout)
	}
}

func (p *parent) deadlineExceeded() (exit bool, err error) {
	n := len(p.workers)
	if n == 0 {
		return false, nil
	}
	if p.inproc {
		p.log.Error("Graceful shutdown timeout exceeded, instantaneous exiting")
		return true, ErrShutdownTimeout
	}
	p.log.Error(fmt.Sprintf("Graceful shutdown timeout exceeded, killing %d children", n))
	p.stopErr = ErrShutdownTimeout
	for w := range p.workers {
		p.kill(w)
	}
	return false, nil
}

func (p *parent) onEvent(ev event) {
	w := ev.w
	if w.state == workerExited {
		return
	}
	switch ev.kind {
	case evMessage:
		p.onMessage(w, ev.msg)
	case evExit:
		p.onExit(w, ev.status, ev.err)
	case evReadyTimeout:
		if w.state == workerStarting {
			p.log.Warn("worker not ready in time, killing it", "worker_id", w.slot.id, "pid", w.pid, "timeout", p.s.ReadyTimeout)
			p.kill(w)
		}
	case evReloadDone:
		p.onReloaded(w, ev.err)
	}
}

func (p *parent) onMessage(w *worker, m message) {
	switch m.Type {
	case msgReady:
		if w.state != workerStarting {
			return
		}
		w.state = workerReady
		if !w.inproc() {
			w.readyT.Stop()
		}
		p.log.Debug("worker ready", "worker_id", w.slot.id, "pid", w.pid, "generation", w.genNum)
		p.checkReady()
	case msgHeartbeat:
		w.heartbeat = p.env.now()
	case msgFatal:
		w.reason = m.Reason
	case msgReloaded:
		var err error
		if m.Error != "" {
			err = errors.New(m.Error)
		}
		p.onReloaded(w, err)
	case msgReportText:
		if _, err := p.env.stderr.Write([]byte(m.Text)); err != nil {
			p.log.Error("Unable to run Guru Meditation Report!", "error", err)
		}
	case msgMetricsReport:
		p.onMetricsReport(w, m)
	case msgReloadRequest:
		if !p.stopping && p.daemon {
			p.log.Info("worker caught SIGHUP, reloading configuration", "worker_id", w.slot.id, "pid", w.pid)
			p.requestReload()
		}
	default:
		p.log.Warn("unknown control message", "worker_id", w.slot.id, "type", m.Type)
	}
}

// allReady reports whether every runnable slot of gen has a ready worker.
func allReady(gen *generation) bool {
	runnable := 0
	for _, sl := range gen.slots {
		if sl.fatal || sl.removed {
			continue
		}
		runnable++
		if sl.w == nil || sl.w.state != workerReady {
			return false
		}
	}
	return runnable > 0
}

func (p *parent) checkReady() {
	if p.next != nil && allReady(p.next) {
		p.promote()
		return
	}
	if !p.readySent && p.next == nil && allReady(p.cur) {
		p.readySent = true
		p.log.Info("all workers ready", "workers", len(p.cur.slots), "generation", p.cur.num)
		p.sdNotify(sdReady)
	}
}

func (p *parent) onExit(w *worker, ws syscall.WaitStatus, runErr error) {
	prev := w.state
	p.release(w)
	sl := w.slot
	if w.inproc() {
		p.onInprocExit(w, prev, runErr)
		return
	}
	if ws.Signaled() {
		p.log.Info(fmt.Sprintf("Child %d killed by signal %d", w.pid, int(ws.Signal())),
			"signal", signalName(ws.Signal()), "worker_id", sl.id, "generation", w.genNum)
	} else {
		p.log.Info(fmt.Sprintf("Child %d exited with status %d", w.pid, ws.ExitStatus()),
			"worker_id", sl.id, "generation", w.genNum)
	}
	if p.stopping || prev == workerDraining || sl.removed || (w.gen != p.cur && w.gen != p.next) {
		return
	}
	if (ws.Exited() && ws.ExitStatus() == ExitFatalConfig) || w.reason != "" {
		reason := w.reason
		if reason == "" {
			reason = fmt.Sprintf("worker exited with status %d", ExitFatalConfig)
		}
		sl.fatal, sl.reason = true, reason
		p.log.Error("worker has a fatal configuration error, not respawning", "worker_id", sl.id, "reason", reason)
		if w.gen == p.next {
			p.abortRoll(reason)
			return
		}
		for _, s := range p.cur.slots {
			if !s.fatal && !s.removed {
				p.checkReady()
				return
			}
		}
		p.stopErr = fmt.Errorf("%w: no worker can run: %s", ErrFatalConfig, reason)
		p.beginStop()
		return
	}
	p.restarts[sl.id]++
	var d time.Duration
	sl.failures, d = p.s.Respawn.next(sl.failures, p.env.now().Sub(w.started))
	if d > 0 {
		p.log.Info("worker is crash-looping, delaying respawn", "worker_id", sl.id, "delay", d, "failures", sl.failures)
	}
	p.queue = append(p.queue, spawnReq{gen: w.gen, slot: sl, notBefore: p.env.now().Add(d)})
	p.pump()
}

func (p *parent) onInprocExit(w *worker, prev workerState, err error) {
	switch {
	case p.stopping:
		if err != nil && !errors.Is(err, context.Canceled) {
			p.log.Error("service stopped with an error", "error", err)
			if p.stopErr == nil {
				p.stopErr = err
			}
		}
	case prev == workerDraining || w.gen != p.cur && w.gen != p.next:
		if err != nil && !errors.Is(err, context.Canceled) {
			p.log.Warn("previous generation stopped with an error", "generation", w.genNum, "error", err)
		}
	case w.gen == p.next:
		if err == nil {
			err = errors.New("service returned before it was ready")
		}
		p.abortRoll(err.Error())
	default:
		if err == nil {
			err = errors.New("launcher: service stopped unexpectedly")
		}
		p.log.Error("Error starting thread.", "error", err)
		p.stopErr = err
		p.beginStop()
	}
}

// reload handles a (coalesced) SIGHUP in daemon mode: load and validate first; on failure
// nothing changes. Then roll (reload) or mutate.
func (p *parent) reload() {
	if p.stopping {
		return
	}
	if p.next != nil || len(p.mutatePending) > 0 {
		p.reloadPending = true
		return
	}
	// systemd (Type=notify-reload) waits for RELOADING=1 ... READY=1 after every reload request,
	// successful or not.
	p.sdNotify(sdReloading())
	g, err := p.s.Load()
	if err == nil {
		err = validate(g)
	}
	if err != nil {
		p.log.Error("reload failed, keeping the running configuration", "generation", p.cur.num, "error", err)
		p.reloadsFailed++
		p.sdNotify(sdReady)
		p.afterReload()
		return
	}
	if p.inproc != (g.Workers == 1) {
		p.log.Warn("switching between one and several workers needs a restart; keeping the worker count",
			"workers", p.cur.g.Workers, "requested", g.Workers)
		g.Workers = p.cur.g.Workers
	}
	p.setMetricsListen(g.MetricsListen)
	if g.RestartMethod == RestartMethodMutate {
		if _, ok := p.s.Service.(Reloader); ok {
			p.mutate(g)
			return
		}
		p.log.Warn("service cannot apply a configuration in place; rolling workers instead")
	}
	p.next = p.newGeneration(g)
	p.log.Info("reloading: starting new generation", "generation", p.next.num, "workers", g.Workers, "previous", p.cur.num)
	p.limiter.reset(g.Workers)
	p.slept = false
	p.rollT.Reset(p.s.ReadyTimeout)
	p.enqueueAll(p.next)
	p.pump()
}

// promote makes the fully ready next generation current and drains the previous one.
func (p *parent) promote() {
	old := p.cur
	p.cur, p.next = p.next, nil
	p.rollT.Stop()
	n := 0
	for w := range p.workers {
		if w.gen == old {
			p.stopWorker(w, old.g.GracefulShutdownTimeout)
			n++
		}
	}
	p.log.Info("generation ready, draining the previous one", "generation", p.cur.num, "previous", old.num, "draining", n)
	p.reloadsOK++
	p.readySent = true
	p.sdNotify(sdReady)
	p.afterReload()
}

func (p *parent) abortRoll(reason string) {
	gen := p.next
	p.next = nil
	p.rollT.Stop()
	for w := range p.workers {
		if w.gen == gen {
			p.stopWorker(w, gen.g.GracefulShutdownTimeout)
		}
	}
	p.log.Error("reload aborted, keeping the running generation", "generation", p.cur.num, "aborted", gen.num, "reason", reason)
	p.reloadsFailed++
	p.sdNotify(sdReady)
	p.afterReload()
}

func (p *parent) rollTimeout() {
	if p.next != nil {
		p.abortRoll(fmt.Sprintf("new workers not ready within %s", p.s.ReadyTimeout))
		return
	}
	if len(p.mutatePending) > 0 {
		p.log.Warn("workers did not confirm the new configuration in time", "pending", len(p.mutatePending))
		clear(p.mutatePending)
		p.reloadsFailed++
		p.sdNotify(sdReady)
		p.afterReload()
	}
}

func (p *parent) afterReload() {
	if p.reloadPending && !p.stopping {
		p.reloadPending = false
		p.requestReload()
	}
}

// mutate applies g in place: the current workers receive the new snapshot (Reloader.Reload);
// no pid changes. The worker count follows g.Workers.
func (p *parent) mutate(g *Generation) {
	if p.s.Diff != nil {
		for _, line := range p.s.Diff(p.cur.g, g) {
			p.log.Info(line)
		}
	}
	p.genCounter++
	p.cur.num, p.cur.g = p.genCounter, g
	p.mutateFailed = false
	for len(p.cur.slots) > g.Workers { // fewer workers: drain the highest ids
		sl := p.cur.slots[len(p.cur.slots)-1]
		p.cur.slots = p.cur.slots[:len(p.cur.slots)-1]
		sl.removed = true
		if sl.w != nil {
			p.stopWorker(sl.w, g.GracefulShutdownTimeout)
		}
	}
	now := p.env.now()
	for len(p.cur.slots) < g.Workers {
		sl := &slot{id: len(p.cur.slots) + 1}
		p.cur.slots = append(p.cur.slots, sl)
		p.queue = append(p.queue, spawnReq{gen: p.cur, slot: sl, notBefore: now})
	}
	p.limiter.reset(g.Workers)
	for w := range p.workers {
		if w.gen != p.cur || w.state == workerDraining {
			continue
		}
		w.genNum = p.cur.num
		p.mutatePending[w] = true
		if w.inproc() {
			r := p.s.Service.(Reloader)
			snapshot := g.Snapshot
			p.wg.Go(func() {
				err := r.Reload(context.Background(), snapshot)
				p.post(event{kind: evReloadDone, w: w, err: err})
			})
			continue
		}
		p.send(w, message{Type: msgReload, Generation: p.cur.num, Snapshot: g.Snapshot,
			ConfigDump: g.ConfigDump, LogDir: g.LogDir, Timeout: g.GracefulShutdownTimeout})
	}
	p.log.Info("applying configuration in place", "generation", p.cur.num, "workers", len(p.mutatePending))
	if len(p.mutatePending) == 0 {
		p.reloadsOK++
		p.sdNotify(sdReady)
		p.afterReload()
	} else {
		p.rollT.Reset(p.s.ReadyTimeout)
	}
	p.pump()
}

func (p *parent) onReloaded(w *worker, err error) {
	if !p.mutatePending[w] {
		return
	}
	delete(p.mutatePending, w)
	if err != nil {
		p.mutateFailed = true
		p.log.Error("worker could not apply the new configuration", "worker_id", w.slot.id, "pid", w.pid, "error", err)
	} else {
		p.log.Debug("worker applied the new configuration", "worker_id", w.slot.id, "pid", w.pid, "generation", w.genNum)
	}
	if len(p.mutatePending) == 0 {
		p.rollT.Stop()
		if p.mutateFailed {
			p.reloadsFailed++
		} else {
			p.reloadsOK++
		}
		p.sdNotify(sdReady)
		p.afterReload()
	}
}

// report writes the parent's diagnostics report (SIGUSR2) and, if configured, asks every worker
// for its own.
func (p *parent) report() {
	now := p.env.now()
	role, state := "parent", "running"
	if p.inproc {
		role = "service"
	}
	switch {
	case p.stopping:
		state = "stopping"
	case p.next != nil || len(p.mutatePending) > 0:
		state = "reloading"
	}
	in := reportInput{Name: p.s.Name, Version: p.s.Version, Role: role, Now: now, ConfigDump: p.cur.g.ConfigDump,
		Self: reportProcess{Pid: p.env.getpid(), PPid: os.Getppid(), State: state}}
	if !p.inproc {
		for w := range p.workers {
			in.Workers = append(in.Workers, reportProcess{Pid: w.pid, PPid: in.Self.Pid, WorkerID: w.slot.id,
				Generation: w.genNum, State: w.state.String(), Started: w.started, Heartbeat: w.heartbeat})
		}
		sortProcesses(in.Workers)
	}
	path, err := writeReport(buildReport(in), p.cur.g.LogDir, p.s.Name, in.Self.Pid, now, p.env.stderr)
	if err != nil {
		p.log.Error("Unable to run Guru Meditation Report!", "error", err)
	} else {
		p.log.Info("diagnostics report written", "path", path)
	}
	if p.s.ReportWorkers {
		for w := range p.workers {
			p.send(w, message{Type: msgReport})
		}
	}
}

func sortProcesses(ps []reportProcess) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && (ps[j].Generation < ps[j-1].Generation ||
			ps[j].Generation == ps[j-1].Generation && ps[j].WorkerID < ps[j-1].WorkerID); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// levelName is the worker log level: the parent's.
func levelName(l hclog.Logger) string {
	if lv := l.GetLevel(); lv != hclog.NoLevel {
		return lv.String()
	}
	return "info"
}
