package meter

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/jsonpath"
)

// Meter definitions may post-process a field's matches with one of
// Ceilometer's trait plugins (namespace ceilometer.event.trait_plugin):
//
//	volume:
//	  fields: [$.payload.created_at, $.payload.launched_at]
//	  plugin: timedelta          # or {name: split, parameters: {...}}
//
// Each plugin receives the matches as (path, value) pairs and returns the
// values; None results are dropped.

// traitPlugin is one configured plugin instance.
type traitPlugin interface {
	// values converts the matches; nil entries are dropped by the caller.
	values(matches []jsonpath.Match) ([]pyjson.Value, error)
	// allValues reports support_return_all_values.
	allValues() bool
}

// newTraitPlugin builds the plugin name with params (a mapping or nil).
func newTraitPlugin(name string, params *pyjson.Object) (traitPlugin, error) {
	switch name {
	case "timedelta":
		return timedeltaPlugin{}, nil
	case "split":
		return newSplitPlugin(params)
	case "bitfield":
		return newBitfieldPlugin(params)
	}
	return nil, fmt.Errorf("no plugin named %s available", name)
}

// timedeltaPlugin is TimedeltaPlugin: the absolute number of seconds between
// exactly two timestamps, else nothing.
type timedeltaPlugin struct{}

func (timedeltaPlugin) allValues() bool { return false }

func (timedeltaPlugin) values(ms []jsonpath.Match) ([]pyjson.Value, error) {
	if len(ms) != 2 {
		return nil, nil // Ceilometer: warning, [None]
	}
	start, err := pytime.Parse(ms[0].Value)
	if err != nil {
		return nil, nil
	}
	end, err := pytime.Parse(ms[1].Value)
	if err != nil {
		return nil, nil
	}
	return []pyjson.Value{math.Abs(pytime.Seconds(start, end))}, nil
}

// splitPlugin is SplitterTraitPlugin: str(value).split(separator,
// max_split)[segment].
type splitPlugin struct {
	separator string
	segment   int64
	maxSplit  int64 // -1: no limit
}

func newSplitPlugin(params *pyjson.Object) (traitPlugin, error) {
	p := splitPlugin{separator: ".", maxSplit: -1}
	if params == nil {
		return p, nil
	}
	for _, m := range params.Members {
		switch m.Key {
		case "separator":
			s, ok := m.Value.(string)
			if !ok || s == "" {
				return nil, errors.New("split: separator must be a non-empty string")
			}
			p.separator = s
		case "segment":
			n, ok := m.Value.(int64)
			if !ok {
				return nil, errors.New("split: segment must be an integer")
			}
			p.segment = n
		case "max_split":
			switch n := m.Value.(type) {
			case nil:
			case int64:
				p.maxSplit = n
			default:
				return nil, errors.New("split: max_split must be an integer")
			}
		}
	}
	return p, nil
}

func (splitPlugin) allValues() bool { return true }

func (p splitPlugin) values(ms []jsonpath.Match) ([]pyjson.Value, error) {
	out := make([]pyjson.Value, 0, len(ms))
	for _, m := range ms {
		var parts []string
		s := pyjson.Str(m.Value)
		if p.maxSplit >= 0 {
			parts = strings.SplitN(s, p.separator, int(p.maxSplit)+1)
		} else {
			parts = strings.Split(s, p.separator)
		}
		i := p.segment
		if i < 0 {
			i += int64(len(parts))
		}
		if i < 0 || i >= int64(len(parts)) {
			out = append(out, nil)
			continue
		}
		out = append(out, parts[i])
	}
	return out, nil
}

// bitfieldPlugin is BitfieldTraitPlugin: initial_bitfield with a bit set per
// flag whose path matched (with the given value, if any).
type bitfieldPlugin struct {
	initial int64
	flags   []bitFlag
}

type bitFlag struct {
	path     string
	bit      int64
	value    pyjson.Value
	hasValue bool
}

func newBitfieldPlugin(params *pyjson.Object) (traitPlugin, error) {
	var p bitfieldPlugin
	if params == nil {
		return p, nil
	}
	if v, ok := params.Get("initial_bitfield"); ok {
		n, isInt := v.(int64)
		if !isInt {
			return nil, errors.New("bitfield: initial_bitfield must be an integer")
		}
		p.initial = n
	}
	flags, _ := params.Get("flags")
	if flags == nil {
		return p, nil
	}
	list, ok := flags.([]pyjson.Value)
	if !ok {
		return nil, errors.New("bitfield: flags must be a list")
	}
	for i, f := range list {
		o, ok := f.(*pyjson.Object)
		if !ok {
			return nil, fmt.Errorf("bitfield: flags[%d] must be a mapping", i)
		}
		path, _ := o.Get("path")
		ps, ok := path.(string)
		if !ok {
			return nil, fmt.Errorf("bitfield: flags[%d].path must be a string", i)
		}
		bit, _ := o.Get("bit")
		b, ok := bit.(int64)
		if !ok || b < 0 || b > 62 {
			return nil, fmt.Errorf("bitfield: flags[%d].bit must be an integer in 0..62", i)
		}
		val, has := o.Get("value")
		p.flags = append(p.flags, bitFlag{path: ps, bit: b, value: val, hasValue: has})
	}
	return p, nil
}

func (bitfieldPlugin) allValues() bool { return false }

func (p bitfieldPlugin) values(ms []jsonpath.Match) ([]pyjson.Value, error) {
	bits := p.initial
	for _, f := range p.flags {
		// dict(match_list): the last match of a path wins.
		var val pyjson.Value
		found := false
		for _, m := range ms {
			if m.Path == f.path {
				val, found = m.Value, true
			}
		}
		if found && (!f.hasValue || pyval.Equal(val, f.value)) {
			bits |= 1 << f.bit
		}
	}
	return []pyjson.Value{bits}, nil
}
