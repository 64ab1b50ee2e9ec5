package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ContentType is the media type of the text exposition format written by Write.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Write renders fams in the Prometheus text exposition format 0.0.4: for each
// family (in the given order; Set.Families sorts them) one HELP and one TYPE
// line, then one line per sample. A family with no sample is left out. Names
// are checked first: nothing is written when one is invalid.
func Write(w io.Writer, fams []Family) error {
	if err := Validate(fams); err != nil {
		return err
	}
	var b bytes.Buffer
	for _, f := range fams {
		if len(f.Samples) == 0 {
			continue
		}
		b.WriteString("# HELP ")
		b.WriteString(f.Name)
		b.WriteByte(' ')
		b.WriteString(escapeHelp(f.Help))
		b.WriteString("\n# TYPE ")
		b.WriteString(f.Name)
		b.WriteByte(' ')
		b.WriteString(string(f.Type))
		b.WriteByte('\n')
		for _, s := range f.Samples {
			b.WriteString(f.Name)
			if len(s.Labels) > 0 {
				b.WriteByte('{')
				for i, l := range s.Labels {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(l.Name)
					b.WriteString(`="`)
					b.WriteString(escapeLabel(l.Value))
					b.WriteByte('"')
				}
				b.WriteByte('}')
			}
			b.WriteByte(' ')
			b.WriteString(FormatValue(s.Value))
			b.WriteByte('\n')
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// FormatValue renders a sample value: integers without exponent or fraction
// (up to 2^53), other values in Go's shortest form, and +Inf, -Inf, NaN.
func FormatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// Validate checks metric and label names, types, label uniqueness within a
// series and family uniqueness; every problem is returned, joined.
func Validate(fams []Family) error {
	var errs []error
	seen := map[string]bool{}
	for _, f := range fams {
		if !validName(f.Name, true) {
			errs = append(errs, fmt.Errorf("metrics: invalid metric name %q", f.Name))
		}
		if seen[f.Name] {
			errs = append(errs, fmt.Errorf("metrics: family %q appears twice", f.Name))
		}
		seen[f.Name] = true
		if f.Type != TypeCounter && f.Type != TypeGauge {
			errs = append(errs, fmt.Errorf("metrics: %s: unknown type %q", f.Name, f.Type))
		}
		for _, s := range f.Samples {
			names := map[string]bool{}
			for _, l := range s.Labels {
				if !validName(l.Name, false) || strings.HasPrefix(l.Name, "__") {
					errs = append(errs, fmt.Errorf("metrics: %s: invalid label name %q", f.Name, l.Name))
				}
				if names[l.Name] {
					errs = append(errs, fmt.Errorf("metrics: %s: label %q twice", f.Name, l.Name))
				}
				names[l.Name] = true
			}
		}
	}
	return errors.Join(errs...)
}

// validName: [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, without ':' for labels.
func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (colon && c == ':') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}
