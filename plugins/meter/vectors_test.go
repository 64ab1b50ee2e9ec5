package meter

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/jsonpath"
)

// The vectors are written by testdata/gen_expected.py with Python's re,
// oslo_utils.timeutils and Ceilometer's TimedeltaPlugin.

func TestRegexVectors(t *testing.T) {
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
		p, err := compilePattern(v.Pattern)
		if err != nil {
			t.Errorf("compile %q: %v", v.Pattern, err)
			continue
		}
		for _, s := range v.Match {
			if !p.match(s) {
				t.Errorf("%q should match %q", v.Pattern, s)
			}
		}
		for _, s := range v.NoMatch {
			if p.match(s) {
				t.Errorf("%q should not match %q", v.Pattern, s)
			}
		}
	}
}

func TestRegexUnsupported(t *testing.T) {
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
		`a(b`:            "missing",
		`a(?!b`:          "missing",
		`\q`:             "bad escape",
	}
	for pat, want := range cases {
		_, err := compilePattern(pat)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("compilePattern(%q) = %v, want an error containing %q", pat, err, want)
		}
	}
}

func TestTimeVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/time_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs struct {
		Parse []struct {
			In    string `json:"in"`
			Out   string `json:"out"`
			Error string `json:"error"`
		} `json:"parse_isotime"`
		Timedelta []struct {
			Start string   `json:"start"`
			End   string   `json:"end"`
			Out   *float64 `json:"out"`
		} `json:"timedelta"`
	}
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Parse {
		got, err := parseISOTime(v.In)
		switch {
		case v.Error != "" && err == nil:
			t.Errorf("parseISOTime(%q) = %s, want error %q", v.In, got.isoformat(), v.Error)
		case v.Error == "" && err != nil:
			t.Errorf("parseISOTime(%q): %v, want %s", v.In, err, v.Out)
		case v.Error == "" && got.isoformat() != v.Out:
			t.Errorf("parseISOTime(%q) = %s, want %s", v.In, got.isoformat(), v.Out)
		}
	}
	for _, v := range vs.Timedelta {
		out, err := timedeltaPlugin{}.values([]jsonpath.Match{{Value: v.Start}, {Value: v.End}})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case v.Out == nil && len(out) != 0:
			t.Errorf("timedelta(%q, %q) = %v, want none", v.Start, v.End, out)
		case v.Out != nil && (len(out) != 1 || out[0] != pyjson.Value(*v.Out)):
			t.Errorf("timedelta(%q, %q) = %v, want %v", v.Start, v.End, out, *v.Out)
		}
	}
}

func TestPySliceTo(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"héllo", 2, "hé"}, {"héllo", 0, ""}, {"héllo", 10, "héllo"},
		{"héllo", -1, "héll"}, {"héllo", -5, ""}, {"héllo", -9, ""},
	}
	for _, c := range cases {
		if got := pySliceTo(c.s, c.n); got != c.want {
			t.Errorf("pySliceTo(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func TestYAMLInt(t *testing.T) {
	cases := map[string]pyjson.Value{
		"1": int64(1), "-0x1F": int64(-31), "0o17": nil, "017": int64(15), "0b101": int64(5),
		"1_000": int64(1000), "1:30": int64(90), "123456789012345678901234567890": pyjson.BigInt("123456789012345678901234567890"),
	}
	for in, want := range cases {
		got, err := yamlInt(in)
		if want == nil {
			if err == nil {
				t.Errorf("yamlInt(%q) = %v, want error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("yamlInt(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
