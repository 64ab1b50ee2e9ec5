package publisher

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// TestEncodeMatchesCeilometerBytes re-encodes every message Ceilometer 19
// published in the compatibility corpus (same ids and timestamp, same payload)
// and requires the very same bytes: envelope, key order, separators,
// ensure_ascii escapes and number formatting.
func TestEncodeMatchesCeilometerBytes(t *testing.T) {
	f, err := os.Open("../../testdata/compat/expected_raw.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	n := 0
	for sc.Scan() {
		var line struct {
			RoutingKey string `json:"routing_key"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		env, err := pyjson.Decode([]byte(line.Body))
		if err != nil {
			t.Fatal(err)
		}
		inner, _ := env.(*pyjson.Object).Get("oslo.message")
		mv, err := pyjson.Decode([]byte(inner.(string)))
		if err != nil {
			t.Fatal(err)
		}
		m := mv.(*pyjson.Object)
		get := func(k string) pyjson.Value { v, _ := m.Get(k); return v }
		got := encode(nil, get("message_id").(string), get("_unique_id").(string), get("publisher_id").(string),
			get("event_type").(string), &payload{values: get("payload").([]pyjson.Value)}, get("timestamp").(string), true)
		if string(got) != line.Body {
			t.Fatalf("message %d (%s) differs:\n got %s\nwant %s", n, line.RoutingKey, got, line.Body)
		}
		n++
	}
	if n < 600 {
		t.Fatalf("only %d messages checked", n)
	}
}

func TestPythonTime(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 11, 25, 10, 0, 3, 195126000, time.UTC): "2026-11-25 10:00:03.195126",
		time.Date(2026, 11, 25, 10, 0, 3, 0, time.UTC):         "2026-11-25 10:00:03",
		time.Date(2026, 11, 25, 10, 0, 3, 999, time.UTC):       "2026-11-25 10:00:03",
	} {
		if got := PythonTime(in); got != want {
			t.Errorf("PythonTime(%v) = %q, want %q", in, got, want)
		}
	}
}

func testSample(i int) pipeline.Sample {
	md := &pyjson.Object{}
	md.Set("host", "compute-1")
	md.Set("flavor", &pyjson.Object{Members: []pyjson.Member{{Key: "name", Value: "m1.small"}}})
	return pipeline.Sample{Name: "memory", Type: pipeline.TypeGauge, Unit: "MB", Volume: int64(2048 + i),
		UserID: "u", ProjectID: nil, ResourceID: "r", Timestamp: "2026-11-25T10:00:00.123456+00:00",
		ResourceMetadata: md, Source: "openstack", ID: "id"}
}

func TestFilePublisher(t *testing.T) {
	dir := t.TempDir()
	factories, _ := Factories()
	ctx := context.Background()
	jsonPath := filepath.Join(dir, "json.log")
	p, err := New(ctx, factories, Settings{}, "file://"+jsonPath+"?json")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.PublishSamples(ctx, []pipeline.Sample{testSample(0), testSample(1)}); err != nil {
		t.Fatal(err)
	}
	ev := pipeline.Event{MessageID: "m", EventType: "e", Generated: "2026-11-25T10:00:00", Traits: []pipeline.Trait{{Name: "t", Type: pipeline.TraitInt, Value: int64(3)}}}
	if err := p.PublishEvents(ctx, []pipeline.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(jsonPath)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := `{"name": "memory", "type": "gauge", "unit": "MB", "volume": 2048, "user_id": "u", "project_id": null, "resource_id": "r", "timestamp": "2026-11-25T10:00:00.123456+00:00", "resource_metadata": {"host": "compute-1", "flavor": {"name": "m1.small"}}, "source": "openstack", "id": "id", "monotonic_time": null}`
	if len(lines) != 3 || lines[0] != want {
		t.Fatalf("json lines:\n%s\nwant first:\n%s", data, want)
	}
	if !strings.Contains(lines[2], `"traits": [{"name": "t", "dtype": 2, "value": 3}]`) {
		t.Errorf("event line: %s", lines[2])
	}

	// Without json: Python's repr of the dict, as Ceilometer's logger writes it.
	reprPath := filepath.Join(dir, "repr.log")
	p, _ = New(ctx, factories, Settings{}, "file://"+reprPath)
	_ = p.Start(ctx)
	_ = p.PublishSamples(ctx, []pipeline.Sample{testSample(0)})
	_ = p.Shutdown(ctx)
	data, _ = os.ReadFile(reprPath)
	if want := `{'name': 'memory', 'type': 'gauge', 'unit': 'MB', 'volume': 2048, 'user_id': 'u', 'project_id': None, 'resource_id': 'r', 'timestamp': '2026-11-25T10:00:00.123456+00:00', 'resource_metadata': {'host': 'compute-1', 'flavor': {'name': 'm1.small'}}, 'source': 'openstack', 'id': 'id', 'monotonic_time': None}` + "\n"; string(data) != want {
		t.Errorf("repr line:\n%s\nwant:\n%s", data, want)
	}
}

func TestFilePublisherRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rot.log")
	factories, _ := Factories()
	ctx := context.Background()
	p, err := New(ctx, factories, Settings{}, "file://"+path+"?json&max_bytes=1000&backup_count=2")
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Start(ctx)
	for i := 0; i < 20; i++ {
		if err := p.PublishSamples(ctx, []pipeline.Sample{testSample(i)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = p.Shutdown(ctx)
	for _, name := range []string{"rot.log", "rot.log.1", "rot.log.2"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Size() > 1000 {
			t.Errorf("%s is %d bytes, over max_bytes", name, st.Size())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "rot.log.3")); err == nil {
		t.Errorf("backup_count=2 kept a third backup")
	}
}

func TestNewErrors(t *testing.T) {
	factories, _ := Factories()
	ctx := context.Background()
	if _, err := New(ctx, factories, Settings{}, "gnocchi://"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("gnocchi: %v", err)
	}
	if _, err := New(ctx, factories, Settings{}, "bogus://x"); err == nil || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("bogus: %v", err)
	}
	if _, err := New(ctx, factories, Settings{}, "file://"); err == nil {
		t.Errorf("file without path: no error")
	}
	if _, err := New(ctx, factories, Settings{}, "file:///x?max_bytes=a&backup_count=1"); err == nil {
		t.Errorf("bad max_bytes: no error")
	}
}

func TestComponentLifecycle(t *testing.T) {
	factories, _ := Factories()
	ctx := context.Background()
	for _, raw := range []string{"test://", "file://" + filepath.Join(t.TempDir(), "x")} {
		p, err := New(ctx, factories, Settings{}, raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("%s: shutdown without start: %v", raw, err)
		}
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("%s: shutdown: %v", raw, err)
		}
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("%s: second shutdown: %v", raw, err)
		}
	}
}

// BenchmarkEncodeSamples measures what notifier:// does per notification before
// publishing: four signed sample dicts, encoded inside the oslo envelope.
func BenchmarkEncodeSamples(b *testing.B) {
	samples := []pipeline.Sample{testSample(0), testSample(1), testSample(2), testSample(3)}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		p := &payload{samples: samples, signatures: make([]string, len(samples))}
		for i := range samples {
			p.signatures[i] = pipeline.SampleSignature("secret", &samples[i])
		}
		buf = encode(buf[:0], uuid.New(), uuid.NewHex(), "telemetry.publisher.h", "metering", p, PythonTime(time.Now()), true)
	}
	b.SetBytes(int64(len(buf)))
}
