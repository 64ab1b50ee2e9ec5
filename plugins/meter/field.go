package meter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/jsonpath"
)

// field is Ceilometer's declarative.Definition: one value of a definition
// (an attribute, a metadata entry, user_metadata), either an integer
// constant or a JSONPath expression, optionally post-processed by a plugin.
//
// Every string is a JSONPath, "$"-prefixed or not: "GB" is the path of a
// root key "GB" (which never exists, so a meter definition falls back to the
// literal text; see sampleBuilder). That is also why "unit: B/s" is refused:
// it does not parse.
type field struct {
	src      string       // the expression, for messages
	constant pyjson.Value // an int or bool fields value
	isConst  bool
	path     *jsonpath.Path
	plugin   traitPlugin
	// pluginName is for the "doesn't allow to return multiple values" error.
	pluginName string
}

// errFieldsRequired and friends are the reasons a field is refused.
var (
	errFieldsRequired = errors.New("the field 'fields' is required")
	errNoPluginName   = errors.New("plugin specified, but no plugin name supplied")
)

// newField compiles cfg, the value a definition gives a name.
func newField(cfg pyjson.Value) (*field, error) {
	f := &field{}
	fields := cfg
	if obj, ok := cfg.(*pyjson.Object); ok {
		fv, ok := obj.Get("fields")
		if !ok {
			return nil, errFieldsRequired
		}
		if pc, ok := obj.Get("plugin"); ok {
			var name string
			var params *pyjson.Object
			switch pc := pc.(type) {
			case string:
				name = pc
			case *pyjson.Object:
				n, ok := pc.Get("name")
				if !ok {
					return nil, errNoPluginName
				}
				s, ok := n.(string)
				if !ok {
					return nil, fmt.Errorf("plugin name must be a string, not %s", pyval.TypeName(n))
				}
				name = s
				if pv, _ := pc.Get("parameters"); pv != nil {
					if params, ok = pv.(*pyjson.Object); !ok {
						return nil, errors.New("plugin parameters must be a mapping")
					}
				}
			default:
				return nil, fmt.Errorf("plugin must be a name or a mapping, not %s", pyval.TypeName(pc))
			}
			p, err := newTraitPlugin(name, params)
			if err != nil {
				return nil, err
			}
			f.plugin, f.pluginName = p, name
		}
		fields = fv
	}
	if list, ok := fields.([]pyjson.Value); ok {
		if len(list) == 1 {
			fields = list[0]
		} else {
			// '|'.join('(%s)' % path for path in fields)
			parts := make([]string, len(list))
			for i, p := range list {
				parts[i] = "(" + pyjson.Str(p) + ")"
			}
			fields = strings.Join(parts, "|")
		}
	}
	switch v := fields.(type) {
	case int64, pyjson.BigInt, bool:
		f.constant, f.isConst = v, true
		f.src = pyjson.Str(v)
		return f, nil
	case string:
		p, err := jsonpath.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("parse error in JSONPath specification '%s': %w", v, err)
		}
		f.path, f.src = p, v
		return f, nil
	}
	return nil, fmt.Errorf("parse error in JSONPath specification '%s': not a string (%s)", pyjson.Str(fields), pyval.TypeName(fields))
}

// first is parse(obj): the first non-null value, or nil. A constant is
// returned as is. scratch, when not nil, is reused for the matches.
func (f *field) first(root pyjson.Value, scratch *[]pyjson.Value) (pyjson.Value, error) {
	if f.isConst {
		return f.constant, nil
	}
	if f.plugin == nil {
		var buf []pyjson.Value
		if scratch != nil {
			buf = (*scratch)[:0]
		}
		vs, err := f.path.AppendEval(buf, root)
		var first pyjson.Value
		for _, v := range vs {
			if v != nil {
				first = v
				break
			}
		}
		if scratch != nil {
			clear(vs) // do not keep the notification alive through the buffer
			*scratch = vs[:0]
		}
		if err != nil {
			return nil, err
		}
		return first, nil
	}
	vs, err := f.withPlugin(root, false)
	if err != nil || len(vs) == 0 {
		return nil, err
	}
	return vs[0], nil
}

// all is parse(obj, return_all_values=True): every value, nulls included
// (but not the nulls a plugin returns). For a constant, ok is false: Python
// returns the bare constant, not a list.
func (f *field) all(root pyjson.Value) (vs []pyjson.Value, ok bool, err error) {
	if f.isConst {
		return nil, false, nil
	}
	if f.plugin == nil {
		vs, err = f.path.Eval(root)
		return vs, true, err
	}
	vs, err = f.withPlugin(root, true)
	return vs, true, err
}

func (f *field) withPlugin(root pyjson.Value, all bool) ([]pyjson.Value, error) {
	if all && !f.plugin.allValues() {
		return nil, fmt.Errorf("plugin %s doesn't allow to return multiple values", f.pluginName)
	}
	ms, err := f.path.Matches(root)
	if err != nil {
		return nil, err
	}
	if !all {
		kept := ms[:0:0]
		for _, m := range ms {
			if m.Value != nil {
				kept = append(kept, m)
			}
		}
		ms = kept
	}
	vs, err := f.plugin.values(ms)
	if err != nil {
		return nil, err
	}
	out := vs[:0:0]
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}
