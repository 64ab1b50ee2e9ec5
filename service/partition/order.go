package partition

import (
	"time"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// orderFilter remembers, for the series of one partition, the newest sample
// timestamp delivered, and drops a sample that is not newer: an older one
// (out of order) would be dropped by rate_of_change and delta anyway, and an
// equal one is a duplicate — an at-least-once redelivery of a notification
// already routed, or of a batch whose outputs failed to publish — which the
// transformers would turn into a zero rate or delta. A series is
// (group, name, resource_id). Samples whose timestamp does not parse pass
// (the transformers drop them).
//
// It is bounded: two generations of at most max entries each; when the
// current one is full it becomes the previous one. Not safe for concurrent
// use: one per partition goroutine.
type orderFilter struct {
	max       int
	cur, prev map[string]int64
	key       []byte
}

func newOrderFilter(max int) *orderFilter {
	return &orderFilter{max: max, cur: map[string]int64{}}
}

// admit reports whether s is newer than what its series saw, and records it.
func (f *orderFilter) admit(group string, s *pipeline.Sample) bool {
	ts, ok := parseTimestamp(s.Timestamp)
	if !ok {
		return true
	}
	f.key = append(f.key[:0], group...)
	f.key = append(f.key, 0)
	f.key = append(f.key, s.Name...)
	f.key = append(f.key, 0)
	if r, ok := s.ResourceID.(string); ok {
		f.key = append(f.key, 's')
		f.key = append(f.key, r...)
	} else {
		f.key = pyjson.AppendRepr(f.key, s.ResourceID)
	}
	last, seen := f.cur[string(f.key)]
	if !seen && f.prev != nil {
		last, seen = f.prev[string(f.key)]
	}
	if seen && ts <= last {
		return false
	}
	if _, in := f.cur[string(f.key)]; !in && len(f.cur) >= f.max {
		f.prev, f.cur = f.cur, make(map[string]int64, len(f.cur))
	}
	f.cur[string(f.key)] = ts
	return true
}

var timestampLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// parseTimestamp parses an ISO 8601 sample timestamp (naive means UTC, as in
// Ceilometer) into Unix nanoseconds.
func parseTimestamp(v pyjson.Value) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}
