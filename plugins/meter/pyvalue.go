package meter

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

// This file gives definition files the Python values PyYAML's safe_load
// builds (Ceilometer judges a definition by them: "volume: 1" is the integer
// constant 1, "volume: 1.5" a float that is no JSONPath, "unit: yes" a
// boolean), and the few Python operations on values the engine needs
// (truthiness, ==).

// pyDatetime is a YAML 1.1 timestamp scalar (PyYAML builds a datetime): never
// a valid JSONPath, only carried to report it.
type pyDatetime string

// maxValueDepth and maxValueNodes bound the conversion of one YAML value
// (aliases can make a small document describe a huge or cyclic value).
const (
	maxValueDepth = 64
	maxValueNodes = 100000
)

// yamlValue converts n (alias-resolved, merge keys expanded) to the value
// PyYAML's SafeLoader builds. Mapping keys become strings (as json.dumps would
// print them); timestamps become pyDatetime.
func yamlValue(n *yaml.Node) (pyjson.Value, error) {
	budget := maxValueNodes
	return yamlValueDepth(n, 0, &budget)
}

func yamlValueDepth(n *yaml.Node, depth int, budget *int) (pyjson.Value, error) {
	if depth > maxValueDepth {
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
			v, err := yamlValueDepth(c, depth+1, budget)
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
			k, err := yamlValueDepth(p.Key, depth+1, budget)
			if err != nil {
				return nil, err
			}
			v, err := yamlValueDepth(p.Value, depth+1, budget)
			if err != nil {
				return nil, err
			}
			obj.Set(keyString(k), v)
		}
		return obj, nil
	case yaml.ScalarNode:
		return yamlScalar(n)
	}
	return nil, fmt.Errorf("unsupported YAML node")
}

// keyString is the JSON key json.dumps writes for a dict key.
func keyString(k pyjson.Value) string {
	switch k := k.(type) {
	case string:
		return k
	case nil:
		return "null"
	case bool:
		if k {
			return "true"
		}
		return "false"
	case pyDatetime:
		return string(k)
	}
	return pyjson.Str(k)
}

// yamlScalar types a scalar as PyYAML does.
func yamlScalar(n *yaml.Node) (pyjson.Value, error) {
	v := n.Value
	switch conf.PyYAMLTag(n) {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(v) {
		case "yes", "true", "on":
			return true, nil
		}
		return false, nil
	case "!!int":
		return yamlInt(v)
	case "!!float":
		return yamlFloat(v)
	case "!!timestamp":
		return pyDatetime(v), nil
	case "!!str", "!!merge", "!!value":
		return v, nil
	case "!!binary":
		return nil, errors.New("binary values are not supported")
	}
	// PyYAML's SafeLoader has no constructor for other tags: the file does
	// not load in Ceilometer.
	return nil, fmt.Errorf("could not determine a constructor for %s", conf.YAMLKind(n))
}

// yamlInt is PyYAML's construct_yaml_int (YAML 1.1: 0b, 0x, leading-0 octal,
// base 60, underscores).
func yamlInt(text string) (pyjson.Value, error) {
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
			x, err := strconv.Atoi(d)
			if err != nil {
				ok = false
				break
			}
			z.Mul(z, big.NewInt(60))
			z.Add(z, big.NewInt(int64(x)))
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
	if z.IsInt64() {
		return z.Int64(), nil
	}
	return pyjson.BigInt(z.String()), nil
}

// yamlFloat is PyYAML's construct_yaml_float.
func yamlFloat(text string) (pyjson.Value, error) {
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
				return nil, fmt.Errorf("invalid number %q", text)
			}
			f = f*60 + x
		}
		return sign * f, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid number %q", text)
	}
	return sign * f, nil
}

// truthy is Python's bool(v).
func truthy(v pyjson.Value) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case float64:
		return v != 0
	case pyjson.BigInt:
		return true // never zero: zero fits in int64
	case string:
		return v != ""
	case pyDatetime:
		return true
	case []pyjson.Value:
		return len(v) > 0
	case *pyjson.Object:
		return v.Len() > 0
	}
	return true
}

// pyNumber returns v as an exact rational when it is a Python number (bools
// included).
func pyNumber(v pyjson.Value) (*big.Rat, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return big.NewRat(1, 1), true
		}
		return new(big.Rat), true
	case int64:
		return new(big.Rat).SetInt64(v), true
	case pyjson.BigInt:
		r, ok := new(big.Rat).SetString(string(v))
		return r, ok
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(v), true
	}
	return nil, false
}

// pyEqual is Python's a == b for JSON values: numbers compare by value
// across int, float and bool; containers element-wise.
func pyEqual(a, b pyjson.Value) bool {
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok {
			return fa == fb
		}
	}
	if ra, ok := pyNumber(a); ok {
		rb, ok := pyNumber(b)
		return ok && ra.Cmp(rb) == 0
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		s, ok := b.(string)
		return ok && s == a
	case pyDatetime:
		s, ok := b.(pyDatetime)
		return ok && s == a
	case []pyjson.Value:
		l, ok := b.([]pyjson.Value)
		if !ok || len(l) != len(a) {
			return false
		}
		for i := range a {
			if !pyEqual(a[i], l[i]) {
				return false
			}
		}
		return true
	case *pyjson.Object:
		o, ok := b.(*pyjson.Object)
		if !ok || o.Len() != a.Len() {
			return false
		}
		for _, m := range a.Members {
			v, found := o.Get(m.Key)
			if !found || !pyEqual(m.Value, v) {
				return false
			}
		}
		return true
	}
	return false
}

// pyTypeName names v's Python type for messages.
func pyTypeName(v pyjson.Value) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, pyjson.BigInt:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyDatetime:
		return "datetime"
	case []pyjson.Value:
		return "list"
	case *pyjson.Object:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}
