package transformer

// The expression evaluator: the subset of Python expressions that mitaka's
// transformers eval() — a unit_conversion/rate_of_change `scale` such as
// "100.0 / (10**9 * (resource_metadata.cpu_number or 1))", and arithmetic's
// `expr` after $(meter) references are rewritten to names. Expressions are
// parsed once, when the transformer is built; evaluating one never runs
// anything but the arithmetic below.
//
// Supported: int, float and string literals; True, False, None; names;
// attribute access (a.b) and subscripts (a['b'], a[0]); unary + - ~ and not;
// ** * / // % + -; comparisons (chained, as in Python) == != < <= > >=;
// and, or (returning an operand); x if c else y; parentheses. Anything else
// — calls, lambdas, comprehensions, bit operators, `in`, `is`, dunder
// names — is refused at load time. (Calls could not work in mitaka either:
// eval's locals are a Namespace whose default makes every name, builtins
// included, an empty Namespace.)

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Expression limits: a configuration expression is a one-liner; these bounds
// keep hostile input (and the fuzzer) from building huge trees.
const (
	maxExprLen   = 4096
	maxExprDepth = 64
)

// ExprError is a syntax error in an expression: Offset is the byte offset in
// the expression text.
type ExprError struct {
	Offset int
	Msg    string
}

func (e *ExprError) Error() string { return fmt.Sprintf("%s (at offset %d)", e.Msg, e.Offset) }

// env resolves the names an expression uses.
type env interface {
	lookup(name string) value
}

// node is one element of a parsed expression.
type node interface {
	eval(e env) (value, error)
}

type constNode struct{ v value }
type nameNode struct{ name string }
type attrNode struct {
	x    node
	name string
}
type indexNode struct{ x, i node }
type unaryNode struct {
	op byte
	x  node
}
type notNode struct{ x node }
type binNode struct {
	op   binOp
	l, r node
}
type boolOpNode struct {
	and  bool
	l, r node
}
type cmpNode struct {
	ops []cmpOp
	xs  []node
}
type condNode struct{ c, a, b node }

func (n *constNode) eval(env) (value, error) { return n.v, nil }
func (n *nameNode) eval(e env) (value, error) {
	return e.lookup(n.name), nil
}
func (n *attrNode) eval(e env) (value, error) {
	x, err := n.x.eval(e)
	if err != nil {
		return value{}, err
	}
	return x.attr(n.name)
}
func (n *indexNode) eval(e env) (value, error) {
	x, err := n.x.eval(e)
	if err != nil {
		return value{}, err
	}
	i, err := n.i.eval(e)
	if err != nil {
		return value{}, err
	}
	return x.index(i)
}
func (n *unaryNode) eval(e env) (value, error) {
	x, err := n.x.eval(e)
	if err != nil {
		return value{}, err
	}
	return unary(n.op, x)
}
func (n *notNode) eval(e env) (value, error) {
	x, err := n.x.eval(e)
	if err != nil {
		return value{}, err
	}
	return boolValue(!x.truth()), nil
}
func (n *binNode) eval(e env) (value, error) {
	l, err := n.l.eval(e)
	if err != nil {
		return value{}, err
	}
	r, err := n.r.eval(e)
	if err != nil {
		return value{}, err
	}
	return arith(n.op, l, r)
}
func (n *boolOpNode) eval(e env) (value, error) {
	l, err := n.l.eval(e)
	if err != nil {
		return value{}, err
	}
	if l.truth() != n.and {
		return l, nil // `a or b` is a when a is true; `a and b` is a when a is false
	}
	return n.r.eval(e)
}
func (n *cmpNode) eval(e env) (value, error) {
	l, err := n.xs[0].eval(e)
	if err != nil {
		return value{}, err
	}
	for i, op := range n.ops {
		r, err := n.xs[i+1].eval(e)
		if err != nil {
			return value{}, err
		}
		ok, err := compare(op, l, r)
		if err != nil {
			return value{}, err
		}
		if !ok {
			return boolValue(false), nil
		}
		l = r
	}
	return boolValue(true), nil
}
func (n *condNode) eval(e env) (value, error) {
	c, err := n.c.eval(e)
	if err != nil {
		return value{}, err
	}
	if c.truth() {
		return n.a.eval(e)
	}
	return n.b.eval(e)
}

// Expr is a parsed expression.
type Expr struct {
	src  string
	root node
	// names are the free names the expression reads, in order of first use.
	names []string
}

// String returns the expression's source text.
func (x *Expr) String() string { return x.src }

// ParseExpr parses src, a Python expression in the subset described in this
// file's comment. The error is an *ExprError.
func ParseExpr(src string) (*Expr, error) {
	if len(src) > maxExprLen {
		return nil, &ExprError{Offset: maxExprLen, Msg: fmt.Sprintf("expression longer than %d bytes", maxExprLen)}
	}
	if !utf8.ValidString(src) {
		return nil, &ExprError{Msg: "expression is not valid UTF-8"}
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, seen: map[string]bool{}}
	root, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, &ExprError{Offset: t.off, Msg: fmt.Sprintf("invalid syntax: unexpected %s", t.describe())}
	}
	return &Expr{src: src, root: root, names: p.names}, nil
}

// eval evaluates x with the names of e.
func (x *Expr) eval(e env) (value, error) { return x.root.eval(e) }

// ---- tokens ----

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokName
	tokInt
	tokFloat
	tokStr
	tokOp
)

type token struct {
	kind tokKind
	off  int
	text string // name, operator, or literal source
	v    value  // literal value
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokName:
		return "name " + strconv.Quote(t.text)
	case tokOp:
		return "'" + t.text + "'"
	}
	return "literal " + t.text
}

// Python keywords the subset refuses (True, False, None, and, or, not, if,
// else are handled by the parser).
var pyKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true,
	"async": true, "await": true, "break": true, "class": true, "continue": true,
	"def": true, "del": true, "elif": true, "else": true, "except": true,
	"finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true,
	"not": true, "or": true, "pass": true, "raise": true, "return": true,
	"try": true, "while": true, "with": true, "yield": true,
}

// operators, longest first.
var operators = []string{"**", "//", "==", "!=", "<=", ">=", "<<", ">>", "<>", "->", ":=",
	"+", "-", "*", "/", "%", "<", ">", "(", ")", "[", "]", ".", ",", ":", "~", "&", "|", "^", "@", "=", ";", "{", "}", "!"}

func tokenize(src string) ([]token, error) {
	var toks []token
	depth := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\f':
			i++
			continue
		case c == '\n' || c == '\r':
			if depth == 0 && strings.TrimSpace(src[i:]) != "" {
				return nil, &ExprError{Offset: i, Msg: "invalid syntax: line break outside brackets"}
			}
			i++
			continue
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			t, n, err := number(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		case c == '\'' || c == '"':
			t, n, err := stringLit(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		if r == '_' || unicode.IsLetter(r) {
			j := i + size
			for j < len(src) {
				r, size := utf8.DecodeRuneInString(src[j:])
				if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				j += size
			}
			if j < len(src) && (src[j] == '\'' || src[j] == '"') {
				return nil, &ExprError{Offset: i, Msg: "string prefixes (r'', b'', f'' …) are not supported"}
			}
			toks = append(toks, token{kind: tokName, off: i, text: src[i:j]})
			i = j
			continue
		}
		op := ""
		for _, o := range operators {
			if strings.HasPrefix(src[i:], o) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, &ExprError{Offset: i, Msg: fmt.Sprintf("invalid character %q", r)}
		}
		switch op {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		}
		toks = append(toks, token{kind: tokOp, off: i, text: op})
		i += len(op)
	}
	return append(toks, token{kind: tokEOF, off: len(src)}), nil
}

// number scans a Python numeric literal at src[i:].
func number(src string, i int) (token, int, error) {
	j := i
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' || c == '_' }
	if src[j] == '0' && j+1 < len(src) && strings.ContainsRune("xXoObB", rune(src[j+1])) {
		j += 2
		for j < len(src) && (isDigit(src[j]) || strings.ContainsRune("abcdefABCDEF", rune(src[j]))) {
			j++
		}
		text := src[i:j]
		b, ok := new(big.Int).SetString(text, 0) // understands 0x/0o/0b and underscores
		if !ok {
			return token{}, 0, &ExprError{Offset: i, Msg: "invalid number literal " + strconv.Quote(text)}
		}
		v, err := checkBig(b)
		if err != nil {
			return token{}, 0, &ExprError{Offset: i, Msg: "number literal too large"}
		}
		return token{kind: tokInt, off: i, text: text, v: v}, j, nil
	}
	float := false
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j < len(src) && src[j] == '.' {
		float = true
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && src[k] >= '0' && src[k] <= '9' {
			float = true
			j = k
			for j < len(src) && isDigit(src[j]) {
				j++
			}
		}
	}
	if j < len(src) && (src[j] == 'j' || src[j] == 'J') {
		return token{}, 0, &ExprError{Offset: i, Msg: "complex literals are not supported"}
	}
	if j < len(src) && (src[j] == '_' || unicode.IsLetter(rune(src[j]))) {
		return token{}, 0, &ExprError{Offset: j, Msg: "invalid number literal"}
	}
	text := src[i:j]
	clean := strings.ReplaceAll(text, "_", "")
	if strings.Contains(text, "__") || strings.HasSuffix(text, "_") || strings.Contains(text, "_.") || strings.Contains(text, "._") {
		return token{}, 0, &ExprError{Offset: i, Msg: "invalid number literal " + strconv.Quote(text)}
	}
	if float {
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil && !math.IsInf(f, 0) {
			return token{}, 0, &ExprError{Offset: i, Msg: "invalid number literal " + strconv.Quote(text)}
		}
		return token{kind: tokFloat, off: i, text: text, v: floatValue(f)}, j, nil
	}
	if len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
		return token{}, 0, &ExprError{Offset: i, Msg: "leading zeros in decimal integer literals are not permitted"}
	}
	b, ok := new(big.Int).SetString(clean, 10)
	if !ok {
		return token{}, 0, &ExprError{Offset: i, Msg: "invalid number literal " + strconv.Quote(text)}
	}
	v, err := checkBig(b)
	if err != nil {
		return token{}, 0, &ExprError{Offset: i, Msg: "number literal too large"}
	}
	return token{kind: tokInt, off: i, text: text, v: v}, j, nil
}

// stringLit scans a single- or double-quoted string with the common escapes.
func stringLit(src string, i int) (token, int, error) {
	q := src[i]
	if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
		return token{}, 0, &ExprError{Offset: i, Msg: "triple-quoted strings are not supported"}
	}
	var b strings.Builder
	for j := i + 1; j < len(src); j++ {
		c := src[j]
		switch {
		case c == q:
			return token{kind: tokStr, off: i, text: src[i : j+1], v: value{k: kindStr, s: b.String()}}, j + 1, nil
		case c == '\n':
			return token{}, 0, &ExprError{Offset: i, Msg: "unterminated string literal"}
		case c == '\\' && j+1 < len(src):
			j++
			switch e := src[j]; e {
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case '\n':
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return token{}, 0, &ExprError{Offset: i, Msg: "unterminated string literal"}
}

// ---- parser: Python's grammar, precedence climbing ----

type parser struct {
	toks  []token
	pos   int
	depth int
	names []string
	seen  map[string]bool
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}
func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == s
}
func (p *parser) isKw(s string) bool {
	t := p.peek()
	return t.kind == tokName && t.text == s
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &ExprError{Offset: t.off, Msg: fmt.Sprintf(format, args...)}
}

// expr parses a conditional expression: or_test ['if' or_test 'else' test].
func (p *parser) expr(int) (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, p.errAt(p.peek(), "expression nested too deeply")
	}
	a, err := p.orTest()
	if err != nil {
		return nil, err
	}
	if !p.isKw("if") {
		return a, nil
	}
	p.next()
	c, err := p.orTest()
	if err != nil {
		return nil, err
	}
	if !p.isKw("else") {
		return nil, p.errAt(p.peek(), "invalid syntax: expected 'else' after 'if' expression")
	}
	p.next()
	b, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	return &condNode{c: c, a: a, b: b}, nil
}

func (p *parser) orTest() (node, error) {
	l, err := p.andTest()
	for err == nil && p.isKw("or") {
		p.next()
		var r node
		if r, err = p.andTest(); err == nil {
			l = &boolOpNode{and: false, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) andTest() (node, error) {
	l, err := p.notTest()
	for err == nil && p.isKw("and") {
		p.next()
		var r node
		if r, err = p.notTest(); err == nil {
			l = &boolOpNode{and: true, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) notTest() (node, error) {
	if p.isKw("not") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.notTest()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	}
	return p.comparison()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxExprDepth {
		return p.errAt(p.peek(), "expression nested too deeply")
	}
	return nil
}
func (p *parser) leave() { p.depth-- }

var cmpOps = map[string]cmpOp{"==": cmpEq, "!=": cmpNe, "<": cmpLt, "<=": cmpLe, ">": cmpGt, ">=": cmpGe}

func (p *parser) comparison() (node, error) {
	first, err := p.bitOr()
	if err != nil {
		return nil, err
	}
	var n *cmpNode
	for {
		t := p.peek()
		if t.kind == tokName && (t.text == "in" || t.text == "is") {
			return nil, p.errAt(t, "the %q operator is not supported in transformer expressions", t.text)
		}
		if t.kind == tokName && t.text == "not" {
			return nil, p.errAt(t, "the \"not in\" operator is not supported in transformer expressions")
		}
		op, ok := cmpOps[t.text]
		if t.kind != tokOp || !ok {
			break
		}
		p.next()
		r, err := p.bitOr()
		if err != nil {
			return nil, err
		}
		if n == nil {
			n = &cmpNode{xs: []node{first}}
		}
		n.ops = append(n.ops, op)
		n.xs = append(n.xs, r)
	}
	if n == nil {
		return first, nil
	}
	return n, nil
}

// bitOr refuses the bitwise and shift operators (valid Python, but no
// transformer expression needs them).
func (p *parser) bitOr() (node, error) {
	x, err := p.arith()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokOp {
		switch t.text {
		case "|", "&", "^", "<<", ">>":
			return nil, p.errAt(t, "the %q operator is not supported in transformer expressions", t.text)
		}
	}
	return x, nil
}

func (p *parser) arith() (node, error) {
	l, err := p.term()
	for err == nil && (p.isOp("+") || p.isOp("-")) {
		op := opAdd
		if p.next().text == "-" {
			op = opSub
		}
		var r node
		if r, err = p.term(); err == nil {
			l = fold(&binNode{op: op, l: l, r: r})
		}
	}
	return l, err
}

var termOps = map[string]binOp{"*": opMul, "/": opDiv, "//": opFloorDiv, "%": opMod}

func (p *parser) term() (node, error) {
	l, err := p.factor()
	for err == nil {
		t := p.peek()
		if t.kind == tokOp && t.text == "@" {
			return nil, p.errAt(t, "the \"@\" operator is not supported in transformer expressions")
		}
		op, ok := termOps[t.text]
		if t.kind != tokOp || !ok {
			break
		}
		p.next()
		var r node
		if r, err = p.factor(); err == nil {
			l = fold(&binNode{op: op, l: l, r: r})
		}
	}
	return l, err
}

// factor: ('+'|'-'|'~') factor | power
func (p *parser) factor() (node, error) {
	if t := p.peek(); t.kind == tokOp && (t.text == "+" || t.text == "-" || t.text == "~") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.factor()
		if err != nil {
			return nil, err
		}
		return fold(&unaryNode{op: t.text[0], x: x}), nil
	}
	return p.power()
}

// power: primary ['**' factor]  (right-associative; -2**2 == -4)
func (p *parser) power() (node, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	if !p.isOp("**") {
		return x, nil
	}
	p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	y, err := p.factor()
	if err != nil {
		return nil, err
	}
	return fold(&binNode{op: opPow, l: x, r: y}), nil
}

// fold evaluates an operation on constants at parse time ("10**9"). An
// operation that fails (1/0) is left for evaluation, which reports it.
func fold(n node) node {
	switch x := n.(type) {
	case *binNode:
		l, ok1 := x.l.(*constNode)
		r, ok2 := x.r.(*constNode)
		if ok1 && ok2 {
			if v, err := arith(x.op, l.v, r.v); err == nil {
				return &constNode{v: v}
			}
		}
	case *unaryNode:
		if c, ok := x.x.(*constNode); ok {
			if v, err := unary(x.op, c.v); err == nil {
				return &constNode{v: v}
			}
		}
	}
	return n
}

func checkName(p *parser, t token) error {
	if strings.HasPrefix(t.text, "__") {
		return p.errAt(t, "name %q is not allowed in transformer expressions", t.text)
	}
	return nil
}

// primary: atom trailer*
func (p *parser) primary() (node, error) {
	x, err := p.atom()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tokOp {
			return x, nil
		}
		switch t.text {
		case ".":
			p.next()
			nt := p.next()
			if nt.kind != tokName || pyKeywords[nt.text] {
				return nil, p.errAt(nt, "invalid syntax: expected an attribute name after '.', got %s", nt.describe())
			}
			if err := checkName(p, nt); err != nil {
				return nil, err
			}
			x = &attrNode{x: x, name: nt.text}
		case "[":
			p.next()
			i, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if !p.isOp("]") {
				return nil, p.errAt(p.peek(), "invalid syntax: expected ']' (slices are not supported), got %s", p.peek().describe())
			}
			p.next()
			x = &indexNode{x: x, i: i}
		case "(":
			return nil, p.errAt(t, "function calls are not supported in transformer expressions")
		default:
			return x, nil
		}
	}
}

func (p *parser) atom() (node, error) {
	t := p.next()
	switch t.kind {
	case tokInt, tokFloat, tokStr:
		if t.kind == tokStr && p.peek().kind == tokStr {
			// Adjacent literals concatenate.
			s := t.v.s
			for p.peek().kind == tokStr {
				s += p.next().v.s
			}
			return &constNode{v: value{k: kindStr, s: s}}, nil
		}
		return &constNode{v: t.v}, nil
	case tokName:
		switch t.text {
		case "True":
			return &constNode{v: boolValue(true)}, nil
		case "False":
			return &constNode{v: boolValue(false)}, nil
		case "None":
			return &constNode{v: noneValue}, nil
		}
		if pyKeywords[t.text] {
			return nil, p.errAt(t, "invalid syntax: %q is not supported in transformer expressions", t.text)
		}
		if err := checkName(p, t); err != nil {
			return nil, err
		}
		if !p.seen[t.text] {
			p.seen[t.text] = true
			p.names = append(p.names, t.text)
		}
		return &nameNode{name: t.text}, nil
	case tokOp:
		if t.text == "(" {
			if p.isOp(")") {
				return nil, p.errAt(p.peek(), "tuples are not supported in transformer expressions")
			}
			x, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if p.isOp(",") {
				return nil, p.errAt(p.peek(), "tuples are not supported in transformer expressions")
			}
			if !p.isOp(")") {
				return nil, p.errAt(p.peek(), "invalid syntax: expected ')', got %s", p.peek().describe())
			}
			p.next()
			return x, nil
		}
		if t.text == "[" || t.text == "{" {
			return nil, p.errAt(t, "list, dict and set displays are not supported in transformer expressions")
		}
	case tokEOF:
		return nil, p.errAt(t, "invalid syntax: unexpected end of expression")
	}
	return nil, p.errAt(t, "invalid syntax: unexpected %s", t.describe())
}
