package jsonpath

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openstack-go/agent-notification/internal/pyval"
)

// tokKind is a terminal of the grammar. The order matches the TERMINALS list
// of testdata/gen_tables.py, which indexes the columns of lrAction.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokID
	tokNumber
	tokFloat
	tokBool
	tokNamedOperator
	tokDoubleDot
	tokWhere
	tokFilterOp
	tokSortDirection
	tokStar
	tokDot
	tokLBracket
	tokRBracket
	tokLParen
	tokRParen
	tokDollar
	tokComma
	tokColon
	tokPipe
	tokAmp
	tokQuestion
	tokAt
	tokPlus
	tokSlash
	tokMinus
	numTokKinds
)

var tokNames = [numTokKinds]string{
	"end of expression", "ID", "NUMBER", "FLOAT", "BOOL", "NAMED_OPERATOR", "'..'",
	"'where'", "FILTER_OP", "SORT_DIRECTION", "'*'", "'.'", "'['", "']'", "'('", "')'",
	"'$'", "','", "':'", "'|'", "'&'", "'?'", "'@'", "'+'", "'/'", "'-'",
}

// literalTok maps the single-character literals of the lexer to their kinds.
func literalTok(c byte) (tokKind, bool) {
	switch c {
	case '*':
		return tokStar, true
	case '.':
		return tokDot, true
	case '[':
		return tokLBracket, true
	case ']':
		return tokRBracket, true
	case '(':
		return tokLParen, true
	case ')':
		return tokRParen, true
	case '$':
		return tokDollar, true
	case ',':
		return tokComma, true
	case ':':
		return tokColon, true
	case '|':
		return tokPipe, true
	case '&':
		return tokAmp, true
	case '?':
		return tokQuestion, true
	case '@':
		return tokAt, true
	case '+':
		return tokPlus, true
	case '/':
		return tokSlash, true
	case '-':
		return tokMinus, true
	}
	return 0, false
}

// token is one lexeme. Only the fields meaningful for its kind are set.
type token struct {
	kind tokKind
	pos  int    // byte offset in the expression
	text string // ID, NAMED_OPERATOR, FILTER_OP, SORT_DIRECTION ("/" or "\\")
	num  any    // NUMBER: int64 or pyjson.BigInt; FLOAT: float64
	b    bool   // BOOL
}

// lexer reproduces jsonpath-rw-ext's PLY lexer: at each position it skips a
// space or tab, then tries, in this order, BOOL, SORT_DIRECTION, ID, FLOAT,
// NUMBER, a quote, a backquote, a newline, FILTER_OP, '..', and finally the
// one-character literals. The first alternative that matches wins (Python's
// re alternation is ordered, not longest-match).
type lexer struct {
	src string
	pos int
}

// SyntaxError reports an expression that jsonpath-rw-ext would refuse to parse.
type SyntaxError struct {
	Expr   string // the whole expression
	Offset int    // byte offset of the problem
	Line   int    // 1-based line of the problem
	Column int    // 1-based column (in characters) of the problem
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonpath: %q: line %d, column %d: %s", e.Expr, e.Line, e.Column, e.Reason)
}

func newSyntaxError(src string, off int, format string, args ...any) *SyntaxError {
	off = max(0, min(off, len(src)))
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Expr: src, Offset: off, Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

// asciiDigits rewrites Unicode decimal digits as ASCII, as Python's int() and
// float() read them.
func asciiDigits(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= utf8.RuneSelf && unicode.Is(unicode.Nd, r) {
			d, _ := pyval.DigitValue(r)
			r = '0' + rune(d)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isIDStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIDChar(c byte) bool {
	return isIDStart(c) || ('0' <= c && c <= '9') || c == '@' || c == '-'
}

// digitsAt returns the end of a maximal run of \d starting at i.
func (lx *lexer) digitsAt(i int) int {
	for i < len(lx.src) {
		r, n := utf8.DecodeRuneInString(lx.src[i:])
		if !pyval.IsDigit(r) {
			break
		}
		i += n
	}
	return i
}

// next returns the next token.
func (lx *lexer) next() (token, error) {
	s := lx.src
	for lx.pos < len(s) && (s[lx.pos] == ' ' || s[lx.pos] == '\t') {
		lx.pos++
	}
	if lx.pos >= len(s) {
		return token{kind: tokEOF, pos: len(s)}, nil
	}
	start := lx.pos
	rest := s[start:]

	// BOOL: true|false (also the prefix of a longer word, as in Python).
	if strings.HasPrefix(rest, "true") || strings.HasPrefix(rest, "false") {
		b := rest[0] == 't'
		if b {
			lx.pos += 4
		} else {
			lx.pos += 5
		}
		return token{kind: tokBool, pos: start, b: b}, nil
	}
	// SORT_DIRECTION: ,?\s*(/|\\)
	{
		i := start
		if i < len(s) && s[i] == ',' {
			i++
		}
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !pyval.IsSpace(r) {
				break
			}
			i += n
		}
		if i < len(s) && (s[i] == '/' || s[i] == '\\') {
			lx.pos = i + 1
			return token{kind: tokSortDirection, pos: start, text: s[i : i+1]}, nil
		}
	}
	// ID: @?[a-zA-Z_][a-zA-Z0-9_@\-]*
	{
		i := start
		if s[i] == '@' {
			i++
		}
		if i < len(s) && isIDStart(s[i]) {
			i++
			for i < len(s) && isIDChar(s[i]) {
				i++
			}
			lx.pos = i
			text := s[start:i]
			if text == "where" {
				return token{kind: tokWhere, pos: start, text: text}, nil
			}
			return token{kind: tokID, pos: start, text: text}, nil
		}
	}
	// FLOAT: -?\d+\.\d+ and NUMBER: -?\d+
	{
		i := start
		if s[i] == '-' {
			i++
		}
		if j := lx.digitsAt(i); j > i {
			if j+1 < len(s) && s[j] == '.' {
				if k := lx.digitsAt(j + 1); k > j+1 {
					lx.pos = k
					f, err := strconv.ParseFloat(asciiDigits(s[start:k]), 64)
					if err != nil && !isRangeErr(err) {
						return token{}, newSyntaxError(s, start, "invalid number %q", s[start:k])
					}
					return token{kind: tokFloat, pos: start, num: f}, nil
				}
			}
			lx.pos = j
			return token{kind: tokNumber, pos: start, num: parseInt(asciiDigits(s[start:j]))}, nil
		}
	}
	switch s[start] {
	case '\'', '"':
		return lx.quoted(start, s[start], tokID)
	case '`':
		return lx.quoted(start, '`', tokNamedOperator)
	case '\n':
		lx.pos++
		return lx.next()
	}
	// FILTER_OP: ==?|<=|>=|!=|<|>|~
	switch {
	case strings.HasPrefix(rest, "=="), strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, ">="),
		strings.HasPrefix(rest, "!="):
		lx.pos += 2
		return token{kind: tokFilterOp, pos: start, text: rest[:2]}, nil
	case rest[0] == '=' || rest[0] == '<' || rest[0] == '>' || rest[0] == '~':
		lx.pos++
		return token{kind: tokFilterOp, pos: start, text: rest[:1]}, nil
	case strings.HasPrefix(rest, ".."):
		lx.pos += 2
		return token{kind: tokDoubleDot, pos: start}, nil
	}
	if k, ok := literalTok(s[start]); ok {
		lx.pos++
		return token{kind: k, pos: start}, nil
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return token{}, newSyntaxError(s, start, "unexpected character %q", r)
}

// quoted lexes a '…', "…" or `…` literal starting at the opening quote. A
// backslash takes the next character literally (except a newline).
func (lx *lexer) quoted(start int, q byte, kind tokKind) (token, error) {
	s := lx.src
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(s) {
			return token{}, newSyntaxError(s, start, "unterminated quoted string or named operator")
		}
		c := s[i]
		switch {
		case c == q:
			lx.pos = i + 1
			return token{kind: kind, pos: start, text: b.String()}, nil
		case c == '\\':
			if i+1 >= len(s) || s[i+1] == '\n' {
				return token{}, newSyntaxError(s, i, "bad escape in quoted string or named operator")
			}
			_, n := utf8.DecodeRuneInString(s[i+1:])
			b.WriteString(s[i+1 : i+1+n])
			i += 1 + n
		default:
			b.WriteByte(c)
			i++
		}
	}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseInt converts an ASCII decimal literal (optional '-') to int64 or, if it
// does not fit, to a pyjson.BigInt in canonical form.
func parseInt(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	var z big.Int
	if _, ok := z.SetString(s, 10); !ok {
		return int64(0)
	}
	return bigToValue(&z)
}

// Interface guard.
var _ error = (*SyntaxError)(nil)
