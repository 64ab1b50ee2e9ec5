package transformer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Stats are one transformer's counters. Mitaka logged a warning for each
// dropped sample; we count them (and log at debug level).
type Stats struct {
	In            atomic.Uint64 // samples given to Transform
	Out           atomic.Uint64 // samples returned by Transform, Flush and Drain
	NoPredecessor atomic.Uint64 // first sample of a key (rate_of_change, delta)
	OutOfOrder    atomic.Uint64 // older than the key's cached sample (rate_of_change, delta)
	Negative      atomic.Uint64 // negative delta dropped by growth_only
	Errors        atomic.Uint64 // samples or results dropped because mitaka would raise
	Evicted       atomic.Uint64 // state entries evicted by the MaxKeys bound
	Overflow      atomic.Uint64 // samples dropped because an aggregator window holds MaxKeys groups
}

// StatsReporter is implemented by every transformer of this package.
type StatsReporter interface {
	Stats() *Stats
}

// base is what every transformer has.
type base struct {
	name   string
	logger hclog.Logger
	stats  Stats
	source string
	newID  func() string
}

func newBase(name string, s Settings) base {
	return base{name: name, logger: s.Logger, source: s.SampleSource, newID: s.NewID}
}

// Name returns the transformer's name as pipeline.yaml writes it.
func (b *base) Name() string { return b.name }

// Stats returns the transformer's counters.
func (b *base) Stats() *Stats { return &b.stats }

// drop counts a sample dropped because evaluating it failed, as mitaka
// drops a sample whose handle_sample raised.
func (b *base) drop(s *pipeline.Sample, err error) {
	b.stats.Errors.Add(1)
	if b.logger.IsDebug() {
		b.logger.Debug("dropping sample after error", "meter", s.Name, "resource_id", pyStrValue(s.ResourceID), "error", err)
	}
}

// newSample is mitaka's sample.Sample(...) for a created sample: a fresh id
// and the configured source.
func (b *base) newSample(from *pipeline.Sample, name string, typ string, unit, volume pyjson.Value) pipeline.Sample {
	return pipeline.Sample{
		Name:             name,
		Type:             typ,
		Unit:             unit,
		Volume:           volume,
		UserID:           from.UserID,
		ProjectID:        from.ProjectID,
		ResourceID:       from.ResourceID,
		Timestamp:        from.Timestamp,
		ResourceMetadata: from.ResourceMetadata,
		Source:           b.source,
		ID:               b.newID(),
	}
}

// pyStrValue is Python's str(v).
func pyStrValue(v pyjson.Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyjson.Str(v)
}

// pyEqual is Python's a == b for two sample values.
func pyEqual(a, b pyjson.Value) bool {
	ok, err := compare(cmpEq, fromJSON(a), fromJSON(b))
	return err == nil && ok
}

// pyInt is int(v) for a parameter (int, float, bool or numeric string).
func pyInt(v pyjson.Value) (int64, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int64:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1<<63 {
			return 0, fmt.Errorf("cannot convert float %v to integer", x)
		}
		return int64(x), nil
	case string:
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid literal for int() with base 10: %s", pyjson.Repr(x))
		}
		return n, nil
	}
	return 0, fmt.Errorf("int() argument must be a string or a number, not '%s'", fromJSON(v).typeName())
}

// pyFloat is float(v) for a parameter.
func pyFloat(v pyjson.Value) (float64, error) {
	switch x := v.(type) {
	case string:
		if !pipeline.PythonFloatOK(x) {
			return 0, fmt.Errorf("could not convert string to float: %s", pyjson.Repr(x))
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 64)
		if err != nil && !math.IsInf(f, 0) {
			return 0, fmt.Errorf("could not convert string to float: %s", pyjson.Repr(x))
		}
		return f, nil
	}
	fv := fromJSON(v)
	if !fv.isNum() {
		return 0, fmt.Errorf("float() argument must be a string or a number, not '%s'", fv.typeName())
	}
	return fv.float()
}
