package service

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

const testSecret = "worker-test-secret"

// stubMeters yields one sample per notification, named after its event type.
type stubMeters struct{ calls atomic.Int64 }

func (s *stubMeters) Process(_ context.Context, n *plugins.Notification) ([]pipeline.Sample, error) {
	s.calls.Add(1)
	return []pipeline.Sample{{
		Name: "stub." + n.EventType, Type: pipeline.TypeGauge, Unit: "thing", Volume: int64(1),
		ResourceID: n.MessageID, Timestamp: n.Timestamp, ResourceMetadata: &pyjson.Object{},
		ID: uuid.New(),
	}}, nil
}

// stubEvents yields one event per notification.
type stubEvents struct{}

func (stubEvents) Convert(n *plugins.Notification) (*pipeline.Event, error) {
	return &pipeline.Event{MessageID: n.MessageID, EventType: n.EventType, Generated: "2026-11-25T10:00:00", Traits: []pipeline.Trait{{Name: "service", Type: pipeline.TraitText, Value: n.PublisherID}}}, nil
}

// testGeneration builds a generation for the broker at amqpURL with stub
// converters and notifier:// publishers.
func testGeneration(t *testing.T, amqpURL string, extraConf string) *Generation {
	t.Helper()
	u, err := url.Parse(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme = "rabbit"
	dir := t.TempDir()
	files := map[string]string{
		"ceilometer.conf":     fmt.Sprintf("[DEFAULT]\ntransport_url = %s\nhost = test-host\n[publisher]\ntelemetry_secret = %s\n[oslo_messaging_rabbit]\nrabbit_retry_interval = 0\nrabbit_retry_backoff = 0\n%s", u.String(), testSecret, extraConf),
		"pipeline.yaml":       "sources:\n  - name: s\n    meters: ['*']\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['notifier://']\n",
		"event_pipeline.yaml": "sources:\n  - name: s\n    events: ['*']\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['notifier://']\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args, err := conf.ParseArgs([]string{"--config-file", filepath.Join(dir, "ceilometer.conf")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load("agent-notification", args, conf.NewBundle([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	g := &Generation{Prog: "agent-notification", Config: cfg, Meters: []SampleSource{&stubMeters{}}, Events: stubEvents{}}
	if g.SamplePipelines, err = g.loadPipelines(cfg.PipelineCfgFile, "pipeline.yaml", pipeline.LoadSampleConfig); err != nil {
		t.Fatal(err)
	}
	if g.EventPipelines, err = g.loadPipelines(cfg.EventPipelineCfgFile, "event_pipeline.yaml", pipeline.LoadEventConfig); err != nil {
		t.Fatal(err)
	}
	return g
}

// broker is a test's own connection to its vhost.
type broker struct {
	t    *testing.T
	conn *amqp.Connection
	ch   *amqp.Channel
	send *rabbit.Sender
}

func dialBroker(t *testing.T, amqpURL string) *broker {
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
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	return &broker{t: t, conn: conn, ch: ch, send: &rabbit.Sender{Ch: ch, Topic: "notifications"}}
}

// capture declares a queue bound to the ceilometer exchange for the given keys.
func (b *broker) capture(keys ...string) string {
	b.t.Helper()
	if err := b.ch.ExchangeDeclare("ceilometer", "topic", false, false, false, false, nil); err != nil {
		b.t.Fatal(err)
	}
	q, err := b.ch.QueueDeclare("capture-"+uuid.NewHex()[:8], false, false, false, false, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, k := range keys {
		if err := b.ch.QueueBind(q.Name, k, "ceilometer", false, nil); err != nil {
			b.t.Fatal(err)
		}
	}
	return q.Name
}

// notification returns an oslo notification dict.
func notification(eventType, priority string, payload pyjson.Value) *pyjson.Object {
	return &pyjson.Object{Members: []pyjson.Member{
		{Key: "message_id", Value: uuid.New()},
		{Key: "publisher_id", Value: "compute.host-1"},
		{Key: "event_type", Value: eventType},
		{Key: "priority", Value: priority},
		{Key: "payload", Value: payload},
		{Key: "timestamp", Value: "2026-11-25 10:00:00.123456"},
		{Key: "_unique_id", Value: uuid.NewHex()},
		{Key: "_context_user_id", Value: "u1"},
	}}
}

// collect reads messages from queue until want arrived or the deadline passed.
func (b *broker) collect(queue string, want int, timeout time.Duration) []amqp.Delivery {
	b.t.Helper()
	ch, err := b.conn.Channel()
	if err != nil {
		b.t.Fatal(err)
	}
	defer ch.Close()
	ds, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	var out []amqp.Delivery
	deadline := time.After(timeout)
	for len(out) < want {
		select {
		case d := <-ds:
			out = append(out, d)
		case <-deadline:
			return out
		}
	}
	// Anything more arriving shortly is an error the caller can see.
	extra := time.After(300 * time.Millisecond)
	for {
		select {
		case d := <-ds:
			out = append(out, d)
		case <-extra:
			return out
		}
	}
}

func startWorker(t *testing.T, g *Generation) *Worker {
	t.Helper()
	w, err := NewWorker(nil, g, 0)
	if err != nil {
		t.Fatal(err)
	}
	return runWorker(t, w)
}

// runWorker starts w, waits until it consumes, and shuts it down when the test
// ends.
func runWorker(t *testing.T, w *Worker) *Worker {
	t.Helper()
	ready := make(chan struct{})
	w.OnReady = func() { close(ready) }
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = w.Shutdown(ctx)
	})
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("worker not ready")
	}
	return w
}

// deadLettering sets a dead-letter policy on the notification queues of the
// test's vhost, as an operator would (no queue argument changes, so
// declarations stay compatible with Ceilometer's), and returns the queue the
// dead letters land in.
func deadLettering(t *testing.T, amqpURL string, b *broker) string {
	t.Helper()
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	rabbittest.Ctl(t, "set_policy", "-p", vhost, "--apply-to", "queues", "notif-dlx", `^notifications\.`, `{"dead-letter-exchange":"notifications.dlx"}`)
	if err := b.ch.ExchangeDeclare("notifications.dlx", "fanout", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	dlq, err := b.ch.QueueDeclare("dead-letters", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.ch.QueueBind(dlq.Name, "", "notifications.dlx", false, nil); err != nil {
		t.Fatal(err)
	}
	return dlq.Name
}

// queueCounts returns messages ready and unacked for the queues of a vhost.
func queueCounts(t *testing.T, amqpURL string) map[string][2]int {
	t.Helper()
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	out := map[string][2]int{}
	lines := rabbittest.Ctl(t, "list_queues", "-p", vhost, "--no-table-headers", "name", "messages_ready", "messages_unacknowledged")
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		var name string
		var ready, unacked int
		if _, err := fmt.Sscanf(l, "%s %d %d", &name, &ready, &unacked); err == nil {
			out[name] = [2]int{ready, unacked}
		}
	}
	return out
}

func TestWorkerEndToEnd(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	g := testGeneration(t, amqpURL, "")
	b := dialBroker(t, amqpURL)
	capture := b.capture("metering.sample", "event.sample")
	w := startWorker(t, g)

	const n = 60
	var dcs []*amqp.DeferredConfirmation
	for i := 0; i < n; i++ {
		prio := []string{"INFO", "SAMPLE", "ERROR"}[i%3]
		dc, err := b.send.Send(context.Background(), []string{"nova", "cinder", "glance"}[i%3], notification(fmt.Sprintf("test.event.%d", i), prio, &pyjson.Object{}))
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
		t.Fatal(err)
	}
	// info → samples and an event; sample → samples; error → an event.
	wantSamples, wantEvents := 40, 40
	msgs := b.collect(capture, wantSamples+wantEvents, 30*time.Second)
	var samples, events int
	for _, d := range msgs {
		if d.ContentType != "application/json" || d.DeliveryMode != amqp.Persistent {
			t.Errorf("properties: %q %d", d.ContentType, d.DeliveryMode)
		}
		v, err := pyjson.Decode(d.Body)
		if err != nil {
			t.Fatal(err)
		}
		env := v.(*pyjson.Object)
		if ver, _ := env.Get("oslo.version"); ver != "2.0" || env.Members[0].Key != "oslo.version" {
			t.Fatalf("envelope: %s", d.Body)
		}
		inner, _ := env.Get("oslo.message")
		mv, err := pyjson.Decode([]byte(inner.(string)))
		if err != nil {
			t.Fatal(err)
		}
		m := mv.(*pyjson.Object)
		keys := []string{}
		for _, mem := range m.Members {
			keys = append(keys, mem.Key)
		}
		if got := strings.Join(keys, ","); got != "message_id,publisher_id,event_type,priority,payload,timestamp,_unique_id" {
			t.Errorf("message keys = %s", got)
		}
		if p, _ := m.Get("publisher_id"); p != "telemetry.publisher.test-host" {
			t.Errorf("publisher_id = %v", p)
		}
		if p, _ := m.Get("priority"); p != "SAMPLE" {
			t.Errorf("priority = %v", p)
		}
		payload, _ := m.Get("payload")
		list := payload.([]pyjson.Value)
		if len(list) != 1 {
			t.Fatalf("payload of %d items", len(list))
		}
		item := list[0].(*pyjson.Object)
		if !pipeline.Verify(testSecret, item) {
			t.Errorf("bad signature: %s", pyjson.Repr(item))
		}
		switch d.RoutingKey {
		case "metering.sample":
			samples++
			if et, _ := m.Get("event_type"); et != "metering" {
				t.Errorf("event_type = %v", et)
			}
		case "event.sample":
			events++
			if et, _ := m.Get("event_type"); et != "event" {
				t.Errorf("event_type = %v", et)
			}
		}
	}
	if samples != wantSamples || events != wantEvents {
		t.Errorf("got %d sample and %d event messages, want %d and %d", samples, events, wantSamples, wantEvents)
	}
	// Everything was acked: the notification queues are empty, nothing unacked.
	deadline := time.Now().Add(10 * time.Second)
	for {
		counts := queueCounts(t, amqpURL)
		bad := ""
		for q, c := range counts {
			if strings.HasPrefix(q, "notifications.") && (c[0] != 0 || c[1] != 0) {
				bad += fmt.Sprintf(" %s=%v", q, c)
			}
		}
		if bad == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queues not drained:%s", bad)
		}
		time.Sleep(200 * time.Millisecond)
	}
	st := &w.listeners[0].Stats
	if st.Received.Load() != n || st.Acked.Load() != n || st.InFlight.Load() != 0 {
		t.Errorf("received=%d acked=%d in flight=%d", st.Received.Load(), st.Acked.Load(), st.InFlight.Load())
	}
	// One consumer per queue.
	for _, q := range []string{"notifications.info", "notifications.error", "notifications.sample"} {
		if c := consumers(t, amqpURL, q); c != 1 {
			t.Errorf("%s has %d consumers", q, c)
		}
	}
}

func consumers(t *testing.T, amqpURL, queue string) int {
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	out := rabbittest.Ctl(t, "list_queues", "-p", vhost, "--no-table-headers", "name", "consumers")
	for _, l := range strings.Split(out, "\n") {
		var name string
		var n int
		if _, err := fmt.Sscanf(l, "%s %d", &name, &n); err == nil && name == queue {
			return n
		}
	}
	return -1
}

func TestWorkerRejectsMalformedAndKeepsGoing(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	g := testGeneration(t, amqpURL, "")
	b := dialBroker(t, amqpURL)
	capture := b.capture("metering.sample")
	w := startWorker(t, g)
	bad := []string{
		`not json`, `[]`, `{"oslo.version": "3.0", "oslo.message": "{}"}`,
		`{"oslo.version": "2.0", "oslo.message": "{\"priority\": \"LOUD\", \"event_type\": \"x\"}"}`,
		"{\"a\": \"\xff\"}", strings.Repeat("[", 5000),
	}
	var dcs []*amqp.DeferredConfirmation
	for i, body := range bad {
		dc, err := b.send.SendRaw(context.Background(), "nova", "notifications.info", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
		// A well-formed sentinel behind each bad message.
		dc, err = b.send.Send(context.Background(), "nova", notification(fmt.Sprintf("sentinel.%d", i), "INFO", &pyjson.Object{}))
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
		t.Fatal(err)
	}
	msgs := b.collect(capture, len(bad), 30*time.Second)
	if len(msgs) != len(bad) {
		t.Fatalf("%d sentinel outputs, want %d", len(msgs), len(bad))
	}
	var rejected uint64
	byReason := w.listeners[0].Stats.RejectedBy()
	for _, r := range []string{ReasonInvalidJSON, ReasonNotObject, ReasonEnvelopeVersion, ReasonPriority} {
		rejected += byReason[r]
	}
	if rejected != uint64(len(bad)) {
		t.Errorf("rejected %d, want %d", rejected, len(bad))
	}
	if got := w.listeners[0].Stats.Rejected.Load(); got != uint64(len(bad)) {
		t.Errorf("listener rejected %d", got)
	}
}

func TestQueueDeclarationsMatchCeilometer(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	b := dialBroker(t, amqpURL)
	// A service (or Ceilometer) declared the queue first, oslo-style: not durable.
	if _, err := b.send.Send(context.Background(), "nova", notification("x", "INFO", nil)); err != nil {
		t.Fatal(err)
	}
	g := testGeneration(t, amqpURL, "amqp_durable_queues = true\n")
	w, err := NewWorker(nil, g, 0)
	if err != nil {
		t.Fatal(err)
	}
	eps, err := rabbit.ParseTransportURL(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := rabbit.DialWire(context.Background(), eps, 0, rabbit.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	err = declare(conn, ch, w.listeners[0].topology)
	if err == nil || !strings.Contains(err.Error(), "amqp_durable_queues") {
		t.Fatalf("a durability mismatch must be explained, got %v", err)
	}
	// With Ceilometer's default (not durable) it declares fine.
	g = testGeneration(t, amqpURL, "")
	w, _ = NewWorker(nil, g, 0)
	ch, _ = conn.Channel()
	if err := declare(conn, ch, w.listeners[0].topology); err != nil {
		t.Fatal(err)
	}
	// A topology of exchanges only is confirmed too (the no-wait
	// declarations are checked by a synchronous one, not left unanswered).
	ch, _ = conn.Channel()
	err = declare(conn, ch, Topology{Exchanges: []string{"nova"}, Durable: true})
	if err == nil || !strings.Contains(err.Error(), `exchange "nova"`) {
		t.Fatalf("a durability mismatch of an exchange must be reported, got %v", err)
	}
}

// TestListenerRecoversFromConnectionCuts cuts the vhost's connections twice while
// notifications flow: the worker reconnects by itself, loses nothing, leaves
// nothing unacked, and ends with exactly one consumer per queue.
func TestListenerRecoversFromConnectionCuts(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	g := testGeneration(t, amqpURL, "")
	b := dialBroker(t, amqpURL)
	capture := b.capture("event.sample")
	w := startWorker(t, g)

	ids := map[string]int{}
	send := func(n int) {
		// The test's own connection is cut too: use a fresh one each time.
		c := dialBroker(t, amqpURL)
		var dcs []*amqp.DeferredConfirmation
		for i := 0; i < n; i++ {
			msg := notification("test.cut", "INFO", &pyjson.Object{})
			id, _ := msg.Get("message_id")
			ids[id.(string)] = 0
			dc, err := c.send.Send(context.Background(), "nova", msg)
			if err != nil {
				t.Fatal(err)
			}
			dcs = append(dcs, dc)
		}
		if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
			t.Fatal(err)
		}
	}
	send(100)
	for cut := 0; cut < 2; cut++ {
		rabbittest.Ctl(t, "close_all_connections", "--vhost", vhost, "test cut")
		send(100)
		// Two cuts means two recoveries: the next cut waits for this one's
		// (a cut during the back-off would only lengthen the first).
		if !waitUntil(30*time.Second, func() bool {
			return w.listeners[0].Stats.Reconnects.Load() > uint64(cut) && w.listeners[0].Consuming()
		}) {
			t.Fatalf("no recovery after cut %d", cut+1)
		}
	}
	// Read the outputs on a fresh connection (ours was cut).
	b = dialBroker(t, amqpURL)
	msgs := b.collect(capture, len(ids), 60*time.Second)
	dups := 0
	for _, d := range msgs {
		env, _ := pyjson.Decode(d.Body)
		inner, _ := env.(*pyjson.Object).Get("oslo.message")
		m, _ := pyjson.Decode([]byte(inner.(string)))
		p, _ := m.(*pyjson.Object).Get("payload")
		for _, ev := range p.([]pyjson.Value) {
			id, _ := ev.(*pyjson.Object).Get("message_id")
			if _, ok := ids[id.(string)]; ok {
				ids[id.(string)]++
				if ids[id.(string)] > 1 {
					dups++
				}
			}
		}
	}
	lost := 0
	for _, n := range ids {
		if n == 0 {
			lost++
		}
	}
	if lost != 0 {
		t.Errorf("%d of %d notifications lost", lost, len(ids))
	}
	// Duplicates are possible only for what was in flight when a connection
	// was cut (at most the prefetch window per cut).
	if dups > 2*g.Config.Rabbit.PrefetchCount {
		t.Errorf("%d duplicates, more than the in-flight window", dups)
	}
	t.Logf("lost=%d duplicated=%d reconnects=%d", lost, dups, w.listeners[0].Stats.Reconnects.Load())
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok := true
		for _, q := range []string{"notifications.info", "notifications.error", "notifications.sample"} {
			if c := consumers(t, amqpURL, q); c != 1 {
				ok = false
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not exactly one consumer per queue after the cuts")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if w.listeners[0].Stats.Reconnects.Load() < 2 {
		t.Errorf("reconnects = %d, want ≥ 2", w.listeners[0].Stats.Reconnects.Load())
	}
	counts := queueCounts(t, amqpURL)
	for q, c := range counts {
		if strings.HasPrefix(q, "notifications.") && (c[0] != 0 || c[1] != 0) {
			t.Errorf("%s: %d ready, %d unacked", q, c[0], c[1])
		}
	}
}

// TestMalformedDeadLettered sets a dead-letter policy on the notification
// queues, as an operator would (no queue argument changes, so declarations stay
// compatible with Ceilometer's): rejected messages land in the dead-letter
// queue, untouched, and the good ones behind them are processed.
func TestMalformedDeadLettered(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	b := dialBroker(t, amqpURL)
	dlq := deadLettering(t, amqpURL, b)
	capture := b.capture("event.sample")
	g := testGeneration(t, amqpURL, "")
	w := startWorker(t, g)
	bad := []string{`{"not": "a notification"}`, `[1, 2, 3]`, "\xff\xfe"}
	var dcs []*amqp.DeferredConfirmation
	for i, body := range bad {
		dc, err := b.send.SendRaw(context.Background(), "nova", "notifications.info", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
		dc, err = b.send.Send(context.Background(), "nova", notification(fmt.Sprintf("sentinel.%d", i), "INFO", &pyjson.Object{}))
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
		t.Fatal(err)
	}
	if got := b.collect(capture, len(bad), 30*time.Second); len(got) != len(bad) {
		t.Fatalf("%d sentinel events, want %d", len(got), len(bad))
	}
	dead := b.collect(dlq, len(bad), 15*time.Second)
	if len(dead) != len(bad) {
		t.Fatalf("%d messages dead-lettered, want %d", len(dead), len(bad))
	}
	// Handlers run concurrently: the rejects (and so the dead letters) come
	// in any order.
	want := map[string]int{}
	for _, b := range bad {
		want[b]++
	}
	for _, d := range dead {
		if want[string(d.Body)] == 0 {
			t.Errorf("dead letter %q is not one of the originals %q", d.Body, bad)
		}
		want[string(d.Body)]--
	}
	if got := w.listeners[0].Stats.Rejected.Load(); got != uint64(len(bad)) {
		t.Errorf("rejected = %d", got)
	}
}
