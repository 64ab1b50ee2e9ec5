package launcher

// Test harness: the test binary doubles as the program under test. TestMain runs
//   - a worker (RunWorker) when the launcher's sentinel variable is set,
//   - a parent (Run) when LAUNCHER_TEST_ROLE=parent,
//   - the tests otherwise.
// The service is testService, configured by a JSON file whose bytes are the snapshot.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/internal/metrics"
)

const (
	envTestRole   = "LAUNCHER_TEST_ROLE"
	envTestConfig = "LAUNCHER_TEST_CONFIG"
	envTestEvents = "LAUNCHER_TEST_EVENTS"
	envTestCmdDir = "LAUNCHER_TEST_CMDDIR"
)

func TestMain(m *testing.M) {
	switch {
	case IsWorker():
		os.Exit(harnessWorker())
	case os.Getenv(envTestRole) == "parent":
		os.Exit(harnessParent())
	}
	os.Exit(m.Run())
}

// testConfig is the harness's "ceilometer.conf".
type testConfig struct {
	Workers         int    `json:"workers"`
	GracefulTimeout string `json:"graceful_timeout,omitempty"`
	RestartMethod   string `json:"restart_method,omitempty"`
	LogDir          string `json:"log_dir,omitempty"`
	Value           string `json:"value"`            // mutable option, generation marker
	Secret          string `json:"secret,omitempty"` // masked everywhere
	StopDelay       string `json:"stop_delay,omitempty"`
	ReadyDelay      string `json:"ready_delay,omitempty"`
	Hang            bool   `json:"hang,omitempty"`       // never finish draining
	ExitAfter       string `json:"exit_after,omitempty"` // exit on its own after this long
	ExitCode        int    `json:"exit_code,omitempty"`
	Fatal           bool   `json:"fatal,omitempty"` // Run fails with ErrFatalConfig
	MetricsListen   string `json:"metrics_listen,omitempty"`
	MetricsHang     int    `json:"metrics_hang,omitempty"` // worker id whose Metrics never returns
}

func dur(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// loadTestConfig is Settings.Load: errors carry file:line like the real loaders.
func loadTestConfig() (*Generation, error) {
	path := os.Getenv(envTestConfig)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg testConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		line := 1
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line += strings.Count(string(b[:se.Offset]), "\n")
		}
		return nil, fmt.Errorf("%s:%d: %v", path, line, err)
	}
	return &Generation{
		Workers:                 cfg.Workers,
		GracefulShutdownTimeout: dur(cfg.GracefulTimeout),
		RestartMethod:           cfg.RestartMethod,
		LogDir:                  cfg.LogDir,
		Snapshot:                b,
		ConfigDump:              fmt.Sprintf("DEFAULT.value = %s\nDEFAULT.secret = ****\nDEFAULT.workers = %d\n", cfg.Value, cfg.Workers),
		MetricsListen:           cfg.MetricsListen,
	}, nil
}

func diffTestConfig(old, new *Generation) []string {
	var a, b testConfig
	_ = json.Unmarshal(old.Snapshot, &a)
	_ = json.Unmarshal(new.Snapshot, &b)
	var out []string
	if a.Value != b.Value {
		out = append(out, fmt.Sprintf("Option DEFAULT.value changed from [%s] to [%s]", a.Value, b.Value))
	}
	if a.Secret != b.Secret {
		out = append(out, "Option DEFAULT.secret changed from [****] to [****]")
	}
	return out
}

func harnessSettings(logger hclog.Logger) Settings {
	s := Settings{
		Logger: logger, Version: "test-1.0", Name: "agent-notification",
		Load: loadTestConfig, Diff: diffTestConfig, Service: &testService{log: logger.Named("service")},
		ReadyTimeout: 10 * time.Second, HeartbeatInterval: time.Second,
	}
	if d := dur(os.Getenv("LAUNCHER_TEST_READY_TIMEOUT")); d > 0 {
		s.ReadyTimeout = d
	}
	if os.Getenv("LAUNCHER_TEST_REPORT_WORKERS") != "" {
		s.ReportWorkers = true
	}
	return s
}

func harnessParent() int {
	logger := hclog.New(&hclog.LoggerOptions{Name: "agent", Level: hclog.Debug, JSONFormat: true, Output: os.Stderr})
	err := Run(context.Background(), harnessSettings(logger))
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent-notification:", err)
	}
	return ExitCode(err)
}

func harnessWorker() int {
	err := RunWorker(context.Background(), harnessSettings(NewWorkerLogger("agent")))
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent-notification worker:", err)
	}
	recordEvent("exitcode", strconv.Itoa(ExitCode(err))) // orphans cannot be waited for by the test
	return ExitCode(err)
}

// testService records what happens to it in the events file: "<unixnano> <pid> <event> <value>".
type testService struct {
	log hclog.Logger

	mu      sync.Mutex
	cfg     testConfig // of the last Run
	running int
	ready   int
}

// Metrics reports the service's value and state (MetricsReporter). With
// metrics_hang = this worker's id it never returns (a stuck worker).
func (s *testService) Metrics() metrics.Report {
	s.mu.Lock()
	cfg, running, ready := s.cfg, s.running, s.ready
	s.mu.Unlock()
	if cfg.MetricsHang != 0 && os.Getenv(envWorkerID) == strconv.Itoa(cfg.MetricsHang) {
		<-make(chan struct{})
	}
	var set metrics.Set
	set.Gauge("agent_notification_test_running", "Runs in progress.").Add(float64(running), "value", cfg.Value)
	set.Counter("agent_notification_test_pid_total", "The process id (a counter that differs per worker).").Add(float64(os.Getpid()))
	rep := metrics.Report{Ready: ready > 0, Families: set.Families()}
	if !rep.Ready {
		rep.Reason = "test service not consuming"
	}
	return rep
}

func recordEvent(name, value string) {
	path := os.Getenv(envTestEvents)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%d %d %s %s\n", time.Now().UnixNano(), os.Getpid(), name, value)
	f.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (s *testService) Run(ctx context.Context, snapshot []byte, ready func()) error {
	var cfg testConfig
	if err := json.Unmarshal(snapshot, &cfg); err != nil {
		return fmt.Errorf("%w: %v", ErrFatalConfig, err)
	}
	recordEvent("start", cfg.Value)
	s.mu.Lock()
	s.cfg = cfg
	s.running++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	if cfg.Fatal {
		recordEvent("fatal", cfg.Value)
		return fmt.Errorf("%w: pipeline.yaml:3: sink %q is not defined", ErrFatalConfig, "missing")
	}
	sleepCtx(ctx, dur(cfg.ReadyDelay))
	if ctx.Err() == nil {
		recordEvent("ready", cfg.Value) // before telling the launcher, so the file order is causal
		s.mu.Lock()
		s.ready++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.ready--
			s.mu.Unlock()
		}()
		ready()
		s.log.Info("service consuming", "value", cfg.Value)
	}
	var exitC <-chan time.Time
	if d := dur(cfg.ExitAfter); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		exitC = t.C
	}
	var cmdC <-chan time.Time
	cmdFile := ""
	if dir := os.Getenv(envTestCmdDir); dir != "" {
		cmdFile = filepath.Join(dir, "exit-"+strconv.Itoa(os.Getpid()))
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		cmdC = t.C
	}
	for {
		select {
		case <-ctx.Done():
			recordEvent("drain", cfg.Value)
			if cfg.Hang {
				<-make(chan struct{})
			}
			time.Sleep(dur(cfg.StopDelay))
			recordEvent("drained", cfg.Value)
			return nil
		case <-exitC:
			recordEvent("exit", cfg.Value)
			os.Exit(cfg.ExitCode)
		case <-cmdC:
			if b, err := os.ReadFile(cmdFile); err == nil {
				code, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				recordEvent("exit", cfg.Value)
				os.Exit(code)
			}
		}
	}
}

func (s *testService) Reload(ctx context.Context, snapshot []byte) error {
	var cfg testConfig
	if err := json.Unmarshal(snapshot, &cfg); err != nil {
		return err
	}
	recordEvent("reload", cfg.Value)
	return nil
}

// ---- test side ----

type logLine struct {
	at     time.Time
	raw    string
	fields map[string]any // nil for non-JSON lines
}

func (l logLine) msg() string {
	if l.fields == nil {
		return l.raw
	}
	s, _ := l.fields["@message"].(string)
	return s
}

func (l logLine) str(k string) string {
	switch v := l.fields[k].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// stamp is the time the logger wrote the line (parent's clock), falling back to receipt time.
func (l logLine) stamp() time.Time {
	if ts, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", l.str("@timestamp")); err == nil {
		return ts
	}
	return l.at
}

type procEvent struct {
	at    time.Time
	pid   int
	name  string
	value string
}

// tree is one launcher process tree started by a test.
type tree struct {
	t       *testing.T
	dir     string
	cfgPath string
	evPath  string
	cmdDir  string
	cmd     *exec.Cmd
	pid     int
	start   time.Time

	mu    sync.Mutex
	lines []logLine

	logDone  chan struct{}
	exited   chan struct{}
	exitErr  error
	exitTime time.Time
}

func (tr *tree) writeConfig(cfg testConfig) {
	tr.t.Helper()
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		tr.t.Fatal(err)
	}
	tmp := tr.cfgPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.Rename(tmp, tr.cfgPath); err != nil {
		tr.t.Fatal(err)
	}
}

func startTree(t *testing.T, cfg testConfig, extraEnv ...string) *tree {
	t.Helper()
	return startTreeWith(t, cfg, nil, extraEnv...)
}

// startTreeWith is startTree with a hook to adjust the command (stdio, session) before start.
func startTreeWith(t *testing.T, cfg testConfig, tweak func(*exec.Cmd), extraEnv ...string) *tree {
	t.Helper()
	dir := t.TempDir()
	tr := &tree{t: t, dir: dir, cfgPath: filepath.Join(dir, "config.json"), evPath: filepath.Join(dir, "events"),
		cmdDir: filepath.Join(dir, "cmd"), logDone: make(chan struct{}), exited: make(chan struct{})}
	if err := os.Mkdir(tr.cmdDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tr.writeConfig(cfg)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envTestRole+"=parent", envTestConfig+"="+tr.cfgPath,
		envTestEvents+"="+tr.evPath, envTestCmdDir+"="+tr.cmdDir,
		// The race runtime sleeps 1 s at exit by default; exit timings are what we measure.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: kill -<pgid> hits only the tree
	if tweak != nil {
		tweak(cmd)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	tr.cmd, tr.pid, tr.start = cmd, cmd.Process.Pid, time.Now()
	go tr.readLogs(r)
	go func() {
		tr.exitErr = cmd.Wait()
		tr.exitTime = time.Now()
		close(tr.exited)
	}()
	t.Cleanup(tr.cleanup)
	return tr
}

func (tr *tree) readLogs(r io.ReadCloser) {
	defer close(tr.logDone)
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		l := logLine{at: time.Now(), raw: sc.Text()}
		if strings.HasPrefix(l.raw, "{") {
			var m map[string]any
			if json.Unmarshal([]byte(l.raw), &m) == nil {
				l.fields = m
			}
		}
		tr.mu.Lock()
		tr.lines = append(tr.lines, l)
		tr.mu.Unlock()
	}
}

// cleanup kills whatever is left of the tree (process group and orphans seen in the events).
func (tr *tree) cleanup() {
	_ = syscall.Kill(-tr.pid, syscall.SIGKILL)
	for _, ev := range tr.events() {
		if alive(ev.pid) && ev.pid != os.Getpid() {
			_ = syscall.Kill(ev.pid, syscall.SIGKILL)
		}
	}
	select {
	case <-tr.exited:
	case <-time.After(5 * time.Second):
		tr.t.Errorf("launcher pid %d did not exit after SIGKILL", tr.pid)
	}
	select {
	case <-tr.logDone:
	case <-time.After(5 * time.Second):
		tr.t.Errorf("log pipe of pid %d still open", tr.pid)
	}
	for _, l := range tr.logs() { // the tree's processes are race-enabled too
		if strings.Contains(l.raw, "WARNING: DATA RACE") || strings.Contains(l.raw, "panic: ") {
			tr.t.Errorf("launcher tree reported: %s", l.raw)
			break
		}
	}
	if tr.t.Failed() {
		tr.dump()
	}
}

func (tr *tree) dump() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, l := range tr.lines {
		tr.t.Logf("log %s %s", l.at.Format("15:04:05.000"), l.raw)
	}
	b, _ := os.ReadFile(tr.evPath)
	tr.t.Logf("events:\n%s", b)
}

func (tr *tree) logs() []logLine {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]logLine(nil), tr.lines...)
}

func (tr *tree) find(pred func(logLine) bool) []logLine {
	var out []logLine
	for _, l := range tr.logs() {
		if pred(l) {
			out = append(out, l)
		}
	}
	return out
}

func msgHas(sub string) func(logLine) bool {
	return func(l logLine) bool { return strings.Contains(l.msg(), sub) }
}

// waitFor polls cond (tests only) until it holds or the timeout expires.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (tr *tree) waitLog(what string, timeout time.Duration, pred func(logLine) bool) logLine {
	tr.t.Helper()
	var got []logLine
	if !waitFor(timeout, func() bool { got = tr.find(pred); return len(got) > 0 }) {
		tr.t.Fatalf("no log line %q within %s", what, timeout)
	}
	return got[0]
}

func (tr *tree) events() []procEvent {
	b, err := os.ReadFile(tr.evPath)
	if err != nil {
		return nil
	}
	var out []procEvent
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		pid, _ := strconv.Atoi(f[1])
		ev := procEvent{at: time.Unix(0, ns), pid: pid, name: f[2]}
		if len(f) > 3 {
			ev.value = f[3]
		}
		out = append(out, ev)
	}
	return out
}

func (tr *tree) eventsNamed(name string) []procEvent {
	var out []procEvent
	for _, ev := range tr.events() {
		if ev.name == name {
			out = append(out, ev)
		}
	}
	return out
}

func (tr *tree) signal(sig syscall.Signal) {
	tr.t.Helper()
	if err := syscall.Kill(tr.pid, sig); err != nil {
		tr.t.Fatalf("kill %d: %v", tr.pid, err)
	}
}

// wait waits for the launcher to exit and returns its exit code (-1 if killed by a signal).
func (tr *tree) wait(timeout time.Duration) int {
	tr.t.Helper()
	select {
	case <-tr.exited:
	case <-time.After(timeout):
		tr.t.Fatalf("launcher did not exit within %s", timeout)
	}
	return tr.cmd.ProcessState.ExitCode()
}

// children lists the live (non-zombie) children of the launcher.
func (tr *tree) children() []int { return childrenOf(tr.pid) }

func (tr *tree) waitChildren(n int, timeout time.Duration) []int {
	tr.t.Helper()
	var got []int
	if !waitFor(timeout, func() bool { got = tr.children(); return len(got) == n }) {
		tr.t.Fatalf("want %d children within %s, have %v", n, timeout, got)
	}
	return got
}

// waitReady waits until n "ready" events exist (n workers ready).
func (tr *tree) waitReady(n int, timeout time.Duration) {
	tr.t.Helper()
	if !waitFor(timeout, func() bool { return len(tr.eventsNamed("ready")) >= n }) {
		tr.t.Fatalf("want %d ready workers within %s, have %d", n, timeout, len(tr.eventsNamed("ready")))
	}
}

type procStat struct {
	state      byte
	ppid       int
	utime, sys int64
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return procStat{state: f[0][0], ppid: ppid, utime: ut, sys: st}, true
}

func alive(pid int) bool {
	st, ok := readStat(pid)
	return ok && st.state != 'Z' && st.state != 'X'
}

func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(p); ok && st.ppid == pid && st.state != 'Z' && st.state != 'X' {
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
