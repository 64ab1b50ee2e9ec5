package pipeline

import (
	"bytes"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// eventFromMessage rebuilds the Event whose Message Ceilometer published as o.
func eventFromMessage(t *testing.T, o *pyjson.Object) Event {
	t.Helper()
	get := func(k string) pyjson.Value { v, _ := o.Get(k); return v }
	e := Event{MessageID: get("message_id").(string), EventType: get("event_type").(string), Generated: get("generated").(string)}
	for _, tv := range get("traits").([]pyjson.Value) {
		tr := tv.([]pyjson.Value)
		e.Traits = append(e.Traits, Trait{Name: tr[0].(string), Type: int(tr[1].(int64)), Value: tr[2]})
	}
	if raw, ok := get("raw").(*pyjson.Object); ok && raw.Len() > 0 {
		e.Raw = raw
	}
	return e
}

// checkEventFastPath checks that EventSignature and AppendMessage give what
// Signature and the encoders give for Message.
func checkEventFastPath(t *testing.T, secret string, e *Event) {
	t.Helper()
	m := e.Message(secret)
	want, _ := m.Get(SignatureKey)
	sig := EventSignature(secret, e)
	if sig != want {
		t.Errorf("%s: EventSignature = %q, Message signed %q", e.MessageID, sig, want)
	}
	for _, quoted := range []bool{false, true} {
		w := pyjson.NewObjectWriter(quoted)
		got := e.AppendMessage([]byte("x"), &w, sig)
		exp := pyjson.Append([]byte("x"), m)
		if quoted {
			exp = pyjson.AppendQuoted([]byte("x"), m)
		}
		if !bytes.Equal(got, exp) {
			t.Errorf("%s quoted=%v: AppendMessage\n got %s\nwant %s", e.MessageID, quoted, got, exp)
		}
	}
}

// sampleFromMessage rebuilds the Sample whose Message Ceilometer published as o.
func sampleFromMessage(t *testing.T, o *pyjson.Object) Sample {
	t.Helper()
	get := func(k string) pyjson.Value { v, _ := o.Get(k); return v }
	s := Sample{Name: get("counter_name").(string), Type: get("counter_type").(string), Unit: get("counter_unit"),
		Volume: get("counter_volume"), UserID: get("user_id"), ProjectID: get("project_id"), ResourceID: get("resource_id"),
		Timestamp: get("timestamp"), Source: get("source").(string), ID: get("message_id").(string), MonotonicTime: get("monotonic_time")}
	if md, ok := get("resource_metadata").(*pyjson.Object); ok && md.Len() > 0 {
		s.ResourceMetadata = md
	}
	return s
}

// checkSampleFastPath is checkEventFastPath for a sample.
func checkSampleFastPath(t *testing.T, secret string, s *Sample) {
	t.Helper()
	m := s.Message(secret)
	want, _ := m.Get(SignatureKey)
	sig := SampleSignature(secret, s)
	if sig != want {
		t.Errorf("%s: SampleSignature = %q, Message signed %q", s.ID, sig, want)
	}
	for _, quoted := range []bool{false, true} {
		w := pyjson.NewObjectWriter(quoted)
		got := s.AppendMessage([]byte("x"), &w, sig)
		exp := pyjson.Append([]byte("x"), m)
		if quoted {
			exp = pyjson.AppendQuoted([]byte("x"), m)
		}
		if !bytes.Equal(got, exp) {
			t.Errorf("%s quoted=%v: AppendMessage\n got %s\nwant %s", s.ID, quoted, got, exp)
		}
	}
}

// Every sample and event Ceilometer published in the shared corpus is signed
// and encoded by the fast paths exactly as Ceilometer published it.
func TestFastPathsMatchCeilometer(t *testing.T) {
	events, samples := 0, 0
	for _, p := range publishedMessages(t) {
		o := p.msg
		want, _ := o.Get(SignatureKey)
		w := pyjson.NewObjectWriter(false)
		var sig string
		var appended []byte
		if _, isSample := o.Get("counter_name"); isSample {
			smp := sampleFromMessage(t, o)
			sig, appended = SampleSignature(compatSecret, &smp), smp.AppendMessage(nil, &w, want.(string))
			checkSampleFastPath(t, compatSecret, &smp)
			samples++
		} else if _, isEvent := o.Get("traits"); isEvent {
			e := eventFromMessage(t, o)
			sig, appended = EventSignature(compatSecret, &e), e.AppendMessage(nil, &w, want.(string))
			checkEventFastPath(t, compatSecret, &e)
			events++
		} else {
			continue
		}
		if sig != want {
			t.Errorf("line %d: fast signature %s, Ceilometer published %v", p.line, sig, want)
		}
		if exp := pyjson.Append(nil, o); !bytes.Equal(appended, exp) {
			t.Errorf("line %d: AppendMessage\n got %s\nwant %s", p.line, appended, exp)
		}
	}
	if events < 100 || samples < 100 {
		t.Fatalf("only %d published events and %d samples checked", events, samples)
	}
}

// The sample fast path agrees with Message on what the corpus lacks: the
// default source, no resource metadata, values of every type (a dict as the
// unit, a list as the volume, null ids), escapes, no secret.
func TestSampleFastPathMatchesMessage(t *testing.T) {
	md := decodeObject(t, `{"flavor": {"name": "m1.\"small\"", "vcpus": 2}, "tags": ["a", {"y": 1, "x": "é"}], "message_signature": "nested, so signed"}`)
	unit := decodeObject(t, `{"weird": ["unit"]}`)
	for _, secret := range []string{"", "s3cr\u00e9t"} {
		for _, s := range []Sample{
			{Name: "cpu", Type: TypeCumulative, Unit: "ns", Volume: int64(7), ID: "i1"},
			{Name: "disk.usage \"q\"", Type: TypeGauge, Unit: unit, Volume: []pyjson.Value{1.5, "x"}, UserID: "u\u2028",
				ProjectID: nil, ResourceID: "r", Timestamp: "2026-11-25T10:00:00.123456+00:00", ResourceMetadata: md,
				Source: "src", ID: "i2", MonotonicTime: 12.25},
			{Name: "big", Type: TypeDelta, Unit: nil, Volume: pyjson.BigInt("123456789012345678901234567890"), ID: "i3", Timestamp: nil},
		} {
			checkSampleFastPath(t, secret, &s)
		}
	}
}

// The fast path agrees with Message on what the corpus lacks: a raw
// notification (store_raw), every trait type, strings needing escapes, no
// traits, and no secret.
func TestEventFastPathMatchesMessage(t *testing.T) {
	raw := decodeObject(t, `{"event_type": "compute.instance.create.end", "payload": {"a": [1, 2.5, "x\"y"], "b": {"c": null, "é": true}}, "message_signature": "not me", "priority": "INFO"}`)
	for _, secret := range []string{"", "s3cr\u00e9t"} {
		for _, e := range []Event{
			{MessageID: "m1", EventType: "x.y", Generated: "2026-11-25T10:00:00.123456"},
			{MessageID: "m2", EventType: "compute.instance.create.end", Generated: "2026-11-25T10:00:00", Raw: raw, Traits: []Trait{
				{Name: "service", Type: TraitText, Value: "nova-compute \"q\" \\ \u2028 ünï"},
				{Name: "memory_mb", Type: TraitInt, Value: int64(2048)},
				{Name: "disk_gb", Type: TraitFloat, Value: 1.5e-7},
				{Name: "launched_at", Type: TraitDatetime, Value: "2026-11-25T10:00:00.000001"},
				{Name: "none", Type: TraitNone, Value: nil},
			}},
		} {
			checkEventFastPath(t, secret, &e)
		}
	}
}
