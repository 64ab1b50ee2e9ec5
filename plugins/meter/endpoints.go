package meter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openstack-go/agent-notification/internal/pyre"
	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

// Endpoint is one of Ceilometer's sample endpoints: it turns a notification
// into samples, ignoring (nil, nil) the event types it does not handle.
// Process is safe for concurrent use and never modifies the notification.
type Endpoint = plugins.SampleHandler

// Endpoints returns Ceilometer 19's coded sample endpoints (setup.cfg
// ceilometer.sample.endpoint) in Ceilometer's order — TelemetryIpc (Relay),
// hardware.ipmi.current, .fan, .temperature, .voltage, http.request,
// http.response — that is, every endpoint except the meter definitions
// (Load), which come last. Each endpoint's samples of a notification are
// published as one message, so a caller publishes each endpoint's result
// separately, in this order.
func Endpoints(s Settings) []Endpoint {
	return []Endpoint{
		NewRelay(s),
		newSensor(s, "Current"),
		newSensor(s, "Fan"),
		newSensor(s, "Temperature"),
		newSensor(s, "Voltage"),
		newHTTP(s, "http.request"),
		newHTTP(s, "http.response"),
	}
}

// endpointBase is what every coded endpoint shares: oslo.messaging's
// NotificationFilter (the event types joined by '|', matched with re.match)
// and Sample.from_notification's defaults.
type endpointBase struct {
	name   string
	filter *pyre.Pattern
	source string
	newID  func() string
}

func newBase(s Settings, name string, eventTypes ...string) endpointBase {
	b := endpointBase{name: name, source: s.SampleSource, newID: s.NewID}
	if b.source == "" {
		b.source = pipeline.SourceDefault
	}
	if b.newID == nil {
		b.newID = uuid.New
	}
	var err error
	if b.filter, err = pyre.CompileMatch(strings.Join(eventTypes, "|")); err != nil {
		panic(fmt.Sprintf("meter: event types of %s: %v", name, err)) // constant patterns
	}
	return b
}

// Name implements plugins.SampleHandler.
func (b *endpointBase) Name() string { return b.name }

// Match reports whether the endpoint handles eventType.
func (b *endpointBase) Match(eventType string) bool { return b.filter.MatchString(eventType) }

// fromNotification is Sample.from_notification without a metadata argument:
// the metadata is a shallow copy of payload (or {} when it is not a dict)
// plus event_type and host, and the timestamp parse_isotime(ts).isoformat().
func (b *endpointBase) fromNotification(name, typ, unit string, volume, userID, projectID, resourceID,
	payload, eventType, host, ts pyjson.Value) (pipeline.Sample, error) {
	md := &pyjson.Object{}
	if p, ok := payload.(*pyjson.Object); ok {
		md.Members = make([]pyjson.Member, len(p.Members), len(p.Members)+2)
		copy(md.Members, p.Members)
	}
	md.Set("event_type", eventType)
	md.Set("host", host)
	t, err := pytime.Parse(ts)
	if err != nil {
		return pipeline.Sample{}, err
	}
	return pipeline.Sample{
		Name: name, Type: typ, Unit: unit, Volume: volume,
		UserID: userID, ProjectID: projectID, ResourceID: resourceID,
		Timestamp: t.ISOFormat(), ResourceMetadata: md, Source: b.source, ID: b.newID(),
	}, nil
}

// bodyField is message[key] of the dict oslo hands to the endpoint
// (plugins.Notification.Root): publisher_id, event_type and payload are the
// body's, metadata.timestamp its timestamp; missing is None.
func bodyField(n *plugins.Notification, key string) pyjson.Value {
	if n.Body != nil {
		v, _ := n.Body.Get(key)
		return v
	}
	switch key {
	case "publisher_id":
		return n.PublisherID
	case "event_type":
		return n.EventType
	case "timestamp":
		return n.Timestamp
	case "payload":
		return n.Payload
	}
	return nil
}

// errKey is Python's KeyError.
type errKey struct{ key string }

func (e errKey) Error() string { return "KeyError: " + pyjson.Repr(e.key) }

// subscript is Python's v[key] for a str key: KeyError on a dict without it,
// TypeError on anything that is not a dict.
func subscript(v pyjson.Value, key string) (pyjson.Value, error) {
	switch x := v.(type) {
	case *pyjson.Object:
		if w, ok := x.Get(key); ok {
			return w, nil
		}
		return nil, errKey{key}
	case nil:
		return nil, errors.New("TypeError: 'NoneType' object is not subscriptable")
	case string:
		return nil, errors.New("TypeError: string indices must be integers, not 'str'")
	case []pyjson.Value:
		return nil, errors.New("TypeError: list indices must be integers or slices, not str")
	}
	return nil, fmt.Errorf("TypeError: '%s' object is not subscriptable", pyval.TypeName(v))
}

// getter is Python's v.get: AttributeError on anything but a dict.
func getter(v pyjson.Value) (func(string) pyjson.Value, error) {
	o, ok := v.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("AttributeError: '%s' object has no attribute 'get'", pyval.TypeName(v))
	}
	return func(k string) pyjson.Value { w, _ := o.Get(k); return w }, nil
}

// HTTP is ceilometer.middleware's HTTPRequest or HTTPResponse endpoint: one
// delta sample, volume 1, per http.request (http.response) notification of
// the CADF audit middleware, named after the event type, its unit the event
// type's second dotted part, user, project and resource from the payload's
// request environ (HTTP_X_USER_ID, HTTP_X_PROJECT_ID, HTTP_X_SERVICE_NAME).
// A payload without a "request" mapping raises in Ceilometer: no sample, and
// Process reports why.
type HTTP struct{ endpointBase }

func newHTTP(s Settings, eventType string) *HTTP {
	return &HTTP{newBase(s, eventType, eventType)}
}

// Process implements plugins.SampleHandler.
func (h *HTTP) Process(_ context.Context, n *plugins.Notification) ([]pipeline.Sample, error) {
	if !h.Match(n.EventType) {
		return nil, nil
	}
	s, err := h.build(n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.name, err)
	}
	return []pipeline.Sample{s}, nil
}

func (h *HTTP) build(n *plugins.Notification) (pipeline.Sample, error) {
	et := n.EventType
	parts := strings.Split(et, ".")
	if len(parts) < 2 {
		return pipeline.Sample{}, errors.New("IndexError: list index out of range (event_type has no second part)")
	}
	payload := bodyField(n, "payload")
	req, err := subscript(payload, "request")
	if err != nil {
		return pipeline.Sample{}, err
	}
	get, err := getter(req)
	if err != nil {
		return pipeline.Sample{}, err
	}
	return h.fromNotification(et, pipeline.TypeDelta, parts[1], int64(1),
		get("HTTP_X_USER_ID"), get("HTTP_X_PROJECT_ID"), get("HTTP_X_SERVICE_NAME"),
		payload, et, bodyField(n, "publisher_id"), bodyField(n, "timestamp"))
}

// Sensor is one of ceilometer.ipmi.notifications.ironic's
// SensorNotification endpoints (Current, Fan, Temperature, Voltage): for
// every sensor of payload.payload.<metric> a gauge sample
// hardware.ipmi.<metric>, its volume and unit read from "Sensor Reading"
// ("130 (+/- 0) Watts" is 130.0 W; Watts and Volts become W and V), its
// resource "<node_uuid>-<sensor id, lower case, spaces as _>", its metadata
// the sensor's dict plus node, event_type and host.
//
// As in Ceilometer, a sensor without node_uuid, "Sensor ID" or "Sensor
// Reading", or with an unparsable reading, is skipped (reported in the
// error, the other samples kept), a "Disabled" reading is skipped silently,
// and anything else Python would raise on (a payload without timestamp or
// event_type, a reading that is not a string, a bad timestamp…) loses every
// sample of the notification.
type Sensor struct {
	endpointBase
	metric string
}

func newSensor(s Settings, metric string) *Sensor {
	return &Sensor{endpointBase: newBase(s, "hardware.ipmi."+strings.ToLower(metric), "hardware.ipmi.*"), metric: metric}
}

// unitMap is ironic.py's UNIT_MAP.
var unitMap = map[string]string{"Watts": "W", "Volts": "V"}

// Process implements plugins.SampleHandler.
func (e *Sensor) Process(_ context.Context, n *plugins.Notification) ([]pipeline.Sample, error) {
	if !e.Match(n.EventType) {
		return nil, nil
	}
	out, skipped, err := e.build(n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.name, err)
	}
	if len(skipped) > 0 {
		return out, fmt.Errorf("%s: invalid sensor data: %w", e.name, errors.Join(skipped...))
	}
	return out, nil
}

// build is SensorNotification.build_sample, consumed as list() does: skipped
// are the InvalidSensorData warnings, err what makes Ceilometer lose all.
func (e *Sensor) build(n *plugins.Notification) (out []pipeline.Sample, skipped []error, err error) {
	payload := bodyField(n, "payload")
	// _get_sample: message['payload']['payload'][metric].items(), KeyError
	// meaning no sensors.
	sensors, err := subscript(payload, "payload")
	if err == nil {
		sensors, err = subscript(sensors, e.metric)
	}
	var ke errKey
	if errors.As(err, &ke) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	items, ok := sensors.(*pyjson.Object)
	if !ok {
		return nil, nil, fmt.Errorf("AttributeError: '%s' object has no attribute 'items'", pyval.TypeName(sensors))
	}
	msg := payload.(*pyjson.Object) // subscripted above
	for _, item := range items.Members {
		s, skip, err := e.sample(n, msg, item.Value)
		switch {
		case err != nil:
			return nil, nil, err
		case skip != nil:
			skipped = append(skipped, skip)
		case s != nil:
			out = append(out, *s)
		}
	}
	return out, skipped, nil
}

// sample builds one sensor's sample: nil for a "Disabled" reading, skip for
// InvalidSensorData, err for the exceptions that escape build_sample.
func (e *Sensor) sample(n *plugins.Notification, msg *pyjson.Object, sensor pyjson.Value) (s *pipeline.Sample, skip, err error) {
	resourceID := "missing id"
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", resourceID, fmt.Sprintf(format, args...))
	}
	node, found := msg.Get("node_uuid")
	if !found {
		return nil, invalid("missing key in payload: 'node_uuid'"), nil
	}
	sid, err := subscript(sensor, "Sensor ID")
	if errors.As(err, new(errKey)) {
		return nil, invalid("missing key in payload: 'Sensor ID'"), nil
	} else if err != nil {
		return nil, nil, err
	}
	sidText, ok := sid.(string)
	if !ok {
		return nil, nil, fmt.Errorf("AttributeError: '%s' object has no attribute 'lower'", pyval.TypeName(sid))
	}
	resourceID = pyval.Str(node) + "-" + strings.ReplaceAll(pyval.Lower(sidText), " ", "_")

	// _package_payload: the sensor dict gains node (on a copy here).
	sd := sensor.(*pyjson.Object)
	pd := &pyjson.Object{Members: make([]pyjson.Member, len(sd.Members), len(sd.Members)+3)}
	copy(pd.Members, sd.Members)
	pd.Set("node", node)
	ts, err := subscript(msg, "timestamp")
	if err != nil {
		return nil, nil, err
	}
	eventType, err := subscript(msg, "event_type")
	if err != nil {
		return nil, nil, err
	}
	userID, _ := msg.Get("user_id")
	projectID, _ := msg.Get("project_id")

	reading, found := pd.Get("Sensor Reading")
	if !found {
		return nil, invalid("missing 'Sensor Reading' in payload"), nil
	}
	if reading == "Disabled" {
		return nil, nil, nil
	}
	text, ok := reading.(string)
	if !ok {
		return nil, nil, fmt.Errorf("AttributeError: '%s' object has no attribute 'split'", pyval.TypeName(reading))
	}
	// parse_reading: volume, unit = data.split(' ', 1); the unit is the last
	// word of the rest.
	vol, rest, ok := strings.Cut(text, " ")
	if !ok {
		return nil, invalid("unable to parse sensor reading: %s", text), nil
	}
	unit := rest
	if i := strings.LastIndexByte(rest, ' '); i >= 0 {
		unit = rest[i+1:]
	}
	volume, err := pyval.ParseFloat(vol)
	if err != nil {
		return nil, invalid("unable to parse sensor reading: %s", text), nil
	}
	if u, ok := unitMap[unit]; ok {
		unit = u
	}
	if !pyval.Truth(ts) {
		// from_notification falls back to message['metadata'], which the
		// packaged message has not.
		return nil, nil, errKey{"metadata"}
	}
	smp, err := e.fromNotification("hardware.ipmi."+strings.ToLower(e.metric), pipeline.TypeGauge, unit, volume,
		userID, projectID, resourceID, pd, eventType, bodyField(n, "publisher_id"), ts)
	if err != nil {
		return nil, nil, err
	}
	return &smp, nil, nil
}

// Interface guards.
var (
	_ Endpoint = (*HTTP)(nil)
	_ Endpoint = (*Sensor)(nil)
	_ Endpoint = (*Relay)(nil)
)
