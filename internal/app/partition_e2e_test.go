package app

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// The replay stream: replayResources resources × replaySteps polls of
// cumulative cpu, disk and network counters, relayed as telemetry.polling
// notifications of replayPerNotification resources each, step after step.
// AGENT_REPLAY_FULL=1 replays the full stream (200 × 50; about 25 s
// a run here, without -race).
var (
	replayResources       = 100
	replaySteps           = 30
	replayPerNotification = 5
	replayExpected        = replayResources * (replaySteps - 1) * 6
)

func init() {
	if os.Getenv("AGENT_REPLAY_FULL") != "" {
		replayResources, replaySteps = 200, 50
		replayExpected = replayResources * (replaySteps - 1) * 6
	}
}

// replayOutputs are the meters the mitaka pipeline's transformers produce
// from the stream (6 per resource and step after the first).
var replayOutputs = map[string]bool{
	"cpu_util": true, "cpu.delta": true,
	"disk.read.bytes.rate": true, "disk.write.bytes.rate": true,
	"network.incoming.bytes.rate": true, "network.outgoing.bytes.rate": true,
}

// writeReplayConfig writes an agent configuration with the mitaka
// pipeline.yaml for the broker at amqpURL.
func writeReplayConfig(t *testing.T, dir, amqpURL, host string, workers int, output *tcpProxy) {
	t.Helper()
	u, _ := url.Parse(amqpURL)
	u.Scheme = "rabbit"
	mitaka, err := os.ReadFile(filepath.Join("..", "..", "testdata", "ceilometer-mitaka", "pipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if output != nil { // every sink publishes through the proxy
		mitaka = []byte(strings.ReplaceAll(string(mitaka), "- notifier://",
			"- notifier://guest:guest@"+output.addr+u.Path))
	}
	files := map[string]string{
		"ceilometer.conf": fmt.Sprintf(`[DEFAULT]
transport_url = %s
host = %s
use_stderr = true
graceful_shutdown_timeout = 20
[notification]
workers = %d
[publisher]
telemetry_secret = e2e-secret
[oslo_messaging_rabbit]
rabbit_retry_interval = 0
rabbit_retry_backoff = 0
rabbit_qos_prefetch_count = 1
`, u.String(), host, workers),
		"pipeline.yaml":       string(mitaka),
		"event_pipeline.yaml": "sources:\n  - name: s\n    events: ['!*']\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['notifier://']\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// replayKey identifies one published transformer output.
type replayKey struct{ name, resource, timestamp string }

// sampleCollector captures the samples the agents publish on metering.sample.
type sampleCollector struct {
	mu   sync.Mutex
	got  map[replayKey][]float64
	n    int // transformer outputs
	raw  int // raw cpu samples (republished by meter_sink)
	last time.Time
}

func collectSamples(t *testing.T, amqpURL string) *sampleCollector {
	t.Helper()
	ds := captureQueue(t, amqpURL, "replay-capture", "metering.sample", 1000)
	c := &sampleCollector{got: map[replayKey][]float64{}}
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
			for _, sv := range p.([]pyjson.Value) {
				s := sv.(*pyjson.Object)
				name, _ := s.Get("counter_name")
				if name == "cpu" {
					c.raw++
				}
				if !replayOutputs[name.(string)] {
					continue
				}
				res, _ := s.Get("resource_id")
				ts, _ := s.Get("timestamp")
				vol, _ := s.Get("counter_volume")
				var v float64
				switch x := vol.(type) {
				case int64:
					v = float64(x)
				case float64:
					v = x
				}
				k := replayKey{name.(string), res.(string), ts.(string)}
				c.got[k] = append(c.got[k], math.Round(v*1e9)/1e9)
				c.n++
			}
			c.last = time.Now()
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *sampleCollector) count() (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.last
}

func (c *sampleCollector) rawCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw
}

// waitStep waits until step went through the agents: its transformer
// outputs (for step 0, its raw samples) all published — or, when lenient (a
// worker was killed: series restart, so some outputs never come), until
// nothing arrived for a moment.
func (c *sampleCollector) waitStep(t *testing.T, step int, lenient bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, last := c.count()
		done := n >= replayResources*6*step
		if step == 0 {
			done = c.rawCount() >= replayResources
		}
		if done {
			if step == 0 {
				time.Sleep(100 * time.Millisecond) // routed right after the raw publish
			}
			return
		}
		if lenient && !last.IsZero() && time.Since(last) > 500*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("step %d: %d outputs, want %d", step, n, replayResources*6*step)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitCount waits until n outputs arrived, then a little longer for extras.
func (c *sampleCollector) waitCount(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, _ := c.count()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d of %d transformer outputs within %v", got, n, timeout)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
}

// waitQuiet waits until no output arrived for quiet.
func (c *sampleCollector) waitQuiet(quiet, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, last := c.count()
		if !last.IsZero() && time.Since(last) > quiet {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *sampleCollector) snapshot() map[replayKey][]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[replayKey][]float64, len(c.got))
	for k, v := range c.got {
		out[k] = append([]float64(nil), v...)
	}
	return out
}

// replayNotifications builds the stream: the notifications of each step.
func replayNotifications() [][]*pyjson.Object {
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	out := make([][]*pyjson.Object, replaySteps)
	for step := range replaySteps {
		for first := 0; first < replayResources; first += replayPerNotification {
			var samples []pyjson.Value
			for r := first; r < first+replayPerNotification && r < replayResources; r++ {
				res := fmt.Sprintf("00000000-0000-4000-8000-%012d", r)
				ts := base.Add(time.Duration(step)*600*time.Second + time.Duration(r)*time.Millisecond).Format("2006-01-02T15:04:05.000000")
				md := &pyjson.Object{Members: []pyjson.Member{
					{Key: "display_name", Value: "vm-" + strconv.Itoa(r)}, {Key: "cpu_number", Value: int64(1 + r%4)},
				}}
				// Deterministic, strictly growing counters, different per
				// resource and step.
				grow := func(meter, per int) int64 {
					v := int64(0)
					for s := 0; s <= step; s++ {
						v += int64(per * (1 + (r*7+s*13+meter*3)%11))
					}
					return v
				}
				for _, m := range []struct {
					name, unit string
					vol        int64
				}{
					{"cpu", "ns", grow(0, 3_000_000_000)},
					{"disk.read.bytes", "B", grow(1, 4096)},
					{"disk.write.bytes", "B", grow(2, 8192)},
					{"network.incoming.bytes", "B", grow(3, 1500)},
					{"network.outgoing.bytes", "B", grow(4, 900)},
				} {
					samples = append(samples, &pyjson.Object{Members: []pyjson.Member{
						{Key: "source", Value: "openstack"}, {Key: "counter_name", Value: m.name},
						{Key: "counter_type", Value: "cumulative"}, {Key: "counter_unit", Value: m.unit},
						{Key: "counter_volume", Value: m.vol}, {Key: "user_id", Value: "u"},
						{Key: "project_id", Value: "p"}, {Key: "resource_id", Value: res},
						{Key: "timestamp", Value: ts}, {Key: "resource_metadata", Value: md},
						{Key: "message_id", Value: uuid.New()}, {Key: "monotonic_time", Value: nil},
					}})
				}
			}
			out[step] = append(out[step], &pyjson.Object{Members: []pyjson.Member{
				{Key: "message_id", Value: uuid.New()}, {Key: "publisher_id", Value: "ceilometer.polling"},
				{Key: "event_type", Value: "telemetry.polling"}, {Key: "priority", Value: "SAMPLE"},
				{Key: "payload", Value: &pyjson.Object{Members: []pyjson.Member{{Key: "samples", Value: samples}}}},
				{Key: "timestamp", Value: "2026-11-25 10:00:00.000001"}, {Key: "_unique_id", Value: uuid.NewHex()},
			}})
		}
	}
	return out
}

// replayRun starts agents (one per host, each with workers) and replays the
// stream step by step: the polls of one series come an interval apart in
// production (600 s in the mitaka pipeline), so step k+1 is sent once step k
// went through — otherwise the listeners' concurrency alone (any number of
// notifications in flight, in any order) reorders a series, in Ceilometer as
// here. during, when set, is called right after step replaySteps/3 is sent
// (to kill a worker while it is processed); the outputs are then only
// required to stop coming, and every queue to be empty.
func replayRun(t *testing.T, workers int, hosts []string, output *tcpProxy, during func(t *testing.T, agents []*agent, owners map[int]int)) map[replayKey][]float64 {
	amqpURL := rabbittest.VHost(t)
	col := collectSamples(t, amqpURL)
	var agents []*agent
	for _, h := range hosts {
		dir := t.TempDir()
		writeReplayConfig(t, dir, amqpURL, h, workers, output)
		agents = append(agents, startAgent(t, dir))
	}
	for _, a := range agents {
		a.waitLog("all workers ready", 1, 60*time.Second)
		if !strings.Contains(a.out.String(), "stateful pipelines are partitioned") {
			t.Fatal("the stateful pipelines are not partitioned")
		}
	}
	var owners map[int]int
	if during != nil {
		time.Sleep(1500 * time.Millisecond) // every consumer registered (stagger)
		owners = partitionOwners(t, vhostOf(agents[0]))
	}
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	sender := &rabbit.Sender{Ch: ch, Topic: "notifications"}
	start := time.Now()
	steps := replayNotifications()
	killed := false
	for step, msgs := range steps {
		var dcs []*amqp.DeferredConfirmation
		for _, m := range msgs {
			dc, err := sender.Send(context.Background(), "ceilometer", m)
			if err != nil {
				t.Fatal(err)
			}
			dcs = append(dcs, dc)
		}
		if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
			t.Fatal(err)
		}
		if during != nil && step == replaySteps/3 {
			during(t, agents, owners)
			killed = true
		}
		col.waitStep(t, step, killed)
	}
	if during == nil {
		col.waitCount(t, replayExpected, 30*time.Second)
	} else {
		col.waitQuiet(3*time.Second, 60*time.Second)
		out := rabbittest.Ctl(t, "list_queues", "-p", vhostOf(agents[0]), "--no-table-headers", "name", "messages")
		for _, l := range strings.Split(out, "\n") {
			var name string
			var n int
			if _, err := fmt.Sscanf(l, "%s %d", &name, &n); err == nil && (strings.HasPrefix(name, "notifications.") || strings.HasPrefix(name, "agent-notification.")) && n != 0 {
				t.Errorf("the stream did not complete: queue %s holds %d messages", name, n)
			}
		}
	}
	n, _ := col.count()
	t.Logf("%d workers × %d agents: %d notifications (%d samples) → %d transformer outputs in %v",
		workers, len(hosts), replaySteps*len(steps[0]), replayResources*replaySteps*5, n, time.Since(start).Round(time.Millisecond))
	for _, a := range agents {
		a.signal(syscall.SIGTERM)
	}
	for _, a := range agents {
		if code := a.wait(30 * time.Second); code != 0 {
			t.Errorf("exit status %d after SIGTERM", code)
		}
	}
	return col.snapshot()
}

// compareReplay reports the differences between two runs' outputs.
func compareReplay(t *testing.T, ref, got map[replayKey][]float64) {
	t.Helper()
	var diffs []string
	for k, rv := range ref {
		gv := got[k]
		sort.Float64s(gv)
		if fmt.Sprint(rv) != fmt.Sprint(gv) {
			diffs = append(diffs, fmt.Sprintf("%v: want %v, got %v", k, rv, gv))
		}
	}
	for k, gv := range got {
		if _, ok := ref[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%v: unexpected %v", k, gv))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d differences from the 1-worker run, e.g.:\n%s", len(diffs), strings.Join(diffs[:min(10, len(diffs))], "\n"))
	}
}

// TestPartitionReplay is the acceptance test of the partitioned stateful
// pipelines: a fixed stream of cumulative cpu/disk/network samples through
// the mitaka pipeline gives the same rate_of_change and delta outputs with 1
// worker, 4 workers and two agents (different host) on one broker; the output
// going away for a while loses and falsifies nothing; killing a worker
// mid-stream publishes no wrong value and the stream completes.
func TestPartitionReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agents against RabbitMQ")
	}
	var ref map[replayKey][]float64
	t.Run("1 worker", func(t *testing.T) {
		ref = replayRun(t, 1, []string{"replay-a"}, nil, nil)
		for k, v := range ref {
			if len(v) != 1 {
				t.Fatalf("%v published %d times", k, len(v))
			}
		}
		if len(ref) != replayExpected {
			t.Fatalf("%d distinct outputs, want %d", len(ref), replayExpected)
		}
	})
	if ref == nil || t.Failed() {
		return
	}
	t.Run("4 workers", func(t *testing.T) {
		compareReplay(t, ref, replayRun(t, 4, []string{"replay-a"}, nil, nil))
	})
	t.Run("2 agents", func(t *testing.T) {
		compareReplay(t, ref, replayRun(t, 2, []string{"replay-a", "replay-b"}, nil, nil))
	})
	t.Run("output down", func(t *testing.T) {
		// The publish target of every sink (a proxy in front of the
		// broker) goes away for 3 s mid-stream: the partition owners
		// hold what they transformed until it returns.
		proxy := newProxy(t, rabbittest.Addr())
		got := replayRun(t, 2, []string{"replay-a"}, proxy, func(t *testing.T, _ []*agent, _ map[int]int) {
			proxy.Down()
			time.Sleep(3 * time.Second)
			proxy.Up()
		})
		wrong, dup, missing := 0, 0, 0
		var examples []string
		for k, gv := range got {
			rv, ok := ref[k]
			for _, v := range gv {
				if !ok || v != rv[0] {
					wrong++
					examples = append(examples, fmt.Sprintf("%v: %v, want %v", k, v, rv))
				}
			}
			dup += len(gv) - 1
		}
		for k := range ref {
			if _, ok := got[k]; !ok {
				missing++
				examples = append(examples, fmt.Sprintf("%v: missing", k))
			}
		}
		t.Logf("output down 3 s: %d outputs, %d missing, %d duplicated, %d wrong", len(got), missing, dup, wrong)
		if wrong > 0 || missing > 0 {
			sort.Strings(examples)
			t.Errorf("%d wrong and %d missing outputs, e.g.:\n%s", wrong, missing, strings.Join(examples[:min(10, len(examples))], "\n"))
		}
	})
	t.Run("kill a worker", func(t *testing.T) {
		got := replayRun(t, 4, []string{"replay-a"}, nil, func(t *testing.T, agents []*agent, owners map[int]int) {
			kids := childPIDs(t, agents[0].cmd.Process.Pid)
			victim, most := 0, -1
			for _, k := range kids {
				if owners[k] > most {
					victim, most = k, owners[k]
				}
			}
			if victim == 0 {
				t.Fatal("no worker process")
			}
			t.Logf("kill -9 worker pid %d (owner of %d partitions; owners %v)", victim, most, owners)
			if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		})
		wrong, dup, missing := 0, 0, 0
		var examples []string
		for k, gv := range got {
			rv, ok := ref[k]
			if !ok {
				wrong++
				examples = append(examples, fmt.Sprintf("%v: %v not in the reference", k, gv))
				continue
			}
			for _, v := range gv {
				if v != rv[0] {
					wrong++
					prev := k
					pt, _ := time.Parse("2006-01-02T15:04:05.000000", k.timestamp)
					prev.timestamp = pt.Add(-600 * time.Second).Format("2006-01-02T15:04:05.000000")
					examples = append(examples, fmt.Sprintf("%v: %v, want %v (previous step: %v)", k, v, rv[0], got[prev]))
				}
			}
			dup += len(gv) - 1
		}
		for k := range ref {
			if _, ok := got[k]; !ok {
				missing++
			}
		}
		t.Logf("after kill -9: %d outputs, %d missing (series restarts), %d republished with the same value, %d wrong", len(got), missing, dup, wrong)
		if wrong > 0 {
			sort.Strings(examples)
			t.Errorf("%d wrong values published, e.g.:\n%s", wrong, strings.Join(examples[:min(10, len(examples))], "\n"))
		}
		if missing > replayExpected/10 {
			t.Errorf("%d of %d outputs missing: more than series restarts explain", missing, replayExpected)
		}
	})
}

// childPIDs returns the pids of pid's children.
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// vhostOf returns the virtual host an agent's configuration names.
func vhostOf(a *agent) string {
	b, _ := os.ReadFile(filepath.Join(a.dir, "ceilometer.conf"))
	m := regexp.MustCompile(`transport_url = (\S+)`).FindSubmatch(b)
	u, _ := url.Parse(string(m[1]))
	v, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	return v
}

// partitionOwners returns, per OS pid, how many partition queues of vhost
// have that process's consumer as their single active consumer (the
// consumer's connection is named "… partitions pid=N").
func partitionOwners(t *testing.T, vhost string) map[int]int {
	t.Helper()
	activeChannels := map[string]int{}
	for _, l := range strings.Split(rabbittest.Ctl(t, "list_consumers", "-p", vhost, "--no-table-headers", "queue_name", "channel_pid", "active"), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && strings.HasPrefix(f[0], "agent-notification.") && f[2] == "true" {
			activeChannels[f[1]]++
		}
	}
	connOf := map[string]string{}
	for _, l := range strings.Split(rabbittest.Ctl(t, "list_channels", "-p", vhost, "--no-table-headers", "pid", "connection"), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			connOf[f[0]] = f[1]
		}
	}
	pidOf := map[string]int{}
	re := regexp.MustCompile(`partitions pid=(\d+)`)
	for _, l := range strings.Split(rabbittest.Ctl(t, "list_connections", "--no-table-headers", "pid", "client_properties"), "\n") {
		f := strings.Fields(l)
		if m := re.FindStringSubmatch(l); len(f) > 0 && m != nil {
			pidOf[f[0]], _ = strconv.Atoi(m[1])
		}
	}
	out := map[int]int{}
	for ch, n := range activeChannels {
		out[pidOf[connOf[ch]]] += n
	}
	return out
}
