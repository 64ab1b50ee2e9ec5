package jsonpath

import (
	"errors"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Path is a compiled expression. It is immutable and safe for concurrent use.
type Path struct {
	src  string
	root *node
	// fast holds plain chains of single names and non-negative indexes
	// ($.a.b[0].c, a.b), or the alternatives of a union of them
	// ((a.b)|(c.d)), evaluated without allocating; nil otherwise.
	fast [][]fastStep
}

// fastStep is one step of a plain chain.
type fastStep struct {
	kind  nodeKind // nRoot, nThis, nFields (one name) or nIndex (>= 0)
	name  string
	index int64
}

// Match is one match together with its location, the way Ceilometer's
// declarative.Definition hands matches to trait plugins: Path joins the
// steps from the document root with '.', e.g. "payload.metrics.[0].value".
// Values computed by the expression (arithmetic, `len`, `split`, …) have an
// empty Path.
type Match struct {
	Value pyjson.Value
	Path  string
}

// Compile parses expr in the jsonpath-rw-ext dialect. It accepts exactly the
// expressions jsonpath-rw-ext 1.2.2 accepts; errors are *SyntaxError values
// naming the line, column and reason.
func Compile(expr string) (*Path, error) {
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	if depth(n, 0) > maxDepth {
		return nil, newSyntaxError(expr, 0, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	p := &Path{src: expr, root: n}
	p.fast = alternatives(n, nil)
	return p, nil
}

// maxDepth bounds the depth of an expression tree (Python's own recursion
// limit would stop far earlier).
const maxDepth = 5000

// depth returns the depth of n's tree, stopping once past maxDepth.
func depth(n *node, d int) int {
	if n == nil || d > maxDepth {
		return d
	}
	d++
	m := max(depth(n.left, d), depth(n.right, d))
	for _, k := range n.sorts {
		m = max(m, depth(k.path, d))
	}
	for _, x := range n.exprs {
		m = max(m, depth(x.target, d))
	}
	return m
}

// alternatives returns the plain chains whose union n is, or nil.
func alternatives(n *node, alts [][]fastStep) [][]fastStep {
	if n.kind == nUnion {
		if alts = alternatives(n.left, alts); alts == nil {
			return nil
		}
		return alternatives(n.right, alts)
	}
	steps := flatten(n, nil)
	if steps == nil {
		return nil
	}
	return append(alts, steps)
}

// flatten returns the fast steps of n, or nil when n is not a plain chain.
func flatten(n *node, steps []fastStep) []fastStep {
	switch n.kind {
	case nChild:
		if steps = flatten(n.left, steps); steps == nil {
			return nil
		}
		return flatten(n.right, steps)
	case nRoot, nThis:
		return append(steps, fastStep{kind: n.kind})
	case nFields:
		if len(n.fields) == 1 && !n.wildcard {
			return append(steps, fastStep{kind: nFields, name: n.fields[0]})
		}
	case nIndex:
		if n.index >= 0 {
			return append(steps, fastStep{kind: nIndex, index: n.index})
		}
	}
	return nil
}

// String returns the source text of the expression.
func (p *Path) String() string { return p.src }

// walk evaluates a plain chain. ok is false when the chain cannot decide
// (indexing something other than a list), and the general evaluator must.
func walk(steps []fastStep, root pyjson.Value) (v pyjson.Value, found, ok bool) {
	v = root
	for _, s := range steps {
		switch s.kind {
		case nRoot:
			v = root
		case nFields:
			obj, isObj := v.(*pyjson.Object)
			if !isObj {
				return nil, false, true
			}
			if v, found = obj.Get(s.name); !found {
				return nil, false, true
			}
		case nIndex:
			list, isList := v.([]pyjson.Value)
			if !isList {
				return nil, false, false
			}
			if s.index >= int64(len(list)) {
				return nil, false, true
			}
			v = list[s.index]
		}
	}
	return v, true, true
}

// appendFast appends the matches of the plain chains; ok is false when one
// of them cannot decide.
func (p *Path) appendFast(dst []pyjson.Value, root pyjson.Value) ([]pyjson.Value, bool) {
	n := len(dst)
	for _, steps := range p.fast {
		v, found, ok := walk(steps, root)
		if !ok {
			return dst[:n], false
		}
		if found {
			dst = append(dst, v)
		}
	}
	return dst, true
}

// Eval returns all matches of the expression in root, in jsonpath-rw's
// order, including null values. It fails with an *EvalError where
// jsonpath-rw-ext raises an exception.
func (p *Path) Eval(root pyjson.Value) ([]pyjson.Value, error) {
	return p.AppendEval(nil, root)
}

// AppendEval is Eval appending to dst.
func (p *Path) AppendEval(dst []pyjson.Value, root pyjson.Value) ([]pyjson.Value, error) {
	if p.fast != nil {
		if out, ok := p.appendFast(dst, root); ok {
			return out, nil
		}
	}
	err := p.eval(root, func(ms []*datum) {
		for _, m := range ms {
			dst = append(dst, m.val)
		}
	})
	return dst, err
}

// eval runs the general evaluator and hands the matches to use before the
// evaluator (which owns the datums) is recycled.
func (p *Path) eval(root pyjson.Value, use func(ms []*datum)) error {
	e := getEvaluator()
	defer e.release()
	ms, err := e.list(p.root, e.alloc(datum{val: root, raw: true}), e.get())
	if err == nil {
		for _, m := range ms {
			if m.none {
				err = evalErr("'NoneType' object has no attribute 'value'")
				break
			}
		}
	}
	if err != nil {
		var ee *EvalError
		if errors.As(err, &ee) {
			ee.Expr = p.src
		}
		return err
	}
	use(ms)
	e.put(ms)
	return nil
}

// Find returns all matches, like Eval, or nil when evaluation fails.
func (p *Path) Find(root pyjson.Value) []pyjson.Value {
	out, err := p.AppendEval(nil, root)
	if err != nil {
		return nil
	}
	return out
}

// AppendFind is Find appending to dst; with a reused dst a plain chain
// ($.payload.a.b) evaluates without allocating.
func (p *Path) AppendFind(dst []pyjson.Value, root pyjson.Value) []pyjson.Value {
	n := len(dst)
	out, err := p.AppendEval(dst, root)
	if err != nil {
		return dst[:n]
	}
	return out
}

// First returns the first match whose value is not null, as Ceilometer's
// declarative.Definition.parse does (a failing evaluation gives no value).
// It does not allocate for plain chains.
func (p *Path) First(root pyjson.Value) (pyjson.Value, bool) {
	if p.fast != nil {
		decided := true
		for _, steps := range p.fast {
			v, found, ok := walk(steps, root)
			if !ok {
				decided = false
				break
			}
			if found && v != nil {
				return v, true
			}
		}
		if decided {
			return nil, false
		}
	}
	var first pyjson.Value
	err := p.eval(root, func(ms []*datum) {
		for _, m := range ms {
			if m.val != nil {
				first = m.val
				return
			}
		}
	})
	return first, err == nil && first != nil
}

// Matches returns all matches with their paths (see Match), for trait
// plugins that look at where a value was found.
func (p *Path) Matches(root pyjson.Value) ([]Match, error) {
	var out []Match
	err := p.eval(root, func(ms []*datum) {
		out = make([]Match, len(ms))
		for i, m := range ms {
			out[i] = Match{Value: m.val, Path: pathString(m)}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
