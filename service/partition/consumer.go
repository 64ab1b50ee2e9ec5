package partition

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/ratelog"
	"github.com/openstack-go/agent-notification/internal/wait"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Deliverer runs routed samples through their pipeline on the partition's
// owner: pipeline.SampleManager implements it. Deliver is called
// concurrently for different partitions, sequentially for one; FlushRouted
// concurrently with Deliver.
type Deliverer interface {
	Deliver(ctx context.Context, pipeline string, samples []pipeline.Sample) error
	FlushRouted(ctx context.Context) error
}

// Consumer defaults.
const (
	DefaultPrefetch   = 16
	DefaultFlushEvery = time.Second
	DefaultStagger    = time.Second
	DefaultRetryDelay = time.Second
	DefaultMaxSeries  = 100000
)

// ConsumerSettings configure a Consumer.
type ConsumerSettings struct {
	Logger hclog.Logger
	// URL and Rabbit: the broker holding the partition queues (as the
	// Router's).
	URL    string
	Rabbit rabbit.Settings
	// Backoff gives the delay before reconnection attempt n (0-based);
	// default: 1 s.
	Backoff  func(n int) time.Duration
	Topology Topology
	// Deliverer runs the samples (the worker's SampleManager).
	Deliverer Deliverer
	// Pipelines are the routed pipelines; a batch naming another one is
	// rejected (an agent with a different pipeline.yaml on the same broker).
	Pipelines []string
	// Group as in RouterSettings (the ordering filter's series key).
	Group func(pipeline string) string
	// Prefetch bounds the unacked batches per partition (default 16).
	Prefetch int
	// FlushEvery is the period of FlushRouted (default 1 s; < 0: never).
	FlushEvery time.Duration
	// Stagger bounds the random delay before each partition is consumed
	// after a (re)connection (default 1 s; < 0: none): with single active
	// consumers, the first registered consumer owns a queue, so workers
	// starting together share the partitions instead of the first taking
	// them all.
	Stagger time.Duration
	// RetryDelay is how long a batch whose delivery failed is held before it
	// is requeued (default 1 s).
	RetryDelay time.Duration
	// MaxSeries bounds the ordering filter per partition (default 100000).
	MaxSeries int
}

// ConsumerStats are a consumer's counters.
type ConsumerStats struct {
	Batches    atomic.Uint64 // batches received
	Samples    atomic.Uint64 // samples delivered
	Stale      atomic.Uint64 // samples dropped as duplicate or out of order
	Acked      atomic.Uint64
	Requeued   atomic.Uint64 // Deliver failed
	Rejected   atomic.Uint64 // malformed batch or unknown pipeline
	Reconnects atomic.Uint64
	Active     atomic.Int64 // partitions that delivered since the last (re)connection
}

// Consumer consumes every partition queue, one goroutine and one channel per
// partition, and hands each batch, in queue order, to the Deliverer. Every
// worker of every agent runs one; each queue is single-active-consumer, so
// the broker makes exactly one of them the owner of a partition and, when its
// connection goes, hands the partition — unacked batches first, in order — to
// the next. It reconnects by itself with Backoff.
//
// Lifecycle: NewConsumer → Start (returns at once; connects in the
// background) → Shutdown (cancels the consumers, delivers and acks the
// batches already received, closes; bounded by its ctx, after which the
// remaining batches are requeued).
type Consumer struct {
	logger    hclog.Logger
	endpoints []rabbit.Endpoint
	s         ConsumerSettings
	known     map[string]bool
	seed      uint64
	// warnings bounds the per-batch problem lines (each is counted in Stats).
	warnings *ratelog.Limiter

	Stats ConsumerStats

	cancel   context.CancelFunc
	stopped  chan struct{}
	workCtx  context.Context
	stopWork context.CancelFunc
}

// NewConsumer validates s; nothing connects before Start.
func NewConsumer(s ConsumerSettings) (*Consumer, error) {
	eps, err := rabbit.ParseTransportURL(s.URL)
	if err != nil {
		return nil, err
	}
	if err := s.Topology.validate(); err != nil {
		return nil, err
	}
	if s.Deliverer == nil {
		return nil, errors.New("partition: consumer needs a Deliverer")
	}
	if s.Logger == nil {
		s.Logger = hclog.NewNullLogger()
	}
	if s.Backoff == nil {
		s.Backoff = func(int) time.Duration { return time.Second }
	}
	if s.Group == nil {
		s.Group = func(p string) string { return p }
	}
	if s.Prefetch <= 0 {
		s.Prefetch = DefaultPrefetch
	}
	if s.FlushEvery == 0 {
		s.FlushEvery = DefaultFlushEvery
	}
	if s.Stagger == 0 {
		s.Stagger = DefaultStagger
	}
	if s.RetryDelay <= 0 {
		s.RetryDelay = DefaultRetryDelay
	}
	if s.MaxSeries <= 0 {
		s.MaxSeries = DefaultMaxSeries
	}
	// The pid in the connection name tells an operator (rabbitmqctl
	// list_consumers … active, then the channel's connection) which process
	// owns a partition.
	s.Rabbit.ConnectionName = strings.TrimSpace(s.Rabbit.ConnectionName + " partitions pid=" + strconv.Itoa(os.Getpid()))
	c := &Consumer{logger: s.Logger, endpoints: eps, s: s, known: map[string]bool{}, warnings: ratelog.New(10, 10*time.Second)}
	for _, p := range s.Pipelines {
		c.known[p] = true
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	c.seed = binary.LittleEndian.Uint64(b[:])
	return c, nil
}

// Start begins connecting and consuming in the background and returns at
// once.
func (c *Consumer) Start(context.Context) error {
	if c.cancel != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.workCtx, c.stopWork = context.WithCancel(context.Background())
	c.stopped = make(chan struct{})
	go func() {
		defer close(c.stopped)
		var wg sync.WaitGroup
		if c.s.FlushEvery > 0 {
			wg.Go(func() { c.flushLoop(ctx) })
		}
		c.run(ctx)
		wg.Wait()
	}()
	return nil
}

// Shutdown stops consuming, delivers and acks what was received, and closes
// the connection. When ctx expires first, the deliveries in progress are
// cancelled and what is left goes back to the queues. Idempotent; safe
// without Start.
func (c *Consumer) Shutdown(ctx context.Context) error {
	if c.cancel == nil {
		return nil
	}
	c.cancel()
	select {
	case <-c.stopped:
		return nil
	case <-ctx.Done():
		c.stopWork()
		<-c.stopped
		return fmt.Errorf("partition: consumer drain: %w", ctx.Err())
	}
}

func (c *Consumer) flushLoop(ctx context.Context) {
	t := time.NewTicker(c.s.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.s.Deliverer.FlushRouted(c.workCtx); err != nil && ctx.Err() == nil {
				c.logger.Warn("publishing flushed transformer output failed", "error", err)
			}
		}
	}
}

// run is the connection loop.
func (c *Consumer) run(ctx context.Context) {
	defer c.stopWork()
	rabbit.Redial(ctx, rabbit.Dial, c.endpoints, c.s.Rabbit, c.s.Backoff,
		func(ctx context.Context, conn *amqp.Connection, reconnected bool, ep rabbit.Endpoint) error {
			if reconnected {
				c.logger.Info("partition consumer reconnected", "endpoint", ep.String())
				c.Stats.Reconnects.Add(1)
			}
			return c.session(ctx, conn)
		},
		func(err error, retryIn time.Duration) {
			c.logger.Warn("partition consumer lost the broker; retrying", "error", err, "retry_in", retryIn.String())
		})
}

// session consumes every partition on conn until ctx is cancelled (returns
// nil after the drain) or a channel or the connection fails (returns why;
// every partition is then given up, so the broker moves them to the other
// consumers, and consumed again after the reconnection).
func (c *Consumer) session(ctx context.Context, conn *amqp.Connection) error {
	c.Stats.Active.Store(0)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	errc := make(chan error, c.s.Topology.Partitions)
	var wg sync.WaitGroup
	for i := 0; i < c.s.Topology.Partitions; i++ {
		wg.Go(func() {
			if err := c.partition(sctx, conn, i); err != nil {
				errc <- fmt.Errorf("partition %d: %w", i, err)
			}
		})
	}
	var err error
	select {
	case <-ctx.Done():
	case e := <-connClosed:
		err = fmt.Errorf("connection closed: %v", e)
	case err = <-errc:
	}
	cancel()
	wg.Wait()
	return err
}

// staggerDelay is this consumer's registration delay for partition i.
func (c *Consumer) staggerDelay(i int) time.Duration {
	if c.s.Stagger <= 0 {
		return 0
	}
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], c.seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(i))
	_, _ = h.Write(b[:])
	return time.Duration(h.Sum64() % uint64(c.s.Stagger))
}

// partition consumes partition i on its own channel, strictly in order.
func (c *Consumer) partition(ctx context.Context, conn *amqp.Connection, i int) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := ch.Qos(c.s.Prefetch, 0, false); err != nil {
		return fmt.Errorf("basic.qos: %w", err)
	}
	if err := c.s.Topology.declare(ch, i); err != nil {
		return err
	}
	if d := c.staggerDelay(i); d > 0 && !wait.Sleep(ctx, d) {
		return nil
	}
	q := c.s.Topology.Queue(i)
	tag := "agent-notification-" + q
	ds, err := ch.Consume(q, tag, false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %q: %w", q, err)
	}
	p := &partitionState{filter: newOrderFilter(c.s.MaxSeries), dec: &pyjson.Decoder{}}
	for {
		select {
		case d, ok := <-ds:
			if !ok {
				return errors.New("deliveries closed")
			}
			if !p.active {
				p.active = true
				c.Stats.Active.Add(1)
			}
			if err := c.handle(ch, &d, p); err != nil {
				return err
			}
		case e := <-closed:
			return fmt.Errorf("channel closed: %v", e)
		case <-ctx.Done():
			// Graceful stop: the batches the broker already pushed are
			// delivered and acked, then the channel closes.
			_ = ch.Cancel(tag, false)
			for d := range ds {
				if c.workCtx.Err() != nil {
					break // out of time: the channel close requeues the rest
				}
				if err := c.handle(ch, &d, p); err != nil {
					break
				}
			}
			return nil
		}
	}
}

type partitionState struct {
	filter *orderFilter
	dec    *pyjson.Decoder
	active bool
}

// handle delivers one batch and acks, requeues or rejects it. It returns an
// error only when the channel failed.
func (c *Consumer) handle(ch *amqp.Channel, d *amqp.Delivery, p *partitionState) error {
	c.Stats.Batches.Add(1)
	name, samples, err := DecodeBatch(p.dec, d.Body)
	if err == nil && !c.known[name] {
		err = fmt.Errorf("%w: pipeline %q is not routed by this agent", ErrFormat, name)
	}
	if err != nil {
		c.Stats.Rejected.Add(1)
		if c.warnings.Allow() {
			c.logger.Error("rejecting a partition batch", "queue", d.RoutingKey, "error", err)
		}
		return ch.Reject(d.DeliveryTag, false)
	}
	group := c.s.Group(name)
	kept := samples[:0]
	for j := range samples {
		if p.filter.admit(group, &samples[j]) {
			kept = append(kept, samples[j])
		} else {
			c.Stats.Stale.Add(1)
		}
	}
	if len(kept) > 0 {
		if err := c.s.Deliverer.Deliver(c.workCtx, name, kept); err != nil {
			// The pipeline's Deliver holds its output until published
			// and fails only when the work context ends (the drain ran
			// out of time): the batch goes back to the queue for the
			// next owner, which starts with fresh transformer state.
			c.Stats.Requeued.Add(1)
			if c.warnings.Allow() {
				c.logger.Warn("delivering a partition batch failed; it is requeued", "pipeline", name, "error", err)
			}
			wait.Sleep(c.workCtx, c.s.RetryDelay)
			return ch.Nack(d.DeliveryTag, false, true)
		}
		c.Stats.Samples.Add(uint64(len(kept)))
	}
	if err := ch.Ack(d.DeliveryTag, false); err != nil {
		return err
	}
	c.Stats.Acked.Add(1)
	return nil
}
