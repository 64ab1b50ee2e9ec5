package pyre

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// tmplPart is a literal or (group >= 0) a group reference of a template.
type tmplPart struct {
	lit   string
	group int
}

// Template is a parsed re.sub replacement.
type Template struct {
	parts []tmplPart
}

// ParseTemplate parses a Python re.sub replacement template against re (for
// its groups): \1…\99, \g<n>, \g<name>, the escapes \a \b \f \n \r \t \v
// \\, octal \0 and \ooo; another backslash before a non-letter stays as
// written, before a letter it is an error ("bad escape").
func ParseTemplate(repl string, re *regexp.Regexp) (*Template, error) {
	parts, err := parseTemplate(repl, re)
	if err != nil {
		return nil, err
	}
	return &Template{parts: parts}, nil
}

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
			return invalid("invalid group reference %d", g)
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
			return nil, invalid("bad escape (end of pattern)")
		}
		e := repl[i+1]
		i += 2
		switch {
		case e == 'g':
			if i >= len(repl) || repl[i] != '<' {
				return nil, invalid("missing <")
			}
			end := strings.IndexByte(repl[i:], '>')
			if end < 0 {
				return nil, invalid("missing >, unterminated name")
			}
			name := repl[i+1 : i+end]
			i += end + 1
			if name == "" {
				return nil, invalid("missing group name")
			}
			if g, err := strconv.Atoi(name); err == nil && isASCIIDigits(name) {
				if err := group(g); err != nil {
					return nil, err
				}
				continue
			}
			g := re.SubexpIndex(name)
			if g < 0 {
				return nil, invalid("unknown group name '%s'", name)
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
						return nil, invalid("octal escape value \\%c%c%c outside of range 0-0o377", e, repl[i], repl[i+1])
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
					return nil, invalid("bad escape \\%c", e)
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

// ErrTooLarge is Sub's result outgrowing its limit.
var ErrTooLarge = errors.New("pyre: result too large")

// Sub is re.sub(re, t, s): every non-overlapping match replaced, a group that
// did not take part in the match replaced by nothing. With limit > 0, a
// result longer than limit bytes is ErrTooLarge.
func (t *Template) Sub(re *regexp.Regexp, s string, limit int) (string, error) {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		b.WriteString(s[last:loc[0]])
		for _, p := range t.parts {
			if p.group < 0 {
				b.WriteString(p.lit)
			} else if a := loc[2*p.group]; a >= 0 {
				b.WriteString(s[a:loc[2*p.group+1]])
			}
		}
		if limit > 0 && b.Len() > limit {
			return "", ErrTooLarge
		}
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}
