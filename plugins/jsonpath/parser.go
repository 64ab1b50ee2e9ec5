package jsonpath

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/openstack-go/agent-notification/internal/pyre"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// lrRule is one production of the grammar: its left-hand nonterminal, the
// number of symbols on its right, and the action that builds its value.
type lrRule struct {
	lhs int8
	n   int8
	act func(p *parser, args []any) (any, error)
}

// lrAccept is the lrAction entry that accepts the input.
const lrAccept = math.MinInt16

// maxStack bounds the parser's stack (deeply nested parentheses).
const maxStack = 10000

// parser holds the state of one parse.
type parser struct {
	lx  lexer
	tok token // the token whose reduce/shift is being decided
}

// parse turns an expression into its evaluation tree, or fails exactly where
// jsonpath-rw-ext's parser would (any lexer, grammar or named-operator error).
func parse(src string) (*node, error) {
	p := &parser{lx: lexer{src: src}}
	states := make([]int16, 1, 16)
	vals := make([]any, 1, 16)
	tok, err := p.lx.next()
	if err != nil {
		return nil, err
	}
	for {
		st := states[len(states)-1]
		act := lrAction[st][tok.kind]
		switch {
		case act == lrAccept:
			n, _ := vals[len(vals)-1].(*node)
			if n == nil {
				return nil, newSyntaxError(src, 0, "empty expression")
			}
			return n, nil
		case act > 0:
			if len(states) >= maxStack {
				return nil, newSyntaxError(src, tok.pos, "expression nested too deeply")
			}
			states = append(states, act-1)
			vals = append(vals, tok)
			if tok, err = p.lx.next(); err != nil {
				return nil, err
			}
		case act < 0:
			r := &lrRules[-act]
			k := len(vals) - int(r.n)
			p.tok = tok
			v, err := r.act(p, vals[k:])
			if err != nil {
				return nil, err
			}
			states = states[:k]
			vals = vals[:k]
			g := lrGoto[states[len(states)-1]][r.lhs]
			if g < 0 {
				return nil, newSyntaxError(src, tok.pos, "internal parser error")
			}
			states = append(states, int16(g))
			vals = append(vals, v)
		default:
			if tok.kind == tokEOF {
				return nil, newSyntaxError(src, tok.pos, "unexpected end of expression")
			}
			return nil, newSyntaxError(src, tok.pos, "unexpected %s", describe(tok))
		}
	}
}

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case tokID, tokNamedOperator, tokFilterOp:
		return fmt.Sprintf("%s %q", tokNames[t.kind], t.text)
	case tokNumber, tokFloat:
		return fmt.Sprintf("%s %v", tokNames[t.kind], t.num)
	case tokBool:
		return fmt.Sprintf("BOOL %v", t.b)
	}
	return tokNames[t.kind]
}

// Semantic values on the parse stack are: token (shifted terminals), *node,
// []string (field lists), *filterExpr / []*filterExpr, []sortKey, and for
// slice bounds either nil or a token.

func actAccept(_ *parser, a []any) (any, error) { return a[0], nil }
func actPass1(_ *parser, a []any) (any, error)  { return a[0], nil }
func actPass2(_ *parser, a []any) (any, error)  { return a[1], nil }
func actEmpty(_ *parser, _ []any) (any, error)  { return nil, nil }

func binary(k nodeKind, a []any) *node {
	return &node{kind: k, left: a[0].(*node), right: a[2].(*node)}
}

func actChild(_ *parser, a []any) (any, error)       { return binary(nChild, a), nil }
func actDescendants(_ *parser, a []any) (any, error) { return binary(nDescendants, a), nil }
func actWhere(_ *parser, a []any) (any, error)       { return binary(nWhere, a), nil }
func actUnion(_ *parser, a []any) (any, error)       { return binary(nUnion, a), nil }
func actIntersect(_ *parser, a []any) (any, error)   { return binary(nIntersect, a), nil }
func actRoot(_ *parser, _ []any) (any, error)        { return &node{kind: nRoot}, nil }
func actThis(_ *parser, _ []any) (any, error)        { return &node{kind: nThis}, nil }

func newFields(names []string) *node {
	n := &node{kind: nFields, fields: names}
	for _, f := range names {
		if f == "*" {
			n.wildcard = true
		}
	}
	return n
}

func actFields(_ *parser, a []any) (any, error)        { return newFields(a[0].([]string)), nil }
func actFieldsAny(_ *parser, _ []any) (any, error)     { return []string{"*"}, nil }
func actFieldsOne(_ *parser, a []any) (any, error)     { return []string{a[0].(token).text}, nil }
func actBracketFields(_ *parser, a []any) (any, error) { return newFields(a[1].([]string)), nil }

func actFieldsComma(_ *parser, a []any) (any, error) {
	l, r := a[0].([]string), a[2].([]string)
	out := make([]string, 0, len(l)+len(r))
	return append(append(out, l...), r...), nil
}

func actChildBracketFields(_ *parser, a []any) (any, error) {
	return &node{kind: nChild, left: a[0].(*node), right: newFields(a[2].([]string))}, nil
}

func actChildBracket(_ *parser, a []any) (any, error) {
	return &node{kind: nChild, left: a[0].(*node), right: a[2].(*node)}, nil
}

// saturate clamps a NUMBER token's value to int64 (beyond it, indexing and
// slicing behave the same as at the extremes).
func saturate(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case pyjson.BigInt:
		if strings.HasPrefix(string(v), "-") {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return 0
}

func actIndex(_ *parser, a []any) (any, error) {
	return &node{kind: nIndex, index: saturate(a[0].(token).num)}, nil
}

func actSliceAll(_ *parser, _ []any) (any, error) { return &node{kind: nSlice}, nil }

func actSlice(_ *parser, a []any) (any, error) {
	n := &node{kind: nSlice}
	if t, ok := a[0].(token); ok {
		n.hasStart, n.start = true, saturate(t.num)
	}
	if t, ok := a[2].(token); ok {
		n.hasEnd, n.end = true, saturate(t.num)
	}
	return n, nil
}

// operand converts one side of an arithmetic rule the way jsonpath-rw-ext
// does: a path of exactly one field name becomes that name as a string
// literal; NUMBER, FLOAT and ID tokens are literals; anything else is a path.
func operand(v any) (*node, any) {
	switch v := v.(type) {
	case *node:
		if v.kind == nFields && len(v.fields) == 1 {
			return nil, v.fields[0]
		}
		return v, nil
	case token:
		switch v.kind {
		case tokNumber, tokFloat:
			return nil, v.num
		default:
			return nil, v.text
		}
	}
	return nil, nil
}

func actOperation(_ *parser, a []any) (any, error) {
	n := &node{kind: nOperation}
	n.left, n.lval = operand(a[0])
	n.right, n.rval = operand(a[2])
	switch a[1].(token).kind {
	case tokPlus:
		n.op = '+'
	case tokMinus:
		n.op = '-'
	case tokStar:
		n.op = '*'
	default:
		n.op = '/'
	}
	return n, nil
}

var (
	// Both use re.match: anchored at the start only. \s and \d are Python's
	// Unicode classes.
	subSyntax   = pyre.MustCompile(`^sub\(/(.*)/,\s+(.*)\)`)
	splitSyntax = pyre.MustCompile(`^split\((.),\s+(\d+),\s+(\d+|-1)\)`)
)

func actNamedOperator(p *parser, a []any) (any, error) {
	t := a[0].(token)
	name := t.text
	switch {
	case name == "len":
		return &node{kind: nLen}, nil
	case name == "sorted":
		return &node{kind: nSorted}, nil
	case strings.HasPrefix(name, "split("):
		m := splitSyntax.FindStringSubmatch(name)
		if m == nil {
			return nil, newSyntaxError(p.lx.src, t.pos, "%s is not valid", name)
		}
		seg, maxSplit := parseInt(asciiDigits(m[2])), parseInt(asciiDigits(m[3]))
		n := &node{kind: nSplit, sep: m[1], segment: saturate(seg), maxSplit: saturate(maxSplit)}
		// Beyond ssize_t Python raises inside its try block: never a match.
		_, big1 := seg.(pyjson.BigInt)
		_, big2 := maxSplit.(pyjson.BigInt)
		n.splitNever = big1 || big2
		return n, nil
	case strings.HasPrefix(name, "sub("):
		m := subSyntax.FindStringSubmatch(name)
		if m == nil {
			return nil, newSyntaxError(p.lx.src, t.pos, "%s is not valid", name)
		}
		expr, repl := pyStrip(m[1]), pyStrip(m[2])
		re, err := pyre.Compile(expr)
		if err != nil {
			return nil, newSyntaxError(p.lx.src, t.pos, "sub: %v", err)
		}
		// Python parses the template only when sub runs: keep its error for then.
		tmpl, tmplErr := pyre.ParseTemplate(repl, re)
		return &node{kind: nSub, re: re, tmpl: tmpl, tmplErr: tmplErr}, nil
	case name == "this":
		return &node{kind: nThis}, nil
	case name == "parent":
		return &node{kind: nParent}, nil
	}
	return nil, newSyntaxError(p.lx.src, t.pos, "unknown named operator `%s`", name)
}

func actExpression(_ *parser, a []any) (any, error) {
	e := &filterExpr{target: a[0].(*node)}
	if len(a) == 1 {
		return e, nil
	}
	e.op = a[1].(token).text
	t := a[2].(token)
	switch t.kind {
	case tokID:
		e.value = t.text
	case tokBool:
		e.value = t.b
	default:
		e.value = t.num
	}
	if e.op == "~" {
		if s, ok := e.value.(string); ok {
			e.re, e.reErr = pyre.CompileMatch(s)
		}
	}
	return e, nil
}

func actExpressionsOne(_ *parser, a []any) (any, error) {
	return []*filterExpr{a[0].(*filterExpr)}, nil
}

func actExpressionsAnd(_ *parser, a []any) (any, error) {
	l, r := a[0].([]*filterExpr), a[2].([]*filterExpr)
	out := make([]*filterExpr, 0, len(l)+len(r))
	return append(append(out, l...), r...), nil
}

func actFilter(_ *parser, a []any) (any, error) {
	return &node{kind: nFilter, exprs: a[1].([]*filterExpr)}, nil
}

func actSort(_ *parser, a []any) (any, error) {
	return []sortKey{{path: a[1].(*node), reverse: a[0].(token).text != "/"}}, nil
}

func actSortsOne(_ *parser, a []any) (any, error) { return a[0], nil }

func actSortsConcat(_ *parser, a []any) (any, error) {
	l, r := a[0].([]sortKey), a[1].([]sortKey)
	out := make([]sortKey, 0, len(l)+len(r))
	return append(append(out, l...), r...), nil
}

func actChildSort(_ *parser, a []any) (any, error) {
	return &node{kind: nChild, left: a[0].(*node), right: &node{kind: nSorted, sorts: a[2].([]sortKey)}}, nil
}

// bigToValue returns z as int64 when it fits, else as a pyjson.BigInt.
func bigToValue(z *big.Int) any {
	if z.IsInt64() {
		return z.Int64()
	}
	return pyjson.BigInt(z.String())
}
