package event

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

// yamlTimestamp is a plain scalar PyYAML reads as a date or datetime
// (2001-12-14). Ceilometer would hold a datetime object; this package keeps
// its text: it equals no JSON value and is no valid JSONPath.
type yamlTimestamp string

// maxValueDepth bounds the nesting pyValue follows (aliases may build cycles).
const maxValueDepth = 64

// pyValue converts n to the value PyYAML's safe_load builds, as a
// pyjson.Value (plus yamlTimestamp): YAML 1.1 typing of plain scalars,
// merge keys expanded, a later duplicate key winning.
func pyValue(n *yaml.Node, depth int) (pyjson.Value, error) {
	n = conf.ResolveYAML(n)
	if n == nil {
		return nil, fmt.Errorf("alias chain does not end")
	}
	if depth > maxValueDepth {
		return nil, fmt.Errorf("value nests too deeply")
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]pyjson.Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := pyValue(c, depth+1)
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
		obj := &pyjson.Object{Members: make([]pyjson.Member, 0, len(pairs))}
		for _, p := range pairs {
			k, err := pyValue(p.Key, depth+1)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				// Python dicts take any hashable key; the values this
				// package reads (plugin parameters, flags) only use text.
				ks = pyStr(k)
			}
			v, err := pyValue(p.Value, depth+1)
			if err != nil {
				return nil, err
			}
			obj.Set(ks, v)
		}
		return obj, nil
	case yaml.ScalarNode:
		return pyScalar(n)
	}
	return nil, fmt.Errorf("unexpected YAML node")
}

// pyScalar types a scalar as PyYAML's SafeLoader does.
func pyScalar(n *yaml.Node) (pyjson.Value, error) {
	tag := conf.PyYAMLTag(n)
	v := n.Value
	switch tag {
	case "!!str":
		return v, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(v) {
		case "yes", "true", "on":
			return true, nil
		}
		return false, nil
	case "!!int":
		return pyYAMLInt(v)
	case "!!float":
		return pyYAMLFloat(v)
	case "!!timestamp":
		return yamlTimestamp(v), nil
	case "!!binary", "!!merge", "!!value":
		return v, nil
	}
	return nil, fmt.Errorf("could not determine a constructor for the tag '%s'", n.Tag)
}

// pyYAMLInt is PyYAML's construct_yaml_int: underscores dropped, a sign,
// 0b binary, 0x hex, a leading 0 octal, base-60 with ':'.
func pyYAMLInt(s string) (pyjson.Value, error) {
	s = strings.ReplaceAll(s, "_", "")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	b := new(big.Int)
	var ok bool
	switch {
	case s == "0":
		ok = true
	case strings.HasPrefix(s, "0b"):
		_, ok = b.SetString(s[2:], 2)
	case strings.HasPrefix(s, "0x"):
		_, ok = b.SetString(s[2:], 16)
	case strings.HasPrefix(s, "0"):
		_, ok = b.SetString(s[1:], 8)
	case strings.Contains(s, ":"):
		ok = true
		base := big.NewInt(1)
		parts := strings.Split(s, ":")
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := strconv.ParseInt(parts[i], 10, 64)
			if err != nil {
				ok = false
				break
			}
			b.Add(b, new(big.Int).Mul(big.NewInt(d), base))
			base.Mul(base, big.NewInt(60))
		}
	default:
		_, ok = b.SetString(s, 10)
	}
	if !ok {
		return nil, fmt.Errorf("invalid integer %q", s)
	}
	if neg {
		b.Neg(b)
	}
	return bigToValue(b), nil
}

// pyYAMLFloat is PyYAML's construct_yaml_float.
func pyYAMLFloat(s string) (pyjson.Value, error) {
	s = strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	switch {
	case s == ".inf":
		return math.Inf(int(sign)), nil
	case s == ".nan":
		return math.NaN(), nil
	case strings.Contains(s, ":"):
		parts := strings.Split(s, ":")
		f, base := 0.0, 1.0
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := strconv.ParseFloat(parts[i], 64)
			if err != nil {
				return nil, fmt.Errorf("invalid float %q", s)
			}
			f += d * base
			base *= 60
		}
		return sign * f, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if !asNumErrRange(err, &ne) {
			return nil, fmt.Errorf("invalid float %q", s)
		}
	}
	return sign * f, nil
}

func asNumErrRange(err error, ne **strconv.NumError) bool {
	e, ok := err.(*strconv.NumError)
	if !ok || e.Err != strconv.ErrRange {
		return false
	}
	*ne = e
	return true
}

// isPyInt reports whether v is a Python int (bool included, as isinstance
// does).
func isPyInt(v pyjson.Value) bool {
	switch v.(type) {
	case bool, int64, pyjson.BigInt, *big.Int:
		return true
	}
	return false
}

// toBig returns an int-like value as a big.Int.
func toBig(v pyjson.Value) (*big.Int, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewInt(1), true
		}
		return big.NewInt(0), true
	case int64:
		return big.NewInt(x), true
	case pyjson.BigInt:
		return new(big.Int).SetString(string(x), 10)
	case *big.Int:
		return x, true
	}
	return nil, false
}

// numeric returns v as an exact rational when it is a Python number
// (bool, int, finite float).
func numeric(v pyjson.Value) (*big.Rat, bool) {
	if b, ok := toBig(v); ok {
		return new(big.Rat).SetInt(b), true
	}
	if f, ok := v.(float64); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return new(big.Rat).SetFloat64(f), true
	}
	return nil, false
}

// pyEqual is Python's a == b for decoded JSON and YAML values.
func pyEqual(a, b pyjson.Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case yamlTimestamp:
		y, ok := b.(yamlTimestamp)
		return ok && x == y
	case []pyjson.Value:
		y, ok := b.([]pyjson.Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *pyjson.Object:
		y, ok := b.(*pyjson.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, m := range x.Members {
			w, ok := y.Get(m.Key)
			if !ok || !pyEqual(m.Value, w) {
				return false
			}
		}
		return true
	}
	// Numbers.
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok {
			return fa == fb
		}
		if math.IsInf(fa, 0) || math.IsNaN(fa) {
			return false
		}
	}
	if fb, ok := b.(float64); ok && (math.IsInf(fb, 0) || math.IsNaN(fb)) {
		return false
	}
	ra, ok1 := numeric(a)
	rb, ok2 := numeric(b)
	return ok1 && ok2 && ra.Cmp(rb) == 0
}
