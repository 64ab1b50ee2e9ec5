package pyjson

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Str returns Python's str(v). See AppendStr.
func Str(v Value) string { return string(AppendStr(nil, v)) }

// Repr returns Python's repr(v). See AppendRepr.
func Repr(v Value) string { return string(AppendRepr(nil, v)) }

// AppendStr appends Python's str(v) to dst: a string is copied unchanged, and
// every other value is rendered as AppendRepr does (for these types Python's str
// and repr only differ on strings, and inside a list or dict str uses repr).
func AppendStr(dst []byte, v Value) []byte {
	if s, ok := v.(string); ok {
		return append(dst, s...)
	}
	return AppendRepr(dst, v)
}

// AppendRepr appends Python's repr(v) to dst: None, True, False; ints in
// decimal; floats as float.__repr__ (see AppendFloatRepr); strings quoted as
// AppendStringRepr does; lists as [a, b] and dicts as {k: v} in insertion order,
// elements, keys and values rendered by repr. Go's other integer types and
// float32 are rendered as Python int and float; any other dynamic type as
// <unsupported T>, which Python could not produce.
func AppendRepr(dst []byte, v Value) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "None"...)
	case bool:
		if x {
			return append(dst, "True"...)
		}
		return append(dst, "False"...)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return AppendFloatRepr(dst, x)
	case float32:
		return AppendFloatRepr(dst, float64(x))
	case string:
		return AppendStringRepr(dst, x)
	case BigInt:
		return append(dst, x...)
	case []Value:
		dst = append(dst, '[')
		for i, el := range x {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendRepr(dst, el)
		}
		return append(dst, ']')
	case *Object:
		if x == nil {
			return append(dst, "None"...)
		}
		dst = append(dst, '{')
		for i := range x.Members {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendStringRepr(dst, x.Members[i].Key)
			dst = append(dst, ": "...)
			dst = AppendRepr(dst, x.Members[i].Value)
		}
		return append(dst, '}')
	}
	if b, ok := otherNumber(dst, v); ok {
		return b
	}
	return fmt.Appendf(dst, "<unsupported %T>", v)
}

// AppendStringRepr appends Python 3's repr(s) for a str: enclosed in single
// quotes, or in double quotes when s contains a single quote and no double
// quote; the enclosing quote and backslash are backslash-escaped; tab, newline
// and carriage return as \t \n \r; other ASCII control characters and DEL as
// \xNN; non-ASCII characters are kept when printable (IsPrintable) and otherwise
// escaped as \xNN, \uNNNN or \UNNNNNNNN (lowercase hex). Invalid UTF-8 bytes,
// which a Python str cannot hold, are treated as U+FFFD.
func AppendStringRepr(dst []byte, s string) []byte {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	dst = append(dst, quote)
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != quote && c != '\\' {
			i++
			continue
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || n > 1) && IsPrintable(r) {
				i += n
				continue
			}
			dst = append(dst, s[start:i]...)
			switch {
			case r == utf8.RuneError:
				dst = append(dst, "\ufffd"...)
			case r <= 0xff:
				dst = append(dst, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
			case r <= 0xffff:
				dst = appendU4(dst, r)
			default:
				dst = append(dst, '\\', 'U', '0', '0', hexDigits[r>>20&0xf], hexDigits[r>>16&0xf],
					hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			}
			i += n
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\\', quote:
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, quote)
}

// AppendBytesRepr appends Python 3's repr(s.encode('utf-8')), the repr of the
// bytes object holding s: b'...' (or b"..." by the same quote rule as
// AppendStringRepr), with backslash, the quote, \t \n \r escaped, and every byte
// outside printable ASCII (0x20–0x7e) as \xNN.
func AppendBytesRepr(dst []byte, s string) []byte {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	dst = append(dst, 'b', quote)
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != quote && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\\', quote:
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, quote)
}

// IsPrintable reports whether Python 3.11's str.isprintable() holds for r: r is
// not in Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp or Zs (U+0020 excepted).
// It is Go's unicode.IsPrint, whose definition is the same, corrected for the
// characters Unicode 15.0 (Go) assigned that Unicode 14.0 (Python 3.11) did not:
// Python treats those as unassigned (Cn), so not printable.
func IsPrintable(r rune) bool {
	if r < 0x80 {
		return r >= 0x20 && r < 0x7f
	}
	if !unicode.IsPrint(r) {
		return false
	}
	return !inRanges(unassignedInUnicode14, r)
}

func inRanges(t [][2]rune, r rune) bool {
	lo, hi := 0, len(t)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case r < t[m][0]:
			hi = m
		case r > t[m][1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// unassignedInUnicode14 lists the code points printable per Go's Unicode 15.0
// tables but not per Python 3.11 (Unicode 14.0); TestIsPrintable derives it from
// Python.
var unassignedInUnicode14 = [][2]rune{
	{0xcf3, 0xcf3},
	{0xece, 0xece},
	{0x10efd, 0x10eff},
	{0x1123f, 0x11241},
	{0x11b00, 0x11b09},
	{0x11f00, 0x11f10},
	{0x11f12, 0x11f3a},
	{0x11f3e, 0x11f59},
	{0x1342f, 0x1342f},
	{0x13440, 0x13455},
	{0x1b132, 0x1b132},
	{0x1b155, 0x1b155},
	{0x1d2c0, 0x1d2d3},
	{0x1df25, 0x1df2a},
	{0x1e030, 0x1e06d},
	{0x1e08f, 0x1e08f},
	{0x1e4d0, 0x1e4f9},
	{0x1f6dc, 0x1f6dc},
	{0x1f774, 0x1f776},
	{0x1f77b, 0x1f77f},
	{0x1f7d9, 0x1f7d9},
	{0x1fa75, 0x1fa77},
	{0x1fa87, 0x1fa88},
	{0x1faad, 0x1faaf},
	{0x1fabb, 0x1fabd},
	{0x1fabf, 0x1fabf},
	{0x1face, 0x1facf},
	{0x1fada, 0x1fadb},
	{0x1fae8, 0x1fae8},
	{0x1faf7, 0x1faf8},
	{0x2b739, 0x2b739},
	{0x31350, 0x323af},
}
