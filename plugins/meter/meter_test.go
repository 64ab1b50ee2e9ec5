package meter_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/meter"
)

var update = flag.Bool("update", false, "rewrite expected.json (deviation cases) and expected.err of the golden cases")

// TestGolden walks testdata/cases: each directory holds notification.json
// (the oslo notification dict), optionally meters.yaml (default: Ceilometer
// 19's) and settings.json, ceilometer.json (what the real Ceilometer 19
// builds, written by testdata/gen_expected.py) and, for a deliberate
// deviation explained in its README.md, expected.json. expected.err lists
// substrings the returned error must contain (no file: no error).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			runGolden(t, dir)
		})
	}
}

func readValue(t *testing.T, path string) (pyjson.Value, bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v, true
}

func caseSettings(t *testing.T, dir string) meter.Settings {
	s := meter.DefaultSettings()
	v, ok := readValue(t, filepath.Join(dir, "settings.json"))
	if !ok {
		return s
	}
	strs := func(v pyjson.Value) []string {
		var out []string
		for _, x := range v.([]pyjson.Value) {
			out = append(out, x.(string))
		}
		return out
	}
	for _, m := range v.(*pyjson.Object).Members {
		switch m.Key {
		case "sample_source":
			s.SampleSource = m.Value.(string)
		case "reserved_metadata_namespace":
			s.ReservedMetadataNamespace = strs(m.Value)
		case "reserved_metadata_keys":
			s.ReservedMetadataKeys = strs(m.Value)
		case "reserved_metadata_length":
			s.ReservedMetadataLength = int(m.Value.(int64))
		default:
			t.Fatalf("settings.json: unknown key %q", m.Key)
		}
	}
	return s
}

func runGolden(t *testing.T, dir string) {
	meters := filepath.Join(dir, "meters.yaml")
	if _, err := os.Stat(meters); err != nil {
		meters = "testdata/ceilometer-19/meters.yaml"
	}
	data, err := os.ReadFile(meters)
	if err != nil {
		t.Fatal(err)
	}
	s := caseSettings(t, dir)
	engine, warnings, err := meter.Load([]meter.File{{Path: meters, Data: data}}, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Errorf("load warning: %s", w)
	}
	relay := meter.NewRelay(s)
	nv, ok := readValue(t, filepath.Join(dir, "notification.json"))
	if !ok {
		t.Fatal("no notification.json")
	}
	n := notificationOf(nv.(*pyjson.Object))

	ctx := context.Background()
	var got []pyjson.Value
	samples, err1 := engine.Process(ctx, n)
	for i := range samples {
		got = append(got, sampleDict(&samples[i], false))
	}
	var err2 error
	if relay.Match(n.EventType) {
		var rs []pipeline.Sample
		rs, err2 = relay.Process(ctx, n)
		for i := range rs {
			got = append(got, sampleDict(&rs[i], true))
		}
	}
	procErr := errors.Join(err1, err2)
	if got == nil {
		got = []pyjson.Value{}
	}

	oracle, ok := readValue(t, filepath.Join(dir, "ceilometer.json"))
	if !ok {
		t.Fatal("no ceilometer.json: run testdata/gen_expected.py")
	}
	_, raised := oracle.(*pyjson.Object)
	want, hasExpected := readValue(t, filepath.Join(dir, "expected.json"))
	if *update && raised {
		writeJSON(t, filepath.Join(dir, "expected.json"), got)
		want, hasExpected = got, true
	}
	if *update {
		errPath := filepath.Join(dir, "expected.err")
		if procErr != nil {
			if err := os.WriteFile(errPath, []byte(procErr.Error()+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			_ = os.Remove(errPath)
		}
	}
	switch {
	case hasExpected:
		if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
			t.Errorf("expected.json overrides Ceilometer's output: explain the deviation in README.md")
		}
	case raised:
		t.Fatalf("Ceilometer raised (%s): a deliberate deviation needs expected.json and README.md", pyjson.Str(oracle))
	default:
		want = oracle
	}
	gb, _ := pyjson.Marshal(got)
	wb, _ := pyjson.Marshal(want)
	if string(gb) != string(wb) {
		gl, wl := got, want.([]pyjson.Value)
		if len(gl) != len(wl) {
			t.Errorf("%d samples, want %d\n got %s\nwant %s", len(gl), len(wl), gb, wb)
		} else {
			for i := range gl {
				if pyjson.Repr(gl[i]) != pyjson.Repr(wl[i]) {
					t.Errorf("sample %d:\n got  %s\n want %s", i, fieldDiff(gl[i].(*pyjson.Object), wl[i].(*pyjson.Object)), fieldDiff(wl[i].(*pyjson.Object), gl[i].(*pyjson.Object)))
				}
			}
		}
	}

	wantErr, err := os.ReadFile(filepath.Join(dir, "expected.err"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		if procErr != nil {
			t.Errorf("unexpected error: %v", procErr)
		}
	case err != nil:
		t.Fatal(err)
	default:
		if procErr == nil {
			t.Errorf("no error, want %q", wantErr)
			break
		}
		for _, line := range strings.Split(strings.TrimSpace(string(wantErr)), "\n") {
			if !strings.Contains(procErr.Error(), line) {
				t.Errorf("error %q does not contain %q", procErr, line)
			}
		}
	}
}

func writeJSON(t *testing.T, path string, v pyjson.Value) {
	t.Helper()
	b, err := pyjson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentProcess runs one engine from several goroutines (the match
// cache is shared) under the race detector.
func TestConcurrentProcess(t *testing.T) {
	engine := loadCeilometer19(t, meter.DefaultSettings())
	var ns []*pyjson.Object
	for _, c := range []string{"nova-instance-exists", "compute-metrics", "payload-as-metadata", "lookup-swift"} {
		v, _ := readValue(t, filepath.Join("testdata/cases", c, "notification.json"))
		ns = append(ns, v.(*pyjson.Object))
	}
	want := make([]int, len(ns))
	for i, b := range ns {
		s, err := engine.Process(context.Background(), notificationOf(b))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = len(s)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := range 50 {
				k := (g + i) % len(ns)
				s, perr := engine.Process(context.Background(), notificationOf(ns[k]))
				if perr != nil || len(s) != want[k] {
					err = errors.Join(err, perr, errors.New("wrong sample count"))
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
