package transformer

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// These cases go beyond mitaka (bounds, concurrency, Drain, deliberate
// deviations); their expected values are derived by hand from the rules in
// each transformer's doc comment.

var bg = context.Background()

func ts(sec int) string {
	return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second).Format("2006-01-02T15:04:05.000000+00:00")
}

func smp(name, rid string, vol pyjson.Value, sec int) pipeline.Sample {
	return pipeline.Sample{Name: name, Type: pipeline.TypeCumulative, Unit: "ns", Volume: vol, ResourceID: rid, Timestamp: ts(sec), ID: fmt.Sprintf("%s/%s/%d", name, rid, sec)}
}

func mustBuild(t testing.TB, name, params string, s Settings) pipeline.Transformer {
	t.Helper()
	return buildFromYAML(t, name, params, s)
}

func TestConcurrentTransform(t *testing.T) {
	t.Parallel()
	const workers, per = 8, 200
	rate := mustBuild(t, "rate_of_change", "", Settings{})
	agg := mustBuild(t, "aggregator", "size: 50", Settings{})
	arith := mustBuild(t, "arithmetic", "target: {expr: \"$(a) + $(b)\"}", Settings{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	rates, aggregated, sums := 0, 0, 0
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			rid := fmt.Sprintf("r%d", w)
			for i := 0; i < per; i++ {
				out, err := rate.Transform(bg, []pipeline.Sample{smp("cpu", rid, int64(i*10), i)})
				if err != nil {
					t.Error(err)
				}
				agg.Transform(bg, []pipeline.Sample{smp("cpu", rid, int64(i), i)})
				got, _ := agg.(Flusher).Flush(bg)
				arith.Transform(bg, []pipeline.Sample{smp("a", rid, int64(1), i), smp("b", rid, int64(2), i)})
				sum, _ := arith.(Flusher).Flush(bg)
				mu.Lock()
				rates += len(out)
				aggregated += len(got)
				sums += len(sum)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if rates != workers*(per-1) {
		t.Errorf("rates: %d, want %d", rates, workers*(per-1))
	}
	if st := rate.(StatsReporter).Stats(); st.NoPredecessor.Load() != workers || st.In.Load() != workers*per {
		t.Errorf("rate stats: no predecessor %d, in %d", st.NoPredecessor.Load(), st.In.Load())
	}
	rest, _ := agg.(Drainer).Drain(bg)
	if aggregated+len(rest) == 0 || agg.(StatsReporter).Stats().Out.Load() != uint64(aggregated+len(rest)) {
		t.Errorf("aggregates: %d + %d", aggregated, len(rest))
	}
	if sums == 0 || sums > workers*per {
		t.Errorf("arithmetic results: %d", sums)
	}
}

func TestRateOfChangeStateBound(t *testing.T) {
	t.Parallel()
	tr := mustBuild(t, "rate_of_change", "", Settings{MaxKeys: 2})
	st := tr.(StatsReporter).Stats()
	in := []pipeline.Sample{smp("cpu", "a", int64(1), 0), smp("cpu", "b", int64(1), 0), smp("cpu", "a", int64(3), 1),
		smp("cpu", "c", int64(1), 0), // evicts b, the least recently used
		smp("cpu", "a", int64(5), 2), smp("cpu", "b", int64(9), 3)}
	out, _ := tr.Transform(bg, in)
	if len(out) != 2 || out[0].Volume != 2.0 || out[1].Volume != 2.0 {
		t.Fatalf("out: %+v", out)
	}
	if st.Evicted.Load() != 2 || st.NoPredecessor.Load() != 4 {
		t.Errorf("evicted %d (want 2: b, then c), no predecessor %d (want 4)", st.Evicted.Load(), st.NoPredecessor.Load())
	}
	if k := tr.(Keyer).Key(&in[0]); k != "cpu\x00a" {
		t.Errorf("key %q", k)
	}
}

func TestRateOfChangeOutOfOrderNeverNegative(t *testing.T) {
	t.Parallel()
	tr := mustBuild(t, "rate_of_change", "", Settings{})
	out, _ := tr.Transform(bg, []pipeline.Sample{smp("cpu", "a", int64(100), 10), smp("cpu", "a", int64(50), 5), smp("cpu", "a", int64(200), 20)})
	if len(out) != 1 || out[0].Volume != 10.0 {
		t.Fatalf("out: %+v", out)
	}
	if tr.(StatsReporter).Stats().OutOfOrder.Load() != 1 {
		t.Error("out-of-order sample not counted")
	}
}

func TestArithmeticStateBound(t *testing.T) {
	t.Parallel()
	tr := mustBuild(t, "arithmetic", "target: {expr: \"$(a) * $(b)\"}", Settings{MaxKeys: 2})
	// r1 is the oldest resource (FIFO, even though it was updated): a/r3
	// evicts it.
	tr.Transform(bg, []pipeline.Sample{smp("a", "r1", int64(2), 0), smp("a", "r2", int64(3), 0), smp("a", "r1", int64(4), 1), smp("a", "r3", int64(5), 0)})
	out, _ := tr.(Flusher).Flush(bg)
	if len(out) != 0 {
		t.Fatalf("incomplete resources flushed: %+v", out)
	}
	tr.Transform(bg, []pipeline.Sample{smp("b", "r2", int64(10), 2), smp("b", "r3", int64(10), 3)})
	out, _ = tr.(Flusher).Flush(bg)
	if len(out) != 2 || out[0].Volume != 30.0 || out[1].Volume != 50.0 || out[0].Timestamp != ts(3) {
		t.Fatalf("out: %+v", out)
	}
	tr.Transform(bg, []pipeline.Sample{smp("b", "r1", int64(10), 4)})
	if out, _ = tr.(Flusher).Flush(bg); len(out) != 0 {
		t.Fatalf("evicted resource completed: %+v", out)
	}
	if tr.(StatsReporter).Stats().Evicted.Load() != 1 {
		t.Errorf("evicted %d", tr.(StatsReporter).Stats().Evicted.Load())
	}
}

func TestAggregatorOverflowAndDrain(t *testing.T) {
	t.Parallel()
	tr := mustBuild(t, "aggregator", "size: 100", Settings{MaxKeys: 2})
	g := func(rid string, v int64) pipeline.Sample {
		s := smp("m", rid, v, 0)
		s.Type = pipeline.TypeGauge
		return s
	}
	tr.Transform(bg, []pipeline.Sample{g("a", 1), g("b", 2), g("c", 3), g("a", 4)})
	if out, _ := tr.(Flusher).Flush(bg); len(out) != 0 {
		t.Fatalf("flushed early: %+v", out)
	}
	out, _ := tr.(Drainer).Drain(bg)
	if len(out) != 2 || out[0].Volume != 2.5 || out[1].Volume != 2.0 {
		t.Fatalf("drain: %+v", out)
	}
	if tr.(StatsReporter).Stats().Overflow.Load() != 1 {
		t.Errorf("overflow not counted")
	}
	if out, _ := tr.(Drainer).Drain(bg); len(out) != 0 {
		t.Errorf("second drain: %+v", out)
	}
}

// TestAggregatorRenamedGaugeAverage pins a deliberate deviation: mitaka
// computes the average's key from the renamed sample and divides by zero
// (and its window never resets); we divide by the group's count.
func TestAggregatorRenamedGaugeAverage(t *testing.T) {
	t.Parallel()
	tr := mustBuild(t, "aggregator", "size: 2\ntarget: {name: renamed}", Settings{})
	a, b := smp("m", "r", int64(1), 0), smp("m", "r", int64(4), 1)
	a.Type, b.Type = pipeline.TypeGauge, pipeline.TypeGauge
	tr.Transform(bg, []pipeline.Sample{a, b})
	out, _ := tr.(Flusher).Flush(bg)
	if len(out) != 1 || out[0].Name != "renamed" || out[0].Volume != 2.5 {
		t.Fatalf("out: %+v", out)
	}
}

func TestAccumulatorDrain(t *testing.T) {
	t.Parallel()
	tr := mustBuild(t, "accumulator", "size: 10", Settings{})
	tr.Transform(bg, []pipeline.Sample{smp("m", "r", int64(1), 0), smp("m", "r", int64(2), 1)})
	if out, _ := tr.(Flusher).Flush(bg); len(out) != 0 {
		t.Fatalf("flush below size: %+v", out)
	}
	if out, _ := tr.(Drainer).Drain(bg); len(out) != 2 || out[1].ID != "m/r/1" {
		t.Fatalf("drain: %+v", out)
	}
}

// TestFlushChain follows mitaka's SampleSink.flush: what a transformer
// releases goes through the transformers after it, and a later buffering
// transformer is flushed in the same pass.
func TestFlushChain(t *testing.T) {
	t.Parallel()
	chain := []pipeline.Transformer{
		mustBuild(t, "accumulator", "size: 2", Settings{}),
		mustBuild(t, "unit_conversion", "target: {scale: 10, type: gauge}", Settings{}),
		mustBuild(t, "aggregator", "size: 2", Settings{}),
	}
	in := []pipeline.Sample{smp("m", "r", int64(1), 0)}
	if out, _ := chain[0].Transform(bg, in); len(out) != 0 {
		t.Fatal("accumulator passed a sample")
	}
	if out, err := FlushChain(bg, chain); err != nil || len(out) != 0 {
		t.Fatalf("first flush: %+v %v", out, err)
	}
	chain[0].Transform(bg, []pipeline.Sample{smp("m", "r", int64(3), 1)})
	out, err := FlushChain(bg, chain)
	if err != nil || len(out) != 1 || out[0].Volume != 20.0 || out[0].Type != "gauge" {
		t.Fatalf("second flush: %+v %v", out, err)
	}
	// DrainChain releases what FlushChain keeps.
	chain[0].Transform(bg, []pipeline.Sample{smp("m", "r", int64(5), 2)})
	out, _ = DrainChain(bg, chain)
	if len(out) != 1 || out[0].Volume != 50.0 {
		t.Fatalf("drain: %+v", out)
	}
}

func TestPartitionKey(t *testing.T) {
	t.Parallel()
	s := smp("cpu", "res-1", int64(1), 0)
	stateless := []pipeline.Transformer{mustBuild(t, "unit_conversion", "", Settings{})}
	if _, ok := PartitionKey(stateless, &s); ok {
		t.Error("stateless chain needs no routing")
	}
	for _, name := range []string{"rate_of_change", "delta", "accumulator", "aggregator", "arithmetic"} {
		params := ""
		if name == "arithmetic" {
			params = "target: {expr: \"$(cpu)\"}"
		}
		chain := append([]pipeline.Transformer{}, stateless[0], mustBuild(t, name, params, Settings{}))
		if k, ok := PartitionKey(chain, &s); !ok || k != "res-1" {
			t.Errorf("%s: %q %v", name, k, ok)
		}
		if _, ok := chain[1].(Keyer); !ok {
			t.Errorf("%s is not a Keyer", name)
		}
	}
	agg := mustBuild(t, "aggregator", "user_id: last", Settings{})
	if k := agg.(Keyer).Key(&s); k != "cpu-res-1-<undefined>" {
		t.Errorf("aggregator key %q", k)
	}
}

func TestNewSampleSourceAndID(t *testing.T) {
	t.Parallel()
	tr := mustBuild(t, "unit_conversion", "", Settings{SampleSource: "mysource"})
	s := smp("m", "r", int64(1), 0)
	s.Source = "elsewhere"
	out, _ := tr.Transform(bg, []pipeline.Sample{s})
	if out[0].Source != "mysource" || out[0].ID == s.ID || len(out[0].ID) != 36 {
		t.Errorf("created sample: source %q id %q", out[0].Source, out[0].ID)
	}
}
