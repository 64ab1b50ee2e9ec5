package transformer

import (
	"context"
	"sync"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/pipeline"
)

// Accumulator is mitaka's accumulator (TransformerAccumulator): with
// size >= 1 (the default is 1) it holds every sample back and Flush
// releases the whole buffer, unchanged, once it holds at least size
// samples; with size < 1 samples pass through and nothing is held.
//
// State: the buffer, bounded by size as long as Flush runs after every
// publish (as mitaka's pipeline does).
type Accumulator struct {
	base
	size float64

	mu  sync.Mutex
	buf []pipeline.Sample
}

func newAccumulator(p *params, s Settings, _ func(conf.Warning)) (pipeline.Transformer, error) {
	v, pos, ok, err := p.value("size")
	if err != nil {
		return nil, err
	}
	size := 1.0
	if ok && v == nil {
		size = 0 // Python 2's None >= 1 is False: samples pass through
	} else if ok {
		fv := fromJSON(v)
		if !fv.isNum() {
			return nil, pos.Errorf("must be a number, not %s", fv.typeName())
		}
		if size, err = fv.float(); err != nil {
			return nil, pos.Errorf("%v", err)
		}
	}
	return &Accumulator{base: newBase("accumulator", s), size: size}, nil
}

// Transform holds the samples back (or passes them on when size < 1).
func (t *Accumulator) Transform(_ context.Context, samples []pipeline.Sample) ([]pipeline.Sample, error) {
	t.stats.In.Add(uint64(len(samples)))
	if !(t.size >= 1) {
		t.stats.Out.Add(uint64(len(samples)))
		return samples, nil
	}
	t.mu.Lock()
	t.buf = append(t.buf, samples...)
	t.mu.Unlock()
	return nil, nil
}

// Flush releases the buffer when it holds at least size samples.
func (t *Accumulator) Flush(context.Context) ([]pipeline.Sample, error) {
	return t.release(false), nil
}

// Drain releases the buffer whatever its length.
func (t *Accumulator) Drain(context.Context) ([]pipeline.Sample, error) {
	return t.release(true), nil
}

func (t *Accumulator) release(all bool) []pipeline.Sample {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) == 0 || !all && float64(len(t.buf)) < t.size {
		return nil
	}
	out := t.buf
	t.buf = nil
	t.stats.Out.Add(uint64(len(out)))
	return out
}

// Key returns "": the accumulator's buffer is shared by all samples.
func (t *Accumulator) Key(*pipeline.Sample) string { return "" }

var (
	_ pipeline.Transformer = (*Accumulator)(nil)
	_ Flusher              = (*Accumulator)(nil)
	_ Drainer              = (*Accumulator)(nil)
	_ Keyer                = (*Accumulator)(nil)
)
