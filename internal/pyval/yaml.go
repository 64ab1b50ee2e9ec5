package pyval

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// KeyStyle says how FromYAML turns a mapping key that is not a string into
// the text key of a pyjson.Object (Python dicts take any hashable key).
type KeyStyle uint8

const (
	// KeyJSON writes the key as json.dumps writes a dict key: null, true,
	// 1.5 — for values that are published as JSON.
	KeyJSON KeyStyle = iota
	// KeyStr writes str(key): None, True, 1.5 — for values Python code
	// reads back.
	KeyStr
)

// maxDepth and maxNodes bound the conversion of one YAML value (aliases can
// make a small document describe a huge or cyclic value).
const (
	maxDepth = 64
	maxNodes = 100000
)

// FromYAML converts n to the value PyYAML's SafeLoader builds: alias
// resolved, merge keys expanded, a later duplicate key winning, scalars typed
// as YAML 1.1 plain scalars (Scalar). A nil node is None.
func FromYAML(n *yaml.Node, keys KeyStyle) (pyjson.Value, error) {
	budget := maxNodes
	return fromYAML(n, keys, 0, &budget)
}

func fromYAML(n *yaml.Node, keys KeyStyle, depth int, budget *int) (pyjson.Value, error) {
	if depth > maxDepth {
		return nil, errors.New("value nests too deeply")
	}
	if *budget--; *budget < 0 {
		return nil, errors.New("value contains excessive aliasing")
	}
	n = conf.ResolveYAML(n)
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]pyjson.Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromYAML(c, keys, depth+1, budget)
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
			k, err := fromYAML(p.Key, keys, depth+1, budget)
			if err != nil {
				return nil, err
			}
			v, err := fromYAML(p.Value, keys, depth+1, budget)
			if err != nil {
				return nil, err
			}
			obj.Set(KeyText(k, keys), v)
		}
		return obj, nil
	case yaml.ScalarNode:
		return Scalar(n)
	case yaml.AliasNode:
		return nil, errors.New("alias chain does not end")
	}
	return nil, fmt.Errorf("unsupported YAML node")
}

// KeyText is the text of dict key k in the given style.
func KeyText(k pyjson.Value, style KeyStyle) string {
	switch k := k.(type) {
	case string:
		return k
	case Timestamp:
		return string(k)
	case nil:
		if style == KeyJSON {
			return "null"
		}
	case bool:
		if style == KeyJSON {
			return strconv.FormatBool(k)
		}
	}
	return Str(k)
}

// Scalar types a scalar node as PyYAML's SafeLoader does: null, bool, int
// (int64 or pyjson.BigInt), float, Timestamp, or the text (str, and the
// !!binary, !!merge and !!value tags). Other explicit tags are an error, as
// the SafeLoader has no constructor for them.
func Scalar(n *yaml.Node) (pyjson.Value, error) {
	v := n.Value
	switch conf.PyYAMLTag(n) {
	case "!!str", "!!binary", "!!merge", "!!value":
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
		return YAMLInt(v)
	case "!!float":
		return YAMLFloat(v)
	case "!!timestamp":
		return Timestamp(v), nil
	}
	return nil, fmt.Errorf("could not determine a constructor for the tag '%s'", n.Tag)
}

// YAMLInt is PyYAML's construct_yaml_int: underscores dropped, a sign, 0b
// binary, 0x hex, a leading 0 octal, base 60 with ':'.
func YAMLInt(text string) (pyjson.Value, error) {
	s := strings.ReplaceAll(text, "_", "")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	z := new(big.Int)
	ok := true
	switch {
	case s == "0":
	case strings.HasPrefix(s, "0b"):
		_, ok = z.SetString(s[2:], 2)
	case strings.HasPrefix(s, "0x"):
		_, ok = z.SetString(s[2:], 16)
	case strings.HasPrefix(s, "0"):
		_, ok = z.SetString(s[1:], 8)
	case strings.Contains(s, ":"):
		for _, d := range strings.Split(s, ":") {
			x, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				ok = false
				break
			}
			z.Mul(z, big.NewInt(60)).Add(z, big.NewInt(x))
		}
	default:
		_, ok = z.SetString(s, 10)
	}
	if !ok {
		return nil, fmt.Errorf("invalid integer %q", text)
	}
	if neg {
		z.Neg(z)
	}
	return FromBig(z), nil
}

// YAMLFloat is PyYAML's construct_yaml_float: underscores dropped, .inf,
// .nan, base 60 with ':'; a magnitude beyond float64 is ±inf, as Python's
// float() gives.
func YAMLFloat(text string) (pyjson.Value, error) {
	s := strings.ToLower(strings.ReplaceAll(text, "_", ""))
	sign := 1.0
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	switch {
	case s == ".inf":
		return sign * math.Inf(1), nil
	case s == ".nan":
		return math.NaN(), nil
	case strings.Contains(s, ":"):
		f := 0.0
		for _, d := range strings.Split(s, ":") {
			x, err := strconv.ParseFloat(d, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid float %q", text)
			}
			f = f*60 + x
		}
		return sign * f, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, fmt.Errorf("invalid float %q", text)
	}
	return sign * f, nil
}

// TimestampsAsText replaces every Timestamp in v (a value FromYAML built,
// which it modifies in place) by its text, for callers that carry timestamps
// as plain strings.
func TimestampsAsText(v pyjson.Value) pyjson.Value {
	switch x := v.(type) {
	case Timestamp:
		return string(x)
	case []pyjson.Value:
		for i := range x {
			x[i] = TimestampsAsText(x[i])
		}
	case *pyjson.Object:
		for i := range x.Members {
			x.Members[i].Value = TimestampsAsText(x.Members[i].Value)
		}
	}
	return v
}
