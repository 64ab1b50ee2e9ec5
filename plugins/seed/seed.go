package seed

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

// Settings are the ceilometer.conf options the seed plugins apply.
type Settings struct {
	// SampleSource is [DEFAULT] sample_source ("" = openstack).
	SampleSource string
	// Reserved metadata ([DEFAULT] reserved_metadata_*), for the instance
	// plugins' user_metadata.
	ReservedNamespace []string
	ReservedLength    int
	ReservedKeys      []string
	// NewID makes sample ids; nil = random UUIDs.
	NewID func() string
}

// Plugin is one mitaka notification plugin: it converts the notifications whose
// event type it accepts (info and sample priorities) into samples.
type Plugin struct {
	name      string
	match     *regexp.Regexp
	nonMetric bool
	convert   func(p *Plugin, msg *pyjson.Object) ([]pipeline.Sample, error)
	settings  Settings
	// for the network family
	resource, counter, unit string
}

// Name is the plugin's name in mitaka's setup.cfg.
func (p *Plugin) Name() string { return p.name }

// NonMetric reports whether mitaka's disable_non_metric_meters turns the
// plugin off (every seed plugin here is an existence meter).
func (p *Plugin) NonMetric() bool { return p.nonMetric }

// Process converts one notification; the notification is not modified.
func (p *Plugin) Process(_ context.Context, n *plugins.Notification) ([]pipeline.Sample, error) {
	if n.Priority != "info" && n.Priority != "sample" {
		return nil, nil
	}
	if !p.match.MatchString(n.EventType) {
		return nil, nil
	}
	return p.convert(p, oldFormat(n))
}

// oldFormat is mitaka's messaging.convert_to_old_notification_format: the
// dispatcher's dict flattened back (priority, message_id, timestamp and the
// _context_* keys at the top level), as a private copy the plugin may modify.
func oldFormat(n *plugins.Notification) *pyjson.Object {
	m := &pyjson.Object{}
	get := func(o *pyjson.Object, k string) pyjson.Value { v, _ := o.Get(k); return v }
	root := n.DispatchRoot()
	m.Set("publisher_id", get(root, "publisher_id"))
	m.Set("event_type", get(root, "event_type"))
	m.Set("payload", deepCopy(get(root, "payload")))
	m.Set("priority", n.Priority)
	if md, ok := get(root, "metadata").(*pyjson.Object); ok {
		for _, mem := range md.Members {
			m.Set(mem.Key, mem.Value)
		}
	}
	if ctxt, ok := get(root, "ctxt").(*pyjson.Object); ok {
		for _, mem := range ctxt.Members {
			m.Set("_context_"+mem.Key, mem.Value)
		}
	}
	return m
}

func deepCopy(v pyjson.Value) pyjson.Value {
	switch x := v.(type) {
	case *pyjson.Object:
		c := &pyjson.Object{Members: make([]pyjson.Member, len(x.Members))}
		for i, m := range x.Members {
			c.Members[i] = pyjson.Member{Key: m.Key, Value: deepCopy(m.Value)}
		}
		return c
	case []pyjson.Value:
		c := make([]pyjson.Value, len(x))
		for i, e := range x {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}

// errMissing is a KeyError in mitaka: the plugin yields nothing for the
// notification (mitaka logged "Fail to process notification").
var errMissing = errors.New("missing key")

func key(o pyjson.Value, k string) (pyjson.Value, error) {
	obj, ok := o.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("%w %q: not a mapping", errMissing, k)
	}
	v, ok := obj.Get(k)
	if !ok {
		return nil, fmt.Errorf("%w %q", errMissing, k)
	}
	return v, nil
}

// fromNotification is mitaka's Sample.from_notification: the metadata is a
// shallow copy of the payload plus event_type and host, the timestamp the
// notification's, as sent.
func (p *Plugin) fromNotification(msg *pyjson.Object, name, typ string, unit string, volume pyjson.Value, userID, projectID, resourceID pyjson.Value) pipeline.Sample {
	md := &pyjson.Object{}
	if payload, _ := msg.Get("payload"); payload != nil {
		payload, _ := payload.(*pyjson.Object)
		if payload != nil {
			md.Members = append(md.Members, payload.Members...)
		}
	}
	et, _ := msg.Get("event_type")
	host, _ := msg.Get("publisher_id")
	md.Set("event_type", et)
	md.Set("host", host)
	ts, _ := msg.Get("timestamp")
	src := p.settings.SampleSource
	if src == "" {
		src = pipeline.SourceDefault
	}
	newID := p.settings.NewID
	if newID == nil {
		newID = uuid.New
	}
	return pipeline.Sample{Name: name, Type: typ, Unit: unit, Volume: volume, UserID: userID, ProjectID: projectID,
		ResourceID: resourceID, Timestamp: ts, ResourceMetadata: md, Source: src, ID: newID()}
}

// convertNetwork is mitaka's NetworkNotificationBase.process_notification.
func convertNetwork(p *Plugin, msg *pyjson.Object) ([]pipeline.Sample, error) {
	payload, _ := msg.Get("payload")
	po, ok := payload.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("%s: payload is not a mapping", p.name)
	}
	var resources []pyjson.Value
	if r, _ := po.Get(p.resource); pyval.Truth(r) {
		if et, _ := msg.Get("event_type"); strings.HasSuffix(fmt.Sprint(et), "update.start") {
			id, err := key(po, "id")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.name, err)
			}
			ro, ok := r.(*pyjson.Object)
			if !ok {
				return nil, fmt.Errorf("%s: %s is not a mapping", p.name, p.resource)
			}
			ro.Set("id", id)
		}
		resources = []pyjson.Value{r}
	} else if list, ok := po.Get(p.resource + "s"); ok {
		l, isList := list.([]pyjson.Value)
		if !isList {
			return nil, fmt.Errorf("%s: %ss is not a list", p.name, p.resource)
		}
		resources = l
	}
	et, _ := msg.Get("event_type")
	parts := strings.Split(fmt.Sprint(et), ".")
	var out []pipeline.Sample
	for _, r := range resources {
		userID, err := key(msg, "_context_user_id")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		projectID, err := key(msg, "_context_tenant_id")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		id, err := key(r, "id")
		if err != nil {
			return out, fmt.Errorf("%s: %w", p.name, err)
		}
		rm := &pyjson.Object{Members: append([]pyjson.Member(nil), msg.Members...)}
		rm.Set("payload", r)
		out = append(out, p.fromNotification(rm, p.counter, pipeline.TypeGauge, p.unit, int64(1), userID, projectID, id))
		if len(parts) > 2 {
			out = append(out, p.fromNotification(rm, p.counter+"."+parts[1], pipeline.TypeDelta, p.unit, int64(1), userID, projectID, id))
		}
	}
	return out, nil
}

// addUserMetadata is mitaka's compute util.add_reserved_user_metadata applied to
// props: a dict "metadata" member is removed and its reserved keys become
// props["user_metadata"].
func (p *Plugin) addUserMetadata(props *pyjson.Object) {
	src, ok := props.Get("metadata")
	so, isObj := src.(*pyjson.Object)
	if !ok || !isObj {
		return
	}
	props.Delete("metadata")
	user := &pyjson.Object{}
	limit := func(v pyjson.Value) pyjson.Value {
		if s, ok := v.(string); ok && p.settings.ReservedLength >= 0 {
			r := []rune(s)
			if len(r) > p.settings.ReservedLength {
				return string(r[:p.settings.ReservedLength])
			}
		}
		return v
	}
	for _, prefix := range p.settings.ReservedNamespace {
		for _, m := range so.Members {
			if !strings.HasPrefix(m.Key, prefix) {
				continue
			}
			k := strings.ReplaceAll(m.Key[len(prefix):], ".", "_")
			if _, taken := props.Get(k); !taken {
				user.Set(k, limit(m.Value))
			}
		}
	}
	for _, rk := range p.settings.ReservedKeys {
		for _, m := range so.Members {
			if m.Key != rk {
				continue
			}
			k := strings.ReplaceAll(m.Key, ".", "_")
			if _, taken := props.Get(k); !taken {
				user.Set(k, limit(m.Value))
			}
		}
	}
	if user.Len() > 0 {
		props.Set("user_metadata", user)
	}
}

// convertInstance is mitaka's Instance plugin.
func convertInstance(p *Plugin, msg *pyjson.Object) ([]pipeline.Sample, error) {
	payload, _ := msg.Get("payload")
	po, ok := payload.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("%s: payload is not a mapping", p.name)
	}
	p.addUserMetadata(po)
	var vals [3]pyjson.Value
	for i, k := range []string{"user_id", "tenant_id", "instance_id"} {
		v, err := key(po, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		vals[i] = v
	}
	return []pipeline.Sample{p.fromNotification(msg, "instance", pipeline.TypeGauge, "instance", int64(1), vals[0], vals[1], vals[2])}, nil
}

// convertInstanceScheduled is mitaka's InstanceScheduled plugin.
func convertInstanceScheduled(p *Plugin, msg *pyjson.Object) ([]pipeline.Sample, error) {
	payload, _ := msg.Get("payload")
	spec, err := key(payload, "request_spec")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	props, err := key(spec, "instance_properties")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	po, ok := props.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("%s: instance_properties is not a mapping", p.name)
	}
	p.addUserMetadata(po)
	project, err := key(po, "project_id")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	id, err := key(payload, "instance_id")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	return []pipeline.Sample{p.fromNotification(msg, "instance.scheduled", pipeline.TypeDelta, "instance", int64(1), nil, project, id)}, nil
}

// eventTypes compiles mitaka's NotificationFilter: the event types joined with
// "|" as a Python regular expression applied with re.match (anchored at the
// start only).
func eventTypes(types ...string) *regexp.Regexp {
	return regexp.MustCompile("^(?:" + strings.Join(types, "|") + ")")
}

func network(name, resource, counter, unit string) func(Settings) *Plugin {
	if counter == "" {
		counter = resource
	}
	if unit == "" {
		unit = resource
	}
	return func(s Settings) *Plugin {
		return &Plugin{name: name, resource: resource, counter: counter, unit: unit, nonMetric: true, settings: s,
			convert: convertNetwork,
			match:   eventTypes(resource+".create.end", resource+".update.*", resource+".exists")}
	}
}

// Factories returns mitaka's seed plugins (setup.cfg ceilometer.notification)
// that Ceilometer 19 no longer has, in setup.cfg order. The coded endpoints
// Ceilometer 19 still ships (http.*, hardware.ipmi.*, _sample, meter) are
// provided by plugins/meter.
func Factories() []func(Settings) *Plugin {
	return []func(Settings) *Plugin{
		func(s Settings) *Plugin {
			return &Plugin{name: "instance", nonMetric: true, settings: s, convert: convertInstance, match: eventTypes("compute.instance.*")}
		},
		func(s Settings) *Plugin {
			return &Plugin{name: "instance_scheduled", nonMetric: true, settings: s, convert: convertInstanceScheduled, match: eventTypes("scheduler.run_instance.scheduled")}
		},
		network("network", "network", "", ""),
		network("subnet", "subnet", "", ""),
		network("port", "port", "", ""),
		network("router", "router", "", ""),
		network("floatingip", "floatingip", "ip.floating", "ip"),
		network("network.services.lb.pool", "pool", "network.services.lb.pool", ""),
		network("network.services.lb.vip", "vip", "network.services.lb.vip", ""),
		network("network.services.lb.member", "member", "network.services.lb.member", ""),
		network("network.services.lb.health_monitor", "health_monitor", "network.services.lb.health_monitor", ""),
		network("network.services.firewall", "firewall", "network.services.firewall", ""),
		network("network.services.firewall.policy", "firewall_policy", "network.services.firewall.policy", ""),
		network("network.services.firewall.rule", "firewall_rule", "network.services.firewall.rule", ""),
		network("network.services.vpn", "vpnservice", "network.services.vpn", ""),
		network("network.services.vpn.ipsecpolicy", "ipsecpolicy", "network.services.vpn.ipsecpolicy", ""),
		network("network.services.vpn.ikepolicy", "ikepolicy", "network.services.vpn.ikepolicy", ""),
		network("network.services.vpn.connections", "ipsec_site_connection", "network.services.vpn.connections", ""),
	}
}

// Plugins builds every seed plugin with s.
func Plugins(s Settings) []*Plugin {
	fs := Factories()
	out := make([]*Plugin, 0, len(fs))
	seen := map[string]bool{}
	for _, f := range fs {
		p := f(s)
		if seen[p.name] {
			// A duplicate name is a programming error in the table above;
			// the test of Factories catches it.
			continue
		}
		seen[p.name] = true
		out = append(out, p)
	}
	return out
}
