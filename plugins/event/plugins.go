package event

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/jsonpath"
)

// TraitPlugin turns the matches of a trait's fields into trait values, as
// Ceilometer's ceilometer.event.trait_plugins classes do.
//
// Values is called once per notification for the trait, concurrently from
// several goroutines, even when nothing matched (matches empty; null values
// are already left out). It returns the candidate values in order — the
// trait takes the first one that is not nil — or an error where the Python
// plugin raises, which loses the event as in Ceilometer.
type TraitPlugin interface {
	Values(matches []jsonpath.Match) ([]pyjson.Value, error)
}

// pluginFactory builds a plugin from its parameters (a YAML mapping decoded
// with PyYAML's typing). Unknown parameters are reported by the caller.
type pluginFactory struct {
	// params are the parameters the plugin reads; others are ignored, as the
	// Python classes swallow **kw.
	params []string
	create func(params *pyjson.Object) (TraitPlugin, []string, error)
}

// traitPlugins returns the plugins of Ceilometer 19's
// ceilometer.event.trait_plugin entry points, by the name definitions use.
func traitPlugins() map[string]pluginFactory {
	return map[string]pluginFactory{
		"bitfield":  {params: []string{"initial_bitfield", "flags"}, create: newBitfieldPlugin},
		"split":     {params: []string{"separator", "segment", "max_split"}, create: newSplitPlugin},
		"timedelta": {create: func(*pyjson.Object) (TraitPlugin, []string, error) { return timedeltaPlugin{}, nil, nil }},
	}
}

// splitPlugin is SplitterTraitPlugin: str(value).split(separator,
// max_split)[segment], or no value when the segment does not exist.
type splitPlugin struct {
	sep      pyjson.Value // a string, or nil for whitespace
	segment  pyjson.Value
	maxSplit pyjson.Value // nil: no limit
}

func newSplitPlugin(params *pyjson.Object) (TraitPlugin, []string, error) {
	p := splitPlugin{sep: ".", segment: int64(0)}
	if v, ok := params.Get("separator"); ok {
		p.sep = v
	}
	if v, ok := params.Get("segment"); ok {
		p.segment = v
	}
	if v, ok := params.Get("max_split"); ok {
		p.maxSplit = v
	}
	// The constructor logs a deprecation warning formatting segment and
	// max_split with %d: anything but a number makes it raise.
	for _, c := range []struct {
		name string
		v    pyjson.Value
	}{{"segment", p.segment}, {"max_split", p.maxSplit}} {
		if c.name == "max_split" && c.v == nil {
			continue
		}
		if err := checkPercentD(c.v); err != nil {
			return nil, nil, fmt.Errorf("parameter %s: %w", c.name, err)
		}
	}
	sep := pyval.Str(p.sep)
	seg := pyval.Str(p.segment)
	ms := "-1"
	if p.maxSplit != nil {
		ms = pyval.Str(p.maxSplit)
	}
	warn := fmt.Sprintf("the split plugin is deprecated: add \".`split(%s, %s, %s)`\" to the JSONPath instead", sep, seg, ms)
	return p, []string{warn}, nil
}

// checkPercentD reports whether Python's "%d" accepts v.
func checkPercentD(v pyjson.Value) error {
	switch x := v.(type) {
	case bool, int64, pyjson.BigInt:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("cannot convert float to integer")
		}
		return nil
	}
	return fmt.Errorf("%%d format: a real number is required, not %s", pyval.TypeName(v))
}

func (p splitPlugin) Values(matches []jsonpath.Match) ([]pyjson.Value, error) {
	if len(matches) == 0 {
		return nil, nil
	}
	out := make([]pyjson.Value, 0, len(matches))
	for _, m := range matches {
		parts, err := p.split(pyval.Str(m.Value))
		if err != nil {
			return nil, err
		}
		v, err := pyIndex(parts, p.segment)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// split is str.split(sep, maxsplit).
func (p splitPlugin) split(s string) ([]string, error) {
	limit := -1
	if p.maxSplit != nil {
		switch x := p.maxSplit.(type) {
		case bool:
			if x {
				limit = 1
			} else {
				limit = 0
			}
		case int64:
			limit = int(max(min(x, math.MaxInt32), -1))
		case pyjson.BigInt:
			return nil, errors.New("Python int too large to convert to C ssize_t")
		default:
			return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", pyval.TypeName(p.maxSplit))
		}
	}
	switch sep := p.sep.(type) {
	case nil:
		return splitWhitespace(s, limit), nil
	case string:
		if sep == "" {
			return nil, errors.New("empty separator")
		}
		if limit < 0 {
			return strings.Split(s, sep), nil
		}
		return strings.SplitN(s, sep, limit+1), nil
	}
	return nil, fmt.Errorf("must be str or None, not %s", pyval.TypeName(p.sep))
}

// splitWhitespace is str.split(None, maxsplit).
func splitWhitespace(s string, limit int) []string {
	var out []string
	i := 0
	rs := []rune(s)
	n := len(rs)
	for {
		for i < n && pyval.IsSpace(rs[i]) {
			i++
		}
		if i >= n {
			return out
		}
		if limit >= 0 && len(out) == limit {
			j := n
			for j > i && pyval.IsSpace(rs[j-1]) {
				j--
			}
			return append(out, string(rs[i:j]))
		}
		j := i
		for j < n && !pyval.IsSpace(rs[j]) {
			j++
		}
		out = append(out, string(rs[i:j]))
		i = j
	}
}

// pyIndex is list[idx] with IndexError meaning "no value".
func pyIndex(parts []string, idx pyjson.Value) (pyjson.Value, error) {
	var i int64
	switch x := idx.(type) {
	case bool:
		if x {
			i = 1
		}
	case int64:
		i = x
	case pyjson.BigInt:
		return nil, nil // IndexError: cannot fit 'int' into an index-sized integer
	default:
		return nil, fmt.Errorf("list indices must be integers or slices, not %s", pyval.TypeName(idx))
	}
	n := int64(len(parts))
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return nil, nil
	}
	return parts[i], nil
}

// maxBit bounds 2**bit: Python would compute astronomically large integers.
const maxBit = 1 << 16

// bitFlag is one entry of the bitfield plugin's flags, checked at load time
// for the errors the Python code raises on every conversion.
type bitFlag struct {
	path     string
	hasPath  bool // path is a string (other hashable paths never match)
	bit      pyjson.Value
	hasValue bool
	value    pyjson.Value
	err      error // raised whenever the flag is evaluated
}

// bitfieldPlugin is BitfieldTraitPlugin: initial_bitfield OR'ed with
// 2**bit for every flag whose path matched (with the given value, if any).
type bitfieldPlugin struct {
	initial pyjson.Value
	flags   []bitFlag
	// flagsErr is raised when flags is not iterable.
	flagsErr error
}

func newBitfieldPlugin(params *pyjson.Object) (TraitPlugin, []string, error) {
	p := bitfieldPlugin{initial: int64(0)}
	if v, ok := params.Get("initial_bitfield"); ok {
		p.initial = v
	}
	var warns []string
	flags, _ := params.Get("flags")
	var items []pyjson.Value
	switch x := flags.(type) {
	case nil:
	case []pyjson.Value:
		items = x
	case *pyjson.Object:
		// Iterating a dict gives its keys: strings, which cannot be indexed
		// by 'path'.
		for _, m := range x.Members {
			items = append(items, m.Key)
		}
	case string:
		for _, r := range x {
			items = append(items, string(r))
		}
	default:
		p.flagsErr = fmt.Errorf("'%s' object is not iterable", pyval.TypeName(flags))
	}
	for i, it := range items {
		f := bitFlag{}
		fd, ok := it.(*pyjson.Object)
		if !ok {
			f.err = fmt.Errorf("flags[%d]: %s indices must be integers", i, pyval.TypeName(it))
			p.flags = append(p.flags, f)
			continue
		}
		path, ok := fd.Get("path")
		if !ok {
			f.err = fmt.Errorf("flags[%d]: KeyError: 'path'", i)
			p.flags = append(p.flags, f)
			continue
		}
		bitv, ok := fd.Get("bit")
		if !ok {
			f.err = fmt.Errorf("flags[%d]: KeyError: 'bit'", i)
			p.flags = append(p.flags, f)
			continue
		}
		n, err := pyval.Int(bitv)
		if err == nil {
			f.bit, err = pow2(n)
		}
		if err != nil {
			f.err = fmt.Errorf("flags[%d]: bit: %w", i, err)
			p.flags = append(p.flags, f)
			continue
		}
		switch x := path.(type) {
		case string:
			f.path, f.hasPath = x, true
		case []pyjson.Value, *pyjson.Object:
			f.err = fmt.Errorf("flags[%d]: unhashable type: '%s'", i, pyval.TypeName(path))
		}
		f.value, f.hasValue = fd.Get("value")
		p.flags = append(p.flags, f)
	}
	for _, f := range p.flags {
		if f.err != nil {
			warns = append(warns, fmt.Sprintf("bitfield plugin: %v: every conversion of this trait fails, so Ceilometer drops the event", f.err))
		}
	}
	return p, warns, nil
}

// pow2 is 2 ** n for a Python int n: an int, or a float for negative n.
func pow2(n pyjson.Value) (pyjson.Value, error) {
	b, _ := pyval.Big(n)
	if b.Sign() < 0 {
		if !b.IsInt64() {
			return 0.0, nil
		}
		return math.Pow(2, float64(b.Int64())), nil
	}
	if !b.IsInt64() || b.Int64() > maxBit {
		return nil, fmt.Errorf("bit %s is too large", b.String())
	}
	k := b.Int64()
	if k < 63 {
		return int64(1) << k, nil
	}
	return new(big.Int).Lsh(big.NewInt(1), uint(k)), nil
}

func (p bitfieldPlugin) Values(matches []jsonpath.Match) ([]pyjson.Value, error) {
	if p.flagsErr != nil {
		return nil, p.flagsErr
	}
	bitfield := p.initial
	for i := range p.flags {
		f := &p.flags[i]
		if f.err != nil {
			return nil, f.err
		}
		if !f.hasPath {
			continue
		}
		// dict(match_list): the last match of a path wins.
		var v pyjson.Value
		found := false
		for _, m := range matches {
			if m.Path == f.path {
				v, found = m.Value, true
			}
		}
		if !found || (f.hasValue && !pyval.Equal(v, f.value)) {
			continue
		}
		var err error
		if bitfield, err = pyOr(bitfield, f.bit); err != nil {
			return nil, err
		}
	}
	return []pyjson.Value{bitfield}, nil
}

// pyOr is a | b for Python ints (bool included).
func pyOr(a, b pyjson.Value) (pyjson.Value, error) {
	x, ok1 := a.(int64)
	y, ok2 := b.(int64)
	if ok1 && ok2 {
		return x | y, nil
	}
	ba, ok1 := pyval.Big(a)
	bb, ok2 := pyval.Big(b)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("unsupported operand type(s) for |=: '%s' and '%s'", pyval.TypeName(a), pyval.TypeName(b))
	}
	return pyval.FromBig(new(big.Int).Or(ba, bb)), nil
}

// timedeltaPlugin is TimedeltaPlugin: the absolute number of seconds between
// exactly two datetime matches, else no value.
type timedeltaPlugin struct{}

func (timedeltaPlugin) Values(matches []jsonpath.Match) ([]pyjson.Value, error) {
	if len(matches) != 2 {
		return nil, nil
	}
	start, err := pytime.Parse(matches[0].Value)
	if err != nil {
		return nil, nil
	}
	end, err := pytime.Parse(matches[1].Value)
	if err != nil {
		return nil, nil
	}
	return []pyjson.Value{math.Abs(pytime.Seconds(start, end))}, nil
}

// Interface guards.
var (
	_ TraitPlugin = splitPlugin{}
	_ TraitPlugin = bitfieldPlugin{}
	_ TraitPlugin = timedeltaPlugin{}
)
