package conf

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDecodeYAMLEmpty(t *testing.T) {
	t.Parallel()
	// PyYAML's safe_load returns None for all of these.
	for _, doc := range []string{"", "\n", "# comment only\n", "---\n", "--- # c\n...\n"} {
		root, err := DecodeYAML("f.yaml", []byte(doc))
		if err != nil || root != nil {
			t.Errorf("DecodeYAML(%q) = %v, %v; want nil, nil", doc, root, err)
		}
	}
	// An explicit null is returned as that node.
	root, err := DecodeYAML("f.yaml", []byte("~\n"))
	if err != nil || root == nil || PyYAMLTag(root) != "!!null" {
		t.Errorf("DecodeYAML(~) = %v, %v", root, err)
	}
}

func TestDecodeYAMLErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc, want string
	}{
		// PyYAML: "expected a single document in the stream ... line 3".
		{"a: 1\n---\nb: 2\n", "f.yaml:2:1: expected a single document in the stream, but found another document"},
		// Parser errors: yaml.v3 prints a 0-based line; the line of the
		// construct (here the unclosed "[" of line 1... reported at 2, the
		// line PyYAML reports the problem on).
		{"a: [1\nb: 2\n", "f.yaml:2: did not find expected ',' or ']'"},
		{"a:\n  - x\n - y\n", "f.yaml:3: did not find expected key"},
		// Scanner errors: 1-based already.
		{"a:\n\tb: 1\n", "f.yaml:2: found character that cannot start any token"},
		{"a: 1\nb\nc: 2\n", "f.yaml:2: could not find expected ':'"},
		{"a: *nope\n", "f.yaml: unknown anchor 'nope' referenced"},
		// PyYAML's SafeLoader knows only the standard tags.
		{"a: [!cpu , !!python/none x]\n", "f.yaml:1:5: could not determine a constructor for the tag '!cpu' (quote \"!cpu\" if it is meant as text)\n" +
			"f.yaml:1:12: could not determine a constructor for the tag '!!python/none'"},
	} {
		_, err := DecodeYAML("f.yaml", []byte(tc.doc))
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("DecodeYAML(%q) = %v, want a *FileError", tc.doc, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("DecodeYAML(%q) = %q, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestDecodeYAMLStrict(t *testing.T) {
	t.Parallel()
	type cfg struct {
		Name string `yaml:"name"`
		Size int    `yaml:"size"`
	}
	v := cfg{Name: "default", Size: 1}
	if err := DecodeYAMLStrict("f.yaml", nil, &v); err != nil || v.Name != "default" {
		t.Errorf("empty document: %+v %v", v, err)
	}
	err := DecodeYAMLStrict("f.yaml", []byte("name: x\nsize: big\nextra: 1\n"), &v)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"f.yaml:2: cannot unmarshal !!str `big` into int", "f.yaml:3: field extra not found"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// pyYAMLTypes are the types PyYAML 6.0 (Ceilometer 19's) gives plain scalars
// in "k: <value>", from yaml.safe_load.
var pyYAMLTypes = []struct{ value, tag string }{
	{"yes", "!!bool"}, {"Yes", "!!bool"}, {"YES", "!!bool"}, {"no", "!!bool"}, {"on", "!!bool"},
	{"Off", "!!bool"}, {"true", "!!bool"}, {"True", "!!bool"},
	{"y", "!!str"}, {"n", "!!str"},
	{"~", "!!null"}, {"null", "!!null"}, {"Null", "!!null"}, {"NULL", "!!null"}, {"", "!!null"},
	{"0755", "!!int"}, {"0o755", "!!str"}, {"0x1F", "!!int"}, {"0b101", "!!int"}, {"1_000", "!!int"},
	{"190:20:30", "!!int"}, {"1:20", "!!int"}, {"12", "!!int"}, {"+12", "!!int"}, {"-0", "!!int"},
	{"1e5", "!!str"}, {"1.5e5", "!!str"}, {"1.5e+5", "!!float"}, {"1.0", "!!float"}, {"1.", "!!float"},
	{"-.inf", "!!float"}, {".NaN", "!!float"},
	{"2001-12-14", "!!timestamp"}, {"2001-12-14 21:59:43.10 -5", "!!timestamp"},
	{"cpu", "!!str"}, {"notifier://", "!!str"}, {"disk.*", "!!str"},
}

func TestPyYAMLTag(t *testing.T) {
	t.Parallel()
	for _, tc := range pyYAMLTypes {
		root, err := DecodeYAML("f", []byte("k: "+tc.value+"\n"))
		if err != nil {
			t.Fatalf("%q: %v", tc.value, err)
		}
		if got := PyYAMLTag(root.Content[1]); got != tc.tag {
			t.Errorf("PyYAMLTag(%q) = %s, want %s", tc.value, got, tc.tag)
		}
	}
	// Quoting, block scalars and explicit tags make strings.
	for _, doc := range []string{`k: "yes"`, `k: 'on'`, "k: !!str 5", "k: |\n  yes\n"} {
		root, err := DecodeYAML("f", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := PyYAMLTag(root.Content[1]); got != "!!str" {
			t.Errorf("PyYAMLTag(%q) = %s, want !!str", doc, got)
		}
	}
}

func TestYAMLKind(t *testing.T) {
	t.Parallel()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("[[a], {a: 1}, x, ~, on, 5, 1.5, !cpu , 2001-01-01]"), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	want := []string{"a list", "a mapping", "a string", "null", "a boolean", "an integer", "a number",
		`a value with the YAML tag !cpu (quote "!cpu" if it is meant as text)`, "a date"}
	for i, n := range root.Content {
		if got := YAMLKind(n); got != want[i] {
			t.Errorf("YAMLKind(#%d) = %q, want %q", i, got, want[i])
		}
	}
}

// TestYAMLMapping checks merge keys and repeated keys against what PyYAML
// builds (values noted from yaml.safe_load).
func TestYAMLMapping(t *testing.T) {
	t.Parallel()
	doc := `
base: &base {a: 1, b: 1}
other: &other {b: 2, c: 2}
m:
  <<: [*base, *other]   # earlier mapping wins: b=1
  c: 3                  # explicit key wins over merged
  d: 4
  d: 5                  # repeated: last wins
`
	root, err := DecodeYAML("f", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	top, _, err := YAMLMapping(root)
	if err != nil {
		t.Fatal(err)
	}
	pairs, dups, err := YAMLMapping(top[2].Value)
	if err != nil {
		t.Fatal(err)
	}
	// PyYAML: {'a': 1, 'b': 1, 'c': 3, 'd': 5} (insertion order b, c, a, d
	// is Python's for this merge; only the values matter to loaders).
	got := map[string]string{}
	for _, p := range pairs {
		got[p.Key.Value] = p.Value.Value
	}
	want := map[string]string{"a": "1", "b": "1", "c": "3", "d": "5"}
	if len(got) != len(want) {
		t.Errorf("pairs = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(dups) != 1 || dups[0].Value != "d" || dups[0].Line != 7 {
		t.Errorf("dups = %v", dups)
	}

	// A merge cycle: PyYAML gives {'a': 1}.
	root, err = DecodeYAML("f", []byte("m: &m {a: 1, <<: *m}\n"))
	if err != nil {
		t.Fatal(err)
	}
	top, _, err = YAMLMapping(root)
	if err != nil {
		t.Fatal(err)
	}
	if pairs, _, err := YAMLMapping(top[0].Value); err != nil || len(pairs) != 1 || pairs[0].Key.Value != "a" {
		t.Errorf("merge cycle: %v %v", pairs, err)
	}

	// A merge value that is not a mapping or a list of mappings.
	for _, doc := range []string{"m: {<<: 5}\n", "m: {<<: [{a: 1}, 5]}\n"} {
		root, err := DecodeYAML("f", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		top, _, err := YAMLMapping(root)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := YAMLMapping(top[0].Value); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
	if _, _, err := YAMLMapping(&yaml.Node{Kind: yaml.SequenceNode}); err == nil {
		t.Error("sequence: no error")
	}
}

func TestJoinErrors(t *testing.T) {
	t.Parallel()
	if JoinErrors(nil) != nil || JoinErrors([]error{nil}) != nil {
		t.Error("JoinErrors of nothing is not nil")
	}
	p := Position{File: "f.yaml", Path: "sinks"}
	err := JoinErrors([]error{
		p.Child(&yaml.Node{Line: 9, Column: 3}, "[k]").Errorf("second"),
		errors.New("plain"),
		p.Child(&yaml.Node{Line: 2, Column: 5}, "[a]").Errorf("first %d", 1),
		nil,
	})
	want := "plain\nf.yaml:2:5: sinks[a]: first 1\nf.yaml:9:3: sinks[k]: second"
	if err.Error() != want {
		t.Errorf("JoinErrors = %q, want %q", err, want)
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	top := NodePosition("f.yaml", &yaml.Node{Line: 1, Column: 1}, "")
	src := top.Key(&yaml.Node{Line: 2, Column: 1}, "sources").Index(&yaml.Node{Line: 3, Column: 5}, 0)
	m := src.Key(&yaml.Node{Line: 4, Column: 7}, "meters")
	if got := m.String(); got != "f.yaml:4:7: sources[0].meters" {
		t.Errorf("String = %q", got)
	}
	if got := m.Key(nil, "x").Errorf("bad %q", "v").Error(); got != `f.yaml:4:7: sources[0].meters.x: bad "v"` {
		t.Errorf("Errorf = %q", got)
	}
	w := Position{File: "f.yaml"}.Warnf("whole file")
	if w.String() != "f.yaml: whole file" {
		t.Errorf("Warning = %q", w)
	}
	ws := []Warning{{File: "f", Line: 5}, {File: "f", Line: 1, Msg: "a"}, {File: "f", Line: 1, Msg: "b"}}
	SortWarnings(ws)
	if ws[0].Msg != "a" || ws[1].Msg != "b" || ws[2].Line != 5 {
		t.Errorf("SortWarnings = %v", ws)
	}
}
