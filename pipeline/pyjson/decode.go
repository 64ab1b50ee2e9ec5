package pyjson

import (
	"errors"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// DefaultMaxDepth is the nesting depth a Decoder accepts when its MaxDepth is zero.
// Python itself gives up near its recursion limit (about 1000 levels), so any
// document Ceilometer can decode fits well within a depth of 512.
const DefaultMaxDepth = 512

// MaxIntDigits is the longest integer literal, in digits, that Python 3.11 converts
// (sys.get_int_max_str_digits() defaults to 4300); json.loads raises ValueError on a
// longer one, and so does Decode.
const MaxIntDigits = 4300

// Errors that a SyntaxError may wrap; test with errors.Is.
var (
	// ErrMaxDepth reports nesting deeper than the Decoder's MaxDepth.
	ErrMaxDepth = errors.New("pyjson: maximum nesting depth exceeded")
	// ErrIntDigits reports an integer literal longer than MaxIntDigits digits.
	ErrIntDigits = errors.New("pyjson: integer literal exceeds 4300 digits")
	// ErrInvalidUTF8 reports input that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("pyjson: invalid UTF-8")
)

// A SyntaxError describes why and where decoding failed.
type SyntaxError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what was wrong, in Python's words where it has them
	Err    error  // ErrMaxDepth, ErrIntDigits, ErrInvalidUTF8 or nil
}

func (e *SyntaxError) Error() string {
	return "pyjson: " + e.Msg + " at byte offset " + strconv.Itoa(e.Offset)
}

// Unwrap returns the sentinel error classifying e, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

// A Decoder decodes JSON documents as Python's json.loads does (see Value for the
// resulting types). The zero value is ready to use. A Decoder keeps scratch space
// between calls, so reusing one is cheaper than calling the package-level Decode;
// it must not be used by several goroutines at once.
//
// Memory note: to save allocations, the arrays, objects and members of one
// document are carved from a few shared blocks, and every unescaped string is a
// substring of one copy of the input. Keeping any part of a result alive can
// therefore keep memory of the order of the whole document alive (never memory of
// other documents: blocks are not shared between Decode calls). Clone what is
// retained long-term. Slices handed out are capacity-limited, so appending to
// them copies rather than overwriting a neighbour.
type Decoder struct {
	// MaxDepth bounds the nesting of arrays and objects; 0 means DefaultMaxDepth.
	// Deeper documents fail with a SyntaxError wrapping ErrMaxDepth. Decoding
	// recurses once per level, so keep it modest (thousands, not millions).
	MaxDepth int

	surrogates int // lone surrogates replaced in the last Decode

	src      string
	esc      bool // src is escaped as the content of a JSON string (DecodeEscaped)
	maxDepth int
	buf      []byte   // scratch for unescaping strings
	vstack   []Value  // array elements under construction
	mstack   []Member // object members under construction

	// Blocks the current document's arrays, members and objects are carved
	// from; dropped at the start of every Decode so that results of different
	// documents never share (and never keep each other alive).
	vslab []Value
	mslab []Member
	oslab []Object
}

// Surrogates returns how many lone UTF-16 surrogates (a \ud800–\udfff escape not
// part of a valid pair) the last Decode met. Python keeps such a code point in its
// str; a Go string cannot hold one, so the decoder stores U+FFFD instead. A
// non-zero count therefore means re-encoding or signing the value may differ from
// Python's (which would print the surrogate as \udXXX, or fail to UTF-8 encode it).
// The package-level Decode does not report this count; use a Decoder to see it.
func (d *Decoder) Surrogates() int { return d.surrogates }

var decoderPool = sync.Pool{New: func() any { return new(Decoder) }}

// Decode decodes one JSON document as Python's json.loads(data) does, with the
// default Decoder settings. See Decoder.Decode.
func Decode(data []byte) (Value, error) {
	d := decoderPool.Get().(*Decoder)
	v, err := d.Decode(data)
	decoderPool.Put(d)
	return v, err
}

// Decode decodes data, which must hold exactly one JSON value, optionally
// surrounded by whitespace (space, tab, CR, LF), following Python's json.loads:
//
//   - an integer literal becomes int64, or BigInt when it does not fit (more
//     than MaxIntDigits digits is an error, as in Python 3.11); "-0" is int64 0;
//   - any literal with a fraction or exponent becomes float64 ("1.0", "1e5");
//     overflow gives ±Inf ("1e400") and underflow 0; NaN, Infinity and -Infinity
//     are accepted;
//   - strings may use every JSON escape; \u escapes forming a surrogate pair are
//     joined, a lone surrogate becomes U+FFFD (counted, see Surrogates); raw
//     control characters (U+0000–U+001F) in strings are errors (strict mode);
//   - a repeated object key keeps its first position and its last value;
//   - the input must be valid UTF-8 with no byte order mark (json.loads of a str
//     rejects a BOM); anything after the value other than whitespace is an error.
//
// Errors are *SyntaxError values naming the byte offset. Decode never panics.
func (d *Decoder) Decode(data []byte) (Value, error) {
	return d.DecodeString(string(data))
}

// DecodeString is Decode for input already held in a string; it avoids copying
// the input (decoded strings are substrings of s).
func (d *Decoder) DecodeString(s string) (Value, error) {
	d.esc = false
	return d.decodeSource(s)
}

// DecodeEscaped decodes the JSON document whose text is s as it appears inside
// a JSON string literal, still escaped: what DecodeString(unescaped s) would
// return, without unescaping s first. oslo.messaging's envelope carries a
// notification so, as the string "oslo.message" of an outer document, and
// unescaping it was a copy of every message and a pass over it.
//
// Only the simple form is decoded: the only escapes of s are the quotes of
// the inner document (\"), the inner strings have no escapes of their own,
// and the inner document has no whitespace but spaces — what json.dumps makes
// of a document whose strings are plain ASCII or UTF-8. Anything else,
// invalid documents included, returns ok false, and the caller decodes the
// unescaped string instead (which also gives the precise error). Decoded
// strings are substrings of s.
func (d *Decoder) DecodeEscaped(s string) (v Value, ok bool) {
	d.esc = true
	v, err := d.decodeSource(s)
	d.esc = false
	if err != nil {
		return nil, false
	}
	return v, true
}

func (d *Decoder) decodeSource(s string) (Value, error) {
	d.src = s
	d.surrogates = 0
	d.maxDepth = d.MaxDepth
	if d.maxDepth <= 0 {
		d.maxDepth = DefaultMaxDepth
	}
	d.vstack = d.vstack[:0]
	d.mstack = d.mstack[:0]
	d.vslab, d.mslab, d.oslab = nil, nil, nil
	if len(s) >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf {
		return nil, d.errorf(0, "Unexpected UTF-8 BOM", nil)
	}
	v, err := d.document()
	// Keep neither the input nor the blocks alive through the Decoder.
	d.src = ""
	d.vslab, d.mslab, d.oslab = nil, nil, nil
	return v, err
}

func (d *Decoder) document() (Value, error) {
	i := d.skipSpace(0)
	v, i, err := d.value(i, 0)
	if err != nil {
		return nil, err
	}
	i = d.skipSpace(i)
	if i != len(d.src) {
		return nil, d.errorf(i, "Extra data", nil)
	}
	return v, nil
}

func (d *Decoder) errorf(off int, msg string, err error) error {
	if err == nil && off < len(d.src) && d.src[off] >= 0x80 {
		// Outside strings any non-ASCII byte is unexpected; say so precisely
		// when it is not even UTF-8.
		if r, n := utf8.DecodeRuneInString(d.src[off:]); r == utf8.RuneError && n <= 1 {
			return &SyntaxError{Offset: off, Msg: "invalid UTF-8", Err: ErrInvalidUTF8}
		}
	}
	return &SyntaxError{Offset: off, Msg: msg, Err: err}
}

func (d *Decoder) skipSpace(i int) int {
	s := d.src
	if d.esc {
		// Escaped, a tab or newline would be \t or \n: not the simple form.
		for i < len(s) && s[i] == ' ' {
			i++
		}
		return i
	}
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value decodes the value starting at s[i] (whitespace already skipped) and
// returns it with the offset just past it.
func (d *Decoder) value(i, depth int) (Value, int, error) {
	s := d.src
	if i >= len(s) {
		return nil, i, d.errorf(i, "Expecting value", nil)
	}
	switch c := s[i]; c {
	case '"', '\\':
		if d.esc != (c == '\\') {
			break
		}
		str, j, err := d.str(i)
		if err != nil {
			return nil, j, err
		}
		return str, j, nil
	case '{':
		return d.object(i, depth+1)
	case '[':
		return d.array(i, depth+1)
	case 'n':
		if hasPrefixAt(s, i, "null") {
			return nil, i + 4, nil
		}
	case 't':
		if hasPrefixAt(s, i, "true") {
			return true, i + 4, nil
		}
	case 'f':
		if hasPrefixAt(s, i, "false") {
			return false, i + 5, nil
		}
	case 'N':
		if hasPrefixAt(s, i, "NaN") {
			return nan, i + 3, nil
		}
	case 'I':
		if hasPrefixAt(s, i, "Infinity") {
			return posInf, i + 8, nil
		}
	case '-':
		if hasPrefixAt(s, i, "-Infinity") {
			return negInf, i + 9, nil
		}
		return d.number(i)
	default:
		if c >= '0' && c <= '9' {
			return d.number(i)
		}
	}
	return nil, i, d.errorf(i, "Expecting value", nil)
}

func hasPrefixAt(s string, i int, p string) bool {
	return len(s)-i >= len(p) && s[i:i+len(p)] == p
}

// Boxed constants, so that decoding them does not allocate.
var (
	nan    Value = mathNaN()
	posInf Value = mathInf(1)
	negInf Value = mathInf(-1)
)

// number decodes -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? at s[i], Python's
// NUMBER_RE. A shorter match followed by garbage fails later, as in Python.
func (d *Decoder) number(i int) (Value, int, error) {
	s := d.src
	start := i
	neg := false
	if s[i] == '-' {
		neg = true
		i++
	}
	digits := i
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return nil, start, d.errorf(start, "Expecting value", nil)
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	intEnd := i
	isFloat := false
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		isFloat = true
		i += 2
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			isFloat = true
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	if isFloat {
		f, err := strconv.ParseFloat(s[start:i], 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, start, d.errorf(start, "invalid number", nil)
		}
		return f, i, nil
	}
	n := intEnd - digits
	if n <= 18 {
		var u int64
		for k := digits; k < intEnd; k++ {
			u = u*10 + int64(s[k]-'0')
		}
		if neg {
			u = -u
		}
		return u, i, nil
	}
	if n > MaxIntDigits {
		return nil, start, d.errorf(start, "Exceeds the limit (4300 digits) for integer string conversion", ErrIntDigits)
	}
	if v, err := strconv.ParseInt(s[start:i], 10, 64); err == nil {
		return v, i, nil
	}
	return BigInt(s[start:i]), i, nil
}

// quoteAt reports whether a string starts at s[i].
func (d *Decoder) quoteAt(i int) bool {
	s := d.src
	if d.esc {
		return i+1 < len(s) && s[i] == '\\' && s[i+1] == '"'
	}
	return i < len(s) && s[i] == '"'
}

// errNotSimple ends DecodeEscaped on input it leaves to DecodeString.
var errNotSimple = errors.New("not the simple escaped form")

// str decodes the string whose opening quote is at s[i]. Escaped
// (DecodeEscaped), the quotes are \" and any other escape is not the simple
// form.
func (d *Decoder) str(i int) (string, int, error) {
	s := d.src
	start := i + 1
	if d.esc {
		if !d.quoteAt(i) {
			return "", i, errNotSimple
		}
		start++
	}
	j := start
	for j < len(s) {
		// Runs of printable ASCII (but quote and backslash) are most of it:
		// one table lookup per byte.
		for j < len(s) && jsonSafe[s[j]] {
			j++
		}
		if j >= len(s) {
			break
		}
		switch c := s[j]; {
		case c == '"':
			if d.esc { // it would end the outer string
				return "", j, errNotSimple
			}
			return s[start:j], j + 1, nil
		case c == '\\':
			if !d.esc {
				return d.strEscaped(start, j)
			}
			if d.quoteAt(j) {
				return s[start:j], j + 2, nil
			}
			return "", j, errNotSimple
		case c < 0x20:
			return "", j, d.errorf(j, "Invalid control character", nil)
		case c < 0x80: // DEL
			j++
		default:
			r, n := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && n == 1 {
				return "", j, d.errorf(j, "invalid UTF-8", ErrInvalidUTF8)
			}
			j += n
		}
	}
	return "", i, d.errorf(i, "Unterminated string starting", nil)
}

// strEscaped finishes a string starting at s[start] whose first backslash is at
// s[j], unescaping into the scratch buffer.
func (d *Decoder) strEscaped(start, j int) (string, int, error) {
	s := d.src
	b := append(d.buf[:0], s[start:j]...)
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			d.buf = b
			return string(b), j + 1, nil
		case c == '\\':
			if j+1 >= len(s) {
				return "", j, d.errorf(start-1, "Unterminated string starting", nil)
			}
			e := s[j+1]
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(s, j+2)
				if !ok {
					return "", j, d.errorf(j+1, "Invalid \\uXXXX escape", nil)
				}
				j += 6
				if utf16.IsSurrogate(r) {
					if r < 0xdc00 && j+1 < len(s) && s[j] == '\\' && s[j+1] == 'u' {
						r2, ok := hex4(s, j+2)
						if !ok {
							return "", j, d.errorf(j+1, "Invalid \\uXXXX escape", nil)
						}
						if r2 >= 0xdc00 && r2 <= 0xdfff {
							r = utf16.DecodeRune(r, r2)
							j += 6
						} else {
							r = utf8.RuneError
							d.surrogates++
						}
					} else {
						r = utf8.RuneError
						d.surrogates++
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", j, d.errorf(j, "Invalid \\escape", nil)
			}
			j += 2
		case c < 0x20:
			return "", j, d.errorf(j, "Invalid control character", nil)
		case c < 0x80:
			// Copy the run of plain ASCII at once (an escaped document —
			// oslo's envelope — is mostly such runs between \" escapes).
			k := j + 1
			for k < len(s) && jsonSafe[s[k]] {
				k++
			}
			b = append(b, s[j:k]...)
			j = k
		default:
			r, n := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && n == 1 {
				return "", j, d.errorf(j, "invalid UTF-8", ErrInvalidUTF8)
			}
			b = append(b, s[j:j+n]...)
			j += n
		}
	}
	d.buf = b
	return "", start - 1, d.errorf(start-1, "Unterminated string starting", nil)
}

func hex4(s string, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		c := s[k]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// linearKeys is the object size up to which repeated keys are found by a linear
// scan; larger objects switch to a map, so hostile input stays O(n).
const linearKeys = 128

// Block sizes: a block is sized from the input length (an upper estimate of
// what the document can still need, since every element takes a few bytes of
// input) and capped; an array or object larger than a quarter of the cap gets
// its own allocation.
const (
	vslabMax = 256
	mslabMax = 128
	oslabMax = 32
)

// slabLen returns the size of a new block: the document's remaining bytes divided
// by bytesPer, at least need, at most limit.
func (d *Decoder) slabLen(i, bytesPer, need, limit int) int {
	n := (len(d.src) - i) / bytesPer
	return min(max(need, n), limit)
}

func (d *Decoder) array(i, depth int) (Value, int, error) {
	if depth > d.maxDepth {
		return nil, i, d.errorf(i, "maximum nesting depth exceeded", ErrMaxDepth)
	}
	s := d.src
	i = d.skipSpace(i + 1)
	if i < len(s) && s[i] == ']' {
		return []Value{}, i + 1, nil
	}
	base := len(d.vstack)
	for {
		v, j, err := d.value(i, depth)
		if err != nil {
			d.vstack = d.vstack[:base]
			return nil, j, err
		}
		d.vstack = append(d.vstack, v)
		i = d.skipSpace(j)
		if i < len(s) && s[i] == ',' {
			i = d.skipSpace(i + 1)
			continue
		}
		if i < len(s) && s[i] == ']' {
			i++
			break
		}
		d.vstack = d.vstack[:base]
		return nil, i, d.errorf(i, "Expecting ',' delimiter", nil)
	}
	n := len(d.vstack) - base
	var out []Value
	if n > vslabMax/4 {
		out = make([]Value, n)
	} else {
		if len(d.vslab) < n {
			d.vslab = make([]Value, d.slabLen(i, 64, n, vslabMax))
		}
		out = d.vslab[:n:n]
		d.vslab = d.vslab[n:]
	}
	copy(out, d.vstack[base:])
	clear(d.vstack[base:])
	d.vstack = d.vstack[:base]
	return out, i, nil
}

func (d *Decoder) object(i, depth int) (Value, int, error) {
	if depth > d.maxDepth {
		return nil, i, d.errorf(i, "maximum nesting depth exceeded", ErrMaxDepth)
	}
	s := d.src
	i = d.skipSpace(i + 1)
	if i < len(s) && s[i] == '}' {
		return d.newObject(i, nil), i + 1, nil
	}
	base := len(d.mstack)
	var index map[string]int // key → position in mstack, once the object is large
	fail := func(off int, msg string, err error) (Value, int, error) {
		clear(d.mstack[base:])
		d.mstack = d.mstack[:base]
		if err == nil {
			err = d.errorf(off, msg, nil)
		}
		return nil, off, err
	}
	for {
		if !d.quoteAt(i) {
			return fail(i, "Expecting property name enclosed in double quotes", nil)
		}
		key, j, err := d.str(i)
		if err != nil {
			return fail(j, "", err)
		}
		i = d.skipSpace(j)
		if i >= len(s) || s[i] != ':' {
			return fail(i, "Expecting ':' delimiter", nil)
		}
		i = d.skipSpace(i + 1)
		v, j, err := d.value(i, depth)
		if err != nil {
			return fail(j, "", err)
		}
		// First position, last value.
		dup := -1
		if index != nil {
			if k, ok := index[key]; ok {
				dup = k
			}
		} else {
			for k := base; k < len(d.mstack); k++ {
				if d.mstack[k].Key == key {
					dup = k
					break
				}
			}
		}
		if dup >= 0 {
			d.mstack[dup].Value = v
		} else {
			d.mstack = append(d.mstack, Member{Key: key, Value: v})
			if index != nil {
				index[key] = len(d.mstack) - 1
			} else if len(d.mstack)-base >= linearKeys {
				index = make(map[string]int, 2*linearKeys)
				for k := base; k < len(d.mstack); k++ {
					index[d.mstack[k].Key] = k
				}
			}
		}
		i = d.skipSpace(j)
		if i < len(s) && s[i] == ',' {
			i = d.skipSpace(i + 1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		return fail(i, "Expecting ',' delimiter", nil)
	}
	n := len(d.mstack) - base
	var members []Member
	if n > mslabMax/4 {
		members = make([]Member, n)
	} else {
		if len(d.mslab) < n {
			d.mslab = make([]Member, d.slabLen(i, 32, n, mslabMax))
		}
		members = d.mslab[:n:n]
		d.mslab = d.mslab[n:]
	}
	copy(members, d.mstack[base:])
	clear(d.mstack[base:])
	d.mstack = d.mstack[:base]
	return d.newObject(i, members), i, nil
}

func (d *Decoder) newObject(i int, members []Member) *Object {
	if len(d.oslab) == 0 {
		d.oslab = make([]Object, d.slabLen(i, 128, 1, oslabMax))
	}
	o := &d.oslab[0]
	d.oslab = d.oslab[1:]
	o.Members = members
	return o
}
