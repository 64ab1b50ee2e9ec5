package jsonpath

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

func mustDecode(t testing.TB, s string) pyjson.Value {
	t.Helper()
	v, err := pyjson.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

const sampleDoc = `{"payload": {"a": 3, "b": 2.5, "s": "x.y", "n": null,
	"l": [10, 20], "metrics": [{"name": "cpu.frequency", "value": 1600},
	{"name": "cpu.percent", "value": 0.5}], "big": 9223372036854775807}}`

func TestFind(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, sampleDoc)
	tests := []struct {
		expr string
		want string // JSON of the match list
	}{
		{"$.payload.a", `[3]`},
		{"payload.a", `[3]`},
		{"$.payload.n", `[null]`},
		{"$.payload.missing", `[]`},
		{"$.payload.l[1]", `[20]`},
		{"$.payload.l[5]", `[]`},
		{"$.payload.l[*]", `[10, 20]`},
		{"$.payload.a * 1024", `[3072]`},
		{"$.payload.b * 2", `[5.0]`},
		{"$.payload.big + 1", `[9223372036854775808]`},
		{"$.payload.a + $.payload.b", `[5.5]`},
		{"$.payload.s + '-' + $.payload.s", `["x.y-x.y"]`},
		{"$.payload.metrics[?(@.name = 'cpu.frequency')].value", `[1600]`},
		{"$.payload.metrics[?(@.value > 1)].name", `["cpu.frequency"]`},
		{"$.payload.metrics[\\value][*].name", `["cpu.frequency", "cpu.percent"]`},
		{"$.payload.metrics[/value][*].name", `["cpu.percent", "cpu.frequency"]`},
		{"$.payload.metrics[/value].name", `[]`}, // the sorted list is one match
		{"$.payload.metrics.`len`", `[2]`},
		{"$.payload.s.`split(., 1, -1)`", `["y"]`},
		{"(payload.missing)|(payload.a)", `[3]`},
		{"$.payload.a | $.payload.b", `[2.5]`}, // means $.payload.(a|$).payload.b
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			p, err := Compile(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Find(doc)
			want := mustDecode(t, tt.want).([]pyjson.Value)
			if !sameValue(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("Find = %s, want %s", render(got), tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr   string
		line   int
		column int
		reason string
	}{
		{"$.payload.", 1, 11, "unexpected end"},
		{"$.a / 2", 1, 5, "unexpected SORT_DIRECTION"},
		{"$.a\n.b #", 2, 4, "unexpected character"},
		{"$.`nope`", 1, 3, "unknown named operator"},
		{"'open", 1, 1, "unterminated"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.expr)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q) = %v, want a *SyntaxError", tt.expr, err)
			continue
		}
		if se.Line != tt.line || se.Column != tt.column || !strings.Contains(se.Reason, tt.reason) {
			t.Errorf("Compile(%q): line %d column %d reason %q; want %d, %d, %q",
				tt.expr, se.Line, se.Column, se.Reason, tt.line, tt.column, tt.reason)
		}
	}
}

func TestEvalError(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, sampleDoc)
	p, err := Compile("$.payload.a[0]")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(doc)
	var ee *EvalError
	if !errors.As(err, &ee) || ee.Expr != "$.payload.a[0]" {
		t.Fatalf("Eval = %v, want *EvalError for the expression", err)
	}
	if got := p.Find(doc); got != nil {
		t.Errorf("Find = %v, want nil", got)
	}
	if v, ok := p.First(doc); ok || v != nil {
		t.Errorf("First = %v, %v", v, ok)
	}
}

func TestFirstSkipsNull(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, sampleDoc)
	p, err := Compile("(payload.n)|(payload.a)")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.First(doc); !ok || v != int64(3) {
		t.Errorf("First = %v, %v; want 3", v, ok)
	}
	p, _ = Compile("$.payload.n")
	if v, ok := p.First(doc); ok || v != nil {
		t.Errorf("First = %v, %v; want nothing", v, ok)
	}
}

func TestMatchesPaths(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, sampleDoc)
	p, err := Compile("$.payload.metrics[?(@.value < 1)].name")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := p.Matches(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Path != "payload.metrics.[1].name" || ms[0].Value != "cpu.percent" {
		t.Errorf("Matches = %+v", ms)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, sampleDoc)
	paths := []string{"$.payload.a", "$.payload.metrics[/value].name", "$..name", "$.payload.a * 2"}
	var compiled []*Path
	for _, s := range paths {
		p, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, p)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				for _, p := range compiled {
					if _, err := p.Eval(doc); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestFastPathAllocations(t *testing.T) {
	doc := mustDecode(t, sampleDoc)
	p, err := Compile("$.payload.metrics[1].value")
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]pyjson.Value, 0, 4)
	allocs := testing.AllocsPerRun(100, func() {
		dst = p.AppendFind(dst[:0], doc)
		if _, ok := p.First(doc); !ok {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
	if len(dst) != 1 || dst[0] != 0.5 {
		t.Errorf("AppendFind = %v", dst)
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, `{"a": {"a": 1}}`)
	expr := "$" + strings.Repeat(".(a|$)", 30)
	p, err := Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	var ee *EvalError
	if _, err := p.Eval(doc); !errors.As(err, &ee) {
		t.Errorf("Eval = %v, want the match budget to stop it", err)
	}
}

func TestDeepExpressions(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		strings.Repeat("a.", 20000) + "a",
		strings.Repeat("(", 20000) + "a" + strings.Repeat(")", 20000),
		strings.Repeat("a + ", 20000) + "a",
	} {
		if _, err := Compile(expr); err == nil {
			t.Errorf("Compile accepted a %d-byte expression nested beyond the limit", len(expr))
		}
	}
}
