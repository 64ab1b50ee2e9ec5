package pyre

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestMatchVectors checks re.match against vectors Python's re wrote
// (plugins/meter/testdata/gen_expected.py).
func TestMatchVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/regex_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		Pattern string   `json:"pattern"`
		Match   []string `json:"match"`
		NoMatch []string `json:"no_match"`
	}
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		p, err := CompileMatch(v.Pattern)
		if err != nil {
			t.Errorf("compile %q: %v", v.Pattern, err)
			continue
		}
		for _, s := range v.Match {
			if !p.MatchString(s) {
				t.Errorf("%q should match %q", v.Pattern, s)
			}
		}
		for _, s := range v.NoMatch {
			if p.MatchString(s) {
				t.Errorf("%q should not match %q", v.Pattern, s)
			}
		}
	}
}

// TestSubVectors checks Compile, ParseTemplate, Sub and CompileMatch against
// testdata/gen_vectors.py's output.
func TestSubVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/sub_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		Pattern      string `json:"pattern"`
		Repl         string `json:"repl"`
		PatternError string `json:"pattern_error"`
		ReplError    string `json:"repl_error"`
		Subjects     []struct {
			In    string `json:"in"`
			Out   string `json:"out"`
			Match bool   `json:"match"`
		} `json:"subjects"`
	}
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		re, err := Compile(v.Pattern)
		if v.PatternError != "" {
			if err == nil || IsUnsupported(err) {
				t.Errorf("Compile(%q) = %v, want Python's error %q", v.Pattern, err, v.PatternError)
			}
			continue
		}
		if err != nil {
			t.Errorf("Compile(%q): %v", v.Pattern, err)
			continue
		}
		tmpl, err := ParseTemplate(v.Repl, re)
		if v.ReplError != "" {
			if err == nil {
				t.Errorf("ParseTemplate(%q) for %q: no error, want %q", v.Repl, v.Pattern, v.ReplError)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", v.Repl, err)
			continue
		}
		m, err := CompileMatch(v.Pattern)
		if err != nil {
			t.Errorf("CompileMatch(%q): %v", v.Pattern, err)
			continue
		}
		for _, s := range v.Subjects {
			got, err := tmpl.Sub(re, s.In, 0)
			if err != nil || (got != s.Out && !knownDifference(v.Pattern, s.In)) {
				t.Errorf("re.sub(%q, %q, %q) = %q, %v; want %q", v.Pattern, v.Repl, s.In, got, err, s.Out)
			}
			if m.MatchString(s.In) != s.Match && !knownDifference(v.Pattern, s.In) {
				t.Errorf("re.match(%q, %q) = %v, want %v", v.Pattern, s.In, !s.Match, s.Match)
			}
		}
	}
}

// knownDifference reports the documented differences from Python: an empty
// match right after a non-empty one (x*, a{,2}), Go's ASCII-only \b, and a $
// of Compile taking a final newline into the match.
func knownDifference(pat, s string) bool {
	switch pat {
	case `x*`, `a{,2}`:
		return true
	case `\b`:
		return !isASCII(s)
	}
	return strings.Contains(pat, "$") && strings.HasSuffix(s, "\n")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestUnsupported(t *testing.T) {
	cases := map[string]string{
		`a(?<=a)b`:       "look-behind",
		`a(?<!a)b`:       "look-behind",
		`(a(?!b))c`:      "inside a group",
		`a(?!b)*`:        "quantified look-ahead",
		`a(?!b(?=c))`:    "inside a look-ahead",
		`(a)\1`:          "back-references",
		`(?P<x>a)(?P=x)`: "back-references",
		`(?>a)`:          "atomic",
		`a++`:            "possessive",
		`a(?!b)\bc`:      `\b`,
		`a$(?!b)`:        `$`,
		`a(?!b)^c`:       `^`,
		`[\W]`:           `\W`,
		`[\S]`:           `\S`,
	}
	for pat, want := range cases {
		_, err := CompileMatch(pat)
		if err == nil || !strings.Contains(err.Error(), want) || !IsUnsupported(err) {
			t.Errorf("CompileMatch(%q) = %v, want an unsupported error containing %q", pat, err, want)
		}
	}
	if _, err := Compile(`a(?=b)`); !IsUnsupported(err) {
		t.Errorf("Compile with a look-ahead: %v, want unsupported", err)
	}
}

func TestInvalid(t *testing.T) {
	for pat, want := range map[string]string{
		`a(b`: "missing", `a(?!b`: "missing", `\q`: "bad escape", `[\8]`: "bad escape",
		`(?<n>a)`: "unknown extension", `\x4`: "incomplete escape", `[\Z]`: "bad escape",
	} {
		_, err := CompileMatch(pat)
		if err == nil || !strings.Contains(err.Error(), want) || IsUnsupported(err) {
			t.Errorf("CompileMatch(%q) = %v, want an invalid-pattern error containing %q", pat, err, want)
		}
	}
}

func TestTranslateOctal(t *testing.T) {
	for pat, s := range map[string]string{`\101`: "A", `[\101]`: "A", `[\1]`: "\x01", `\0`: "\x00", `\012`: "\n"} {
		re, err := Compile(`^` + pat + `$`)
		if err != nil {
			t.Errorf("Compile(%q): %v", pat, err)
			continue
		}
		if !re.MatchString(s) {
			t.Errorf("%q should match %q", pat, s)
		}
	}
}

func TestSubLimit(t *testing.T) {
	re := MustCompile(`a`)
	tmpl, err := ParseTemplate("xxxx", re)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Sub(re, strings.Repeat("a", 10), 20); err != ErrTooLarge {
		t.Errorf("Sub over the limit: %v, want ErrTooLarge", err)
	}
}

func BenchmarkMatchLookahead(b *testing.B) {
	p, err := CompileMatch(`compute.instance.(?!create.start|update).*`)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p.MatchString("compute.instance.delete.end")
	}
}

func BenchmarkMatchPlain(b *testing.B) {
	p, err := CompileMatch(`compute.instance.*`)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p.MatchString("compute.instance.delete.end")
	}
}
