package pyre

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A pattern with look-aheads is split into segments S0 (?!L1) S1 (?!L2) … Sn.
// Python's backtracking finds a match exactly when there are positions
// p0=0 ≤ p1 ≤ … ≤ pn with Sk matching s[pk-1:pk] entirely, each look-ahead
// holding at its position, and Sn matching a prefix of s[pn:]: that is what
// MatchString computes, trying only the lengths each segment can have.

// Pattern is a compiled pattern for re.match.
type Pattern struct {
	src   string
	plain *regexp.Regexp // ^(?:pat) when the pattern has no look-ahead
	segs  []segment      // otherwise
	// last is ^(?:Sn) run on the rest of the subject.
	last *regexp.Regexp
	// alts are the top-level alternatives of a pattern with look-aheads.
	alts []*Pattern
}

// segment is S(k) followed by its look-ahead.
type segment struct {
	full         *regexp.Regexp // ^(?:Sk)$ on a substring
	minLen       int            // bounds of Sk's length in runes
	maxLen       int            // -1: unbounded
	ahead        *regexp.Regexp // ^(?:L) on the rest of the subject
	aheadNegated bool
}

// CompileMatch compiles a Python regular expression for re.match.
func CompileMatch(src string) (*Pattern, error) {
	parts, aheads, err := splitLookaheads(src)
	if err != nil {
		return nil, err
	}
	p := &Pattern{src: src}
	if len(aheads) > 0 {
		if alts, flags := splitAlternatives(src); len(alts) > 1 {
			// a|b(?!c): each top-level alternative on its own.
			for _, alt := range alts {
				ap, err := CompileMatch(flags + alt)
				if err != nil {
					return nil, err
				}
				p.alts = append(p.alts, ap)
			}
			return p, nil
		}
	}
	if len(aheads) == 0 {
		g, err := translate(src, true)
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
			return nil, unsupported(`\b and \B are not supported in a pattern with a look-ahead`)
		}
		last := i == len(parts)-1
		g, err := translate(flags+part, last)
		if err != nil {
			return nil, err
		}
		if i > 0 && (strings.HasPrefix(part, "^") || strings.Contains(part, `\A`)) {
			return nil, unsupported(`^ and \A are only supported at the start of a pattern with a look-ahead`)
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
		body, err := translate(flags+aheads[i].body, true)
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

// MatchString is re.compile(src).match(s) is not None.
func (p *Pattern) MatchString(s string) bool {
	if p.plain != nil {
		return p.plain.MatchString(s)
	}
	if p.alts != nil {
		for _, a := range p.alts {
			if a.MatchString(s) {
				return true
			}
		}
		return false
	}
	return p.matchFrom(s, 0, 0)
}

// matchFrom tries segment k starting at byte offset pos.
func (p *Pattern) matchFrom(s string, k, pos int) bool {
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

// eachGroupByte calls fn with the index of every '(', ')' and '|' of src from
// index from on that is neither escaped nor inside a character class; fn
// returns the index to go on from (its argument, or further to skip) and
// whether to go on.
func eachGroupByte(src string, from int, fn func(i int) (next int, more bool)) {
	inClass := false
	for i := from; i < len(src); i++ {
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
		case c == '(' || c == ')' || c == '|':
			var more bool
			if i, more = fn(i); !more {
				return
			}
		}
	}
}

// splitLookaheads cuts src at its top-level look-aheads: parts has one more
// element than aheads. Look-arounds anywhere else are refused.
func splitLookaheads(src string) (parts []string, aheads []lookahead, err error) {
	depth, start := 0, 0
	eachGroupByte(src, 0, func(i int) (int, bool) {
		switch src[i] {
		case ')':
			depth--
			return i, true
		case '|':
			return i, true
		}
		rest := src[i:]
		switch {
		case strings.HasPrefix(rest, "(?<=") || strings.HasPrefix(rest, "(?<!"):
			err = unsupported("look-behind is not supported")
		case strings.HasPrefix(rest, "(?=") || strings.HasPrefix(rest, "(?!"):
			if depth > 0 {
				err = unsupported("a look-ahead inside a group is not supported (only at the top level of the pattern)")
				break
			}
			var end int
			if end, err = groupEnd(src, i); err != nil {
				break
			}
			body := src[i+3 : end]
			if _, inner, ierr := splitLookaheads(body); ierr != nil || len(inner) > 0 {
				err = unsupported("a look-around inside a look-ahead is not supported")
				break
			}
			if end+1 < len(src) && strings.ContainsRune("*+?{", rune(src[end+1])) {
				err = unsupported("a quantified look-ahead is not supported")
				break
			}
			before := src[start:i]
			if strings.Contains(before, "$") || strings.Contains(before, `\Z`) {
				err = unsupported(`$ and \Z before a look-ahead are not supported`)
				break
			}
			parts = append(parts, before)
			aheads = append(aheads, lookahead{body: body, negated: rest[2] == '!'})
			start = end + 1
			return end, true
		default:
			depth++
			return i, true
		}
		return i, false
	})
	if err != nil {
		return nil, nil, err
	}
	return append(parts, src[start:]), aheads, nil
}

// splitAlternatives cuts src at its top-level '|'. Leading global flags are
// returned apart, to be prefixed to every alternative.
func splitAlternatives(src string) (alts []string, flags string) {
	flags = inlineFlags.FindString(src)
	src = src[len(flags):]
	depth, start := 0, 0
	eachGroupByte(src, 0, func(i int) (int, bool) {
		switch src[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				alts = append(alts, src[start:i])
				start = i + 1
			}
		}
		return i, true
	})
	return append(alts, src[start:]), flags
}

// groupEnd returns the index of the ')' closing the group opened at src[open].
func groupEnd(src string, open int) (int, error) {
	depth, end := 0, -1
	eachGroupByte(src, open, func(i int) (int, bool) {
		switch src[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				end = i
				return i, false
			}
		}
		return i, true
	})
	if end < 0 {
		return 0, invalid("missing ), unterminated subpattern")
	}
	return end, nil
}

// String returns the Python source of the pattern.
func (p *Pattern) String() string { return p.src }
