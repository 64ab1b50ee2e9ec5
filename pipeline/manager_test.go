package pipeline

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// recorder is a fake publisher that records what it gets, or fails.
type recorder struct {
	mu      sync.Mutex
	samples []Sample
	events  []Event
	fail    error
}

func (r *recorder) PublishSamples(_ context.Context, s []Sample) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.samples = append(r.samples, s...)
	return nil
}

func (r *recorder) PublishEvents(_ context.Context, e []Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, e...)
	return nil
}

func resolver(pubs map[string]*recorder) Resolver {
	return Resolver{
		SamplePublisher: func(p PublisherConfig) (SamplePublisher, error) {
			r, ok := pubs[p.URL]
			if !ok {
				return nil, errors.New("no such publisher")
			}
			return r, nil
		},
		EventPublisher: func(p PublisherConfig) (EventPublisher, error) {
			r, ok := pubs[p.URL]
			if !ok {
				return nil, errors.New("no such publisher")
			}
			return r, nil
		},
	}
}

const managerYAML = `
sources:
  - name: all
    meters: ["*", "!secret.*"]
    sinks: [a]
  - name: cpu
    meters: [cpu]
    sinks: [b]
sinks:
  - name: a
    publishers: ["test://a", "test://broken", "missing://"]
  - name: b
    publishers: ["test://b"]
  - name: t
    transformers:
      - name: rate_of_change
    publishers: ["test://b"]
`

func TestSampleManager(t *testing.T) {
	cfg, _, err := LoadSampleConfig("p.yaml", []byte(managerYAML))
	if err != nil {
		t.Fatal(err)
	}
	a, b, broken := &recorder{}, &recorder{}, &recorder{fail: errors.New("target down")}
	m, warnings := NewSampleManager(hclog.NewNullLogger(), cfg, resolver(map[string]*recorder{"test://a": a, "test://b": b, "test://broken": broken}))
	if len(warnings) != 1 {
		t.Errorf("warnings = %v", warnings)
	}
	samples := []Sample{
		{Name: "cpu", Volume: int64(1)},
		{Name: "memory", Volume: 2.5},
		{Name: "secret.x", Volume: int64(1)},
		{Name: "disk", Volume: nil},
		{Name: "net", Volume: "12.5"},
		{Name: "net2", Volume: "lots"},
		{Name: "odd", Volume: &pyjson.Object{}},
		{Name: "flag", Volume: true},
	}
	err = m.Publish(context.Background(), samples)
	if err == nil {
		t.Error("a failing publisher must make Publish fail (the notification is not acked)")
	}
	names := func(ss []Sample) (out []string) {
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	if got := names(a.samples); len(got) != 4 || got[0] != "cpu" || got[1] != "memory" || got[2] != "net" || got[3] != "flag" {
		t.Errorf("sink a got %v (other publishers of the sink still publish; volumes validated)", got)
	}
	if got := names(b.samples); len(got) != 1 || got[0] != "cpu" {
		t.Errorf("sink b got %v", got)
	}
	if m.Stats.InvalidVolume.Load() != 3 {
		t.Errorf("invalid volumes = %d", m.Stats.InvalidVolume.Load())
	}
}

func TestEventManager(t *testing.T) {
	cfg, _, err := LoadEventConfig("e.yaml", []byte("sources:\n  - name: s\n    events: ['compute.*']\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['test://e']\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := &recorder{}
	m, _ := NewEventManager(hclog.NewNullLogger(), cfg, resolver(map[string]*recorder{"test://e": e}))
	if err := m.Publish(context.Background(), []Event{{EventType: "compute.instance.create.end"}, {EventType: "volume.create.end"}}); err != nil {
		t.Fatal(err)
	}
	if len(e.events) != 1 || e.events[0].EventType != "compute.instance.create.end" {
		t.Errorf("events = %+v", e.events)
	}
}

func TestPythonFloatOK(t *testing.T) {
	for s, want := range map[string]bool{
		"1": true, " 1.5 ": true, "-1e5": true, "1_000.5": true, "nan": true, "-Infinity": true, "inf": true,
		"": false, "lots": false, "1__0": false, "_1": false, "1_": false, "0x10": false, "--1": false, "1e": false,
		"1e400": true,
	} {
		if got := PythonFloatOK(s); got != want {
			t.Errorf("PythonFloatOK(%q) = %v, want %v", s, got, want)
		}
	}
}

// flaky fails its first n publishes, then records.
type flaky struct {
	recorder
	n     int
	calls int
}

func (f *flaky) PublishSamples(ctx context.Context, s []Sample) error {
	f.mu.Lock()
	f.calls++
	failing := f.calls <= f.n
	f.mu.Unlock()
	if failing {
		return errors.New("target down")
	}
	return f.recorder.PublishSamples(ctx, s)
}

const deliverYAML = `
sources:
  - name: s
    meters: ["*"]
    sinks: [k]
sinks:
  - name: k
    transformers:
      - name: counting
    publishers: ["test://flaky", "test://ok"]
`

// A routed batch whose publisher fails is not lost: the transformers run once
// and their output is published again — only to the publisher that failed —
// until it is accepted; when the context ends first, Deliver says so.
func TestDeliverHoldsTransformedOutput(t *testing.T) {
	defer func(lo, hi time.Duration) { heldRetryMin, heldRetryMax = lo, hi }(heldRetryMin, heldRetryMax)
	heldRetryMin, heldRetryMax = time.Millisecond, 4*time.Millisecond

	cfg, _, err := LoadSampleConfig("p.yaml", []byte(deliverYAML))
	if err != nil {
		t.Fatal(err)
	}
	build := func(failures int) (*SampleManager, *flaky, *recorder, *int) {
		fl, ok := &flaky{n: failures}, &recorder{}
		transformed := new(int)
		r := Resolver{
			SamplePublisher: func(p PublisherConfig) (SamplePublisher, error) {
				if p.URL == "test://flaky" {
					return fl, nil
				}
				return ok, nil
			},
			Transformers: func(*SinkConfig) ([]Transformer, error) {
				return []Transformer{TransformFunc{N: "counting", F: func(_ context.Context, s []Sample) ([]Sample, error) {
					*transformed += len(s)
					return s, nil
				}}}, nil
			},
			Flush: func(context.Context, []Transformer, bool) ([]Sample, error) { return nil, nil },
		}
		m, warnings := NewSampleManager(hclog.NewNullLogger(), cfg, r)
		if len(warnings) != 0 {
			t.Fatal(warnings)
		}
		return m, fl, ok, transformed
	}
	batch := []Sample{{Name: "cpu", Volume: int64(1)}, {Name: "cpu", Volume: int64(2)}}

	m, fl, ok, transformed := build(3)
	if err := m.Deliver(context.Background(), "s:k", batch); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if *transformed != 2 {
		t.Errorf("transformers saw %d samples, want 2 (run once)", *transformed)
	}
	if fl.calls != 4 || len(fl.samples) != 2 {
		t.Errorf("failing publisher: %d calls, %d samples published; want 4 and 2", fl.calls, len(fl.samples))
	}
	if len(ok.samples) != 2 {
		t.Errorf("healthy publisher got %d samples, want 2 (once)", len(ok.samples))
	}
	if got := m.Stats.PublishErrors.Load(); got != 3 {
		t.Errorf("publish errors = %d, want 3", got)
	}

	m, fl, _, _ = build(1 << 30)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := m.Deliver(ctx, "s:k", batch); err == nil {
		t.Error("Deliver returned nil while the output never came back")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Deliver returned %v after its context ended", d)
	}
	if fl.calls < 2 {
		t.Errorf("only %d attempts in 50 ms", fl.calls)
	}
}
