package service

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbit/wire"
)

// Outcome is what a handler decided for one delivery.
type Outcome uint8

const (
	Ack     Outcome = iota // processed (or deliberately dropped): remove it from the queue
	Requeue                // not processed (publishing failed, shutting down): give it back to the broker
	Reject                 // poison: remove it, dead-lettering it when the queue has a dead-letter exchange
)

// Handler processes one delivery and says what to do with it — for Reject,
// also why (a label of the rejected counter, e.g. ReasonInvalidJSON). It is
// called concurrently, at most Workers at a time per listener; it must return
// promptly once ctx is cancelled. d is only valid during the call: the
// handler (and its Wait) may keep d's fields, Body included, not d.
//
// Instead of waiting for its publishers' confirms it may return a non-nil
// wait: the listener runs it on a goroutine of its own (see waiters) while the
// handler goroutine takes the next delivery, and settles the delivery with
// what wait returns (out and reason are then ignored). Handler goroutines,
// which run the deep processing, stay few; the waits, which are shallow, run
// concurrently, as many as the deliveries in flight.
type Handler func(ctx context.Context, d *amqp.Delivery) (out Outcome, reason string, wait Wait)

// Wait finishes the handling of a delivery (see Handler).
type Wait func(ctx context.Context) (out Outcome, reason string)

// Topology is the oslo.messaging notification topology a listener consumes:
// for every exchange, topic and priority, queue <topic>.<priority> bound to the
// topic exchange with the same routing key.
type Topology struct {
	Exchanges  []string
	Topics     []string
	Priorities []string
	// Durable, AutoDelete and QueueArgs must equal Ceilometer's declarations
	// ([oslo_messaging_rabbit] amqp_durable_queues, amqp_auto_delete, ha/quorum).
	Durable    bool
	AutoDelete bool
	QueueArgs  amqp.Table
}

// Queues returns the queue names (<topic>.<priority>) in declaration order.
func (t Topology) Queues() []string {
	var qs []string
	seen := map[string]bool{}
	for _, topic := range t.Topics {
		for _, p := range t.Priorities {
			q := topic + "." + p
			if !seen[q] {
				seen[q] = true
				qs = append(qs, q)
			}
		}
	}
	return qs
}

// ListenerStats are the listener's counters. At every moment
//
//	Received = Acked + Requeued + Rejected + AckErrors + InFlight
//
// and the updates are ordered so that reading Received first, then InFlight,
// then the others never shows Received above their sum (a delivery enters
// InFlight before Received counts it, and is settled before it leaves
// InFlight).
type ListenerStats struct {
	Received   atomic.Uint64
	Acked      atomic.Uint64
	Requeued   atomic.Uint64
	Rejected   atomic.Uint64 // total of RejectedBy
	InFlight   atomic.Int64
	Reconnects atomic.Uint64
	// AckErrors are deliveries whose ack, requeue or reject could not be sent:
	// the channel had closed, and the broker redelivers them.
	AckErrors atomic.Uint64

	rejectedBy sync.Map // reason → *atomic.Uint64
}

// RejectedBy returns the rejected deliveries by the handler's reason.
func (s *ListenerStats) RejectedBy() map[string]uint64 {
	out := map[string]uint64{}
	s.rejectedBy.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}

func (s *ListenerStats) reject(reason string) {
	v, ok := s.rejectedBy.Load(reason)
	if !ok {
		v, _ = s.rejectedBy.LoadOrStore(reason, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(1)
	s.Rejected.Add(1)
}

// Listener consumes the notification queues of one broker URL. It reconnects by
// itself, with oslo's back-off, after a lost connection or channel, and keeps
// exactly one consumer per queue. Deliveries are handed to a bounded pool of
// goroutines; each is acked, requeued or rejected once its handler returns.
type Listener struct {
	logger      hclog.Logger
	endpoints   []rabbit.Endpoint
	settings    rabbit.Settings
	rabbitCfg   conf.RabbitConfig
	topology    Topology
	prefetch    int
	concurrency int
	handler     Handler
	onReady     func()

	Stats ListenerStats

	consuming atomic.Bool // every queue has a consumer on a live channel
	// slots record when each handler goroutine started its delivery
	// (nanoseconds since epoch+1; 0 = idle), and the waiters of the current
	// consume session when the deliveries whose Waits run started, for
	// OldestInFlight.
	slots []atomic.Int64
	waits atomic.Pointer[waiters]
	epoch time.Time

	cancel   context.CancelFunc
	stopped  chan struct{}
	workCtx  context.Context
	stopWork context.CancelFunc
}

// ListenerSettings configure a Listener.
type ListenerSettings struct {
	Logger    hclog.Logger
	URL       string
	Config    *conf.Config
	Topology  Topology
	Handler   Handler
	OnReady   func() // called once, when every queue has a consumer for the first time
	Prefetch  int    // basic.qos per consumer; 0 = unlimited
	Workers   int    // concurrent handlers; default DefaultWorkers (at most Prefetch)
	Heartbeat time.Duration
}

// NewListener validates settings; nothing connects before Start.
func NewListener(s ListenerSettings) (*Listener, error) {
	eps, err := rabbit.ParseTransportURL(s.URL)
	if err != nil {
		return nil, err
	}
	rs, err := rabbit.SettingsFromConfig(s.Config)
	if err != nil {
		return nil, err
	}
	rs.ConnectionName += " listener"
	l := &Listener{
		logger:      s.Logger,
		endpoints:   eps,
		settings:    rs,
		rabbitCfg:   s.Config.Rabbit,
		topology:    s.Topology,
		prefetch:    s.Prefetch,
		concurrency: s.Workers,
		handler:     s.Handler,
		onReady:     s.OnReady,
	}
	if l.logger == nil {
		l.logger = hclog.NewNullLogger()
	}
	if l.concurrency <= 0 {
		l.concurrency = DefaultWorkers()
		if l.prefetch > 0 {
			l.concurrency = min(l.concurrency, l.prefetch)
		}
	}
	l.slots = make([]atomic.Int64, l.concurrency)
	l.epoch = time.Now()
	return l, nil
}

// Start begins connecting and consuming in the background; it returns at once.
// ctx bounds nothing after Start returns: Shutdown stops the listener.
func (l *Listener) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.workCtx, l.stopWork = context.WithCancel(context.Background())
	l.stopped = make(chan struct{})
	go func() {
		defer close(l.stopped)
		l.run(ctx)
	}()
	return nil
}

// Shutdown stops consuming, lets the deliveries in flight finish and be acked
// (until ctx expires: then their handlers are cancelled and they are requeued),
// and closes the connection. It is idempotent and safe without Start.
func (l *Listener) Shutdown(ctx context.Context) error {
	if l.cancel == nil {
		return nil
	}
	l.cancel()
	done := make(chan struct{})
	go func() {
		<-l.stopped
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		l.stopWork()
		<-done
		return fmt.Errorf("listener: drain: %w", ctx.Err())
	}
}

// run is the connection loop: connect, consume until the connection or channel
// fails or ctx is cancelled, back off, repeat.
func (l *Listener) run(ctx context.Context) {
	defer l.stopWork()
	readyOnce := sync.Once{}
	ready := func() {
		readyOnce.Do(func() {
			if l.onReady != nil {
				l.onReady()
			}
		})
	}
	rabbit.Redial(ctx, rabbit.DialWire, l.endpoints, l.settings, func(n int) time.Duration { return rabbit.Backoff(l.rabbitCfg, n) },
		func(ctx context.Context, conn *wire.Conn, reconnected bool, ep rabbit.Endpoint) error {
			if reconnected {
				l.logger.Info("reconnected to the broker", "endpoint", ep.String())
				l.Stats.Reconnects.Add(1)
			}
			return l.consume(ctx, conn, ready)
		},
		func(err error, retryIn time.Duration) {
			l.logger.Warn("connection to the broker lost; retrying", "error", err, "retry_in", retryIn.String())
		})
}

// consume declares the topology on a fresh channel and consumes every queue
// until ctx is cancelled (graceful stop: returns nil after draining) or the
// channel fails (returns the error; deliveries in flight are redelivered by the
// broker).
func (l *Listener) consume(ctx context.Context, conn *wire.Conn, ready func()) error {
	// The set-up's calls wait for the broker's answers; a broker that stalls
	// one (heartbeats still flowing) must not hold a stop up: until the
	// consumers run, ctx's end closes the connection. Nothing is in flight
	// yet, so nothing is redelivered.
	stopSetup := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stopSetup()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Qos(l.prefetch); err != nil {
		return fmt.Errorf("basic.qos: %w", err)
	}
	if err := declare(conn, ch, l.topology); err != nil {
		return err
	}
	// A small fixed pool of handler goroutines (few deep stacks), fed
	// directly by the connection's reader; the handlers' Waits run on
	// goroutines of their own; outcomes are settled through the channel's
	// acker.
	acks := newAcker(ch, &l.Stats, l.behindLimit())
	var dead atomic.Bool // the channel failed: what is still buffered cannot be acked
	// The reader may still be handing a delivery over when a consume fails:
	// hand-overs hold feed, and jobs is closed under it once feeding ends.
	jobs := make(chan amqp.Delivery)
	var feed sync.Mutex
	feeding := true // guarded by feed
	var handlers sync.WaitGroup
	waits := &waiters{idle: make(chan pendingWait), run: func(w pendingWait) {
		out, reason := w.wait(l.workCtx)
		acks.settle(w.tag, out, reason)
	}}
	l.waits.Store(waits)
	for i := range l.concurrency {
		handlers.Go(func() { l.handle(i, acks, jobs, &dead, waits) })
	}
	// drain waits for the consumers to end, then for every delivery they
	// handed over to be handled and settled.
	var ended []<-chan struct{}
	allEnded := func() {
		for _, e := range ended {
			<-e
		}
	}
	drain := func() {
		allEnded()
		feed.Lock()
		feeding = false
		close(jobs)
		feed.Unlock()
		handlers.Wait()
		waits.close()
		acks.finish()
	}
	var tags []string
	for i, q := range l.topology.Queues() {
		tag := "agent-notification-" + strconv.Itoa(i) + "-" + q
		e, err := ch.Consume(q, tag, func(d *amqp.Delivery) {
			if dead.Load() {
				return // dropped: the broker redelivers it
			}
			feed.Lock()
			if feeding {
				jobs <- *d // the handlers run until jobs closes: this ends
			}
			feed.Unlock()
		})
		if err != nil {
			dead.Store(true)
			_ = ch.Close() // ends the consumers already started
			drain()
			return fmt.Errorf("consume %q: %w", q, err)
		}
		tags = append(tags, tag)
		ended = append(ended, e)
	}
	// From here a stop drains (see below); if it came during the set-up,
	// the connection is closing and the drain finds it ended.
	stopSetup()
	consumed := make(chan struct{})
	go func() {
		allEnded()
		close(consumed)
	}()
	l.consuming.Store(true)
	ready()
	rabbit.PaceReads(conn) // set-up done: deliveries stream in

	var chErr error
	cancelled := false // by the broker, every consumer, on a live channel
	select {
	case <-consumed:
		// The consumers ended before the channel's end was seen: say why.
		switch {
		case ch.IsClosed():
			chErr = fmt.Errorf("channel closed: %v", ch.Err())
		case conn.Err() != nil:
			chErr = fmt.Errorf("connection closed: %v", conn.Err())
		default:
			cancelled = true
		}
	case <-ch.Done():
		chErr = fmt.Errorf("channel closed: %v", ch.Err())
	case <-conn.Done():
		chErr = fmt.Errorf("connection closed: %v", conn.Err())
	case <-ctx.Done():
		// Graceful stop: no new deliveries; the ones already pushed by the
		// broker (up to the prefetch) are processed, then the channel closes.
		_ = ch.Cancel(tags...)
	}
	l.consuming.Store(false)
	if chErr != nil {
		// The consumers ended with the channel; what was handed over but not
		// yet handled is dropped (it cannot be acked: the broker redelivers
		// it).
		dead.Store(true)
	}
	drain()
	_ = ch.Close()
	if cancelled {
		// What the consumers handed over was processed and acked; reconnect.
		return errors.New("the broker cancelled every consumer (queues deleted?)")
	}
	return chErr
}

// DefaultWorkers is the default number of handler goroutines of a listener:
// enough to keep the CPUs busy while some handlers block on a synchronous
// publisher (file://, the partition hop), few enough that their deep stacks
// stay a small part of the memory. Deliveries waiting for confirms do not hold
// a handler (see Handler).
func DefaultWorkers() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// behindLimit is how many finished acks may wait behind an unfinished
// delivery before they are acked one by one: half the window the broker
// fills (the prefetch of one consumer, or the handlers when unlimited).
func (l *Listener) behindLimit() int {
	w := l.prefetch
	if w <= 0 {
		w = l.concurrency
	}
	return max(w/2, 1)
}

// handle is handler goroutine i: it runs the handler on each delivery and
// hands the outcome to the acker, or the handler's Wait to waits.
func (l *Listener) handle(i int, acks *acker, jobs <-chan amqp.Delivery, dead *atomic.Bool, waits *waiters) {
	// One Delivery per handler goroutine, reused: the handler gets its
	// address, which made a variable per iteration escape — a heap copy of
	// every delivery (Handler must not keep the pointer).
	var d amqp.Delivery
	for d = range jobs {
		if dead.Load() {
			continue
		}
		start := int64(time.Since(l.epoch)) + 1
		l.slots[i].Store(start)
		// In flight before received, settled before out of flight (the acker
		// leaves it in flight until its ack is sent): see ListenerStats.
		l.Stats.InFlight.Add(1)
		l.Stats.Received.Add(1)
		out, reason, wait := l.handler(l.workCtx, &d)
		l.slots[i].Store(0)
		if wait == nil {
			acks.settle(d.DeliveryTag, out, reason)
			continue
		}
		waits.submit(pendingWait{tag: d.DeliveryTag, start: start, wait: wait})
	}
}

// pendingWait is a delivery whose handler returned a Wait.
type pendingWait struct {
	tag   uint64
	start int64 // when its handling started (see Listener.slots)
	wait  Wait
}

// waiters run the Waits of a consume session, each on a goroutine of its own
// as Handler promises, but reusing the goroutines: a Wait goes to an idle
// waiter when there is one, else to a new waiter, which then stays for the
// next ones. A goroutine per Wait was created, grew its stack and exited for
// every notification (3-4 % of the CPU under load); the waiters number the
// most Waits ever pending at once (bounded by the prefetch), as the
// goroutines did at that moment.
type waiters struct {
	run  func(pendingWait)
	idle chan pendingWait // unbuffered: a send succeeds when a waiter is idle
	wg   sync.WaitGroup

	mu    sync.Mutex
	slots []*atomic.Int64 // per waiter: the start of the Wait it runs, 0 when idle
}

func (ws *waiters) submit(w pendingWait) {
	select {
	case ws.idle <- w:
	default:
		slot := new(atomic.Int64)
		ws.mu.Lock()
		ws.slots = append(ws.slots, slot)
		ws.mu.Unlock()
		ws.wg.Go(func() {
			ws.runIn(slot, w)
			for w := range ws.idle {
				ws.runIn(slot, w)
			}
		})
	}
}

func (ws *waiters) runIn(slot *atomic.Int64, w pendingWait) {
	slot.Store(w.start)
	ws.run(w)
	slot.Store(0)
}

// oldest returns the earliest start of the Waits running, 0 when none.
func (ws *waiters) oldest() int64 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var o int64
	for _, slot := range ws.slots {
		if at := slot.Load(); at != 0 && (o == 0 || at < o) {
			o = at
		}
	}
	return o
}

// close lets the waiters end once their Waits are done, and waits for them.
// No submit may follow.
func (ws *waiters) close() {
	close(ws.idle)
	ws.wg.Wait()
}

// Consuming reports whether the listener consumes every queue right now (false
// before the first connection, while reconnecting, and once stopping).
func (l *Listener) Consuming() bool { return l.consuming.Load() }

// OldestInFlight returns how long the oldest delivery in flight has been
// handled, or 0 when none is.
func (l *Listener) OldestInFlight() time.Duration {
	var oldest int64
	if ws := l.waits.Load(); ws != nil {
		oldest = ws.oldest()
	}
	for i := range l.slots {
		if v := l.slots[i].Load(); v != 0 && (oldest == 0 || v < oldest) {
			oldest = v
		}
	}
	if oldest == 0 {
		return 0
	}
	return max(time.Since(l.epoch)-time.Duration(oldest-1), 0)
}

// declare declares the exchanges, queues and bindings of t on ch exactly as
// oslo.messaging's rabbit driver does for a notification listener. Every one is
// sent without waiting for its reply, then one synchronous call confirms them
// all: waiting for each (15 exchanges, 7 queues, 105 bindings by default) made
// every start and reconnection wait about 130 round trips to the broker. When
// that fails, the declarations are replayed one by one on a fresh channel of
// conn, so the error names the one the broker refuses.
func declare(conn *wire.Conn, ch *wire.Channel, t Topology) error {
	err := declareAll(ch, t, true)
	if err == nil {
		err = confirmDeclared(ch, t)
	}
	if err == nil {
		return nil
	}
	// Replay them one by one on a fresh channel to name the one that fails.
	dch, derr := conn.Channel()
	if derr != nil {
		return fmt.Errorf("declare the topology: %w", err)
	}
	defer dch.Close()
	if derr := declareAll(dch, t, false); derr != nil {
		return derr
	}
	return fmt.Errorf("declare the topology: %w", err)
}

// confirmDeclared waits until the broker handled what declareAll sent without
// waiting: it handles a channel's methods in order, so once a synchronous
// (passive) declaration of the last entity is answered, every declaration
// before it was applied — or one failed and closed the channel.
func confirmDeclared(ch *wire.Channel, t Topology) error {
	switch {
	case len(t.Topics) > 0 && len(t.Priorities) > 0:
		last := t.Topics[len(t.Topics)-1] + "." + t.Priorities[len(t.Priorities)-1]
		return ch.QueueDeclare(last, wire.DeclareOptions{Durable: t.Durable, AutoDelete: t.AutoDelete, Passive: true, Args: t.QueueArgs})
	case len(t.Exchanges) > 0:
		return ch.ExchangeDeclare(t.Exchanges[len(t.Exchanges)-1], amqp.ExchangeTopic, wire.DeclareOptions{Durable: t.Durable, AutoDelete: t.AutoDelete, Passive: true})
	}
	return nil
}

// declareAll declares t's exchanges, queues and bindings on ch, without
// waiting for the broker's replies when noWait.
func declareAll(ch *wire.Channel, t Topology, noWait bool) error {
	for _, ex := range t.Exchanges {
		if err := ch.ExchangeDeclare(ex, amqp.ExchangeTopic, wire.DeclareOptions{Durable: t.Durable, AutoDelete: t.AutoDelete, NoWait: noWait}); err != nil {
			return explainDeclare("exchange", ex, err)
		}
	}
	for _, topic := range t.Topics {
		for _, p := range t.Priorities {
			q := topic + "." + p
			if err := ch.QueueDeclare(q, wire.DeclareOptions{Durable: t.Durable, AutoDelete: t.AutoDelete, NoWait: noWait, Args: t.QueueArgs}); err != nil {
				return explainDeclare("queue", q, err)
			}
			for _, ex := range t.Exchanges {
				if err := ch.QueueBind(q, q, ex, noWait); err != nil {
					return fmt.Errorf("bind queue %q to %q: %w", q, ex, err)
				}
			}
		}
	}
	return nil
}

// explainDeclare wraps a declaration error; a PRECONDITION_FAILED means the
// entity exists with other properties, which in practice is a mismatch of
// oslo.messaging options between this agent and the services (or Ceilometer).
func explainDeclare(kind, name string, err error) error {
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.PreconditionFailed {
		return fmt.Errorf("declare %s %q: it exists with other properties — [oslo_messaging_rabbit] amqp_durable_queues, amqp_auto_delete, rabbit_ha_queues and rabbit_quorum_queue must match the services that declared it: %w", kind, name, err)
	}
	return fmt.Errorf("declare %s %q: %w", kind, name, err)
}
