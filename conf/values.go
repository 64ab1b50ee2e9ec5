package conf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Location says where a value came from.
type Location struct {
	File string // "" for defaults, the command line and the environment
	Line int
	What string // "default", "command line", "environment OS_X__Y" or "" for a file
}

func (l Location) String() string {
	if l.File != "" {
		return l.File + ":" + strconv.Itoa(l.Line)
	}
	return l.What
}

// setting is the resolved raw value of one option.
type setting struct {
	raw  []string   // one element, or several for TypeMulti
	locs []Location // parallel to raw
	set  bool       // given by a file, the command line or the environment
	via  Name       // the name it was given under (differs when deprecated)
}

// Values are the raw option values of one configuration, resolved with
// oslo.config's precedence and ready for typed, interpolated reads.
type Values struct {
	opts    []Option
	byName  map[Name]int
	vals    map[Name]*setting
	unknown []entry // assignments of unregistered options (for interpolation and warnings)
}

func newValues(opts []Option) *Values {
	v := &Values{opts: opts, byName: make(map[Name]int, len(opts)), vals: make(map[Name]*setting, len(opts))}
	for i, o := range opts {
		v.byName[o.Name] = i
	}
	return v
}

// option returns the registered option n.
func (v *Values) option(n Name) (*Option, bool) {
	i, ok := v.byName[n]
	if !ok {
		return nil, false
	}
	return &v.opts[i], true
}

// IsSet reports whether n was given explicitly (by any of its names).
func (v *Values) IsSet(n Name) bool {
	s, ok := v.vals[n]
	return ok && s.set
}

// Where returns the location of n's (last) value.
func (v *Values) Where(n Name) Location {
	if s, ok := v.vals[n]; ok && len(s.locs) > 0 {
		return s.locs[len(s.locs)-1]
	}
	return Location{What: "default"}
}

// rawValues returns n's raw values: the resolved setting or the option default.
// ok is false when the option is None (no default, not set).
func (v *Values) rawValues(n Name) ([]string, []Location, bool) {
	if s, ok := v.vals[n]; ok && s.set {
		return s.raw, s.locs, true
	}
	o, ok := v.option(n)
	if !ok || o.Default == nil {
		return nil, nil, false
	}
	locs := make([]Location, len(o.Default))
	for i := range locs {
		locs[i] = Location{What: "default"}
	}
	return o.Default, locs, true
}

// errorAt builds the error for a bad value of n.
func errorAt(n Name, loc Location, msg string) error {
	if loc.File != "" {
		return &FileError{File: loc.File, Line: loc.Line, Path: n.String(), Msg: msg}
	}
	return fmt.Errorf("%s (%s): %s", n, loc, msg)
}

// interpolate substitutes $name, ${name} and $group.name in raw with the
// effective values of other options, as oslo.config does at read time. A bare
// name is looked up in the same group first, then in [DEFAULT]; "$$" and "\$"
// are a literal dollar. depth guards against reference cycles.
// maxInterpolation bounds the references one value may expand (directly or
// through others), and the length of the result, so that a hostile file such as
// "x = $y$y$y", "y = $z$z$z" … cannot make loading take exponential time.
const (
	maxInterpolationRefs = 10000
	maxInterpolatedBytes = 1 << 20
)

// interp interpolates one option value (see interpolate).
func (v *Values) interp(group, raw string) (string, error) {
	budget := maxInterpolationRefs
	return v.interpolate(group, raw, 0, &budget)
}

func (v *Values) interpolate(group, raw string, depth int, budget *int) (string, error) {
	if !strings.ContainsRune(raw, '$') {
		return raw, nil
	}
	if depth > 10 {
		return "", fmt.Errorf("interpolation is nested too deeply (a reference cycle?)")
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) && raw[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(raw) && raw[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		var ref string
		if i+1 < len(raw) && raw[i+1] == '{' {
			end := strings.IndexByte(raw[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in value")
			}
			ref = raw[i+2 : i+2+end]
			i += 2 + end
		} else {
			j, dots := i+1, 0
			for j < len(raw) && (isIdent(raw[j]) || (raw[j] == '.' && dots == 0 && j+1 < len(raw) && isIdent(raw[j+1]))) {
				if raw[j] == '.' {
					dots++
				}
				j++
			}
			ref = raw[i+1 : j]
			i = j - 1
		}
		if ref == "" {
			b.WriteByte('$')
			continue
		}
		*budget--
		if *budget < 0 {
			return "", fmt.Errorf("interpolation expands too many references")
		}
		val, err := v.lookupRef(group, ref, depth, budget)
		if err != nil {
			return "", err
		}
		b.WriteString(val)
		if b.Len() > maxInterpolatedBytes {
			return "", fmt.Errorf("interpolated value is longer than %d bytes", maxInterpolatedBytes)
		}
	}
	return b.String(), nil
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (v *Values) lookupRef(group, ref string, depth int, budget *int) (string, error) {
	candidates := []Name{{group, ref}, {"DEFAULT", ref}}
	if g, n, ok := strings.Cut(ref, "."); ok {
		candidates = []Name{{normalizeGroup(g), n}}
	}
	for _, c := range candidates {
		if _, ok := v.option(c); ok {
			raws, _, ok := v.rawValues(c)
			if !ok {
				return "", nil
			}
			return v.interpolate(c.Group, strings.Join(raws, ","), depth+1, budget)
		}
	}
	// An option the agent does not register but the file sets (e.g. a value shared
	// with another service's options) still interpolates.
	for _, c := range candidates {
		for i := len(v.unknown) - 1; i >= 0; i-- {
			if e := v.unknown[i]; e.Group == c.Group && e.Key == c.Name {
				return v.interpolate(c.Group, e.Value, depth+1, budget)
			}
		}
	}
	return "", fmt.Errorf("interpolation of $%s: no such option", ref)
}

// String reads a TypeString option; ok is false when it is None.
func (v *Values) String(n Name) (string, bool, error) {
	raws, locs, ok := v.rawValues(n)
	if !ok {
		return "", false, nil
	}
	s, err := v.interp(n.Group, raws[len(raws)-1])
	if err != nil {
		return "", true, errorAt(n, locs[len(locs)-1], err.Error())
	}
	if err := checkChoice(v, n, s); err != nil {
		return "", true, errorAt(n, locs[len(locs)-1], err.Error())
	}
	return s, true, nil
}

func checkChoice(v *Values, n Name, s string) error {
	o, _ := v.option(n)
	if o == nil || len(o.Choices) == 0 {
		return nil
	}
	for _, c := range o.Choices {
		if s == c {
			return nil
		}
	}
	return fmt.Errorf("invalid value %q: valid values are %s", s, strings.Join(o.Choices, ", "))
}

// Int reads a TypeInt option, checking Min/Max; ok is false when it is None.
func (v *Values) Int(n Name) (int, bool, error) {
	raws, locs, ok := v.rawValues(n)
	if !ok {
		return 0, false, nil
	}
	loc := locs[len(locs)-1]
	s, err := v.interp(n.Group, raws[len(raws)-1])
	if err != nil {
		return 0, true, errorAt(n, loc, err.Error())
	}
	s = strings.TrimSpace(s)
	if s == "" {
		// oslo.config treats an empty integer value as None.
		return 0, false, nil
	}
	i, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		return 0, true, errorAt(n, loc, fmt.Sprintf("invalid integer value %q", s))
	}
	o, _ := v.option(n)
	if o != nil && o.Min != nil && i < *o.Min {
		return 0, true, errorAt(n, loc, fmt.Sprintf("value %d should be greater than or equal to %d", i, *o.Min))
	}
	if o != nil && o.Max != nil && i > *o.Max {
		return 0, true, errorAt(n, loc, fmt.Sprintf("value %d should be less than or equal to %d", i, *o.Max))
	}
	return i, true, nil
}

// Float reads a TypeFloat option.
func (v *Values) Float(n Name) (float64, bool, error) {
	raws, locs, ok := v.rawValues(n)
	if !ok {
		return 0, false, nil
	}
	loc := locs[len(locs)-1]
	s, err := v.interp(n.Group, raws[len(raws)-1])
	if err != nil {
		return 0, true, errorAt(n, loc, err.Error())
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) {
		return 0, true, errorAt(n, loc, fmt.Sprintf("invalid floating point value %q", s))
	}
	return f, true, nil
}

// Bool reads a TypeBool option.
func (v *Values) Bool(n Name) (bool, error) {
	raws, locs, ok := v.rawValues(n)
	if !ok {
		return false, nil
	}
	loc := locs[len(locs)-1]
	s, err := v.interp(n.Group, raws[len(raws)-1])
	if err != nil {
		return false, errorAt(n, loc, err.Error())
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, errorAt(n, loc, fmt.Sprintf("invalid boolean value %q: expected true/false, 1/0, yes/no or on/off", s))
}

// List reads a TypeList option (comma-separated) or a TypeMulti option (one value
// per occurrence); each element is interpolated and, for lists, trimmed.
func (v *Values) List(n Name) ([]string, error) {
	raws, locs, ok := v.rawValues(n)
	if !ok {
		return nil, nil
	}
	o, _ := v.option(n)
	var out []string
	if o != nil && o.Type == TypeMulti {
		for i, r := range raws {
			s, err := v.interp(n.Group, r)
			if err != nil {
				return nil, errorAt(n, locs[i], err.Error())
			}
			if err := checkChoice(v, n, s); err != nil {
				return nil, errorAt(n, locs[i], err.Error())
			}
			out = append(out, s)
		}
		return out, nil
	}
	loc := locs[len(locs)-1]
	s, err := v.interp(n.Group, raws[len(raws)-1])
	if err != nil {
		return nil, errorAt(n, loc, err.Error())
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return []string{}, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if err := checkChoice(v, n, part); err != nil {
			return nil, errorAt(n, loc, err.Error())
		}
		out = append(out, part)
	}
	return out, nil
}

// Display renders n's effective value for the configuration dump, with secrets
// masked: secret options entirely, and passwords inside URLs of any option.
func (v *Values) Display(n Name) string {
	o, ok := v.option(n)
	if !ok {
		return ""
	}
	raws, _, set := v.rawValues(n)
	if !set {
		return "None"
	}
	if o.Secret && !looksLikeURLs(raws) {
		return "****"
	}
	var vals []string
	for _, r := range raws {
		s, err := v.interp(n.Group, r)
		if err != nil {
			s = r
		}
		vals = append(vals, MaskURL(s))
	}
	if o.Type == TypeMulti || o.Type == TypeList {
		if o.Type == TypeList && len(vals) == 1 {
			vals = splitList(vals[0])
		}
		return "[" + quoteJoin(vals) + "]"
	}
	return vals[len(vals)-1]
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func quoteJoin(vals []string) string {
	q := make([]string, len(vals))
	for i, s := range vals {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

func looksLikeURLs(raws []string) bool {
	if len(raws) == 0 {
		return false
	}
	for _, r := range raws {
		if !strings.Contains(r, "://") {
			return false
		}
	}
	return true
}
