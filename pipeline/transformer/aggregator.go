package transformer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/pytime"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Attribute policies of the aggregator.
type policy uint8

const (
	policyKey   policy = iota // no policy: the attribute is part of the grouping key
	policyFirst               // keep the first sample's value
	policyLast                // take the newest sample's value
	policyDrop                // resource_metadata only: {}
)

// Aggregator is mitaka's aggregator (AggregatorTransformer). Samples are
// grouped by meter name, resource_id and each of project_id / user_id that
// has no policy (a null one written "<undefined>"). The first sample of a
// group is converted (target name/unit/type, renames, scale) and kept;
// later ones add their scaled volume to it — a cumulative one replaces it
// — and attributes whose policy is "last" (resource_metadata by default)
// are copied from the newest; timestamp "last" keeps the newest timestamp
// instead of the first. Transform returns nothing.
//
// The window is shared by all groups: Flush releases every group and
// starts a new window when the number of samples since the window began
// reaches size, or when the window's first sample's timestamp is more than
// retention_time seconds before now (Settings.Now). A gauge group's volume
// is then divided by its number of samples (an average, with true
// division). size defaults to 1 even when retention_time is given (as in
// mitaka, where `size=1` is the keyword's default): a time-only window
// needs an explicit `size: 0` or `size: null`.
//
// State: the groups of the current window; at most Settings.MaxKeys groups
// — a sample that would open another is dropped (Stats.Overflow).
type Aggregator struct {
	base
	conv          *conversion
	size          int64 // 0: none
	hasSize       bool
	retention     time.Duration
	hasRetention  bool
	lastTimestamp bool
	projectID     policy
	userID        policy
	metadata      policy
	now           func() time.Time
	maxKeys       int

	mu       sync.Mutex
	initial  pytime.Time
	started  bool
	count    int64 // aggregated_samples
	groups   map[string]*aggGroup
	order    []*aggGroup // groups with a sample, in the order they got it
	overflow bool
}

type aggGroup struct {
	key    string
	count  int64
	sample *pipeline.Sample // nil until a conversion succeeded
}

func newAggregator(p *params, s Settings, warn func(conf.Warning)) (pipeline.Transformer, error) {
	c, err := decodeConversion(p, warn)
	if err != nil {
		return nil, err
	}
	t := &Aggregator{base: newBase("aggregator", s), conv: c, now: s.Now, maxKeys: s.MaxKeys, groups: map[string]*aggGroup{}}
	var errs []error
	if v, pos, ok, err := p.value("size"); err != nil {
		errs = append(errs, err)
	} else if !ok {
		t.size, t.hasSize = 1, true // the keyword's default, even with retention_time
	} else if fromJSON(v).truth() { // int(size) if size else None
		n, err := pyInt(v)
		if err != nil {
			errs = append(errs, pos.Errorf("%v", err))
		}
		t.size, t.hasSize = n, n != 0
	}
	if v, pos, _, err := p.value("retention_time"); err != nil {
		errs = append(errs, err)
	} else if fromJSON(v).truth() {
		f, err := pyFloat(v)
		if err != nil {
			errs = append(errs, pos.Errorf("%v", err))
		} else if f != 0 {
			t.retention, t.hasRetention = time.Duration(f*float64(time.Second)), true
		}
	}
	if !t.hasSize && !t.hasRetention {
		t.size, t.hasSize = 1, true
	}
	if v, _, _, err := p.value("timestamp"); err != nil {
		errs = append(errs, err)
	} else {
		t.lastTimestamp = v == "last" // anything but "first"/"last" means "first"
	}
	attr := func(name string, droppable, mandatory bool, def pyjson.Value) policy {
		v, pos, ok, err := p.value(name)
		if err != nil {
			errs = append(errs, err)
			return policyKey
		}
		if !ok {
			v = def
		}
		if !fromJSON(v).truth() && !mandatory {
			return policyKey
		}
		switch v {
		case "first":
			return policyFirst
		case "last":
			return policyLast
		case "drop":
			if droppable {
				return policyDrop
			}
		}
		warn(pos.Warnf("%s is unknown (%s), using last", name, pyStrValue(v)))
		return policyLast
	}
	t.projectID = attr("project_id", false, false, nil)
	t.userID = attr("user_id", false, false, nil)
	t.metadata = attr("resource_metadata", true, true, "last")
	if err := conf.JoinErrors(errs); err != nil {
		return nil, err
	}
	return t, nil
}

var errKeyAttr = errors.New("TypeError: sequence item: expected str instance")

// key is _get_unique_key: "name-resource_id-<key attributes>".
func (t *Aggregator) key(s *pipeline.Sample) (string, error) {
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('-')
	b.WriteString(pyStrValue(s.ResourceID))
	b.WriteByte('-')
	first := true
	for _, a := range [...]struct {
		p policy
		v pyjson.Value
	}{{t.projectID, s.ProjectID}, {t.userID, s.UserID}} {
		if a.p != policyKey {
			continue
		}
		if !first {
			b.WriteByte('-')
		}
		first = false
		switch v := a.v.(type) {
		case nil:
			b.WriteString("<undefined>")
		case string:
			b.WriteString(v)
		default:
			return "", errKeyAttr
		}
	}
	return b.String(), nil
}

// Key returns the group key of s ("" when s cannot have one).
func (t *Aggregator) Key(s *pipeline.Sample) string {
	k, err := t.key(s)
	if err != nil {
		return ""
	}
	return k
}

// Transform adds the samples to their groups; it returns nothing.
func (t *Aggregator) Transform(_ context.Context, samples []pipeline.Sample) ([]pipeline.Sample, error) {
	t.stats.In.Add(uint64(len(samples)))
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range samples {
		if err := t.add(&samples[i]); err != nil {
			t.drop(&samples[i], err)
		}
	}
	return nil, nil
}

// add is handle_sample, side effects in mitaka's order.
func (t *Aggregator) add(s *pipeline.Sample) error {
	if !t.started {
		ts, err := pytime.Parse(s.Timestamp)
		if err != nil {
			return err
		}
		t.initial, t.started = ts, true
	}
	key, err := t.key(s)
	if err != nil {
		t.count++
		return err
	}
	g, ok := t.groups[key]
	if !ok {
		if len(t.groups) >= t.maxKeys {
			t.stats.Overflow.Add(1)
			if !t.overflow {
				t.overflow = true
				t.logger.Warn("aggregator window holds the maximum number of groups: dropping samples of new groups until the next release", "max_keys", t.maxKeys)
			}
			return nil
		}
		g = &aggGroup{key: key}
		t.groups[key] = g
	}
	t.count++
	g.count++
	if g.sample == nil {
		c, err := t.conv.convert(&t.base, s, value{})
		if err != nil {
			return err
		}
		if t.metadata == policyDrop {
			c.ResourceMetadata = &pyjson.Object{}
		}
		g.sample = &c
		t.order = append(t.order, g)
		return nil
	}
	agg := g.sample
	if t.lastTimestamp {
		agg.Timestamp = s.Timestamp
	}
	v, err := t.conv.scale.apply(s)
	if err != nil {
		return err
	}
	if s.Type != pipeline.TypeCumulative {
		if v, err = arith(opAdd, fromJSON(agg.Volume), v); err != nil {
			return err
		}
	}
	vol, err := v.toJSON()
	if err != nil {
		return err
	}
	agg.Volume = vol
	if t.projectID == policyLast {
		agg.ProjectID = s.ProjectID
	}
	if t.userID == policyLast {
		agg.UserID = s.UserID
	}
	if t.metadata == policyLast {
		agg.ResourceMetadata = s.ResourceMetadata
	}
	return nil
}

// Flush releases the window when it is full or expired; see Aggregator.
func (t *Aggregator) Flush(context.Context) ([]pipeline.Sample, error) {
	return t.release(false)
}

// Drain releases the window whatever its state.
func (t *Aggregator) Drain(context.Context) ([]pipeline.Sample, error) {
	return t.release(true)
}

func (t *Aggregator) release(all bool) ([]pipeline.Sample, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started {
		return nil, nil
	}
	expired := t.hasRetention && t.now().UnixMicro()-t.initial.UnixMicro() > t.retention.Microseconds()
	full := t.hasSize && t.count >= t.size
	if !full && !expired && !all {
		return nil, nil
	}
	out := make([]pipeline.Sample, 0, len(t.order))
	var errs []error
	for _, g := range t.order {
		s := *g.sample
		if s.Type == pipeline.TypeGauge {
			v, err := arith(opDiv, fromJSON(s.Volume), intValue(g.count))
			if err == nil {
				s.Volume, err = v.toJSON()
			}
			if err != nil {
				t.stats.Errors.Add(1)
				errs = append(errs, fmt.Errorf("average of %s: %w", g.key, err))
				continue
			}
		}
		out = append(out, s)
	}
	t.groups = map[string]*aggGroup{}
	t.order = nil
	t.count = 0
	t.started = false
	t.overflow = false
	t.stats.Out.Add(uint64(len(out)))
	if len(errs) > 0 && t.logger.IsDebug() {
		t.logger.Debug("dropping aggregates after error", "error", errors.Join(errs...))
	}
	return out, nil
}

var (
	_ pipeline.Transformer = (*Aggregator)(nil)
	_ Flusher              = (*Aggregator)(nil)
	_ Drainer              = (*Aggregator)(nil)
	_ Keyer                = (*Aggregator)(nil)
)
