package partition

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// recorder is a fake Deliverer: it records what it is given, per consumer.
type recorder struct {
	mu  sync.Mutex
	got []delivered
}

type delivered struct {
	by       string
	pipeline string
	samples  []pipeline.Sample
	at       time.Time
}

type recorderFor struct {
	r    *recorder
	name string
	// blockAfter makes Deliver block (until ctx ends) after that many calls;
	// 0: never.
	blockAfter int64
	n          atomic.Int64
}

func (d *recorderFor) Deliver(ctx context.Context, p string, samples []pipeline.Sample) error {
	if n := d.n.Add(1); d.blockAfter > 0 && n > d.blockAfter {
		<-ctx.Done()
		return ctx.Err()
	}
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	d.r.got = append(d.r.got, delivered{by: d.name, pipeline: p, samples: samples, at: time.Now()})
	return nil
}

func (d *recorderFor) FlushRouted(context.Context) error { return nil }

func (r *recorder) snapshot() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivered(nil), r.got...)
}

func testSample(res string, step int) pipeline.Sample {
	return pipeline.Sample{
		Name: "cpu", Type: pipeline.TypeCumulative, Unit: "ns", Volume: int64(step) * 1e9,
		ResourceID: res, Timestamp: time.Date(2026, 11, 25, 10, 0, step, 0, time.UTC).Format("2006-01-02T15:04:05.000000"),
		ResourceMetadata: &pyjson.Object{}, Source: "openstack", ID: fmt.Sprintf("%s-%d", res, step),
	}
}

func resourceKey(_ string, s *pipeline.Sample) string { return s.ResourceID.(string) }

func newTestRouter(t *testing.T, url string, topo Topology) *Router {
	t.Helper()
	r, err := NewRouter(RouterSettings{URL: url, Topology: topo, Key: resourceKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r
}

func newTestConsumer(t *testing.T, url string, topo Topology, d Deliverer, stagger time.Duration) *Consumer {
	t.Helper()
	c, err := NewConsumer(ConsumerSettings{
		URL: url, Topology: topo, Deliverer: d, Pipelines: []string{"p"}, Stagger: stagger,
		Backoff: func(int) time.Duration { return 100 * time.Millisecond },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestComponentLifecycle(t *testing.T) {
	url := rabbittest.VHost(t)
	topo := Topology{Partitions: 2}
	r := newTestRouter(t, url, topo)
	c := newTestConsumer(t, url, topo, &recorderFor{r: &recorder{}}, -1)
	// Shutdown without Start.
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Route(context.Background(), "p", []pipeline.Sample{testSample("r", 1)}); err != ErrClosed {
		t.Fatalf("Route after Shutdown: %v", err)
	}
	// Start → Shutdown, twice Shutdown.
	c = newTestConsumer(t, url, topo, &recorderFor{r: &recorder{}}, -1)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// sendSteps routes steps [from, to) of every resource, one Route call per
// step (all resources of a step in one batch, as a polling notification).
func sendSteps(t *testing.T, r *Router, resources []string, from, to int) {
	t.Helper()
	for step := from; step < to; step++ {
		batch := make([]pipeline.Sample, len(resources))
		for i, res := range resources {
			batch[i] = testSample(res, step)
		}
		if err := r.Route(context.Background(), "p", batch); err != nil {
			t.Fatal(err)
		}
	}
}

// checkSeries verifies that each resource's samples arrived in order, each
// step at least once, and returns how many deliveries each (consumer,
// partition) pair made.
func checkSeries(t *testing.T, topo Topology, got []delivered, resources []string, steps int, dupOK bool) map[int]map[string]int {
	t.Helper()
	owners := map[int]map[string]int{}
	last := map[string]int{}
	seen := map[string]map[int]int{}
	for _, d := range got {
		if d.pipeline != "p" {
			t.Fatalf("pipeline %q", d.pipeline)
		}
		for _, s := range d.samples {
			res := s.ResourceID.(string)
			p := topo.Partition("p", res)
			if owners[p] == nil {
				owners[p] = map[string]int{}
			}
			owners[p][d.by]++
			step := int(s.Volume.(int64) / 1e9)
			if seen[res] == nil {
				seen[res] = map[int]int{}
			}
			seen[res][step]++
			if l, ok := last[res]; ok && step <= l {
				t.Errorf("%s: step %d delivered after step %d", res, step, l)
			}
			last[res] = step
		}
	}
	for _, res := range resources {
		for step := range steps {
			switch n := seen[res][step]; {
			case n == 0:
				t.Errorf("%s: step %d never delivered", res, step)
			case n > 1 && !dupOK:
				t.Errorf("%s: step %d delivered %d times", res, step, n)
			}
		}
	}
	return owners
}

func waitDelivered(t *testing.T, r *recorder, samples int, timeout time.Duration) []delivered {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := r.snapshot()
		n := 0
		for _, d := range got {
			n += len(d.samples)
		}
		if n >= samples {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of %d samples within %v", n, samples, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSingleOwnerAndFailover: two consumers of the same partitions — each
// partition is delivered by exactly one of them; when one stops, the other
// takes its partitions over within seconds, in order, losing nothing.
func TestSingleOwnerAndFailover(t *testing.T) {
	url := rabbittest.VHost(t)
	topo := Topology{Partitions: 6}
	rec := &recorder{}
	r := newTestRouter(t, url, topo)
	a := newTestConsumer(t, url, topo, &recorderFor{r: rec, name: "a"}, 400*time.Millisecond)
	b := newTestConsumer(t, url, topo, &recorderFor{r: rec, name: "b"}, 400*time.Millisecond)
	for _, c := range []*Consumer{a, b} {
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()); _ = b.Shutdown(context.Background()) })
	var resources []string
	for i := range 60 {
		resources = append(resources, fmt.Sprintf("res-%02d", i))
	}
	time.Sleep(time.Second) // both registered everywhere
	sendSteps(t, r, resources, 0, 10)
	got := waitDelivered(t, rec, 600, 10*time.Second)
	owners := checkSeries(t, topo, got, resources, 10, false)
	perConsumer := map[string]int{}
	for p, by := range owners {
		if len(by) != 1 {
			t.Errorf("partition %d delivered by %v, want a single owner", p, by)
		}
		for name := range by {
			perConsumer[name]++
		}
	}
	t.Logf("partitions owned: %v", perConsumer)
	if a.Stats.Active.Load()+b.Stats.Active.Load() != int64(len(owners)) {
		t.Errorf("active partitions a=%d b=%d, want %d in all", a.Stats.Active.Load(), b.Stats.Active.Load(), len(owners))
	}

	// Stop the owner of partition of res-00 gracefully; the other takes over.
	victim, survivorName := a, "b"
	if _, ok := owners[topo.Partition("p", "res-00")]["b"]; ok {
		victim, survivorName = b, "a"
	}
	stopped := time.Now()
	if err := victim.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	sendSteps(t, r, resources, 10, 20)
	got = waitDelivered(t, rec, 1200, 10*time.Second)
	owners = checkSeries(t, topo, got, resources, 20, false)
	var firstAfter time.Time
	for _, d := range got {
		if d.at.After(stopped) && d.by == survivorName {
			firstAfter = d.at
			break
		}
	}
	if took := firstAfter.Sub(stopped); took > 5*time.Second {
		t.Errorf("failover took %v", took)
	} else {
		t.Logf("graceful failover: first delivery by the survivor %v after the stop", took.Round(time.Millisecond))
	}
	for _, d := range got {
		if d.at.After(stopped) && d.by != survivorName {
			t.Errorf("delivery by the stopped consumer after its shutdown")
		}
	}
}

// TestFailoverRedeliversUnacked: the owner hangs in Deliver and dies (its
// drain times out): its unacked batches go to the other consumer first, in
// order, so no series is reordered and nothing is lost.
func TestFailoverRedeliversUnacked(t *testing.T) {
	url := rabbittest.VHost(t)
	topo := Topology{Partitions: 3}
	rec := &recorder{}
	r := newTestRouter(t, url, topo)
	a := newTestConsumer(t, url, topo, &recorderFor{r: rec, name: "a", blockAfter: 5}, -1)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a registers first: it owns every partition
	b := newTestConsumer(t, url, topo, &recorderFor{r: rec, name: "b"}, -1)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
	var resources []string
	for i := range 30 {
		resources = append(resources, fmt.Sprintf("res-%02d", i))
	}
	time.Sleep(300 * time.Millisecond)
	sendSteps(t, r, resources, 0, 20)
	time.Sleep(500 * time.Millisecond) // a is stuck holding unacked batches
	if len(rec.snapshot()) > 5 {
		t.Fatalf("a delivered more than it should: %d", len(rec.snapshot()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	died := time.Now()
	_ = a.Shutdown(ctx) // times out: the stuck batches are requeued
	got := waitDelivered(t, rec, 600, 10*time.Second)
	checkSeries(t, topo, got, resources, 20, false)
	for _, d := range got {
		if d.by == "b" {
			took := d.at.Sub(died)
			t.Logf("failover after a hung owner: first delivery by b %v after a died", took.Round(time.Millisecond))
			if took > 5*time.Second {
				t.Errorf("failover took %v", took)
			}
			break
		}
	}
}

// TestDuplicatesAndStaleDropped: a batch routed twice (a notification
// redelivered after its samples were handed over) and an older sample are
// dropped before the transformers, and counted.
func TestDuplicatesAndStaleDropped(t *testing.T) {
	url := rabbittest.VHost(t)
	topo := Topology{Partitions: 2}
	rec := &recorder{}
	r := newTestRouter(t, url, topo)
	c := newTestConsumer(t, url, topo, &recorderFor{r: rec, name: "c"}, -1)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	res := []string{"x", "y"}
	sendSteps(t, r, res, 0, 3)
	sendSteps(t, r, res, 2, 3) // duplicate of step 2
	sendSteps(t, r, res, 1, 2) // older
	sendSteps(t, r, res, 3, 4)
	got := waitDelivered(t, rec, 8, 10*time.Second)
	checkSeries(t, topo, got, res, 4, false)
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats.Stale.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := c.Stats.Stale.Load(); n != 4 {
		t.Fatalf("stale = %d, want 4", n)
	}
}

// TestMalformedRejected: a batch that does not decode, or names a pipeline
// this agent does not route, is rejected, not requeued forever.
func TestMalformedRejected(t *testing.T) {
	url := rabbittest.VHost(t)
	topo := Topology{Partitions: 1}
	rec := &recorder{}
	r := newTestRouter(t, url, topo)
	c := newTestConsumer(t, url, topo, &recorderFor{r: rec, name: "c"}, -1)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	if err := r.Route(context.Background(), "other", []pipeline.Sample{testSample("x", 0)}); err != nil {
		t.Fatal(err)
	}
	ch, err := r.channel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", topo.Queue(0), false, false, amqpPublishing([]byte("garbage")))
	if err != nil {
		t.Fatal(err)
	}
	dc.Wait()
	sendSteps(t, r, []string{"x"}, 0, 1)
	waitDelivered(t, rec, 1, 10*time.Second)
	if n := c.Stats.Rejected.Load(); n != 2 {
		t.Fatalf("rejected = %d, want 2", n)
	}
}
