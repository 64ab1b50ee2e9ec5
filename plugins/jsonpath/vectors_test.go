package jsonpath

import (
	"errors"
	"math"
	"os"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// vectorCase is one case of testdata/vectors.json (see gen_vectors.py).
type vectorCase struct {
	expr       string
	doc        string
	source     string
	parseError string
	evalError  string
	want       []pyjson.Value
	paths      []string
	hasWant    bool
}

func str(o *pyjson.Object, k string) string {
	v, _ := o.Get(k)
	s, _ := v.(string)
	return s
}

func loadVectors(t testing.TB) (map[string]pyjson.Value, []vectorCase) {
	t.Helper()
	file := "testdata/vectors.json"
	if f := os.Getenv("JSONPATH_VECTORS"); f != "" {
		file = f // a bigger differential run made with gen_vectors.py's knobs
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		t.Fatalf("decode vectors: %v", err)
	}
	top := v.(*pyjson.Object)
	docsV, _ := top.Get("docs")
	docs := map[string]pyjson.Value{}
	for _, m := range docsV.(*pyjson.Object).Members {
		docs[m.Key] = m.Value
	}
	casesV, _ := top.Get("cases")
	var cases []vectorCase
	for _, cv := range casesV.([]pyjson.Value) {
		o := cv.(*pyjson.Object)
		c := vectorCase{
			expr: str(o, "expr"), doc: str(o, "doc"), source: str(o, "source"),
			parseError: str(o, "parse_error"), evalError: str(o, "eval_error"),
		}
		if w, ok := o.Get("want"); ok {
			c.hasWant = true
			c.want = w.([]pyjson.Value)
			ps, _ := o.Get("paths")
			for _, p := range ps.([]pyjson.Value) {
				c.paths = append(c.paths, p.(string))
			}
		}
		cases = append(cases, c)
	}
	return docs, cases
}

// sameValue compares decoded values keeping Python's distinctions: int is
// not float, bool is not int, object key order matters.
func sameValue(a, b pyjson.Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case pyjson.BigInt:
		y, ok := b.(pyjson.BigInt)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []pyjson.Value:
		y, ok := b.([]pyjson.Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case *pyjson.Object:
		y, ok := b.(*pyjson.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := range x.Members {
			if x.Members[i].Key != y.Members[i].Key || !sameValue(x.Members[i].Value, y.Members[i].Value) {
				return false
			}
		}
		return true
	}
	return false
}

func render(v pyjson.Value) string {
	b, err := pyjson.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// knownDeviations are vectors where we knowingly differ from Python (see
// the package documentation), keyed by expression.
var knownDeviations = map[string]string{
	"$.`sub(/(?<=a)b/, c)`":      "RE2 has no look-behind: refused at Compile time",
	"$.payload.s.`sub(/b|/, -)`": "an empty match right after a match is not replaced",
}

func TestVectors(t *testing.T) {
	docs, cases := loadVectors(t)
	if len(cases) < 1000 {
		t.Fatalf("only %d vectors", len(cases))
	}
	failed := 0
	for i, c := range cases {
		fail := func(format string, args ...any) {
			failed++
			if failed <= 40 {
				t.Errorf("case %d (%s) %q on %q: "+format, append([]any{i, c.source, c.expr, c.doc}, args...)...)
			}
		}
		if _, ok := knownDeviations[c.expr]; ok {
			continue
		}
		p, err := Compile(c.expr)
		if c.parseError != "" {
			if err == nil {
				fail("compiled, Python fails to parse: %s", c.parseError)
			} else if se := (*SyntaxError)(nil); !errors.As(err, &se) {
				fail("error %v is not a *SyntaxError", err)
			}
			continue
		}
		if err != nil {
			fail("compile error %v", err)
			continue
		}
		if p.String() != c.expr {
			fail("String() = %q", p.String())
		}
		doc := docs[c.doc]
		got, err := p.Eval(doc)
		if c.evalError != "" {
			if err == nil {
				fail("evaluated to %s, Python raises %s", render(got), c.evalError)
			}
			if p.Find(doc) != nil {
				fail("Find returned matches for a failing evaluation")
			}
			continue
		}
		if err != nil {
			fail("eval error %v, want %s", err, render(c.want))
			continue
		}
		if !sameValue(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			fail("got %s, want %s", render(got), render(c.want))
			continue
		}
		ms, err := p.Matches(doc)
		if err != nil {
			fail("Matches: %v", err)
			continue
		}
		for j := range ms {
			if j >= len(c.paths) || ms[j].Path != c.paths[j] {
				fail("match %d path %q, want paths %q", j, ms[j].Path, c.paths)
				break
			}
		}
		first, ok := p.First(doc)
		var wantFirst pyjson.Value
		for _, v := range c.want {
			if v != nil {
				wantFirst = v
				break
			}
		}
		if ok != (wantFirst != nil) || !sameValue(first, wantFirst) {
			fail("First = %s, %v; want %s", render(first), ok, render(wantFirst))
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d vectors failed", failed, len(cases))
	}
	t.Logf("%d vectors", len(cases))
}
