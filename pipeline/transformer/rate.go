package transformer

import (
	"context"
	"errors"
	"sync"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/pipeline"
)

// stateKey is the cache key of rate_of_change and delta: mitaka's
// s.name + s.resource_id (kept as two fields, so that "ab"+"c" and
// "a"+"bc" do not collide as they did in mitaka).
type stateKey struct{ name, resourceID string }

// prevSample is what rate_of_change and delta remember of a key's last
// sample.
type prevSample struct {
	volume value
	ts     pytime.Time
}

// scaleOne is rate_of_change's default scale, the expression "1".
var scaleOne = &Expr{src: "1", root: &constNode{v: intValue(1)}}

var errResourceID = errors.New("TypeError: resource_id is not a string")

// seriesKey is keyOf as a partition key ("" when the sample has none).
func seriesKey(s *pipeline.Sample) string {
	k, err := keyOf(s)
	if err != nil {
		return ""
	}
	return k.String()
}

// keyOf is the key of s, or an error where mitaka's s.name + s.resource_id
// raises (a null or non-string resource_id).
func keyOf(s *pipeline.Sample) (stateKey, error) {
	rid, ok := s.ResourceID.(string)
	if !ok {
		return stateKey{}, errResourceID
	}
	return stateKey{s.Name, rid}, nil
}

func (k stateKey) String() string { return k.name + "\x00" + k.resourceID }

// RateOfChange is mitaka's rate_of_change: for each meter and resource it
// remembers the previous (volume, timestamp) and turns each later sample
// into one whose volume is the scaled rate of change per second.
//
//   - The first sample of a key gives nothing (Stats.NoPredecessor).
//   - A sample older than the remembered one gives nothing and leaves the
//     remembered one in place (Stats.OutOfOrder).
//   - The volume delta is volume − previous, but a cumulative sample whose
//     volume went down (a counter reset) counts its whole volume;
//     rate = 1.0 × delta / seconds, or 0.0 when the timestamps are equal.
//   - The output sample has target's name, unit and type (or the map_from /
//     map_to renames), volume = scale(sample) × rate (scale defaults to "1"),
//     the input's ids, timestamp and metadata, a new id and the configured
//     source.
//
// State: one entry per (meter, resource_id), at most Settings.MaxKeys,
// least recently used evicted first (Stats.Evicted; an evicted key's next
// sample counts as a first sample).
type RateOfChange struct {
	base
	conv *conversion

	mu    sync.Mutex
	cache *boundedMap[stateKey, prevSample]
}

func newRateOfChange(p *params, s Settings, warn func(conf.Warning)) (pipeline.Transformer, error) {
	c, err := decodeConversion(p, warn)
	if err != nil {
		return nil, err
	}
	if c.scale.kind == scaleNone { // self.scale = self.scale or '1'
		c.scale = scale{kind: scaleExpr, expr: scaleOne}
	}
	return &RateOfChange{
		base:  newBase("rate_of_change", s),
		conv:  c,
		cache: newBoundedMap[stateKey, prevSample](s.MaxKeys, true),
	}, nil
}

// Key returns the state key of s.
func (t *RateOfChange) Key(s *pipeline.Sample) string { return seriesKey(s) }

// Transform returns the rates the samples give; see RateOfChange.
func (t *RateOfChange) Transform(_ context.Context, samples []pipeline.Sample) ([]pipeline.Sample, error) {
	t.stats.In.Add(uint64(len(samples)))
	var out []pipeline.Sample
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range samples {
		s := &samples[i]
		prev, ts, ok := observe(&t.base, t.cache, s)
		if !ok {
			continue
		}
		cur := fromJSON(s.Volume)
		le, err := compare(cmpLe, prev.volume, cur)
		if err != nil {
			t.drop(s, err)
			continue
		}
		delta := cur
		if le || s.Type != pipeline.TypeCumulative {
			if delta, err = arith(opSub, cur, prev.volume); err != nil {
				t.drop(s, err)
				continue
			}
		}
		rate := floatValue(0)
		if td := pytime.Seconds(prev.ts, ts); td != 0 {
			x, err := arith(opMul, floatValue(1), delta)
			if err == nil {
				rate, err = arith(opDiv, x, floatValue(td))
			}
			if err != nil {
				t.drop(s, err)
				continue
			}
		}
		c, err := t.conv.convert(&t.base, s, rate)
		if err != nil {
			t.drop(s, err)
			continue
		}
		out = append(out, c)
	}
	t.stats.Out.Add(uint64(len(out)))
	return out, nil
}

// observe is the part rate_of_change and delta share: it records s as its
// key's latest sample and returns the previous one, or false when s gives
// no output (no key, bad timestamp, first sample, out of order — counted).
// ts is s's timestamp.
func observe(b *base, cache *boundedMap[stateKey, prevSample], s *pipeline.Sample) (prev prevSample, ts pytime.Time, ok bool) {
	key, err := keyOf(s)
	if err != nil {
		b.drop(s, err)
		return prevSample{}, pytime.Time{}, false
	}
	ts, err = pytime.Parse(s.Timestamp)
	if err != nil {
		b.drop(s, err)
		return prevSample{}, pytime.Time{}, false
	}
	cur := prevSample{volume: fromJSON(s.Volume), ts: ts}
	p, had := cache.get(key)
	if !had {
		if cache.put(key, cur) {
			b.stats.Evicted.Add(1)
		}
		b.stats.NoPredecessor.Add(1)
		if b.logger.IsDebug() {
			b.logger.Debug("dropping sample with no predecessor", "meter", s.Name, "resource_id", key.resourceID)
		}
		return prevSample{}, pytime.Time{}, false
	}
	prev = *p
	if pytime.Seconds(prev.ts, ts) < 0 {
		// Disallow violations of the arrow of time; keep the newer sample.
		b.stats.OutOfOrder.Add(1)
		if b.logger.IsDebug() {
			b.logger.Debug("dropping out of time order sample", "meter", s.Name, "resource_id", key.resourceID, "timestamp", pyStrValue(s.Timestamp))
		}
		return prevSample{}, pytime.Time{}, false
	}
	*p = cur
	return prev, ts, true
}

var (
	_ pipeline.Transformer = (*RateOfChange)(nil)
	_ Keyer                = (*RateOfChange)(nil)
)
