package partition

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

func roundTripSamples() []pipeline.Sample {
	md := &pyjson.Object{Members: []pyjson.Member{
		{Key: "z", Value: int64(1)}, {Key: "a", Value: 1.0}, {Key: "cpu_number", Value: int64(4)},
		{Key: "nested", Value: []pyjson.Value{nil, true, "é\u2028\"\\", pyjson.BigInt("123456789012345678901234567890")}},
		{Key: "obj", Value: &pyjson.Object{}},
	}}
	return []pipeline.Sample{
		{Name: "cpu", Type: pipeline.TypeCumulative, Unit: "ns", Volume: int64(1234567890000), UserID: "u", ProjectID: "p",
			ResourceID: "r-1", Timestamp: "2026-11-25T10:16:46.464290", ResourceMetadata: md, Source: "openstack", ID: "id-1", MonotonicTime: 12345.678901},
		{Name: "x", Type: pipeline.TypeGauge, Unit: nil, Volume: 1.0, UserID: nil, ProjectID: nil, ResourceID: nil, Timestamp: nil,
			ResourceMetadata: nil, Source: "", ID: "", MonotonicTime: nil},
		{Name: "y", Type: pipeline.TypeDelta, Unit: int64(3), Volume: math.Copysign(0, -1), ResourceID: int64(7), Timestamp: "2026-11-25 10:00:00",
			ResourceMetadata: &pyjson.Object{}, MonotonicTime: int64(5)},
		{Name: "big", Volume: pyjson.BigInt("-99999999999999999999"), ResourceID: "r"},
		{Name: "inf", Volume: math.Inf(1), ResourceID: "r"},
		{Name: "num", Volume: "1e3", ResourceID: "r"},
		{Name: "tiny", Volume: 5e-324, ResourceID: "r"},
		{Name: "max", Volume: math.MaxFloat64, ResourceID: "r"},
		{Name: "i", Volume: int64(math.MinInt64), ResourceID: "r"},
		{Name: "b", Volume: true, ResourceID: "r"},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	t.Parallel()
	in := roundTripSamples()
	body := AppendBatch(nil, "cpu_source:cpu_sink", in)
	name, out, err := DecodeBatch(nil, body)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if name != "cpu_source:cpu_sink" {
		t.Fatalf("pipeline %q", name)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip differs:\n in %#v\nout %#v", in, out)
	}
	// -0.0 keeps its sign (DeepEqual compares floats with ==).
	if v := out[2].Volume.(float64); !math.Signbit(v) {
		t.Fatal("-0.0 lost its sign")
	}
	// Every sample re-encodes to the same signed message.
	for i := range in {
		a, b := pyjson.Append(nil, in[i].Message("k")), pyjson.Append(nil, out[i].Message("k"))
		if string(a) != string(b) {
			t.Fatalf("sample %d: message\n%s\n%s", i, a, b)
		}
	}
}

func TestBatchNaN(t *testing.T) {
	t.Parallel()
	_, out, err := DecodeBatch(nil, AppendBatch(nil, "p", []pipeline.Sample{{Name: "n", Volume: math.NaN()}}))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := out[0].Volume.(float64); !ok || !math.IsNaN(v) {
		t.Fatalf("NaN came back as %#v", out[0].Volume)
	}
}

func TestBatchMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``, `{}`, `[2,"p",[]]`, `[1,2,[]]`, `[1,"p",{}]`, `[1,"p",[[]]]`,
		`[1,"p",[["n","t",null,1,null,null,null,null,[],"s","i",null]]]`,
		`[1,"p",[[1,"t",null,1,null,null,null,null,null,"s","i",null]]]`,
	} {
		if _, _, err := DecodeBatch(nil, []byte(body)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", body, err)
		}
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(AppendBatch(nil, "p", roundTripSamples()))
	f.Add([]byte(`[1,"p",[]]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		name, samples, err := DecodeBatch(nil, body)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		name2, samples2, err := DecodeBatch(nil, AppendBatch(nil, name, samples))
		if err != nil || name2 != name || len(samples2) != len(samples) {
			t.Fatalf("re-encoding failed: %v", err)
		}
	})
}

func TestOrderFilter(t *testing.T) {
	t.Parallel()
	f := newOrderFilter(2)
	s := func(name string, rid pyjson.Value, ts string) *pipeline.Sample {
		return &pipeline.Sample{Name: name, ResourceID: rid, Timestamp: ts}
	}
	steps := []struct {
		group string
		s     *pipeline.Sample
		want  bool
	}{
		{"g", s("cpu", "r1", "2026-11-25T10:00:00"), true},
		{"g", s("cpu", "r1", "2026-11-25T10:00:00"), false},        // duplicate
		{"g", s("cpu", "r1", "2026-11-25T10:00:00+00:00"), false},  // same instant
		{"g", s("cpu", "r1", "2026-11-25T09:59:59.999999"), false}, // older
		{"g", s("cpu", "r1", "2026-11-25 10:00:01"), true},
		{"h", s("cpu", "r1", "2026-11-25T10:00:00"), true}, // another group
		{"g", s("cpu", "r2", "2026-11-25T10:00:00"), true},
		{"g", s("cpu", nil, "2026-11-25T10:00:00"), true},
		{"g", s("cpu", "None", "2026-11-25T10:00:00"), true}, // not the None resource
		{"g", s("cpu", "r1", "bad"), true},                   // unparseable: passes
		{"g", s("cpu", "r2", "2026-11-25T10:00:00"), false},  // still remembered (previous generation)
		{"g", s("cpu", "r1", "2026-11-25T10:00:00"), true},   // forgotten (two generations ago)
	}
	for i, st := range steps {
		if got := f.admit(st.group, st.s); got != st.want {
			t.Errorf("step %d: admit = %v, want %v", i, got, st.want)
		}
	}
}

func TestPartitionStable(t *testing.T) {
	t.Parallel()
	topo := Topology{Partitions: 10}
	// Pinned values: the hash must never change between releases, or agents
	// of two versions would split series.
	if got := topo.Partition("cpu_source:cpu_sink", "4cbcbef0-47b5-4665-953f-6f53af5ab0a5"); got != 9 {
		t.Fatalf("partition = %d, want 9", got)
	}
	counts := make([]int, 10)
	for i := range 10000 {
		counts[topo.Partition("g", "resource-"+string(rune('a'+i%26))+string(rune(i)))]++
	}
	for i, c := range counts {
		if c < 700 || c > 1300 {
			t.Errorf("partition %d got %d of 10000 keys", i, c)
		}
	}
}
