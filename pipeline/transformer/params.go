package transformer

// Decoding of a transformer's `parameters` mapping. Mitaka passes the
// mapping as keyword arguments and reads the nested `source`/`target`
// dicts with dict.get, so values keep the types PyYAML gave them; params
// keeps that view (conf.PyYAMLTag) and remembers which keys were read, so
// that the keys no transformer reads can be reported.

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/conf"
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
	return nodeValueDepth(n, 0)
}

func nodeValueDepth(n *yaml.Node, depth int) (pyjson.Value, error) {
	n = conf.ResolveYAML(n)
	if n == nil {
		return nil, nil
	}
	if depth > 32 {
		return nil, fmt.Errorf("value nested too deeply")
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]pyjson.Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValueDepth(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		pairs, _, err := conf.YAMLMapping(n)
		if err != nil {
			return nil, err
		}
		o := &pyjson.Object{}
		for _, kv := range pairs {
			v, err := nodeValueDepth(kv.Value, depth+1)
			if err != nil {
				return nil, err
			}
			o.Set(pairKey(kv.Key), v)
		}
		return o, nil
	}
	return scalarValue(n)
}

func scalarValue(n *yaml.Node) (pyjson.Value, error) {
	s := n.Value
	switch conf.PyYAMLTag(n) {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			return true, nil
		}
		return false, nil
	case "!!int":
		return yamlInt(s)
	case "!!float":
		return yamlFloat(s)
	}
	return s, nil
}

// yamlInt parses a YAML 1.1 integer as PyYAML's construct_yaml_int.
func yamlInt(s string) (pyjson.Value, error) {
	t := strings.ReplaceAll(s, "_", "")
	sign := ""
	if t != "" && (t[0] == '-' || t[0] == '+') {
		if t[0] == '-' {
			sign = "-"
		}
		t = t[1:]
	}
	b := new(big.Int)
	ok := false
	switch {
	case t == "0":
		ok = true
	case strings.HasPrefix(t, "0b"):
		_, ok = b.SetString(t[2:], 2)
	case strings.HasPrefix(t, "0x"):
		_, ok = b.SetString(t[2:], 16)
	case strings.HasPrefix(t, "0"):
		_, ok = b.SetString(t[1:], 8)
	case strings.Contains(t, ":"):
		ok = true
		for _, d := range strings.Split(t, ":") {
			x, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				ok = false
				break
			}
			b.Mul(b, big.NewInt(60)).Add(b, big.NewInt(x))
		}
	default:
		_, ok = b.SetString(t, 10)
	}
	if !ok {
		return nil, fmt.Errorf("invalid integer %q", s)
	}
	if sign == "-" {
		b.Neg(b)
	}
	if b.IsInt64() {
		return b.Int64(), nil
	}
	return pyjson.BigInt(b.String()), nil
}

// yamlFloat parses a YAML 1.1 float as PyYAML's construct_yaml_float.
func yamlFloat(s string) (pyjson.Value, error) {
	t := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if t != "" && (t[0] == '-' || t[0] == '+') {
		if t[0] == '-' {
			sign = -1
		}
		t = t[1:]
	}
	switch {
	case t == ".inf":
		return sign * math.Inf(1), nil
	case t == ".nan":
		return math.NaN(), nil
	case strings.Contains(t, ":"):
		var f float64
		for _, d := range strings.Split(t, ":") {
			x, err := strconv.ParseFloat(d, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid number %q", s)
			}
			f = f*60 + x
		}
		return sign * f, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, fmt.Errorf("invalid number %q", s)
	}
	return sign * f, nil
}
