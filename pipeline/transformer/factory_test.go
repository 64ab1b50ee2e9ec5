package transformer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

func TestFactoriesTable(t *testing.T) {
	fs, err := Factories()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accumulator", "aggregator", "arithmetic", "delta", "rate_of_change", "unit_conversion"}
	if len(fs) != len(want) {
		t.Fatalf("got %d factories", len(fs))
	}
	for _, n := range want {
		if f, ok := fs[n]; !ok || f.Type() != n {
			t.Errorf("factory %q missing", n)
		}
	}
	if _, err := factories(Factory{typ: "x"}, Factory{typ: "x"}); err == nil || !strings.Contains(err.Error(), `duplicate factory "x"`) {
		t.Errorf("duplicate: %v", err)
	}
}

// TestMitakaPipeline loads the pipeline.yaml mitaka shipped and builds the
// chain of every sink.
func TestMitakaPipeline(t *testing.T) {
	data, err := os.ReadFile("testdata/mitaka-pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := pipeline.LoadSampleConfig("pipeline.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := Settings{Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Warn})}
	wantChain := map[string][]string{
		"meter_sink":     nil,
		"cpu_sink":       {"rate_of_change"},
		"cpu_delta_sink": {"delta"},
		"disk_sink":      {"rate_of_change"},
		"network_sink":   {"rate_of_change"},
	}
	resolve := SharedChains(s)
	for _, sink := range cfg.Sinks {
		chain, err := resolve(sink)
		if err != nil {
			t.Fatalf("sink %s: %v", sink.Name, err)
		}
		var names []string
		for _, tr := range chain {
			names = append(names, tr.Name())
		}
		if strings.Join(names, ",") != strings.Join(wantChain[sink.Name], ",") {
			t.Errorf("sink %s: chain %v, want %v", sink.Name, names, wantChain[sink.Name])
		}
		again, _ := resolve(sink)
		if len(chain) > 0 && again[0] != chain[0] {
			t.Errorf("sink %s: SharedChains built the chain twice", sink.Name)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("unexpected warnings: %s", logs.String())
	}

	// The manager accepts Chain as its Resolver.Transformers.
	var _ func(*pipeline.SinkConfig) ([]pipeline.Transformer, error) = resolve
	m, warns := pipeline.NewSampleManager(hclog.NewNullLogger(), cfg, pipeline.Resolver{
		SamplePublisher: func(pipeline.PublisherConfig) (pipeline.SamplePublisher, error) { return nopPublisher{}, nil },
		Transformers:    resolve,
		Flush: func(ctx context.Context, chain []pipeline.Transformer, drain bool) ([]pipeline.Sample, error) {
			if drain {
				return DrainChain(ctx, chain)
			}
			return FlushChain(ctx, chain)
		},
	})
	if m == nil || len(warns) != 0 {
		t.Fatalf("manager: %v", warns)
	}

	// End to end through the cpu_util sink: two cpu samples make one cpu_util.
	cpu := cfg.Sink("cpu_sink")
	chain, _ := resolve(cpu)
	md := &pyjson.Object{}
	md.Set("cpu_number", int64(4))
	in := []pipeline.Sample{
		{Name: "cpu", Type: "cumulative", Unit: "ns", Volume: int64(1e9), ResourceID: "vm", Timestamp: "2026-11-25T10:00:00+00:00", ResourceMetadata: md},
		{Name: "cpu", Type: "cumulative", Unit: "ns", Volume: int64(13e9), ResourceID: "vm", Timestamp: "2026-11-25T10:01:00+00:00", ResourceMetadata: md},
	}
	out, err := chain[0].Transform(context.Background(), in)
	if err != nil || len(out) != 1 {
		t.Fatalf("cpu_util: %v %v", out, err)
	}
	if out[0].Name != "cpu_util" || out[0].Volume != 5.0 || out[0].Unit != "%" || out[0].Type != "gauge" {
		t.Errorf("cpu_util sample: %+v", out[0])
	}
}

type nopPublisher struct{}

func (nopPublisher) PublishSamples(context.Context, []pipeline.Sample) error { return nil }

func build(t *testing.T, name, params string) (pipeline.Transformer, error) {
	t.Helper()
	root, err := conf.DecodeYAML("p.yaml", []byte(params))
	if err != nil {
		t.Fatal(err)
	}
	return New(pipeline.TransformerConfig{Name: name, Parameters: root, Pos: conf.Position{File: "p.yaml", Line: 1, Path: "sinks[0].transformers[0]"}, ParametersPos: conf.Position{File: "p.yaml", Line: 1, Path: "sinks[0].transformers[0].parameters"}}, Settings{})
}

func TestParameterErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, transformer, params, want string
	}{
		{"unknown transformer", "bogus", "", "p.yaml:1: sinks[0].transformers[0]: No transformer named bogus loaded"},
		{"scale syntax", "unit_conversion", "target:\n  scale: \"volume *\"\n", "p.yaml:2:10: sinks[0].transformers[0].parameters.target.scale: invalid expression \"volume *\": invalid syntax: unexpected end of expression at column 9"},
		{"scale call", "rate_of_change", "target:\n  scale: \"max(volume, 1)\"\n", "p.yaml:2:10: sinks[0].transformers[0].parameters.target.scale: invalid expression \"max(volume, 1)\": function calls are not supported"},
		{"scale dunder", "unit_conversion", "target: {scale: \"volume.__class__\"}", "not allowed in transformer expressions"},
		{"scale list", "unit_conversion", "target: {scale: [1]}", "target.scale: must be a number or an expression, not list"},
		{"target not mapping", "delta", "target: 3", "parameters.target: must be a mapping, not an integer"},
		{"aggregator size", "aggregator", "size: \"1.5\"", "parameters.size: invalid literal for int() with base 10: '1.5'"},
		{"aggregator retention", "aggregator", "retention_time: abc", "parameters.retention_time: could not convert string to float: 'abc'"},
		{"accumulator size", "accumulator", "size: many", "parameters.size: must be a number, not str"},
		{"arithmetic syntax", "arithmetic", "target:\n  expr: \"$(a) +* 2\"\n", "p.yaml:2:9: sinks[0].transformers[0].parameters.target.expr: invalid expression \"$(a) +* 2\" (rewritten \"a.volume +* 2\")"},
		{"arithmetic expr type", "arithmetic", "target: {expr: 3}", "target.expr: must be an expression, not int"},
		{"lookahead regex", "rate_of_change", "source: {map_from: {name: \"disk(?!x)\"}}\ntarget: {map_to: {name: \"y\"}}", "uses syntax Go's RE2 engine cannot run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := build(t, c.transformer, c.params)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant …%s…", err, c.want)
			}
			var fe *conf.FileError
			if !errors.As(err, &fe) {
				t.Errorf("not a *conf.FileError: %T", err)
			}
		})
	}
}

func TestParameterWarnings(t *testing.T) {
	var logs bytes.Buffer
	s := Settings{Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Warn})}
	root, _ := conf.DecodeYAML("p.yaml", []byte("size: 2\nbogus: 1\ntarget: {nmae: x}\nuser_id: sometimes\n"))
	tr, err := New(pipeline.TransformerConfig{Name: "aggregator", Parameters: root, ParametersPos: conf.Position{File: "p.yaml", Path: "parameters"}}, s)
	if err != nil || tr == nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`p.yaml:2:1: parameters.bogus: aggregator ignores the parameter "bogus"`,
		`parameters.target.nmae: aggregator ignores the parameter "nmae"`,
		`parameters.user_id: user_id is unknown (sometimes), using last`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("missing warning %q in:\n%s", want, logs.String())
		}
	}
	// A bad replacement template is ignored as Ceilometer's re.sub failure is.
	logs.Reset()
	root, _ = conf.DecodeYAML("p.yaml", []byte("source: {map_from: {name: \"a(b)\"}}\ntarget: {name: fallback, map_to: {name: \"\\\\2\"}}\n"))
	tr, err = New(pipeline.TransformerConfig{Name: "unit_conversion", Parameters: root, ParametersPos: conf.Position{File: "p.yaml", Path: "parameters"}}, s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "invalid group reference 2") {
		t.Errorf("warning: %s", logs.String())
	}
	out, _ := tr.Transform(context.Background(), []pipeline.Sample{{Name: "ab", Volume: int64(1)}})
	if len(out) != 1 || out[0].Name != "fallback" {
		t.Errorf("fallback name: %+v", out)
	}
	// Arithmetic without a meter reference swallows samples.
	logs.Reset()
	root, _ = conf.DecodeYAML("p.yaml", []byte("target: {expr: \"1 + 1\"}"))
	if _, err := New(pipeline.TransformerConfig{Name: "arithmetic", Parameters: root}, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "must use at least one meter") {
		t.Errorf("warning: %s", logs.String())
	}
}

func TestChainJoinsErrors(t *testing.T) {
	root1, _ := conf.DecodeYAML("p.yaml", []byte("target: {scale: \"(\"}"))
	sink := &pipeline.SinkConfig{Name: "s", Transformers: []pipeline.TransformerConfig{
		{Name: "nope", Pos: conf.Position{File: "p.yaml", Line: 3}},
		{Name: "unit_conversion", Parameters: root1, ParametersPos: conf.Position{File: "p.yaml", Line: 5}},
	}}
	_, err := Chain(sink, Settings{})
	if err == nil || !strings.Contains(err.Error(), "No transformer named nope") || !strings.Contains(err.Error(), "invalid expression") {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, ErrUnknown) {
		t.Errorf("errors.Is(ErrUnknown) is false")
	}
}

func TestRenameTemplate(t *testing.T) {
	t.Parallel()
	cases := []struct{ pat, tmpl, in, want string }{
		{`(disk\.device|disk)\.(read|write)\.(bytes|requests)`, `\1.\2.\3.rate`, "disk.device.read.bytes", "disk.device.read.bytes.rate"},
		{`(B|request)`, `\1/s`, "B", "B/s"},
		{`(?P<x>a)`, `<\g<x>\g<1>\g<0>>`, "bab", "b<aaa>b"},
		{`a`, `\n\t\\\.`, "a", "\n\t\\\\."},
		{`(a)|(b)`, `[\2]`, "ab", "[][b]"},
		{`x*`, `-`, "abxd", "-a-b-d-"},
		{`\d`, `\101`, "1", "A"},
	}
	for _, c := range cases {
		r, err := compileRename(c.pat, c.tmpl)
		if err != nil {
			t.Errorf("%s: %v", c.pat, err)
			continue
		}
		if got := r.apply(c.in); got != c.want {
			t.Errorf("re.sub(%q, %q, %q) = %q, want %q", c.pat, c.tmpl, c.in, got, c.want)
		}
	}
	for _, bad := range []string{`\q`, `\g<9>`, `\3`, `\g<nope>`, `\`} {
		if _, err := compileRename(`(a)(b)`, bad); err == nil {
			t.Errorf("template %q accepted", bad)
		}
	}
}

func compileRename(pat, tmpl string) (*rename, error) {
	var warned []conf.Warning
	from := &params{used: map[string]bool{}}
	to := &params{used: map[string]bool{}}
	from.pairs = yamlPairs("name", pat)
	to.pairs = yamlPairs("name", tmpl)
	r, err := decodeRename(from, to, "name", func(w conf.Warning) { warned = append(warned, w) })
	if err == nil && r == nil && len(warned) > 0 {
		return nil, errors.New(warned[0].Msg)
	}
	return r, err
}

func yamlPairs(k, v string) []conf.YAMLPair {
	root, _ := conf.DecodeYAML("x", []byte(k+": "+strings.ReplaceAll(strings.ReplaceAll(`"`+strings.ReplaceAll(v, `\`, `\\`)+`"`, "\n", `\n`), "\t", `\t`)))
	pairs, _, _ := conf.YAMLMapping(root)
	return pairs
}
