package meter

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

// Relay republishes the samples polling agents send over the notification
// bus: Ceilometer's TelemetryIpc endpoint. A "telemetry.polling" notification
// (at SAMPLE priority from the polling agents, but Ceilometer handles INFO as
// well) carries {"samples": [<sample dicts>]}; each becomes a sample as is —
// its timestamp is not reformatted, its message_id is kept, monotonic_time is
// dropped.
//
// It lives beside the meter definitions because both are Ceilometer's
// sample endpoints for the same priorities and share the sample-building
// conventions (source default, fresh ids).
type Relay struct {
	source string
	newID  func() string
}

// relayEventTypes is oslo.messaging's NotificationFilter for TelemetryIpc:
// the regular expression "telemetry.polling" applied with re.match.
var relayEventTypes = regexp.MustCompile(`^telemetry.polling`)

// NewRelay returns the relayed-samples handler. Only s.SampleSource (the
// source of samples that have none) and s.NewID (for samples without a
// message_id) are used.
func NewRelay(s Settings) *Relay {
	r := &Relay{source: s.SampleSource, newID: s.NewID}
	if r.source == "" {
		r.source = pipeline.SourceDefault
	}
	if r.newID == nil {
		r.newID = uuid.New
	}
	return r
}

// Name implements plugins.SampleHandler.
func (r *Relay) Name() string { return "telemetry_ipc" }

// Match reports whether eventType is handled (Process ignores the others).
func (r *Relay) Match(eventType string) bool { return relayEventTypes.MatchString(eventType) }

// relayKeys are the keys each relayed sample dict must have.
var relayKeys = []string{"counter_name", "counter_type", "counter_unit", "counter_volume", "user_id",
	"project_id", "resource_id", "timestamp", "resource_metadata", "source", "message_id"}

// Process implements plugins.SampleHandler. Ceilometer 19 loses every sample
// of the notification when one sample dict lacks a key; Process drops only
// that sample (and, deliberately, one whose counter_name, counter_type or
// resource_metadata has a type the pipeline cannot carry) and reports it.
func (r *Relay) Process(ctx context.Context, n *plugins.Notification) ([]pipeline.Sample, error) {
	if !r.Match(n.EventType) {
		return nil, nil
	}
	payload, ok := n.Payload.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("telemetry.polling: payload is %s, not a mapping", pyval.TypeName(n.Payload))
	}
	sv, _ := payload.Get("samples")
	list, ok := sv.([]pyjson.Value)
	if !ok {
		return nil, fmt.Errorf("telemetry.polling: payload samples is %s, not a list", pyval.TypeName(sv))
	}
	out := make([]pipeline.Sample, 0, len(list))
	var errs []error
	for i, item := range list {
		s, err := r.sample(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("telemetry.polling: samples[%d]: %w", i, err))
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

func (r *Relay) sample(item pyjson.Value) (pipeline.Sample, error) {
	d, ok := item.(*pyjson.Object)
	if !ok {
		return pipeline.Sample{}, fmt.Errorf("%s, not a mapping", pyval.TypeName(item))
	}
	var v [11]pyjson.Value
	for i, k := range relayKeys {
		x, found := d.Get(k)
		if !found {
			return pipeline.Sample{}, fmt.Errorf("missing key %q", k)
		}
		v[i] = x
	}
	name, ok := v[0].(string)
	if !ok {
		return pipeline.Sample{}, fmt.Errorf("counter_name is %s, not a string", pyjson.Repr(v[0]))
	}
	typ, ok := v[1].(string)
	if !ok {
		return pipeline.Sample{}, fmt.Errorf("counter_type is %s, not a string", pyjson.Repr(v[1]))
	}
	// resource_metadata or {}; source or the default; id or a new uuid.
	var md *pyjson.Object
	if pyval.Truth(v[8]) {
		if md, ok = v[8].(*pyjson.Object); !ok {
			return pipeline.Sample{}, fmt.Errorf("resource_metadata is %s, not a mapping", pyval.TypeName(v[8]))
		}
	}
	source := r.source
	if pyval.Truth(v[9]) {
		if source, ok = v[9].(string); !ok {
			return pipeline.Sample{}, fmt.Errorf("source is %s, not a string", pyjson.Repr(v[9]))
		}
	}
	id := ""
	if pyval.Truth(v[10]) {
		if id, ok = v[10].(string); !ok {
			return pipeline.Sample{}, fmt.Errorf("message_id is %s, not a string", pyjson.Repr(v[10]))
		}
	} else {
		id = r.newID()
	}
	return pipeline.Sample{
		Name: name, Type: typ, Unit: v[2], Volume: v[3],
		UserID: v[4], ProjectID: v[5], ResourceID: v[6], Timestamp: v[7],
		ResourceMetadata: md, Source: source, ID: id,
	}, nil
}

// Interface guard.
var _ plugins.SampleHandler = (*Relay)(nil)
