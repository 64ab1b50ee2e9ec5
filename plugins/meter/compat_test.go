package meter_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
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
// runs each notification through the meter definitions (loaded from a copy
// of Ceilometer 19's meters.yaml) and the relay, applies the pipeline's
// volume validation, and compares every sample field by field, ignoring only
// message_id (except for relayed samples, which keep theirs), monotonic_time
// and message_signature.

const corpusDir = "../../testdata/compat"

// otherEndpoints are Ceilometer's sample endpoints that are not this
// package's (the Go plugins of the seed set).
var otherEndpoints = regexp.MustCompile(`^(hardware.ipmi|http.request|http.response)`)

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
		t.Skipf("corpus not available: %v", err)
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
	relay := meter.NewRelay(s)

	// Expected samples per seq and endpoint ("meter" or "relay").
	type key struct {
		seq      int64
		endpoint string
	}
	want := map[key][]pyjson.Value{}
	for _, e := range expected {
		if get(e, "routing_key") != "metering.sample" {
			continue
		}
		et, _ := get(e, "source_event_type").(string)
		seq := get(e, "seq").(int64)
		switch {
		case relay.Match(et):
			want[key{seq, "relay"}] = append(want[key{seq, "relay"}], get(e, "message", "payload").([]pyjson.Value)...)
		case otherEndpoints.MatchString(et):
		default:
			want[key{seq, "meter"}] = append(want[key{seq, "meter"}], get(e, "message", "payload").([]pyjson.Value)...)
		}
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
			for _, ep := range []string{"meter", "relay"} {
				if len(want[key{seq, ep}]) > 0 {
					failures = append(failures, fmt.Sprintf("seq %d (%s): Ceilometer published samples at priority %s", seq, n.EventType, n.Priority))
				}
			}
			continue
		}
		for _, ep := range []string{"meter", "relay"} {
			var got []pipeline.Sample
			var err error
			if ep == "meter" {
				got, err = engine.Process(ctx, n)
			} else {
				got, err = relay.Process(ctx, n)
			}
			got = slices.DeleteFunc(got, func(s pipeline.Sample) bool { return !pipeline.ValidVolume(s.Volume) })
			exp := want[key{seq, ep}]
			dev := ""
			for _, tg := range tags {
				if r, ok := knownDeviations[tg]; ok {
					dev = r
				}
			}
			if err != nil && dev == "" {
				// Ceilometer published this notification's samples (or
				// silently none): no value of the corpus may fail here.
				failures = append(failures, fmt.Sprintf("seq %d %s (%s): unexpected error: %v", seq, ep, n.EventType, err))
			}

			if dev != "" {
				if ep == "meter" {
					deviations++
				}
				t.Logf("seq %d (%s): known deviation (%s): Ceilometer %d samples, we %d", seq, n.EventType, dev, len(exp), len(got))
				continue
			}
			if len(got) != len(exp) {
				failures = append(failures, fmt.Sprintf("seq %d %s (%s, %v): %d samples, Ceilometer %d", seq, ep, n.EventType, tags, len(got), len(exp)))
				samples += len(exp)
				continue
			}
			for i := range exp {
				samples++
				keepID := ep == "relay"
				g, w := sampleDict(&got[i], keepID), expectedDict(exp[i], keepID)
				gb, _ := pyjson.Marshal(g)
				wb, _ := pyjson.Marshal(w)
				if bytes.Equal(gb, wb) {
					equal++
					perEndpoint[ep]++
					continue
				}
				failures = append(failures, fmt.Sprintf("seq %d %s sample %d (%s, %v):\n got  %s\n want %s", seq, ep, i, n.EventType, tags, fieldDiff(g, w), fieldDiff(w, g)))
			}
		}
	}
	t.Logf("corpus: %d notifications, %d expected samples, %d equal (%.1f%%: %d from meter definitions, %d relayed), %d notifications with a known deviation",
		notifications, samples, equal, 100*float64(equal)/float64(max(samples, 1)), perEndpoint["meter"], perEndpoint["relay"], deviations)
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
