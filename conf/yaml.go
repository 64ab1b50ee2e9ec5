package conf

// This file is the one place the agent decodes YAML (pipeline.yaml,
// event_pipeline.yaml, meter and event definitions). Swapping the YAML library
// means changing this file only: loaders walk the *yaml.Node trees it returns
// through the helpers below, and report problems as *FileError and Warning.
//
// Ceilometer reads these files with PyYAML's safe_load, a YAML 1.1 parser;
// gopkg.in/yaml.v3 implements YAML 1.2. The differences that matter to a
// loader are in how a plain (unquoted) scalar is typed: `yes`, `no`, `on`,
// `off` are booleans to PyYAML and strings to yaml.v3; `0755` is octal,
// `1:20` is a base-60 integer, `1e5` is a string (PyYAML wants a dot in a
// float), `2001-12-14` is a date. PyYAMLTag gives Ceilometer's view of a
// scalar so loaders can judge a file the way Ceilometer does.

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Position locates a YAML node: the file, the node's line and column (1-based,
// 0 when unknown) and its key path, such as "sinks[1].publishers[0]". Loaders
// keep a Position in every element they build so that later stages (building
// transformers, publishers) can report errors at the right place.
type Position struct {
	File   string
	Line   int
	Column int
	Path   string
}

// NodePosition returns the position of n in file under the key path.
func NodePosition(file string, n *yaml.Node, path string) Position {
	p := Position{File: file, Path: path}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	return p
}

// Child returns the position of a node under p: the key path becomes
// p.Path + suffix (suffix like ".meters" or "[2]") and line and column are n's
// (p's own when n is nil).
func (p Position) Child(n *yaml.Node, suffix string) Position {
	c := Position{File: p.File, Line: p.Line, Column: p.Column, Path: p.Path + suffix}
	if n != nil {
		c.Line, c.Column = n.Line, n.Column
	}
	return c
}

// Key returns the position of the value of key in the mapping at p: the
// path p.Path + "." + key (just key at the top), at n's line and column (p's
// when n is nil).
func (p Position) Key(n *yaml.Node, key string) Position {
	if p.Path == "" {
		c := p.Child(n, key)
		return c
	}
	return p.Child(n, "."+key)
}

// Index returns the position of the i-th entry of the list at p: the path
// p.Path + "[i]", at n's line and column (p's when n is nil).
func (p Position) Index(n *yaml.Node, i int) Position {
	return p.Child(n, "["+strconv.Itoa(i)+"]")
}

// Errorf returns a *FileError at p whose message is the formatted text.
func (p Position) Errorf(format string, args ...any) *FileError {
	return &FileError{File: p.File, Line: p.Line, Column: p.Column, Path: p.Path, Msg: fmt.Sprintf(format, args...)}
}

// Warnf returns a Warning at p whose message is the formatted text.
func (p Position) Warnf(format string, args ...any) Warning {
	return Warning{File: p.File, Line: p.Line, Column: p.Column, Path: p.Path, Msg: fmt.Sprintf(format, args...)}
}

// String prints p as file:line:col: path (the parts that are known).
func (p Position) String() string {
	s := (&FileError{File: p.File, Line: p.Line, Column: p.Column, Path: p.Path}).Error()
	return strings.TrimSuffix(s, ": ")
}

// Warning is a problem that does not stop a file from loading: a key the agent
// (like Ceilometer) ignores, a value Ceilometer reads differently, a
// deprecated spelling. It prints like a FileError.
type Warning struct {
	File   string
	Line   int
	Column int
	Path   string
	Msg    string
}

// String prints w as file:line:col: path: msg.
func (w Warning) String() string {
	return (&FileError{File: w.File, Line: w.Line, Column: w.Column, Path: w.Path, Msg: w.Msg}).Error()
}

// JoinErrors joins errs with errors.Join after ordering the *FileError among
// them by file, line and column (stable, so equal positions keep their order),
// so that a long report reads top to bottom. Nil errors are dropped; it
// returns nil when none is left.
func JoinErrors(errs []error) error {
	errs = slices.DeleteFunc(slices.Clone(errs), func(e error) bool { return e == nil })
	if len(errs) == 0 {
		return nil
	}
	// Errors without a position sort first, in their original order.
	pos := func(e error) (string, int, int) {
		var fe *FileError
		if errors.As(e, &fe) {
			return fe.File, fe.Line, fe.Column
		}
		return "", 0, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		fa, la, ca := pos(a)
		fb, lb, cb := pos(b)
		return cmp.Or(cmp.Compare(fa, fb), cmp.Compare(la, lb), cmp.Compare(ca, cb))
	})
	return errors.Join(errs...)
}

// SortWarnings orders ws by file, line and column, keeping the order of
// warnings at the same position.
func SortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// yamlLineError matches yaml.v3's syntax error text, "yaml: line 3: did not find
// expected key".
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// DecodeYAML parses data, the contents of file, as a single YAML document and
// returns its root node: the document's content, never a DocumentNode. It
// returns nil and no error for an empty document (no bytes, only comments, or
// a bare "---"); a document that is an explicit null ("~", "null") is returned
// as that scalar. Like PyYAML's safe_load, it rejects a stream holding more
// than one document. Errors are *FileError with the line yaml.v3 reports.
//
// The returned tree is yaml.v3's: aliases are left as AliasNode (use
// ResolveYAML) and may even point at an ancestor, so walkers must not recurse
// through aliases without a bound.
func DecodeYAML(file string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 has panicked on hostile input before (CVE-2022-28948); a
		// configuration file must never crash the agent.
		if r := recover(); r != nil {
			root, err = nil, &FileError{File: file, Msg: fmt.Sprintf("yaml: invalid document (%v)", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(file, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(file, err)
	default:
		// PyYAML: "expected a single document in the stream ... but found
		// another document".
		return nil, &FileError{File: file, Line: next.Line, Column: next.Column, Msg: "expected a single document in the stream, but found another document"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" && root.Value == "" && root.Style == 0 {
		// "---" with nothing after it.
		return nil, nil
	}
	var errs []error
	checkTags(file, root, &errs)
	if len(errs) > 0 {
		return nil, JoinErrors(errs)
	}
	return root, nil
}

// safeTags are the tags PyYAML's SafeLoader constructs; any other tag makes
// yaml.safe_load, and so Ceilometer, fail on the file.
var safeTags = map[string]bool{
	"!!null": true, "!!bool": true, "!!int": true, "!!float": true, "!!binary": true,
	"!!timestamp": true, "!!omap": true, "!!pairs": true, "!!set": true, "!!str": true,
	"!!seq": true, "!!map": true, "!!merge": true,
}

// maxTagErrors caps the unknown-tag errors reported for one file.
const maxTagErrors = 20

// checkTags reports every node (up to maxTagErrors) carrying a tag PyYAML's
// SafeLoader cannot construct, such as an unquoted "!cpu" meant as a meter
// exclusion. Aliases are not followed: their targets are checked where they
// are defined.
func checkTags(file string, n *yaml.Node, errs *[]error) {
	if n == nil || n.Kind == yaml.AliasNode || len(*errs) >= maxTagErrors {
		return
	}
	if t := n.ShortTag(); !safeTags[t] {
		msg := fmt.Sprintf("could not determine a constructor for the tag '%s'", t)
		if n.Kind == yaml.ScalarNode && strings.HasPrefix(t, "!") && !strings.HasPrefix(t, "!!") {
			msg += fmt.Sprintf(" (quote %q if it is meant as text)", t+n.Value)
		}
		*errs = append(*errs, &FileError{File: file, Line: n.Line, Column: n.Column, Msg: msg})
	}
	for _, c := range n.Content {
		checkTags(file, c, errs)
	}
}

// yamlError converts a yaml.v3 error into a *FileError.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		errs := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			errs = append(errs, lineError(file, "yaml: "+msg))
		}
		return JoinErrors(errs)
	}
	return lineError(file, err.Error())
}

// yamlParserProblems are the messages of libyaml's parser (as opposed to its
// scanner): for them yaml.v3 prints a 0-based line number.
var yamlParserProblems = []string{
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
}

// lineError turns yaml.v3's message into a *FileError. yaml.v3 reports the line
// of the construct being parsed (where an unclosed "[" began, say) rather than
// the offending token, so the line is a good hint, not always the exact spot.
func lineError(file, msg string) *FileError {
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if slices.Contains(yamlParserProblems, m[2]) {
			line++
		}
		return &FileError{File: file, Line: line, Msg: m[2]}
	}
	return &FileError{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// DecodeYAMLStrict decodes data, the contents of file, into v (a pointer) with
// unknown keys rejected (yaml.v3's KnownFields), for files whose every key is
// the agent's own. An empty document leaves v unchanged, so fill v with its
// defaults first. Errors are *FileError, joined, one per problem yaml.v3
// reports, with its line.
func DecodeYAMLStrict(file string, data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &FileError{File: file, Msg: fmt.Sprintf("yaml: invalid document (%v)", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return yamlError(file, err)
	}
	return nil
}

// ResolveYAML follows n through aliases to the node it stands for. It
// returns nil only for nil. (An alias never names another alias in YAML, so
// the loop is bounded only as a precaution; past the bound the alias itself
// is returned.)
func ResolveYAML(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// YAMLPair is one entry of a mapping as PyYAML builds it: the key node and the
// value node (both alias-resolved).
type YAMLPair struct {
	Key   *yaml.Node
	Value *yaml.Node
}

// maxMergeDepth bounds how deeply merge keys may nest, and maxMergePairs how
// many entries one mapping may collect through them (billion-laughs style
// documents and merge cycles).
const (
	maxMergeDepth = 64
	maxMergePairs = 100000
)

// YAMLMapping returns the entries of the mapping n (alias-resolved) the way
// PyYAML's SafeLoader builds a dict:
//
//   - merge keys ("<<: *anchor" or "<<: [*a, *b]") are expanded; keys written
//     in the mapping override merged ones, and in a merge list the earlier
//     mapping wins;
//   - a key written twice keeps its last value (PyYAML does not complain); the
//     earlier key nodes are returned in dups so a loader can warn;
//   - entries come in first-appearance order.
//
// It returns an error when n is not a mapping or a merge value is not a
// mapping or a list of mappings (PyYAML: "expected a mapping or list of
// mappings for merging").
func YAMLMapping(n *yaml.Node) (pairs []YAMLPair, dups []*yaml.Node, err error) {
	n = ResolveYAML(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil, errors.New("expected a mapping")
	}
	budget := maxMergePairs
	flat, dups, err := flattenMapping(n, 0, &budget, map[*yaml.Node]bool{})
	if err != nil {
		return nil, nil, err
	}
	index := make(map[string]int, len(flat))
	pairs = make([]YAMLPair, 0, len(flat))
	for _, p := range flat {
		k := mapKey(p.Key)
		if i, ok := index[k]; ok {
			pairs[i].Value = p.Value
			continue
		}
		index[k] = len(pairs)
		pairs = append(pairs, p)
	}
	return pairs, dups, nil
}

// mapKey identifies a key the way a Python dict would: by PyYAML type and text.
// (Values of different spellings that Python would consider equal, such as
// 1 and 0x1, are rare enough in key position to ignore.)
func mapKey(k *yaml.Node) string {
	if k.Kind != yaml.ScalarNode {
		return fmt.Sprintf("\x00node %p", k)
	}
	return PyYAMLTag(k) + "\x00" + k.Value
}

// flattenMapping returns n's pairs, merged mappings first, as PyYAML's
// flatten_mapping orders them, and the explicit keys that a later explicit key
// repeats. A mapping that merges one it is itself being merged into (a cycle)
// gets that mapping's own keys only: PyYAML has removed the merge keys from a
// mapping by the time it recurses, so it does the same.
func flattenMapping(n *yaml.Node, depth int, budget *int, visiting map[*yaml.Node]bool) (out []YAMLPair, dups []*yaml.Node, err error) {
	if depth > maxMergeDepth {
		return nil, nil, errors.New("merge keys nest too deeply")
	}
	visiting[n] = true
	defer delete(visiting, n)
	var merged, own []YAMLPair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := ResolveYAML(n.Content[i]), ResolveYAML(n.Content[i+1])
		if k == nil || v == nil {
			return nil, nil, errors.New("alias chain does not end")
		}
		if *budget--; *budget < 0 {
			return nil, nil, errors.New("document contains excessive aliasing")
		}
		if k.Kind == yaml.ScalarNode && PyYAMLTag(k) == "!!merge" {
			var subs []*yaml.Node
			switch v.Kind {
			case yaml.MappingNode:
				subs = []*yaml.Node{v}
			case yaml.SequenceNode:
				for j := len(v.Content) - 1; j >= 0; j-- {
					s := ResolveYAML(v.Content[j])
					if s == nil || s.Kind != yaml.MappingNode {
						return nil, nil, fmt.Errorf("line %d: expected a mapping for merging", v.Line)
					}
					subs = append(subs, s)
				}
			default:
				return nil, nil, fmt.Errorf("line %d: expected a mapping or list of mappings for merging", v.Line)
			}
			for _, s := range subs {
				if visiting[s] {
					merged = append(merged, ownPairs(s)...)
					continue
				}
				sp, _, err := flattenMapping(s, depth+1, budget, visiting)
				if err != nil {
					return nil, nil, err
				}
				merged = append(merged, sp...)
			}
			continue
		}
		key := mapKey(k)
		if prev, ok := seen[key]; ok {
			dups = append(dups, prev)
		}
		seen[key] = k
		own = append(own, YAMLPair{Key: k, Value: v})
	}
	return append(merged, own...), dups, nil
}

// ownPairs returns the entries written in n itself, merge keys left out.
func ownPairs(n *yaml.Node) []YAMLPair {
	var out []YAMLPair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := ResolveYAML(n.Content[i]), ResolveYAML(n.Content[i+1])
		if k == nil || v == nil || (k.Kind == yaml.ScalarNode && PyYAMLTag(k) == "!!merge") {
			continue
		}
		out = append(out, YAMLPair{Key: k, Value: v})
	}
	return out
}

// PyYAML's implicit resolvers (yaml/resolver.py), YAML 1.1.
var (
	pyBool      = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	pyFloat     = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	pyInt       = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	pyNull      = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	pyTimestamp = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// PyYAMLTag returns the short tag ("!!str", "!!bool", "!!int", "!!float",
// "!!null", "!!timestamp", "!!merge", "!!value", "!!seq", "!!map") that
// PyYAML's SafeLoader, and so Ceilometer, gives n (alias-resolved): an
// explicit tag or a quoted or block scalar keeps yaml.v3's view; a plain
// scalar is typed by PyYAML's YAML 1.1 rules.
func PyYAMLTag(n *yaml.Node) string {
	n = ResolveYAML(n)
	if n == nil {
		return "!!null"
	}
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.ShortTag()
	}
	v := n.Value
	switch {
	case pyNull.MatchString(v):
		return "!!null"
	case pyBool.MatchString(v):
		return "!!bool"
	case pyInt.MatchString(v):
		return "!!int"
	case pyFloat.MatchString(v):
		return "!!float"
	case pyTimestamp.MatchString(v):
		return "!!timestamp"
	case v == "<<":
		return "!!merge"
	case v == "=":
		return "!!value"
	}
	return "!!str"
}

// YAMLKind names n's kind for messages, in the operator's terms ("a list",
// "a mapping", "a string", "null", "a boolean", ...), as Ceilometer (PyYAML)
// reads it.
func YAMLKind(n *yaml.Node) string {
	n = ResolveYAML(n)
	if n == nil {
		return "null"
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	switch PyYAMLTag(n) {
	case "!!str":
		return "a string"
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!timestamp":
		return "a date"
	case "!!binary":
		return "binary data"
	}
	if t := n.Tag; strings.HasPrefix(t, "!") && !strings.HasPrefix(t, "!!") {
		// Typically an unquoted "!name" exclusion, which YAML reads as a tag.
		return fmt.Sprintf("a value with the YAML tag %s (quote %q if it is meant as text)", t, t+n.Value)
	}
	return "a " + strings.TrimPrefix(n.ShortTag(), "!!") + " value"
}
