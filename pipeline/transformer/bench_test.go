package transformer

import (
	"fmt"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

const benchResources = 1000

// benchStream yields the i-th sample of a stream that brings one cpu
// sample per resource (1000 of them) every 60 s, as notifications would.
// It builds the sample in place: the benchmark measures the transformer,
// not the input.
type benchStream struct {
	rids  []pyjson.Value // boxed once, so building a sample allocates nothing
	times []pyjson.Value
	vols  []pyjson.Value
	md    *pyjson.Object
}

func newBenchStream(rounds int) *benchStream {
	b := &benchStream{md: &pyjson.Object{}}
	b.md.Set("cpu_number", int64(2))
	for i := 0; i < benchResources; i++ {
		b.rids = append(b.rids, fmt.Sprintf("res-%04d", i))
	}
	for r := 0; r < rounds; r++ {
		b.times = append(b.times, ts(r*60))
		b.vols = append(b.vols, int64(r)*1e9)
	}
	return b
}

func (b *benchStream) sample(i int, dst *pipeline.Sample) {
	r := i / benchResources
	*dst = pipeline.Sample{Name: "cpu", Type: pipeline.TypeCumulative, Unit: "ns", Volume: b.vols[r%len(b.times)],
		UserID: "u", ProjectID: "p", ResourceID: b.rids[i%benchResources], Timestamp: b.times[r%len(b.times)], ResourceMetadata: b.md}
}

// BenchmarkRateOfChangeTransform measures the mitaka cpu_util transformer
// (scale expression included) on one sample per Transform call, the shape
// of one notification, over 1000 resources.
func BenchmarkRateOfChangeTransform(b *testing.B) {
	tr := mustBuild(b, "rate_of_change", `
target:
    name: "cpu_util"
    unit: "%"
    type: "gauge"
    scale: "100.0 / (10**9 * (resource_metadata.cpu_number or 1))"
`, Settings{NewID: func() string { return "id" }})
	st := newBenchStream(1 << 16)
	in := make([]pipeline.Sample, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.sample(i, &in[0])
		if _, err := tr.Transform(bg, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAggregatorTransform measures the aggregator (size 1000, scaled,
// grouping by user and project) on one sample per Transform call, with a
// Flush after each call as the pipeline does; one call in 1000 releases
// 1000 groups.
func BenchmarkAggregatorTransform(b *testing.B) {
	tr := mustBuild(b, "aggregator", "size: 1000\ntarget: {scale: \"volume * 1.0 / 1024\"}", Settings{NewID: func() string { return "id" }})
	f := tr.(Flusher)
	st := newBenchStream(4)
	in := make([]pipeline.Sample, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.sample(i, &in[0])
		tr.Transform(bg, in)
		f.Flush(bg)
	}
}

func BenchmarkExprEval(b *testing.B) {
	x, err := ParseExpr("100.0 / (10**9 * (resource_metadata.cpu_number or 1))")
	if err != nil {
		b.Fatal(err)
	}
	s := exprFuzzSample()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := x.eval(sampleEnv{&s}); err != nil {
			b.Fatal(err)
		}
	}
}
