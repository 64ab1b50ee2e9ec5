package partition

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// benchBatch is what one relayed polling notification routes to one
// pipeline: 5 samples with instance-like metadata.
func benchBatch(n int, prefix string) []pipeline.Sample {
	md := &pyjson.Object{Members: []pyjson.Member{
		{Key: "display_name", Value: "vm-1"}, {Key: "name", Value: "instance-0000001a"},
		{Key: "instance_type", Value: "m1.large"}, {Key: "host", Value: "790b864d46144c848fddf50f8c699c88"},
		{Key: "flavor", Value: &pyjson.Object{Members: []pyjson.Member{{Key: "vcpus", Value: int64(4)}, {Key: "ram", Value: int64(8192)}}}},
		{Key: "status", Value: "active"}, {Key: "cpu_number", Value: int64(4)},
	}}
	out := make([]pipeline.Sample, n)
	for i := range out {
		out[i] = testSample(fmt.Sprintf("%s-47b5-4665-953f-%012d", prefix, i), 1)
		out[i].ResourceMetadata = md
		out[i].UserID, out[i].ProjectID = "0b1f3790be0642fd9aaf6ec4a380626b", "f11fc8de3eb449c88f8de0e973e1d036"
	}
	return out
}

func BenchmarkEncode(b *testing.B) {
	batch := benchBatch(5, "4cbcbef0")
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBatch(buf[:0], "cpu_source:cpu_sink", batch)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecode(b *testing.B) {
	body := AppendBatch(nil, "cpu_source:cpu_sink", benchBatch(5, "4cbcbef0"))
	dec := &pyjson.Decoder{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeBatch(dec, body); err != nil {
			b.Fatal(err)
		}
	}
}

type countDeliverer struct{ n atomic.Int64 }

func (d *countDeliverer) Deliver(_ context.Context, _ string, s []pipeline.Sample) error {
	d.n.Add(int64(len(s)))
	return nil
}
func (d *countDeliverer) FlushRouted(context.Context) error { return nil }

// BenchmarkHop measures the whole transformer hop on the local broker: Route
// (split by partition, encode, publish, wait for the confirms) from 16
// concurrent callers — the listener's handlers — and the consumer of the 10
// partitions decoding, filtering and delivering to a no-op Deliverer. One op
// is one routed batch of 5 samples (one polling notification, one pipeline);
// the time includes waiting until the consumer delivered everything.
func BenchmarkHop(b *testing.B) {
	url := rabbittest.VHost(b)
	topo := Topology{Partitions: 10}
	r, err := NewRouter(RouterSettings{URL: url, Topology: topo, Key: resourceKey})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	d := &countDeliverer{}
	c, err := NewConsumer(ConsumerSettings{URL: url, Topology: topo, Deliverer: d, Pipelines: []string{"p"}, Stagger: -1})
	if err != nil {
		b.Fatal(err)
	}
	_ = c.Start(context.Background())
	defer c.Shutdown(context.Background())
	_ = r.Start(context.Background())
	var step, callers atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		// Each caller has its own resources: one series is never routed
		// by two callers at once (in production, the next poll of a series
		// comes an interval later).
		batch := benchBatch(5, fmt.Sprintf("%08d", callers.Add(1)))
		for pb.Next() {
			s := int(step.Add(1))
			for i := range batch {
				// Every sample newer than the last of its series.
				batch[i].Timestamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s) * time.Millisecond).Format("2006-01-02T15:04:05.000000")
			}
			if err := r.Route(context.Background(), "p", batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	routed := time.Since(start)
	want := int64(b.N) * 5
	for d.n.Load()+int64(c.Stats.Stale.Load()) < want && time.Since(start) < 60*time.Second {
		time.Sleep(time.Millisecond)
	}
	total := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(want)/total.Seconds(), "samples/s")
	b.ReportMetric(float64(c.Stats.Stale.Load()), "stale")
	b.ReportMetric(float64(routed.Nanoseconds())/float64(b.N), "ns-route/op")
	if got := d.n.Load() + int64(c.Stats.Stale.Load()); got < want {
		b.Fatalf("delivered %d of %d samples", got, want)
	}
}
