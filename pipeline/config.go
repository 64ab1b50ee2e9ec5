package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/conf"
)

// This file loads and validates pipeline.yaml and event_pipeline.yaml in the
// decoupled sources/sinks shape that Ceilometer has read since Juno (the
// shape of every mitaka and Zed file):
//
//	sources:
//	  - name: meter_source
//	    meters: ["*"]          # events: for an event pipeline
//	    sinks: [meter_sink]
//	sinks:
//	  - name: meter_sink
//	    transformers: [...]    # mitaka; carried for the transformer stage
//	    publishers: [notifier://]
//
// The rules are Ceilometer's (ceilometer/pipeline/base.py, sample.py,
// event.py and agent.py in Ceilometer 19; ceilometer/pipeline.py at
// mitaka-eol), checked all at once: every problem is reported, each with
// file:line:col and its YAML key path. A file Ceilometer accepts is never
// rejected: what Ceilometer ignores (polling-only keys, unknown keys) loads
// with a Warning. Files read by PyYAML differently from yaml.v3 (YAML 1.1
// booleans such as `on`) are judged the way Ceilometer reads them.

// Kind tells a sample pipeline file (pipeline.yaml) from an event pipeline
// file (event_pipeline.yaml).
type Kind int

const (
	// KindSample is a pipeline.yaml: sources filter samples by `meters`.
	KindSample Kind = iota + 1
	// KindEvent is an event_pipeline.yaml: sources filter events by `events`.
	KindEvent
)

// String returns "sample" or "event".
func (k Kind) String() string {
	switch k {
	case KindSample:
		return "sample"
	case KindEvent:
		return "event"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// filterKey is the source key holding the name filter: "meters" or "events".
func (k Kind) filterKey() string {
	if k == KindEvent {
		return "events"
	}
	return "meters"
}

// Config is a loaded and validated pipeline definition file. Every source
// names at least one sink and every sink it names exists; names are unique.
// A Config is not modified after loading and may be shared between
// goroutines.
type Config struct {
	File string
	Kind Kind
	// Sources and Sinks are in file order.
	Sources []*SourceConfig
	Sinks   []*SinkConfig
	// Pipelines couples each source with each sink it names, in Ceilometer's
	// order (sources in file order, then the source's sinks in order).
	Pipelines []*PipelineConfig
}

// Source returns the source called name, or nil.
func (c *Config) Source(name string) *SourceConfig {
	for _, s := range c.Sources {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Sink returns the sink called name, or nil.
func (c *Config) Sink(name string) *SinkConfig {
	for _, s := range c.Sinks {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// SourceConfig is one entry of `sources`: which samples (meters) or events
// it lets through, and the sinks it feeds.
type SourceConfig struct {
	Name string
	// Names is the `meters` list (`events` for an event pipeline) as
	// written: names, fnmatch patterns, "*", and "!pattern" exclusions.
	Names []string
	// Sinks are the names of the sinks the source feeds, in order.
	Sinks []string
	Pos   conf.Position

	filter *NameFilter
	id     string          // the name as Python compares it (see nameID)
	refIDs []string        // Sinks as Python compares them
	refPos []conf.Position // where each of Sinks is written
}

// Match reports whether the source lets the sample meter (or event type)
// called name through, with Ceilometer's Source.is_supported semantics
// (see NameFilter). It is safe for concurrent use.
func (s *SourceConfig) Match(name string) bool {
	if s.filter == nil {
		return false
	}
	return s.filter.Match(name)
}

// SinkConfig is one entry of `sinks`: a chain of transformers ending in
// publishers.
type SinkConfig struct {
	Name string
	// Transformers are the mitaka transformer entries in order; their
	// parameters are checked by the transformer stage, not here. Event
	// pipelines never apply transformers (a warning says so).
	Transformers []TransformerConfig
	// Publishers has at least one entry.
	Publishers []PublisherConfig
	Pos        conf.Position

	id string // the name as Python compares it (see nameID)
}

// TransformerConfig is one entry of a sink's `transformers`.
type TransformerConfig struct {
	// Name is the transformer's name as written (e.g. "rate_of_change").
	Name string
	// Parameters is the `parameters` mapping (aliases resolved), or nil when
	// absent or null. It is left as a YAML node so that the transformer stage
	// can decode it and report errors with ParametersPos.
	Parameters    *yaml.Node
	ParametersPos conf.Position
	Pos           conf.Position
}

// PublisherConfig is one entry of a sink's `publishers`.
type PublisherConfig struct {
	// URL is the publisher URL, with "://" appended when the entry has none,
	// as Ceilometer does for the old "notifier" spelling. Whether its scheme
	// names a known publisher is for the publisher stage (Ceilometer logs an
	// unknown one and carries on).
	URL string
	Pos conf.Position
}

// PipelineConfig couples a source with one of its sinks.
type PipelineConfig struct {
	// Name is Ceilometer's pipeline name: "source:sink", or just the name
	// when source and sink share it; event pipelines get an "event:" prefix.
	Name   string
	Source *SourceConfig
	Sink   *SinkConfig
	// Pos is where the source names the sink.
	Pos conf.Position
}

// LoadSampleConfig loads data, the contents of file (used in messages only),
// as a sample pipeline definition (pipeline.yaml). It returns the config and
// the warnings, or nil, the warnings so far and every error found, joined;
// each error is a *conf.FileError. An empty file is an error, as it is for
// Ceilometer (which fails on it); finding the file, and falling back to the
// built-in one when there is none, is the caller's job.
func LoadSampleConfig(file string, data []byte) (*Config, []conf.Warning, error) {
	return load(file, data, KindSample)
}

// LoadEventConfig is LoadSampleConfig for an event pipeline definition
// (event_pipeline.yaml): sources filter by `events`, sinks' transformers are
// ignored with a warning, and pipeline names start with "event:".
func LoadEventConfig(file string, data []byte) (*Config, []conf.Warning, error) {
	return load(file, data, KindEvent)
}

// loader collects the errors and warnings of one load.
type loader struct {
	file  string
	kind  Kind
	errs  []error
	warns []conf.Warning
}

func (l *loader) errorf(p conf.Position, format string, args ...any) {
	l.errs = append(l.errs, p.Errorf(format, args...))
}

func (l *loader) warnf(p conf.Position, format string, args ...any) {
	l.warns = append(l.warns, p.Warnf(format, args...))
}

func load(file string, data []byte, kind Kind) (*Config, []conf.Warning, error) {
	l := &loader{file: file, kind: kind}
	root, err := conf.DecodeYAML(file, data)
	if err != nil {
		return nil, nil, err
	}
	cfg := l.config(root)
	conf.SortWarnings(l.warns)
	if len(l.errs) > 0 {
		return nil, l.warns, conf.JoinErrors(l.errs)
	}
	return cfg, l.warns, nil
}

// config checks the top level: a mapping with both sources and sinks
// (base.py: "Both sources & sinks are required").
func (l *loader) config(root *yaml.Node) *Config {
	top := conf.NodePosition(l.file, root, "")
	root = conf.ResolveYAML(root)
	if root == nil || conf.PyYAMLTag(root) == "!!null" {
		l.errorf(top, "Both sources & sinks are required (the file is empty)")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.errorf(top, "Both sources & sinks are required (the file holds %s, not a mapping)", conf.YAMLKind(root))
		return nil
	}
	var sourcesN, sinksN *yaml.Node
	var sourcesK, sinksK *yaml.Node
	for _, kv := range l.mapping(root, top) {
		switch key(kv.Key) {
		case "sources":
			sourcesN, sourcesK = kv.Value, kv.Key
		case "sinks":
			sinksN, sinksK = kv.Value, kv.Key
		default:
			l.unknownKey(top, kv.Key)
		}
	}
	switch {
	case sourcesN == nil && sinksN == nil:
		l.errorf(top, "Both sources & sinks are required")
		return nil
	case sourcesN == nil:
		l.errorf(top, "Both sources & sinks are required (sources is missing)")
		return nil
	case sinksN == nil:
		l.errorf(top, "Both sources & sinks are required (sinks is missing)")
		return nil
	}
	cfg := &Config{File: l.file, Kind: l.kind}
	sinkPos := top.Key(sinksK, "sinks")
	for i, n := range l.items(sinksN, sinkPos) {
		if s := l.sink(n, sinkPos, i); s != nil {
			cfg.Sinks = append(cfg.Sinks, s)
		}
	}
	sourcePos := top.Key(sourcesK, "sources")
	for i, n := range l.items(sourcesN, sourcePos) {
		if s := l.source(n, sourcePos, i); s != nil {
			cfg.Sources = append(cfg.Sources, s)
		}
	}
	l.unique(cfg)
	l.pipelines(cfg)
	return cfg
}

// key returns the text of a mapping key that Ceilometer reads as a string, or
// "" (no key of ours) for any other key.
func key(k *yaml.Node) string {
	if k.Kind != yaml.ScalarNode || conf.PyYAMLTag(k) != "!!str" {
		return ""
	}
	return k.Value
}

// mapping returns n's entries as PyYAML builds them, warning about repeated
// keys.
func (l *loader) mapping(n *yaml.Node, p conf.Position) []conf.YAMLPair {
	pairs, dups, err := conf.YAMLMapping(n)
	if err != nil {
		l.errorf(p, "%v", err)
		return nil
	}
	for _, d := range dups {
		l.warnf(p.Key(d, d.Value), "key is repeated in this mapping; the last value is used (as Ceilometer does)")
	}
	return pairs
}

func (l *loader) unknownKey(p conf.Position, k *yaml.Node) {
	l.warnf(p.Key(k, k.Value), "unknown key, ignored (Ceilometer ignores it too)")
}

// items returns the entries of `sources` or `sinks`, which Ceilometer iterates
// and reads each entry of as a mapping.
func (l *loader) items(n *yaml.Node, p conf.Position) []*yaml.Node {
	n = conf.ResolveYAML(n)
	switch {
	case n.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			out[i] = conf.ResolveYAML(c)
		}
		return out
	case n.Kind == yaml.ScalarNode && conf.PyYAMLTag(n) == "!!str" && n.Value == "",
		n.Kind == yaml.MappingNode && len(n.Content) == 0:
		// Python iterates an empty string or dict without complaint.
		l.warnf(p, "is %s, not a list; read as an empty list", conf.YAMLKind(n))
		return nil
	}
	l.errorf(p, "must be a list of mappings, not %s", conf.YAMLKind(n))
	return nil
}

// field is one recognised key of a source or sink mapping.
type field struct {
	key, value *yaml.Node
}

// fields splits a source or sink mapping into the keys it knows and warns
// about the others. known maps a key to an optional warning text.
func (l *loader) fields(n *yaml.Node, p conf.Position, known map[string]string) map[string]field {
	out := map[string]field{}
	for _, kv := range l.mapping(n, p) {
		k := key(kv.Key)
		msg, ok := known[k]
		if !ok {
			l.unknownKey(p, kv.Key)
			continue
		}
		if msg != "" {
			l.warnf(p.Key(kv.Key, k), "%s", msg)
		}
		out[k] = field{kv.Key, kv.Value}
	}
	return out
}

// peekName returns the text of a mapping's name when it is a plain string,
// for naming the entry in paths before its fields are read.
func peekName(n *yaml.Node) string {
	pairs, _, err := conf.YAMLMapping(n)
	if err != nil {
		return ""
	}
	for _, kv := range pairs {
		if key(kv.Key) == "name" {
			v := conf.ResolveYAML(kv.Value)
			if v.Kind == yaml.ScalarNode {
				return pyText(v)
			}
		}
	}
	return ""
}

// entryPos names the i-th entry of list by its name when it has a usable one
// (sources[meter_source]), else by its index (sources[2]).
func entryPos(list conf.Position, n *yaml.Node, i int, name string) conf.Position {
	if name != "" {
		return list.Child(n, "["+name+"]")
	}
	return list.Index(n, i)
}

// name reads the `name` field. Ceilometer requires the key ("Required field
// name not specified") and uses whatever value it holds; a non-string scalar
// is accepted with a warning under Python's str() of it.
func (l *loader) name(fs map[string]field, entry conf.Position) (name, id string, ok bool) {
	f, ok := fs["name"]
	if !ok {
		l.errorf(entry, "Required field name not specified")
		return "", "", false
	}
	return l.scalarText(f.value, entry.Key(f.value, "name"), "name")
}

// scalarText reads a name or a sink reference: Ceilometer compares and
// prints them, so any scalar works; a list or mapping is unhashable in Python
// and fails. It returns the name as Python prints it and its nameID.
func (l *loader) scalarText(n *yaml.Node, p conf.Position, what string) (text, id string, ok bool) {
	n = conf.ResolveYAML(n)
	if n.Kind != yaml.ScalarNode {
		l.errorf(p, "%s must be a string, not %s", what, conf.YAMLKind(n))
		return "", "", false
	}
	text, id = pyText(n), nameID(n)
	switch conf.PyYAMLTag(n) {
	case "!!str":
		if n.Value == "" {
			l.warnf(p, "%s is an empty string", what)
		}
	case "!!null":
		l.warnf(p, "%s is null, not a string; Ceilometer reads it as None", what)
	case "!!bool":
		l.warnf(p, "%s %q is a boolean to Ceilometer (YAML 1.1), read as %s; quote it", what, n.Value, text)
	default:
		l.warnf(p, "%s %q is %s to Ceilometer, not a string; quote it", what, n.Value, conf.YAMLKind(n))
	}
	return text, id, true
}

// nameID is the identity Python gives a name or sink reference when it
// compares them: a string is its text, anything else its type and value, so
// that the integer 5 and the string "5" differ as they do for Ceilometer.
func nameID(n *yaml.Node) string {
	tag := conf.PyYAMLTag(n)
	switch tag {
	case "!!str":
		return n.Value
	case "!!int":
		if v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return "\x00int\x00" + strconv.FormatInt(v, 10)
		}
	}
	return "\x00" + tag + "\x00" + pyText(n)
}

// pyText is Python's str() of the scalar n as PyYAML reads it, for the
// types a name is likely to take by accident (null, booleans); other scalars
// keep their text.
func pyText(n *yaml.Node) string {
	switch conf.PyYAMLTag(n) {
	case "!!null":
		return "None"
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "yes", "true", "on":
			return "True"
		}
		return "False"
	}
	return n.Value
}

// stringList reads a list of strings (meters, events, publishers): each
// entry must be a string, as Ceilometer indexes or searches it. Where Python
// would iterate something other than a list (the characters of a string, the
// keys of a mapping) so does this, with a warning. The caller handles null.
func (l *loader) stringList(n *yaml.Node, p conf.Position) (vals []string, poss []conf.Position, ok bool) {
	n = conf.ResolveYAML(n)
	var entries []*yaml.Node
	switch {
	case n.Kind == yaml.SequenceNode:
		entries = n.Content
	case n.Kind == yaml.MappingNode:
		l.warnf(p, "is a mapping, not a list; Ceilometer reads it as the list of its keys")
		for _, kv := range l.mapping(n, p) {
			entries = append(entries, kv.Key)
		}
	case n.Kind == yaml.ScalarNode && conf.PyYAMLTag(n) == "!!str":
		l.warnf(p, "is a string, not a list; Ceilometer reads it as the list of its characters (write [%s] for a one-entry list)", strconv.Quote(n.Value))
		for _, r := range n.Value {
			vals = append(vals, string(r))
			poss = append(poss, p)
		}
		return vals, poss, true
	default:
		l.errorf(p, "must be a list of strings, not %s", conf.YAMLKind(n))
		return nil, nil, false
	}
	ok = true
	for i, e := range entries {
		e = conf.ResolveYAML(e)
		ep := p.Index(e, i)
		if e.Kind != yaml.ScalarNode || conf.PyYAMLTag(e) != "!!str" {
			if e.Kind == yaml.ScalarNode && e.ShortTag() == "!!str" {
				l.errorf(ep, "must be a string, but Ceilometer (YAML 1.1) reads %q as %s; quote it", e.Value, conf.YAMLKind(e))
			} else {
				l.errorf(ep, "must be a string, not %s", conf.YAMLKind(e))
			}
			ok = false
			continue
		}
		vals = append(vals, e.Value)
		poss = append(poss, ep)
	}
	return vals, poss, ok
}

// pollingOnly is the warning for the mitaka source keys that only the polling
// agent read.
const pollingOnly = "only the polling agent uses this key; the notification agent ignores it"

// source reads one entry of `sources` (agent.Source, base.PipelineSource,
// sample.SampleSource / event.EventSource; mitaka pipeline.SampleSource).
// Problems are recorded in l; the source is returned whenever it has a name,
// so that names can be checked for uniqueness and references resolved even
// in a file with errors (which then yields no Config).
func (l *loader) source(n *yaml.Node, list conf.Position, i int) *SourceConfig {
	p := entryPos(list, n, i, "")
	if n.Kind != yaml.MappingNode {
		l.errorf(p, "must be a mapping, not %s", conf.YAMLKind(n))
		return nil
	}
	known := map[string]string{"name": "", "sinks": ""}
	filterKey := l.kind.filterKey()
	known[filterKey] = ""
	if l.kind == KindSample {
		known["counters"] = ""
		known["interval"] = pollingOnly
		known["resources"] = pollingOnly
		known["discovery"] = pollingOnly
	}
	p = entryPos(list, n, i, peekName(n))
	fs := l.fields(n, p, known)
	name, id, named := l.name(fs, p)
	src := &SourceConfig{Name: name, Pos: p, id: id}

	// The filter: meters (sample.py: "Missing meters value"; mitaka also
	// took the older `counters`), events (event.py: cfg.get, so missing is
	// "No events specified").
	f, has := fs[filterKey]
	if c, hasCounters := fs["counters"]; hasCounters {
		if has {
			l.warnf(p.Key(c.key, "counters"), "counters is the mitaka spelling of meters; ignored because meters is given")
		} else {
			l.warnf(p.Key(c.key, "counters"), "counters is the mitaka spelling of meters; Ceilometer 19 rejects it (Missing meters value): rename it to meters")
			f, has = c, true
		}
	}
	if !has && l.kind == KindSample {
		l.errorf(p, "Missing meters value")
	} else {
		fp := p
		if has {
			fp = p.Key(f.key, key(f.key))
		}
		l.filter(src, f, fp)
	}

	// The sinks (base.py: "Required field sinks not specified"; mitaka:
	// "No sink defined in source"). The references are checked once all
	// sinks are known.
	if sk, has := fs["sinks"]; !has {
		l.errorf(p, "Required field sinks not specified")
	} else {
		l.sinkRefs(src, sk, p.Key(sk.key, "sinks"))
	}
	if !named {
		return nil
	}
	return src
}

// filter applies agent.Source.check_source_filtering to the meters/events list
// and compiles it. f is the zero field when the key is absent.
func (l *loader) filter(src *SourceConfig, f field, p conf.Position) bool {
	what := l.kind.filterKey()
	if f.value == nil || conf.PyYAMLTag(f.value) == "!!null" {
		l.errorf(p, "No %s specified", what)
		return false
	}
	names, poss, ok := l.stringList(f.value, p)
	if ok && len(names) == 0 {
		l.errorf(p, "No %s specified", what)
		return false
	}
	// Entries that are not strings were reported by stringList; check the
	// others too so that every problem shows.
	included, excluded, wildcard := -1, -1, false
	for i, s := range names {
		switch {
		case s == "":
			// Python fails on ""[0]; Ceilometer cannot use the file.
			l.errorf(poss[i], "must not be an empty string")
			ok = false
		case s[0] == '!':
			if excluded < 0 {
				excluded = i
			}
		case s[0] == '*':
			wildcard = wildcard || s == "*"
		default:
			if included < 0 {
				included = i
			}
		}
	}
	if !ok {
		return false
	}
	if included >= 0 && excluded >= 0 {
		l.errorf(p, "Both included and excluded %s specified (%q and %q); list only names to keep, or \"*\" and names to drop", what, names[included], names[excluded])
		return false
	}
	if wildcard && included >= 0 {
		l.errorf(p, "Included %s specified with wildcard (%q with \"*\"); \"*\" already includes every name", what, names[included])
		return false
	}
	src.Names = names
	src.filter = NewNameFilter(names)
	return true
}

// sinkRefs reads a source's `sinks` list of sink names.
func (l *loader) sinkRefs(src *SourceConfig, f field, p conf.Position) bool {
	n := conf.ResolveYAML(f.value)
	if conf.PyYAMLTag(n) == "!!null" {
		l.errorf(p, "No sink defined in source %s", src.Name)
		return false
	}
	var refs []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		refs = n.Content
	case yaml.ScalarNode:
		if conf.PyYAMLTag(n) != "!!str" {
			l.errorf(p, "must be a list of sink names, not %s", conf.YAMLKind(n))
			return false
		}
		// Python iterates the characters: each one must be a sink name.
		l.warnf(p, "is a string, not a list; Ceilometer reads it as the list of its characters (write [%s] for a one-entry list)", strconv.Quote(n.Value))
		for _, r := range n.Value {
			src.Sinks = append(src.Sinks, string(r))
			src.refIDs = append(src.refIDs, string(r))
			src.refPos = append(src.refPos, p)
		}
	case yaml.MappingNode:
		l.warnf(p, "is a mapping, not a list; Ceilometer reads it as the list of its keys")
		for _, kv := range l.mapping(n, p) {
			refs = append(refs, kv.Key)
		}
	}
	ok := true
	for i, r := range refs {
		r = conf.ResolveYAML(r)
		rp := p.Index(r, i)
		name, id, good := l.scalarText(r, rp, "sink name")
		if !good {
			ok = false
			continue
		}
		src.Sinks = append(src.Sinks, name)
		src.refIDs = append(src.refIDs, id)
		src.refPos = append(src.refPos, rp)
	}
	if ok && len(src.Sinks) == 0 {
		l.errorf(p, "No sink defined in source %s", src.Name)
		return false
	}
	return ok
}

// sink reads one entry of `sinks` (base.Sink; mitaka pipeline.Sink). Like
// source, it returns the sink whenever it has a name.
func (l *loader) sink(n *yaml.Node, list conf.Position, i int) *SinkConfig {
	p := entryPos(list, n, i, "")
	if n.Kind != yaml.MappingNode {
		l.errorf(p, "must be a mapping, not %s", conf.YAMLKind(n))
		return nil
	}
	p = entryPos(list, n, i, peekName(n))
	fs := l.fields(n, p, map[string]string{"name": "", "publishers": "", "transformers": ""})
	name, id, ok := l.name(fs, p)
	snk := &SinkConfig{Name: name, Pos: p, id: id}

	// base.py: `if not cfg.get('publishers')`: missing, null and empty all
	// fail the same way.
	pf, has := fs["publishers"]
	pp := p
	if has {
		pp = p.Key(pf.key, "publishers")
	}
	if !has || isFalsy(pf.value) {
		l.errorf(pp, "No publisher specified")
	} else {
		urls, poss, _ := l.stringList(pf.value, pp)
		for j, u := range urls {
			if !strings.Contains(u, "://") {
				u += "://" // "Support old format without URL"
			}
			snk.Publishers = append(snk.Publishers, PublisherConfig{URL: u, Pos: poss[j]})
		}
	}

	if tf, has := fs["transformers"]; has {
		tp := p.Key(tf.key, "transformers")
		if l.transformers(snk, tf.value, tp) && l.kind == KindEvent && len(snk.Transformers) > 0 {
			l.warnf(tp, "transformers are not applied to events; ignored")
		}
	}
	if !ok {
		return nil
	}
	return snk
}

// isFalsy reports whether Python would find n's value false: null, an empty
// list, mapping or string, false, zero.
func isFalsy(n *yaml.Node) bool {
	n = conf.ResolveYAML(n)
	switch n.Kind {
	case yaml.SequenceNode, yaml.MappingNode:
		return len(n.Content) == 0
	}
	switch conf.PyYAMLTag(n) {
	case "!!null":
		return true
	case "!!str":
		return n.Value == ""
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "no", "false", "off":
			return true
		}
	case "!!int", "!!float":
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		return err == nil && v == 0
	}
	return false
}

// transformers reads a sink's mitaka `transformers` list: `cfg.get(
// 'transformers') or []`, then for each entry its `name` and `parameters`
// (a mapping, or null for none). Ceilometer 19 ignores the key; the
// parameters are validated by the transformer stage.
func (l *loader) transformers(snk *SinkConfig, n *yaml.Node, p conf.Position) bool {
	if isFalsy(n) {
		return true
	}
	n = conf.ResolveYAML(n)
	if n.Kind != yaml.SequenceNode {
		l.errorf(p, "must be a list of transformers (each with name and parameters), not %s", conf.YAMLKind(n))
		return false
	}
	ok := true
	for i, e := range n.Content {
		e = conf.ResolveYAML(e)
		ep := p.Index(e, i)
		if e.Kind != yaml.MappingNode {
			l.errorf(ep, "must be a mapping with name and parameters, not %s", conf.YAMLKind(e))
			ok = false
			continue
		}
		fs := l.fields(e, ep, map[string]string{"name": "", "parameters": ""})
		t := TransformerConfig{Pos: ep, ParametersPos: ep}
		nf, has := fs["name"]
		if !has {
			l.errorf(ep, "Required field name not specified")
			ok = false
			continue
		}
		nv := conf.ResolveYAML(nf.value)
		if nv.Kind != yaml.ScalarNode || conf.PyYAMLTag(nv) != "!!str" || nv.Value == "" {
			l.errorf(ep.Key(nv, "name"), "must be a transformer name, not %s", conf.YAMLKind(nv))
			ok = false
			continue
		}
		t.Name = nv.Value
		t.Pos = p.Child(e, "["+t.Name+"]")
		t.ParametersPos = t.Pos
		if pf, has := fs["parameters"]; has {
			pv := conf.ResolveYAML(pf.value)
			t.ParametersPos = t.Pos.Key(pf.key, "parameters")
			switch {
			case pv.Kind == yaml.MappingNode:
				t.Parameters = pv
			case isFalsy(pv):
			default:
				l.errorf(t.ParametersPos, "must be a mapping, not %s", conf.YAMLKind(pv))
				ok = false
				continue
			}
		}
		snk.Transformers = append(snk.Transformers, t)
	}
	return ok
}

// unique checks that source names and sink names are unique (base.py:
// "Duplicated source names: %s", "Duplicated sink names: %s"). A repeated
// source is dropped so that its pipelines do not add more errors.
func (l *loader) unique(cfg *Config) {
	seen := map[string]conf.Position{}
	kept := cfg.Sources[:0]
	for _, s := range cfg.Sources {
		if first, dup := seen[s.id]; dup {
			l.errorf(s.Pos, "Duplicated source names: %s (first defined at line %d)", s.Name, first.Line)
			continue
		}
		seen[s.id] = s.Pos
		kept = append(kept, s)
	}
	cfg.Sources = kept
	clear(seen)
	for _, s := range cfg.Sinks {
		if first, dup := seen[s.id]; dup {
			l.errorf(s.Pos, "Duplicated sink names: %s (first defined at line %d)", s.Name, first.Line)
			continue
		}
		seen[s.id] = s.Pos
	}
}

// pipelines resolves every source's sink references (base.py check_sinks:
// "Dangling sink %s from source %s") and builds the pipelines, whose names
// must be unique ("Duplicate pipeline name").
func (l *loader) pipelines(cfg *Config) {
	sinks := map[string]*SinkConfig{}
	for _, s := range cfg.Sinks {
		if _, dup := sinks[s.id]; !dup {
			sinks[s.id] = s
		}
	}
	used := map[*SinkConfig]bool{}
	names := map[string]bool{}
	for _, src := range cfg.Sources {
		for j, ref := range src.Sinks {
			refPos := l.refPos(src, j)
			snk, ok := sinks[src.refIDs[j]]
			if !ok {
				l.errorf(refPos, "references sink %q, which is not defined", ref)
				continue
			}
			used[snk] = true
			name := src.Name
			if src.id != snk.id {
				name = src.Name + ":" + snk.Name
			}
			if l.kind == KindEvent {
				name = "event:" + name
			}
			if names[name] {
				l.errorf(refPos, "Duplicate pipeline name: %s. Ensure pipeline names are unique. (name is the source and sink names combined)", name)
				continue
			}
			names[name] = true
			cfg.Pipelines = append(cfg.Pipelines, &PipelineConfig{Name: name, Source: src, Sink: snk, Pos: refPos})
		}
	}
	for _, s := range cfg.Sinks {
		if !used[s] && sinks[s.id] == s {
			l.warnf(s.Pos, "no source uses this sink")
		}
	}
	if len(l.errs) == 0 && len(cfg.Pipelines) == 0 {
		l.warnf(conf.Position{File: l.file}, "no pipelines are defined: nothing will be published")
	}
}

// refPos is the position of a source's j-th sink reference. The path is
// "sources[name].sinks" (the reference's line and column point at the entry).
func (l *loader) refPos(src *SourceConfig, j int) conf.Position {
	p := src.Pos.Child(nil, ".sinks")
	if j < len(src.refPos) {
		p.Line, p.Column = src.refPos[j].Line, src.refPos[j].Column
	}
	return p
}

var _ fmt.Stringer = Kind(0)
