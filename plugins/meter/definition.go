package meter

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pyre"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Sample attributes, in Ceilometer's SAMPLE_ATTRIBUTES order (the order they
// are evaluated in).
const (
	attrName = iota
	attrType
	attrVolume
	attrUnit
	attrTimestamp
	attrUserID
	attrProjectID
	attrResourceID
	numAttrs
)

var attrNames = [numAttrs]string{"name", "type", "volume", "unit", "timestamp", "user_id", "project_id", "resource_id"}

// requiredFields are MeterDefinition.REQUIRED_FIELDS: each must be present
// and truthy.
var requiredFields = []string{"name", "type", "event_type", "unit", "volume", "resource_id"}

// definition is one compiled meter definition (Ceilometer's MeterDefinition).
type definition struct {
	pos      conf.Position
	name     string // the name as written, for messages
	patterns []*pyre.Pattern
	// cfg holds the literal name, type and unit: the values of a sample
	// whose expression finds nothing.
	cfgName, cfgType, cfgUnit pyjson.Value
	attrs                     [numAttrs]*field
	metadata                  []metaField
	userMeta                  *field
	// lookup is nil without lookup; inLookup flags the attributes it names
	// (plus "message"/"metadata" at numAttrs and numAttrs+1).
	lookup   []string
	inLookup [numAttrs + 2]bool
}

type metaField struct {
	name string
	f    *field
}

// matches is MeterDefinition.match_type.
func (d *definition) matches(eventType string) bool {
	for _, p := range d.patterns {
		if p.MatchString(eventType) {
			return true
		}
	}
	return false
}

// defError is a problem with one definition: it is skipped.
type defError struct {
	pos conf.Position
	msg string
}

// compileDefinition builds the definition at node (a mapping) the way
// MeterDefinition.__init__ does, refusing what Ceilometer refuses. Where
// Ceilometer 19 raises something other than a DefinitionException (and so
// disables every meter definition), the definition alone is refused.
func compileDefinition(pos conf.Position, node *yaml.Node) (*definition, *defError) {
	pairs, _, err := conf.YAMLMapping(node)
	if err != nil {
		return nil, &defError{pos, "a meter definition must be a mapping: " + err.Error()}
	}
	cfg := make(map[string]conf.YAMLPair, len(pairs))
	for _, p := range pairs {
		if p.Key.Kind == yaml.ScalarNode && conf.PyYAMLTag(p.Key) == "!!str" {
			cfg[p.Key.Value] = p
		}
	}
	val := func(key string) (pyjson.Value, conf.Position, *defError) {
		p, ok := cfg[key]
		if !ok {
			return nil, pos, nil
		}
		kp := pos.Key(p.Value, key)
		v, err := pyval.FromYAML(p.Value, pyval.KeyJSON)
		if err != nil {
			return nil, kp, &defError{kp, err.Error()}
		}
		return v, kp, nil
	}
	d := &definition{pos: pos}
	var missing []string
	values := map[string]pyjson.Value{}
	for _, k := range requiredFields {
		v, _, e := val(k)
		if e != nil {
			return nil, e
		}
		values[k] = v
		if !pyval.Truth(v) {
			missing = append(missing, "'"+k+"'")
		}
	}
	if n, ok := values["name"].(string); ok {
		d.name = n
	} else {
		d.name = pyjson.Str(values["name"])
	}
	if len(missing) > 0 {
		return nil, &defError{pos, fmt.Sprintf("required fields [%s] not specified", strings.Join(missing, ", "))}
	}

	// event_type: a string or a list of Python regular expressions.
	etPos := pos.Key(cfg["event_type"].Value, "event_type")
	var ets []string
	switch et := values["event_type"].(type) {
	case string:
		ets = []string{et}
	case []pyjson.Value:
		for i, e := range et {
			s, ok := e.(string)
			if !ok {
				return nil, &defError{etPos.Index(nil, i), fmt.Sprintf("event_type must be a string, not %s", pyval.TypeName(e))}
			}
			ets = append(ets, s)
		}
	case *pyjson.Object:
		for _, m := range et.Members {
			ets = append(ets, m.Key)
		}
	default:
		return nil, &defError{etPos, fmt.Sprintf("event_type must be a string or a list, not %s", pyval.TypeName(et))}
	}
	for _, s := range ets {
		p, err := pyre.CompileMatch(s)
		if err != nil {
			return nil, &defError{etPos, fmt.Sprintf("event_type %q: %v", s, err)}
		}
		d.patterns = append(d.patterns, p)
	}

	// lookup: a string (one name) or a list.
	lv, lpos, e := val("lookup")
	if e != nil {
		return nil, e
	}
	_, hasLookup := cfg["lookup"]
	typeLooked := false
	switch l := lv.(type) {
	case nil:
		if hasLookup {
			return nil, &defError{lpos, "lookup must be a string or a list, not null"}
		}
	case string:
		typeLooked = strings.Contains(l, "type") // Python: 'type' in 'a string'
		if l != "" {
			d.lookup = []string{l}
		}
	case []pyjson.Value:
		for _, x := range l {
			if s, ok := x.(string); ok {
				d.lookup = append(d.lookup, s)
			}
		}
		typeLooked = slices.Contains(d.lookup, "type")
		if len(l) == 0 {
			d.lookup = nil
		} else if d.lookup == nil {
			d.lookup = []string{} // non-string entries only: still lookup mode
		}
	default:
		return nil, &defError{lpos, fmt.Sprintf("lookup must be a string or a list, not %s", pyval.TypeName(l))}
	}
	for i, n := range attrNames {
		d.inLookup[i] = slices.Contains(d.lookup, n)
	}
	d.inLookup[numAttrs] = slices.Contains(d.lookup, "message")
	d.inLookup[numAttrs+1] = slices.Contains(d.lookup, "metadata")

	typ := values["type"]
	if !typeLooked {
		s, _ := typ.(string)
		if s != pipeline.TypeGauge && s != pipeline.TypeDelta && s != pipeline.TypeCumulative {
			tp := pos.Key(cfg["type"].Value, "type")
			return nil, &defError{tp, fmt.Sprintf("invalid type %s specified", pyjson.Str(typ))}
		}
	}
	d.cfgName, d.cfgType, d.cfgUnit = values["name"], typ, values["unit"]

	for i, n := range attrNames {
		v, vpos, e := val(n)
		if e != nil {
			return nil, e
		}
		if !pyval.Truth(v) {
			continue
		}
		f, err := newField(v)
		if err != nil {
			return nil, &defError{vpos, fmt.Sprintf("%s: %v", n, err)}
		}
		d.attrs[i] = f
	}

	if p, ok := cfg["metadata"]; ok {
		mpos := pos.Key(p.Value, "metadata")
		mpairs, _, err := conf.YAMLMapping(p.Value)
		if err != nil {
			return nil, &defError{mpos, "metadata must be a mapping"}
		}
		seen := map[string]int{}
		for _, mp := range mpairs {
			k, err := pyval.FromYAML(mp.Key, pyval.KeyJSON)
			if err != nil {
				return nil, &defError{mpos, err.Error()}
			}
			name := pyval.KeyText(k, pyval.KeyJSON)
			epos := mpos.Key(mp.Value, name)
			v, err := pyval.FromYAML(mp.Value, pyval.KeyJSON)
			if err != nil {
				return nil, &defError{epos, err.Error()}
			}
			f, err := newField(v)
			if err != nil {
				return nil, &defError{epos, fmt.Sprintf("%s: %v", name, err)}
			}
			if i, dup := seen[name]; dup {
				d.metadata[i].f = f
				continue
			}
			seen[name] = len(d.metadata)
			d.metadata = append(d.metadata, metaField{name: name, f: f})
		}
	}

	uv, upos, e := val("user_metadata")
	if e != nil {
		return nil, e
	}
	if pyval.Truth(uv) {
		f, err := newField(uv)
		if err != nil {
			return nil, &defError{upos, fmt.Sprintf("user_metadata: %v", err)}
		}
		d.userMeta = f
	}
	return d, nil
}

// nameKey identifies a definition's name as a Python dict key would:
// 1, 1.0 and true are the same key. ok is false for unhashable names.
func nameKey(v pyjson.Value) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "none", true
	case string:
		return "s:" + v, true
	case pyval.Timestamp:
		return "d:" + string(v), true
	case []pyjson.Value, *pyjson.Object:
		return "", false
	}
	if r, ok := pyval.Rat(v); ok {
		return "n:" + r.RatString(), true
	}
	return "f:" + pyjson.Repr(v), true // nan, inf
}

var errUnhashable = errors.New("a meter name must be a string (Ceilometer cannot use a list or a mapping as a name)")
