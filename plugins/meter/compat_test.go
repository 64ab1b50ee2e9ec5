package meter_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
	"github.com/openstack-go/agent-notification/plugins/meter"
)

// The compatibility corpus (scripts/compat) holds what the real Ceilometer 19
// published for every notification of notifications.jsonl. TestCompatCorpus
// runs each notification through Ceilometer 19's sample endpoints — the coded
// ones (Endpoints) and the meter definitions (loaded from a copy of its
// meters.yaml) — one published message per endpoint, applies the pipeline's
// volume validation, and compares every sample field by field, ignoring only
// message_id (except for relayed samples, which keep theirs), monotonic_time
// and message_signature.

const corpusDir = "../../testdata/compat"

// knownDeviations are corpus cases (by tag) where we deliberately differ,
// with the reason.
var knownDeviations = map[string]string{
	// A dict volume makes Ceilometer's volume validation raise TypeError,
	// losing every sample of the notification; pipeline.ValidVolume drops
	// only that sample (trap 9).
	"volume-object": "dict volume: Ceilometer loses all samples of the notification, we lose one",
}

type corpusInput struct {
	seq  int64
	tags []string
	n    *plugins.Notification
}

func readJSONL(t testing.TB, path string) []*pyjson.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the committed corpus is missing: %v", err)
	}
	var out []*pyjson.Object
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		v, err := pyjson.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v.(*pyjson.Object))
	}
	return out
}

func get(o *pyjson.Object, path ...string) pyjson.Value {
	var v pyjson.Value = o
	for _, k := range path {
		obj, ok := v.(*pyjson.Object)
		if !ok {
			return nil
		}
		v, _ = obj.Get(k)
	}
	return v
}

// notificationOf builds the decoded notification as the listener does.
func notificationOf(body *pyjson.Object) *plugins.Notification {
	s := func(k string) string { v, _ := body.Get(k); x, _ := v.(string); return x }
	n := &plugins.Notification{Body: body, Priority: strings.ToLower(s("priority")), EventType: s("event_type"),
		PublisherID: s("publisher_id"), MessageID: s("message_id"), Timestamp: s("timestamp")}
	n.Payload, _ = body.Get("payload")
	return n
}

func loadCeilometer19(t testing.TB, s meter.Settings) *meter.Engine {
	t.Helper()
	data, err := os.ReadFile("testdata/ceilometer-19/meters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, warnings, err := meter.Load([]meter.File{{Path: "ceilometer-19/meters.yaml", Data: data}}, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Errorf("warning: %s", w)
	}
	return e
}

// sampleDict renders a sample the way the corpus holds it, volatile fields
// removed.
func sampleDict(s *pipeline.Sample, keepID bool) *pyjson.Object {
	m := s.Message("")
	m.Delete("message_signature")
	m.Delete("monotonic_time")
	if !keepID {
		m.Delete("message_id")
	}
	return m
}

func expectedDict(v pyjson.Value, keepID bool) *pyjson.Object {
	o := v.(*pyjson.Object)
	c := &pyjson.Object{Members: slices.Clone(o.Members)}
	c.Delete("message_signature")
	c.Delete("monotonic_time")
	if !keepID {
		c.Delete("message_id")
	}
	return c
}

func TestCompatCorpus(t *testing.T) {
	inputs := readJSONL(t, corpusDir+"/notifications.jsonl")
	expected := readJSONL(t, corpusDir+"/expected.jsonl")
	s := meter.DefaultSettings()
	engine := loadCeilometer19(t, s)
	// Ceilometer 19's sample endpoints in its order, the definitions last;
	// each publishes its samples of a notification as one message.
	endpoints := append(meter.Endpoints(s), engine)

	// Expected messages (lists of samples) per seq, in publication order.
	want := map[int64][][]pyjson.Value{}
	for _, e := range expected {
		if get(e, "routing_key") != "metering.sample" {
			continue
		}
		seq := get(e, "seq").(int64)
		want[seq] = append(want[seq], get(e, "message", "payload").([]pyjson.Value))
	}

	var notifications, samples, equal, deviations int
	perEndpoint := map[string]int{}
	var failures []string
	ctx := context.Background()
	for _, in := range inputs {
		seq := get(in, "seq").(int64)
		body := get(in, "notification").(*pyjson.Object)
		var tags []string
		for _, tg := range get(in, "tags").([]pyjson.Value) {
			tags = append(tags, tg.(string))
		}
		n := notificationOf(body)
		notifications++
		if n.Priority != "info" && n.Priority != "sample" {
			if len(want[seq]) > 0 {
				failures = append(failures, fmt.Sprintf("seq %d (%s): Ceilometer published samples at priority %s", seq, n.EventType, n.Priority))
			}
			continue
		}
		dev := ""
		for _, tg := range tags {
			if r, ok := knownDeviations[tg]; ok {
				dev = r
			}
		}
		type message struct {
			endpoint string
			samples  []pipeline.Sample
		}
		var got []message
		for _, ep := range endpoints {
			out, err := ep.Process(ctx, n)
			out = slices.DeleteFunc(out, func(s pipeline.Sample) bool { return !pipeline.ValidVolume(s.Volume) })
			switch {
			case err == nil || dev != "":
			case ep == meter.Endpoint(engine) || ep.Name() == "telemetry_ipc":
				// Ceilometer published this notification's samples (or
				// silently none): no value of the corpus may fail here.
				failures = append(failures, fmt.Sprintf("seq %d %s (%s): unexpected error: %v", seq, ep.Name(), n.EventType, err))
			default:
				// The coded endpoints report what Ceilometer logs (a
				// skipped sensor, a CADF payload without request); the
				// samples are compared below.
				t.Logf("seq %d: %v", seq, err)
			}
			if len(out) > 0 {
				got = append(got, message{ep.Name(), out})
			}
		}
		exp := want[seq]
		if dev != "" {
			deviations++
			t.Logf("seq %d (%s): known deviation (%s): Ceilometer %d messages, we %d", seq, n.EventType, dev, len(exp), len(got))
			continue
		}
		for _, m := range exp {
			samples += len(m)
		}
		if len(got) != len(exp) {
			var names []string
			for _, m := range got {
				names = append(names, fmt.Sprintf("%s×%d", m.endpoint, len(m.samples)))
			}
			failures = append(failures, fmt.Sprintf("seq %d (%s, %v): %d messages %v, Ceilometer %d", seq, n.EventType, tags, len(got), names, len(exp)))
			continue
		}
		for k, m := range got {
			if len(m.samples) != len(exp[k]) {
				failures = append(failures, fmt.Sprintf("seq %d %s (%s, %v): %d samples, Ceilometer %d", seq, m.endpoint, n.EventType, tags, len(m.samples), len(exp[k])))
				continue
			}
			keepID := m.endpoint == "telemetry_ipc" // relayed samples keep their id
			for i := range m.samples {
				g, w := sampleDict(&m.samples[i], keepID), expectedDict(exp[k][i], keepID)
				gb, _ := pyjson.Marshal(g)
				wb, _ := pyjson.Marshal(w)
				if bytes.Equal(gb, wb) {
					equal++
					perEndpoint[m.endpoint]++
					continue
				}
				failures = append(failures, fmt.Sprintf("seq %d %s sample %d (%s, %v):\n got  %s\n want %s", seq, m.endpoint, i, n.EventType, tags, fieldDiff(g, w), fieldDiff(w, g)))
			}
		}
	}
	t.Logf("corpus: %d notifications, %d expected samples, %d equal (%.1f%%), per endpoint %v, %d notifications with a known deviation",
		notifications, samples, equal, 100*float64(equal)/float64(max(samples, 1)), perEndpoint, deviations)
	if equal != samples {
		t.Errorf("%d of %d samples differ", samples-equal, samples)
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// fieldDiff prints the members of a that differ from b.
func fieldDiff(a, b *pyjson.Object) string {
	var parts []string
	for _, m := range a.Members {
		v, ok := b.Get(m.Key)
		ab, _ := pyjson.Marshal(m.Value)
		bb, _ := pyjson.Marshal(v)
		if !ok || !bytes.Equal(ab, bb) {
			parts = append(parts, m.Key+"="+string(ab))
		}
	}
	if len(parts) == 0 {
		return "(same members, different order)"
	}
	return strings.Join(parts, " ")
}
