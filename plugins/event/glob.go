package event

import (
	"strings"
	"unicode/utf8"
)

// glob is a compiled fnmatch pattern: Python's fnmatch.fnmatch(name, pat) on
// POSIX (normcase is the identity), which Ceilometer uses for event_type.
// Matching is on code points; '*' and '?' match any character, newlines
// included, as fnmatch.translate's "(?s:...)\Z" does.
type glob struct {
	src string
	// kind selects a fast path; the general matcher uses toks.
	kind    globKind
	literal string // globLiteral: the text; globPrefix/globSuffix/globContains: the fixed part
	toks    []globTok
}

type globKind uint8

const (
	globLiteral  globKind = iota // no wildcard
	globPrefix                   // "abc*"
	globSuffix                   // "*abc"
	globContains                 // "*abc*"
	globAny                      // "*"
	globGeneral
)

type globTokKind uint8

const (
	tokRune globTokKind = iota
	tokAnyRune
	tokStar
	tokSet
	tokNever // an empty character set: never matches
)

type globTok struct {
	kind   globTokKind
	r      rune
	negate bool
	ranges []runeRange // tokSet: inclusive ranges (a single character is lo == hi)
}

type runeRange struct{ lo, hi rune }

// compileGlob translates pat as CPython 3.11's fnmatch.translate does,
// including its treatment of character sets ("[!...]", a leading ']', ranges,
// reversed ranges removed, an unclosed '[' taken literally).
func compileGlob(pat string) glob {
	g := glob{src: pat}
	if !strings.ContainsAny(pat, "*?[") {
		g.kind, g.literal = globLiteral, pat
		return g
	}
	p := []rune(pat)
	n := len(p)
	var toks []globTok
	for i := 0; i < n; {
		c := p[i]
		i++
		switch c {
		case '*':
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, globTok{kind: tokStar})
			}
		case '?':
			toks = append(toks, globTok{kind: tokAnyRune})
		case '[':
			j := i
			if j < n && p[j] == '!' {
				j++
			}
			if j < n && p[j] == ']' {
				j++
			}
			for j < n && p[j] != ']' {
				j++
			}
			if j >= n {
				toks = append(toks, globTok{kind: tokRune, r: '['})
				continue
			}
			toks = append(toks, compileSet(p, i, j))
			i = j + 1
		default:
			toks = append(toks, globTok{kind: tokRune, r: c})
		}
	}
	g.toks = toks
	g.kind = globGeneral
	// Fast paths for the shapes event definitions use.
	lit := func(ts []globTok) (string, bool) {
		var b strings.Builder
		for _, t := range ts {
			if t.kind != tokRune {
				return "", false
			}
			b.WriteRune(t.r)
		}
		return b.String(), true
	}
	nt := len(toks)
	switch {
	case nt == 1 && toks[0].kind == tokStar:
		g.kind = globAny
	case nt >= 2 && toks[nt-1].kind == tokStar && toks[0].kind != tokStar:
		if s, ok := lit(toks[:nt-1]); ok {
			g.kind, g.literal = globPrefix, s
		}
	case nt >= 2 && toks[0].kind == tokStar && toks[nt-1].kind != tokStar:
		if s, ok := lit(toks[1:]); ok {
			g.kind, g.literal = globSuffix, s
		}
	case nt >= 3 && toks[0].kind == tokStar && toks[nt-1].kind == tokStar:
		if s, ok := lit(toks[1 : nt-1]); ok {
			g.kind, g.literal = globContains, s
		}
	}
	if g.kind == globGeneral {
		if s, ok := lit(toks); ok { // only an unclosed '[' made it look special
			g.kind, g.literal, g.toks = globLiteral, s, nil
		}
	}
	return g
}

// compileSet builds the character set p[i:j] (the text between '[' and ']'),
// following fnmatch.translate's chunking of hyphens.
func compileSet(p []rune, i, j int) globTok {
	stuff := p[i:j]
	var chunks [][]rune
	if !containsRune(stuff, '-') {
		chunks = [][]rune{append([]rune(nil), stuff...)}
	} else {
		k := i + 1
		if p[i] == '!' {
			k = i + 2
		}
		for {
			k = indexRune(p, '-', k, j)
			if k < 0 {
				break
			}
			chunks = append(chunks, append([]rune(nil), p[i:k]...))
			i = k + 1
			k += 3
		}
		if chunk := p[i:j]; len(chunk) > 0 {
			chunks = append(chunks, append([]rune(nil), chunk...))
		} else {
			last := len(chunks) - 1
			chunks[last] = append(chunks[last], '-')
		}
		// Remove empty ranges: a range whose start is after its end loses
		// both ends.
		for k := len(chunks) - 1; k > 0; k-- {
			a, b := chunks[k-1], chunks[k]
			if len(a) == 0 || len(b) == 0 {
				// Python raises IndexError here; such a pattern matches
				// nothing in this implementation.
				return globTok{kind: tokNever}
			}
			if a[len(a)-1] > b[0] {
				chunks[k-1] = append(append([]rune(nil), a[:len(a)-1]...), b[1:]...)
				chunks = append(chunks[:k], chunks[k+1:]...)
			}
		}
	}
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	if total == 0 {
		return globTok{kind: tokNever}
	}
	t := globTok{kind: tokSet}
	if chunks[0][0] == '!' {
		if total == 1 {
			return globTok{kind: tokAnyRune}
		}
		t.negate = true
		chunks[0] = chunks[0][1:]
		if len(chunks[0]) == 0 && len(chunks) > 1 {
			// "[^-x...]": the hyphen right after the negation is literal.
			chunks[1] = append([]rune{'-'}, chunks[1]...)
			chunks = chunks[1:]
		}
	}
	// The set is the join of the chunks with '-': a hyphen between two
	// chunks is a range from the last character of one to the first of the
	// next; every other character stands for itself.
	for ci, c := range chunks {
		for k, r := range c {
			if ci > 0 && k == 0 {
				continue // the end of the range added below
			}
			if ci < len(chunks)-1 && k == len(c)-1 {
				t.ranges = append(t.ranges, runeRange{r, chunks[ci+1][0]})
				continue
			}
			t.ranges = append(t.ranges, runeRange{r, r})
		}
	}
	return t
}

func containsRune(s []rune, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

func indexRune(s []rune, r rune, from, to int) int {
	for k := from; k < to; k++ {
		if s[k] == r {
			return k
		}
	}
	return -1
}

// match reports whether name matches the pattern.
func (g *glob) match(name string) bool {
	switch g.kind {
	case globLiteral:
		return name == g.literal
	case globAny:
		return true
	case globPrefix:
		return strings.HasPrefix(name, g.literal)
	case globSuffix:
		return strings.HasSuffix(name, g.literal)
	case globContains:
		return strings.Contains(name, g.literal)
	}
	return matchToks(g.toks, name)
}

// matchToks is the classic star-backtracking wildcard matcher: on a mismatch
// it retries from the last star, one character further. Linear in practice,
// O(len(toks)·len(name)) at worst.
func matchToks(toks []globTok, name string) bool {
	ti, ni := 0, 0
	starT, starN := -1, 0
	for ni < len(name) || ti < len(toks) {
		if ti < len(toks) {
			t := &toks[ti]
			if t.kind == tokStar {
				starT, starN = ti, ni
				ti++
				continue
			}
			if ni < len(name) {
				r, size := utf8.DecodeRuneInString(name[ni:])
				if t.matchRune(r) {
					ti++
					ni += size
					continue
				}
			}
		}
		if starT < 0 || starN >= len(name) {
			return false
		}
		_, size := utf8.DecodeRuneInString(name[starN:])
		starN += size
		ti, ni = starT+1, starN
	}
	return true
}

func (t *globTok) matchRune(r rune) bool {
	switch t.kind {
	case tokRune:
		return r == t.r
	case tokAnyRune:
		return true
	case tokSet:
		in := false
		for _, rg := range t.ranges {
			if rg.lo <= r && r <= rg.hi {
				in = true
				break
			}
		}
		return in != t.negate
	}
	return false
}
