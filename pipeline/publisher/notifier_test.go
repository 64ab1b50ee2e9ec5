package publisher

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

func testConfig(t *testing.T, transportURL string) *conf.Config {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "c.conf")
	body := "[DEFAULT]\nhost = h1\ntransport_url = " + transportURL + "\n[oslo_messaging_rabbit]\nrabbit_retry_interval = 0\nrabbit_retry_backoff = 0\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := conf.ParseArgs([]string{"--config-file", p})
	c, err := conf.Load("agent-notification", a, conf.NewBundle([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rabbitURL(amqpURL string) string {
	u, _ := url.Parse(amqpURL)
	u.Scheme = "rabbit"
	return u.String()
}

func TestNotifierPoliciesWhenBrokerDown(t *testing.T) {
	cfg := testConfig(t, "rabbit://guest:guest@127.0.0.1:1/")
	factories, _ := Factories()
	ctx := context.Background()
	s := Settings{Config: cfg}

	p, err := New(ctx, factories, s, "notifier://?policy=drop")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.PublishSamples(ctx, []pipeline.Sample{testSample(0)}); err != nil {
		t.Errorf("policy=drop must not fail: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("policy=drop took %v", time.Since(start))
	}
	if _, dropped := p.(*Notifier).Stats(); dropped != 1 {
		t.Errorf("dropped = %d", dropped)
	}

	p, _ = New(ctx, factories, s, "notifier://?policy=queue&max_queue_length=2")
	for i := 0; i < 4; i++ {
		if err := p.PublishSamples(ctx, []pipeline.Sample{testSample(i)}); err != nil {
			t.Errorf("policy=queue must not fail: %v", err)
		}
	}
	if n := len(p.(*Notifier).queue); n != 2 {
		t.Errorf("queue holds %d, want max_queue_length 2", n)
	}

	// Default: retry until the context gives up; never report success.
	p, _ = New(ctx, factories, s, "notifier://")
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := p.PublishSamples(cctx, []pipeline.Sample{testSample(0)}); err == nil {
		t.Error("policy=default reported success with the broker down")
	}
}

func TestNotifierPublishes(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	cfg := testConfig(t, rabbitURL(amqpURL))
	factories, _ := Factories()
	ctx := context.Background()
	p, err := New(ctx, factories, Settings{Config: cfg, Purpose: PurposeSample}, "notifier://?per_meter_topic=1&topic=metering&topic=other")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(ctx)
	a, b := testSample(0), testSample(1)
	b.Name = "cpu"
	if err := p.PublishSamples(ctx, []pipeline.Sample{a, b}); err != nil {
		t.Fatal(err)
	}
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	// The notifier declared <topic>.sample queues as oslo's notifier does, so
	// the messages wait there: 1 + one per meter, on each topic.
	for _, q := range []string{"metering.sample", "other.sample"} {
		var eventTypes []string
		for {
			d, ok, err := ch.Get(q, true)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			env, _ := pyjson.Decode(d.Body)
			inner, _ := env.(*pyjson.Object).Get("oslo.message")
			m, _ := pyjson.Decode([]byte(inner.(string)))
			et, _ := m.(*pyjson.Object).Get("event_type")
			eventTypes = append(eventTypes, et.(string))
		}
		if got := strings.Join(eventTypes, ","); got != "metering,metering.cpu,metering.memory" {
			t.Errorf("%s: event types %s", q, got)
		}
	}
}

// With a Deferred in the context the notifier publishes without waiting; Wait
// returns once confirmed, and a confirm lost with the connection is retried
// with the same bytes on a new one.
func TestNotifierDeferredConfirms(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	cfg := testConfig(t, rabbitURL(amqpURL))
	factories, _ := Factories()
	ctx := context.Background()
	p, err := New(ctx, factories, Settings{Config: cfg, Purpose: PurposeSample}, "notifier://")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(ctx)
	n := p.(*Notifier)
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	get := func() [][]byte {
		var bodies [][]byte
		for {
			d, ok, err := ch.Get("metering.sample", true)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return bodies
			}
			bodies = append(bodies, d.Body)
		}
	}

	var d Deferred
	if err := p.PublishSamples(WithDeferred(ctx, &d), []pipeline.Sample{testSample(0)}); err != nil {
		t.Fatal(err)
	}
	if !d.Pending() {
		t.Fatal("no confirm deferred")
	}
	if err := d.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Pending() {
		t.Error("waits not consumed")
	}
	if got := get(); len(got) != 1 {
		t.Fatalf("%d messages after the first wait, want 1", len(got))
	}

	// What a deferred confirm keeps for a retry is a copy of the body in a
	// buffer of its size class: the pooled buffer it was encoded into goes
	// back at once (it may have grown far larger), and reusing that buffer
	// changes nothing kept.
	confirms, gen, kept, err := n.publish(ctx, func(dst []byte) []byte { return append(dst, `{"kept": true}`...) }, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.confirm(ctx, gen, confirms); err != nil {
		t.Fatal(err)
	}
	if string(*kept) != `{"kept": true}` || cap(*kept) > keptMin {
		t.Errorf("kept %q with capacity %d, want the body in the smallest class", *kept, cap(*kept))
	}
	for range 4 {
		bp := scratch.Get().(*[]byte)
		*bp = append((*bp)[:0], `{"other": 1}`...)
		defer scratch.Put(bp)
	}
	if string(*kept) != `{"kept": true}` {
		t.Errorf("the kept body changed when pooled buffers were reused: %q", *kept)
	}
	releaseKept(kept)
	get()

	// The connection dies between the publish and the wait: the wait retries
	// on a new connection (the confirm may win the race: try a few times).
	retried := false
	for attempt := 0; attempt < 10 && !retried; attempt++ {
		d = Deferred{}
		if err := p.PublishSamples(WithDeferred(ctx, &d), []pipeline.Sample{testSample(1)}); err != nil {
			t.Fatal(err)
		}
		n.mu.Lock()
		gen := n.gen
		_ = n.conn.Close()
		n.mu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := d.Wait(wctx)
		cancel()
		if err != nil {
			t.Fatalf("wait after a lost connection: %v", err)
		}
		n.mu.Lock()
		retried = n.gen != gen
		n.mu.Unlock()
		got := get()
		if len(got) == 0 || len(got) > 2 {
			t.Fatalf("%d messages after the retry, want 1 or 2 (the first may have been routed before the cut)", len(got))
		}
		for _, b := range got[1:] {
			if string(b) != string(got[0]) {
				t.Errorf("the retry sent other bytes:\n%s\n%s", got[0], b)
			}
		}
		if published, _ := n.Stats(); published != uint64(attempt+2) {
			t.Errorf("published = %d, want %d", published, attempt+2)
		}
	}
	if !retried {
		t.Error("the confirm was never lost with the connection: the retry is untested")
	}
}

// A message the broker nacks (its queue is full and refuses publishes) is
// never counted as published: with policy=drop it is dropped and counted;
// by default a deferred wait keeps retrying the same bytes until the broker
// takes them.
func TestNotifierNackedByTheBroker(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	rabbittest.Ctl(t, "set_policy", "-p", vhost, "full", `^metering\.sample$`, `{"max-length":1,"overflow":"reject-publish"}`, "--apply-to", "queues")
	cfg := testConfig(t, rabbitURL(amqpURL))
	factories, _ := Factories()
	ctx := context.Background()

	drop, err := New(ctx, factories, Settings{Config: cfg, Purpose: PurposeSample}, "notifier://?policy=drop")
	if err != nil {
		t.Fatal(err)
	}
	defer drop.Shutdown(ctx)
	for i := range 3 {
		if err := drop.PublishSamples(ctx, []pipeline.Sample{testSample(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if published, dropped := drop.(*Notifier).Stats(); published != 1 || dropped != 2 {
		t.Fatalf("policy=drop: published %d, dropped %d; want 1 and 2 (the queue holds one message)", published, dropped)
	}

	p, err := New(ctx, factories, Settings{Config: cfg, Purpose: PurposeSample}, "notifier://")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(ctx)
	var d Deferred
	if err := p.PublishSamples(WithDeferred(ctx, &d), []pipeline.Sample{testSample(7)}); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	go func() { waited <- d.Wait(wctx) }()
	select {
	case err := <-waited:
		t.Fatalf("the wait ended while the broker refused the message: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	first, ok, err := ch.Get("metering.sample", true)
	if err != nil || !ok {
		t.Fatalf("get: %v %v", ok, err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("the retry after room was made: %v", err)
	}
	second, ok, err := ch.Get("metering.sample", true)
	if err != nil || !ok {
		t.Fatalf("get the retried message: %v %v", ok, err)
	}
	if string(first.Body) == string(second.Body) || !strings.Contains(string(second.Body), `2055`) {
		t.Errorf("the queue holds %.80q, want the retried sample (volume 2055)", second.Body)
	}
	if published, _ := p.(*Notifier).Stats(); published != 1 {
		t.Errorf("published = %d, want 1", published)
	}
	// The nacks were retried on the same connection: a nack says nothing
	// against the channel, and reconnecting would lose the confirms of
	// every other message in flight on it (republished: duplicates).
	n := p.(*Notifier)
	n.mu.Lock()
	gen := n.gen
	n.mu.Unlock()
	if gen != 1 {
		t.Errorf("connected %d times, want once", gen)
	}
}

// startSigned starts notifier://… (a telemetry secret set) on a fresh vhost
// and returns it, its configuration and a channel to read its queues.
func startSigned(t *testing.T, purpose Purpose, rawURL string) (Publisher, *conf.Config, *amqp.Channel) {
	t.Helper()
	amqpURL := rabbittest.VHost(t)
	cfg := testConfig(t, rabbitURL(amqpURL))
	cfg.Publisher.TelemetrySecret = "s3cret"
	factories, _ := Factories()
	ctx := context.Background()
	p, err := New(ctx, factories, Settings{Config: cfg, Purpose: purpose}, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(ctx) })
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return p, cfg, ch
}

// asEncoded returns the body encode writes for values with the ids,
// publisher and timestamp of the published body; it fails the test unless
// every value carries a valid signature.
func asEncoded(t *testing.T, body []byte, values []pyjson.Value) []byte {
	t.Helper()
	env, _ := pyjson.Decode(body)
	inner, _ := env.(*pyjson.Object).Get("oslo.message")
	mv, _ := pyjson.Decode([]byte(inner.(string)))
	m := mv.(*pyjson.Object)
	get := func(k string) string { v, _ := m.Get(k); s, _ := v.(string); return s }
	for j, v := range values {
		if !pipeline.Verify("s3cret", v.(*pyjson.Object)) {
			t.Errorf("value %d does not verify: %s", j, pyjson.Append(nil, v))
		}
	}
	return encode(nil, get("message_id"), get("_unique_id"), get("publisher_id"), get("event_type"), &payload{values: values}, get("timestamp"), true)
}

// Events go out written straight from the Event (Event.AppendMessage): the
// body on the wire is byte for byte the one encoding their Message dicts
// gives, and their signatures verify.
func TestNotifierPublishesEventsAsTheirMessages(t *testing.T) {
	p, cfg, ch := startSigned(t, PurposeEvent, "notifier://")
	raw := &pyjson.Object{}
	raw.Set("payload", &pyjson.Object{Members: []pyjson.Member{{Key: "q\"", Value: []pyjson.Value{int64(1), "é"}}}})
	events := []pipeline.Event{
		{MessageID: "m1", EventType: "compute.instance.create.end", Generated: "2026-11-25T10:00:00.123456", Traits: []pipeline.Trait{
			{Name: "service", Type: pipeline.TraitText, Value: "nova \"x\" ünï"},
			{Name: "memory_mb", Type: pipeline.TraitInt, Value: int64(2048)},
			{Name: "disk_gb", Type: pipeline.TraitFloat, Value: 1.5},
		}},
		{MessageID: "m2", EventType: "image.update", Generated: "2026-11-25T10:00:01", Raw: raw},
	}
	if err := p.PublishEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	d, ok, err := ch.Get(cfg.Publisher.EventTopic+".sample", true)
	if err != nil || !ok {
		t.Fatalf("get: %v %v", ok, err)
	}
	values := make([]pyjson.Value, len(events))
	for i := range events {
		values[i] = events[i].Message("s3cret")
	}
	if want := asEncoded(t, d.Body, values); string(d.Body) != string(want) {
		t.Fatalf("published\n%s\nwant\n%s", d.Body, want)
	}
}

// Samples too go out written straight from the Sample: every message — the
// whole batch, then one per meter — is byte for byte the encoding of their
// Message dicts, and their signatures verify.
func TestNotifierPublishesSamplesAsTheirMessages(t *testing.T) {
	p, cfg, ch := startSigned(t, PurposeSample, "notifier://?per_meter_topic=1")
	a, b, c := testSample(0), testSample(1), testSample(2)
	b.Name, b.Volume, b.UserID = "cpu", 1.5, nil
	c.ResourceMetadata, c.Source = nil, ""
	samples := []pipeline.Sample{a, b, c}
	if err := p.PublishSamples(context.Background(), samples); err != nil {
		t.Fatal(err)
	}
	groups := [][]pipeline.Sample{samples, {b}, {a, c}} // all, then by meter name: cpu, memory
	for i, group := range groups {
		d, ok, err := ch.Get(cfg.Publisher.MeteringTopic+".sample", true)
		if err != nil || !ok {
			t.Fatalf("message %d: get: %v %v", i, ok, err)
		}
		values := make([]pyjson.Value, len(group))
		for j := range group {
			values[j] = group[j].Message("s3cret")
		}
		if want := asEncoded(t, d.Body, values); string(d.Body) != string(want) {
			t.Errorf("message %d published\n%s\nwant\n%s", i, d.Body, want)
		}
	}
}

// A broker that stalls the notifier's declarations (no answer, heartbeats
// still flowing) holds a publish only as long as its ctx, not for good: the
// connection is closed and the publish fails, to be retried.
func TestNotifierStalledSetupEndsWithCtx(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	proxy, stalled := rabbittest.StallProxy(t, rabbittest.Addr())
	u, _ := url.Parse(rabbitURL(amqpURL))
	u.Host = proxy
	cfg := testConfig(t, u.String())
	factories, _ := Factories()
	p, err := New(context.Background(), factories, Settings{Config: cfg, Purpose: PurposeSample}, "notifier://")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	published := make(chan error, 1)
	go func() { published <- p.PublishSamples(ctx, []pipeline.Sample{testSample(0)}) }()
	select {
	case <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the notifier never got past the handshake")
	}
	select {
	case err := <-published:
		if err == nil {
			t.Error("a publish that was never declared reported success")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the publish still waits for the stalled set-up 9 s after its ctx ended")
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := p.Shutdown(sctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// The output queue deleted under a connected notifier: the broker would ack
// and drop what is published to it. The notifier publishes mandatory, so
// the message comes back, the retry reconnects and declares the queue
// again, and the message is in it.
func TestNotifierOutputQueueDeleted(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	cfg := testConfig(t, rabbitURL(amqpURL))
	factories, _ := Factories()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := New(ctx, factories, Settings{Config: cfg, Purpose: PurposeSample}, "notifier://")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(ctx)
	if err := p.PublishSamples(ctx, []pipeline.Sample{testSample(0)}); err != nil {
		t.Fatal(err)
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
	if _, err := ch.QueueDelete("metering.sample", false, false, false); err != nil {
		t.Fatal(err)
	}
	second := testSample(1)
	second.Name = "after-the-delete"
	if err := p.PublishSamples(ctx, []pipeline.Sample{second}); err != nil {
		t.Fatal(err)
	}
	d, ok, err := ch.Get("metering.sample", true)
	if err != nil || !ok {
		t.Fatalf("metering.sample after the publish: %v, %v (the message was dropped)", ok, err)
	}
	if !strings.Contains(string(d.Body), "after-the-delete") {
		t.Errorf("got %s", d.Body)
	}
	if published, _ := p.(*Notifier).Stats(); published != 2 {
		t.Errorf("published %d, want 2", published)
	}
}
