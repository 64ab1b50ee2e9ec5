package publisher

import (
	"context"
	"net/url"
	"sync"

	"github.com/openstack-go/agent-notification/pipeline"
)

// Test is Ceilometer's test:// publisher: it keeps what it receives in memory.
type Test struct {
	mu      sync.Mutex
	samples []pipeline.Sample
	events  []pipeline.Event
	calls   int
	batches []Batch
}

// Batch is what one publish call received (a notifier:// message's payload).
type Batch struct {
	Samples []pipeline.Sample
	Events  []pipeline.Event
}

func newTest(context.Context, Settings, *url.URL) (Publisher, error) { return &Test{}, nil }

// Start does nothing.
func (p *Test) Start(context.Context) error { return nil }

// Shutdown does nothing.
func (p *Test) Shutdown(context.Context) error { return nil }

// PublishSamples records samples.
func (p *Test) PublishSamples(_ context.Context, samples []pipeline.Sample) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.samples = append(p.samples, samples...)
	p.batches = append(p.batches, Batch{Samples: append([]pipeline.Sample(nil), samples...)})
	p.calls++
	return nil
}

// PublishEvents records events.
func (p *Test) PublishEvents(_ context.Context, events []pipeline.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, events...)
	p.batches = append(p.batches, Batch{Events: append([]pipeline.Event(nil), events...)})
	p.calls++
	return nil
}

// Received returns copies of what was published so far and the number of calls.
func (p *Test) Received() ([]pipeline.Sample, []pipeline.Event, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pipeline.Sample(nil), p.samples...), append([]pipeline.Event(nil), p.events...), p.calls
}

var _ Publisher = (*Test)(nil)

// TakeBatches returns the publish calls received since the last TakeBatches.
func (p *Test) TakeBatches() []Batch {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.batches
	p.batches = nil
	return b
}
