package meter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

// Engine is the compiled set of meter definitions: Ceilometer's
// ProcessMeterNotifications endpoint. It is immutable after Load and safe
// for concurrent use; the only shared mutable state is the event-type match
// cache, which is lock-free for readers.
type Engine struct {
	defs                          []*definition
	settings                      Settings
	fallbackUser, fallbackProject *field

	cache     sync.Map // event type → []*definition
	cacheSize atomic.Int64
}

// maxCachedEventTypes bounds the match cache: event types beyond it (only
// hostile input has that many) are matched every time.
const maxCachedEventTypes = 4096

// maxCachedEventTypeLen keeps absurdly long event types out of the cache.
const maxCachedEventTypeLen = 256

// Name implements plugins.SampleHandler.
func (e *Engine) Name() string { return "meter_definitions" }

// Len returns the number of definitions in use.
func (e *Engine) Len() int { return len(e.defs) }

// Names returns the names of the definitions in use, in evaluation order.
func (e *Engine) Names() []string {
	out := make([]string, len(e.defs))
	for i, d := range e.defs {
		out[i] = d.name
	}
	return out
}

// match returns the definitions whose event_type matches eventType, in
// evaluation order. The result is cached per event type and must not be
// modified.
func (e *Engine) match(eventType string) []*definition {
	if v, ok := e.cache.Load(eventType); ok {
		return v.([]*definition)
	}
	var out []*definition
	for _, d := range e.defs {
		if d.matches(eventType) {
			out = append(out, d)
		}
	}
	if len(eventType) <= maxCachedEventTypeLen && e.cacheSize.Load() < maxCachedEventTypes {
		if _, loaded := e.cache.LoadOrStore(eventType, out); !loaded {
			e.cacheSize.Add(1)
		}
	}
	return out
}

// Matches reports the names of the definitions matching eventType.
func (e *Engine) Matches(eventType string) []string {
	ds := e.match(eventType)
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.name
	}
	return out
}

// Process implements plugins.SampleHandler: the samples every matching
// definition yields for n, in Ceilometer's order. Priority filtering (info
// and sample) is the caller's.
//
// Where Ceilometer 19 loses every sample of the notification because one
// value raised (an expression that fails, an unparsable timestamp, a
// user_metadata that is not a mapping), Process loses only what depends on
// it: the definition whose expression failed, or the one sample whose
// timestamp, name or type is unusable. The other samples are returned
// together with an error describing each loss.
func (e *Engine) Process(ctx context.Context, n *plugins.Notification) ([]pipeline.Sample, error) {
	defs := e.match(n.EventType)
	if len(defs) == 0 {
		return nil, nil
	}
	root := n.DispatchRoot()
	b := sampleBuilder{e: e, root: root, body: n.Body}
	var errs []error
	for _, d := range defs {
		if err := b.build(d); err != nil {
			errs = append(errs, fmt.Errorf("meter %s: %w", d.name, err))
		}
	}
	return b.out, errors.Join(errs...)
}

// sampleBuilder converts one notification.
type sampleBuilder struct {
	e    *Engine
	root *pyjson.Object
	body *pyjson.Object
	out  []pipeline.Sample
	// fallbacks are evaluated once per notification.
	fallbacksDone           bool
	fallbackUser, fallbackP pyjson.Value
	// scratch is reused by JSONPath evaluations.
	scratch []pyjson.Value
	// lastTS memoizes the last timestamp rendered (most samples of a
	// notification share the notification's).
	lastTSIn  string
	lastTSOut string
}

func (b *sampleBuilder) fallbacks() error {
	if b.fallbacksDone {
		return nil
	}
	var err error
	if b.fallbackUser, err = b.e.fallbackUser.first(b.root, &b.scratch); err != nil {
		return err
	}
	if b.fallbackP, err = b.e.fallbackProject.first(b.root, &b.scratch); err != nil {
		return err
	}
	b.fallbacksDone = true
	return nil
}

// build is MeterDefinition.to_samples followed by Sample.from_notification.
func (b *sampleBuilder) build(d *definition) error {
	if err := b.fallbacks(); err != nil {
		return err
	}
	md := &pyjson.Object{}
	for _, m := range d.metadata {
		v, err := m.f.first(b.root, &b.scratch)
		if err != nil {
			return fmt.Errorf("metadata %s: %w", m.name, err)
		}
		if pyval.Truth(v) {
			md.Set(m.name, v)
		}
	}
	if d.userMeta != nil {
		v, err := d.userMeta.first(b.root, &b.scratch)
		if err != nil {
			return fmt.Errorf("user_metadata: %w", err)
		}
		if pyval.Truth(v) {
			obj, ok := v.(*pyjson.Object)
			if !ok {
				return fmt.Errorf("user_metadata: %s is not a mapping", pyval.TypeName(v))
			}
			b.addReservedUserMetadata(obj, md)
		}
	}
	defaults := [numAttrs]pyjson.Value{
		attrName: d.cfgName, attrType: d.cfgType, attrUnit: d.cfgUnit,
		attrUserID: b.fallbackUser, attrProjectID: b.fallbackP,
	}
	if d.lookup == nil {
		vals := defaults
		for i, f := range d.attrs {
			if f == nil {
				continue
			}
			v, err := f.first(b.root, &b.scratch)
			if err != nil {
				return fmt.Errorf("%s: %w", attrNames[i], err)
			}
			if v != nil {
				vals[i] = v
			}
		}
		return b.emit(d, &vals, md)
	}
	return b.buildLookup(d, &defaults, md)
}

// buildLookup is to_samples for a definition with lookup: each attribute is
// a list, expanded into one sample per name.
func (b *sampleBuilder) buildLookup(d *definition, defaults *[numAttrs]pyjson.Value, md *pyjson.Object) error {
	var lists [numAttrs][]pyjson.Value
	for i := range lists {
		lists[i] = []pyjson.Value{defaults[i]}
	}
	for i, f := range d.attrs {
		if f == nil {
			continue
		}
		vs, isList, err := f.all(b.root)
		if err != nil {
			return fmt.Errorf("%s: %w", attrNames[i], err)
		}
		if !isList {
			// Python stores the bare constant and then fails on len().
			if d.inLookup[i] || i == attrName || pyval.Truth(f.constant) {
				return fmt.Errorf("%s: object of type '%s' has no len()", attrNames[i], pyval.TypeName(f.constant))
			}
			continue
		}
		if d.inLookup[i] || i == attrName || len(vs) > 0 {
			lists[i] = vs
		}
	}
	nb := len(lists[attrName])
	if nb == 0 {
		return nil
	}
	for i, l := range lists {
		if len(l) == nb || (len(l) == 1 && !d.inLookup[i]) {
			continue
		}
		got := len(l)
		if len(l) == 1 && l[0] == nil {
			got = 0
		}
		return fmt.Errorf("only %d fetched meters contain %q field instead of %d", got, attrNames[i], nb)
	}
	// "message" and "metadata" are one-element lists too.
	for _, k := range []int{numAttrs, numAttrs + 1} {
		if nb != 1 && d.inLookup[k] {
			return fmt.Errorf("only 1 fetched meters contain %q field instead of %d", []string{"message", "metadata"}[k-numAttrs], nb)
		}
	}
	var errs []error
	for j := range nb {
		var vals [numAttrs]pyjson.Value
		for i, l := range lists {
			if len(l) == 1 {
				vals[i] = l[0]
			} else {
				vals[i] = l[j]
			}
		}
		m := md
		if j > 0 && md.Len() > 0 {
			// Python shares one dict between the samples; give each its own
			// so that a transformer changing one cannot change the others.
			m = &pyjson.Object{Members: slices.Clone(md.Members)}
		}
		if err := b.emit(d, &vals, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// emit is Sample.from_notification.
func (b *sampleBuilder) emit(d *definition, vals *[numAttrs]pyjson.Value, md *pyjson.Object) error {
	name, ok := vals[attrName].(string)
	if !ok {
		return fmt.Errorf("sample dropped: counter_name is %s, not a string", pyjson.Repr(vals[attrName]))
	}
	typ, ok := vals[attrType].(string)
	if !ok {
		return fmt.Errorf("sample %s dropped: counter_type is %s, not a string", name, pyjson.Repr(vals[attrType]))
	}
	ts := vals[attrTimestamp]
	if !pyval.Truth(ts) {
		ts, _ = b.root.Members[4].Value.(*pyjson.Object).Get("timestamp")
	}
	tsOut, err := b.isoformat(ts)
	if err != nil {
		return fmt.Errorf("sample %s dropped: %w", name, err)
	}
	meta := md
	if md.Len() == 0 {
		// No metadata: the payload (when a dict) plus event_type and host.
		payload, _ := b.root.Members[3].Value.(*pyjson.Object)
		meta = &pyjson.Object{Members: make([]pyjson.Member, 0, payload.Len()+2)}
		if payload != nil {
			meta.Members = append(meta.Members, payload.Members...)
		}
		meta.Set("event_type", b.root.Members[2].Value)
		meta.Set("host", b.root.Members[1].Value)
	}
	b.out = append(b.out, pipeline.Sample{
		Name:             name,
		Type:             typ,
		Unit:             vals[attrUnit],
		Volume:           vals[attrVolume],
		UserID:           vals[attrUserID],
		ProjectID:        vals[attrProjectID],
		ResourceID:       vals[attrResourceID],
		Timestamp:        tsOut,
		ResourceMetadata: meta,
		Source:           b.e.settings.SampleSource,
		ID:               b.e.settings.NewID(),
	})
	return nil
}

// isoformat is timeutils.parse_isotime(ts).isoformat(), memoized.
func (b *sampleBuilder) isoformat(ts pyjson.Value) (string, error) {
	s, ok := ts.(string)
	if ok && b.lastTSOut != "" && s == b.lastTSIn {
		return b.lastTSOut, nil
	}
	t, err := pytime.Parse(ts)
	if err != nil {
		return "", err
	}
	b.lastTSIn, b.lastTSOut = s, t.ISOFormat()
	return b.lastTSOut, nil
}

// addReservedUserMetadata is ceilometer.sample.add_reserved_user_metadata:
// src's keys under a reserved namespace (prefix removed, dots turned into
// underscores) or named in reserved_metadata_keys, with string values cut
// to reserved_metadata_length characters, go to dst["user_metadata"] unless
// dst already has that key.
func (b *sampleBuilder) addReservedUserMetadata(src, dst *pyjson.Object) {
	s := &b.e.settings
	var um *pyjson.Object
	put := func(k string, v pyjson.Value) {
		if um == nil {
			um = &pyjson.Object{}
		}
		if str, ok := v.(string); ok {
			v = pyval.SliceTo(str, s.ReservedMetadataLength)
		}
		um.Set(k, v)
	}
	for _, prefix := range s.ReservedMetadataNamespace {
		// A dict comprehension per prefix, then update(): within one prefix
		// the last duplicate key wins, across prefixes the later prefix.
		for _, m := range src.Members {
			if rest, ok := strings.CutPrefix(m.Key, prefix); ok {
				k := strings.ReplaceAll(rest, ".", "_")
				if _, taken := dst.Get(k); !taken {
					put(k, m.Value)
				}
			}
		}
	}
	for _, key := range s.ReservedMetadataKeys {
		for _, m := range src.Members {
			if m.Key == key {
				k := strings.ReplaceAll(m.Key, ".", "_")
				if _, taken := dst.Get(k); !taken {
					put(k, m.Value)
				}
			}
		}
	}
	if um != nil {
		dst.Set("user_metadata", um)
	}
}

// Interface guards.
var _ plugins.SampleHandler = (*Engine)(nil)
