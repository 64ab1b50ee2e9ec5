package pyre

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pySpace is the content of a character class equal to Python's \s.
const pySpace = `\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}`

// inlineFlags matches global flags at the start of a pattern, like (?i).
var inlineFlags = regexp.MustCompile(`^\(\?[aiLmsux]+\)`)

// Translate rewrites a look-around free Python pattern in Go's syntax, with
// Python's meaning (see the package documentation).
func Translate(pat string) (string, error) {
	return translate(pat, true)
}

// Compile is re.compile(pat) for searching: the translated pattern,
// unanchored.
func Compile(pat string) (*regexp.Regexp, error) {
	g, err := Translate(pat)
	if err != nil {
		return nil, err
	}
	return compileGo(g)
}

func compileGo(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, invalid("unsupported or invalid regular expression: %s: %s", se.Code, se.Expr)
		}
		return nil, invalid("%v", err)
	}
	return re, nil
}

// translate is Translate; without dollarAtEnd, $ is refused (it stands
// before a look-ahead).
func translate(pat string, dollarAtEnd bool) (string, error) {
	var b strings.Builder
	multiline := strings.ContainsRune(inlineFlags.FindString(pat), 'm')
	inClass := false
	classStart := 0
	for i := 0; i < len(pat); {
		c := pat[i]
		switch {
		case c == '\\':
			if i+1 >= len(pat) {
				return "", invalid("bad escape (end of pattern)")
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
					return "", unsupported(`\W inside a character class is not supported`)
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
					return "", unsupported(`\S inside a character class is not supported`)
				}
				b.WriteString(`[^` + pySpace + `]`)
			case 'Z':
				if inClass {
					return "", invalid(`bad escape \Z`)
				}
				b.WriteString(`\z`)
			case 'b':
				if inClass {
					b.WriteString(`\x08`)
				} else {
					b.WriteString(`\b`)
				}
			case 'A', 'B':
				if inClass {
					return "", invalid(`bad escape \%c`, r)
				}
				b.WriteByte('\\')
				b.WriteRune(r)
			case 'a', 'f', 'n', 'r', 't', 'v':
				b.WriteByte('\\')
				b.WriteRune(r)
			case 'x':
				if i+2 > len(pat) || !isHex(pat[i:i+2]) {
					return "", invalid(`incomplete escape \x`)
				}
				b.WriteString(`\x{` + pat[i:i+2] + `}`)
				i += 2
			case 'u', 'U':
				k := 4
				if r == 'U' {
					k = 8
				}
				if i+k > len(pat) || !isHex(pat[i:i+k]) {
					return "", invalid(`incomplete escape \%c`, r)
				}
				v, _ := strconv.ParseUint(pat[i:i+k], 16, 32)
				if v > utf8.MaxRune {
					return "", invalid(`bad escape \%c`, r)
				}
				fmt.Fprintf(&b, `\x{%x}`, v)
				i += k
			case '0':
				v, j := 0, i
				for j < len(pat) && j < i+2 && isOct(pat[j]) {
					v = v*8 + int(pat[j]-'0')
					j++
				}
				fmt.Fprintf(&b, `\x{%x}`, v)
				i = j
			default:
				switch {
				case r >= '1' && r <= '9':
					// Three octal digits are a character, in a class and out;
					// in a class \1…\7 start an octal escape too. Otherwise
					// a group reference.
					j := i - 1
					for j < len(pat) && j < i+2 && isOct(pat[j]) {
						j++
					}
					if j == i+2 || (inClass && j > i-1) {
						v, _ := strconv.ParseUint(pat[i-1:j], 8, 32)
						if v > 0o377 {
							return "", invalid(`octal escape value \%s outside of range 0-0o377`, pat[i-1:j])
						}
						fmt.Fprintf(&b, `\x{%x}`, v)
						i = j
						continue
					}
					if inClass {
						return "", invalid(`bad escape \%c`, r)
					}
					return "", unsupported("back-references are not supported")
				case r < utf8.RuneSelf && (('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')):
					return "", invalid(`bad escape \%c`, r)
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
		case c == '$' && !multiline:
			if !dollarAtEnd {
				return "", unsupported(`$ before a look-ahead is not supported`)
			}
			b.WriteString(`(?:\n?\z)`)
			i++
			continue
		case c == '(' && strings.HasPrefix(pat[i:], "(?#"):
			end := strings.IndexByte(pat[i:], ')')
			if end < 0 {
				return "", invalid("missing ), unterminated comment")
			}
			i += end + 1
			continue
		case c == '(' && (strings.HasPrefix(pat[i:], "(?<=") || strings.HasPrefix(pat[i:], "(?<!")):
			return "", unsupported("look-behind is not supported")
		case c == '(' && (strings.HasPrefix(pat[i:], "(?=") || strings.HasPrefix(pat[i:], "(?!")):
			return "", unsupported("a look-ahead is only supported at the top level of a pattern for re.match")
		case c == '(' && strings.HasPrefix(pat[i:], "(?<"):
			return "", invalid("unknown extension ?<%s", pat[i+3:min(i+4, len(pat))])
		case c == '(' && strings.HasPrefix(pat[i:], "(?P="):
			return "", unsupported("back-references are not supported")
		case c == '(' && strings.HasPrefix(pat[i:], "(?>"):
			return "", unsupported("atomic groups are not supported")
		case c == '(' && strings.HasPrefix(pat[i:], "(?("):
			return "", unsupported("conditional patterns are not supported")
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
			return "", unsupported("possessive quantifiers are not supported")
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), nil
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')) {
			return false
		}
	}
	return true
}

// MustCompile is Compile for a constant pattern: it panics on an error.
func MustCompile(pat string) *regexp.Regexp {
	re, err := Compile(pat)
	if err != nil {
		panic("pyre: Compile(" + strconv.Quote(pat) + "): " + err.Error())
	}
	return re
}
