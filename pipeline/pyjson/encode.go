package pyjson

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

func mathNaN() float64         { return math.NaN() }
func mathInf(s int) float64    { return math.Inf(s) }
func isSpecial(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// An UnsupportedTypeError is returned by Marshal when a value holds a dynamic type
// that is not one of those listed on Value (or a convenience type Append accepts).
type UnsupportedTypeError struct {
	Value Value
}

func (e *UnsupportedTypeError) Error() string {
	return fmt.Sprintf("pyjson: unsupported type %T", e.Value)
}

// Marshal returns Python's json.dumps(v) with default settings: separators ", "
// and ": ", ensure_ascii=True, floats as float.__repr__ (NaN, Infinity and
// -Infinity allowed). It fails only on an unsupported dynamic type.
func Marshal(v Value) ([]byte, error) {
	e := encoder{ascii: true}
	b := e.value(nil, v)
	if e.err != nil {
		return nil, e.err
	}
	return b, nil
}

// Append appends Python's json.dumps(v) (default settings, see Marshal) to dst.
// Besides the types listed on Value it accepts Go's other integer types and
// float32 (as Python int and float); any other dynamic type is written as null.
// Strings holding invalid UTF-8 (which Python strings cannot) are encoded as if
// each invalid byte were U+FFFD.
func Append(dst []byte, v Value) []byte {
	e := encoder{ascii: true}
	return e.value(dst, v)
}

// AppendUnicode is Append with ensure_ascii=False: non-ASCII characters are
// written as UTF-8 rather than escaped; only '"', '\\' and control characters
// below U+0020 are escaped.
func AppendUnicode(dst []byte, v Value) []byte {
	e := encoder{}
	return e.value(dst, v)
}

// AppendQuoted appends the body of json.dumps(json.dumps(v)) — Append's
// output as the content of a JSON string, without the surrounding quotes — in
// one pass: Append's output is ASCII without control characters, so as a
// JSON string only its quotes and backslashes change ('"' → '\"', '\' →
// '\\'). oslo.messaging's envelope carries the message so.
func AppendQuoted(dst []byte, v Value) []byte {
	e := encoder{ascii: true, quoted: true}
	return e.value(dst, v)
}

// AppendString appends the JSON encoding of s as json.dumps(s) writes it
// (ensure_ascii=True).
func AppendString(dst []byte, s string) []byte {
	return appendJSONString(dst, s, true)
}

type encoder struct {
	ascii  bool
	quoted bool // see AppendQuoted
	err    error
}

// str appends the encoding of s (a value or a key).
func (e *encoder) str(b []byte, s string) []byte {
	if !e.quoted {
		return appendJSONString(b, s, e.ascii)
	}
	i := 0
	for i < len(s) && jsonSafe[s[i]] {
		i++
	}
	if i == len(s) { // the common case: nothing to escape
		b = append(b, '\\', '"')
		b = append(b, s...)
		return append(b, '\\', '"')
	}
	start := len(b)
	b = appendJSONString(b, s, true)
	// Quote what was just written, in place, from its end.
	extra := 0
	for _, c := range b[start:] {
		if c == '"' || c == '\\' {
			extra++
		}
	}
	n := len(b)
	b = append(b, make([]byte, extra)...)
	w := len(b)
	for r := n - 1; r >= start; r-- {
		c := b[r]
		w--
		b[w] = c
		if c == '"' || c == '\\' {
			w--
			b[w] = '\\'
		}
	}
	return b
}

func (e *encoder) value(b []byte, v Value) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if x {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return appendJSONFloat(b, x)
	case float32:
		return appendJSONFloat(b, float64(x))
	case string:
		return e.str(b, x)
	case BigInt:
		return append(b, x...)
	case []Value:
		return e.list(b, x)
	case *Object:
		if x == nil {
			return append(b, "null"...)
		}
		b = append(b, '{')
		for i := range x.Members {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = e.str(b, x.Members[i].Key)
			b = append(b, ": "...)
			b = e.value(b, x.Members[i].Value)
		}
		return append(b, '}')
	}
	if s, ok := otherNumber(b, v); ok {
		return s
	}
	if e.err == nil {
		e.err = &UnsupportedTypeError{Value: v}
	}
	return append(b, "null"...)
}

func (e *encoder) list(b []byte, x []Value) []byte {
	b = append(b, '[')
	for i, el := range x {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = e.value(b, el)
	}
	return append(b, ']')
}

// ObjectWriter appends a JSON object member by member, byte for byte as
// Append — or AppendQuoted, when made by NewObjectWriter(true) — appends an
// *Object with the same members, for a document built only to be encoded
// once: no Object, no member array and no boxed member values are allocated.
type ObjectWriter struct {
	e encoder
	n int
}

// NewObjectWriter returns a writer in Append's form, or AppendQuoted's when
// quoted.
func NewObjectWriter(quoted bool) ObjectWriter {
	return ObjectWriter{e: encoder{ascii: true, quoted: quoted}}
}

// Key appends the next member's key; its value follows (Str, Value, or
// written by hand in the writer's form).
func (w *ObjectWriter) Key(b []byte, key string) []byte {
	if w.n == 0 {
		b = append(b, '{')
	} else {
		b = append(b, ", "...)
	}
	w.n++
	b = w.e.str(b, key)
	return append(b, ": "...)
}

// String appends the member key: s.
func (w *ObjectWriter) String(b []byte, key, s string) []byte {
	return w.e.str(w.Key(b, key), s)
}

// List appends the member key: l.
func (w *ObjectWriter) List(b []byte, key string, l []Value) []byte {
	return w.e.list(w.Key(b, key), l)
}

// Str appends s as a JSON string in the writer's form.
func (w *ObjectWriter) Str(b []byte, s string) []byte { return w.e.str(b, s) }

// Value appends v in the writer's form.
func (w *ObjectWriter) Value(b []byte, v Value) []byte { return w.e.value(b, v) }

// Object returns a writer, of the same form, for an object nested in this
// one.
func (w *ObjectWriter) Object() ObjectWriter {
	return ObjectWriter{e: encoder{ascii: w.e.ascii, quoted: w.e.quoted}}
}

// End closes the object.
func (w *ObjectWriter) End(b []byte) []byte {
	if w.n == 0 {
		b = append(b, '{')
	}
	return append(b, '}')
}

// otherNumber appends Go numeric types outside Value's set as Python would print
// the equivalent int or float.
func otherNumber(b []byte, v Value) ([]byte, bool) {
	switch x := v.(type) {
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int8:
		return strconv.AppendInt(b, int64(x), 10), true
	case int16:
		return strconv.AppendInt(b, int64(x), 10), true
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	}
	return nil, false
}

func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return AppendFloatRepr(b, f)
}

// AppendFloatRepr appends Python's repr(f) (float.__repr__, also str(f)): the
// shortest string that round-trips, in positional notation with at least one
// fractional digit ("1.0", "0.0001", "123456789012345.0") when the decimal
// exponent is in [-4, 16), otherwise in scientific notation with a signed,
// at-least-two-digit exponent ("1e+16", "1e-05", "1.5e+300"); "nan", "inf" and
// "-inf" for the special values.
func AppendFloatRepr(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // -d[.ddd]e±dd
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	p := 0
	for e[p] != 'e' {
		p++
	}
	exp := 0
	for _, c := range e[p+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[p+1] == '-' {
		exp = -exp
	}
	if neg {
		b = append(b, '-')
	}
	if exp < -4 || exp >= 16 {
		return append(b, e...) // Go's form matches Python's here
	}
	// Digits without the point.
	var dbuf [24]byte
	digits := append(dbuf[:0], e[0])
	if p > 1 {
		digits = append(digits, e[2:p]...)
	}
	point := exp + 1 // digits before the decimal point
	switch {
	case point <= 0:
		b = append(b, "0."...)
		for ; point < 0; point++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	case point >= len(digits):
		b = append(b, digits...)
		for k := len(digits); k < point; k++ {
			b = append(b, '0')
		}
		b = append(b, ".0"...)
	default:
		b = append(b, digits[:point]...)
		b = append(b, '.')
		b = append(b, digits[point:]...)
	}
	return b
}

const hexDigits = "0123456789abcdef"

// jsonSafe[c] is true for ASCII bytes json.dumps copies unchanged.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

func appendJSONString(b []byte, s string, ascii bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c >= 0x80 && !ascii {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n > 1 {
				i += n
				continue
			}
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			if c < 0x80 {
				if c == 0x7f && !ascii {
					b = append(b, c)
				} else {
					b = appendU4(b, rune(c))
				}
				i++
				start = i
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if ascii {
				if r >= 0x10000 {
					r1, r2 := utf16.EncodeRune(r)
					b = appendU4(appendU4(b, r1), r2)
				} else {
					b = appendU4(b, r)
				}
			} else {
				b = utf8.AppendRune(b, r) // only reached for invalid UTF-8
			}
			i += n
			start = i
			continue
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
