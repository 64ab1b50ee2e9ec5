package transformer

// Decoding of a transformer's `parameters` mapping. Mitaka passes the
// mapping as keyword arguments and reads the nested `source`/`target`
// dicts with dict.get, so values keep the types PyYAML gave them; params
// keeps that view (conf.PyYAMLTag) and remembers which keys were read, so
// that the keys no transformer reads can be reported.

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// params is one mapping of a transformer's parameters.
type params struct {
	pos   conf.Position
	pairs []conf.YAMLPair
	used  map[string]bool
	subs  []*params
}

// newParams reads the mapping n (nil: no parameters) at pos.
func newParams(n *yaml.Node, pos conf.Position) (*params, error) {
	p := &params{pos: pos, used: map[string]bool{}}
	n = conf.ResolveYAML(n)
	if n == nil || isFalsyNode(n) {
		return p, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, pos.Errorf("must be a mapping, not %s", conf.YAMLKind(n))
	}
	pairs, _, err := conf.YAMLMapping(n)
	if err != nil {
		return nil, pos.Errorf("%v", err)
	}
	p.pairs = pairs
	return p, nil
}

func pairKey(k *yaml.Node) string {
	if k.Kind == yaml.ScalarNode {
		return k.Value
	}
	return fmt.Sprintf("<%s>", conf.YAMLKind(k))
}

// get returns the value node of key and its position.
func (p *params) get(key string) (*yaml.Node, conf.Position, bool) {
	p.used[key] = true
	for _, kv := range p.pairs {
		if kv.Key.Kind == yaml.ScalarNode && kv.Key.Value == key {
			return kv.Value, p.pos.Key(kv.Value, key), true
		}
	}
	return nil, p.pos.Key(nil, key), false
}

// sub returns the nested mapping key; an absent or falsy value (mitaka's
// `source or {}`) is an empty mapping.
func (p *params) sub(key string) (*params, error) {
	n, pos, ok := p.get(key)
	if !ok {
		s := &params{pos: pos, used: map[string]bool{}}
		p.subs = append(p.subs, s)
		return s, nil
	}
	s, err := newParams(n, pos)
	if err != nil {
		return nil, err
	}
	p.subs = append(p.subs, s)
	return s, nil
}

// value returns key's value as a Python value (nil when absent).
func (p *params) value(key string) (pyjson.Value, conf.Position, bool, error) {
	n, pos, ok := p.get(key)
	if !ok {
		return nil, pos, false, nil
	}
	v, err := nodeValue(n)
	if err != nil {
		return nil, pos, true, pos.Errorf("%v", err)
	}
	return v, pos, true, nil
}

// unknown returns a warning for every key nothing read, here and in the
// nested mappings.
func (p *params) unknown(what string) []conf.Warning {
	var ws []conf.Warning
	for _, kv := range p.pairs {
		if k := pairKey(kv.Key); !p.used[k] {
			ws = append(ws, p.pos.Key(kv.Key, k).Warnf("%s ignores the parameter %q", what, k))
		}
	}
	for _, s := range p.subs {
		ws = append(ws, s.unknown(what)...)
	}
	return ws
}

// isFalsyNode reports whether n is a value Python treats as false: null,
// false, 0, 0.0, "", [] or {}.
func isFalsyNode(n *yaml.Node) bool {
	v, err := nodeValue(n)
	if err != nil {
		return false
	}
	return !fromJSON(v).truth()
}

// nodeValue converts a YAML node to the Python value PyYAML's safe_load
// makes of it (timestamps stay strings).
func nodeValue(n *yaml.Node) (pyjson.Value, error) {
	v, err := pyval.FromYAML(n, pyval.KeyJSON)
	if err != nil {
		return nil, err
	}
	return pyval.TimestampsAsText(v), nil
}
