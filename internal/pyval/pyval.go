package pyval

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Timestamp is a YAML 1.1 timestamp scalar ("2001-12-14"), for which PyYAML
// builds a datetime. Its text is kept: it equals no JSON value.
type Timestamp string

// TypeName is type(v).__name__, for messages.
func TypeName(v pyjson.Value) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, pyjson.BigInt, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case Timestamp:
		return "datetime"
	case []pyjson.Value:
		return "list"
	case *pyjson.Object:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// FromBig returns b as an int64 when it fits, else as a pyjson.BigInt.
func FromBig(b *big.Int) pyjson.Value {
	if b.IsInt64() {
		return b.Int64()
	}
	return pyjson.BigInt(b.String())
}

// IsInt reports whether v is a Python int (bool included, as isinstance
// does).
func IsInt(v pyjson.Value) bool {
	switch v.(type) {
	case bool, int64, pyjson.BigInt, *big.Int:
		return true
	}
	return false
}

// Big returns an int-like value (bool included) as a big.Int.
func Big(v pyjson.Value) (*big.Int, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewInt(1), true
		}
		return big.NewInt(0), true
	case int64:
		return big.NewInt(x), true
	case pyjson.BigInt:
		return new(big.Int).SetString(string(x), 10)
	case *big.Int:
		return x, true
	}
	return nil, false
}

// Rat returns v as an exact rational when it is a Python number (bool, int,
// finite float).
func Rat(v pyjson.Value) (*big.Rat, bool) {
	switch x := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(x), true
	}
	if b, ok := Big(v); ok {
		return new(big.Rat).SetInt(b), true
	}
	return nil, false
}

// isNumber reports whether v is a Python number (bool, int or float).
func isNumber(v pyjson.Value) bool {
	_, ok := v.(float64)
	return ok || IsInt(v)
}

// Equal is Python's a == b: numbers compare by value across bool, int and
// float (nan equals nothing, ±inf only an equal float), strings, lists and
// dicts (order-insensitive) by content; a Timestamp equals only the same
// Timestamp.
func Equal(a, b pyjson.Value) bool {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			return x == y
		}
	}
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok {
			return fa == fb
		}
	}
	if isNumber(a) || isNumber(b) {
		ra, ok1 := Rat(a)
		rb, ok2 := Rat(b)
		return ok1 && ok2 && ra.Cmp(rb) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case Timestamp:
		y, ok := b.(Timestamp)
		return ok && x == y
	case []pyjson.Value:
		y, ok := b.([]pyjson.Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *pyjson.Object:
		y, ok := b.(*pyjson.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == nil {
			return true
		}
		for _, m := range x.Members {
			w, ok := y.Get(m.Key)
			if !ok || !Equal(m.Value, w) {
				return false
			}
		}
		return true
	}
	return false
}

// Truth is Python's bool(v).
func Truth(v pyjson.Value) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case pyjson.BigInt:
		return x != "0" && x != "-0" && x != ""
	case *big.Int:
		return x.Sign() != 0
	case string:
		return x != ""
	case []pyjson.Value:
		return len(x) > 0
	case *pyjson.Object:
		return x.Len() > 0
	}
	return true
}

// Str is Python's str(v).
func Str(v pyjson.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case *big.Int:
		return x.String()
	case Timestamp:
		return string(x)
	}
	return pyjson.Str(v)
}

// Lower is Python's str.lower(): Unicode lower case with the special cases
// Go's simple mapping lacks — "İ" becomes "i̇", and a capital sigma that ends
// a word becomes "ς".
func Lower(s string) string {
	if !strings.ContainsAny(s, "\u0130\u03a3") {
		return strings.ToLower(s)
	}
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '\u0130':
			b.WriteString("i\u0307")
		case '\u03a3':
			if finalSigma(rs, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma is Unicode's Final_Sigma condition at rs[i]: a cased letter
// before it and none after it (case-ignorable characters skipped).
func finalSigma(rs []rune, i int) bool {
	cased := func(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }
	ignorable := func(r rune) bool {
		return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) || r == '\'' || r == '.' || r == ':' || r == '\u00b7' || r == '\u2019'
	}
	j := i - 1
	for j >= 0 && ignorable(rs[j]) {
		j--
	}
	if j < 0 || !cased(rs[j]) {
		return false
	}
	k := i + 1
	for k < len(rs) && ignorable(rs[k]) {
		k++
	}
	return k == len(rs) || !cased(rs[k])
}

// SliceTo is Python's s[:n] on a str: n counts characters, a negative n
// counts from the end.
func SliceTo(s string, n int) string {
	if n < 0 {
		n += utf8.RuneCountInString(s)
		if n <= 0 {
			return ""
		}
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
