package transformer

import (
	"context"
	"sync"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/pipeline"
)

// Delta is mitaka's delta: like RateOfChange (same key, first-sample and
// out-of-order rules, same state bound) but the output is a sample of type
// delta whose volume is volume − previous (no counter-reset rule), named by
// target.name (or the map_from/map_to rename), with the input's unit. With
// growth_only a negative delta is dropped (Stats.Negative).
type Delta struct {
	base
	conv       *conversion
	growthOnly bool

	mu    sync.Mutex
	cache *boundedMap[stateKey, prevSample]
}

func newDelta(p *params, s Settings, warn func(conf.Warning)) (pipeline.Transformer, error) {
	c, err := decodeConversion(p, warn)
	if err != nil {
		return nil, err
	}
	g, _, _, err := p.value("growth_only")
	if err != nil {
		return nil, err
	}
	return &Delta{
		base:       newBase("delta", s),
		conv:       c,
		growthOnly: fromJSON(g).truth(),
		cache:      newBoundedMap[stateKey, prevSample](s.MaxKeys, true),
	}, nil
}

// Key returns the state key of s.
func (t *Delta) Key(s *pipeline.Sample) string { return seriesKey(s) }

// Transform returns the deltas the samples give; see Delta.
func (t *Delta) Transform(_ context.Context, samples []pipeline.Sample) ([]pipeline.Sample, error) {
	t.stats.In.Add(uint64(len(samples)))
	var out []pipeline.Sample
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range samples {
		s := &samples[i]
		prev, _, ok := observe(&t.base, t.cache, s)
		if !ok {
			continue
		}
		delta, err := arith(opSub, fromJSON(s.Volume), prev.volume)
		if err != nil {
			t.drop(s, err)
			continue
		}
		if t.growthOnly {
			neg, err := compare(cmpLt, delta, intValue(0))
			if err != nil {
				t.drop(s, err)
				continue
			}
			if neg {
				t.stats.Negative.Add(1)
				if t.logger.IsDebug() {
					t.logger.Debug("negative delta detected, dropping value", "meter", s.Name, "resource_id", pyStrValue(s.ResourceID))
				}
				continue
			}
		}
		vol, err := delta.toJSON()
		if err != nil {
			t.drop(s, err)
			continue
		}
		out = append(out, t.newSample(s, t.conv.name(s), pipeline.TypeDelta, s.Unit, vol))
	}
	t.stats.Out.Add(uint64(len(out)))
	return out, nil
}

var (
	_ pipeline.Transformer = (*Delta)(nil)
	_ Keyer                = (*Delta)(nil)
)
