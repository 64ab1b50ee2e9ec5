package transformer

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// The golden cases are produced by mitaka's own transformer code:
// testdata/gen_golden.py runs ceilometer/transformer/*.py at tag mitaka-eol
// over the same inputs and records every output sample.

type goldenCase struct {
	name, transformer, parameters string
	steps                         []goldenStep
	expected                      [][]*pyjson.Object
}

type goldenStep struct {
	samples []pipeline.Sample
	flush   bool
	now     string
}

func str(o *pyjson.Object, k string) string {
	v, _ := o.Get(k)
	s, _ := v.(string)
	return s
}

func sampleFromObject(o *pyjson.Object) pipeline.Sample {
	get := func(k string) pyjson.Value { v, _ := o.Get(k); return v }
	md, _ := get("resource_metadata").(*pyjson.Object)
	return pipeline.Sample{
		Name: str(o, "name"), Type: str(o, "type"), Unit: get("unit"), Volume: get("volume"),
		UserID: get("user_id"), ProjectID: get("project_id"), ResourceID: get("resource_id"),
		Timestamp: get("timestamp"), ResourceMetadata: md, Source: str(o, "source"), ID: str(o, "id"),
	}
}

// asDict renders s as mitaka's Sample.as_dict().
func asDict(s pipeline.Sample) *pyjson.Object {
	var md pyjson.Value = s.ResourceMetadata
	if s.ResourceMetadata == nil {
		md = nil
	}
	return &pyjson.Object{Members: []pyjson.Member{
		{Key: "name", Value: s.Name}, {Key: "type", Value: s.Type}, {Key: "unit", Value: s.Unit},
		{Key: "volume", Value: s.Volume}, {Key: "user_id", Value: s.UserID}, {Key: "project_id", Value: s.ProjectID},
		{Key: "resource_id", Value: s.ResourceID}, {Key: "timestamp", Value: s.Timestamp},
		{Key: "resource_metadata", Value: md}, {Key: "source", Value: s.Source}, {Key: "id", Value: s.ID},
	}}
}

func readGoldenRoot(t testing.TB) *pyjson.Object {
	t.Helper()
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*pyjson.Object)
}

// exprFuzzSample is a sample with a bit of everything.
func exprFuzzSample() pipeline.Sample {
	md := &pyjson.Object{}
	md.Set("cpu_number", int64(4))
	md.Set("a", []pyjson.Value{int64(1), &pyjson.Object{}})
	md.Set("s", "abc")
	return pipeline.Sample{Name: "cpu", Type: "cumulative", Unit: "ns", Volume: int64(7), ResourceID: "r", Timestamp: "2026-11-25T10:00:00+00:00", ResourceMetadata: md}
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	root := readGoldenRoot(t)
	cs, _ := root.Get("cases")
	var out []goldenCase
	for _, cv := range cs.([]pyjson.Value) {
		c := cv.(*pyjson.Object)
		gc := goldenCase{name: str(c, "name"), transformer: str(c, "transformer"), parameters: str(c, "parameters")}
		steps, _ := c.Get("steps")
		for _, sv := range steps.([]pyjson.Value) {
			so := sv.(*pyjson.Object)
			var st goldenStep
			if ss, ok := so.Get("samples"); ok {
				for _, x := range ss.([]pyjson.Value) {
					st.samples = append(st.samples, sampleFromObject(x.(*pyjson.Object)))
				}
			} else {
				st.flush = true
				st.now = str(so, "now")
			}
			gc.steps = append(gc.steps, st)
		}
		exp, _ := c.Get("expected")
		for _, ev := range exp.([]pyjson.Value) {
			var step []*pyjson.Object
			for _, x := range ev.([]pyjson.Value) {
				step = append(step, x.(*pyjson.Object))
			}
			gc.expected = append(gc.expected, step)
		}
		out = append(out, gc)
	}
	return out
}

// buildFromYAML builds the transformer name with the parameters text.
func buildFromYAML(t testing.TB, name, params string, s Settings) pipeline.Transformer {
	t.Helper()
	root, err := conf.DecodeYAML("params.yaml", []byte(params))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(pipeline.TransformerConfig{Name: name, Parameters: root, ParametersPos: conf.Position{File: "params.yaml", Path: "parameters"}}, s)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestGolden(t *testing.T) {
	cases := loadGolden(t)
	if len(cases) < 25 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	for _, gc := range cases {
		t.Run(gc.name, func(t *testing.T) {
			t.Parallel()
			var now time.Time
			s := Settings{NewID: func() string { return "new" }, Now: func() time.Time { return now }}
			tr := buildFromYAML(t, gc.transformer, gc.parameters, s)
			ctx := context.Background()
			for i, st := range gc.steps {
				var got []pipeline.Sample
				var err error
				if st.flush {
					if st.now != "" {
						us, perr := pytime.Parse(st.now)
						if perr != nil {
							t.Fatal(perr)
						}
						now = time.UnixMicro(us.UnixMicro())
					}
					if f, ok := tr.(Flusher); ok {
						got, err = f.Flush(ctx)
					}
				} else {
					got, err = tr.Transform(ctx, st.samples)
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				want := gc.expected[i]
				if len(got) != len(want) {
					t.Fatalf("step %d: got %d samples, want %d:\ngot  %s\nwant %s", i, len(got), len(want), render(got), renderObjs(want))
				}
				for j := range got {
					g, w := marshal(t, asDict(got[j])), marshal(t, want[j])
					if g != w {
						t.Errorf("step %d sample %d:\ngot  %s\nwant %s", i, j, g, w)
					}
				}
			}
		})
	}
}

func marshal(t testing.TB, v pyjson.Value) string {
	t.Helper()
	b, err := pyjson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func render(ss []pipeline.Sample) string {
	var objs []pyjson.Value
	for _, s := range ss {
		objs = append(objs, asDict(s))
	}
	b, _ := pyjson.Marshal(objs)
	return string(b)
}

func renderObjs(os []*pyjson.Object) string {
	var objs []pyjson.Value
	for _, o := range os {
		objs = append(objs, o)
	}
	b, _ := pyjson.Marshal(objs)
	return string(b)
}
