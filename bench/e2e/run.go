package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

const captureQueue = "bench-capture"

// Kinds of run.
const (
	kindAgent      = "agent"
	kindTrivial    = "trivial"
	kindCeilometer = "ceilometer"
)

// result is one timed run.
type result struct {
	kind    string
	workers int
	rep     int
	n       int

	preload  time.Duration // publishing the load (not part of the run)
	first    time.Duration // process start → first output message
	wall     time.Duration // process start → last expected output message
	window   time.Duration // first → last expected output message
	cpuDone  time.Duration // CPU of the process tree when the last expected output arrived (sampled)
	cpuExit  time.Duration // CPU of the process and its reaped children at exit (getrusage via wait4)
	cpuRun   time.Duration // CPU of the tree between the first and the last expected output (sampled)
	broker   time.Duration // CPU of the broker (beam.smp) from process start to the last expected output
	peakTree int64         // bytes: peak of the sum of VmRSS over the tree
	peakRoot int64         // bytes: peak VmRSS of the started process
	peakProc int64         // bytes: peak VmRSS of the largest other process of the tree (a worker)
	nprocs   int

	sampleMsgs, eventMsgs, otherMsgs int // captured
	expSampleMsgs, expEventMsgs      int
	samples, events                  int // expected totals (the rates use them)
	exitCode                         int
	problems                         []string
}

func (r *result) rate() float64 { return perSec(r.n, r.window) }

func perSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func (r *result) cpuPerNotif() time.Duration { return r.cpuDone / time.Duration(max(r.n, 1)) }

func (r *result) name() string {
	if r.kind == kindTrivial {
		return "trivial client"
	}
	return fmt.Sprintf("%s workers=%d", r.kind, r.workers)
}

// capture consumes the capture queue (no acks) and tells when every expected
// output message has arrived.
type capture struct {
	mu                     sync.Mutex
	keep                   bool
	bodies                 map[string][][]byte
	nSamples, nEvents, nXX int
	expS, expE             int
	firstAt, lastAt        time.Time
	doneAt                 time.Time
	done                   chan struct{}
}

func startCapture(ch *amqp.Channel, expS, expE int, keep bool) (*capture, error) {
	ds, err := ch.Consume(captureQueue, "bench-capture", true, true, false, false, nil)
	if err != nil {
		return nil, err
	}
	c := &capture{keep: keep, bodies: map[string][][]byte{}, expS: expS, expE: expE, done: make(chan struct{})}
	go func() {
		for d := range ds {
			now := time.Now()
			c.mu.Lock()
			if c.firstAt.IsZero() {
				c.firstAt = now
			}
			c.lastAt = now
			switch d.RoutingKey {
			case keySamples:
				c.nSamples++
			case keyEvents:
				c.nEvents++
			default:
				c.nXX++
			}
			if c.keep {
				c.bodies[d.RoutingKey] = append(c.bodies[d.RoutingKey], d.Body)
			}
			if c.doneAt.IsZero() && c.nSamples >= c.expS && c.nEvents >= c.expE {
				c.doneAt = now
				close(c.done)
			}
			c.mu.Unlock()
		}
	}()
	return c, nil
}

func (c *capture) counts() (s, e, x int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nSamples, c.nEvents, c.nXX
}

// runOne runs one process of kind over a freshly preloaded load and measures it.
func (b *bench) runOne(ctx context.Context, kind string, workers, rep int) (*result, error) {
	l := b.load
	r := &result{kind: kind, workers: workers, rep: rep, n: len(l.msgs), exitCode: -1}
	if kind == kindTrivial {
		r.expSampleMsgs, r.samples = len(l.msgs), len(l.msgs)
	} else {
		r.expSampleMsgs, r.expEventMsgs, r.samples, r.events = l.sampleMsgs, l.eventMsgs, l.samples, l.events
	}
	inputs := l.inputQueues()

	// A clean broker state: no queue left from the previous run.
	if err := resetQueues(b.conn, append([]string{captureQueue}, inputs...)); err != nil {
		return nil, err
	}
	ch, err := b.conn.Channel()
	if err != nil {
		return nil, err
	}
	defer ch.Close()
	if err := ch.ExchangeDeclare("ceilometer", amqp.ExchangeTopic, false, false, false, false, nil); err != nil {
		return nil, err
	}
	if _, err := ch.QueueDeclare(captureQueue, false, false, false, false, nil); err != nil {
		return nil, err
	}
	for _, k := range []string{keySamples, keyEvents} {
		if err := ch.QueueBind(captureQueue, k, "ceilometer", false, nil); err != nil {
			return nil, err
		}
	}
	cch, err := b.captureConn.Channel()
	if err != nil {
		return nil, err
	}
	defer cch.Close()
	capt, err := startCapture(cch, r.expSampleMsgs, r.expEventMsgs, b.opts.verify)
	if err != nil {
		return nil, err
	}

	t := time.Now()
	if err := l.preload(ctx, b.conn); err != nil {
		return nil, err
	}
	r.preload = time.Since(t)

	dir, err := os.MkdirTemp(b.tmp, fmt.Sprintf("%s-w%d-r%d-", kind, workers, rep))
	if err != nil {
		return nil, err
	}
	cmd, err := b.command(kind, workers, rep, dir, inputs)
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	killed := false
	defer func() {
		if !killed {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-exited
		}
	}()
	smp := startSampler(pid, b.brokerPid, b.opts.interval)
	_, broker0 := smp.cpuAt(time.Now())

	timeout := b.opts.timeout
	if timeout <= 0 {
		timeout = 30*time.Second + time.Duration(r.n)*time.Second/500
		if kind == kindCeilometer {
			timeout = 60*time.Second + time.Duration(r.n)*time.Second/100
		}
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	// The run ends when every expected output arrived; or, when the agent
	// produces fewer than Ceilometer (a compatibility bug, reported as a
	// problem), when the input queues are empty and nothing new arrived for
	// quietFor — the run is then timed to its last output. Output that starts
	// and then stops while input is left fails the run after b.opts.stall.
	const quietFor = time.Second
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastCount, lastChange, lastDepthCheck := 0, time.Now(), time.Time{}
	drained, incomplete := false, false
	var runErr error
wait:
	for {
		select {
		case <-capt.done:
			break wait
		case <-exited:
			runErr = fmt.Errorf("%s exited early (%v)", kind, cmd.ProcessState)
			break wait
		case <-timer.C:
			runErr = fmt.Errorf("timeout after %v", timeout)
			break wait
		case <-ctx.Done():
			runErr = ctx.Err()
			break wait
		case now := <-tick.C:
			s, e, x := capt.counts()
			if c := s + e + x; c != lastCount {
				lastCount, lastChange, drained = c, now, false
				continue
			}
			if lastCount == 0 {
				continue
			}
			if now.Sub(lastDepthCheck) >= time.Second {
				lastDepthCheck = now
				left := 0
				for _, q := range inputs {
					n, err := queueDepth(b.conn, q)
					if err != nil {
						runErr = err
						break wait
					}
					left += max(n, 0)
				}
				drained = left == 0
			}
			if drained && now.Sub(lastChange) >= quietFor {
				incomplete = true
				break wait
			}
			if b.opts.stall > 0 && now.Sub(lastChange) >= b.opts.stall {
				runErr = fmt.Errorf("stalled: no new output for %v", b.opts.stall)
				break wait
			}
		}
	}
	r.cpuDone = smp.cpuNow()
	_, brokerDone := smp.cpuAt(time.Now())
	capt.mu.Lock()
	if !capt.firstAt.IsZero() {
		r.first = capt.firstAt.Sub(t0)
	}
	doneAt := capt.doneAt
	if incomplete {
		doneAt = capt.lastAt
	}
	if incomplete && !doneAt.IsZero() {
		r.cpuDone, brokerDone = smp.cpuAt(doneAt.Add(b.opts.interval)) // not the quiet second
	}
	r.broker = brokerDone - broker0
	if !doneAt.IsZero() {
		r.wall = doneAt.Sub(t0)
		r.window = doneAt.Sub(capt.firstAt)
		cpuFirst, _ := smp.cpuAt(capt.firstAt)
		r.cpuRun = r.cpuDone - cpuFirst
	}
	capt.mu.Unlock()

	// Anything more than expected arrives now or while stopping.
	if runErr == nil && !incomplete {
		select {
		case <-time.After(b.opts.linger):
		case <-ctx.Done():
		}
	}
	if kind == kindCeilometer {
		_ = syscall.Kill(-pid, syscall.SIGTERM) // as run_oracle.py stops it
	} else {
		_ = syscall.Kill(pid, syscall.SIGTERM) // the launcher stops its workers itself
	}
	select {
	case <-exited:
	case <-time.After(25 * time.Second):
		r.problems = append(r.problems, "did not stop within 25 s of SIGTERM: killed")
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	killed = true
	_ = syscall.Kill(-pid, syscall.SIGKILL) // stragglers of the group, if any
	smp.close()
	r.peakTree, r.peakRoot, r.peakProc, r.nprocs = smp.peaks()
	if ps := cmd.ProcessState; ps != nil {
		r.cpuExit = ps.UserTime() + ps.SystemTime()
		r.exitCode = ps.ExitCode()
	}
	time.Sleep(200 * time.Millisecond)
	_ = cch.Cancel("bench-capture", false)
	r.sampleMsgs, r.eventMsgs, r.otherMsgs = capt.counts()

	if runErr != nil {
		detail := ""
		if b.opts.verify && kind != kindTrivial {
			detail = "\n" + strings.Join(verify(l, capt.bodies), "\n")
		}
		return r, fmt.Errorf("%s: %w (captured %d/%d sample messages, %d/%d event messages; log: %s)%s%s",
			r.name(), runErr, r.sampleMsgs, r.expSampleMsgs, r.eventMsgs, r.expEventMsgs, logf.Name(), detail, tail(logf.Name(), 1500))
	}
	if r.exitCode != 0 {
		r.problems = append(r.problems, fmt.Sprintf("exit status %d after SIGTERM (log: %s)", r.exitCode, logf.Name()))
	}
	if r.sampleMsgs != r.expSampleMsgs || r.eventMsgs != r.expEventMsgs || r.otherMsgs != 0 {
		r.problems = append(r.problems, fmt.Sprintf("captured %d sample messages (expected %d), %d event messages (expected %d), %d others",
			r.sampleMsgs, r.expSampleMsgs, r.eventMsgs, r.expEventMsgs, r.otherMsgs))
	}
	for _, q := range inputs {
		n, err := queueDepth(b.conn, q)
		if err != nil {
			return r, err
		}
		if n > 0 {
			r.problems = append(r.problems, fmt.Sprintf("%d messages left in %s", n, q))
		}
	}
	if b.opts.verify && kind != kindTrivial {
		r.problems = append(r.problems, verify(l, capt.bodies)...)
	}
	return r, nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return "\n--- end of " + path + " ---\n" + string(b)
}

// verify checks the content of the captured messages against what Ceilometer
// 19 published for the same notifications: the samples per counter_name over
// the whole load, and the events of each notification (by message_id).
func verify(l *load, bodies map[string][][]byte) []string {
	var problems []string
	var d pyjson.Decoder
	payload := func(body []byte) ([]pyjson.Value, error) {
		env, err := d.Decode(body)
		if err != nil {
			return nil, err
		}
		eo, ok := env.(*pyjson.Object)
		if !ok {
			return nil, errors.New("envelope is not an object")
		}
		inner, _ := eo.Get("oslo.message")
		s, ok := inner.(string)
		if !ok {
			return nil, errors.New("no oslo.message string")
		}
		var d2 pyjson.Decoder
		m, err := d2.DecodeString(s)
		if err != nil {
			return nil, err
		}
		mo, ok := m.(*pyjson.Object)
		if !ok {
			return nil, errors.New("oslo.message is not an object")
		}
		p, _ := mo.Get("payload")
		list, ok := p.([]pyjson.Value)
		if !ok {
			return nil, errors.New("payload is not a list")
		}
		return list, nil
	}
	str := func(v pyjson.Value, key string) string {
		if o, ok := v.(*pyjson.Object); ok {
			x, _ := o.Get(key)
			s, _ := x.(string)
			return s
		}
		return ""
	}
	names := map[string]int{}
	for _, b := range bodies[keySamples] {
		list, err := payload(b)
		if err != nil {
			problems = append(problems, "undecodable sample message: "+err.Error())
			continue
		}
		for _, s := range list {
			names[str(s, "counter_name")]++
		}
	}
	var diff []string
	for k, v := range l.counterNames {
		if names[k] != v {
			diff = append(diff, fmt.Sprintf("%s: %d (expected %d)", k, names[k], v))
		}
	}
	for k, v := range names {
		if _, ok := l.counterNames[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: %d (expected 0)", k, v))
		}
	}
	if len(diff) > 0 {
		problems = append(problems, "samples per counter_name differ from Ceilometer 19's: "+strings.Join(diff, "; "))
	}
	ids := map[string]int{}
	for _, b := range bodies[keyEvents] {
		list, err := payload(b)
		if err != nil {
			problems = append(problems, "undecodable event message: "+err.Error())
			continue
		}
		for _, e := range list {
			ids[str(e, "message_id")]++
		}
	}
	bad := 0
	var ex []string
	for id, n := range l.eventsByID {
		if ids[id] != n {
			bad++
			if len(ex) < 5 {
				ex = append(ex, fmt.Sprintf("%s: %d (expected %d)", id, ids[id], n))
			}
		}
	}
	for id, n := range ids {
		if _, ok := l.eventsByID[id]; !ok {
			bad++
			if len(ex) < 5 {
				ex = append(ex, fmt.Sprintf("%s: %d (expected 0)", id, n))
			}
		}
	}
	if bad > 0 {
		problems = append(problems, fmt.Sprintf("%d notifications got the wrong number of events, e.g. %s", bad, strings.Join(ex, "; ")))
	}
	return problems
}

// command builds the process of one run.
func (b *bench) command(kind string, workers, rep int, dir string, inputs []string) (*exec.Cmd, error) {
	switch kind {
	case kindTrivial:
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), envRole+"=trivial", envURL+"="+b.vh.amqpURL(), envQueues+"="+strings.Join(inputs, ","), envPrefetch+"="+strconv.Itoa(b.opts.trivialPrefetch))
		return cmd, nil
	case kindAgent, kindCeilometer:
		if err := b.writeConfig(kind, workers, dir); err != nil {
			return nil, err
		}
		bin := b.agentBin
		if kind == kindCeilometer {
			bin = b.opts.ceilometerBin
		}
		args := []string{"--config-file", filepath.Join(dir, "ceilometer.conf")}
		if b.opts.extraConf != "" {
			args = append(args, "--config-file", b.opts.extraConf)
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		if b.opts.cpuprofile != "" && kind == kindAgent {
			cmd.Env = append(os.Environ(), envProfile+"="+filepath.Join(b.opts.cpuprofile, fmt.Sprintf("agent-w%d-r%d", workers, rep)))
		}
		return cmd, nil
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

const pipelineYAML = `---
sources:
    - name: meter_source
      meters:
          - "*"
      sinks:
          - meter_sink
sinks:
    - name: meter_sink
      publishers:
          - notifier://
`

const eventPipelineYAML = `---
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - notifier://
`

// writeConfig writes ceilometer.conf and the YAML files into dir: both
// pipelines publishing only to notifier://, Ceilometer 19's meter and event
// definitions (the repository's etc/ copies), everything else default — the
// configuration of scripts/compat/run_oracle.py, with workers set.
func (b *bench) writeConfig(kind string, workers int, dir string) error {
	meters, err := os.ReadFile(filepath.Join(b.repo, "etc", "meters.d", "meters.yaml"))
	if err != nil {
		return err
	}
	events, err := os.ReadFile(filepath.Join(b.repo, "etc", "event_definitions.yaml"))
	if err != nil {
		return err
	}
	conf := fmt.Sprintf(`[DEFAULT]
transport_url = %s
host = bench-host
pipeline_cfg_file = %[2]s/pipeline.yaml
event_pipeline_cfg_file = %[2]s/event_pipeline.yaml
`, b.vh.transportURL(), dir)
	if kind == kindCeilometer {
		conf += fmt.Sprintf("log_file = %s/agent.log\ndebug = false\n", dir)
	} else {
		conf += "use_stderr = true\ngraceful_shutdown_timeout = 20\n"
	}
	conf += fmt.Sprintf(`
[notification]
workers = %d

[meter]
meter_definitions_dirs = %[2]s/meters.d

[event]
definitions_cfg_file = %[2]s/event_definitions.yaml

[publisher]
telemetry_secret = bench-secret
`, workers, dir)
	if kind == kindCeilometer {
		conf += fmt.Sprintf("\n[oslo_concurrency]\nlock_path = %s/lock\n", dir)
	}
	files := map[string][]byte{
		"ceilometer.conf":        []byte(conf),
		"pipeline.yaml":          []byte(pipelineYAML),
		"event_pipeline.yaml":    []byte(eventPipelineYAML),
		"meters.d/meters.yaml":   meters,
		"event_definitions.yaml": events,
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(dir, "lock"), 0o755)
}
