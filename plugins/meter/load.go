package meter

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Load compiles the definitions of files, which the caller lists in
// Ceilometer's order: for each [meter] meter_definitions_dirs entry in turn,
// its *.yaml files sorted by name.
//
// Merging is Ceilometer's: each file's list is read from the end, and a
// definition whose name was already taken is skipped, so within a file the
// last definition of a name wins and across files the first file wins. The
// engine then evaluates the definitions in that (reversed) order, which is
// the order of the samples of a notification.
//
// A bad definition (a required field missing or falsy, an invalid type, a
// JSONPath that does not parse, an unsupported or invalid regular
// expression, an unknown plugin) is skipped and reported as a warning with
// its file, line and key path, as Ceilometer logs and skips it; duplicates
// are warnings too. A file that is not YAML, or has no "metric" list, is an
// error (Ceilometer then loads no meter definitions at all).
func Load(files []File, s Settings) (*Engine, []conf.Warning, error) {
	defs, problems, err := load(files, s)
	if err != nil {
		return nil, nil, err
	}
	warnings := make([]conf.Warning, 0, len(problems))
	for _, p := range problems {
		warnings = append(warnings, p.pos.Warnf("%s", p.msg))
	}
	return newEngine(defs, s), warnings, nil
}

// Validate is the strict form of Load for check-config: it returns every
// problem, the definitions Load would skip included, as *conf.FileError
// values joined in file order. Duplicate names are not errors (Ceilometer
// expects later files to override).
func Validate(files []File, s Settings) error {
	_, problems, err := load(files, s)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range problems {
		if !p.duplicate {
			errs = append(errs, p.pos.Errorf("%s", p.msg))
		}
	}
	return conf.JoinErrors(errs)
}

// problem is a definition that is skipped.
type problem struct {
	pos       conf.Position
	msg       string
	duplicate bool
}

func load(files []File, s Settings) (defs []*definition, problems []problem, err error) {
	taken := map[string]conf.Position{}
	var errs []error
	for _, f := range files {
		root, err := conf.DecodeYAML(f.Path, f.Data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		list, err := metricList(f.Path, root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		base := conf.Position{File: f.Path, Line: list.Line, Column: list.Column, Path: "metric"}
		for i := len(list.Content) - 1; i >= 0; i-- {
			node := conf.ResolveYAML(list.Content[i])
			pos := base.Index(node, i)
			if node == nil || node.Kind != yaml.MappingNode {
				problems = append(problems, problem{pos: pos, msg: "a meter definition must be a mapping, not " + conf.YAMLKind(node)})
				continue
			}
			name, volume, perr := nameAndVolume(node)
			if perr != nil {
				problems = append(problems, problem{pos: pos, msg: perr.Error()})
				continue
			}
			key, ok := nameKey(name)
			if !ok {
				problems = append(problems, problem{pos: pos, msg: errUnhashable.Error()})
				continue
			}
			if prev, dup := taken[key]; dup {
				problems = append(problems, problem{pos: pos, duplicate: true,
					msg: fmt.Sprintf("skipping duplicate meter definition %s (the one at %s is used)", pyjson.Str(name), prev)})
				continue
			}
			if s.DisableNonMetricMeters && pyval.Equal(volume, int64(1)) {
				continue // mitaka: volume == 1 is an existence meter
			}
			d, derr := compileDefinition(pos, node)
			if derr != nil {
				problems = append(problems, problem{pos: derr.pos, msg: fmt.Sprintf("meter definition %s skipped: %s", pyjson.Repr(d0name(name)), derr.msg)})
				continue
			}
			taken[key] = pos
			defs = append(defs, d)
		}
	}
	if len(errs) > 0 {
		return nil, nil, conf.JoinErrors(errs)
	}
	return defs, problems, nil
}

func d0name(v pyjson.Value) pyjson.Value {
	if v == nil {
		return "<unnamed>"
	}
	return v
}

// metricList returns the "metric" list of a definitions file.
func metricList(file string, root *yaml.Node) (*yaml.Node, error) {
	root = conf.ResolveYAML(root)
	if root == nil {
		return nil, &conf.FileError{File: file, Msg: `empty file: a meter definitions file needs a "metric" list`}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &conf.FileError{File: file, Line: root.Line, Column: root.Column, Msg: `a meter definitions file must be a mapping with a "metric" list, not ` + conf.YAMLKind(root)}
	}
	pairs, _, err := conf.YAMLMapping(root)
	if err != nil {
		return nil, &conf.FileError{File: file, Line: root.Line, Column: root.Column, Msg: err.Error()}
	}
	for _, p := range pairs {
		if p.Key.Kind == yaml.ScalarNode && p.Key.Value == "metric" && conf.PyYAMLTag(p.Key) == "!!str" {
			v := conf.ResolveYAML(p.Value)
			if v == nil || v.Kind != yaml.SequenceNode {
				return nil, &conf.FileError{File: file, Line: p.Key.Line, Column: p.Key.Column, Path: "metric", Msg: "must be a list of meter definitions, not " + conf.YAMLKind(v)}
			}
			return v, nil
		}
	}
	return nil, &conf.FileError{File: file, Line: root.Line, Column: root.Column, Msg: `no "metric" list`}
}

// nameAndVolume returns a definition's name and volume values.
func nameAndVolume(node *yaml.Node) (name, volume pyjson.Value, err error) {
	pairs, _, err := conf.YAMLMapping(node)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range pairs {
		if p.Key.Kind != yaml.ScalarNode || conf.PyYAMLTag(p.Key) != "!!str" {
			continue
		}
		switch p.Key.Value {
		case "name":
			if name, err = pyval.FromYAML(p.Value, pyval.KeyJSON); err != nil {
				return nil, nil, err
			}
		case "volume":
			if volume, err = pyval.FromYAML(p.Value, pyval.KeyJSON); err != nil {
				return nil, nil, err
			}
		}
	}
	return name, volume, nil
}

func newEngine(defs []*definition, s Settings) *Engine {
	if s.NewID == nil {
		s.NewID = uuid.New
	}
	if s.SampleSource == "" {
		s.SampleSource = DefaultSettings().SampleSource
	}
	return &Engine{defs: defs, settings: s, fallbackUser: mustField("ctxt.user_id|ctxt.user"), fallbackProject: mustField("ctxt.project_id|ctxt.tenant_id")}
}

func mustField(expr string) *field {
	f, err := newField(expr)
	if err != nil {
		panic(fmt.Sprintf("meter: built-in expression %q: %v", expr, err))
	}
	return f
}
