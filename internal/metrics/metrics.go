package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Type is the type of a metric family.
type Type string

// Family types (the only two the agent uses).
const (
	TypeCounter Type = "counter" // monotonic; name ends in _total
	TypeGauge   Type = "gauge"
)

// Merge says how two samples with the same labels combine when sets are merged
// (the parent merging its workers, two generations of one worker id during a
// rolling reload).
type Merge string

const (
	MergeSum Merge = ""    // counters and additive gauges (in flight, listeners)
	MergeMax Merge = "max" // gauges such as an oldest age
)

// Label is one label pair.
type Label struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Sample is one series of a family. Labels are kept sorted by name.
type Sample struct {
	Labels []Label `json:"labels,omitempty"`
	Value  float64 `json:"value"`
}

// Family is a named metric with its help text, type and series. It is plain
// data: workers send families to the parent as JSON over the control channel.
type Family struct {
	Name    string   `json:"name"`
	Help    string   `json:"help"`
	Type    Type     `json:"type"`
	Merge   Merge    `json:"merge,omitempty"`
	Samples []Sample `json:"samples"`
}

// Report is what one worker (or the in-process service) answers to a scrape:
// its families and whether it is ready (every listener consuming), with the
// reason when it is not.
type Report struct {
	Ready    bool     `json:"ready"`
	Reason   string   `json:"reason,omitempty"`
	Families []Family `json:"families,omitempty"`
}

// Set accumulates families. Adding a sample whose labels already exist in its
// family combines the two values by the family's Merge. A Set is not safe for
// concurrent use; the zero value is empty and ready.
type Set struct {
	fams map[string]*family
}

type family struct {
	Family
	index map[string]int // label key → index in Samples
}

// Builder adds samples to one family of a Set.
type Builder struct{ f *family }

// Counter returns the counter family name of s, creating it with help.
func (s *Set) Counter(name, help string) Builder { return s.family(name, help, TypeCounter, MergeSum) }

// Gauge returns the gauge family name of s (values summed on merge).
func (s *Set) Gauge(name, help string) Builder { return s.family(name, help, TypeGauge, MergeSum) }

// MaxGauge returns the gauge family name of s whose values combine by maximum.
func (s *Set) MaxGauge(name, help string) Builder { return s.family(name, help, TypeGauge, MergeMax) }

func (s *Set) family(name, help string, t Type, m Merge) Builder {
	if s.fams == nil {
		s.fams = map[string]*family{}
	}
	f, ok := s.fams[name]
	if !ok {
		f = &family{Family: Family{Name: name, Help: help, Type: t, Merge: m}, index: map[string]int{}}
		s.fams[name] = f
	}
	return Builder{f}
}

// Add adds v to the series given by labels, which are name, value pairs (a
// trailing odd name is ignored). A non-finite value is ignored: it has no JSON
// form, and the agent never makes one.
func (b Builder) Add(v float64, labels ...string) {
	ls := make([]Label, 0, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		ls = append(ls, Label{labels[i], labels[i+1]})
	}
	b.f.add(Sample{Labels: ls, Value: v})
}

// Family returns the family's name (for tests and callers that need it).
func (b Builder) Family() string { return b.f.Name }

func (f *family) add(s Sample) {
	if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
		return
	}
	slices.SortFunc(s.Labels, func(a, b Label) int { return cmp.Compare(a.Name, b.Name) })
	key := labelKey(s.Labels)
	if i, ok := f.index[key]; ok {
		cur := &f.Samples[i]
		if f.Merge == MergeMax {
			cur.Value = max(cur.Value, s.Value)
		} else {
			cur.Value += s.Value
		}
		return
	}
	f.index[key] = len(f.Samples)
	f.Samples = append(f.Samples, s)
}

func labelKey(ls []Label) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Name)
		b.WriteByte(0)
		b.WriteString(l.Value)
		b.WriteByte(0)
	}
	return b.String()
}

// Merge adds every sample of fams to s, each with the extra labels (name,
// value pairs) added — e.g. "worker", "2". A family that exists in s with
// another type is not merged: the conflict is returned as an error (the rest
// is merged).
func (s *Set) Merge(fams []Family, extra ...string) error {
	if len(extra)%2 != 0 {
		return fmt.Errorf("metrics: odd number of extra label arguments")
	}
	var errs []string
	for _, in := range fams {
		b := s.family(in.Name, in.Help, in.Type, in.Merge)
		if b.f.Type != in.Type {
			errs = append(errs, fmt.Sprintf("%s: %s, already a %s", in.Name, in.Type, b.f.Type))
			continue
		}
		for _, smp := range in.Samples {
			ls := make([]Label, 0, len(smp.Labels)+len(extra)/2)
			ls = append(ls, smp.Labels...)
			for i := 0; i < len(extra); i += 2 {
				ls = setLabel(ls, extra[i], extra[i+1])
			}
			b.f.add(Sample{Labels: ls, Value: smp.Value})
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("metrics: conflicting families: %s", strings.Join(errs, "; "))
	}
	return nil
}

func setLabel(ls []Label, name, value string) []Label {
	for i := range ls {
		if ls[i].Name == name {
			ls[i].Value = value
			return ls
		}
	}
	return append(ls, Label{name, value})
}

// Families returns the families of s sorted by name, each with its samples
// sorted by labels. The result shares nothing with s.
func (s *Set) Families() []Family {
	out := make([]Family, 0, len(s.fams))
	for _, f := range s.fams {
		c := f.Family
		c.Samples = slices.Clone(f.Samples)
		slices.SortFunc(c.Samples, func(a, b Sample) int { return compareLabels(a.Labels, b.Labels) })
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Family) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func compareLabels(a, b []Label) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := cmp.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := compareLabelValues(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// compareLabelValues orders numeric values (worker ids) numerically, others
// as strings, so that worker="10" comes after worker="9".
func compareLabelValues(a, b string) int {
	na, oka := smallUint(a)
	nb, okb := smallUint(b)
	if oka && okb {
		return cmp.Compare(na, nb)
	}
	return cmp.Compare(a, b)
}

func smallUint(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Get returns the value of the series of family name with exactly labels
// (name, value pairs), and whether it exists. For tests and readiness checks.
func Get(fams []Family, name string, labels ...string) (float64, bool) {
	want := make([]Label, 0, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		want = append(want, Label{labels[i], labels[i+1]})
	}
	slices.SortFunc(want, func(a, b Label) int { return cmp.Compare(a.Name, b.Name) })
	key := labelKey(want)
	for _, f := range fams {
		if f.Name != name {
			continue
		}
		for _, s := range f.Samples {
			ls := slices.Clone(s.Labels)
			slices.SortFunc(ls, func(a, b Label) int { return cmp.Compare(a.Name, b.Name) })
			if labelKey(ls) == key {
				return s.Value, true
			}
		}
	}
	return 0, false
}

// Sum returns the sum of every series of family name whose labels include
// the given pairs.
func Sum(fams []Family, name string, labels ...string) float64 {
	var total float64
	for _, f := range fams {
		if f.Name != name {
			continue
		}
	next:
		for _, s := range f.Samples {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range s.Labels {
					if l.Name == labels[i] && l.Value == labels[i+1] {
						found = true
						break
					}
				}
				if !found {
					continue next
				}
			}
			total += s.Value
		}
	}
	return total
}
