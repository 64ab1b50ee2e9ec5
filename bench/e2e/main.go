// Command e2e is the end-to-end benchmark of agent-notification (`make
// bench-e2e`): in a fresh RabbitMQ vhost it preloads N realistic notifications
// (the compat corpus cycled, fresh message ids), starts the agent binary and
// times until every sample and event message Ceilometer 19 would publish for
// them has arrived on a capture queue; it measures CPU and memory of the
// agent's process tree, and compares with a trivial consume→republish→ack
// client over the same load (the broker's ceiling) and, with -ceilometer, with
// the real Ceilometer 19. See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// envProfile tells bench/agentprof where to write its CPU profile.
const envProfile = "BENCH_AGENT_CPUPROFILE"

type options struct {
	n               int
	workers         []int
	reps            int
	trivial         bool
	ceilometer      bool
	ceilometerReps  int
	ceilometerBin   string
	agentBin        string
	repo            string
	addr            string
	user, password  string
	timeout         time.Duration
	maxTime         time.Duration
	budget          time.Duration
	linger          time.Duration
	stall           time.Duration
	interval        time.Duration
	verify          bool
	cpuprofile      string
	extraConf       string
	trivialPrefetch int
	keep            bool
	quiet           bool
}

type bench struct {
	opts        options
	out         io.Writer
	repo        string
	tmp         string
	agentBin    string
	vh          *vhost
	conn        *amqp.Connection // control and preload
	captureConn *amqp.Connection
	load        *load
	brokerPid   int
}

func main() {
	var code int
	if childMain(&code) {
		os.Exit(code)
	}
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := run(ctx, opts, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-e2e:", err)
		os.Exit(1)
	}
	for _, r := range results {
		if len(r.problems) > 0 {
			os.Exit(3)
		}
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench-e2e", flag.ContinueOnError)
	var o options
	var workers string
	fs.IntVar(&o.n, "n", 20000, "notifications preloaded per run (the compat corpus cycled, fresh message ids)")
	fs.StringVar(&workers, "workers", "1,2", "comma-separated [notification] workers values to run the agent with")
	fs.IntVar(&o.reps, "reps", 3, "repetitions of every configuration (medians are reported)")
	fs.BoolVar(&o.trivial, "trivial", true, "also run the trivial consume→republish→ack client (the broker ceiling)")
	fs.IntVar(&o.trivialPrefetch, "trivial-prefetch", 100, "prefetch (basic.qos per consumer) of the trivial client")
	fs.BoolVar(&o.ceilometer, "ceilometer", false, "also run the real Ceilometer 19 (ceilometer-agent-notification) over the same load")
	fs.IntVar(&o.ceilometerReps, "ceilometer-reps", 1, "repetitions of Ceilometer per workers value (it is ~20x slower; 0 = -reps)")
	fs.StringVar(&o.ceilometerBin, "ceilometer-bin", "ceilometer-agent-notification", "Ceilometer's notification agent command")
	fs.StringVar(&o.agentBin, "agent", "", "agent binary to run (default: build ./cmd/agent-notification of the repository into a temp dir)")
	fs.StringVar(&o.repo, "repo", "", "repository root (default: found from the working directory)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:5672", "RabbitMQ address (a vhost is created and deleted there with rabbitmqctl)")
	fs.StringVar(&o.user, "user", "guest", "RabbitMQ user")
	fs.StringVar(&o.password, "password", "guest", "RabbitMQ password")
	fs.DurationVar(&o.timeout, "timeout", 0, "bound of one run (default 30s+N/500 s; Ceilometer 60s+N/100 s)")
	fs.DurationVar(&o.maxTime, "max-time", 15*time.Minute, "hard bound of the whole benchmark (runs in progress fail)")
	fs.DurationVar(&o.budget, "budget", 160*time.Second, "soft bound: no new repetition starts when it would end after this (time running Ceilometer excluded; 0: none)")
	fs.DurationVar(&o.linger, "linger", 500*time.Millisecond, "time to wait for extra output after the last expected message")
	fs.DurationVar(&o.stall, "stall", 10*time.Second, "fail a run when output started and nothing new arrived for this long (0: only -timeout)")
	fs.DurationVar(&o.interval, "interval", 50*time.Millisecond, "sampling interval of CPU and RSS")
	fs.BoolVar(&o.verify, "verify", false, "also check the content: samples per counter_name and events per notification (keeps every output in memory)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write CPU profiles of the agent (every process: <dir>/agent-w<W>-r<rep>.<pid>.pprof); runs ./bench/agentprof, the agent wrapped with runtime/pprof, built from the repository: -agent is ignored")
	fs.StringVar(&o.extraConf, "conf", "", "an extra ceilometer.conf passed after the benchmark's (--config-file; its options win) to the agent and Ceilometer, e.g. [oslo_messaging_rabbit] rabbit_qos_prefetch_count")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp dir (configurations and logs of every run)")
	fs.BoolVar(&o.quiet, "q", false, "print only the summary")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, w := range strings.Split(workers, ",") {
		if strings.TrimSpace(w) == "" {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || v < 1 {
			return o, fmt.Errorf("-workers: bad value %q", w)
		}
		o.workers = append(o.workers, v)
	}
	if o.n < 1 || o.reps < 1 {
		return o, fmt.Errorf("-n and -reps must be positive")
	}
	if o.ceilometerReps <= 0 {
		o.ceilometerReps = o.reps
	}
	return o, nil
}

// findRepo walks up from the working directory to the module's go.mod.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/openstack-go/agent-notification") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the agent-notification repository (use -repo)")
		}
		dir = parent
	}
}

// run runs the whole benchmark and prints the report on out.
func run(ctx context.Context, o options, out io.Writer) (results []*result, err error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.maxTime)
	defer cancel()
	b := &bench{opts: o, out: out, repo: o.repo}
	if b.repo == "" {
		if b.repo, err = findRepo(); err != nil {
			return nil, err
		}
	}
	if b.tmp, err = os.MkdirTemp("", "bench-e2e-"); err != nil {
		return nil, err
	}
	if o.keep {
		defer fmt.Fprintf(out, "temp dir kept: %s\n", b.tmp)
	} else {
		defer os.RemoveAll(b.tmp)
	}
	b.agentBin = o.agentBin
	if b.agentBin == "" || o.cpuprofile != "" {
		b.agentBin = filepath.Join(b.tmp, "agent-notification")
		pkg := "./cmd/agent-notification"
		if o.cpuprofile != "" {
			pkg = "./bench/agentprof"
			if o.cpuprofile, err = filepath.Abs(o.cpuprofile); err != nil {
				return nil, err
			}
			if err := os.MkdirAll(o.cpuprofile, 0o755); err != nil {
				return nil, err
			}
			b.opts.cpuprofile = o.cpuprofile
		}
		// As `make build` builds it: static, without cgo (libc alone is
		// 1.5 MB of resident memory per process).
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", b.agentBin, pkg)
		build.Dir = b.repo
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	if o.extraConf != "" {
		if b.opts.extraConf, err = filepath.Abs(o.extraConf); err != nil {
			return nil, err
		}
		if _, err := os.Stat(b.opts.extraConf); err != nil {
			return nil, fmt.Errorf("-conf: %w", err)
		}
	}
	b.brokerPid = brokerPid()
	if o.ceilometer {
		if _, err := exec.LookPath(o.ceilometerBin); err != nil {
			return nil, fmt.Errorf("-ceilometer: %w", err)
		}
	}
	items, err := loadCorpus(filepath.Join(b.repo, "testdata", "compat"))
	if err != nil {
		return nil, err
	}
	b.load = buildLoad(items, o.n)
	l := b.load
	fmt.Fprintf(out, "load: %d notifications (%d-notification corpus cycled, %.1f MB), expected per run: %d sample messages (%d samples), %d event messages (%d events)\n",
		len(l.msgs), len(items), float64(l.bytes)/1e6, l.sampleMsgs, l.samples, l.eventMsgs, l.events)

	if b.vh, err = createVHost(ctx, o.addr, o.user, o.password); err != nil {
		return nil, err
	}
	defer func() {
		if derr := b.vh.delete(); derr != nil && err == nil {
			err = derr
		}
	}()
	if b.conn, err = dial(ctx, b.vh.amqpURL()); err != nil {
		return nil, err
	}
	defer b.conn.Close()
	if b.captureConn, err = dial(ctx, b.vh.amqpURL()); err != nil {
		return nil, err
	}
	defer b.captureConn.Close()
	fmt.Fprintf(out, "vhost %s; agent %s; workers %v; %d repetitions; %d CPUs, load average %s\n", b.vh.name, b.agentBin, o.workers, o.reps, runtime.NumCPU(), loadavg())
	defer func() { fmt.Fprintf(out, "load average at the end: %s\n", loadavg()) }()

	type job struct {
		kind    string
		workers int
	}
	// -budget: whole repetitions are dropped (never a configuration of one)
	// when the previous ones say the next would end after the budget; the
	// time spent running Ceilometer does not count.
	var ceilTime, longestRep time.Duration
	for rep := 1; rep <= o.reps; rep++ {
		if used := time.Since(start) - ceilTime; rep > 1 && o.budget > 0 && used+longestRep > o.budget {
			fmt.Fprintf(out, "NOTE: stopped after %d repetition(s): another one (~%.0fs) would end after -budget %v; the machine is busy (load average %s). -budget 0 runs them all.\n",
				rep-1, longestRep.Seconds(), o.budget, loadavg())
			break
		}
		repStart, repCeil := time.Now(), time.Duration(0)
		var jobs []job
		for _, w := range o.workers {
			jobs = append(jobs, job{kindAgent, w})
		}
		if o.trivial {
			jobs = append(jobs, job{kindTrivial, 1})
		}
		if o.ceilometer && rep <= o.ceilometerReps {
			for _, w := range o.workers {
				jobs = append(jobs, job{kindCeilometer, w})
			}
		}
		for _, j := range jobs {
			t := time.Now()
			r, err := b.runOne(ctx, j.kind, j.workers, rep)
			if j.kind == kindCeilometer {
				repCeil += time.Since(t)
			}
			if err != nil {
				return results, err
			}
			results = append(results, r)
			if !o.quiet {
				printRun(out, r)
			}
		}
		ceilTime += repCeil
		longestRep = max(longestRep, time.Since(repStart)-repCeil)
	}
	summarize(out, results)
	return results, nil
}

// loadavg is /proc/loadavg's 1, 5 and 15 minute averages: other work on the
// machine moves every figure.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func printRun(out io.Writer, r *result) {
	util := func(cpu, d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return 100 * cpu.Seconds() / d.Seconds()
	}
	fmt.Fprintf(out, "  %-22s rep %d: %6.0f notif/s (%.0f incl. start), first output %.2fs, last %.2fs; CPU %.2fs to last output (%.2fs between first and last = %.0f%% of a core, %.2fs at exit); broker CPU %.2fs (%.0f%% of a core); peak RSS tree %s (%d processes); preload %.1fs\n",
		r.name(), r.rep, r.rate(), perSec(r.n, r.wall), r.first.Seconds(), r.wall.Seconds(),
		r.cpuDone.Seconds(), r.cpuRun.Seconds(), util(r.cpuRun, r.window), r.cpuExit.Seconds(),
		r.broker.Seconds(), util(r.broker, r.wall), mb(r.peakTree), r.nprocs, r.preload.Seconds())
	for _, p := range r.problems {
		fmt.Fprintf(out, "    PROBLEM: %s\n", p)
	}
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summary is the medians of one configuration.
type summary struct {
	name                            string
	kind                            string
	workers, runs                   int
	rate, rateWall, samples, events float64
	cpu, cpuRun, broker, first      time.Duration // CPU per notification
	peakTree, peakWorker            int64
	problems                        int
}

func summarizeRuns(results []*result) []summary {
	var order []string
	groups := map[string][]*result{}
	for _, r := range results {
		if _, ok := groups[r.name()]; !ok {
			order = append(order, r.name())
		}
		groups[r.name()] = append(groups[r.name()], r)
	}
	var out []summary
	for _, name := range order {
		rs := groups[name]
		s := summary{name: name, kind: rs[0].kind, workers: rs[0].workers, runs: len(rs)}
		var rate, rateWall, smp, ev []float64
		var cpu, cpuRun, broker, first []time.Duration
		var pt, pw []int64
		for _, r := range rs {
			n := time.Duration(max(r.n, 1))
			rate = append(rate, r.rate())
			rateWall = append(rateWall, perSec(r.n, r.wall))
			smp = append(smp, perSec(r.samples, r.window))
			ev = append(ev, perSec(r.events, r.window))
			cpu = append(cpu, r.cpuDone/n)
			cpuRun = append(cpuRun, r.cpuRun/n)
			broker = append(broker, r.broker/n)
			first = append(first, r.first)
			pt = append(pt, r.peakTree)
			w := r.peakRoot
			if r.peakProc > 0 {
				w = r.peakProc // a launcher: its largest child is a worker
			}
			pw = append(pw, w)
			s.problems += len(r.problems)
		}
		s.rate, s.rateWall, s.samples, s.events = median(rate), median(rateWall), median(smp), median(ev)
		s.cpu, s.cpuRun, s.broker, s.first = median(cpu), median(cpuRun), median(broker), median(first)
		s.peakTree, s.peakWorker = median(pt), median(pw)
		out = append(out, s)
	}
	return out
}

func summarize(out io.Writer, results []*result) {
	sums := summarizeRuns(results)
	var trivial float64
	ceil := map[int]float64{}
	for _, s := range sums {
		switch s.kind {
		case kindTrivial:
			trivial = s.rate
		case kindCeilometer:
			ceil[s.workers] = s.rate
		}
	}
	fmt.Fprintln(out, "\nmedians (notif/s: notifications / (last expected output - first output); CPU: of the process tree, per notification):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "configuration\truns\tnotif/s\tincl. start\tsamples/s\tevents/s\tCPU total\tCPU in run\tbroker CPU\tpeak RSS tree\tper worker\tfirst output\tvs trivial\tvs Ceilometer\tproblems\t")
	for _, s := range sums {
		vsT, vsC := "", ""
		if trivial > 0 && s.kind != kindTrivial {
			vsT = fmt.Sprintf("%.2f", s.rate/trivial)
		}
		if c := ceil[s.workers]; c > 0 && s.kind == kindAgent {
			vsC = fmt.Sprintf("%.1fx", s.rate/c)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%.2fs\t%s\t%s\t%d\t\n",
			s.name, s.runs, s.rate, s.rateWall, s.samples, s.events, ms(s.cpu), ms(s.cpuRun), ms(s.broker),
			mb(s.peakTree), mb(s.peakWorker), s.first.Seconds(), vsT, vsC, s.problems)
	}
	tw.Flush()
}
