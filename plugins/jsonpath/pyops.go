package jsonpath

import (
	"math"
	"math/big"
	"strings"

	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// This file gives JSON values Python's semantics for int(), ==, ordering and
// the arithmetic operators + - * /, which jsonpath-rw-ext applies directly to
// the decoded values.

// maxRepeat bounds the size of str * int and list * int results (Python would
// try to allocate them).
const maxRepeat = 1 << 24

// pyNum is a Python number: an int (i, exact) or a float (f).
type pyNum struct {
	isFloat bool
	f       float64
	i       *big.Int
}

// asNum returns v as a Python number; bool counts as int.
func asNum(v pyjson.Value) (pyNum, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return pyNum{i: big.NewInt(1)}, true
		}
		return pyNum{i: big.NewInt(0)}, true
	case int64:
		return pyNum{i: big.NewInt(v)}, true
	case pyjson.BigInt:
		z, ok := new(big.Int).SetString(string(v), 10)
		if !ok {
			return pyNum{}, false
		}
		return pyNum{i: z}, true
	case float64:
		return pyNum{isFloat: true, f: v}, true
	}
	return pyNum{}, false
}

// smallInt returns v as int64 when it is a bool or an int64 (the fast path).
func smallInt(v pyjson.Value) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// cmpNum compares two numbers exactly (as Python does int against float);
// ok is false when a NaN makes them unordered.
func cmpNum(a, b pyNum) (int, bool) {
	if !a.isFloat && !b.isFloat {
		return a.i.Cmp(b.i), true
	}
	if (a.isFloat && math.IsNaN(a.f)) || (b.isFloat && math.IsNaN(b.f)) {
		return 0, false
	}
	return toBigFloat(a).Cmp(toBigFloat(b)), true
}

func toBigFloat(n pyNum) *big.Float {
	if n.isFloat {
		return new(big.Float).SetFloat64(n.f)
	}
	return new(big.Float).SetInt(n.i)
}

func opResult(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "!=":
		return c != 0
	}
	return c == 0
}

// pyCompare is Python's a <op> b for the filter operators = == != < <= > >=.
// Ordering values Python cannot order raises TypeError: an EvalError.
func pyCompare(op string, a, b pyjson.Value) (bool, error) {
	switch op {
	case "=", "==":
		return pyval.Equal(a, b), nil
	case "!=":
		return !pyval.Equal(a, b), nil
	}
	if x, ok := smallInt(a); ok {
		if y, ok := smallInt(b); ok {
			c := 0
			if x < y {
				c = -1
			} else if x > y {
				c = 1
			}
			return opResult(op, c), nil
		}
	}
	if na, ok := asNum(a); ok {
		if nb, ok := asNum(b); ok {
			c, ok := cmpNum(na, nb)
			return ok && opResult(op, c), nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return opResult(op, strings.Compare(x, y)), nil
		}
	case []pyjson.Value:
		if y, ok := b.([]pyjson.Value); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if !pyval.Equal(x[i], y[i]) {
					return pyCompare(op, x[i], y[i])
				}
			}
			c := 0
			if len(x) < len(y) {
				c = -1
			} else if len(x) > len(y) {
				c = 1
			}
			return opResult(op, c), nil
		}
	}
	return false, evalErr("'%s' not supported between instances of '%s' and '%s'", op, pyval.TypeName(a), pyval.TypeName(b))
}

// pyInt is Python's int(v) for a non-None value: ok is false on ValueError
// (the filter skips the value); err is set on the exceptions jsonpath-rw-ext
// does not catch (TypeError, OverflowError).
func pyInt(v pyjson.Value) (pyjson.Value, bool, error) {
	r, err := pyval.Int(v)
	switch {
	case err == nil:
		return r, true, nil
	case pyval.Raised(err, pyval.ValueError):
		return nil, false, nil
	}
	return nil, false, evalErr("%s", err.Error())
}

// pyStrip is Python's str.strip() with no argument.
func pyStrip(s string) string {
	return strings.TrimFunc(s, pyval.IsSpace)
}

// pyArith applies + - * or / with Python's semantics. errTypeError marks the
// TypeError jsonpath-rw-ext catches; other errors are EvalErrors.
func pyArith(op byte, a, b pyjson.Value) (pyjson.Value, error) {
	// Fast path: two small ints.
	if x, ok := smallInt(a); ok {
		if y, ok := smallInt(b); ok {
			switch op {
			case '+':
				if s := x + y; (s > x) == (y > 0) {
					return s, nil
				}
			case '-':
				if s := x - y; (s < x) == (y > 0) {
					return s, nil
				}
			case '*':
				if x == 0 || y == 0 {
					return int64(0), nil
				}
				if p := x * y; p/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
					return p, nil
				}
			}
		}
	}
	na, aNum := asNum(a)
	nb, bNum := asNum(b)
	if aNum && bNum {
		return numArith(op, na, nb)
	}
	switch op {
	case '+':
		switch x := a.(type) {
		case string:
			if y, ok := b.(string); ok {
				if len(x)+len(y) > maxRepeat {
					return nil, evalErr("result too large")
				}
				return x + y, nil
			}
		case []pyjson.Value:
			if y, ok := b.([]pyjson.Value); ok {
				out := make([]pyjson.Value, 0, len(x)+len(y))
				return append(append(out, x...), y...), nil
			}
		}
	case '*':
		if aNum && !na.isFloat {
			return repeat(b, na.i)
		}
		if bNum && !nb.isFloat {
			return repeat(a, nb.i)
		}
	}
	return nil, errTypeError
}

// repeat is seq * n for a str or list.
func repeat(seq pyjson.Value, n *big.Int) (pyjson.Value, error) {
	var l int
	switch s := seq.(type) {
	case string:
		l = len(s)
	case []pyjson.Value:
		l = len(s)
	default:
		return nil, errTypeError
	}
	if n.Sign() <= 0 || l == 0 {
		if _, ok := seq.(string); ok {
			return "", nil
		}
		return []pyjson.Value{}, nil
	}
	if !n.IsInt64() {
		return nil, evalErr("cannot fit 'int' into an index-sized integer")
	}
	k := n.Int64()
	if k > maxRepeat || int64(l)*k > maxRepeat {
		return nil, evalErr("repetition result too large")
	}
	switch s := seq.(type) {
	case string:
		return strings.Repeat(s, int(k)), nil
	default:
		list := s.([]pyjson.Value)
		out := make([]pyjson.Value, 0, len(list)*int(k))
		for range k {
			out = append(out, list...)
		}
		return out, nil
	}
}

func intToFloat(z *big.Int) (float64, error) {
	if z.IsInt64() {
		return float64(z.Int64()), nil
	}
	f, _ := new(big.Float).SetInt(z).Float64()
	if math.IsInf(f, 0) {
		return 0, evalErr("int too large to convert to float")
	}
	return f, nil
}

func numArith(op byte, a, b pyNum) (pyjson.Value, error) {
	if !a.isFloat && !b.isFloat {
		z := new(big.Int)
		switch op {
		case '+':
			z.Add(a.i, b.i)
		case '-':
			z.Sub(a.i, b.i)
		case '*':
			if a.i.BitLen()+b.i.BitLen() > 1<<20 {
				return nil, evalErr("integer result too large")
			}
			z.Mul(a.i, b.i)
		case '/':
			if b.i.Sign() == 0 {
				return nil, evalErr("division by zero")
			}
			f, _ := new(big.Rat).SetFrac(a.i, b.i).Float64()
			if math.IsInf(f, 0) {
				return nil, evalErr("integer division result too large for a float")
			}
			return f, nil
		}
		return bigToValue(z), nil
	}
	x, y := a.f, b.f
	var err error
	if !a.isFloat {
		if x, err = intToFloat(a.i); err != nil {
			return nil, err
		}
	}
	if !b.isFloat {
		if y, err = intToFloat(b.i); err != nil {
			return nil, err
		}
	}
	switch op {
	case '+':
		return x + y, nil
	case '-':
		return x - y, nil
	case '*':
		return x * y, nil
	}
	if y == 0 {
		return nil, evalErr("float division by zero")
	}
	return x / y, nil
}
