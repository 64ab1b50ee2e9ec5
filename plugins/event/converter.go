package event

import (
	"fmt"
	"strings"
	"sync"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
	"github.com/openstack-go/agent-notification/plugins/jsonpath"
)

// Converter turns notifications into events: Ceilometer's
// NotificationEventsConverter. It is immutable after Load and safe for
// concurrent use.
type Converter struct {
	// defs in matching order: the last definition of the file first (the
	// last matching definition wins), the implicit catch-all at the end.
	defs []*definition
	// exact maps an event type to the indexes (ascending) of the definitions
	// that include it literally; patterned lists the definitions with at
	// least one wildcard include. A notification is checked against the
	// merge of both lists only.
	exact     map[string][]int
	patterned []int
	rawInfo   bool
	rawError  bool
}

// definition is one compiled EventDefinition.
type definition struct {
	pos      conf.Position
	index    int // in the file; -1 for the implicit catch-all
	include  []glob
	exclude  []glob
	catchAll bool
	traits   []*trait
}

// trait is one compiled TraitDefinition.
type trait struct {
	name     string
	typ      int // pipeline.TraitText …; TraitNone converts as text
	path     *jsonpath.Path
	constant pyjson.Value // an integer constant instead of a path
	isConst  bool
	plugin   TraitPlugin
}

func newConverter(defs []*definition, defaults []*trait, s Settings) *Converter {
	c := &Converter{exact: map[string][]int{}}
	for i := len(defs) - 1; i >= 0; i-- {
		c.defs = append(c.defs, defs[i])
	}
	if !s.DropUnmatched && !anyCatchAll(c.defs) {
		c.defs = append(c.defs, &definition{
			index: -1, include: []glob{compileGlob("*")}, catchAll: true, traits: defaults,
		})
	}
	for i, d := range c.defs {
		wild := false
		for _, g := range d.include {
			if g.kind == globLiteral {
				if l := c.exact[g.literal]; len(l) == 0 || l[len(l)-1] != i {
					c.exact[g.literal] = append(l, i)
				}
			} else {
				wild = true
			}
		}
		if wild {
			c.patterned = append(c.patterned, i)
		}
	}
	for _, p := range s.StoreRaw {
		switch strings.ToLower(p) {
		case "info":
			c.rawInfo = true
		case "error":
			c.rawError = true
		}
	}
	return c
}

func anyCatchAll(defs []*definition) bool {
	for _, d := range defs {
		if d.catchAll {
			return true
		}
	}
	return false
}

func (d *definition) matches(eventType string) bool {
	in := false
	for i := range d.include {
		if d.include[i].match(eventType) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for i := range d.exclude {
		if d.exclude[i].match(eventType) {
			return false
		}
	}
	return true
}

// match returns the definition Ceilometer would use for eventType, or nil.
func (c *Converter) match(eventType string) *definition {
	ex := c.exact[eventType]
	pt := c.patterned
	for len(ex) > 0 || len(pt) > 0 {
		var i int
		switch {
		case len(pt) == 0 || (len(ex) > 0 && ex[0] < pt[0]):
			i, ex = ex[0], ex[1:]
		case len(ex) == 0 || pt[0] < ex[0]:
			i, pt = pt[0], pt[1:]
		default: // the same definition in both lists
			i, ex, pt = ex[0], ex[1:], pt[1:]
		}
		if c.defs[i].matches(eventType) {
			return c.defs[i]
		}
	}
	return nil
}

// ConvertError reports a notification that Ceilometer 19 fails to convert
// (an exception in to_event): no event is published for it. The caller logs
// and counts it, and acks the notification unless [notification]
// ack_on_event_error is false (then Ceilometer requeues it).
type ConvertError struct {
	EventType string
	Trait     string // the trait whose value failed; empty for the notification itself
	Err       error
}

func (e *ConvertError) Error() string {
	if e.Trait == "" {
		return fmt.Sprintf("event: convert %q: %v", e.EventType, e.Err)
	}
	return fmt.Sprintf("event: convert %q: trait %q: %v", e.EventType, e.Trait, e.Err)
}

func (e *ConvertError) Unwrap() error { return e.Err }

// scratch is per-call working memory, pooled.
type scratch struct {
	vals []pyjson.Value
}

var scratchPool = sync.Pool{New: func() any { return &scratch{vals: make([]pyjson.Value, 0, 8)} }}

// Convert returns the event Ceilometer 19 publishes for n, or nil when it
// publishes none: a priority other than info and error, or no matching
// definition with drop_unmatched_notifications. It returns a *ConvertError
// where Ceilometer's conversion raises (a non-string event_type, an
// unparsable timestamp, a trait value its type cannot take, a JSONPath that
// raises): Ceilometer then publishes nothing for the notification.
//
// n is not modified; the event shares values with it (raw, trait values are
// immutable strings and numbers).
func (c *Converter) Convert(n *plugins.Notification) (*pipeline.Event, error) {
	priority := n.Priority
	if priority != "info" && priority != "error" {
		return nil, nil
	}
	body := n.Body
	et, _ := body.Get("event_type")
	if body == nil {
		et = n.EventType
	}
	eventType, ok := et.(string)
	if !ok {
		if len(c.defs) == 0 {
			return nil, nil
		}
		return nil, &ConvertError{Err: fmt.Errorf("event_type is %s, not a string", pyval.TypeName(et))}
	}
	d := c.match(eventType)
	if d == nil {
		return nil, nil
	}
	root := n.DispatchRoot()
	meta := root.Members[4].Value.(*pyjson.Object)
	ts, err := pytime.Parse(meta.Members[1].Value)
	if err != nil {
		return nil, &ConvertError{EventType: eventType, Err: fmt.Errorf("timestamp: %w", err)}
	}
	generated, err := ts.NaiveUTCISO()
	if err != nil {
		return nil, &ConvertError{EventType: eventType, Err: fmt.Errorf("timestamp: %w", err)}
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	traits := make([]pipeline.Trait, 0, len(d.traits))
	for _, t := range d.traits {
		tr, ok, err := t.convert(root, sc)
		if err != nil {
			return nil, &ConvertError{EventType: eventType, Trait: t.name, Err: err}
		}
		if ok {
			traits = append(traits, tr)
		}
	}
	ev := &pipeline.Event{
		EventType: eventType,
		Generated: generated,
		Traits:    traits,
	}
	if mid, ok := meta.Members[0].Value.(string); ok {
		ev.MessageID = mid
	} else if meta.Members[0].Value != nil {
		ev.MessageID = pyval.Str(meta.Members[0].Value)
	}
	if (priority == "info" && c.rawInfo) || (priority == "error" && c.rawError) {
		ev.Raw = root
	} else {
		ev.Raw = &pyjson.Object{}
	}
	return ev, nil
}

// convert is TraitDefinition.to_trait: ok is false when the trait is left
// out (no value, or an empty string for a non-text type).
func (t *trait) convert(root *pyjson.Object, sc *scratch) (pipeline.Trait, bool, error) {
	v, err := t.value(root, sc)
	if err != nil || v == nil {
		return pipeline.Trait{}, false, err
	}
	if s, ok := v.(string); ok && s == "" && t.typ != pipeline.TraitText {
		return pipeline.Trait{}, false, nil
	}
	tr := pipeline.Trait{Name: t.name, Type: t.typ}
	// Values already of the right type are reused as they are: re-boxing
	// them would allocate.
	switch t.typ {
	case pipeline.TraitInt:
		switch v.(type) {
		case int64, pyjson.BigInt:
			tr.Value = v
		default:
			tr.Value, err = pyval.Int(v)
		}
	case pipeline.TraitFloat:
		if _, ok := v.(float64); ok {
			tr.Value = v
		} else {
			tr.Value, err = pyval.Float(v)
		}
	case pipeline.TraitDatetime:
		tr.Value, err = pyDatetime(v)
	default:
		if s, ok := v.(string); ok && len(s) <= maxTextLen {
			tr.Value = v
		} else {
			tr.Value = pyText(v)
		}
	}
	if err != nil {
		return pipeline.Trait{}, false, err
	}
	return tr, true, nil
}

// value is declarative.Definition.parse: the constant, or the first value
// (null values skipped) of the path's matches, through the plugin if any.
func (t *trait) value(root *pyjson.Object, sc *scratch) (pyjson.Value, error) {
	if t.isConst {
		return t.constant, nil
	}
	if t.plugin == nil {
		vals, err := t.path.AppendEval(sc.vals[:0], root)
		sc.vals = vals[:0]
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			if v != nil {
				clear(vals)
				return v, nil
			}
		}
		clear(vals)
		return nil, nil
	}
	ms, err := t.path.Matches(root)
	if err != nil {
		return nil, err
	}
	kept := ms[:0]
	for _, m := range ms {
		if m.Value != nil {
			kept = append(kept, m)
		}
	}
	vals, err := t.plugin.Values(kept)
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		if v != nil {
			return v, nil
		}
	}
	return nil, nil
}
