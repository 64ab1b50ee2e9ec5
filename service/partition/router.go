package partition

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/pipeline"
)

// ErrClosed is returned by Route after Shutdown.
var ErrClosed = errors.New("partition: router is shut down")

// startConnectTimeout bounds the connection attempt of Router.Start.
const startConnectTimeout = 3 * time.Second

// ContentType marks the batches on the partition queues.
const ContentType = "application/x-agent-notification-samples"

// RouterSettings configure a Router.
type RouterSettings struct {
	Logger hclog.Logger
	// URL is the transport URL of the broker holding the partition queues
	// (the agent's own: [DEFAULT] transport_url).
	URL    string
	Rabbit rabbit.Settings
	// RetryDelay is how long Route fails fast after a failed connection
	// attempt before dialing again (default 1 s).
	RetryDelay time.Duration
	Topology   Topology
	// Key returns the grouping key of a sample of a pipeline: every sample
	// with the same (Group(pipeline), key) goes to the same partition.
	// Required (transformer.PartitionKey with the pipeline's chain).
	Key func(pipeline string, s *pipeline.Sample) string
	// Group returns the chain a pipeline runs its samples through: pipelines
	// sharing a sink share its transformers, so they must share a group.
	// nil means every pipeline is its own group.
	Group func(pipeline string) string
}

// RouterStats are a router's counters.
type RouterStats struct {
	Batches    atomic.Uint64 // messages confirmed by the broker
	Samples    atomic.Uint64 // samples in them
	Failures   atomic.Uint64 // Route calls that returned an error
	Reconnects atomic.Uint64
}

// Router implements pipeline.Router over RabbitMQ: Route splits the samples of
// a pipeline by partition and publishes one message per partition to its
// queue on a channel in confirm mode; it returns once the broker confirmed
// every message, so the notification the samples came from is acked only
// after the hand-over.
//
// Start and Shutdown make it a component; it connects lazily, on the first
// Route after Start or after a failure, and then keeps one connection and one
// confirm channel shared by the concurrent Route calls.
type Router struct {
	logger    hclog.Logger
	endpoints []rabbit.Endpoint
	settings  rabbit.Settings
	topo      Topology
	key       func(string, *pipeline.Sample) string
	group     func(string) string
	retry     time.Duration

	Stats RouterStats

	mu      sync.Mutex // guards the fields below; held while dialing
	conn    *amqp.Connection
	ch      *amqp.Channel
	next    int // endpoint to try first
	retryAt time.Time
	lastErr error
	closed  bool
	dialed  bool
}

// NewRouter validates s; nothing connects before the first Route.
func NewRouter(s RouterSettings) (*Router, error) {
	eps, err := rabbit.ParseTransportURL(s.URL)
	if err != nil {
		return nil, err
	}
	if err := s.Topology.validate(); err != nil {
		return nil, err
	}
	if s.Key == nil {
		return nil, errors.New("partition: router needs a Key function")
	}
	r := &Router{logger: s.Logger, endpoints: eps, settings: s.Rabbit, topo: s.Topology, key: s.Key, group: s.Group, retry: s.RetryDelay}
	if r.logger == nil {
		r.logger = hclog.NewNullLogger()
	}
	if r.group == nil {
		r.group = func(p string) string { return p }
	}
	if r.retry <= 0 {
		r.retry = time.Second
	}
	if r.settings.ConnectionName != "" {
		r.settings.ConnectionName += " router"
	}
	return r, nil
}

// Start connects (within ctx, and at most startConnectTimeout), so that the
// first notifications do not wait for a connection while later ones overtake
// them. A broker that cannot be reached is not an error: Route connects when
// it can.
func (r *Router) Start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startConnectTimeout)
	defer cancel()
	if _, err := r.channel(ctx); err != nil && !errors.Is(err, ErrClosed) {
		r.logger.Warn("router cannot reach the broker yet", "error", err)
	}
	return nil
}

// Shutdown closes the connection; Route fails with ErrClosed afterwards. The
// caller stops the Route callers (the listeners) first. Idempotent.
func (r *Router) Shutdown(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.dropLocked()
	return nil
}

func (r *Router) dropLocked() {
	if r.conn != nil {
		_ = r.conn.Close()
	}
	r.conn, r.ch = nil, nil
}

// channel returns the confirm channel, connecting (and declaring the
// partition queues) when there is none.
func (r *Router) channel(ctx context.Context) (*amqp.Channel, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if r.ch != nil && !r.ch.IsClosed() {
		return r.ch, nil
	}
	r.dropLocked()
	if time.Now().Before(r.retryAt) {
		return nil, r.lastErr
	}
	ch, err := r.connectLocked(ctx)
	if err != nil {
		r.dropLocked()
		r.lastErr = fmt.Errorf("partition: connect: %w", err)
		r.retryAt = time.Now().Add(r.retry)
		return nil, r.lastErr
	}
	return ch, nil
}

func (r *Router) connectLocked(ctx context.Context) (*amqp.Channel, error) {
	conn, idx, err := rabbit.Dial(ctx, r.endpoints, r.next, r.settings)
	if err != nil {
		r.next++
		return nil, err
	}
	r.next = idx
	r.conn = conn
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		return nil, fmt.Errorf("confirm.select: %w", err)
	}
	for i := 0; i < r.topo.Partitions; i++ {
		if err := r.topo.declare(ch, i); err != nil {
			return nil, err
		}
	}
	r.ch = ch
	if r.dialed {
		r.Stats.Reconnects.Add(1)
		r.logger.Info("router reconnected to the broker", "endpoint", r.endpoints[idx].String())
	}
	r.dialed = true
	return ch, nil
}

// Route publishes samples of pipelineName to their partitions and waits for
// the broker's confirms (see Router). It implements pipeline.Router and is
// safe for concurrent use. Samples of one series keep their order within one
// call; across calls, the order is the order of the calls that returned.
func (r *Router) Route(ctx context.Context, pipelineName string, samples []pipeline.Sample) error {
	if len(samples) == 0 {
		return nil
	}
	err := r.route(ctx, pipelineName, samples)
	if err != nil {
		r.Stats.Failures.Add(1)
	}
	return err
}

func (r *Router) route(ctx context.Context, pipelineName string, samples []pipeline.Sample) error {
	group := r.group(pipelineName)
	parts := make([]int, len(samples))
	first := parts[:0:0]
	counts := map[int]int{}
	for i := range samples {
		p := r.topo.Partition(group, r.key(pipelineName, &samples[i]))
		parts[i] = p
		if counts[p] == 0 {
			first = append(first, p)
		}
		counts[p]++
	}
	ch, err := r.channel(ctx)
	if err != nil {
		return err
	}
	mode := amqp.Transient
	if r.topo.Durable {
		mode = amqp.Persistent
	}
	dcs := make([]*amqp.DeferredConfirmation, 0, len(first))
	var body []byte
	sub := samples
	for _, p := range first {
		if len(first) > 1 {
			sub = make([]pipeline.Sample, 0, counts[p])
			for i := range samples {
				if parts[i] == p {
					sub = append(sub, samples[i])
				}
			}
		}
		body = AppendBatch(make([]byte, 0, 256*len(sub)), pipelineName, sub)
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", r.topo.Queue(p), false, false, amqp.Publishing{
			ContentType:  ContentType,
			DeliveryMode: mode,
			Body:         body,
		})
		if err != nil {
			r.invalidate(ch)
			return fmt.Errorf("partition: publish to %q: %w", r.topo.Queue(p), err)
		}
		dcs = append(dcs, dc)
	}
	for _, dc := range dcs {
		ok, err := dc.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("partition: wait for confirm: %w", err)
		}
		if !ok {
			r.invalidate(ch)
			return errors.New("partition: the broker did not confirm a batch")
		}
	}
	r.Stats.Batches.Add(uint64(len(dcs)))
	r.Stats.Samples.Add(uint64(len(samples)))
	return nil
}

// invalidate drops ch (if still current) so that the next Route reconnects.
func (r *Router) invalidate(ch *amqp.Channel) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch == ch {
		r.dropLocked()
	}
}

var _ pipeline.Router = (*Router)(nil)
