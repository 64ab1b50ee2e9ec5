package transformer

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"sync"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Arithmetic is mitaka's arithmetic (ArithmeticTransformer): target.expr
// combines meters written $(meter.name) — a bare reference means the
// meter's volume, and $(meter).resource_metadata.x (or any other sample
// attribute after the parenthesis) reaches the rest of the sample. Each
// sample of a referenced meter is remembered per resource_id (the newest
// wins); Transform returns nothing. At each Flush, every resource that has
// all the referenced meters yields one sample and is forgotten:
//
//   - volume: float(expr), dropped (Stats.Errors) when the expression fails
//     or gives NaN;
//   - name, unit, type: target's, else those of the first meter the
//     expression references;
//   - ids and resource_metadata: from that first meter's sample;
//   - timestamp: that of the latest sample Transform was given (of any
//     resource or meter, as in mitaka).
//
// An expression without a reference is a misconfiguration: a warning at
// load time, and the transformer swallows every sample, as in mitaka.
//
// State: the remembered samples of at most Settings.MaxKeys resources,
// oldest resource evicted first (Stats.Evicted).
type Arithmetic struct {
	base
	expr       *Expr
	exprText   string
	escaped    map[string]string // meter name -> name in expr
	required   int               // number of distinct escaped names
	reference  string            // escaped name of the first referenced meter
	targetName string
	targetType string
	targetUnit pyjson.Value
	hasName    bool
	hasType    bool
	hasUnit    bool

	mu     sync.Mutex
	cache  *boundedMap[string, map[string]pipeline.Sample] // resource key -> escaped name -> sample
	latest pyjson.Value
}

// meterRef is mitaka's meter_name_re, r'\$\(([\w\.\-]+)\)'.
var meterRef = regexp.MustCompile(`\$\(([\p{L}\p{N}_.\-]+)\)`)

// escapeMeter is Replacer.escape: a name with a dot, ending in ESC or that
// is a keyword becomes "_" + name (dots made "_") + "_ESC".
func escapeMeter(name string) string {
	hasDot := strings.Contains(name, ".")
	if hasDot {
		name = strings.ReplaceAll(name, ".", "_")
	}
	if hasDot || strings.HasSuffix(name, "ESC") || pyKeywords[name] {
		name = "_" + name + "_ESC"
	}
	return name
}

// rewriteExpr is parse_expr: the expression with references replaced by
// names, the map from meter name to name, and the names in order of first
// reference.
func rewriteExpr(expr string) (string, map[string]string, []string) {
	names := map[string]string{}
	var order []string
	var b strings.Builder
	last := 0
	for _, m := range meterRef.FindAllStringSubmatchIndex(expr, -1) {
		b.WriteString(expr[last:m[0]])
		meter := expr[m[2]:m[3]]
		esc := escapeMeter(meter)
		if _, ok := names[meter]; !ok {
			order = append(order, esc)
		}
		names[meter] = esc
		b.WriteString(esc)
		if m[1] == len(expr) || expr[m[1]] != '.' {
			b.WriteString(".volume")
		}
		last = m[1]
	}
	b.WriteString(expr[last:])
	return b.String(), names, order
}

func newArithmetic(p *params, s Settings, warn func(conf.Warning)) (pipeline.Transformer, error) {
	tgt, err := p.sub("target")
	if err != nil {
		return nil, err
	}
	t := &Arithmetic{base: newBase("arithmetic", s), cache: newBoundedMap[string, map[string]pipeline.Sample](s.MaxKeys, false)}
	var errs []error
	if v, pos, ok, err := tgt.value("name"); err != nil {
		errs = append(errs, err)
	} else if ok {
		t.targetName, t.hasName = pyStr(v, pos, warn), true
	}
	if v, pos, ok, err := tgt.value("type"); err != nil {
		errs = append(errs, err)
	} else if ok {
		t.targetType, t.hasType = pyStr(v, pos, warn), true
	}
	if v, _, ok, err := tgt.value("unit"); err != nil {
		errs = append(errs, err)
	} else if ok {
		t.targetUnit, t.hasUnit = v, true
	}
	v, pos, _, err := tgt.value("expr")
	if err != nil {
		errs = append(errs, err)
	}
	if err := conf.JoinErrors(errs); err != nil {
		return nil, err
	}
	text, ok := v.(string)
	if v != nil && !ok {
		return nil, pos.Errorf("must be an expression, not %s", fromJSON(v).typeName())
	}
	t.exprText = text
	rewritten, names, order := rewriteExpr(text)
	if len(order) == 0 {
		warn(pos.Warnf("Arithmetic transformer must use at least one meter in expression '%s': it drops every sample", text))
		return t, nil
	}
	x, err := ParseExpr(rewritten)
	if err != nil {
		var xe *ExprError
		if errors.As(err, &xe) {
			return nil, pos.Errorf("invalid expression %q (rewritten %q): %s at column %d of the rewritten expression", text, rewritten, xe.Msg, xe.Offset+1)
		}
		return nil, pos.Errorf("invalid expression %q: %v", text, err)
	}
	t.expr, t.escaped, t.reference = x, names, order[0]
	distinct := map[string]bool{}
	for _, e := range names {
		distinct[e] = true
	}
	t.required = len(distinct)
	return t, nil
}

// resourceKey is the cache key of a resource_id (any JSON value).
func resourceKey(v pyjson.Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return "\x00" + pyjson.Repr(v)
}

// Key returns the state key of s: its resource_id.
func (t *Arithmetic) Key(s *pipeline.Sample) string { return resourceKey(s.ResourceID) }

// Transform remembers the samples of referenced meters; it returns nothing.
func (t *Arithmetic) Transform(_ context.Context, samples []pipeline.Sample) ([]pipeline.Sample, error) {
	t.stats.In.Add(uint64(len(samples)))
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range samples {
		s := &samples[i]
		t.latest = s.Timestamp
		if t.expr == nil {
			continue
		}
		esc, ok := t.escaped[s.Name]
		if !ok {
			continue
		}
		rk := resourceKey(s.ResourceID)
		m, ok := t.cache.get(rk)
		if !ok {
			if t.cache.put(rk, map[string]pipeline.Sample{esc: *s}) {
				t.stats.Evicted.Add(1)
			}
			continue
		}
		(*m)[esc] = *s
	}
	return nil, nil
}

// arithEnv resolves the escaped meter names to their samples.
type arithEnv map[string]pipeline.Sample

func (e arithEnv) lookup(name string) value {
	if s, ok := e[name]; ok {
		return value{k: kindSample, smp: &s}
	}
	return emptyNS
}

// Flush computes the resources that have every referenced meter.
func (t *Arithmetic) Flush(context.Context) ([]pipeline.Sample, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.expr == nil {
		return nil, nil
	}
	var out []pipeline.Sample
	t.cache.each(func(rk string, m *map[string]pipeline.Sample) bool {
		if len(*m) != t.required {
			return true
		}
		if s, err := t.calculate(*m); err != nil {
			t.stats.Errors.Add(1)
			if t.logger.IsDebug() {
				t.logger.Debug("unable to evaluate expression", "expr", t.exprText, "error", err)
			}
		} else {
			out = append(out, s)
		}
		t.cache.delete(rk)
		return true
	})
	t.stats.Out.Add(uint64(len(out)))
	return out, nil
}

var errNaN = errors.New("expression evaluated to a NaN value")

func (t *Arithmetic) calculate(m map[string]pipeline.Sample) (pipeline.Sample, error) {
	v, err := t.expr.eval(arithEnv(m))
	if err != nil {
		return pipeline.Sample{}, err
	}
	if !v.isNum() {
		return pipeline.Sample{}, errors.New("TypeError: must be real number, not " + v.typeName())
	}
	f, err := v.float()
	if err != nil {
		return pipeline.Sample{}, err
	}
	if math.IsNaN(f) {
		return pipeline.Sample{}, errNaN
	}
	ref := m[t.reference]
	name, typ, unit := ref.Name, ref.Type, ref.Unit
	if t.hasName {
		name = t.targetName
	}
	if t.hasType {
		typ = t.targetType
	}
	if t.hasUnit {
		unit = t.targetUnit
	}
	s := t.newSample(&ref, name, typ, unit, f)
	s.Timestamp = t.latest
	return s, nil
}

var (
	_ pipeline.Transformer = (*Arithmetic)(nil)
	_ Flusher              = (*Arithmetic)(nil)
	_ Keyer                = (*Arithmetic)(nil)
)
