package jsonpath

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/openstack-go/agent-notification/internal/pyre"
	"github.com/openstack-go/agent-notification/internal/pyval"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// nodeKind is the class of a node, named after jsonpath-rw(-ext)'s classes.
type nodeKind uint8

const (
	nRoot        nodeKind = iota // $
	nThis                        // @, `this`
	nParent                      // `parent`
	nChild                       // left.right, left[...]
	nDescendants                 // left..right
	nWhere                       // left where right
	nUnion                       // left|right
	nIntersect                   // left&right (never implemented upstream: always fails)
	nFields                      // name, 'quoted', a,b, *
	nIndex                       // [n]
	nSlice                       // [*], [a:b]
	nLen                         // `len`
	nSorted                      // `sorted`, [/key,\key]
	nSub                         // `sub(/re/, repl)`
	nSplit                       // `split(c, segment, maxsplit)`
	nFilter                      // [?(expr & expr)]
	nOperation                   // a + b, a - b, a * b
)

// node is one node of a compiled expression. Only the fields of its kind are
// set. Nodes are immutable after parsing and shared by concurrent evaluations.
type node struct {
	kind        nodeKind
	left, right *node
	lval, rval  any  // nOperation: literal operand when left/right is nil
	op          byte // nOperation: '+', '-', '*' or '/'

	fields   []string // nFields
	wildcard bool     // nFields: one of the names is "*"

	index int64 // nIndex

	hasStart, hasEnd bool // nSlice
	start, end       int64

	sorts []sortKey // nSorted: nil for `sorted`

	exprs []*filterExpr // nFilter

	re      *regexp.Regexp // nSub
	tmpl    *pyre.Template // nSub: the parsed replacement template
	tmplErr error          // nSub: why the template is invalid

	sep               string // nSplit
	segment, maxSplit int64
	splitNever        bool
}

// sortKey is one /key (ascending) or \key (descending) of a sort.
type sortKey struct {
	path    *node
	reverse bool
}

// filterExpr is one condition of a filter: target alone (existence) or
// target op value.
type filterExpr struct {
	target *node
	op     string // "" for existence
	value  any    // string, int64, pyjson.BigInt, float64 or bool
	re     *pyre.Pattern
	reErr  error
}

// stepKind says how a datum was reached from its context.
type stepKind uint8

const (
	stepThis stepKind = iota
	stepRoot
	stepField
	stepIndex
)

// datum is a value together with the way it was reached (jsonpath-rw's
// DatumInContext): ctx is the datum it was found in, nil at the top.
type datum struct {
	val  pyjson.Value
	ctx  *datum
	key  string
	idx  int64
	step stepKind
	raw  bool // the caller's document, not yet wrapped (SortedThis cannot take it)
	none bool // Python None standing in for a datum (`parent` of a top datum)
}

// EvalError reports an expression whose evaluation raises an exception in
// jsonpath-rw-ext (for instance indexing a number, or ordering a string
// against a number in a filter). Ceilometer then loses the whole value.
type EvalError struct {
	Expr   string
	Reason string
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("jsonpath: evaluate %q: %s", e.Expr, e.Reason)
}

// errTypeError is Python's TypeError inside an arithmetic operation, which
// jsonpath-rw-ext catches (the operation then matches nothing).
var errTypeError = errors.New("unsupported operand types")

// bareError is SortedThis returning a datum instead of a list of matches:
// fine where only truthiness is tested, a TypeError anywhere else.
type bareError struct{ d *datum }

func (bareError) Error() string { return "'DatumInContext' object is not iterable" }

// maxMatches bounds the data produced by one evaluation, so that expressions
// like (a|a).(a|a).(a|a)… cannot exhaust memory.
const maxMatches = 1 << 20

// evaluator is the state of one evaluation. Evaluators are pooled: datums
// come from reusable slabs and scratch lists from a free list, so a steady
// stream of evaluations allocates little beyond the values it computes.
type evaluator struct {
	budget int
	slabs  [][]datum // slabs[:slab+1] in use; slabs[slab][:used]
	slab   int
	used   int
	free   [][]*datum
}

const slabSize = 64

var evaluators = sync.Pool{New: func() any { return &evaluator{} }}

func getEvaluator() *evaluator {
	e := evaluators.Get().(*evaluator)
	e.budget = maxMatches
	return e
}

// release clears what the evaluation referenced and returns e to the pool.
func (e *evaluator) release() {
	for i := 0; i <= e.slab && i < len(e.slabs); i++ {
		if i == e.slab {
			clear(e.slabs[i][:e.used]) // only what was handed out: most evaluations use a few datums
		} else {
			clear(e.slabs[i])
		}
	}
	e.slab, e.used = 0, 0
	if len(e.slabs) > 64 {
		e.slabs = e.slabs[:64] // do not hoard after a huge evaluation
	}
	evaluators.Put(e)
}

// alloc returns a datum holding d, valid until release.
func (e *evaluator) alloc(d datum) *datum {
	if len(e.slabs) == 0 {
		e.slabs = append(e.slabs, make([]datum, slabSize))
	}
	if e.used == slabSize {
		e.slab++
		e.used = 0
		if e.slab == len(e.slabs) {
			e.slabs = append(e.slabs, make([]datum, slabSize))
		}
	}
	p := &e.slabs[e.slab][e.used]
	e.used++
	*p = d
	return p
}

// get returns an empty scratch list; put gives it back.
func (e *evaluator) get() []*datum {
	if n := len(e.free); n > 0 {
		l := e.free[n-1]
		e.free = e.free[:n-1]
		return l
	}
	return make([]*datum, 0, 8)
}

func (e *evaluator) put(l []*datum) {
	if cap(l) > 1024 || len(e.free) > 32 {
		return
	}
	clear(l)
	e.free = append(e.free, l[:0])
}

func evalErr(format string, args ...any) error {
	return &EvalError{Reason: fmt.Sprintf(format, args...)}
}

func (e *evaluator) spend(n int) error {
	e.budget -= n
	if e.budget < 0 {
		return evalErr("too many intermediate matches (limit %d)", maxMatches)
	}
	return nil
}

// wrap is DatumInContext.wrap.
func (e *evaluator) wrap(d *datum) *datum {
	if d.raw || d.none {
		return e.alloc(datum{val: d.val})
	}
	return d
}

// list evaluates n and turns a bare datum into the TypeError Python raises
// when it is iterated, added or measured.
func (e *evaluator) list(n *node, d *datum, out []*datum) ([]*datum, error) {
	out, err := e.find(n, d, out)
	if be, ok := err.(bareError); ok {
		return out, evalErr("%s", be.Error())
	}
	return out, err
}

// find appends the matches of n in d to out, in jsonpath-rw's order.
func (e *evaluator) find(n *node, d *datum, out []*datum) ([]*datum, error) {
	switch n.kind {
	case nRoot:
		top := d
		for top.ctx != nil {
			top = top.ctx
		}
		if top.step == stepRoot && !top.raw && !top.none {
			return append(out, top), nil
		}
		return append(out, e.alloc(datum{val: top.val, step: stepRoot})), e.spend(1)

	case nThis:
		return append(out, e.wrap(d)), nil

	case nParent:
		w := e.wrap(d)
		if w.ctx == nil {
			return append(out, e.alloc(datum{none: true})), nil
		}
		return append(out, w.ctx), nil

	case nChild:
		lefts, err := e.list(n.left, d, e.get())
		defer func() { e.put(lefts) }()
		if err != nil {
			return out, err
		}
		for _, m := range lefts {
			if out, err = e.list(n.right, m, out); err != nil {
				return out, err
			}
		}
		return out, nil

	case nWhere:
		lefts, err := e.list(n.left, d, e.get())
		scratch := e.get()
		defer func() { e.put(lefts); e.put(scratch) }()
		if err != nil {
			return out, err
		}
		for _, m := range lefts {
			r, err := e.find(n.right, m, scratch[:0])
			if _, bare := err.(bareError); bare {
				out = append(out, m)
				continue
			}
			if err != nil {
				return out, err
			}
			if len(r) > 0 {
				out = append(out, m)
			}
			scratch = r
		}
		return out, nil

	case nDescendants:
		lefts, err := e.find(n.left, d, e.get())
		defer func() { e.put(lefts) }()
		if be, bare := err.(bareError); bare {
			lefts, err = append(lefts[:0], be.d), nil
		}
		if err != nil {
			return out, err
		}
		for _, m := range lefts {
			if out, err = e.descend(n.right, m, out, 0); err != nil {
				return out, err
			}
		}
		return out, nil

	case nUnion:
		var err error
		if out, err = e.list(n.left, d, out); err != nil {
			return out, err
		}
		return e.list(n.right, d, out)

	case nIntersect:
		return out, evalErr("intersection ('&' outside a filter) is not implemented")

	case nFields:
		w := e.wrap(d)
		obj, ok := w.val.(*pyjson.Object)
		if !ok || obj == nil {
			return out, nil
		}
		if n.wildcard {
			for i := range obj.Members {
				m := &obj.Members[i]
				out = append(out, e.alloc(datum{val: m.Value, ctx: w, key: m.Key, step: stepField}))
			}
			return out, e.spend(len(obj.Members))
		}
		for _, f := range n.fields {
			if v, ok := obj.Get(f); ok {
				out = append(out, e.alloc(datum{val: v, ctx: w, key: f, step: stepField}))
			}
		}
		return out, e.spend(len(n.fields))

	case nIndex:
		return e.index(n, e.wrap(d), out)

	case nSlice:
		return e.slice(n, e.wrap(d), out)

	case nLen:
		w := e.wrap(d)
		var l int
		switch v := w.val.(type) {
		case string:
			l = utf8.RuneCountInString(v)
		case []pyjson.Value:
			l = len(v)
		case *pyjson.Object:
			l = v.Len()
		default:
			return out, nil
		}
		return append(out, e.alloc(datum{val: int64(l)})), e.spend(1)

	case nSorted:
		return e.sorted(n, d, out)

	case nSub:
		w := e.wrap(d)
		if n.tmplErr != nil {
			return out, evalErr("sub: %v", n.tmplErr)
		}
		s, ok := w.val.(string)
		if !ok {
			return out, evalErr("sub: expected string or bytes-like object, got '%s'", pyval.TypeName(w.val))
		}
		r, err := n.tmpl.Sub(n.re, s, maxRepeat)
		if err != nil {
			return out, evalErr("sub: %v", err)
		}
		if r == s {
			return out, nil
		}
		return append(out, e.alloc(datum{val: r})), e.spend(1)

	case nSplit:
		w := e.wrap(d)
		s, ok := w.val.(string)
		if !ok || n.splitNever {
			return out, nil
		}
		limit := -1
		if n.maxSplit >= 0 && n.maxSplit < int64(len(s)) {
			limit = int(n.maxSplit) + 1
		}
		parts := strings.SplitN(s, n.sep, limit)
		if n.segment < 0 || n.segment >= int64(len(parts)) {
			return out, nil
		}
		return append(out, e.alloc(datum{val: parts[n.segment]})), e.spend(1)

	case nFilter:
		w := e.wrap(d)
		list, ok := w.val.([]pyjson.Value)
		if !ok {
			return out, nil
		}
		for i, elem := range list {
			passed := 0
			for _, x := range n.exprs {
				ok, err := e.test(x, elem)
				if err != nil {
					return out, err
				}
				if ok {
					passed++
				}
			}
			if passed == len(n.exprs) {
				out = append(out, e.alloc(datum{val: elem, ctx: w, idx: int64(i), step: stepIndex}))
			}
		}
		return out, e.spend(len(list))

	case nOperation:
		return e.operation(n, d, out)
	}
	return out, evalErr("unknown node")
}

// descend is Descendants.match_recursively: right's matches in d, then
// those in each child of d, depth first.
func (e *evaluator) descend(right *node, d *datum, out []*datum, depth int) ([]*datum, error) {
	if depth > 10000 {
		return out, evalErr("document nested too deeply")
	}
	out, err := e.list(right, d, out)
	if err != nil {
		return out, err
	}
	if d.none {
		return out, evalErr("'NoneType' object has no attribute 'value'")
	}
	switch v := d.val.(type) {
	case []pyjson.Value:
		if err := e.spend(len(v)); err != nil {
			return out, err
		}
		for i, elem := range v {
			c := e.alloc(datum{val: elem, ctx: d, idx: int64(i), step: stepIndex})
			if out, err = e.descend(right, c, out, depth+1); err != nil {
				return out, err
			}
		}
	case *pyjson.Object:
		if v == nil {
			return out, nil
		}
		if err := e.spend(v.Len()); err != nil {
			return out, err
		}
		for i := range v.Members {
			m := &v.Members[i]
			c := e.alloc(datum{val: m.Value, ctx: d, key: m.Key, step: stepField})
			if out, err = e.descend(right, c, out, depth+1); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// pyLen is Python's len() on a JSON value.
func pyLen(v pyjson.Value) (int, bool) {
	switch v := v.(type) {
	case string:
		return utf8.RuneCountInString(v), true
	case []pyjson.Value:
		return len(v), true
	case *pyjson.Object:
		return v.Len(), true
	}
	return 0, false
}

func (e *evaluator) index(n *node, w *datum, out []*datum) ([]*datum, error) {
	l, ok := pyLen(w.val)
	if !ok {
		return out, evalErr("object of type '%s' has no len()", pyval.TypeName(w.val))
	}
	if int64(l) <= n.index {
		return out, nil
	}
	i := n.index
	if i < 0 {
		i += int64(l)
	}
	var v pyjson.Value
	switch x := w.val.(type) {
	case []pyjson.Value:
		if i < 0 {
			return out, evalErr("list index out of range")
		}
		v = x[i]
	case string:
		if i < 0 {
			return out, evalErr("string index out of range")
		}
		for _, r := range x {
			if i == 0 {
				v = string(r)
				break
			}
			i--
		}
	default:
		return out, evalErr("KeyError: %d", n.index)
	}
	return append(out, e.alloc(datum{val: v, ctx: w, idx: n.index, step: stepIndex})), e.spend(1)
}

func (e *evaluator) slice(n *node, w *datum, out []*datum) ([]*datum, error) {
	var list []pyjson.Value
	switch v := w.val.(type) {
	case []pyjson.Value:
		list = v
	case *pyjson.Object, int64, pyjson.BigInt, bool, string:
		// jsonpath-rw's "hack": a scalar or dict is sliced as a one-element list.
		w = &datum{val: []pyjson.Value{v}, ctx: w.ctx, key: w.key, idx: w.idx, step: w.step}
		list = w.val.([]pyjson.Value)
	default:
		return out, evalErr("object of type '%s' has no len()", pyval.TypeName(w.val))
	}
	lo, hi := int64(0), int64(len(list))
	if n.hasStart || n.hasEnd {
		lo, hi = pySliceBounds(n, int64(len(list)))
	}
	for i := lo; i < hi; i++ {
		out = append(out, e.alloc(datum{val: list[i], ctx: w, idx: i, step: stepIndex}))
	}
	return out, e.spend(int(max(0, hi-lo)))
}

// pySliceBounds applies Python's slice clamping of [start:end] to length l.
func pySliceBounds(n *node, l int64) (int64, int64) {
	clamp := func(x int64) int64 {
		if x < 0 {
			x += l
			if x < 0 {
				x = 0
			}
		}
		return min(x, l)
	}
	lo, hi := int64(0), l
	if n.hasStart {
		lo = clamp(n.start)
	}
	if n.hasEnd {
		hi = clamp(n.end)
	}
	return lo, hi
}

// test evaluates one filter condition on a list element.
func (e *evaluator) test(x *filterExpr, elem pyjson.Value) (bool, error) {
	found, err := e.find(x.target, e.alloc(datum{val: elem}), e.get())
	defer func() { e.put(found) }()
	if _, bare := err.(bareError); bare {
		if x.op == "" {
			return true, nil
		}
		return false, evalErr("%s", err.Error())
	}
	if err != nil {
		return false, err
	}
	if len(found) == 0 {
		return false, nil
	}
	if x.op == "" {
		return true, nil
	}
	matched := false
	for _, m := range found {
		if m.none {
			return false, evalErr("'NoneType' object has no attribute 'value'")
		}
		v := m.val
		if v == nil {
			continue
		}
		switch x.value.(type) {
		case int64, pyjson.BigInt, bool:
			iv, ok, err := pyInt(v)
			if err != nil {
				return false, err
			}
			if !ok {
				continue
			}
			v = iv
		}
		var ok bool
		if x.op == "~" {
			_, isStr := x.value.(string)
			s, isStr2 := v.(string)
			switch {
			case !isStr:
				return false, evalErr("first argument must be string or compiled pattern")
			case x.reErr != nil:
				return false, evalErr("%v", x.reErr)
			case !isStr2:
				return false, evalErr("expected string or bytes-like object, got '%s'", pyval.TypeName(v))
			}
			ok = x.re.MatchString(s)
		} else {
			ok, err = pyCompare(x.op, v, x.value)
			if err != nil {
				return false, err
			}
		}
		if ok {
			matched = true
		}
	}
	return matched, nil
}

func (e *evaluator) operation(n *node, d *datum, out []*datum) ([]*datum, error) {
	appendResult := func(r pyjson.Value) error {
		out = append(out, e.alloc(datum{val: r}))
		return e.spend(1)
	}
	switch {
	case n.left != nil && n.right != nil:
		l, lerr := e.find(n.left, d, e.get())
		defer func() { e.put(l) }()
		_, lbare := lerr.(bareError)
		if lerr != nil && !lbare {
			return out, lerr
		}
		r, rerr := e.find(n.right, d, e.get())
		defer func() { e.put(r) }()
		_, rbare := rerr.(bareError)
		if rerr != nil && !rbare {
			return out, rerr
		}
		if (!lbare && len(l) == 0) || (!rbare && len(r) == 0) {
			return out, nil
		}
		if lbare || rbare {
			return out, evalErr("object of type 'DatumInContext' has no len()")
		}
		if len(l) != len(r) {
			return out, nil
		}
		start := len(out)
		for i := range l {
			if l[i].none || r[i].none {
				return out, evalErr("'NoneType' object has no attribute 'value'")
			}
			v, err := pyArith(n.op, l[i].val, r[i].val)
			if err == errTypeError {
				return out[:start], nil
			}
			if err != nil {
				return out, err
			}
			if err := appendResult(v); err != nil {
				return out, err
			}
		}
		return out, nil
	case n.left != nil || n.right != nil:
		path := n.left
		if path == nil {
			path = n.right
		}
		ms, err := e.list(path, d, e.get())
		defer func() { e.put(ms) }()
		if err != nil {
			return out, err
		}
		start := len(out)
		for _, m := range ms {
			if m.none {
				return out, evalErr("'NoneType' object has no attribute 'value'")
			}
			var v pyjson.Value
			if n.left != nil {
				v, err = pyArith(n.op, m.val, n.rval)
			} else {
				v, err = pyArith(n.op, n.lval, m.val)
			}
			if err == errTypeError {
				return out[:start], nil
			}
			if err != nil {
				return out, err
			}
			if err := appendResult(v); err != nil {
				return out, err
			}
		}
		return out, nil
	default:
		v, err := pyArith(n.op, n.lval, n.rval)
		if err == errTypeError {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		return out, appendResult(v)
	}
}

// sorted is SortedThis.find.
func (e *evaluator) sorted(n *node, d *datum, out []*datum) ([]*datum, error) {
	if d.raw {
		return out, evalErr("'%s' object has no attribute 'value'", pyval.TypeName(d.val))
	}
	if d.none {
		return out, evalErr("'NoneType' object has no attribute 'value'")
	}
	var items []pyjson.Value
	switch v := d.val.(type) {
	case *pyjson.Object:
		if n.sorts != nil {
			return out, bareError{d}
		}
		items = make([]pyjson.Value, 0, v.Len())
		if v != nil {
			for _, m := range v.Members {
				items = append(items, m.Key)
			}
		}
	case []pyjson.Value:
		items = append([]pyjson.Value(nil), v...)
	default:
		return out, bareError{d}
	}
	if err := e.spend(len(items)); err != nil {
		return out, err
	}
	var less func(a, b pyjson.Value) (bool, error)
	if n.sorts == nil {
		less = func(a, b pyjson.Value) (bool, error) { return pyCompare("<", a, b) }
	} else {
		less = func(a, b pyjson.Value) (bool, error) {
			c, err := e.sortCompare(n.sorts, a, b)
			return c < 0, err
		}
	}
	if err := pySort(items, less); err != nil {
		return out, err
	}
	return append(out, e.alloc(datum{val: items})), nil
}

// sortCompare is SortedThis._compare.
func (e *evaluator) sortCompare(keys []sortKey, a, b pyjson.Value) (int, error) {
	for _, k := range keys {
		l, lerr := e.find(k.path, e.alloc(datum{val: a}), e.get())
		defer func() { e.put(l) }()
		_, lbare := lerr.(bareError)
		if lerr != nil && !lbare {
			return 0, lerr
		}
		r, rerr := e.find(k.path, e.alloc(datum{val: b}), e.get())
		defer func() { e.put(r) }()
		_, rbare := rerr.(bareError)
		if rerr != nil && !rbare {
			return 0, rerr
		}
		// not l or not r or len(l) > 1 or len(r) > 1 or l[0] == r[0]: skip.
		if (!lbare && len(l) == 0) || (!rbare && len(r) == 0) {
			continue
		}
		if lbare || rbare {
			return 0, evalErr("object of type 'DatumInContext' has no len()")
		}
		if len(l) > 1 || len(r) > 1 {
			continue
		}
		if l[0].none || r[0].none {
			return 0, evalErr("'NoneType' object has no attribute 'value'")
		}
		if pyval.Equal(l[0].val, r[0].val) {
			continue
		}
		lt, err := pyCompare("<", l[0].val, r[0].val)
		if err != nil {
			return 0, err
		}
		if lt == k.reverse {
			return 1, nil
		}
		return -1, nil
	}
	return 0, nil
}

// pySort sorts like CPython's list.sort for the lists we meet: the leading
// run is detected (a strictly descending one reversed), then binary
// insertion sort. For consistent comparisons any stable sort gives the same
// result; reproducing CPython's steps also reproduces its results (and its
// TypeErrors) when a comparison is inconsistent.
func pySort(a []pyjson.Value, less func(a, b pyjson.Value) (bool, error)) error {
	n := len(a)
	if n < 2 {
		return nil
	}
	run := 2
	lt, err := less(a[1], a[0])
	if err != nil {
		return err
	}
	if lt {
		for ; run < n; run++ {
			lt, err := less(a[run], a[run-1])
			if err != nil {
				return err
			}
			if !lt {
				break
			}
		}
		for i, j := 0, run-1; i < j; i, j = i+1, j-1 {
			a[i], a[j] = a[j], a[i]
		}
	} else {
		for ; run < n; run++ {
			lt, err := less(a[run], a[run-1])
			if err != nil {
				return err
			}
			if lt {
				break
			}
		}
	}
	for start := run; start < n; start++ {
		pivot := a[start]
		l, r := 0, start
		for l < r {
			p := l + (r-l)/2
			lt, err := less(pivot, a[p])
			if err != nil {
				return err
			}
			if lt {
				r = p
			} else {
				l = p + 1
			}
		}
		copy(a[l+1:start+1], a[l:start])
		a[l] = pivot
	}
	return nil
}

// pathString is declarative.Definition._get_path joined with '.': the
// steps from the top datum down to d.
func pathString(d *datum) string {
	if d.ctx == nil {
		return ""
	}
	var parts []string
	for x := d; x.ctx != nil; x = x.ctx {
		parts = append(parts, stepString(x))
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".")
}

func stepString(d *datum) string {
	switch d.step {
	case stepField:
		return d.key
	case stepIndex:
		return "[" + strconv.FormatInt(d.idx, 10) + "]"
	case stepRoot:
		return "$"
	}
	return "`this`"
}

// Interface guards.
var (
	_ error = (*EvalError)(nil)
	_ error = bareError{}
)
