package pyval

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// maxIntDigits is Python 3.11's sys.get_int_max_str_digits() default: int()
// of a longer decimal string raises ValueError.
const maxIntDigits = 4300

// Int is Python's int(v) for a decoded JSON value (or a value a trait
// plugin computed). It returns int64 or pyjson.BigInt.
func Int(v pyjson.Value) (pyjson.Value, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case int64:
		return x, nil
	case pyjson.BigInt:
		return x, nil
	case *big.Int:
		return FromBig(x), nil
	case float64:
		return FloatToInt(x)
	case string:
		return ParseInt(x)
	case nil:
		return nil, raise(TypeError, "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")
	}
	return nil, raise(TypeError, "int() argument must be a string, a bytes-like object or a real number, not '%s'", TypeName(v))
}

// FloatToInt is int(float): truncation toward zero, exact for any finite value.
func FloatToInt(f float64) (pyjson.Value, error) {
	switch {
	case math.IsNaN(f):
		return nil, raise(ValueError, "cannot convert float NaN to integer")
	case math.IsInf(f, 0):
		return nil, raise(OverflowError, "cannot convert float infinity to integer")
	}
	t := math.Trunc(f)
	if t >= -(1<<63) && t < (1<<63) {
		return int64(t), nil
	}
	b, _ := new(big.Float).SetFloat64(t).Int(nil)
	return FromBig(b), nil
}

// IsSpace is Python's str.isspace for one character (and re's \s).
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// numSpace is the whitespace int() and float() ignore around a number:
// ASCII " \t\n\v\f\r" (Py_ISSPACE, so not \x1c…\x1f) and non-ASCII
// characters Python considers whitespace (turned into spaces by
// _PyUnicode_TransformDecimalAndSpaceToASCII).
func numSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.IsSpace(r)
}

// IsDigit is Python's str.isdecimal for one character, which re's \d, int()
// and float() accept: any Unicode decimal digit (category Nd).
func IsDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.Is(unicode.Nd, r)
}

// DigitValue returns the decimal value of a Unicode decimal digit (category
// Nd), as Python's int() and float() accept them ("٣" is 3).
func DigitValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if r < 0x80 || !unicode.IsDigit(r) {
		return 0, false
	}
	// Every run of Nd characters is a sequence of complete 0…9 blocks.
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10, true
}

// asciiNumber applies Python's _PyUnicode_TransformDecimalAndSpaceToASCII and
// strip(): decimal digits become ASCII, the surrounding whitespace goes. It
// reports false when a character would make the number invalid anyway
// (non-ASCII that is neither a digit nor whitespace).
func asciiNumber(s string) (string, bool) {
	s = strings.TrimFunc(s, numSpace)
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s, true
	}
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		d, ok := DigitValue(r)
		if !ok {
			return "", false
		}
		b.WriteByte(byte('0' + d))
	}
	return b.String(), true
}

// stripUnderscores removes the underscores Python allows between digits
// ("1_000"); it reports false for any other underscore.
func stripUnderscores(s string) (string, bool) {
	if !strings.Contains(s, "_") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return "", false
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ParseInt is int(s) for a str: base 10, optional sign, digits with single
// underscores between them, surrounding whitespace ignored.
func ParseInt(s string) (pyjson.Value, error) {
	bad := func() error {
		return raise(ValueError, "invalid literal for int() with base 10: %s", pyjson.Repr(s))
	}
	t, ok := asciiNumber(s)
	if !ok || t == "" {
		return nil, bad()
	}
	body := t
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "" || !isDigit(body[0]) {
		return nil, bad()
	}
	digits, ok := stripUnderscores(body)
	if !ok {
		return nil, bad()
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return nil, bad()
		}
	}
	if len(digits) > maxIntDigits {
		return nil, raise(ValueError, "Exceeds the limit (%d digits) for integer string conversion: value has %d digits; use sys.set_int_max_str_digits() to increase the limit", maxIntDigits, len(digits))
	}
	neg := t[0] == '-'
	if n, err := strconv.ParseInt(digits, 10, 64); err == nil {
		if neg {
			n = -n
		}
		return n, nil
	}
	b, _ := new(big.Int).SetString(digits, 10)
	if neg {
		b.Neg(b)
	}
	return FromBig(b), nil
}

// Float is Python's float(v).
func Float(v pyjson.Value) (pyjson.Value, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case int64:
		return float64(x), nil
	case pyjson.BigInt:
		return bigIntToFloat(string(x))
	case *big.Int:
		return bigIntToFloat(x.String())
	case float64:
		return x, nil
	case string:
		return ParseFloat(x)
	}
	return nil, raise(TypeError, "float() argument must be a string or a real number, not '%s'", TypeName(v))
}

func bigIntToFloat(digits string) (pyjson.Value, error) {
	f, _, err := big.ParseFloat(digits, 10, 53, big.ToNearestEven)
	if err != nil {
		return nil, err
	}
	r, _ := f.Float64()
	if math.IsInf(r, 0) {
		return nil, raise(OverflowError, "int too large to convert to float")
	}
	return r, nil
}

// ParseFloat is float(s) for a str: decimal notation with optional
// exponent, "inf"/"infinity"/"nan" in any case, underscores between digits,
// surrounding whitespace; no hexadecimal. Overflow gives ±inf, as in Python.
func ParseFloat(s string) (pyjson.Value, error) {
	bad := func() error {
		return raise(ValueError, "could not convert string to float: %s", pyjson.Repr(s))
	}
	t, ok := asciiNumber(s)
	if !ok || t == "" {
		return nil, bad()
	}
	body := t
	sign := 1.0
	if body[0] == '+' || body[0] == '-' {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		return math.Inf(int(sign)), nil
	case "nan":
		return math.NaN(), nil
	}
	clean, ok := stripUnderscores(body)
	if !ok || !validDecimal(clean) {
		return nil, bad()
	}
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || !errors.Is(ne.Err, strconv.ErrRange) {
			return nil, bad()
		}
	}
	return sign * f, nil
}

// validDecimal checks digits ["." digits] [e [sign] digits] with at least
// one digit in the mantissa.
func validDecimal(s string) bool {
	i, n := 0, len(s)
	mant := 0
	for i < n && isDigit(s[i]) {
		i++
		mant++
	}
	if i < n && s[i] == '.' {
		i++
		for i < n && isDigit(s[i]) {
			i++
			mant++
		}
	}
	if mant == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < n && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == n
}
