package metrics

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Parse reads the text format Write produces (HELP and TYPE before the
// samples of each family, no timestamps) back into families, in input order.
// It is for tests and tools that check an endpoint; it is strict about what
// Write emits and does not accept the whole format (no histograms,
// summaries or timestamps).
func Parse(r io.Reader) ([]Family, error) {
	var out []Family
	idx := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	get := func(name string) *Family {
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, Family{Name: name})
		}
		return &out[i]
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case text == "":
			continue
		case strings.HasPrefix(text, "# HELP "):
			name, help, _ := strings.Cut(text[len("# HELP "):], " ")
			get(name).Help = unescape(help, false)
		case strings.HasPrefix(text, "# TYPE "):
			name, typ, _ := strings.Cut(text[len("# TYPE "):], " ")
			get(name).Type = Type(typ)
		case strings.HasPrefix(text, "#"):
			continue
		default:
			name, s, err := parseSample(text)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			f, ok := idx[name]
			if !ok {
				return nil, fmt.Errorf("line %d: sample of %s before its TYPE", line, name)
			}
			out[f].Samples = append(out[f].Samples, s)
		}
	}
	return out, sc.Err()
}

func parseSample(text string) (string, Sample, error) {
	var s Sample
	end := strings.IndexAny(text, "{ ")
	if end <= 0 {
		return "", s, fmt.Errorf("malformed sample %q", text)
	}
	name, rest := text[:end], text[end:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq <= 0 {
				return "", s, fmt.Errorf("malformed labels in %q", text)
			}
			lname := rest[:eq]
			rest = rest[eq+2:]
			var b strings.Builder
			i := 0
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
					switch rest[i] {
					case 'n':
						b.WriteByte('\n')
					default:
						b.WriteByte(rest[i])
					}
					continue
				}
				b.WriteByte(rest[i])
			}
			if i == len(rest) {
				return "", s, fmt.Errorf("unterminated label value in %q", text)
			}
			s.Labels = append(s.Labels, Label{lname, b.String()})
			rest = strings.TrimPrefix(rest[i+1:], ",")
		}
	}
	v, err := parseValue(strings.TrimSpace(rest))
	if err != nil {
		return "", s, fmt.Errorf("value in %q: %w", text, err)
	}
	s.Value = v
	return name, s, nil
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf":
		return strconv.ParseFloat("+Inf", 64)
	case "-Inf":
		return strconv.ParseFloat("-Inf", 64)
	}
	return strconv.ParseFloat(s, 64)
}

func unescape(s string, quote bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch {
			case s[i] == 'n':
				b.WriteByte('\n')
			case s[i] == '"' && quote, s[i] == '\\':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
