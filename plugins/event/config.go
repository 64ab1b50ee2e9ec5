package event

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/jsonpath"
)

// Warning is a problem that does not stop a definitions file from loading.
type Warning = conf.Warning

// Settings are the ceilometer.conf options the converter honours, filled by
// the caller (code-filled, not YAML-facing).
type Settings struct {
	// DropUnmatched is [event] drop_unmatched_notifications: a notification
	// no definition matches gives no event (otherwise it gives one with the
	// default traits).
	DropUnmatched bool
	// StoreRaw is [event] store_raw: the priorities (any case, "info" and/or
	// "error") whose events carry the notification in raw.
	StoreRaw []string
	// Strict makes Load go on after the first bad definition and return every
	// error (for check-config). Either way a bad definition fails the whole
	// file, as it fails Ceilometer's event endpoint.
	Strict bool
}

// Load compiles the event definitions file (event_definitions.yaml) named
// file, whose contents are data. Like Ceilometer, it refuses the whole file
// when any definition is invalid; errors are *conf.FileError (joined when
// Strict) naming the file, line and key path. Warnings report what loads but
// deserves attention (ignored keys, duplicate keys, deprecated plugins,
// traits that can never convert).
func Load(file string, data []byte, settings Settings) (*Converter, []Warning, error) {
	l := &loader{file: file, strict: settings.Strict, plugins: traitPlugins()}
	root, err := conf.DecodeYAML(file, data)
	if err != nil {
		return nil, nil, err
	}
	top := conf.Position{File: file}
	var defs []*definition
	switch {
	case root == nil || conf.PyYAMLTag(root) == "!!null":
		// load_definitions returns None and the converter fails iterating it.
		l.fail(top, "the file holds no definitions list (Ceilometer fails on an empty file)")
	case conf.ResolveYAML(root).Kind != yaml.SequenceNode:
		root = conf.ResolveYAML(root)
		l.fail(top.Child(root, ""), "expected a list of event definitions, found %s", conf.YAMLKind(root))
	default:
		root = conf.ResolveYAML(root)
		for i, n := range root.Content {
			if l.stop() {
				break
			}
			if d := l.definition(n, top.Index(conf.ResolveYAML(n), i), i); d != nil {
				defs = append(defs, d)
			}
		}
	}
	if len(l.errs) > 0 {
		return nil, l.warns, conf.JoinErrors(l.errs)
	}
	conf.SortWarnings(l.warns)
	c := newConverter(defs, l.defaults(), settings)
	return c, l.warns, nil
}

// loader holds the state of one Load.
type loader struct {
	file    string
	strict  bool
	plugins map[string]pluginFactory
	errs    []error
	warns   []Warning
	// defaultTraits are compiled once and shared by every definition.
	defaultTraits []*trait
}

func (l *loader) fail(p conf.Position, format string, args ...any) {
	l.errs = append(l.errs, p.Errorf(format, args...))
}

func (l *loader) warn(p conf.Position, format string, args ...any) {
	l.warns = append(l.warns, p.Warnf(format, args...))
}

// stop reports whether loading should end: at the first error unless strict.
func (l *loader) stop() bool { return !l.strict && len(l.errs) > 0 }

// defaultTraitSpecs are EventDefinition.DEFAULT_TRAITS, in Ceilometer's order.
var defaultTraitSpecs = []struct{ name, fields string }{
	{"service", "publisher_id"},
	{"request_id", "ctxt.request_id"},
	{"project_id", "(payload.tenant_id)|(ctxt.project_id)"},
	{"user_id", "(payload.user_id)|(ctxt.user_id)"},
	{"tenant_id", "(payload.tenant_id)|(ctxt.project_id)"},
}

func (l *loader) defaults() []*trait {
	if l.defaultTraits != nil {
		return l.defaultTraits
	}
	for _, s := range defaultTraitSpecs {
		p, err := jsonpath.Compile(s.fields)
		if err != nil {
			panic("event: default trait " + s.name + ": " + err.Error()) // a bug, not input
		}
		l.defaultTraits = append(l.defaultTraits, &trait{name: s.name, typ: pipeline.TraitText, path: p})
	}
	return l.defaultTraits
}

// definition compiles one entry of the list; nil after an error.
func (l *loader) definition(n *yaml.Node, pos conf.Position, index int) *definition {
	n = conf.ResolveYAML(n)
	if n == nil || n.Kind != yaml.MappingNode {
		l.fail(pos, "an event definition must be a mapping, found %s", conf.YAMLKind(n))
		return nil
	}
	pairs, dups, err := conf.YAMLMapping(n)
	if err != nil {
		l.fail(pos, "%v", err)
		return nil
	}
	for _, k := range dups {
		l.warn(pos.Key(k, k.Value), "key written twice: the last value wins")
	}
	var etNode, traitsNode *yaml.Node
	var etPos, traitsPos conf.Position
	for _, p := range pairs {
		key, _ := pyval.FromYAML(p.Key, pyval.KeyStr)
		switch key {
		case "event_type":
			etNode, etPos = p.Value, pos.Key(p.Value, "event_type")
		case "traits":
			traitsNode, traitsPos = p.Value, pos.Key(p.Value, "traits")
		default:
			l.warn(pos.Key(p.Key, pyval.Str(key)), "unknown key, ignored")
		}
	}
	if etNode == nil {
		l.fail(pos, "required field event_type not specified")
		return nil
	}
	if traitsNode == nil {
		l.fail(pos, "required field traits not specified")
		return nil
	}
	d := &definition{pos: pos, index: index}
	types, ok := l.eventTypes(etNode, etPos)
	if !ok {
		return nil
	}
	for _, t := range types {
		if strings.HasPrefix(t, "!") {
			d.exclude = append(d.exclude, compileGlob(t[1:]))
		} else {
			d.include = append(d.include, compileGlob(t))
		}
	}
	if len(d.exclude) > 0 && len(d.include) == 0 {
		d.include = append(d.include, compileGlob("*"))
	}
	d.catchAll = len(d.exclude) == 0 && slices.ContainsFunc(d.include, func(g glob) bool { return g.src == "*" })

	d.traits = slices.Clone(l.defaults())
	names := map[string]int{}
	for i, t := range d.traits {
		names[t.name] = i
	}
	ok = true
	l.traits(traitsNode, traitsPos, func(t *trait) {
		if t == nil {
			ok = false
			return
		}
		if i, dup := names[t.name]; dup {
			d.traits[i] = t // a dict keeps the first position
			return
		}
		names[t.name] = len(d.traits)
		d.traits = append(d.traits, t)
	})
	if !ok {
		return nil
	}
	return d
}

// eventTypes reads event_type: a string or a list of strings (a mapping
// counts by its keys, as Python iterates them).
func (l *loader) eventTypes(n *yaml.Node, pos conf.Position) ([]string, bool) {
	n = conf.ResolveYAML(n)
	switch n.Kind {
	case yaml.ScalarNode:
		v, err := pyval.Scalar(n)
		if err != nil {
			l.fail(pos, "%v", err)
			return nil, false
		}
		if s, ok := v.(string); ok {
			return []string{s}, true
		}
		l.fail(pos, "event_type must be a string or a list of strings, found %s", conf.YAMLKind(n))
		return nil, false
	case yaml.SequenceNode, yaml.MappingNode:
		var items []*yaml.Node
		if n.Kind == yaml.SequenceNode {
			items = n.Content
		} else {
			pairs, _, err := conf.YAMLMapping(n)
			if err != nil {
				l.fail(pos, "%v", err)
				return nil, false
			}
			for _, p := range pairs {
				items = append(items, p.Key)
			}
		}
		out := make([]string, 0, len(items))
		for i, c := range items {
			c = conf.ResolveYAML(c)
			v, err := pyval.FromYAML(c, pyval.KeyStr)
			s, ok := v.(string)
			if err != nil || !ok {
				l.fail(pos.Index(c, i), "event_type entries must be strings, found %s", conf.YAMLKind(c))
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	l.fail(pos, "event_type must be a string or a list of strings, found %s", conf.YAMLKind(n))
	return nil, false
}

// traits compiles the traits mapping, calling add for each trait in order
// (nil after an error).
func (l *loader) traits(n *yaml.Node, pos conf.Position, add func(*trait)) {
	n = conf.ResolveYAML(n)
	switch {
	case n.Kind == yaml.MappingNode:
	case n.Kind == yaml.SequenceNode && len(n.Content) == 0,
		n.Kind == yaml.ScalarNode && conf.PyYAMLTag(n) == "!!str" && n.Value == "":
		return // iterating an empty list or string gives no trait
	default:
		l.fail(pos, "traits must be a mapping of trait name to definition, found %s", conf.YAMLKind(n))
		add(nil)
		return
	}
	pairs, dups, err := conf.YAMLMapping(n)
	if err != nil {
		l.fail(pos, "%v", err)
		add(nil)
		return
	}
	for _, k := range dups {
		l.warn(pos.Key(k, k.Value), "trait defined twice in one mapping: the last one wins")
	}
	for _, p := range pairs {
		if l.stop() {
			return
		}
		kv, err := pyval.FromYAML(p.Key, pyval.KeyStr)
		if err != nil {
			l.fail(pos.Child(p.Key, ""), "%v", err)
			add(nil)
			continue
		}
		name, isStr := kv.(string)
		if !isStr {
			name = pyval.Str(kv)
			l.warn(pos.Key(p.Key, name), "trait name is %s: Ceilometer publishes it with that type, this agent as the string %q", conf.YAMLKind(p.Key), name)
		}
		add(l.trait(name, p.Value, pos.Key(p.Value, name)))
	}
}

// trait compiles one trait definition: TraitDefinition (declarative.Definition).
func (l *loader) trait(name string, n *yaml.Node, pos conf.Position) *trait {
	n = conf.ResolveYAML(n)
	t := &trait{name: name, typ: pipeline.TraitText}
	fields := n
	fieldsPos := pos
	if n.Kind == yaml.MappingNode {
		pairs, dups, err := conf.YAMLMapping(n)
		if err != nil {
			l.fail(pos, "%v", err)
			return nil
		}
		for _, k := range dups {
			l.warn(pos.Key(k, k.Value), "key written twice: the last value wins")
		}
		var typeNode, pluginNode *yaml.Node
		fields = nil
		for _, p := range pairs {
			key, _ := pyval.FromYAML(p.Key, pyval.KeyStr)
			switch key {
			case "fields":
				fields, fieldsPos = p.Value, pos.Key(p.Value, "fields")
			case "type":
				typeNode = p.Value
			case "plugin":
				pluginNode = p.Value
			default:
				l.warn(pos.Key(p.Key, pyval.Str(key)), "unknown key, ignored")
			}
		}
		if fields == nil {
			l.fail(pos, "the field 'fields' is required for %s", name)
			return nil
		}
		if pluginNode != nil && !l.plugin(t, pluginNode, pos.Key(pluginNode, "plugin")) {
			return nil
		}
		if !l.fields(t, fields, fieldsPos) {
			return nil
		}
		if typeNode != nil && !l.traitType(t, typeNode, pos.Key(typeNode, "type")) {
			return nil
		}
		return t
	}
	if !l.fields(t, fields, fieldsPos) {
		return nil
	}
	return t
}

// traitType reads type: models.Trait.get_type_by_name (case-insensitive).
func (l *loader) traitType(t *trait, n *yaml.Node, pos conf.Position) bool {
	v, err := pyval.FromYAML(n, pyval.KeyStr)
	s, ok := v.(string)
	if err != nil || !ok {
		l.fail(pos, "trait type must be a string, found %s", conf.YAMLKind(n))
		return false
	}
	switch strings.ToUpper(s) {
	case "TEXT":
		t.typ = pipeline.TraitText
	case "INT":
		t.typ = pipeline.TraitInt
	case "FLOAT":
		t.typ = pipeline.TraitFloat
	case "DATETIME":
		t.typ = pipeline.TraitDatetime
	case "NONE":
		// Valid in Ceilometer: converted like text, published with type 0.
		t.typ = pipeline.TraitNone
		l.warn(pos, "trait type 'none': values are converted as text and published with type 0")
	default:
		l.fail(pos, "invalid trait type '%s' for trait %s (text, int, float or datetime)", s, t.name)
		return false
	}
	return true
}

// fields reads a trait's fields: a JSONPath, a list of them (tried in
// order: Ceilometer joins them as "(p1)|(p2)"), or an integer constant.
func (l *loader) fields(t *trait, n *yaml.Node, pos conf.Position) bool {
	n = conf.ResolveYAML(n)
	v, err := pyval.FromYAML(n, pyval.KeyStr)
	if err != nil {
		l.fail(pos, "%v", err)
		return false
	}
	if list, ok := v.([]pyjson.Value); ok {
		switch len(list) {
		case 1:
			v = list[0]
		default:
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = "(" + pyval.Str(e) + ")"
			}
			v = strings.Join(parts, "|")
		}
	}
	switch x := v.(type) {
	case bool, int64, pyjson.BigInt:
		// An integer (bool included) is a constant value.
		t.constant, t.isConst = x, true
		return true
	case string:
		p, err := jsonpath.Compile(x)
		if err != nil {
			l.fail(pos, "parse error in JSONPath specification '%s' for %s: %v", x, t.name, err)
			return false
		}
		t.path = p
		return true
	}
	l.fail(pos, "fields of %s must be a JSONPath or a list of them, found %s", t.name, conf.YAMLKind(n))
	return false
}

// plugin reads a trait's plugin: a name, or {name, parameters}.
func (l *loader) plugin(t *trait, n *yaml.Node, pos conf.Position) bool {
	n = conf.ResolveYAML(n)
	v, err := pyval.FromYAML(n, pyval.KeyStr)
	if err != nil {
		l.fail(pos, "%v", err)
		return false
	}
	var name string
	params := &pyjson.Object{}
	switch x := v.(type) {
	case string:
		name = x
	case *pyjson.Object:
		nv, ok := x.Get("name")
		if !ok {
			l.fail(pos, "plugin specified, but no plugin name supplied for %s", t.name)
			return false
		}
		s, ok := nv.(string)
		if !ok {
			l.fail(pos.Key(nil, "name"), "no plugin named %s available for %s", pyval.Str(nv), t.name)
			return false
		}
		name = s
		switch pv, _ := x.Get("parameters"); p := pv.(type) {
		case nil:
		case *pyjson.Object:
			params = p
		default:
			l.fail(pos.Key(nil, "parameters"), "plugin parameters must be a mapping, found %s", pyval.TypeName(pv))
			return false
		}
		for _, m := range x.Members {
			if m.Key != "name" && m.Key != "parameters" {
				l.warn(pos.Key(nil, m.Key), "unknown key, ignored")
			}
		}
	default:
		l.fail(pos, "plugin must be a name or a mapping with name and parameters, found %s", conf.YAMLKind(n))
		return false
	}
	f, ok := l.plugins[name]
	if !ok {
		l.fail(pos, "no plugin named %s available for %s", name, t.name)
		return false
	}
	for _, m := range params.Members {
		if !slices.Contains(f.params, m.Key) {
			l.warn(pos.Key(nil, "parameters."+m.Key), "parameter not used by the %s plugin, ignored", name)
		}
	}
	p, warns, err := f.create(params)
	if err != nil {
		l.fail(pos, "plugin %s for %s: %v", name, t.name, err)
		return false
	}
	for _, w := range warns {
		l.warn(pos, "%s", w)
	}
	t.plugin = p
	return true
}
