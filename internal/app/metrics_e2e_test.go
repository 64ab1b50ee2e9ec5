package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/metrics"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// outputCollector counts what the agent published: messages and the items
// (samples or events) they carry, per routing key.
type outputCollector struct {
	mu    sync.Mutex
	msgs  map[string]int
	items map[string]int
}

func collectOutputs(t *testing.T, amqpURL string) *outputCollector {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, _ := conn.Channel()
	if err := ch.ExchangeDeclare("ceilometer", "topic", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	q, _ := ch.QueueDeclare("metrics-capture", false, false, false, false, nil)
	for _, k := range []string{"metering.sample", "event.sample"} {
		if err := ch.QueueBind(q.Name, k, "ceilometer", false, nil); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := ch.Consume(q.Name, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &outputCollector{msgs: map[string]int{}, items: map[string]int{}}
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
			c.msgs[d.RoutingKey]++
			c.items[d.RoutingKey] += len(p.([]pyjson.Value))
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *outputCollector) count(key string) (msgs, items int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs[key], c.items[key]
}

var servingMetrics = regexp.MustCompile(`serving metrics: address=(\S+)`)

func (a *agent) metricsAddr(timeout time.Duration) string {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := servingMetrics.FindStringSubmatch(a.out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("the agent did not log its metrics address within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func httpGet(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func scrapeAgent(t *testing.T, addr string) []metrics.Family {
	t.Helper()
	code, body := httpGet(t, addr, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	fams, err := metrics.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// TestAgentMetricsEndToEnd runs the real agent (workers=2, metrics_listen on a
// free loopback port) against the broker with known input — N good and M
// malformed notifications — and checks that the endpoint counts exactly that:
// received N+M, acked N, rejected M by reason, events and samples published
// equal to what a consumer captured; /readyz is 503 until the workers consume
// and 200 after; /healthz is 200.
func TestAgentMetricsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the agent against RabbitMQ")
	}
	amqpURL := rabbittest.VHost(t)
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	dir := t.TempDir()
	writeAgentConfig(t, dir, amqpURL, 2, "'*'")
	f, err := os.OpenFile(filepath.Join(dir, "ceilometer.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("[agent_notification]\nmetrics_listen = 127.0.0.1:0\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := collectOutputs(t, amqpURL)

	// Until guest may use the vhost, the workers cannot consume: not ready.
	rabbittest.Ctl(t, "clear_permissions", "-p", vhost, "guest")
	a := startAgent(t, dir)
	addr := a.metricsAddr(30 * time.Second)
	if code, body := httpGet(t, addr, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	time.Sleep(500 * time.Millisecond)
	if code, body := httpGet(t, addr, "/readyz"); code != 503 || !strings.Contains(body, "not ready") {
		t.Errorf("/readyz before consuming: %d %q", code, body)
	}
	rabbittest.Ctl(t, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
	a.waitLog("all workers ready", 1, 60*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := httpGet(t, addr, "/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after consuming: %d %q", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Known input.
	const good = 200
	bad := map[string][]string{
		"invalid_json":     {`not json`, `{"oslo.version": "2.0", "oslo.message": "{nope"}`, "{\"a\": \"\xff\"}"},
		"not_an_object":    {`[]`, `"text"`},
		"unknown_priority": {`{"priority": "LOUD", "event_type": "x"}`},
		"bad_event_type":   {`{"priority": "info", "event_type": null}`},
	}
	nBad := 0
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	_ = ch.Confirm(false)
	s := &rabbit.Sender{Ch: ch, Topic: "notifications"}
	var dcs []*amqp.DeferredConfirmation
	for i := range good {
		id := uuid.New()
		msg := &pyjson.Object{Members: []pyjson.Member{
			{Key: "message_id", Value: id}, {Key: "publisher_id", Value: "compute.e2e"},
			{Key: "event_type", Value: "compute.instance.exists"}, {Key: "priority", Value: "INFO"},
			{Key: "payload", Value: &pyjson.Object{Members: []pyjson.Member{
				{Key: "instance_id", Value: id}, {Key: "tenant_id", Value: "p1"}, {Key: "user_id", Value: "u1"},
				{Key: "memory_mb", Value: int64(512)}, {Key: "vcpus", Value: int64(1 + i%4)},
				{Key: "root_gb", Value: int64(10)}, {Key: "ephemeral_gb", Value: int64(0)}, {Key: "disk_gb", Value: int64(10)},
			}}},
			{Key: "timestamp", Value: "2026-11-25 10:00:00.000001"}, {Key: "_unique_id", Value: uuid.NewHex()},
		}}
		dc, err := s.Send(context.Background(), "nova", msg)
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
		if i%40 == 0 {
			for _, bodies := range bad {
				if i/40 < len(bodies) {
					dc, err := s.SendRaw(context.Background(), "nova", "notifications.info", []byte(bodies[i/40]))
					if err != nil {
						t.Fatal(err)
					}
					dcs = append(dcs, dc)
					nBad++
				}
			}
		}
	}
	if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
		t.Fatal(err)
	}
	wantBad := 0
	for _, bodies := range bad {
		wantBad += len(bodies)
	}
	if nBad != wantBad {
		t.Fatalf("sent %d malformed, meant %d", nBad, wantBad)
	}

	// Quiescence: every notification settled and every event captured.
	var fams []metrics.Family
	deadline = time.Now().Add(60 * time.Second)
	for {
		fams = scrapeAgent(t, addr)
		_, events := out.count("event.sample")
		if metrics.Sum(fams, "agent_notification_notifications_received_total") == good+float64(nBad) &&
			metrics.Sum(fams, "agent_notification_notifications_in_flight") == 0 && events == good {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not quiescent: received %v, in flight %v, events captured %d",
				metrics.Sum(fams, "agent_notification_notifications_received_total"),
				metrics.Sum(fams, "agent_notification_notifications_in_flight"), events)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let the capture consumer catch up with the last samples
	fams = scrapeAgent(t, addr)
	sum := func(name string, labels ...string) float64 { return metrics.Sum(fams, name, labels...) }
	if got := sum("agent_notification_notifications_received_total"); got != good+float64(nBad) {
		t.Errorf("received %v, want %d", got, good+nBad)
	}
	if got := sum("agent_notification_notifications_acked_total"); got != good {
		t.Errorf("acked %v, want %d", got, good)
	}
	if got := sum("agent_notification_notifications_requeued_total") + sum("agent_notification_notifications_ack_failures_total"); got != 0 {
		t.Errorf("requeued or ack failures: %v", got)
	}
	for reason, bodies := range bad {
		if got := sum("agent_notification_notifications_rejected_total", "reason", reason); got != float64(len(bodies)) {
			t.Errorf("rejected{reason=%q} = %v, want %d", reason, got, len(bodies))
		}
	}
	if got := sum("agent_notification_notifications_rejected_total"); got != float64(nBad) {
		t.Errorf("rejected %v, want %d", got, nBad)
	}
	eventMsgs, events := out.count("event.sample")
	sampleMsgs, samples := out.count("metering.sample")
	if got := sum("agent_notification_events_published_total", "publisher", "notifier://"); got != float64(events) || events != good {
		t.Errorf("events published %v, captured %d (in %d messages), want %d", got, events, eventMsgs, good)
	}
	if got := sum("agent_notification_samples_published_total", "publisher", "notifier://"); got != float64(samples) || samples < good {
		t.Errorf("samples published %v, captured %d (in %d messages)", got, samples, sampleMsgs)
	}
	if got := sum("agent_notification_samples_generated_total"); got < float64(samples) {
		t.Errorf("samples generated %v < published %d", got, samples)
	}
	if got := sum("agent_notification_events_generated_total"); got != good {
		t.Errorf("events generated %v", got)
	}
	// Both workers took part, both answer, both consume.
	for _, id := range []string{"1", "2"} {
		if v, _ := metrics.Get(fams, "agent_notification_worker_up", "worker", id); v != 1 {
			t.Errorf("worker_up{worker=%s} = %v", id, v)
		}
		if v, _ := metrics.Get(fams, "agent_notification_listeners_consuming", "worker", id); v != 1 {
			t.Errorf("listeners_consuming{worker=%s} = %v", id, v)
		}
	}
	if v, _ := metrics.Get(fams, "agent_notification_workers_ready"); v != 2 {
		t.Errorf("workers_ready = %v", v)
	}
	t.Logf("%d notifications + %d malformed: %d samples in %d messages, %d events", good, nBad, samples, sampleMsgs, events)
	if _, body := httpGet(t, addr, "/metrics"); strings.Contains(body, "e2e-secret") || strings.Contains(body, "guest:guest") {
		t.Errorf("the metrics show a secret:\n%s", body)
	}

	a.signal(syscall.SIGTERM)
	if code := a.wait(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
	if _, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the endpoint outlived the agent")
	}
}
