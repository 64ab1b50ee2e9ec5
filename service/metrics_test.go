package service

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/metrics"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

func collect(w *Worker) []metrics.Family {
	var s metrics.Set
	w.Collect(&s)
	return s.Families()
}

func val(fams []metrics.Family, name string, labels ...string) float64 {
	v, ok := metrics.Get(fams, name, labels...)
	if !ok {
		return -1
	}
	return v
}

// The listener invariant, on the real broker with known input: while
// notifications flow, every counter is monotonic and
//
//	acked + requeued + rejected + ack failures <= received <= that + in flight
//
// and at quiescence received = N + M, acked = N, rejected = M by reason,
// nothing in flight, and the publishers' counts equal what was captured.
func TestWorkerMetricsInvariant(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	g := testGeneration(t, amqpURL, "")
	b := dialBroker(t, amqpURL)
	samplesQ := b.capture("metering.sample")
	eventsQ := b.capture("event.sample")
	w, err := NewWorker(nil, g, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := w.Ready(); ok || !strings.Contains(why, "0 of 1 listeners") {
		t.Errorf("ready before Start: %v %q", ok, why)
	}
	ready := make(chan struct{})
	w.OnReady = func() { close(ready) }
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background())
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("worker not ready")
	}
	if ok, why := w.Ready(); !ok {
		t.Errorf("not ready after OnReady: %s", why)
	}

	const good = 400
	bad := map[string][]string{
		ReasonInvalidJSON:     {`not json`, "{\"a\": \"\xff\"}"},
		ReasonNotObject:       {`[]`, `42`},
		ReasonEnvelopeVersion: {`{"oslo.version": "3.0", "oslo.message": "{}"}`},
		ReasonPriority:        {`{"oslo.version": "2.0", "oslo.message": "{\"priority\": \"LOUD\", \"event_type\": \"x\"}"}`},
		ReasonEventType:       {`{"priority": "info", "event_type": 7}`},
		ReasonEnvelope:        {`{"oslo.version": "2.0", "oslo.message": 1}`},
	}
	nBad := 0
	for _, bodies := range bad {
		nBad += len(bodies)
	}

	stop := make(chan struct{})
	var checker sync.WaitGroup
	var checks int
	checker.Go(func() {
		prev := map[string]float64{}
		for {
			select {
			case <-stop:
				return
			default:
			}
			fams := collect(w)
			after := float64(w.listeners[0].Stats.Received.Load())
			r := val(fams, MetricReceived)
			settled := val(fams, MetricAcked) + val(fams, MetricRequeued) + metrics.Sum(fams, MetricRejected) + val(fams, MetricAckFailures)
			inFlight := val(fams, MetricInFlight)
			if r > settled+inFlight {
				t.Errorf("received %v > settled %v + in flight %v", r, settled, inFlight)
			}
			if settled > after {
				t.Errorf("settled %v > received %v (read later)", settled, after)
			}
			for _, name := range []string{MetricReceived, MetricAcked, MetricRequeued, MetricSamplesPub, MetricEventsPub} {
				v := metrics.Sum(fams, name)
				if v < prev[name] {
					t.Errorf("%s went down: %v → %v", name, prev[name], v)
				}
				prev[name] = v
			}
			checks++
			time.Sleep(time.Millisecond)
		}
	})

	var dcs []*amqp.DeferredConfirmation
	send := func(dc *amqp.DeferredConfirmation, err error) {
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	i := 0
	for _, bodies := range bad {
		for _, body := range bodies {
			send(b.send.SendRaw(context.Background(), "nova", "notifications.info", []byte(body)))
		}
		for range good / len(bad) {
			send(b.send.Send(context.Background(), "nova", notification(fmt.Sprintf("compute.instance.%d", i), "INFO", &pyjson.Object{})))
			i++
		}
	}
	for ; i < good; i++ {
		send(b.send.Send(context.Background(), "nova", notification(fmt.Sprintf("compute.instance.%d", i), "INFO", &pyjson.Object{})))
	}
	if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
		t.Fatal(err)
	}
	samples := b.collect(samplesQ, good, 60*time.Second)
	events := b.collect(eventsQ, good, 30*time.Second)
	if !waitUntil(10*time.Second, func() bool {
		f := collect(w)
		return val(f, MetricReceived) == good+float64(nBad) && val(f, MetricInFlight) == 0
	}) {
		t.Errorf("not quiescent: %+v", collect(w))
	}
	close(stop)
	checker.Wait()
	if checks < 10 {
		t.Errorf("only %d checks while running", checks)
	}

	fams := collect(w)
	want := map[string]float64{
		MetricReceived: good + float64(nBad), MetricAcked: good, MetricRequeued: 0, MetricAckFailures: 0,
		MetricInFlight: 0, MetricOldestInFlight: 0, MetricListeners: 1, MetricConsuming: 1,
		MetricSamplesMade: good, MetricEventsMade: good, MetricPublishRetries: 0, MetricInvalidVolume: 0,
	}
	for name, v := range want {
		if got := val(fams, name); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	for reason, bodies := range bad {
		if got := val(fams, MetricRejected, "reason", reason); got != float64(len(bodies)) {
			t.Errorf("rejected{reason=%s} = %v, want %d", reason, got, len(bodies))
		}
	}
	if got := val(fams, MetricRejected, "reason", ReasonTooLarge); got != 0 {
		t.Errorf("too_large = %v (every known reason is exported, at 0)", got)
	}
	if got := metrics.Sum(fams, MetricRejected); got != float64(nBad) {
		t.Errorf("rejected = %v, want %d", got, nBad)
	}
	// notifier:// publishes one message per notification; each carries the notification's samples.
	if got := val(fams, MetricSamplesPub, "publisher", "notifier://"); got != float64(len(samples)) || len(samples) != good {
		t.Errorf("samples published = %v, captured %d, want %d", got, len(samples), good)
	}
	if got := val(fams, MetricEventsPub, "publisher", "notifier://"); got != float64(len(events)) || len(events) != good {
		t.Errorf("events published = %v, captured %d, want %d", got, len(events), good)
	}
	if got := metrics.Sum(fams, MetricPublishFails); got != 0 {
		t.Errorf("publish failures = %v", got)
	}
	if got := val(fams, MetricPublisherDrops, "data", "samples", "publisher", "notifier://"); got != 0 {
		t.Errorf("notifier drops = %v", got)
	}
	var buf bytes.Buffer
	if err := metrics.Write(&buf, fams); err != nil {
		t.Fatal(err)
	}

	_ = w.Shutdown(context.Background())
	if ok, why := w.Ready(); ok || why != "stopping" {
		t.Errorf("ready after Shutdown: %v %q", ok, why)
	}
	if got := val(collect(w), MetricConsuming); got != 0 {
		t.Errorf("consuming after Shutdown = %v", got)
	}
}

func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// The oldest in-flight age grows while a handler — or the Wait it returned —
// holds a delivery, and drops to 0 once it is settled.
func TestListenerOldestInFlight(t *testing.T) {
	for _, inWait := range []bool{false, true} {
		t.Run(map[bool]string{false: "in the handler", true: "in its wait"}[inWait], func(t *testing.T) {
			amqpURL := rabbittest.VHost(t)
			g := testGeneration(t, amqpURL, "")
			b := dialBroker(t, amqpURL)
			release := make(chan struct{})
			ready := make(chan struct{})
			var once sync.Once
			hold := func(ctx context.Context) (Outcome, string) {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return Ack, ""
			}
			l, err := NewListener(ListenerSettings{
				URL: g.Config.URLs()[0], Config: g.Config, Prefetch: 10,
				Topology: Topology{Exchanges: []string{"nova"}, Topics: []string{"notifications"}, Priorities: []string{"info"}},
				Handler: func(ctx context.Context, d *amqp.Delivery) (Outcome, string, Wait) {
					if inWait {
						return Requeue, "ignored", hold
					}
					out, reason := hold(ctx)
					return out, reason, nil
				},
				OnReady: func() { once.Do(func() { close(ready) }) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer l.Shutdown(context.Background())
			<-ready
			if !l.Consuming() || l.OldestInFlight() != 0 {
				t.Errorf("consuming %v, oldest %v", l.Consuming(), l.OldestInFlight())
			}
			if _, err := b.send.Send(context.Background(), "nova", notification("x", "INFO", nil)); err != nil {
				t.Fatal(err)
			}
			if !waitUntil(10*time.Second, func() bool { return l.Stats.InFlight.Load() == 1 }) {
				t.Fatal("nothing in flight")
			}
			time.Sleep(300 * time.Millisecond)
			if age := l.OldestInFlight(); age < 300*time.Millisecond || age > 10*time.Second {
				t.Errorf("oldest in flight %v, want ≥ 300ms", age)
			}
			close(release)
			if !waitUntil(10*time.Second, func() bool { return l.Stats.Acked.Load() == 1 }) {
				t.Fatalf("not acked (requeued %d)", l.Stats.Requeued.Load())
			}
			if !waitUntil(time.Second, func() bool { return l.OldestInFlight() == 0 }) {
				t.Errorf("oldest in flight after ack: %v", l.OldestInFlight())
			}
		})
	}
}

// Publisher labels never show a secret: URLs are masked, and any configured
// secret is scrubbed from them.
func TestPublisherLabelMasked(t *testing.T) {
	g := testGeneration(t, "amqp://guest:guest@127.0.0.1:5672/x", "")
	var ws workerStats
	st := ws.publisher(g.Config, "samples", "notifier://user:hunter22@host:5672/?topic=m&password=pw1234&x="+testSecret, nil)
	if strings.Contains(st.url, "hunter22") || strings.Contains(st.url, "pw1234") || strings.Contains(st.url, testSecret) {
		t.Errorf("label leaks a secret: %s", st.url)
	}
	if !strings.HasPrefix(st.url, "notifier://user:****@host:5672/") {
		t.Errorf("label %s", st.url)
	}
	if again := ws.publisher(g.Config, "samples", "notifier://user:hunter22@host:5672/?topic=m&password=pw1234&x="+testSecret, nil); again != st {
		t.Error("the same URL got two counters")
	}
	var _ pipeline.SamplePublisher = ws.countSamples(g.Config, "test://", nil)
}

// The partition hop's counters: every sample of a stateful pipeline is routed
// through the partition queues and delivered back by the partitions this
// (only) worker owns.
func TestPartitionMetrics(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	g := testGeneration(t, amqpURL, "")
	stateful := "sources:\n  - name: s\n    meters: ['*']\n    sinks: [k]\nsinks:\n  - name: k\n    transformers:\n      - name: accumulator\n        parameters: {size: 1}\n    publishers: ['notifier://']\n"
	cfg, _, err := pipeline.LoadSampleConfig("pipeline.yaml", []byte(stateful))
	if err != nil {
		t.Fatal(err)
	}
	g.SamplePipelines = cfg
	b := dialBroker(t, amqpURL)
	capture := b.capture("metering.sample")
	w := startWorker(t, g)
	if fams := collect(w); val(fams, MetricPartSamples, "side", "routed") != 0 || val(fams, MetricPartOwned) != 0 {
		t.Fatalf("partition counters before any sample: routed %v, owned %v", val(fams, MetricPartSamples, "side", "routed"), val(fams, MetricPartOwned))
	}
	const n = 20
	var dcs []*amqp.DeferredConfirmation
	for range n {
		dc, err := b.send.Send(context.Background(), "nova", notification("test.partition", "INFO", &pyjson.Object{}))
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	if _, err := rabbit.WaitConfirms(context.Background(), dcs); err != nil {
		t.Fatal(err)
	}
	if got := b.collect(capture, n, 30*time.Second); len(got) != n {
		t.Fatalf("%d sample messages, want %d", len(got), n)
	}
	fams := collect(w)
	routed, consumed := val(fams, MetricPartSamples, "side", "routed"), val(fams, MetricPartSamples, "side", "consumed")
	batches, acked := val(fams, MetricPartBatches, "side", "routed", "outcome", "confirmed"), val(fams, MetricPartBatches, "side", "consumed", "outcome", "acked")
	if routed != n || consumed != n || batches < 1 || acked != batches {
		t.Errorf("samples routed %v consumed %v (want %d each); batches routed %v, acked %v", routed, consumed, n, batches, acked)
	}
	if owned := val(fams, MetricPartOwned); owned < 1 || owned > 10 {
		t.Errorf("partitions owned = %v", owned)
	}
	if v := val(fams, MetricPartStale); v != 0 {
		t.Errorf("stale samples = %v", v)
	}
	if v := val(fams, MetricPartFailures); v != 0 {
		t.Errorf("routing failures = %v", v)
	}
}
