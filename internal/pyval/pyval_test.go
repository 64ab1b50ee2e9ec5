package pyval

import (
	"math"
	"os"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

func loadVectors(t *testing.T) *pyjson.Object {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*pyjson.Object)
}

func field(o pyjson.Value, k string) pyjson.Value {
	v, _ := o.(*pyjson.Object).Get(k)
	return v
}

// check compares a conversion result with Python's outcome.
func check(t *testing.T, what string, in pyjson.Value, got pyjson.Value, err error, want pyjson.Value) {
	t.Helper()
	if exc, ok := field(want, "exc").(string); ok {
		if err == nil {
			t.Errorf("%s(%s) = %v, want %s", what, pyjson.Repr(in), got, exc)
		} else if ee, ok := err.(*Exception); !ok || ee.Type.String() != exc || ee.Msg != field(want, "msg") {
			t.Errorf("%s(%s): %v, want %s: %s", what, pyjson.Repr(in), err, exc, field(want, "msg"))
		}
		return
	}
	if err != nil {
		t.Errorf("%s(%s): %v", what, pyjson.Repr(in), err)
		return
	}
	var s string
	switch g := got.(type) {
	case float64:
		switch {
		case math.IsNaN(g):
			s = "nan"
		case math.IsInf(g, 1):
			s = "inf"
		case math.IsInf(g, -1):
			s = "-inf"
		default:
			s = pyjson.Repr(g)
		}
		if w := field(want, "float"); w != s {
			t.Errorf("%s(%s) = %s, want %v", what, pyjson.Repr(in), s, w)
		}
	default:
		s = pyjson.Str(g)
		if w := field(want, "int"); w != s {
			t.Errorf("%s(%s) = %s, want %v", what, pyjson.Repr(in), s, w)
		}
	}
}

// TestConvertVectors checks int() and float() against testdata/gen_vectors.py.
func TestConvertVectors(t *testing.T) {
	vs := loadVectors(t)
	for _, c := range field(vs, "convert").([]pyjson.Value) {
		in := field(c, "in")
		got, err := Int(in)
		check(t, "int", in, got, err, field(c, "int"))
		got, err = Float(in)
		check(t, "float", in, got, err, field(c, "float"))
	}
}

func TestEqualVectors(t *testing.T) {
	vs := loadVectors(t)
	for _, c := range field(vs, "equal").([]pyjson.Value) {
		a, b, want := field(c, "a"), field(c, "b"), field(c, "eq").(bool)
		if Equal(a, b) != want {
			t.Errorf("%s == %s: %v, want %v", pyjson.Repr(a), pyjson.Repr(b), !want, want)
		}
	}
	if Equal(math.NaN(), math.NaN()) || !Equal(math.Inf(1), math.Inf(1)) || Equal(math.Inf(1), pyjson.BigInt("99999999999999999999999")) {
		t.Error("nan/inf equality")
	}
	if !Equal(Timestamp("2001-12-14"), Timestamp("2001-12-14")) || Equal(Timestamp("2001-12-14"), "2001-12-14") {
		t.Error("timestamp equality")
	}
}

func TestYAMLInt(t *testing.T) {
	cases := map[string]pyjson.Value{
		"1": int64(1), "-0x1F": int64(-31), "0o17": nil, "017": int64(15), "0b101": int64(5),
		"1_000": int64(1000), "1:30": int64(90), "123456789012345678901234567890": pyjson.BigInt("123456789012345678901234567890"),
	}
	for in, want := range cases {
		got, err := YAMLInt(in)
		if want == nil {
			if err == nil {
				t.Errorf("YAMLInt(%q) = %v, want error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("YAMLInt(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestYAMLFloat(t *testing.T) {
	cases := map[string]float64{"1.5": 1.5, "-.inf": math.Inf(-1), "1_0.5": 10.5, "1:30.5": 90.5, "1e400": math.Inf(1), "1e-400": 0}
	for in, want := range cases {
		got, err := YAMLFloat(in)
		if err != nil || got != want {
			t.Errorf("YAMLFloat(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := YAMLFloat("1.2.3"); err == nil {
		t.Error("YAMLFloat(1.2.3): no error")
	}
}

func TestFromYAML(t *testing.T) {
	src := "base: &b {x: 1}\nv:\n  <<: *b\n  ~: yes\n  true: 0x10\n  d: 2001-12-14\n  f: 1.5\n  s: '07'\n  l: [on, null, 010]\n  x: 2\n"
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	for style, want := range map[KeyStyle]string{
		KeyJSON: `{"x": 2, "null": true, "true": 16, "d": "2001-12-14", "f": 1.5, "s": "07", "l": [true, null, 8]}`,
		KeyStr:  `{"x": 2, "None": true, "True": 16, "d": "2001-12-14", "f": 1.5, "s": "07", "l": [true, null, 8]}`,
	} {
		v, err := FromYAML(doc.Content[0], style)
		if err != nil {
			t.Fatal(err)
		}
		got := field(v, "v")
		if _, ok := field(got, "d").(Timestamp); !ok {
			t.Errorf("d is %T, want Timestamp", field(got, "d"))
		}
		b, err := pyjson.Marshal(TimestampsAsText(got))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("style %d:\n got  %s\n want %s", style, b, want)
		}
	}
}

func TestTruthAndStr(t *testing.T) {
	for v, want := range map[string]bool{"0": false, "1": true, `""`: false, `"a"`: true, "[]": false, "{}": false, "null": false, "0.0": false, "[0]": true} {
		x, err := pyjson.Decode([]byte(v))
		if err != nil {
			t.Fatal(err)
		}
		if Truth(x) != want {
			t.Errorf("bool(%s) = %v", v, !want)
		}
	}
	if Str(true) != "True" || Str(nil) != "None" || Str(Timestamp("2001-12-14")) != "2001-12-14" || Str(int64(-3)) != "-3" {
		t.Error("str()")
	}
	if TypeName(Timestamp("x")) != "datetime" || TypeName(pyjson.BigInt("1")) != "int" {
		t.Error("TypeName")
	}
}

func BenchmarkIntString(b *testing.B) {
	for b.Loop() {
		if _, err := Int("  12345 "); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEqualMixed(b *testing.B) {
	for b.Loop() {
		Equal(int64(3), 3.0)
	}
}

func TestSliceTo(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"héllo", 2, "hé"}, {"héllo", 0, ""}, {"héllo", 10, "héllo"},
		{"héllo", -1, "héll"}, {"héllo", -5, ""}, {"héllo", -9, ""},
	}
	for _, c := range cases {
		if got := SliceTo(c.s, c.n); got != c.want {
			t.Errorf("SliceTo(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func TestLower(t *testing.T) {
	// Python 3.11's str.lower().
	for in, want := range map[string]string{
		"Avg Power (0x2e)": "avg power (0x2e)", "İSTANBUL": "i̇stanbul", "ΟΔΟΣ": "οδος", "ΟΔΟΣ ΑΣ": "οδος ας",
		"Σ": "σ", "AΣb": "aσb", "A'Σ": "a'ς",
	} {
		if got := Lower(in); got != want {
			t.Errorf("Lower(%q) = %q, want %q", in, got, want)
		}
	}
}
