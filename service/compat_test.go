package service

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/publisher"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

const (
	compatDir    = "../testdata/compat"
	compatSecret = "compat-test-secret"
)

// compatWorker builds a worker configured like the oracle run that produced
// testdata/compat (host compat-host, the test secret, Ceilometer 19's shipped
// definitions, both pipelines), publishing to test:// so outputs can be read.
func compatWorker(t testing.TB) (*Worker, []*publisher.Test) {
	t.Helper()
	dir := t.TempDir()
	meters, err := os.ReadFile("../etc/meters.d/meters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	events, err := os.ReadFile("../etc/event_definitions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"ceilometer.conf":        []byte("[DEFAULT]\nhost = compat-host\n[publisher]\ntelemetry_secret = " + compatSecret + "\n[meter]\nmeter_definitions_dirs = meters.d\n"),
		"pipeline.yaml":          []byte("sources:\n  - name: s\n    meters: ['*']\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['test://']\n"),
		"event_pipeline.yaml":    []byte("sources:\n  - name: s\n    events: ['*']\n    sinks: [k]\nsinks:\n  - name: k\n    publishers: ['test://']\n"),
		"meters.d/meters.yaml":   meters,
		"event_definitions.yaml": events,
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g, err := Load("agent-notification", []string{"--config-file", filepath.Join(dir, "ceilometer.conf")}, conf.NewBundle([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWorker(nil, g, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tps []*publisher.Test
	for _, p := range w.publishers {
		if x, ok := p.(*publisher.Test); ok {
			tps = append(tps, x)
		}
	}
	return w, tps
}

type compatInput struct {
	Seq          int             `json:"seq"`
	Exchange     string          `json:"exchange"`
	Category     string          `json:"category"`
	Notification json.RawMessage `json:"notification"`
}

type compatOutput struct {
	Seq        int             `json:"seq"`
	RoutingKey string          `json:"routing_key"`
	Message    json.RawMessage `json:"message"`
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// normalize renders one published payload for comparison: samples lose the
// fields Ceilometer generates afresh (message_id, monotonic_time, and the
// signature that covers the id); events are compared whole.
func normalize(routingKey string, payload []pyjson.Value) string {
	var b []byte
	b = append(b, routingKey...)
	for _, item := range payload {
		o := item.(*pyjson.Object)
		if routingKey == "metering.sample" {
			c := &pyjson.Object{}
			for _, m := range o.Members {
				switch m.Key {
				case "message_id", "monotonic_time", "message_signature":
				default:
					c.Members = append(c.Members, m)
				}
			}
			o = c
		}
		b = append(b, '\n')
		b = pyjson.Append(b, o)
	}
	return string(b)
}

// deviations returns the corpus notifications for which we deliberately publish
// more than Ceilometer 19 (testdata/compat/deviations.json, docs/design.md):
// Ceilometer's messages must still all be among ours.
func deviations(t testing.TB) map[int]string {
	data, err := os.ReadFile(filepath.Join(compatDir, "deviations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for k, v := range m {
		var seq int
		fmt.Sscan(k, &seq)
		out[seq] = v
	}
	return out
}

// contains reports whether every element of sub is in super (multisets).
func contains(super, sub []string) bool {
	left := map[string]int{}
	for _, s := range super {
		left[s]++
	}
	for _, s := range sub {
		if left[s] == 0 {
			return false
		}
		left[s]--
	}
	return true
}

// TestCompatCorpus runs every notification of the compatibility corpus through
// the whole worker (decode, every sample endpoint, the event converter, both
// pipelines) and compares what is published, message by message and field by
// field, with what the real Ceilometer 19 published for the same input.
func TestCompatCorpus(t *testing.T) {
	w, tps := compatWorker(t)
	inputs := readJSONL[compatInput](t, filepath.Join(compatDir, "notifications.jsonl"))
	outputs := readJSONL[compatOutput](t, filepath.Join(compatDir, "expected.jsonl"))
	want := map[int][]string{}
	for _, o := range outputs {
		v, err := pyjson.Decode(o.Message)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := v.(*pyjson.Object).Get("payload")
		want[o.Seq] = append(want[o.Seq], normalize(o.RoutingKey, p.([]pyjson.Value)))
	}
	devs := deviations(t)
	dec := &pyjson.Decoder{}
	var total, equal int
	var diffs []string
	for _, in := range inputs {
		v, err := pyjson.Decode(in.Notification)
		if err != nil {
			t.Fatal(err)
		}
		n, err := Decode(dec, rabbit.Envelope(v.(*pyjson.Object)), 0)
		var got []string
		if err == nil {
			if err := w.Process(context.Background(), n); err != nil {
				t.Fatalf("seq %d: %v", in.Seq, err)
			}
			var batches []publisher.Batch
			for _, tp := range tps {
				batches = append(batches, tp.TakeBatches()...)
			}
			for _, b := range batches {
				if len(b.Samples) > 0 {
					payload := make([]pyjson.Value, len(b.Samples))
					for i := range b.Samples {
						m := b.Samples[i].Message(compatSecret)
						if !pipeline.Verify(compatSecret, m) {
							t.Errorf("seq %d: sample signature does not verify", in.Seq)
						}
						payload[i] = m
					}
					got = append(got, normalize("metering.sample", payload))
				}
				if len(b.Events) > 0 {
					payload := make([]pyjson.Value, len(b.Events))
					for i := range b.Events {
						payload[i] = b.Events[i].Message(compatSecret)
					}
					got = append(got, normalize("event.sample", payload))
				}
			}
		}
		exp := want[in.Seq]
		sort.Strings(got)
		sort.Strings(exp)
		total += len(exp)
		if strings.Join(got, "\x00") == strings.Join(exp, "\x00") {
			equal += len(exp)
			continue
		}
		if why, ok := devs[in.Seq]; ok && contains(got, exp) {
			equal += len(exp)
			t.Logf("seq %d: deliberate deviation: %s", in.Seq, why)
			continue
		}
		diffs = append(diffs, fmt.Sprintf("seq %d (%s, %s):\n  got  %q\n  want %q", in.Seq, in.Category, in.Exchange, got, exp))
	}
	t.Logf("%d of %d expected messages equal; %d notifications differ", equal, total, len(diffs))
	for i, d := range diffs {
		if i == 15 {
			t.Errorf("… and %d more", len(diffs)-15)
			break
		}
		t.Error(d)
	}
}
