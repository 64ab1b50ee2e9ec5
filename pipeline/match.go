package pipeline

import (
	"strings"
	"unicode/utf8"
)

// Pattern is a compiled shell pattern with the exact semantics of Python's
// fnmatch.fnmatch on POSIX (CPython 3.11, Ceilometer 19's interpreter), which
// Ceilometer uses for a source's meters and events:
//
//   - matching is case-sensitive (os.path.normcase is the identity on POSIX)
//     and covers the whole name;
//   - "*" matches any run of characters, newlines included; "?" matches one
//     character (a Unicode code point, not a byte);
//   - "[seq]" matches one character in seq, "[!seq]" one not in it; a "]"
//     right after "[" or "[!" is literal; "a-z" is a range, a range whose
//     ends are reversed is dropped with its ends, a "-" first or last is
//     literal; a "[" with no closing "]" is a literal "[";
//   - there is no escape character: "\" is literal.
//
// The zero Pattern matches only the empty name. A Pattern is immutable and
// safe for concurrent use.
type Pattern struct {
	src  string
	kind patternKind
	lit  string  // exact, prefix, suffix, contains
	toks []token // general
}

type patternKind uint8

const (
	patternExact    patternKind = iota // lit == name
	patternAll                         // "*"
	patternPrefix                      // "lit*"
	patternSuffix                      // "*lit"
	patternContains                    // "*lit*"
	patternGeneral                     // anything else
)

type tokenKind uint8

const (
	tokenLiteral tokenKind = iota // one rune r
	tokenAny                      // "?"
	tokenSet                      // "[...]"
	tokenStar                     // "*", consecutive stars merged
)

// token is one element of a general pattern.
type token struct {
	kind   tokenKind
	r      rune       // tokenLiteral
	negate bool       // tokenSet
	ranges []runeSpan // tokenSet: the characters of the set
}

// runeSpan is the inclusive range lo..hi.
type runeSpan struct{ lo, hi rune }

// CompilePattern compiles the fnmatch pattern p. Every string is a valid
// pattern (as in Python, where translate never fails), so there is no error.
// Names and patterns are read as UTF-8; an invalid byte counts as U+FFFD.
func CompilePattern(p string) Pattern {
	toks := parsePattern(p)
	pat := Pattern{src: p, kind: patternGeneral, toks: toks}
	if !utf8.ValidString(p) {
		// Invalid bytes are compared as U+FFFD on both sides by the general
		// matcher; the byte-wise fast paths would not agree with it.
		return pat
	}

	// Fast paths: literal text with at most a leading and a trailing star.
	lo, hi := 0, len(toks)
	starFirst := hi > 0 && toks[0].kind == tokenStar
	if starFirst {
		lo++
	}
	starLast := hi > lo && toks[hi-1].kind == tokenStar
	if starLast {
		hi--
	}
	var b strings.Builder
	for _, t := range toks[lo:hi] {
		if t.kind != tokenLiteral {
			return pat
		}
		b.WriteRune(t.r)
	}
	pat.lit, pat.toks = b.String(), nil
	switch {
	case starFirst && hi == lo: // only stars
		pat.kind = patternAll
	case starFirst && starLast:
		pat.kind = patternContains
	case starFirst:
		pat.kind = patternSuffix
	case starLast:
		pat.kind = patternPrefix
	default:
		pat.kind = patternExact
	}
	return pat
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.src }

// Literal reports whether p has no wildcard and so matches exactly one name,
// which it returns.
func (p Pattern) Literal() (string, bool) { return p.lit, p.kind == patternExact }

// Match reports whether name matches p, as Python's fnmatch.fnmatch(name, p)
// does on POSIX.
func (p Pattern) Match(name string) bool {
	switch p.kind {
	case patternExact:
		return name == p.lit
	case patternAll:
		return true
	case patternPrefix:
		return strings.HasPrefix(name, p.lit)
	case patternSuffix:
		return strings.HasSuffix(name, p.lit)
	case patternContains:
		return strings.Contains(name, p.lit)
	}
	return matchTokens(p.toks, name)
}

// matchTokens is the classic wildcard match with backtracking to the last star:
// O(len(toks)·len(name)) at worst, no allocation.
func matchTokens(toks []token, name string) bool {
	ti, ni := 0, 0
	starTi, starNi := -1, 0
	for {
		if ti < len(toks) && toks[ti].kind == tokenStar {
			starTi, starNi = ti, ni
			ti++
			continue
		}
		if ni >= len(name) {
			if ti == len(toks) {
				return true
			}
			return false // a non-star token is left and nothing to match it
		}
		r, size := utf8.DecodeRuneInString(name[ni:])
		if ti < len(toks) && toks[ti].matchRune(r) {
			ti++
			ni += size
			continue
		}
		if starTi < 0 {
			return false
		}
		// Let the last star swallow one more character and retry after it.
		_, size = utf8.DecodeRuneInString(name[starNi:])
		starNi += size
		ti, ni = starTi+1, starNi
	}
}

func (t *token) matchRune(r rune) bool {
	switch t.kind {
	case tokenLiteral:
		return r == t.r
	case tokenAny:
		return true
	case tokenSet:
		in := false
		for _, s := range t.ranges {
			if s.lo <= r && r <= s.hi {
				in = true
				break
			}
		}
		return in != t.negate
	}
	return false
}

// parsePattern follows CPython 3.11's fnmatch.translate step by step, so that
// the odd corners (reversed ranges, "-" placement, unclosed "[") come out the
// same. It works on code points.
func parsePattern(p string) []token {
	pat := []rune(p)
	n := len(pat)
	var toks []token
	for i := 0; i < n; {
		c := pat[i]
		i++
		switch c {
		case '*':
			if len(toks) == 0 || toks[len(toks)-1].kind != tokenStar {
				toks = append(toks, token{kind: tokenStar})
			}
		case '?':
			toks = append(toks, token{kind: tokenAny})
		case '[':
			j := i
			if j < n && pat[j] == '!' {
				j++
			}
			if j < n && pat[j] == ']' {
				j++
			}
			for j < n && pat[j] != ']' {
				j++
			}
			if j >= n {
				toks = append(toks, token{kind: tokenLiteral, r: '['})
				continue
			}
			toks = append(toks, parseSet(pat, i, j))
			i = j + 1
		default:
			toks = append(toks, token{kind: tokenLiteral, r: c})
		}
	}
	return toks
}

// parseSet builds the set token for pat[i:j], the text between "[" and its "]".
func parseSet(pat []rune, i, j int) token {
	// Split into chunks at the hyphens that make ranges, as translate does.
	var chunks [][]rune
	hasHyphen := false
	for _, r := range pat[i:j] {
		if r == '-' {
			hasHyphen = true
			break
		}
	}
	if !hasHyphen {
		chunks = [][]rune{pat[i:j]}
	} else {
		k := i + 1
		if pat[i] == '!' {
			k = i + 2
		}
		for {
			k = indexRune(pat, '-', k, j)
			if k < 0 {
				break
			}
			chunks = append(chunks, pat[i:k])
			i = k + 1
			k = k + 3
		}
		if chunk := pat[i:j]; len(chunk) > 0 {
			chunks = append(chunks, chunk)
		} else {
			last := chunks[len(chunks)-1]
			chunks[len(chunks)-1] = append(last[:len(last):len(last)], '-')
		}
		// Remove empty ranges (their ends go too).
		for k := len(chunks) - 1; k > 0; k-- {
			prev, cur := chunks[k-1], chunks[k]
			if prev[len(prev)-1] > cur[0] {
				merged := make([]rune, 0, len(prev)+len(cur)-2)
				merged = append(merged, prev[:len(prev)-1]...)
				merged = append(merged, cur[1:]...)
				chunks[k-1] = merged
				chunks = append(chunks[:k], chunks[k+1:]...)
			}
		}
	}
	// stuff is the chunks joined by unescaped hyphens, everything else in them
	// escaped; translate then turns a leading "!" into "^", and Python's re
	// reads the class: a character followed by an unescaped "-" and another
	// character is a range, anything else a literal.
	type item struct {
		r   rune
		sep bool // an unescaped "-" between chunks
	}
	var items []item
	for ci, c := range chunks {
		if ci > 0 {
			items = append(items, item{r: '-', sep: true})
		}
		for _, r := range c {
			items = append(items, item{r: r})
		}
	}
	t := token{kind: tokenSet}
	if len(items) == 0 {
		return t // empty set: never matches
	}
	if !items[0].sep && items[0].r == '!' {
		t.negate = true
		items = items[1:]
	}
	for k := 0; k < len(items); {
		this := items[k]
		k++
		if k+1 < len(items) && items[k].sep {
			t.ranges = append(t.ranges, runeSpan{this.r, items[k+1].r})
			k += 2
			continue
		}
		t.ranges = append(t.ranges, runeSpan{this.r, this.r})
	}
	return t
}

func indexRune(s []rune, r rune, from, to int) int {
	for k := from; k < to; k++ {
		if s[k] == r {
			return k
		}
	}
	return -1
}

// NameFilter is a compiled `meters` (or `events`) list of a pipeline source.
// Match applies Ceilometer's Source.is_supported:
//
//  1. a name matching any exclusion ("!pattern", the pattern after the "!")
//     is rejected;
//  2. otherwise a name matching any other entry (a name, a pattern, "*") is
//     accepted;
//  3. otherwise the name is accepted only if every entry is an exclusion.
//
// Exact names are looked up in a map and "*" short-circuits, so matching costs
// no regexp and, for plain names, no scan. A NameFilter is immutable and safe
// for concurrent use.
type NameFilter struct {
	exclude, include patternSet
	onlyExclusions   bool
}

// patternSet is a list of patterns split for speed.
type patternSet struct {
	all      bool
	exact    map[string]struct{}
	patterns []Pattern
}

func (s *patternSet) add(p Pattern) {
	if lit, ok := p.Literal(); ok {
		if s.exact == nil {
			s.exact = map[string]struct{}{}
		}
		s.exact[lit] = struct{}{}
		return
	}
	if p.kind == patternAll {
		s.all = true
		return
	}
	s.patterns = append(s.patterns, p)
}

func (s *patternSet) match(name string) bool {
	if s.all {
		return true
	}
	if _, ok := s.exact[name]; ok {
		return true
	}
	for i := range s.patterns {
		if s.patterns[i].Match(name) {
			return true
		}
	}
	return false
}

// NewNameFilter compiles entries, a source's meters or events list as
// written. It does not apply the load-time rules (no empty list, no mixing);
// LoadSampleConfig and LoadEventConfig do. An empty entry is treated as an
// inclusion of the empty name (Ceilometer would fail on it at match time).
func NewNameFilter(entries []string) *NameFilter {
	f := &NameFilter{onlyExclusions: true}
	for _, e := range entries {
		if strings.HasPrefix(e, "!") {
			f.exclude.add(CompilePattern(e[1:]))
			continue
		}
		f.onlyExclusions = false
		f.include.add(CompilePattern(e))
	}
	return f
}

// Match reports whether name passes the filter (see NameFilter).
func (f *NameFilter) Match(name string) bool {
	if f.exclude.match(name) {
		return false
	}
	if f.include.match(name) {
		return true
	}
	return f.onlyExclusions
}
