package meter

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Ceilometer 19 compiles every event_type of a meter definition with Python's
// re.compile and tests it with .match: a regular expression anchored at the
// start only ("image.upload" also matches "image.upload.extra" and
// "imageXupload"). Go's RE2 lacks look-around, which one shipped pattern uses
// (compute.instance.(?!create.start|update).*).
//
// Supported subset: the syntax RE2 and Python share, Python's escapes (\d \w
// \s with their Unicode meaning, \Z, \xhh, \uhhhh, \Uhhhhhhhh, \0oo), (?#…)
// comments, {,n}, and look-aheads (?!…) and (?=…) at the top level of the
// pattern (not inside a group or under a quantifier), whose bodies are
// themselves look-around free. A pattern with a look-ahead may not use \b or
// \B, ^ or \A other than at its very start, nor $ or \Z before its last
// look-ahead. Refused with an error: look-behind, nested look-ahead,
// back-references, atomic groups, possessive quantifiers, conditionals and
// the flags RE2 lacks (x, a, L, u).
//
// A pattern with look-aheads is split into segments S0 (?!L1) S1 (?!L2) … Sn.
// Python's backtracking finds a match exactly when there are positions
// p0=0 ≤ p1 ≤ … ≤ pn with Sk matching s[pk-1:pk] entirely, each look-ahead
// holding at its position, and Sn matching a prefix of s[pn:]: that is what
// pattern.match computes, trying only the lengths each segment can have.

// pattern is one compiled event_type.
type pattern struct {
	src   string
	plain *regexp.Regexp // ^(?:pat) when the pattern has no look-ahead
	segs  []segment      // otherwise
	// last is ^(?:Sn) run on the rest of the subject.
	last *regexp.Regexp
	// alts are the top-level alternatives of a pattern with look-aheads.
	alts []*pattern
}

// segment is S(k) followed by its look-ahead.
type segment struct {
	full         *regexp.Regexp // ^(?:Sk)$ on a substring
	minLen       int            // bounds of Sk's length in runes
	maxLen       int            // -1: unbounded
	ahead        *regexp.Regexp // ^(?:L) on the rest of the subject
	aheadNegated bool
}

// compilePattern compiles a Python regular expression for re.match.
func compilePattern(src string) (*pattern, error) {
	parts, aheads, err := splitLookaheads(src)
	if err != nil {
		return nil, err
	}
	p := &pattern{src: src}
	if len(aheads) > 0 {
		if alts, flags := splitAlternatives(src); len(alts) > 1 {
			// a|b(?!c): each top-level alternative on its own.
			for _, alt := range alts {
				ap, err := compilePattern(flags + alt)
				if err != nil {
					return nil, err
				}
				p.alts = append(p.alts, ap)
			}
			return p, nil
		}
	}
	if len(aheads) == 0 {
		g, err := translatePy(src, true)
		if err != nil {
			return nil, err
		}
		if p.plain, err = compileGo(`^(?:` + g + `)`); err != nil {
			return nil, err
		}
		return p, nil
	}
	// Global flags apply to every segment and look-ahead body.
	flags := inlineFlags.FindString(parts[0])
	parts[0] = parts[0][len(flags):]
	for i, part := range parts {
		if strings.Contains(part, `\b`) || strings.Contains(part, `\B`) {
			return nil, errors.New(`\b and \B are not supported in a pattern with a look-ahead`)
		}
		last := i == len(parts)-1
		g, err := translatePy(flags+part, last)
		if err != nil {
			return nil, err
		}
		if i > 0 && (strings.HasPrefix(part, "^") || strings.Contains(part, `\A`)) {
			return nil, errors.New(`^ and \A are only supported at the start of a pattern with a look-ahead`)
		}
		if last {
			if p.last, err = compileGo(`^(?:` + g + `)`); err != nil {
				return nil, err
			}
			break
		}
		full, err := compileGo(`^(?:` + g + `)$`)
		if err != nil {
			return nil, err
		}
		re, _ := syntax.Parse(g, syntax.Perl)
		minLen, maxLen := lengthBounds(re)
		body, err := translatePy(flags+aheads[i].body, true)
		if err != nil {
			return nil, err
		}
		ahead, err := compileGo(`^(?:` + body + `)`)
		if err != nil {
			return nil, err
		}
		p.segs = append(p.segs, segment{full: full, minLen: minLen, maxLen: maxLen, ahead: ahead, aheadNegated: aheads[i].negated})
	}
	return p, nil
}

func compileGo(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("unsupported or invalid regular expression: %s: %s", se.Code, se.Expr)
		}
		return nil, err
	}
	return re, nil
}

// match is re.compile(src).match(s) is not None.
func (p *pattern) match(s string) bool {
	if p.plain != nil {
		return p.plain.MatchString(s)
	}
	if p.alts != nil {
		for _, a := range p.alts {
			if a.match(s) {
				return true
			}
		}
		return false
	}
	return p.matchFrom(s, 0, 0)
}

// matchFrom tries segment k starting at byte offset pos.
func (p *pattern) matchFrom(s string, k, pos int) bool {
	if k == len(p.segs) {
		return p.last.MatchString(s[pos:])
	}
	seg := &p.segs[k]
	// Candidate ends: minLen … maxLen runes after pos.
	end := pos
	for range seg.minLen {
		if end >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[end:])
		end += n
	}
	for l := seg.minLen; ; l++ {
		if seg.full.MatchString(s[pos:end]) && seg.ahead.MatchString(s[end:]) != seg.aheadNegated {
			if p.matchFrom(s, k+1, end) {
				return true
			}
		}
		if end >= len(s) || (seg.maxLen >= 0 && l >= seg.maxLen) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[end:])
		end += n
	}
}

// lengthBounds returns the least and greatest number of runes re can match
// (-1: unbounded).
func lengthBounds(re *syntax.Regexp) (int, int) {
	if re == nil {
		return 0, -1
	}
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune), len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1, 1
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0, 0
	case syntax.OpCapture:
		return lengthBounds(re.Sub[0])
	case syntax.OpStar:
		return 0, -1
	case syntax.OpPlus:
		lo, _ := lengthBounds(re.Sub[0])
		return lo, -1
	case syntax.OpQuest:
		_, hi := lengthBounds(re.Sub[0])
		return 0, hi
	case syntax.OpRepeat:
		lo, hi := lengthBounds(re.Sub[0])
		lo *= re.Min
		if hi < 0 || re.Max < 0 {
			return lo, -1
		}
		return lo, hi * re.Max
	case syntax.OpConcat:
		lo, hi := 0, 0
		for _, s := range re.Sub {
			l, h := lengthBounds(s)
			lo += l
			if hi >= 0 {
				if h < 0 {
					hi = -1
				} else {
					hi += h
				}
			}
		}
		return lo, hi
	case syntax.OpAlternate:
		lo, hi := -1, 0
		for _, s := range re.Sub {
			l, h := lengthBounds(s)
			if lo < 0 || l < lo {
				lo = l
			}
			if hi >= 0 && (h < 0 || h > hi) {
				hi = h
			}
		}
		if lo < 0 {
			lo = 0
		}
		return lo, hi
	}
	return 0, -1
}

// lookahead is one top-level (?!…) or (?=…).
type lookahead struct {
	body    string
	negated bool
}

// splitLookaheads cuts src at its top-level look-aheads: parts has one more
// element than aheads. Look-arounds anywhere else are refused.
func splitLookaheads(src string) (parts []string, aheads []lookahead, err error) {
	depth := 0
	start := 0
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(src) && src[i+1] == '^' {
				i++
			}
			if i+1 < len(src) && src[i+1] == ']' {
				i++ // a leading ']' is a literal
			}
		case c == '(':
			rest := src[i:]
			switch {
			case strings.HasPrefix(rest, "(?<=") || strings.HasPrefix(rest, "(?<!"):
				return nil, nil, errors.New("look-behind is not supported")
			case strings.HasPrefix(rest, "(?=") || strings.HasPrefix(rest, "(?!"):
				if depth > 0 {
					return nil, nil, errors.New("a look-ahead inside a group is not supported (only at the top level of the pattern)")
				}
				end, err := groupEnd(src, i)
				if err != nil {
					return nil, nil, err
				}
				body := src[i+3 : end]
				if _, inner, err := splitLookaheads(body); err != nil || len(inner) > 0 {
					return nil, nil, errors.New("a look-around inside a look-ahead is not supported")
				}
				if end+1 < len(src) && strings.ContainsRune("*+?{", rune(src[end+1])) {
					return nil, nil, errors.New("a quantified look-ahead is not supported")
				}
				before := src[start:i]
				if strings.Contains(before, "$") || strings.Contains(before, `\Z`) {
					return nil, nil, errors.New(`$ and \Z before a look-ahead are not supported`)
				}
				parts = append(parts, before)
				aheads = append(aheads, lookahead{body: body, negated: rest[2] == '!'})
				start = end + 1
				i = end
			default:
				depth++
			}
		case c == ')':
			depth--
		}
	}
	parts = append(parts, src[start:])
	return parts, aheads, nil
}

// inlineFlags matches global flags at the start of a pattern, like (?i).
var inlineFlags = regexp.MustCompile(`^\(\?[aiLmsux]+\)`)

// splitAlternatives cuts src at its top-level '|'. Leading global flags are
// returned apart, to be prefixed to every alternative.
func splitAlternatives(src string) (alts []string, flags string) {
	flags = inlineFlags.FindString(src)
	src = src[len(flags):]
	depth, start, inClass := 0, 0, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(src) && src[i+1] == '^' {
				i++
			}
			if i+1 < len(src) && src[i+1] == ']' {
				i++
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			alts = append(alts, src[start:i])
			start = i + 1
		}
	}
	return append(alts, src[start:]), flags
}

// groupEnd returns the index of the ')' closing the group opened at src[open].
func groupEnd(src string, open int) (int, error) {
	depth := 0
	inClass := false
	for i := open; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(src) && src[i+1] == '^' {
				i++
			}
			if i+1 < len(src) && src[i+1] == ']' {
				i++
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, errors.New("missing ), unterminated subpattern")
}

// pySpace is the content of a character class equal to Python's \s.
const pySpace = `\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}`

// translatePy rewrites a look-around free Python pattern in RE2 syntax. With
// dollarAtEnd, $ and \Z keep Python's meaning at the end of the subject ($
// also before a final newline); otherwise they are refused by the caller.
func translatePy(pat string, dollarAtEnd bool) (string, error) {
	var b strings.Builder
	inClass := false
	classStart := 0
	for i := 0; i < len(pat); {
		c := pat[i]
		switch {
		case c == '\\':
			if i+1 >= len(pat) {
				return "", errors.New("bad escape (end of pattern)")
			}
			r, n := utf8.DecodeRuneInString(pat[i+1:])
			i += 1 + n
			switch r {
			case 'd':
				b.WriteString(`\p{Nd}`)
			case 'D':
				b.WriteString(`\P{Nd}`)
			case 'w':
				if inClass {
					b.WriteString(`\p{L}\p{N}_`)
				} else {
					b.WriteString(`[\p{L}\p{N}_]`)
				}
			case 'W':
				if inClass {
					return "", errors.New(`\W inside a character class is not supported`)
				}
				b.WriteString(`[^\p{L}\p{N}_]`)
			case 's':
				if inClass {
					b.WriteString(pySpace)
				} else {
					b.WriteString(`[` + pySpace + `]`)
				}
			case 'S':
				if inClass {
					return "", errors.New(`\S inside a character class is not supported`)
				}
				b.WriteString(`[^` + pySpace + `]`)
			case 'Z':
				b.WriteString(`\z`)
			case 'b':
				if inClass {
					b.WriteString(`\x08`)
				} else {
					b.WriteString(`\b`)
				}
			case 'A', 'B', 'a', 'f', 'n', 'r', 't', 'v':
				b.WriteByte('\\')
				b.WriteRune(r)
			case 'x':
				if i+2 > len(pat) || !isHex(pat[i:i+2]) {
					return "", errors.New(`incomplete escape \x`)
				}
				b.WriteString(`\x{` + pat[i:i+2] + `}`)
				i += 2
			case 'u', 'U':
				k := 4
				if r == 'U' {
					k = 8
				}
				if i+k > len(pat) || !isHex(pat[i:i+k]) {
					return "", fmt.Errorf(`incomplete escape \%c`, r)
				}
				v, _ := strconv.ParseUint(pat[i:i+k], 16, 32)
				if v > utf8.MaxRune {
					return "", fmt.Errorf(`bad escape \%c`, r)
				}
				fmt.Fprintf(&b, `\x{%x}`, v)
				i += k
			case '0':
				v, j := 0, i
				for j < len(pat) && j < i+2 && pat[j] >= '0' && pat[j] <= '7' {
					v = v*8 + int(pat[j]-'0')
					j++
				}
				fmt.Fprintf(&b, `\x{%x}`, v)
				i = j
			default:
				switch {
				case r >= '1' && r <= '9':
					return "", errors.New("back-references are not supported")
				case r < utf8.RuneSelf && (('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')):
					return "", fmt.Errorf(`bad escape \%c`, r)
				default:
					b.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
			continue
		case inClass:
			if c == ']' && i > classStart {
				inClass = false
			}
		case c == '[':
			inClass = true
			classStart = i + 1
			if classStart < len(pat) && pat[classStart] == '^' {
				classStart++
				b.WriteString("[^")
				i += 2
				continue
			}
		case c == '$':
			if !dollarAtEnd {
				return "", errors.New(`$ before a look-ahead is not supported`)
			}
			b.WriteString(`(?:\n?\z)`)
			i++
			continue
		case c == '(' && strings.HasPrefix(pat[i:], "(?#"):
			end := strings.IndexByte(pat[i:], ')')
			if end < 0 {
				return "", errors.New("missing ), unterminated comment")
			}
			i += end + 1
			continue
		case c == '(' && strings.HasPrefix(pat[i:], "(?P="):
			return "", errors.New("back-references are not supported")
		case c == '(' && strings.HasPrefix(pat[i:], "(?>"):
			return "", errors.New("atomic groups are not supported")
		case c == '(' && strings.HasPrefix(pat[i:], "(?("):
			return "", errors.New("conditional patterns are not supported")
		case c == '{' && strings.HasPrefix(pat[i:], "{,"):
			// Python reads {,n} as {0,n}.
			j := i + 2
			for j < len(pat) && pat[j] >= '0' && pat[j] <= '9' {
				j++
			}
			if j > i+2 && j < len(pat) && pat[j] == '}' {
				b.WriteString("{0,")
				i += 2
				continue
			}
		case (c == '+' || c == '*' || c == '?' || c == '}') && i+1 < len(pat) && pat[i+1] == '+':
			return "", errors.New("possessive quantifiers are not supported")
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')) {
			return false
		}
	}
	return true
}
