package launcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/internal/metrics"
)

// ScrapeTimeout bounds the wait for each worker's answer to a scrape; a worker
// that does not answer in time is reported with agent_notification_worker_up 0.
const ScrapeTimeout = time.Second

// healthTimeout bounds /healthz: the control loop must answer within it.
const healthTimeout = time.Second

// errLoopStopped is what a request gets once the control loop has returned.
var errLoopStopped = errors.New("launcher: stopped")

// A scrape runs on an HTTP request goroutine and on the control loop:
//
//  1. the request sends a scrapeReq to the loop (p.scrapes);
//  2. the loop answers with a scrapeView — the parent's own families and the
//     workers it expects — and sends msgMetrics{Seq} to every child, whose
//     answers (msgMetricsReport) it forwards to the view's collector;
//  3. the request waits for the answers (ScrapeTimeout), in-process asks the
//     Service directly, then merges and renders without the loop.
//
// The request goroutine touches no loop-owned state: only channels and the
// immutable Settings.
type scrapeReq struct {
	workers bool            // false: a /healthz ping, the loop answers an empty view
	reply   chan scrapeView // buffered (1)
}

type scrapeView struct {
	own      []metrics.Family
	stopping bool
	inproc   bool
	expect   []expectedWorker
	coll     *collector // nil when no child was asked
}

// expectedWorker is a worker (or an empty slot) as the loop saw it at the scrape.
type expectedWorker struct {
	serial  int // 0: the slot has no live worker (crashed, waiting for respawn, fatal)
	id      int
	state   workerState
	current bool   // of the current generation and not draining: counts for worker_up and readiness
	why     string // for an empty slot: why it is empty
}

// collector receives the children's answers to one scrape.
type collector struct {
	n       int // children asked
	answers chan workerAnswer
	done    chan struct{} // closed by the request when it stops waiting
}

type workerAnswer struct {
	serial int
	report metrics.Report
}

// setMetricsListen makes the endpoint serve on addr ("" = none), rebinding when
// the address changed. A failed bind is logged and keeps what was served (the
// next reload tries again).
func (p *parent) setMetricsListen(addr string) {
	if addr == p.metricsAddr && (addr == "" || p.metricsSrv != nil) {
		return
	}
	old := p.metricsSrv
	if addr == "" {
		p.metricsSrv, p.metricsAddr = nil, ""
		p.shutdownAsync(old)
		p.log.Info("metrics endpoint stopped")
		return
	}
	mlog := p.log.Named("metrics")
	srv, err := metrics.Listen(addr, metrics.Handler(metricsSource{p}),
		mlog.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Debug}))
	if err != nil {
		p.log.Error("cannot serve metrics", "address", addr, "error", err)
		return
	}
	p.metricsSrv, p.metricsAddr = srv, addr
	p.wg.Go(func() {
		if err := srv.Serve(); err != nil {
			mlog.Error("metrics endpoint failed", "error", err)
		}
	})
	p.shutdownAsync(old)
	p.log.Info("serving metrics", "address", srv.Addr())
	if !metrics.IsLoopback(addr) {
		p.log.Warn("the metrics endpoint is reachable from other hosts; it shows no secrets, but bind it to loopback unless it must be scraped remotely",
			"address", srv.Addr())
	}
}

// shutdownAsync stops srv off the loop: its requests may be waiting for the loop.
func (p *parent) shutdownAsync(srv *metrics.Server) {
	if srv == nil {
		return
	}
	p.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

// stopMetrics stops the endpoint when run returns (p.done is closed, so no
// request waits for the loop any more).
func (p *parent) stopMetrics() {
	if p.metricsSrv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = p.metricsSrv.Shutdown(ctx)
	p.metricsSrv = nil
}

// onScrape answers a scrape request on the loop.
func (p *parent) onScrape(req scrapeReq) {
	if !req.workers {
		req.reply <- scrapeView{stopping: p.stopping}
		return
	}
	for seq, c := range p.collectors { // forget the scrapes that stopped waiting
		select {
		case <-c.done:
			delete(p.collectors, seq)
		default:
		}
	}
	v := scrapeView{own: p.ownFamilies(), stopping: p.stopping, inproc: p.inproc}
	var children []*worker
	covered := map[*slot]bool{}
	for w := range p.workers {
		cur := w.gen == p.cur && w.state != workerDraining && w.state != workerExited
		if cur {
			covered[w.slot] = true
		}
		v.expect = append(v.expect, expectedWorker{serial: w.serial, id: w.slot.id, state: w.state, current: cur})
		if !w.inproc() {
			children = append(children, w)
		}
	}
	for _, sl := range p.cur.slots {
		if sl.removed || covered[sl] {
			continue
		}
		why := "not running"
		if sl.fatal {
			why = "fatal configuration error: " + sl.reason
		}
		v.expect = append(v.expect, expectedWorker{id: sl.id, current: true, why: why})
	}
	slices.SortFunc(v.expect, func(a, b expectedWorker) int {
		return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.serial, b.serial))
	})
	if len(children) > 0 {
		p.scrapeSeq++
		c := &collector{n: len(children), answers: make(chan workerAnswer, len(children)), done: make(chan struct{})}
		p.collectors[p.scrapeSeq] = c
		v.coll = c
		for _, w := range children {
			p.send(w, message{Type: msgMetrics, Seq: p.scrapeSeq})
		}
	}
	req.reply <- v
}

// onMetricsReport hands a child's answer to the scrape waiting for it.
func (p *parent) onMetricsReport(w *worker, m message) {
	c, ok := p.collectors[m.Seq]
	if !ok || m.Metrics == nil {
		return
	}
	select {
	case c.answers <- workerAnswer{serial: w.serial, report: *m.Metrics}:
	default: // a duplicate answer: the buffer holds one per child asked
	}
}

// ownFamilies are the parent's metrics (loop-owned state).
func (p *parent) ownFamilies() []metrics.Family {
	var s metrics.Set
	s.Gauge("agent_notification_build_info", "Version of the running agent (always 1).").Add(1, "version", p.s.Version)
	s.Gauge("agent_notification_generation", "Number of the configuration generation in use (1 at start, +1 per applied reload).").Add(float64(p.cur.num))
	reloads := s.Counter("agent_notification_reloads_total", "Configuration reloads (SIGHUP) by result: ok (applied) or failed (invalid configuration, roll aborted, workers could not apply it).")
	reloads.Add(float64(p.reloadsOK), "result", "ok")
	reloads.Add(float64(p.reloadsFailed), "result", "failed")
	restarts := s.Counter("agent_notification_worker_restarts_total", "Workers respawned after an unexpected exit, by worker id.")
	configured, ready := 0, 0
	for _, sl := range p.cur.slots {
		if sl.removed {
			continue
		}
		restarts.Add(0, "worker", strconv.Itoa(sl.id))
		if sl.fatal {
			continue
		}
		configured++
		if sl.w != nil && sl.w.state == workerReady {
			ready++
		}
	}
	for id, n := range p.restarts {
		restarts.Add(float64(n), "worker", strconv.Itoa(id))
	}
	s.Gauge("agent_notification_workers_configured", "Workers the current configuration runs ([notification] workers, without those that failed with a fatal configuration error).").Add(float64(configured))
	s.Gauge("agent_notification_workers_ready", "Workers of the current configuration that reported ready (consuming).").Add(float64(ready))
	return s.Families()
}

// metricsSource serves the endpoint from the parent. Its methods run on
// request goroutines and use only channels and immutable settings.
type metricsSource struct{ p *parent }

// view asks the loop for a scrape view.
func (m metricsSource) view(ctx context.Context, workers bool) (scrapeView, error) {
	p := m.p
	req := scrapeReq{workers: workers, reply: make(chan scrapeView, 1)}
	select {
	case p.scrapes <- req:
	case <-p.done:
		return scrapeView{}, errLoopStopped
	case <-ctx.Done():
		return scrapeView{}, fmt.Errorf("control loop not responding: %w", ctx.Err())
	}
	select {
	case v := <-req.reply:
		return v, nil
	case <-p.done:
		return scrapeView{}, errLoopStopped
	case <-ctx.Done():
		return scrapeView{}, fmt.Errorf("control loop not responding: %w", ctx.Err())
	}
}

// gather returns the view and the workers' answers by serial.
func (m metricsSource) gather(ctx context.Context) (scrapeView, map[int]metrics.Report, error) {
	v, err := m.view(ctx, true)
	if err != nil {
		return v, nil, err
	}
	answers := map[int]metrics.Report{}
	if v.inproc {
		for _, e := range v.expect {
			if e.serial == 0 {
				continue
			}
			if r, ok := m.p.s.Service.(MetricsReporter); ok {
				answers[e.serial] = r.Metrics()
			} else {
				answers[e.serial] = metrics.Report{Ready: true}
			}
		}
	}
	if c := v.coll; c != nil {
		defer close(c.done)
		t := time.NewTimer(ScrapeTimeout)
		defer t.Stop()
	wait:
		for got := 0; got < c.n; got++ {
			select {
			case a := <-c.answers:
				answers[a.serial] = a.report
			case <-t.C:
				break wait
			case <-m.p.done:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
	}
	return v, answers, nil
}

// Gather implements metrics.Source: the parent's families, every worker's
// families with worker=<id>, and agent_notification_worker_up.
func (m metricsSource) Gather(ctx context.Context) ([]metrics.Family, error) {
	v, answers, err := m.gather(ctx)
	if err != nil {
		return nil, err
	}
	var s metrics.Set
	if err := s.Merge(v.own); err != nil {
		m.p.log.Debug("metrics merge", "error", err)
	}
	up := map[int]float64{}
	for _, e := range v.expect {
		r, answered := answers[e.serial]
		if e.current {
			if _, seen := up[e.id]; !seen {
				up[e.id] = 1
			}
			if !answered || e.serial == 0 {
				up[e.id] = 0
			}
		}
		if answered && e.serial != 0 {
			if err := s.Merge(r.Families, "worker", strconv.Itoa(e.id)); err != nil {
				m.p.log.Debug("metrics merge", "worker_id", e.id, "error", err)
			}
		}
	}
	upF := s.Gauge("agent_notification_worker_up", "1 when the worker answered this scrape within "+ScrapeTimeout.String()+", 0 when it did not or is not running.")
	for id, v := range up {
		upF.Add(v, "worker", strconv.Itoa(id))
	}
	return s.Families(), nil
}

// Ready implements metrics.Source: every worker of the current generation is
// ready and answers that all its listeners consume.
func (m metricsSource) Ready(ctx context.Context) error {
	v, answers, err := m.gather(ctx)
	if err != nil {
		return err
	}
	if v.stopping {
		return errors.New("not ready: stopping")
	}
	var why []string
	n := 0
	for _, e := range v.expect {
		if !e.current {
			continue
		}
		n++
		r, answered := answers[e.serial]
		switch {
		case e.serial == 0:
			why = append(why, fmt.Sprintf("worker %d: %s", e.id, e.why))
		case e.state != workerReady:
			why = append(why, fmt.Sprintf("worker %d: %s", e.id, e.state))
		case !answered:
			why = append(why, fmt.Sprintf("worker %d: no answer within %s", e.id, ScrapeTimeout))
		case !r.Ready:
			reason := r.Reason
			if reason == "" {
				reason = "not consuming"
			}
			why = append(why, fmt.Sprintf("worker %d: %s", e.id, reason))
		}
	}
	if n == 0 {
		why = append(why, "no worker")
	}
	if len(why) > 0 {
		return errors.New("not ready: " + strings.Join(why, "; "))
	}
	return nil
}

// Healthy implements metrics.Source: the control loop answers.
func (m metricsSource) Healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	_, err := m.view(ctx, false)
	return err
}
