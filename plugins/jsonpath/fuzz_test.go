package jsonpath

import (
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

var fuzzSeeds = []string{
	"$.payload.a", "payload.metrics[*].name", "$.payload.metrics[?(@.name = 'cpu.frequency')].value",
	"$.payload.a * 2", "$.payload.host + \"_\" + $.payload.nodename", "(payload.a)|(payload.b)",
	"$.payload.l[0:2]", "$..name", "$.payload.metrics[/value,\\name].name", "$.a.`parent`",
	"$.payload.s.`split(., 0, -1)`", "$.s.`sub(/(a)/, \\1\\g<1>)`", "a + b", "x where y",
	"$.payload.metrics[?(@.a > 0 & @.value ~ '^1')].name", "`sorted`", "$[-1]", "'a.b'.\"c\"",
}

const fuzzDoc = `{"payload": {"a": 1, "b": 2.5, "s": "a.b", "l": [3, "x", null, [1]],
	"o": {"k": "v"}, "metrics": [{"name": "cpu", "value": 1600, "a": true}, {"name": 5}]},
	"a": {"a": {"a": 1}}, "name": "top"}`

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := Compile(expr)
		if err != nil {
			if p != nil {
				t.Fatal("non-nil Path with an error")
			}
			return
		}
		if p.String() != expr {
			t.Fatalf("String() = %q, want %q", p.String(), expr)
		}
	})
}

func FuzzFind(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, fuzzDoc)
	}
	f.Fuzz(func(t *testing.T, expr, doc string) {
		p, err := Compile(expr)
		if err != nil {
			return
		}
		v, err := pyjson.Decode([]byte(doc))
		if err != nil {
			return
		}
		got, err := p.Eval(v)
		if err == nil {
			// The fast path and the general evaluator must agree.
			n := -1
			err2 := p.eval(v, func(ms []*datum) { n = len(ms) })
			if err2 != nil || n != len(got) {
				t.Fatalf("fast path %d matches, evaluator %d (%v)", len(got), n, err2)
			}
		}
		p.Find(v)
		p.First(v)
		_, _ = p.Matches(v)
	})
}
