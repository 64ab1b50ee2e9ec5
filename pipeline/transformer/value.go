package transformer

// This file holds the values the expression evaluator computes with: a small
// model of the Python objects mitaka's eval() sees (None, bool, int, float,
// str, list, dict and ceilometer.transformer.Namespace), with Python 3
// numeric semantics.

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

type kind uint8

const (
	kindNone kind = iota
	kindBool
	kindInt
	kindBig
	kindFloat
	kindStr
	kindList   // a JSON array (Python list)
	kindDict   // a JSON object inside a list (a plain Python dict)
	kindNS     // a Namespace over a JSON object; nil obj is the empty Namespace
	kindSample // a Namespace over a sample's as_dict()
)

// value is one Python object. Only the fields of its kind are meaningful.
type value struct {
	k    kind
	i    int64 // kindBool (0/1), kindInt
	f    float64
	s    string
	big  *big.Int // kindBig: never fits in int64
	obj  *pyjson.Object
	list []pyjson.Value
	smp  *pipeline.Sample
}

var (
	noneValue    = value{k: kindNone}
	emptyNS      = value{k: kindNS}
	errUnhandled = errors.New("unsupported operand types")
)

func intValue(i int64) value     { return value{k: kindInt, i: i} }
func floatValue(f float64) value { return value{k: kindFloat, f: f} }
func boolValue(b bool) value {
	if b {
		return value{k: kindBool, i: 1}
	}
	return value{k: kindBool}
}

// bigValue normalises b: an int64 when it fits.
func bigValue(b *big.Int) value {
	if b.IsInt64() {
		return intValue(b.Int64())
	}
	return value{k: kindBig, big: b}
}

// typeName is Python's name for v's type, for error messages.
func (v value) typeName() string {
	switch v.k {
	case kindNone:
		return "NoneType"
	case kindBool:
		return "bool"
	case kindInt, kindBig:
		return "int"
	case kindFloat:
		return "float"
	case kindStr:
		return "str"
	case kindList:
		return "list"
	case kindDict:
		return "dict"
	}
	return "Namespace"
}

// fromJSON converts a sample field to the object Namespace(as_dict()) holds:
// JSON objects become Namespaces (recursively, as Namespace.__init__ does),
// objects inside lists stay dicts.
func fromJSON(v pyjson.Value) value {
	switch x := v.(type) {
	case nil:
		return noneValue
	case bool:
		return boolValue(x)
	case int64:
		return intValue(x)
	case int:
		return intValue(int64(x))
	case float64:
		return floatValue(x)
	case pyjson.BigInt:
		b, ok := new(big.Int).SetString(string(x), 10)
		if !ok {
			return value{k: kindStr, s: string(x)}
		}
		return bigValue(b)
	case string:
		return value{k: kindStr, s: x}
	case []pyjson.Value:
		return value{k: kindList, list: x}
	case *pyjson.Object:
		return value{k: kindNS, obj: x}
	}
	return noneValue
}

// elemFromJSON is fromJSON for an element of a list: objects stay dicts.
func elemFromJSON(v pyjson.Value) value {
	if o, ok := v.(*pyjson.Object); ok {
		return value{k: kindDict, obj: o}
	}
	return fromJSON(v)
}

// toJSON converts a result back to a sample value. Only None, bool, numbers
// and strings can be a volume.
func (v value) toJSON() (pyjson.Value, error) {
	switch v.k {
	case kindNone:
		return nil, nil
	case kindBool:
		return v.i != 0, nil
	case kindInt:
		return v.i, nil
	case kindBig:
		return pyjson.BigInt(v.big.String()), nil
	case kindFloat:
		return v.f, nil
	case kindStr:
		return v.s, nil
	}
	return nil, fmt.Errorf("result is a %s, not a number", v.typeName())
}

// sampleField is getattr(Namespace(sample.as_dict()), name): mitaka's Sample
// attributes; anything else is an empty Namespace.
func sampleField(s *pipeline.Sample, name string) value {
	switch name {
	case "name":
		return value{k: kindStr, s: s.Name}
	case "type":
		return value{k: kindStr, s: s.Type}
	case "unit":
		return fromJSON(s.Unit)
	case "volume":
		return fromJSON(s.Volume)
	case "user_id":
		return fromJSON(s.UserID)
	case "project_id":
		return fromJSON(s.ProjectID)
	case "resource_id":
		return fromJSON(s.ResourceID)
	case "timestamp":
		return fromJSON(s.Timestamp)
	case "resource_metadata":
		if s.ResourceMetadata == nil {
			return value{k: kindNS, obj: &pyjson.Object{}}
		}
		return value{k: kindNS, obj: s.ResourceMetadata}
	case "source":
		if s.Source == "" {
			return value{k: kindStr, s: pipeline.SourceDefault}
		}
		return value{k: kindStr, s: s.Source}
	case "id":
		return value{k: kindStr, s: s.ID}
	}
	return emptyNS
}

// attr is getattr(v, name).
func (v value) attr(name string) (value, error) {
	switch v.k {
	case kindNS:
		if x, ok := v.obj.Get(name); ok {
			return fromJSON(x), nil
		}
		return emptyNS, nil
	case kindSample:
		return sampleField(v.smp, name), nil
	}
	return value{}, fmt.Errorf("'%s' object has no attribute '%s'", v.typeName(), name)
}

// index is v[i].
func (v value) index(i value) (value, error) {
	switch v.k {
	case kindNS, kindSample:
		if i.k != kindStr {
			return emptyNS, nil // Namespace's defaultdict accepts any key
		}
		return v.attr(i.s)
	case kindDict:
		if i.k == kindStr {
			if x, ok := v.obj.Get(i.s); ok {
				return fromJSON(x), nil
			}
		}
		return value{}, fmt.Errorf("KeyError: %s", i.repr())
	case kindList, kindStr:
		if i.k != kindInt && i.k != kindBool {
			return value{}, fmt.Errorf("%s indices must be integers, not %s", v.typeName(), i.typeName())
		}
		n := int64(len(v.list))
		if v.k == kindStr {
			n = int64(len([]rune(v.s)))
		}
		j := i.i
		if j < 0 {
			j += n
		}
		if j < 0 || j >= n {
			return value{}, fmt.Errorf("%s index out of range", v.typeName())
		}
		if v.k == kindStr {
			return value{k: kindStr, s: string([]rune(v.s)[j])}, nil
		}
		return elemFromJSON(v.list[j]), nil
	}
	return value{}, fmt.Errorf("'%s' object is not subscriptable", v.typeName())
}

func (v value) repr() string {
	switch v.k {
	case kindStr:
		return string(pyjson.AppendStringRepr(nil, v.s))
	case kindFloat:
		return string(pyjson.AppendFloatRepr(nil, v.f))
	case kindInt:
		return strconv.FormatInt(v.i, 10)
	case kindBig:
		return v.big.String()
	case kindBool:
		if v.i != 0 {
			return "True"
		}
		return "False"
	case kindNone:
		return "None"
	}
	return "<" + v.typeName() + ">"
}

// truth is Python's bool(v).
func (v value) truth() bool {
	switch v.k {
	case kindNone:
		return false
	case kindBool, kindInt:
		return v.i != 0
	case kindBig:
		return true
	case kindFloat:
		return v.f != 0
	case kindStr:
		return v.s != ""
	case kindList:
		return len(v.list) > 0
	case kindDict, kindNS:
		return v.obj.Len() > 0
	}
	return true // a sample's namespace always has members
}

func (v value) isInt() bool { return v.k == kindBool || v.k == kindInt || v.k == kindBig }
func (v value) isNum() bool { return v.isInt() || v.k == kindFloat }

func (v value) bigInt() *big.Int {
	if v.k == kindBig {
		return v.big
	}
	return big.NewInt(v.i)
}

// float is float(v) for a number; a huge int overflows as in Python.
func (v value) float() (float64, error) {
	switch v.k {
	case kindFloat:
		return v.f, nil
	case kindBool, kindInt:
		return float64(v.i), nil
	case kindBig:
		f, _ := new(big.Float).SetInt(v.big).Float64()
		if math.IsInf(f, 0) {
			return 0, errors.New("OverflowError: int too large to convert to float")
		}
		return f, nil
	}
	return 0, fmt.Errorf("must be real number, not %s", v.typeName())
}

// maxIntBits bounds the integers the evaluator builds (Python has no bound;
// an expression like 10**10**10 must not exhaust the agent).
const maxIntBits = 1 << 16

var errIntTooLarge = errors.New("integer result too large")

func checkBig(b *big.Int) (value, error) {
	if b.BitLen() > maxIntBits {
		return value{}, errIntTooLarge
	}
	return bigValue(b), nil
}

type binOp uint8

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opFloorDiv
	opMod
	opPow
)

var binOpText = [...]string{"+", "-", "*", "/", "//", "%", "**"}

var errZeroDiv = errors.New("ZeroDivisionError: division by zero")

// arith is Python 3's `a op b`.
func arith(op binOp, a, b value) (value, error) {
	if a.isNum() && b.isNum() {
		if a.isInt() && b.isInt() && op != opDiv {
			return intArith(op, a, b)
		}
		x, err := a.float()
		if err != nil {
			return value{}, err
		}
		y, err := b.float()
		if err != nil {
			return value{}, err
		}
		if op == opPow && a.isInt() && b.isInt() && y < 0 && x == 0 {
			return value{}, errors.New("ZeroDivisionError: 0.0 cannot be raised to a negative power")
		}
		return floatArith(op, x, y)
	}
	if a.k == kindStr && b.k == kindStr && op == opAdd {
		return value{k: kindStr, s: a.s + b.s}, nil
	}
	return value{}, fmt.Errorf("TypeError: unsupported operand type(s) for %s: '%s' and '%s'", binOpText[op], a.typeName(), b.typeName())
}

func intArith(op binOp, a, b value) (value, error) {
	if a.k != kindBig && b.k != kindBig {
		x, y := a.i, b.i
		switch op {
		case opAdd:
			if r := x + y; (r > x) == (y > 0) {
				return intValue(r), nil
			}
		case opSub:
			if r := x - y; (r < x) == (y > 0) {
				return intValue(r), nil
			}
		case opMul:
			if x == 0 || y == 0 {
				return intValue(0), nil
			}
			if r := x * y; r/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
				return intValue(r), nil
			}
		case opPow:
			if y >= 0 {
				if r, ok := powInt64(x, y); ok {
					return intValue(r), nil
				}
			}
		case opFloorDiv, opMod:
			if y == 0 {
				return value{}, errZeroDiv
			}
			if !(x == math.MinInt64 && y == -1) {
				q, r := x/y, x%y
				if r != 0 && (r < 0) != (y < 0) {
					q--
					r += y
				}
				if op == opFloorDiv {
					return intValue(q), nil
				}
				return intValue(r), nil
			}
		}
	}
	x, y := a.bigInt(), b.bigInt()
	r := new(big.Int)
	switch op {
	case opAdd:
		r.Add(x, y)
	case opSub:
		r.Sub(x, y)
	case opMul:
		if x.BitLen()+y.BitLen() > maxIntBits+1 {
			return value{}, errIntTooLarge
		}
		r.Mul(x, y)
	case opFloorDiv, opMod:
		if y.Sign() == 0 {
			return value{}, errZeroDiv
		}
		m := new(big.Int)
		r.DivMod(x, y, m) // Euclidean: m >= 0
		if m.Sign() != 0 && y.Sign() < 0 {
			r.Add(r, big.NewInt(1))
			m.Add(m, y)
		}
		if op == opMod {
			r = m
		}
	case opPow:
		if y.Sign() < 0 {
			fx, err := a.float()
			if err != nil {
				return value{}, err
			}
			fy, err := b.float()
			if err != nil {
				return value{}, err
			}
			if fx == 0 {
				return value{}, errors.New("ZeroDivisionError: 0.0 cannot be raised to a negative power")
			}
			return floatArith(opPow, fx, fy)
		}
		if ab := x.BitLen(); ab > 1 && y.IsInt64() && y.Int64() > int64(maxIntBits) {
			return value{}, errIntTooLarge
		} else if ab > 1 && !y.IsInt64() {
			return value{}, errIntTooLarge
		} else if ab > 1 && int64(ab-1)*y.Int64() > int64(maxIntBits) {
			return value{}, errIntTooLarge
		}
		r.Exp(x, y, nil)
	}
	return checkBig(r)
}

// powInt64 is x**y for y >= 0 by repeated squaring; false on overflow.
func powInt64(x, y int64) (int64, bool) {
	r := int64(1)
	for y > 0 {
		if y&1 == 1 {
			p := r * x
			if x != 0 && (p/x != r || (x == -1 && r == math.MinInt64)) {
				return 0, false
			}
			r = p
		}
		y >>= 1
		if y > 0 {
			sq := x * x
			if x != 0 && (sq/x != x || x == math.MinInt64) {
				return 0, false
			}
			x = sq
		}
	}
	return r, true
}

func floatArith(op binOp, x, y float64) (value, error) {
	switch op {
	case opAdd:
		return floatValue(x + y), nil
	case opSub:
		return floatValue(x - y), nil
	case opMul:
		return floatValue(x * y), nil
	case opDiv:
		if y == 0 {
			return value{}, errors.New("ZeroDivisionError: float division by zero")
		}
		return floatValue(x / y), nil
	case opFloorDiv, opMod:
		if y == 0 {
			return value{}, errors.New("ZeroDivisionError: float modulo")
		}
		div, mod := floatDivmod(x, y)
		if op == opMod {
			return floatValue(mod), nil
		}
		return floatValue(div), nil
	case opPow:
		if x == 0 && y < 0 {
			return value{}, errors.New("ZeroDivisionError: 0.0 cannot be raised to a negative power")
		}
		if x < 0 && y != math.Trunc(y) && !math.IsInf(y, 0) {
			return value{}, errors.New("ValueError: negative number cannot be raised to a fractional power (complex result)")
		}
		r := math.Pow(x, y)
		if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			return value{}, errors.New("OverflowError: (34, 'Numerical result out of range')")
		}
		return floatValue(r), nil
	}
	return value{}, errUnhandled
}

// floatDivmod is CPython's float_divmod.
func floatDivmod(vx, wx float64) (float64, float64) {
	mod := math.Mod(vx, wx)
	div := (vx - mod) / wx
	if mod != 0 {
		if (wx < 0) != (mod < 0) {
			mod += wx
			div -= 1.0
		}
	} else {
		mod = math.Copysign(0, wx)
	}
	var floordiv float64
	if div != 0 {
		floordiv = math.Floor(div)
		if div-floordiv > 0.5 {
			floordiv += 1.0
		}
	} else {
		floordiv = math.Copysign(0, vx/wx)
	}
	return floordiv, mod
}

// negate is -v; plus is +v; invert is ~v.
func unary(op byte, v value) (value, error) {
	switch op {
	case '-':
		switch v.k {
		case kindBool, kindInt:
			if v.i == math.MinInt64 {
				return bigValue(new(big.Int).Neg(v.bigInt())), nil
			}
			return intValue(-v.i), nil
		case kindBig:
			return bigValue(new(big.Int).Neg(v.big)), nil
		case kindFloat:
			return floatValue(-v.f), nil
		}
	case '+':
		switch v.k {
		case kindBool, kindInt:
			return intValue(v.i), nil
		case kindBig, kindFloat:
			return v, nil
		}
	case '~':
		switch v.k {
		case kindBool, kindInt:
			return intValue(^v.i), nil
		case kindBig:
			return bigValue(new(big.Int).Not(v.big)), nil
		}
	}
	return value{}, fmt.Errorf("TypeError: bad operand type for unary %c: '%s'", op, v.typeName())
}

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

var cmpOpText = [...]string{"==", "!=", "<", "<=", ">", ">="}

// compare is Python 3's `a op b`.
func compare(op cmpOp, a, b value) (bool, error) {
	var c int
	switch {
	case a.isNum() && b.isNum():
		c = numCompare(a, b)
		if c == 2 { // NaN
			return op == cmpNe, nil
		}
	case a.k == kindStr && b.k == kindStr:
		switch {
		case a.s < b.s:
			c = -1
		case a.s > b.s:
			c = 1
		}
	default:
		if op == cmpEq || op == cmpNe {
			eq := a.k == kindNone && b.k == kindNone
			return eq == (op == cmpEq), nil
		}
		return false, fmt.Errorf("TypeError: '%s' not supported between instances of '%s' and '%s'", cmpOpText[op], a.typeName(), b.typeName())
	}
	switch op {
	case cmpEq:
		return c == 0, nil
	case cmpNe:
		return c != 0, nil
	case cmpLt:
		return c < 0, nil
	case cmpLe:
		return c <= 0, nil
	case cmpGt:
		return c > 0, nil
	}
	return c >= 0, nil
}

// numCompare compares two numbers exactly (as Python does for int against
// float); 2 means unordered (a NaN).
func numCompare(a, b value) int {
	if a.k == kindFloat && math.IsNaN(a.f) || b.k == kindFloat && math.IsNaN(b.f) {
		return 2
	}
	if a.k != kindFloat && b.k != kindFloat && a.k != kindBig && b.k != kindBig {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	if a.k == kindFloat && b.k == kindFloat {
		switch {
		case a.f < b.f:
			return -1
		case a.f > b.f:
			return 1
		}
		return 0
	}
	return exactFloat(a).Cmp(exactFloat(b))
}

func exactFloat(v value) *big.Float {
	switch v.k {
	case kindFloat:
		return new(big.Float).SetFloat64(v.f) // ±Inf is fine for Cmp
	case kindBig:
		return new(big.Float).SetInt(v.big)
	}
	return new(big.Float).SetInt64(v.i)
}
