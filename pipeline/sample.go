package pipeline

import (
	"strconv"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Sample types (counter_type), as Ceilometer names them.
const (
	TypeGauge      = "gauge"
	TypeDelta      = "delta"
	TypeCumulative = "cumulative"
)

// Sample is one metering data point: Ceilometer's ceilometer.sample.Sample.
//
// Values that come from notifications keep their JSON type (pyjson.Value): a
// volume that was an integer in the payload stays an integer on the wire, a
// resource id may be null — byte compatibility with Ceilometer depends on it.
type Sample struct {
	Name             string
	Type             string
	Unit             pyjson.Value // usually a string; definitions may produce anything
	Volume           pyjson.Value // int64, float64, BigInt … (validated by the pipeline)
	UserID           pyjson.Value // string or nil
	ProjectID        pyjson.Value // string or nil
	ResourceID       pyjson.Value // string or nil
	Timestamp        pyjson.Value // ISO 8601 string ("2026-11-25T10:00:00.123456+00:00") or nil
	ResourceMetadata *pyjson.Object
	Source           string // "openstack" unless configured
	ID               string // message_id: a fresh uuid per sample
	MonotonicTime    pyjson.Value
}

// Message renders s as Ceilometer's meter_message_from_counter does: the dict
// published on the wire, members in Ceilometer's order, signed with secret.
func (s *Sample) Message(secret string) *pyjson.Object {
	md := s.ResourceMetadata
	if md == nil {
		md = &pyjson.Object{}
	}
	m := &pyjson.Object{Members: make([]pyjson.Member, 0, 13)}
	m.Members = append(m.Members,
		pyjson.Member{Key: "source", Value: s.source()},
		pyjson.Member{Key: "counter_name", Value: s.Name},
		pyjson.Member{Key: "counter_type", Value: s.Type},
		pyjson.Member{Key: "counter_unit", Value: s.Unit},
		pyjson.Member{Key: "counter_volume", Value: s.Volume},
		pyjson.Member{Key: "user_id", Value: s.UserID},
		pyjson.Member{Key: "project_id", Value: s.ProjectID},
		pyjson.Member{Key: "resource_id", Value: s.ResourceID},
		pyjson.Member{Key: "timestamp", Value: s.Timestamp},
		pyjson.Member{Key: "resource_metadata", Value: md},
		pyjson.Member{Key: "message_id", Value: s.ID},
		pyjson.Member{Key: "monotonic_time", Value: s.MonotonicTime},
	)
	m.Members = append(m.Members, pyjson.Member{Key: SignatureKey, Value: Signature(secret, m)})
	return m
}

// source is the sample's source, SourceDefault when it names none.
func (s *Sample) source() string {
	if s.Source == "" {
		return SourceDefault
	}
	return s.Source
}

// AppendMessage appends Message(secret) encoded in w's form, without building
// it, given signature = SampleSignature(secret, s): byte for byte what w
// would write for the Object Message returns (the notifier's hot path; other
// publishers take Message).
func (s *Sample) AppendMessage(b []byte, w *pyjson.ObjectWriter, signature string) []byte {
	o := w.Object()
	b = o.String(b, "source", s.source())
	b = o.String(b, "counter_name", s.Name)
	b = o.String(b, "counter_type", s.Type)
	b = o.Value(o.Key(b, "counter_unit"), s.Unit)
	b = o.Value(o.Key(b, "counter_volume"), s.Volume)
	b = o.Value(o.Key(b, "user_id"), s.UserID)
	b = o.Value(o.Key(b, "project_id"), s.ProjectID)
	b = o.Value(o.Key(b, "resource_id"), s.ResourceID)
	b = o.Value(o.Key(b, "timestamp"), s.Timestamp)
	b = o.Key(b, "resource_metadata")
	if s.ResourceMetadata == nil {
		b = append(b, "{}"...)
	} else {
		b = o.Value(b, s.ResourceMetadata)
	}
	b = o.String(b, "message_id", s.ID)
	b = o.Value(o.Key(b, "monotonic_time"), s.MonotonicTime)
	b = o.String(b, SignatureKey, signature)
	return o.End(b)
}

// AppendMessage appends Message(secret) encoded in w's form, without building
// it, given signature = EventSignature(secret, e): byte for byte what w would
// write for the Object Message returns (the notifier's hot path; other
// publishers take Message).
func (e *Event) AppendMessage(b []byte, w *pyjson.ObjectWriter, signature string) []byte {
	o := w.Object()
	b = o.String(b, "message_id", e.MessageID)
	b = o.String(b, "event_type", e.EventType)
	b = o.String(b, "generated", e.Generated)
	b = o.Key(b, "traits")
	b = append(b, '[')
	for i := range e.Traits {
		t := &e.Traits[i]
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '[')
		b = o.Str(b, t.Name)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(t.Type), 10)
		b = append(b, ", "...)
		b = o.Value(b, t.Value)
		b = append(b, ']')
	}
	b = append(b, ']')
	b = o.Key(b, "raw")
	if e.Raw == nil {
		b = append(b, "{}"...)
	} else {
		b = o.Value(b, e.Raw)
	}
	b = o.String(b, SignatureKey, signature)
	return o.End(b)
}

// SourceDefault is the source of samples that name none.
const SourceDefault = "openstack"

// Trait data types, as Ceilometer numbers them on the wire.
const (
	TraitNone     = 0
	TraitText     = 1
	TraitInt      = 2
	TraitFloat    = 3
	TraitDatetime = 4
)

// Trait is one typed key/value pair of an Event.
type Trait struct {
	Name  string
	Type  int          // TraitText … TraitDatetime
	Value pyjson.Value // string, int64, float64, or an ISO datetime string
}

// Event is Ceilometer's ceilometer.event.models.Event.
type Event struct {
	MessageID string // the source notification's message_id
	EventType string
	Generated string // ISO 8601, the notification's timestamp
	Traits    []Trait
	Raw       *pyjson.Object // the raw notification when store_raw asks for it, else {}
}

// Message renders e as Ceilometer's message_from_event: serialize(), then the
// signature.
func (e *Event) Message(secret string) *pyjson.Object {
	traits := make([]pyjson.Value, len(e.Traits))
	triples := make([]pyjson.Value, 3*len(e.Traits)) // one block for every [name, type, value]
	for i, t := range e.Traits {
		tr := triples[3*i : 3*i+3 : 3*i+3]
		tr[0], tr[1], tr[2] = t.Name, int64(t.Type), t.Value
		traits[i] = tr
	}
	raw := e.Raw
	if raw == nil {
		raw = &pyjson.Object{}
	}
	m := &pyjson.Object{Members: make([]pyjson.Member, 0, 6)}
	m.Members = append(m.Members,
		pyjson.Member{Key: "message_id", Value: e.MessageID},
		pyjson.Member{Key: "event_type", Value: e.EventType},
		pyjson.Member{Key: "generated", Value: e.Generated},
		pyjson.Member{Key: "traits", Value: traits},
		pyjson.Member{Key: "raw", Value: raw},
	)
	m.Members = append(m.Members, pyjson.Member{Key: SignatureKey, Value: Signature(secret, m)})
	return m
}
