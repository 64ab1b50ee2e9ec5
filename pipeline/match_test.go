package pipeline

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// fnmatchCases were produced with CPython 3.11's fnmatch.fnmatch(name, pattern)
// (Debian bookworm, Ceilometer 19's interpreter).
var fnmatchCases = []struct {
	pattern, name string
	want          bool
}{
	{"", "", true},
	{"", "a", false},
	{"cpu", "cpu", true},
	{"cpu", "CPU", false}, // case-sensitive on POSIX
	{"cpu", "cpu_util", false},
	{"*", "", true},
	{"*", "anything\nat all", true},
	{"**", "x", true},
	{"disk.*", "disk.read.bytes", true},
	{"disk.*", "disk", false},
	{"disk.*", "diskXread", false},
	{"*.rate", "disk.read.bytes.rate", true},
	{"*.rate", "rate", false},
	{"*read*", "disk.read.bytes", true},
	{"*read*", "disk.write.bytes", false},
	{"network.*.bytes", "network.incoming.bytes", true},
	{"network.*.bytes", "network.incoming.packets", false},
	{"a*b*c", "aXbYc", true},
	{"a*b*c", "abcbc", true},
	{"a*b*c", "acb", false},
	{"?", "é", true},
	{"?", "", false},
	{"??", "é", false},
	{"c?u", "cpu", true},
	{"c?u", "c\nu", true},
	{"[abc]", "b", true},
	{"[abc]", "d", false},
	{"[!abc]", "d", true},
	{"[!abc]", "a", false},
	{"[!abc]", "\n", true},
	{"[a-c]", "b", true},
	{"[a-c]", "-", false},
	{"[c-a]", "b", false}, // reversed range: never matches
	{"[c-a]", "c", false},
	{"[!c-a]", "x", true}, // negated empty range: any character
	{"[a-]", "-", true},
	{"[-a]", "-", true},
	{"[]]", "]", true},
	{"[]a]", "a", true},
	{"[!]]", "]", false},
	{"[!]]", "x", true},
	{"[]", "[]", true}, // unclosed: literal "[" then "]"
	{"[", "[", true},
	{"[a", "[a", true},
	{"[!", "[!", true},
	{"[!]", "[!]", true},
	{"[^a]", "^", true}, // "^" is not negation in fnmatch
	{"[^a]", "b", false},
	{"[\\]", "\\", true}, // no escapes: "\" is literal
	{"\\*", "\\x", true},
	{"\\*", "*", false},
	{"[a-c-e]", "-", true},
	{"[a-c-e]", "d", false},
	{"[a-c-e]", "e", true},
	{"[z-a-c]", "b", false},
	{"[z-a-c]", "-", true},
	{"[!-a]", "-", false},
	{"[!-a]", "b", true},
	{"[a-z]*.bytes", "disk.read.bytes", true},
	{"[!d]*", "disk.read.bytes", false},
	{"[é-ë]", "ê", true},
	{"ab[cd", "ab[cd", true},
	{"a[b-]", "a-", true},
	{"*[", "x[", true},
	{"*?", "", false},
	{"*?*", "x", true},
}

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range fnmatchCases {
		p := CompilePattern(tc.pattern)
		if got := p.Match(tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.name, tc.pattern, got, tc.want)
		}
	}
}

// TestPatternMatchPython checks Pattern against a vector file written by
// CPython: a JSON list of [pattern, name, result]. Generate one with
//
//	python3 -c 'import fnmatch,json,random; ...'  (see the report in the PR)
//
// and run with FNMATCH_VECTORS=/path/to/vec.json.
func TestPatternMatchPython(t *testing.T) {
	path := os.Getenv("FNMATCH_VECTORS")
	if path == "" {
		t.Skip("FNMATCH_VECTORS not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vecs [][3]any
	if err := json.Unmarshal(data, &vecs); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, v := range vecs {
		pat, name := v[0].(string), v[1].(string)
		want, ok := v[2].(bool)
		if !ok {
			continue
		}
		if got := CompilePattern(pat).Match(name); got != want {
			bad++
			if bad < 20 {
				t.Errorf("fnmatch(%q, %q) = %v, want %v", name, pat, got, want)
			}
		}
	}
	t.Logf("%d vectors, %d mismatches", len(vecs), bad)
}

func TestPatternInvalidUTF8(t *testing.T) {
	t.Parallel()
	// Found by FuzzPatternMatch: invalid bytes must not make the fast path
	// and the general matcher disagree.
	for _, tc := range []struct{ pattern, name string }{{"\xbe", "\xbe"}, {"a\xbe*", "a\xbez"}, {"*\xbe", "z\xbe"}} {
		if !CompilePattern(tc.pattern).Match(tc.name) {
			t.Errorf("%q does not match %q", tc.pattern, tc.name)
		}
	}
}

func TestPatternFastPaths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern string
		kind    patternKind
		lit     string
	}{
		{"cpu", patternExact, "cpu"},
		{"[", patternExact, "["},
		{"*", patternAll, ""},
		{"***", patternAll, ""},
		{"disk.*", patternPrefix, "disk."},
		{"*.rate", patternSuffix, ".rate"},
		{"*read*", patternContains, "read"},
		{"a*b", patternGeneral, ""},
		{"c?u", patternGeneral, ""},
	} {
		p := CompilePattern(tc.pattern)
		if p.kind != tc.kind || p.lit != tc.lit {
			t.Errorf("CompilePattern(%q): kind %d lit %q, want %d %q", tc.pattern, p.kind, p.lit, tc.kind, tc.lit)
		}
	}
}

func TestNameFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		entries []string
		match   []string
		reject  []string
	}{
		{[]string{"*"}, []string{"cpu", "", "disk.read.bytes"}, nil},
		{[]string{"cpu", "memory"}, []string{"cpu", "memory"}, []string{"cpu_util", "disk"}},
		{[]string{"disk.*", "cpu"}, []string{"disk.read.bytes", "cpu"}, []string{"disk", "memory"}},
		{[]string{"!cpu"}, []string{"memory", "cpu_util"}, []string{"cpu"}},
		{[]string{"!disk.*", "!cpu"}, []string{"memory"}, []string{"cpu", "disk.read.bytes"}},
		{[]string{"*", "!cpu"}, []string{"memory"}, []string{"cpu"}},
		{[]string{"*", "!disk.*"}, []string{"cpu"}, []string{"disk.x"}},
		// "*foo" is neither an inclusion nor "*" for the load-time rules, but
		// matching treats it like any pattern; with an exclusion, names
		// matching neither are rejected (not every entry is an exclusion).
		{[]string{"*.rate", "!disk.*"}, []string{"cpu.rate"}, []string{"disk.read.rate", "cpu"}},
		{[]string{"!"}, []string{"cpu"}, []string{""}},
		{[]string{"!*"}, nil, []string{"cpu", ""}},
		{nil, []string{"cpu"}, nil}, // Python's all() of nothing
	} {
		f := NewNameFilter(tc.entries)
		for _, n := range tc.match {
			if !f.Match(n) {
				t.Errorf("%q: Match(%q) = false, want true", tc.entries, n)
			}
		}
		for _, n := range tc.reject {
			if f.Match(n) {
				t.Errorf("%q: Match(%q) = true, want false", tc.entries, n)
			}
		}
	}
}

func BenchmarkSourceMatch(b *testing.B) {
	names := []string{"cpu", "memory.usage", "disk.device.read.bytes", "network.incoming.bytes", "image.size", "volume.size"}
	for _, bc := range []struct {
		name    string
		entries []string
	}{
		{"wildcard", []string{"*"}},
		{"exact8", []string{"disk.read.bytes", "disk.read.requests", "disk.write.bytes", "disk.write.requests",
			"disk.device.read.bytes", "disk.device.read.requests", "disk.device.write.bytes", "disk.device.write.requests"}},
		{"exclusions", []string{"*", "!disk.*", "!network.*.packets"}},
		{"patterns", []string{"disk.*", "network.*.bytes", "[a-c]*"}},
	} {
		src := &SourceConfig{Name: "s", Names: bc.entries, filter: NewNameFilter(bc.entries)}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				src.Match(names[i%len(names)])
			}
		})
	}
}

// FuzzPatternMatch checks that compiling and matching never panic, and that
// a pattern without wildcards matches exactly itself.
func FuzzPatternMatch(f *testing.F) {
	for _, tc := range fnmatchCases {
		f.Add(tc.pattern, tc.name)
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p := CompilePattern(pattern)
		p.Match(name)
		if lit, ok := p.Literal(); ok && !strings.ContainsAny(pattern, "*?[") && (!p.Match(pattern) || lit != pattern) {
			t.Fatalf("literal pattern %q does not match itself", pattern)
		}
	})
}
