package jsonpath

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's re (Unicode str patterns) differs from Go's RE2 syntax; this file
// translates the common subset and rejects what RE2 cannot do (look-around,
// back-references), which Python would accept.

// pySpaceInner is the content of a character class equal to Python's \s.
const pySpaceInner = `\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}`

// pySpaceClass is Python's \s as a Go character class.
const pySpaceClass = `[` + pySpaceInner + `]`

var errBackref = errors.New("back-references are not supported")

// compilePyRegex compiles a Python regular expression. anchored reproduces
// re.match (the match must start at the beginning of the subject).
func compilePyRegex(pat string, anchored bool) (*regexp.Regexp, error) {
	var b strings.Builder
	inClass := false
	classStart := 0 // index in pat just after '[' or '[^'
	for i := 0; i < len(pat); {
		c := pat[i]
		switch {
		case c == '\\':
			if i+1 >= len(pat) {
				return nil, fmt.Errorf("bad escape (end of pattern) in %q", pat)
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
					b.WriteString(`\W`)
				} else {
					b.WriteString(`[^\p{L}\p{N}_]`)
				}
			case 's':
				if inClass {
					b.WriteString(pySpaceInner)
				} else {
					b.WriteString(pySpaceClass)
				}
			case 'S':
				if inClass {
					b.WriteString(`\S`)
				} else {
					b.WriteString(`[^` + pySpaceInner + `]`)
				}
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
					return nil, fmt.Errorf("incomplete escape \\x in %q", pat)
				}
				b.WriteString(`\x{` + pat[i:i+2] + `}`)
				i += 2
			case 'u', 'U':
				k := 4
				if r == 'U' {
					k = 8
				}
				if i+k > len(pat) || !isHex(pat[i:i+k]) {
					return nil, fmt.Errorf("incomplete escape \\%c in %q", r, pat)
				}
				v, _ := strconv.ParseUint(pat[i:i+k], 16, 32)
				if v > utf8.MaxRune {
					return nil, fmt.Errorf("bad escape \\%c in %q", r, pat)
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
					if inClass {
						return nil, fmt.Errorf("bad escape \\%c in %q", r, pat)
					}
					return nil, errBackref
				case r < utf8.RuneSelf && (('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')):
					return nil, fmt.Errorf("bad escape \\%c in %q", r, pat)
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
		case c == '(' && strings.HasPrefix(pat[i:], "(?#"):
			end := strings.IndexByte(pat[i:], ')')
			if end < 0 {
				return nil, fmt.Errorf("missing ), unterminated comment in %q", pat)
			}
			i += end + 1
			continue
		case c == '(' && strings.HasPrefix(pat[i:], "(?P="):
			return nil, errBackref
		case c == '(' && strings.HasPrefix(pat[i:], "(?<") &&
			!strings.HasPrefix(pat[i:], "(?<=") && !strings.HasPrefix(pat[i:], "(?<!"):
			return nil, fmt.Errorf("unknown extension ?< in %q", pat)
		case c == '{' && strings.HasPrefix(pat[i:], "{,"):
			// Python 3.11 reads {,n} as {0,n}.
			j := i + 2
			for j < len(pat) && pat[j] >= '0' && pat[j] <= '9' {
				j++
			}
			if j > i+2 && j < len(pat) && pat[j] == '}' {
				b.WriteString("{0,")
				i += 2
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	expr := b.String()
	if anchored {
		expr = `^(?:` + expr + `)`
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", pat, err)
	}
	return re, nil
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

// tmplPart is a literal or (group >= 0) a group reference of a template.
type tmplPart struct {
	lit   string
	group int
}

// parseTemplate parses a Python re.sub replacement template against re.
func parseTemplate(repl string, re *regexp.Regexp) ([]tmplPart, error) {
	var parts []tmplPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, tmplPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	group := func(g int) error {
		if g > re.NumSubexp() {
			return fmt.Errorf("invalid group reference %d", g)
		}
		flush()
		parts = append(parts, tmplPart{group: g})
		return nil
	}
	isOct := func(c byte) bool { return c >= '0' && c <= '7' }
	for i := 0; i < len(repl); {
		c := repl[i]
		if c != '\\' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(repl) {
			return nil, errors.New("bad escape (end of pattern)")
		}
		e := repl[i+1]
		i += 2
		switch {
		case e == 'g':
			if i >= len(repl) || repl[i] != '<' {
				return nil, errors.New("missing <")
			}
			end := strings.IndexByte(repl[i:], '>')
			if end < 0 {
				return nil, errors.New("missing >, unterminated name")
			}
			name := repl[i+1 : i+end]
			i += end + 1
			if name == "" {
				return nil, errors.New("missing group name")
			}
			if g, err := strconv.Atoi(name); err == nil && isASCIIDigits(name) {
				if err := group(g); err != nil {
					return nil, err
				}
				continue
			}
			g := re.SubexpIndex(name)
			if g < 0 {
				return nil, fmt.Errorf("unknown group name '%s'", name)
			}
			if err := group(g); err != nil {
				return nil, err
			}
		case e == '0':
			v := 0
			for j := 0; j < 2 && i < len(repl) && isOct(repl[i]); j++ {
				v = v*8 + int(repl[i]-'0')
				i++
			}
			lit.WriteRune(rune(v))
		case e >= '1' && e <= '9':
			if i < len(repl) && repl[i] >= '0' && repl[i] <= '9' {
				if isOct(e) && isOct(repl[i]) && i+1 < len(repl) && isOct(repl[i+1]) {
					v := int(e-'0')*64 + int(repl[i]-'0')*8 + int(repl[i+1]-'0')
					if v > 0o377 {
						return nil, fmt.Errorf("octal escape value \\%c%c%c outside of range 0-0o377", e, repl[i], repl[i+1])
					}
					lit.WriteRune(rune(v))
					i += 2
					continue
				}
				g := int(e-'0')*10 + int(repl[i]-'0')
				i++
				if err := group(g); err != nil {
					return nil, err
				}
				continue
			}
			if err := group(int(e - '0')); err != nil {
				return nil, err
			}
		default:
			switch e {
			case 'a':
				lit.WriteByte('\a')
			case 'b':
				lit.WriteByte('\b')
			case 'f':
				lit.WriteByte('\f')
			case 'n':
				lit.WriteByte('\n')
			case 'r':
				lit.WriteByte('\r')
			case 't':
				lit.WriteByte('\t')
			case 'v':
				lit.WriteByte('\v')
			case '\\':
				lit.WriteByte('\\')
			default:
				if ('a' <= e && e <= 'z') || ('A' <= e && e <= 'Z') {
					return nil, fmt.Errorf("bad escape \\%c", e)
				}
				lit.WriteByte('\\')
				i-- // keep the escaped character (possibly multi-byte) as is
			}
		}
	}
	flush()
	return parts, nil
}

func isASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// pySub is re.sub(pattern, template, s). Go's matcher skips an empty match
// right after a previous match, which Python 3.7+ replaces.
func pySub(re *regexp.Regexp, tmpl []tmplPart, s string) (string, error) {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		b.WriteString(s[last:loc[0]])
		for _, p := range tmpl {
			if p.group < 0 {
				b.WriteString(p.lit)
			} else if a := loc[2*p.group]; a >= 0 {
				b.WriteString(s[a:loc[2*p.group+1]])
			}
		}
		if b.Len() > maxRepeat {
			return "", errors.New("result too large")
		}
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}
