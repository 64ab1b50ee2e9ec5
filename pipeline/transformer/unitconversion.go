package transformer

import (
	"context"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/pipeline"
)

// UnitConversion is mitaka's unit_conversion (ScalingTransformer): a sample
// whose unit equals source.unit (any sample when source.unit is not given)
// becomes a new sample with target's name, unit and type (or the renames
// of map_from/map_to) and the volume scaled by target.scale; other samples
// pass unchanged. It keeps no state.
type UnitConversion struct {
	base
	conv *conversion
}

func newUnitConversion(p *params, s Settings, warn func(conf.Warning)) (pipeline.Transformer, error) {
	c, err := decodeConversion(p, warn)
	if err != nil {
		return nil, err
	}
	return &UnitConversion{base: newBase("unit_conversion", s), conv: c}, nil
}

// Transform converts samples; see UnitConversion.
func (t *UnitConversion) Transform(_ context.Context, samples []pipeline.Sample) ([]pipeline.Sample, error) {
	t.stats.In.Add(uint64(len(samples)))
	out := make([]pipeline.Sample, 0, len(samples))
	for i := range samples {
		s := &samples[i]
		if t.conv.hasSourceUnit && !pyEqual(t.conv.sourceUnit, s.Unit) {
			out = append(out, *s)
			continue
		}
		c, err := t.conv.convert(&t.base, s, value{})
		if err != nil {
			t.drop(s, err)
			continue
		}
		out = append(out, c)
	}
	t.stats.Out.Add(uint64(len(out)))
	return out, nil
}

// convert is ScalingTransformer._convert(s, growth): growth is the rate of
// rate_of_change, or the zero value for the plain `* 1` of the others.
func (c *conversion) convert(b *base, s *pipeline.Sample, growth value) (pipeline.Sample, error) {
	v, err := c.scale.apply(s)
	if err != nil {
		return pipeline.Sample{}, err
	}
	if growth.k != kindNone || v.k != kindStr { // str * 1 is the str itself
		if growth.k == kindNone {
			growth = intValue(1)
		}
		if v, err = arith(opMul, v, growth); err != nil {
			return pipeline.Sample{}, err
		}
	}
	vol, err := v.toJSON()
	if err != nil {
		return pipeline.Sample{}, err
	}
	return b.newSample(s, c.name(s), c.typ(s), c.unit(s), vol), nil
}

var _ pipeline.Transformer = (*UnitConversion)(nil)
