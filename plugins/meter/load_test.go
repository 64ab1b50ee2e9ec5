package meter_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/meter"
)

func files(t testing.TB, paths ...string) []meter.File {
	t.Helper()
	var out []meter.File
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, meter.File{Path: p, Data: data})
	}
	return out
}

// loadDeviations are definition files Ceilometer 19 judges differently, on
// purpose.
var loadDeviations = map[string]string{
	// Python accepts look-behind; RE2 cannot run it: we skip the definition
	// (with a warning, and an error from Validate).
	"load/lookbehind.yaml": "lookbehind",
}

// TestLoadOracle loads every file of testdata/load_expected.json (written by
// gen_expected.py from the real Ceilometer 19) and compares the definitions
// kept, in evaluation order.
func TestLoadOracle(t *testing.T) {
	v, ok := readValue(t, "testdata/load_expected.json")
	if !ok {
		t.Fatal("no load_expected.json")
	}
	for _, m := range v.(*pyjson.Object).Members {
		t.Run(m.Key, func(t *testing.T) {
			fs := files(t, strings.Split(m.Key, "+")...)
			engine, warnings, err := meter.Load(fs, meter.DefaultSettings())
			verr := meter.Validate(fs, meter.DefaultSettings())
			if exc, raised := m.Value.(*pyjson.Object); raised {
				// Ceilometer runs without meter definitions. A broken file is
				// our load error; a broken definition is skipped, reported.
				if err == nil && len(warnings) == 0 {
					t.Errorf("Ceilometer raised %s; we neither failed nor warned", pyjson.Str(exc))
				}
				if verr == nil {
					t.Errorf("Validate: no error, Ceilometer raised %s", pyjson.Str(exc))
				}
				t.Logf("Ceilometer: %s; Load: err=%v warnings=%v", pyjson.Str(exc), err, warnings)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var want []string
			for _, n := range m.Value.([]pyjson.Value) {
				s, ok := n.(string)
				if !ok {
					s = pyjson.Str(n)
				}
				if s != loadDeviations[m.Key] {
					want = append(want, s)
				}
			}
			if got := engine.Names(); !slices.Equal(got, want) {
				t.Errorf("definitions\n got %q\nwant %q", got, want)
			}
			for _, w := range warnings {
				t.Logf("warning: %s", w)
			}
		})
	}
}

// TestValidateReportsEveryProblem checks the strict mode's messages: each
// skipped definition once, at its file:line:column and key path.
func TestValidateReportsEveryProblem(t *testing.T) {
	err := meter.Validate(files(t, "load/skipped.yaml"), meter.DefaultSettings())
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`load/skipped.yaml:22:5: metric[3]: meter definition 'missing.unit' skipped: required fields ['unit'] not specified`,
		`load/skipped.yaml:27:5: metric[4]: meter definition 'zero.volume' skipped: required fields ['volume'] not specified`,
		`load/skipped.yaml:35:11: metric[5].type: meter definition 'bad.type' skipped: invalid type counter specified`,
		`load/skipped.yaml:43:13: metric[6].volume: meter definition 'bad.jsonpath' skipped: volume: parse error in JSONPath specification '$.payload.['`,
		`load/skipped.yaml:49:13: metric[7].volume: meter definition 'float.volume' skipped: volume: parse error in JSONPath specification '1.5'`,
		`load/skipped.yaml:56:7: metric[8].volume: meter definition 'unknown.plugin' skipped: volume: no plugin named nosuchplugin available`,
		`load/skipped.yaml:64:7: metric[9].volume: meter definition 'no.fields' skipped: volume: the field 'fields' is required`,
		`load/skipped.yaml:71:7: metric[10].volume: meter definition 'plugin.no.name' skipped: volume: plugin specified, but no plugin name supplied`,
		`load/skipped.yaml:80:5: metric[12]: meter definition 'later.bad' skipped: required fields ['volume'] not specified`,
		`load/skipped.yaml:100:12: metric[14].metadata.bad: meter definition 'bad.metadata.path' skipped: bad: parse error in JSONPath specification '$..['`,
		`load/skipped.yaml:104:11: metric[15].unit: meter definition 'unit.with.slash' skipped: unit: parse error in JSONPath specification 'B/s'`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing error %q in\n%s", w, err)
		}
	}

	// Load reports the same problems, and the duplicate, as warnings.
	_, warnings, lerr := meter.Load(files(t, "load/skipped.yaml"), meter.DefaultSettings())
	if lerr != nil {
		t.Fatal(lerr)
	}
	if len(warnings) != len(want)+1 {
		t.Errorf("%d warnings, want %d: %v", len(warnings), len(want)+1, warnings)
	}
	dup := false
	for _, w := range warnings {
		if strings.Contains(w.String(), "skipping duplicate meter definition dup") && w.Line == 10 {
			dup = true
		}
	}
	if !dup {
		t.Errorf("no duplicate warning at line 10: %v", warnings)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := map[string]string{
		"":                            `empty file: a meter definitions file needs a "metric" list`,
		"metric: x\n":                 `x.yaml:1:1: metric: must be a list of meter definitions, not a string`,
		"meters: []\n":                `x.yaml:1:1: no "metric" list`,
		"- a\n":                       `x.yaml:1:1: a meter definitions file must be a mapping`,
		"metric: [\n":                 `x.yaml:`,
		"metric: []\n---\nmetric: []": `expected a single document`,
	}
	for in, want := range cases {
		_, _, err := meter.Load([]meter.File{{Path: "x.yaml", Data: []byte(in)}}, meter.DefaultSettings())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want %q", in, err, want)
		}
		if err := meter.Validate([]meter.File{{Path: "x.yaml", Data: []byte(in)}}, meter.DefaultSettings()); err == nil {
			t.Errorf("Validate(%q): no error", in)
		}
	}
}

// TestLoadSharedTestdata loads every meters.yaml the project ships as test
// data (Ceilometer 19's and mitaka's) without a problem.
func TestLoadSharedTestdata(t *testing.T) {
	for _, p := range []string{"ceilometer-19/meters.yaml", "ceilometer-mitaka/meters.yaml"} {
		fs := files(t, p)
		e, warnings, err := meter.Load(fs, meter.DefaultSettings())
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(warnings) > 0 {
			t.Errorf("%s: %v", p, warnings)
		}
		if err := meter.Validate(fs, meter.DefaultSettings()); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		t.Logf("%s: %d definitions", p, e.Len())
	}
}

// TestDisableNonMetricMeters is mitaka's option: definitions whose volume is
// the constant 1 (or 1.0, or true: Python's ==) are left out.
func TestDisableNonMetricMeters(t *testing.T) {
	s := meter.DefaultSettings()
	s.DisableNonMetricMeters = true
	e, _, err := meter.Load(files(t, "ceilometer-19/meters.yaml"), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Names() {
		if strings.Contains(n, "identity.authenticate") {
			t.Errorf("%s not disabled", n)
		}
	}
	all, _, _ := meter.Load(files(t, "ceilometer-19/meters.yaml"), meter.DefaultSettings())
	if e.Len() != all.Len()-1 {
		t.Errorf("%d definitions, want %d", e.Len(), all.Len()-1)
	}
	m, _, err := meter.Load(files(t, "ceilometer-mitaka/meters.yaml"), s)
	if err != nil {
		t.Fatal(err)
	}
	mall, _, _ := meter.Load(files(t, "ceilometer-mitaka/meters.yaml"), meter.DefaultSettings())
	t.Logf("mitaka: %d of %d definitions kept", m.Len(), mall.Len())
	if m.Len() >= mall.Len() {
		t.Errorf("mitaka: nothing disabled")
	}
}
