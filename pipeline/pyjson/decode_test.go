package pyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// equal compares decoded values exactly: dynamic types must match, NaN equals
// NaN and 0.0 differs from -0.0.
func equal(a, b Value) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return x == y && math.Signbit(x) == math.Signbit(y)
	case []Value:
		y, ok := b.([]Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := range x.Members {
			if x.Members[i].Key != y.Members[i].Key || !equal(x.Members[i].Value, y.Members[i].Value) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

func obj(kv ...any) *Object {
	o := &Object{}
	for i := 0; i < len(kv); i += 2 {
		o.Members = append(o.Members, Member{Key: kv[i].(string), Value: kv[i+1]})
	}
	return o
}

func TestDecodeTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Value
	}{
		{`null`, nil},
		{`true`, true},
		{`false`, false},
		{`0`, int64(0)},
		{`-0`, int64(0)},
		{`255`, int64(255)},
		{`256`, int64(256)},
		{`-42`, int64(-42)},
		{`999999999999999999`, int64(999999999999999999)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`9223372036854775808`, BigInt("9223372036854775808")},
		{`-9223372036854775809`, BigInt("-9223372036854775809")},
		{`1.0`, 1.0},
		{`1e5`, 1e5},
		{`1E+5`, 1e5},
		{`-0.0`, math.Copysign(0, -1)},
		{`-0e0`, math.Copysign(0, -1)},
		{`1e400`, math.Inf(1)},
		{`-1e400`, math.Inf(-1)},
		{`1e-400`, 0.0},
		{`NaN`, math.NaN()},
		{`Infinity`, math.Inf(1)},
		{`-Infinity`, math.Inf(-1)},
		{`""`, ""},
		{`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t"},
		{`"\u00e9\u4E2D\ud83d\ude00"`, "é中😀"},
		{`"é中😀"`, "é中😀"},
		{`"\ud800"`, "\ufffd"},
		{`"\ud800\u0041"`, "\ufffdA"},
		{`"\udc00\ud800\udc00"`, "\ufffd\U00010000"},
		{"\"\x7f\"", "\x7f"},
		{`[]`, []Value{}},
		{` [ 1 , "a" , [ ] , { } ] `, []Value{int64(1), "a", []Value{}, &Object{}}},
		{`{"a": 1, "b": 2, "a": 3}`, obj("a", int64(3), "b", int64(2))},
		{`{"k": {"k": [null]}}`, obj("k", obj("k", []Value{nil}))},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.in))
		if err != nil {
			t.Errorf("Decode(%q): %v", tt.in, err)
			continue
		}
		if !equal(got, tt.want) {
			t.Errorf("Decode(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		offset int
		msg    string
		is     error
	}{
		{``, 0, "Expecting value", nil},
		{`   `, 3, "Expecting value", nil},
		{`01`, 1, "Extra data", nil},
		{`[1,]`, 3, "Expecting value", nil},
		{`{"a":1,}`, 7, "Expecting property name enclosed in double quotes", nil},
		{`{"a" 1}`, 5, "Expecting ':' delimiter", nil},
		{`[1 2]`, 3, "Expecting ',' delimiter", nil},
		{`"abc`, 0, "Unterminated string starting", nil},
		{`"ab\`, 0, "Unterminated string starting", nil},
		{`"a\qb"`, 2, "Invalid \\escape", nil},
		{`"\u12G4"`, 2, "Invalid \\uXXXX escape", nil},
		{"\"a\tb\"", 2, "Invalid control character", nil},
		{"\xef\xbb\xbf1", 0, "Unexpected UTF-8 BOM", nil},
		{"\"a\xffb\"", 2, "invalid UTF-8", ErrInvalidUTF8},
		{"\"\xed\xa0\x80\"", 1, "invalid UTF-8", ErrInvalidUTF8},
		{"[\xff]", 1, "invalid UTF-8", ErrInvalidUTF8},
		{"[" + strings.Repeat("1", 4301) + "]", 1, "Exceeds the limit", ErrIntDigits},
		{strings.Repeat("[", DefaultMaxDepth+1), DefaultMaxDepth, "maximum nesting depth", ErrMaxDepth},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Decode(%.20q) error = %v, want *SyntaxError", tt.in, err)
			continue
		}
		if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) || !errors.Is(err, tt.is) && tt.is != nil {
			t.Errorf("Decode(%.20q) error = %v (offset %d, err %v), want offset %d, %q, %v", tt.in, err, se.Offset, se.Err, tt.offset, tt.msg, tt.is)
		}
	}
}

func TestMaxDepth(t *testing.T) {
	t.Parallel()
	d := Decoder{MaxDepth: 3}
	if _, err := d.Decode([]byte(`[{"a": [1]}]`)); err != nil {
		t.Errorf("depth 3: %v", err)
	}
	if _, err := d.Decode([]byte(`[{"a": [[1]]}]`)); !errors.Is(err, ErrMaxDepth) {
		t.Errorf("depth 4: err = %v, want ErrMaxDepth", err)
	}
	deep := strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth)
	if _, err := Decode([]byte(deep)); err != nil {
		t.Errorf("depth %d: %v", DefaultMaxDepth, err)
	}
	if _, err := Decode([]byte(strings.Repeat("[", 1<<20))); !errors.Is(err, ErrMaxDepth) {
		t.Errorf("depth 1<<20: err = %v, want ErrMaxDepth", err)
	}
}

// TestManyDuplicateKeys checks that a large object with repeated keys keeps
// Python's first-position/last-value rule (and does not take quadratic time).
func TestManyDuplicateKeys(t *testing.T) {
	t.Parallel()
	const n = 20000
	var b strings.Builder
	b.WriteByte('{')
	for round := range 2 {
		for i := range n {
			if round+i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"k` + strconv.Itoa(i) + `": ` + strconv.Itoa(round*n+i))
		}
	}
	b.WriteByte('}')
	v, err := Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*Object)
	if o.Len() != n {
		t.Fatalf("Len = %d, want %d", o.Len(), n)
	}
	for i, m := range o.Members {
		if m.Key != "k"+strconv.Itoa(i) || m.Value != int64(n+i) {
			t.Fatalf("member %d = %q: %v", i, m.Key, m.Value)
		}
	}
}

// TestResultsIndependent checks that results of one Decoder do not share
// writable memory: appending to one result must not change another.
func TestResultsIndependent(t *testing.T) {
	t.Parallel()
	var d Decoder
	a, _ := d.Decode([]byte(`[[1, 2], {"a": 1}]`))
	b, _ := d.Decode([]byte(`[[3, 4], {"b": 2}]`))
	la := a.([]Value)
	_ = append(la[0].([]Value), "x")
	la[1].(*Object).Set("z", true)
	if got := string(Append(nil, b)); got != `[[3, 4], {"b": 2}]` {
		t.Errorf("second result changed: %s", got)
	}
	if got := string(Append(nil, a)); got != `[[1, 2], {"a": 1, "z": true}]` {
		t.Errorf("first result = %s", got)
	}
}

func TestMarshalUnsupported(t *testing.T) {
	t.Parallel()
	_, err := Marshal([]Value{struct{}{}})
	var ue *UnsupportedTypeError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnsupportedTypeError", err)
	}
	if got := string(Append(nil, []Value{int(7), uint8(8), float32(0.5), struct{}{}})); got != "[7, 8, 0.5, null]" {
		t.Errorf("Append = %s", got)
	}
	if got := Str([]Value{int(7), float32(1)}); got != "[7, 1.0]" {
		t.Errorf("Str = %s", got)
	}
}

func TestFloatRepr(t *testing.T) {
	t.Parallel()
	tests := map[float64]string{
		1:                      "1.0",
		0.1:                    "0.1",
		1e20:                   "1e+20",
		1e-5:                   "1e-05",
		1e-4:                   "0.0001",
		1.5e300:                "1.5e+300",
		123456789012345:        "123456789012345.0",
		1234567890123456:       "1234567890123456.0",
		1e16:                   "1e+16",
		-2.5:                   "-2.5",
		0.30000000000000004:    "0.30000000000000004",
		5e-324:                 "5e-324",
		1.7976931348623157e308: "1.7976931348623157e+308",
		0.00012345:             "0.00012345",
		math.Copysign(0, -1):   "-0.0",
		math.Inf(-1):           "-inf",
	}
	for f, want := range tests {
		if got := string(AppendFloatRepr(nil, f)); got != want {
			t.Errorf("AppendFloatRepr(%v) = %s, want %s", f, got, want)
		}
	}
}

// checkEscaped checks DecodeEscaped(s) against the two-pass decode of the
// string literal "s": when it decodes s, the literal must be a valid JSON
// string whose content decodes to the same document. It reports whether s
// was decoded in place.
func checkEscaped(t *testing.T, s string) bool {
	t.Helper()
	var d Decoder
	fast, ok := d.DecodeEscaped(s)
	if !ok {
		return false
	}
	outer, err := d.DecodeString(`"` + s + `"`)
	if err != nil {
		t.Fatalf("DecodeEscaped(%q) decoded text that is no JSON string: %v", s, err)
	}
	inner, err := d.DecodeString(outer.(string))
	if err != nil {
		t.Fatalf("DecodeEscaped(%q) decoded a document that does not decode unescaped: %v", s, err)
	}
	if got, want := Append(nil, fast), Append(nil, inner); !bytes.Equal(got, want) {
		t.Fatalf("DecodeEscaped(%q):\n got %s\nwant %s", s, got, want)
	}
	return true
}

func TestDecodeEscaped(t *testing.T) {
	for _, tc := range []struct {
		s      string
		simple bool
	}{
		{`{\"a\": [1, 2.5, \"x\", {\"b\": [true, false, null]}], \"c\": \"\"}`, true},
		{`{\"a\": 1, \"a\": 2}`, true},
		{`[NaN, -Infinity, 1e400, -0, 12345678901234567890123]`, true},
		{"\\\"caf\xc3\xa9 \xe4\xb8\xad\\\"", true},
		{`  {  }  `, true},
		// Not the simple form: decoded unescaped instead.
		{`{\"a\": \"x\\\"y\"}`, false},       // an escaped quote in an inner string
		{`{\"a\": \"\\u00e9\"}`, false},      // an inner \u escape
		{`{\"a\":\n1}`, false},               // an escaped newline between tokens
		{`{\u0022a\": 1}`, false},            // a quote written as \u0022
		{`{\"a\": 1}\"`, false},              // a stray quote
		{`{"a": 1}`, false},                  // quotes not escaped: no string content
		{"{\\\"a\\\": \\\"\t\\\"}", false},   // a raw tab
		{"{\\\"a\\\": \\\"\xff\\\"}", false}, // invalid UTF-8
		{`\0\"`, false},                      // a backslash that starts no quote
		{`{\"a\": 1`, false},                 // truncated
		{"\xef\xbb\xbf{}", false},            // a byte order mark
	} {
		if got := checkEscaped(t, tc.s); got != tc.simple {
			t.Errorf("DecodeEscaped(%q) decoded in place: %v, want %v", tc.s, got, tc.simple)
		}
	}
	// The decoder is reusable either way.
	var d Decoder
	if _, ok := d.DecodeEscaped(`{\"a\": \"x`); ok {
		t.Fatal("decoded a truncated document")
	}
	if v, err := d.DecodeString(`{"a": "b"}`); err != nil || string(Append(nil, v)) != `{"a": "b"}` {
		t.Fatalf("DecodeString after a failed DecodeEscaped: %v %v", v, err)
	}
}

func FuzzDecodeEscaped(f *testing.F) {
	for _, s := range []string{
		`{\"a\": [1, 2.5, \"x\", {\"b\": [true, false, null]}]}`, `\"x\\\"y\"`, `[\"\\\\\"]`,
		`{\"a\":\n1}`, `\"\\ud83d\\ude00\"`, `{\"a\": 1}\"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEscaped(t, s)
	})
}

func FuzzDecode(f *testing.F) {
	seeds := []string{
		`null`, `[1, 2.5, "x", {"a": [true, false, null]}]`, `{"a": 1, "a": 2}`,
		`"\ud83d\ude00\ud800"`, `NaN`, `-Infinity`, `1e400`, `-0.0`, `-0`,
		`12345678901234567890123`, `"\u0000\u001f\u007f"`, `{"é": "中"}`, "\xef\xbb\xbf{}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile("testdata/nova_instance_exists.json"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		v, err := d.Decode(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("bad error %v", err)
			}
			// Whatever Go's own parser accepts, we accept too, except where
			// Python is stricter or our limits apply.
			if json.Valid(data) && utf8.Valid(data) && !errors.Is(err, ErrMaxDepth) && !errors.Is(err, ErrIntDigits) {
				t.Fatalf("rejected valid JSON %q: %v", data, err)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted invalid UTF-8 %q", data)
		}
		if !bytes.Contains(data, []byte("NaN")) && !bytes.Contains(data, []byte("Infinity")) && !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		for _, enc := range []func([]byte, Value) []byte{Append, AppendUnicode} {
			out := enc(nil, v)
			v2, err := Decode(out)
			if err != nil {
				t.Fatalf("re-decoding %q (from %q): %v", out, data, err)
			}
			if !equal(v, v2) {
				t.Fatalf("round trip changed %q: %#v != %#v", out, v, v2)
			}
			if out2 := enc(nil, v2); !bytes.Equal(out, out2) {
				t.Fatalf("re-encoding unstable: %q != %q", out, out2)
			}
		}
		_ = AppendStr(nil, v)
	})
}

func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile("testdata/nova_instance_exists.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("pyjson", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pyjson-reused-decoder", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var d Decoder
		for b.Loop() {
			if _, err := d.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The document as oslo's envelope carries it (still escaped), decoded
	// in place and, for comparison, unescaped first then decoded. Its two
	// escapes (\u00e9, \") are replaced: with them the document is not in
	// the simple form and takes the two-pass path.
	v, err := Decode([]byte(strings.NewReplacer(`\u00e9`, "e", `\"`, "'").Replace(string(data))))
	if err != nil {
		b.Fatal(err)
	}
	escaped := string(AppendQuoted(nil, v))
	b.Run("escaped-in-place", func(b *testing.B) {
		b.SetBytes(int64(len(escaped)))
		b.ReportAllocs()
		var d Decoder
		for b.Loop() {
			if _, ok := d.DecodeEscaped(escaped); !ok {
				b.Fatal("not decoded in place")
			}
		}
	})
	b.Run("escaped-two-pass", func(b *testing.B) {
		b.SetBytes(int64(len(escaped)))
		b.ReportAllocs()
		var d Decoder
		literal := `"` + escaped + `"`
		for b.Loop() {
			s, err := d.DecodeString(literal)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.DecodeString(s.(string)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-map", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMarshal(b *testing.B) {
	data, err := os.ReadFile("testdata/nova_instance_exists.json")
	if err != nil {
		b.Fatal(err)
	}
	v, err := Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = Append(buf[:0], v)
	}
}

// TestNoRetentionAcrossDocuments guards against blocks shared between documents
// chaining every result a Decoder ever produced together: after many decodes
// whose results are dropped, the live heap must not have grown. Not parallel, so
// that other tests do not allocate meanwhile.
func TestNoRetentionAcrossDocuments(t *testing.T) {
	data, err := os.ReadFile("testdata/nova_instance_exists.json")
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for range 3000 {
		if _, err := d.Decode(data); err != nil {
			t.Fatal(err)
		}
	}
	after := heap()
	runtime.KeepAlive(&d) // the Decoder is live, as in a long-running consumer
	if after > before+2<<20 {
		t.Errorf("live heap grew from %d to %d bytes after 3000 discarded decodes", before, after)
	}
}
