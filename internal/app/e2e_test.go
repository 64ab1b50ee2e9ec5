package app

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/launcher"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/service"
)

// envMain makes the test binary behave as agent-notification: the end-to-end
// tests start it (and the launcher re-execs it for workers) as the real agent.
const envMain = "AGENT_NOTIFICATION_TEST_MAIN"

// envForeground makes the test binary behave as cmd/worker.
const envForeground = "AGENT_NOTIFICATION_TEST_FOREGROUND"

func TestMain(m *testing.M) {
	if os.Getenv(envForeground) != "" {
		os.Exit(RunForeground(append([]string{"worker"}, os.Args[1:]...), os.Stdout, os.Stderr, "test"))
	}
	if os.Getenv(envMain) != "" || launcher.IsWorker() {
		os.Exit(Main(append([]string{Prog}, os.Args[1:]...), os.Stdout, os.Stderr, "test"))
	}
	os.Exit(m.Run())
}

// agent is a running agent process (the test binary acting as main).
type agent struct {
	t    *testing.T
	cmd  *exec.Cmd
	dir  string
	out  *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeAgentConfig writes a configuration for the broker at amqpURL into dir.
func writeAgentConfig(t *testing.T, dir, amqpURL string, workers int, eventSources string) {
	t.Helper()
	u, _ := url.Parse(amqpURL)
	u.Scheme = "rabbit"
	files := map[string]string{
		"ceilometer.conf": fmt.Sprintf(`[DEFAULT]
transport_url = %s
host = e2e-host
use_stderr = true
graceful_shutdown_timeout = 20
[notification]
workers = %d
[publisher]
telemetry_secret = e2e-secret
[oslo_messaging_rabbit]
rabbit_retry_interval = 0
rabbit_retry_backoff = 0
`, u.String(), workers),
		"pipeline.yaml":       "sources:\n  - name: s\n    meters: ['*']\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['notifier://']\n",
		"event_pipeline.yaml": "sources:\n  - name: s\n    events: [" + eventSources + "]\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['notifier://']\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// startAgent starts the test binary as agent-notification with dir's
// ceilometer.conf, in its own process group (killed at the end of the test).
func startAgent(t *testing.T, dir string) *agent {
	t.Helper()
	return startAs(t, dir, envMain)
}

// startAs starts the test binary with the environment variable role set (the
// agent: envMain; cmd/worker: envForeground).
func startAs(t *testing.T, dir, role string) *agent {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{t: t, dir: dir, out: &lockedBuffer{}, done: make(chan error, 1)}
	a.cmd = exec.Command(exe, "--config-file", filepath.Join(dir, "ceilometer.conf"))
	a.cmd.Env = append(os.Environ(), role+"=1")
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("agent output:\n%s", a.out.String())
		}
	})
	return a
}

func (a *agent) signal(sig syscall.Signal) {
	if err := a.cmd.Process.Signal(sig); err != nil {
		a.t.Fatal(err)
	}
}

// wait waits for the agent to exit and returns its status.
func (a *agent) wait(timeout time.Duration) int {
	select {
	case err := <-a.done:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		a.t.Fatal(err)
	case <-time.After(timeout):
		a.t.Fatalf("agent did not exit within %v", timeout)
	}
	return -1
}

// waitLog waits until the agent printed substr (count times).
func (a *agent) waitLog(substr string, count int, timeout time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for strings.Count(a.out.String(), substr) < count {
		if time.Now().After(deadline) {
			a.t.Fatalf("agent did not log %q %d times within %v", substr, count, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventCollector consumes event.sample and counts events per source message id.
type eventCollector struct {
	mu   sync.Mutex
	seen map[string]int
	last time.Time
	// onArrival, when set (before events flow), is called for each message.
	onArrival func(time.Time)
}

// captureQueue declares queue name bound to exchange ceilometer with key (the
// exchange declared as the agent's notifier declares it) and consumes it with
// auto-ack on the test's own connection.
func captureQueue(t *testing.T, amqpURL, name, key string, prefetch int) <-chan amqp.Delivery {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare("ceilometer", "topic", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare(name, false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, key, "ceilometer", false, nil); err != nil {
		t.Fatal(err)
	}
	if prefetch > 0 {
		_ = ch.Qos(prefetch, 0, false)
	}
	ds, err := ch.Consume(q.Name, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func collectEvents(t *testing.T, amqpURL string) *eventCollector {
	t.Helper()
	return collectFrom(captureQueue(t, amqpURL, "e2e-capture", "event.sample", 0))
}

// collectFrom counts the events of the event.sample messages read from ds
// until it is closed.
func collectFrom(ds <-chan amqp.Delivery) *eventCollector {
	c := &eventCollector{seen: map[string]int{}}
	go func() {
		for d := range ds {
			env, err := pyjson.Decode(d.Body)
			if err != nil {
				continue
			}
			inner, _ := env.(*pyjson.Object).Get("oslo.message")
			m, _ := pyjson.Decode([]byte(inner.(string)))
			p, _ := m.(*pyjson.Object).Get("payload")
			c.mu.Lock()
			for _, ev := range p.([]pyjson.Value) {
				id, _ := ev.(*pyjson.Object).Get("message_id")
				c.seen[id.(string)]++
			}
			c.last = time.Now()
			hook := c.onArrival
			c.mu.Unlock()
			if hook != nil {
				hook(time.Now())
			}
		}
	}()
	return c
}

// waitFor waits until every id was seen, then a little longer for duplicates.
func (c *eventCollector) waitFor(t *testing.T, ids []string, timeout time.Duration) (lost, dup int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c.mu.Lock()
		missing := 0
		for _, id := range ids {
			if c.seen[id] == 0 {
				missing++
			}
		}
		c.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		switch n := c.seen[id]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	return lost, dup
}

// sendMany sends n uniquely identified notifications and returns their ids.
func sendMany(t *testing.T, amqpURL string, n int, eventType string) []string {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	_ = ch.Confirm(false)
	s := &rabbit.Sender{Ch: ch, Topic: "notifications"}
	var ids []string
	var dcs []*amqp.DeferredConfirmation
	for i := 0; i < n; i++ {
		id := uuid.New()
		ids = append(ids, id)
		msg := &pyjson.Object{Members: []pyjson.Member{
			{Key: "message_id", Value: id}, {Key: "publisher_id", Value: "compute.e2e"},
			{Key: "event_type", Value: eventType}, {Key: "priority", Value: "INFO"},
			{Key: "payload", Value: &pyjson.Object{Members: []pyjson.Member{{Key: "instance_id", Value: id}}}},
			{Key: "timestamp", Value: "2026-11-25 10:00:00.000001"}, {Key: "_unique_id", Value: uuid.NewHex()},
		}}
		dc, err := s.Send(context.Background(), "nova", msg)
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
		t.Fatal(err)
	}
	return ids
}

func unacked(t *testing.T, amqpURL string) (ready, unacked int) {
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	out := rabbittest.Ctl(t, "list_queues", "-p", vhost, "--no-table-headers", "name", "messages_ready", "messages_unacknowledged")
	for _, l := range strings.Split(out, "\n") {
		var name string
		var r, un int
		if _, err := fmt.Sscanf(l, "%s %d %d", &name, &r, &un); err == nil && strings.HasPrefix(name, "notifications.") {
			ready += r
			unacked += un
		}
	}
	return ready, unacked
}

// runningAgent starts, in a fresh vhost, an agent with workers workers whose
// event pipeline takes every event, and a collector of the published events;
// it returns once every worker consumes.
func runningAgent(t *testing.T, workers int) (amqpURL, dir string, events *eventCollector, a *agent) {
	t.Helper()
	amqpURL = rabbittest.VHost(t)
	dir = t.TempDir()
	writeAgentConfig(t, dir, amqpURL, workers, "'*'")
	events = collectEvents(t, amqpURL)
	a = startAgent(t, dir)
	a.waitLog("all workers ready", 1, 60*time.Second)
	return amqpURL, dir, events, a
}

// TestAgentEndToEnd runs the real agent (launcher, workers=2, the real service)
// against the broker: notifications become events; a SIGHUP with a changed
// event pipeline rolls the workers without losing or duplicating anything; a
// SIGTERM stops the tree with exit status 0 and nothing left unacked.
func TestAgentEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the agent against RabbitMQ")
	}
	amqpURL, dir, events, a := runningAgent(t, 2)
	// Each of the 2 worker processes runs on one CPU.
	procs := service.WorkerProcs
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		procs, _ = strconv.Atoi(v)
	}
	a.waitLog(fmt.Sprintf("gomaxprocs=%d", procs), 2, 10*time.Second)

	ids := sendMany(t, amqpURL, 300, "compute.instance.exists")

	// Reload mid-stream with an event pipeline that drops image events.
	writeAgentConfig(t, dir, amqpURL, 2, "'*', '!image.*'")
	a.signal(syscall.SIGHUP)
	ids = append(ids, sendMany(t, amqpURL, 300, "compute.instance.exists")...)
	a.waitLog("generation ready", 1, 60*time.Second)
	// The previous generation was told to stop as that was logged; it stops
	// consuming within milliseconds and ends once what it holds is acked.
	// What is published after it ended meets the new pipeline only.
	a.waitLog("exited with status 0", 2, 60*time.Second)
	filtered := sendMany(t, amqpURL, 20, "image.upload")
	ids = append(ids, sendMany(t, amqpURL, 100, "compute.instance.exists")...)

	lost, dup := events.waitFor(t, ids, 60*time.Second)
	if lost != 0 || dup != 0 {
		t.Errorf("%d events lost and %d duplicated of %d", lost, dup, len(ids))
	}
	events.mu.Lock()
	for _, id := range filtered {
		if events.seen[id] != 0 {
			t.Errorf("image event %s published after the reload excluded it", id)
			break
		}
	}
	events.mu.Unlock()

	a.signal(syscall.SIGTERM)
	if code := a.wait(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
	if r, u := unacked(t, amqpURL); r != 0 || u != 0 {
		t.Errorf("after stop: %d ready and %d unacked notifications left", r, u)
	}
}

// TestCheckConfig exercises the check-config command.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	writeAgentConfig(t, dir, "amqp://guest:guest@127.0.0.1:5672/x", 1, "'*'")
	var out, errOut strings.Builder
	if code := Main([]string{Prog, "check-config", "--config-file", filepath.Join(dir, "ceilometer.conf")}, &out, &errOut, "t"); code != 0 {
		t.Fatalf("valid configuration: exit %d: %s", code, errOut.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "pipeline.yaml"), []byte("sources:\n  - name: s\n    meters: ['*']\n    sinks: [nope]\nsinks:\n  - name: k\n    publishers: ['notifier://']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := Main([]string{Prog, "check-config", "--config-file", filepath.Join(dir, "ceilometer.conf")}, &out, &errOut, "t"); code != launcher.ExitFatalConfig {
		t.Fatalf("broken pipeline: exit %d", code)
	}
	if !strings.Contains(errOut.String(), "pipeline.yaml:4") || !strings.Contains(errOut.String(), `"nope"`) {
		t.Errorf("error does not name file:line and the sink: %s", errOut.String())
	}
	if code := Main([]string{Prog, "check-config", "--bogus"}, &out, &errOut, "t"); code != ExitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
}

// TestForegroundWorker runs cmd/worker's code path: one service in the
// foreground, no launcher; it consumes, publishes, and stops on SIGTERM.
func TestForegroundWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a worker against RabbitMQ")
	}
	amqpURL := rabbittest.VHost(t)
	dir := t.TempDir()
	writeAgentConfig(t, dir, amqpURL, 4, "'*'")
	events := collectEvents(t, amqpURL)
	a := startAs(t, dir, envForeground)
	a.waitLog("worker ready", 1, 60*time.Second)
	if n := len(children(a.cmd.Process.Pid)); n != 0 {
		t.Errorf("the foreground worker started %d children (workers is ignored)", n)
	}
	ids := sendMany(t, amqpURL, 50, "compute.instance.exists")
	if lost, dup := events.waitFor(t, ids, 30*time.Second); lost != 0 || dup != 0 {
		t.Errorf("lost %d, duplicated %d", lost, dup)
	}
	a.signal(syscall.SIGTERM)
	if code := a.wait(30 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
}
