package event

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// TestShippedDefinitionsLoad loads both event_definitions.yaml files under
// ../shared/testdata (copied into testdata/).
func TestShippedDefinitionsLoad(t *testing.T) {
	for _, f := range []string{"testdata/ceilometer-19/event_definitions.yaml", "testdata/ceilometer-mitaka/event_definitions.yaml"} {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, warns, err := Load(f, data, Settings{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warns {
				// mitaka's file really writes "state" twice in one mapping.
				if !strings.Contains(w.String(), "mitaka") {
					t.Errorf("unexpected warning: %s", w)
				}
				t.Log(w)
			}
			if len(c.defs) < 10 {
				t.Errorf("only %d definitions", len(c.defs))
			}
		})
	}
}

// TestLoadLikeCeilometer checks that Load accepts exactly the files
// Ceilometer 19's NotificationEventsConverter accepts
// (testdata/load_cases.json, produced by testdata/gen_golden.py).
func TestLoadLikeCeilometer(t *testing.T) {
	data, err := os.ReadFile("testdata/load_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name, YAML, Ceilometer string
		OK                     bool
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			for _, strict := range []bool{false, true} {
				_, _, err := Load("defs.yaml", []byte(tc.YAML), Settings{Strict: strict})
				if (err == nil) != tc.OK {
					t.Fatalf("strict=%v: err = %v; Ceilometer accepts: %v (%s)", strict, err, tc.OK, tc.Ceilometer)
				}
				if err != nil {
					var fe *conf.FileError
					if !errors.As(err, &fe) || fe.File != "defs.yaml" {
						t.Errorf("error %v is not a *conf.FileError naming the file", err)
					}
				}
			}
		})
	}
}

// TestLoadErrorsAndWarnings checks positions, strict collection and warnings.
func TestLoadErrorsAndWarnings(t *testing.T) {
	const doc = `- event_type: a
  traits:
    x:
      fields: payload.x
      type: integer
- event_type: b
  traits:
    y:
      fields: 'payload.['
- event_type: c
  traits:
    z:
      fields: payload.z
      typo: 1
    w:
      fields: payload.w
      plugin: split
`
	_, _, err := Load("defs.yaml", []byte(doc), Settings{})
	if err == nil || strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("non-strict: want exactly the first error, got %v", err)
	}
	if !strings.Contains(err.Error(), "defs.yaml:5:13: [0].traits.x.type: invalid trait type 'integer'") {
		t.Errorf("first error = %q", err)
	}
	_, _, err = Load("defs.yaml", []byte(doc), Settings{Strict: true})
	if err == nil || !strings.Contains(err.Error(), "defs.yaml:9:15: [1].traits.y.fields: parse error in JSONPath") {
		t.Fatalf("strict: want every error, got %v", err)
	}
	_, warns, err := Load("defs.yaml", []byte(doc[strings.Index(doc, "- event_type: c"):]), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range warns {
		ws = append(ws, w.String())
	}
	got := strings.Join(ws, "\n")
	for _, want := range []string{"[0].traits.z.typo: unknown key, ignored", "split plugin is deprecated"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
}

// TestMatchingOrder checks that the last matching definition wins and that
// the implicit catch-all is added only when needed.
func TestMatchingOrder(t *testing.T) {
	const doc = `
- event_type: ['a.*', 'exact']
  traits: {}
- event_type: ['a.b', '!a.c']
  traits: {}
- event_type: 'exact'
  traits: {}
`
	for _, tc := range []struct {
		drop  bool
		event string
		want  int // index in the file, -1 the implicit catch-all, -2 none
	}{
		{false, "a.b", 1},
		{false, "a.c", 0},
		{false, "a.x", 0},
		{false, "exact", 2},
		{false, "other", -1},
		{true, "other", -2},
		{true, "a.b", 1},
	} {
		c, _, err := Load("d.yaml", []byte(doc), Settings{DropUnmatched: tc.drop})
		if err != nil {
			t.Fatal(err)
		}
		d := c.match(tc.event)
		got := -2
		if d != nil {
			got = d.index
		}
		if got != tc.want {
			t.Errorf("drop=%v %q: definition %d, want %d", tc.drop, tc.event, got, tc.want)
		}
	}
	// A catch-all in the file: no implicit one.
	c, _, err := Load("d.yaml", []byte("- event_type: '*'\n  traits: {}\n- event_type: a\n  traits: {}\n"), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.defs) != 2 || c.match("zzz").index != 0 {
		t.Errorf("catch-all handling: %d definitions", len(c.defs))
	}
}

// TestVectors checks fnmatch and the trait conversions against values
// computed by Ceilometer's own functions (testdata/vectors.json).
func TestVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Fnmatch  [][3]json.RawMessage
		Int      [][2]json.RawMessage
		Float    [][2]json.RawMessage
		Datetime [][2]json.RawMessage
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	for _, f := range v.Fnmatch {
		var pat, name string
		var want bool
		_ = json.Unmarshal(f[0], &pat)
		_ = json.Unmarshal(f[1], &name)
		_ = json.Unmarshal(f[2], &want)
		g := compileGlob(pat)
		if got := g.match(name); got != want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", name, pat, got, want)
		}
	}
	type result struct {
		Value json.RawMessage
		Error string
	}
	check := func(kind string, vecs [][2]json.RawMessage, conv func(string) (pyjson.Value, error)) {
		for _, vec := range vecs {
			var in string
			var want result
			_ = json.Unmarshal(vec[0], &in)
			_ = json.Unmarshal(vec[1], &want)
			got, err := conv(in)
			switch {
			case want.Error != "":
				if err == nil {
					t.Errorf("%s(%q) = %v, want %s", kind, in, got, want.Error)
				}
			case err != nil:
				t.Errorf("%s(%q): %v, want %s", kind, in, err, want.Value)
			default:
				var w pyjson.Value
				if err := json.Unmarshal(want.Value, new(string)); err == nil && kind == "float" {
					var s string
					_ = json.Unmarshal(want.Value, &s)
					switch s {
					case "nan":
						w = math.NaN()
					case "inf":
						w = math.Inf(1)
					case "-inf":
						w = math.Inf(-1)
					}
				} else {
					w, _ = pyjson.Decode(want.Value)
				}
				if g, ws := pyjson.Repr(got), pyjson.Repr(w); g != ws {
					t.Errorf("%s(%q) = %s, want %s", kind, in, g, ws)
				}
			}
		}
	}
	check("int", v.Int, func(s string) (pyjson.Value, error) { return pyval.Int(s) })
	check("float", v.Float, func(s string) (pyjson.Value, error) { return pyval.Float(s) })
	check("datetime", v.Datetime, func(s string) (pyjson.Value, error) { return pyDatetime(s) })
}
