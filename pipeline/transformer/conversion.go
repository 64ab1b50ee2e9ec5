package transformer

// What mitaka's conversions.BaseConversionTransformer and ScalingTransformer
// share: the `source`/`target` parameters, the map_from/map_to regex renames
// (re.sub) and the scale.

import (
	"regexp"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pyre"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// conversion is the decoded `source` and `target` of a conversion
// transformer.
type conversion struct {
	sourceUnit    pyjson.Value
	hasSourceUnit bool

	targetName, targetType string
	hasName, hasType       bool
	targetUnit             pyjson.Value
	hasUnit                bool

	mapName, mapUnit *rename // nil: no rename for that attribute

	scale scale
}

// scaleKind says what `target.scale` is.
type scaleKind uint8

const (
	scaleNone   scaleKind = iota // absent or falsy: the volume as is
	scaleNumber                  // volume * number
	scaleExpr                    // eval(expression)
)

type scale struct {
	kind scaleKind
	num  value
	expr *Expr
}

// decodeConversion reads `source` and `target` from p. warn collects
// load-time warnings.
func decodeConversion(p *params, warn func(conf.Warning)) (*conversion, error) {
	c := &conversion{}
	src, err := p.sub("source")
	if err != nil {
		return nil, err
	}
	tgt, err := p.sub("target")
	if err != nil {
		return nil, err
	}
	var errs []error
	if v, _, ok, err := src.value("unit"); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.sourceUnit, c.hasSourceUnit = v, true
	}
	if v, pos, ok, err := tgt.value("name"); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.targetName, c.hasName = pyStr(v, pos, warn), true
	}
	if v, pos, ok, err := tgt.value("type"); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.targetType, c.hasType = pyStr(v, pos, warn), true
	}
	if v, _, ok, err := tgt.value("unit"); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.targetUnit, c.hasUnit = v, true
	}
	if s, err := decodeScale(tgt); err != nil {
		errs = append(errs, err)
	} else {
		c.scale = s
	}
	// _map: both map_from and map_to must be non-empty mappings, and both
	// must name the attribute.
	from, err1 := src.sub("map_from")
	to, err2 := tgt.sub("map_to")
	if err1 != nil || err2 != nil {
		return nil, conf.JoinErrors(append(errs, err1, err2))
	}
	if len(from.pairs) > 0 && len(to.pairs) > 0 {
		for _, attr := range []string{"name", "unit"} {
			r, err := decodeRename(from, to, attr, warn)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if attr == "name" {
				c.mapName = r
			} else {
				c.mapUnit = r
			}
		}
	} else {
		// Mark them read: mitaka ignores a lone map_from or map_to.
		from.used["name"], from.used["unit"], to.used["name"], to.used["unit"] = true, true, true, true
	}
	if err := conf.JoinErrors(errs); err != nil {
		return nil, err
	}
	return c, nil
}

// pyStr is str(v) for a name or type written as a non-string.
func pyStr(v pyjson.Value, pos conf.Position, warn func(conf.Warning)) string {
	if s, ok := v.(string); ok {
		return s
	}
	s := pyjson.Str(v)
	warn(pos.Warnf("is %s, not a string: used as %q", fromJSON(v).typeName(), s))
	return s
}

func decodeScale(tgt *params) (scale, error) {
	v, pos, ok, err := tgt.value("scale")
	if err != nil || !ok {
		return scale{}, err
	}
	fv := fromJSON(v)
	if !fv.truth() {
		return scale{}, nil // `if scale` in mitaka: 0, "", null mean no scaling
	}
	switch fv.k {
	case kindStr:
		x, err := ParseExpr(fv.s)
		if err != nil {
			return scale{}, exprPosError(pos, fv.s, err)
		}
		return scale{kind: scaleExpr, expr: x}, nil
	case kindBool, kindInt, kindBig, kindFloat:
		return scale{kind: scaleNumber, num: fv}, nil
	}
	return scale{}, pos.Errorf("must be a number or an expression, not %s", fv.typeName())
}

// exprPosError locates an expression error in the YAML file.
func exprPosError(pos conf.Position, src string, err error) error {
	if xe, ok := err.(*ExprError); ok {
		return pos.Errorf("invalid expression %q: %s at column %d of the expression", src, xe.Msg, xe.Offset+1)
	}
	return pos.Errorf("invalid expression %q: %v", src, err)
}

// apply is ScalingTransformer._scale: the scaled volume of s.
func (sc *scale) apply(s *pipeline.Sample) (value, error) {
	switch sc.kind {
	case scaleExpr:
		return sc.expr.eval(sampleEnv{s})
	case scaleNumber:
		return arith(opMul, fromJSON(s.Volume), sc.num)
	}
	return fromJSON(s.Volume), nil
}

// sampleEnv resolves names as Namespace(sample.as_dict()) does.
type sampleEnv struct{ s *pipeline.Sample }

func (e sampleEnv) lookup(name string) value { return sampleField(e.s, name) }

// name is _map(s, 'name').
func (c *conversion) name(s *pipeline.Sample) string {
	if c.mapName != nil {
		if m := c.mapName.apply(s.Name); m != "" {
			return m
		}
	}
	if c.hasName {
		return c.targetName
	}
	return s.Name
}

// unit is _map(s, 'unit').
func (c *conversion) unit(s *pipeline.Sample) pyjson.Value {
	if c.mapUnit != nil {
		if u, ok := s.Unit.(string); ok { // re.sub on a non-string raises: no mapping
			if m := c.mapUnit.apply(u); m != "" {
				return m
			}
		}
	}
	if c.hasUnit {
		return c.targetUnit
	}
	return s.Unit
}

// typ is target.get('type', s.type).
func (c *conversion) typ(s *pipeline.Sample) string {
	if c.hasType {
		return c.targetType
	}
	return s.Type
}

// rename is one map_from/map_to pair: re.sub(pattern, template, value).
type rename struct {
	re   *regexp.Regexp
	tmpl *pyre.Template
}

// decodeRename builds the rename of attr, or nil when map_from or map_to
// does not name it (or names it with a falsy value). A pattern or template
// that Python would refuse at run time makes mitaka skip the rename every
// time: that is warned about and the rename left out. A valid Python
// pattern that Go's RE2 cannot run (look-around, back-references) is an
// error: we cannot give mitaka's result.
func decodeRename(from, to *params, attr string, warn func(conf.Warning)) (*rename, error) {
	pv, ppos, _, err := from.value(attr)
	if err != nil {
		return nil, err
	}
	tv, tpos, _, err := to.value(attr)
	if err != nil {
		return nil, err
	}
	if !fromJSON(pv).truth() || !fromJSON(tv).truth() {
		return nil, nil
	}
	pat, ok1 := pv.(string)
	tmpl, ok2 := tv.(string)
	if !ok1 || !ok2 {
		warn(ppos.Warnf("map_from/map_to %s must both be strings: the rename is never applied", attr))
		return nil, nil
	}
	re, err := pyre.Compile(pat)
	if err != nil {
		if pyre.IsUnsupported(err) {
			return nil, ppos.Errorf("regular expression %q uses syntax Go's RE2 engine cannot run: %v", pat, err)
		}
		warn(ppos.Warnf("invalid regular expression %q (%v): the rename is never applied, as in Ceilometer", pat, err))
		return nil, nil
	}
	t, err := pyre.ParseTemplate(tmpl, re)
	if err != nil {
		warn(tpos.Warnf("invalid replacement %q (%v): the rename is never applied, as in Ceilometer", tmpl, err))
		return nil, nil
	}
	return &rename{re: re, tmpl: t}, nil
}

// apply is re.sub(pattern, template, s): every non-overlapping match
// replaced; a group that did not take part in the match is empty.
func (r *rename) apply(s string) string {
	out, _ := r.tmpl.Sub(r.re, s, 0) // no limit: no error
	return out
}
