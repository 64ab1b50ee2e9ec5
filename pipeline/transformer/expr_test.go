package transformer

import (
	"errors"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// TestExpressionsAgainstPython evaluates every expression of golden.json,
// whose results Python computed with eval() over mitaka's Namespace.
func TestExpressionsAgainstPython(t *testing.T) {
	t.Parallel()
	data := readGoldenRoot(t)
	so, _ := data.Get("expression_sample")
	s := sampleFromObject(so.(*pyjson.Object))
	exprs, _ := data.Get("expressions")
	n := 0
	for _, ev := range exprs.([]pyjson.Value) {
		e := ev.(*pyjson.Object)
		src := str(e, "expr")
		want, hasResult := e.Get("result")
		x, err := ParseExpr(src)
		if err != nil {
			t.Errorf("%s: parse: %v", src, err)
			continue
		}
		n++
		v, err := x.eval(sampleEnv{&s})
		var got pyjson.Value
		if err == nil {
			got, err = v.toJSON()
		}
		switch {
		case !hasResult && err == nil:
			t.Errorf("%s = %s, want error %s", src, marshal(t, got), str(e, "error"))
		case hasResult && err != nil:
			t.Errorf("%s: %v, want %s", src, err, marshal(t, want))
		case hasResult && marshal(t, got) != marshal(t, want):
			t.Errorf("%s = %s, want %s", src, marshal(t, got), marshal(t, want))
		}
	}
	if n < 100 {
		t.Errorf("only %d expressions", n)
	}
}

func TestExpressionSyntaxErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ src, want string }{
		{"", "unexpected end of expression"},
		{"volume +", "unexpected end of expression"},
		{"(volume", "expected ')'"},
		{"volume)", "unexpected ')'"},
		{"f(x)", "function calls are not supported"},
		{"lambda: 1", `"lambda" is not supported`},
		{"[1, 2]", "list, dict and set displays"},
		{"volume | 1", `the "|" operator is not supported`},
		{"volume << 1", `the "<<" operator is not supported`},
		{"1 in volume", `the "in" operator is not supported`},
		{"volume is None", `the "is" operator is not supported`},
		{"__import__", `name "__import__" is not allowed`},
		{"resource_metadata.__dict__", `name "__dict__" is not allowed`},
		{"x[1:2]", "slices are not supported"},
		{"(1, 2)", "tuples are not supported"},
		{"1j", "complex literals"},
		{"r'x'", "string prefixes"},
		{"'abc", "unterminated string"},
		{"0777", "leading zeros"},
		{"1__0", "invalid number literal"},
		{"volume\n+ 1", "line break outside brackets"},
		{"a if b", "expected 'else'"},
		{"x = 1", `unexpected '='`},
		{"$(cpu)", `invalid character '$'`},
		{"a.if", "expected an attribute name"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "nested too deeply"},
		{strings.Repeat("-", 100) + "1", "nested too deeply"},
		{strings.Repeat("1+", 3000) + "1", "longer than 4096 bytes"},
	}
	for _, c := range cases {
		_, err := ParseExpr(c.src)
		var xe *ExprError
		if err == nil || !errors.As(err, &xe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseExpr(%.40q) = %v, want …%s…", c.src, err, c.want)
		}
	}
	// Valid forms that are easy to get wrong.
	for _, src := range []string{"volume # comment", "(volume\n + 1)", " volume", "a.b.c[0]['d']", "not not 1", "-2**-2", "1 if 2 else 3 if 4 else 5"} {
		if _, err := ParseExpr(src); err != nil {
			t.Errorf("ParseExpr(%q): %v", src, err)
		}
	}
}

func TestExpressionHugeIntegers(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"10**10**10", "2**100000", "(10**5000) * (10**5000) * (10**5000) * 10**5000 * 10**5000"} {
		x, err := ParseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.eval(sampleEnv{}); !errors.Is(err, errIntTooLarge) {
			t.Errorf("%s: %v, want errIntTooLarge", src, err)
		}
	}
}

// FuzzParseExpr checks that parsing and evaluating never panics, and that
// an expression that parses is deterministic.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"100.0 / (10**9 * (resource_metadata.cpu_number or 1))", "volume * 1.0 / 1024",
		"_memory_usage_ESC.volume / memory.volume * 100", "cpu.resource_metadata.cpu_number * cpu.volume",
		"1 < volume < 10", "'a' 'b'", "x if y else z", "-2**-2 // 3 % 4", "resource_metadata['a'][0]",
		"0x1f + 0b1 + 0o7 + 1_000 + 1e-3 + .5", "not (a and b or c)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		x, err := ParseExpr(src)
		if err != nil {
			var xe *ExprError
			if !errors.As(err, &xe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		s := exprFuzzSample()
		v1, err1 := x.eval(sampleEnv{&s})
		v2, err2 := x.eval(sampleEnv{&s})
		if (err1 == nil) != (err2 == nil) || (err1 == nil && v1.repr() != v2.repr()) {
			t.Fatalf("non-deterministic: %v %v / %v %v", v1, err1, v2, err2)
		}
	})
}
