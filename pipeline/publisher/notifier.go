package publisher

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbit/wire"
	"github.com/openstack-go/agent-notification/internal/ratelog"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/internal/wait"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Policies of the notifier:// publisher (URL option policy).
const (
	PolicyDefault = "default" // retry until published (or shutdown): nothing is acked before it is published
	PolicyDrop    = "drop"    // one attempt; on failure the data is dropped (logged, counted) and the notification acked
	PolicyQueue   = "queue"   // on failure keep the data in a bounded in-memory queue (max_queue_length, oldest dropped)
)

// Notifier is Ceilometer's notifier:// publisher: it publishes each batch of
// samples (or events) as one oslo notification — priority SAMPLE, event_type
// the topic ("metering" / "event"), publisher_id telemetry.publisher.<host>,
// payload the list of signed sample (event) dicts — on the control exchange with
// routing key <topic>.sample, declaring that exchange and the <topic>.sample
// queue as oslo.messaging's notifier does. Publishes use publisher confirms and
// return once the broker confirmed.
type Notifier struct {
	logger        hclog.Logger
	endpoints     []rabbit.Endpoint
	settings      rabbit.Settings
	rabbitCfg     conf.RabbitConfig
	exchange      string
	keys          []string // the routing key (and queue) of each topic: <topic>.sample
	eventType     string   // default topic: the event_type of published messages
	publisherID   string
	secret        string
	envelope      bool
	noop          bool
	policy        string
	maxQueue      int
	perMeterTopic bool

	mu       sync.Mutex // guards the connection state below
	conn     *wire.Conn
	ch       *wire.Channel
	gen      uint64
	next     int // endpoint to try first (round-robin failover)
	failures int // consecutive connection failures (back-off)
	closed   bool
	queue    [][]byte // PolicyQueue: bodies waiting to be republished

	published atomic.Uint64
	dropped   atomic.Uint64
	// warnings bounds the per-publish failure lines of policies drop and
	// queue (every failure is counted in dropped/queue) and of nacked retries.
	warnings *ratelog.Limiter
}

func newNotifier(_ context.Context, s Settings, u *url.URL) (Publisher, error) {
	c := s.Config
	q := u.Query()
	n := &Notifier{
		logger:      s.Logger,
		rabbitCfg:   c.Rabbit,
		exchange:    c.ControlExchange,
		publisherID: "telemetry.publisher." + c.Host,
		secret:      c.Publisher.TelemetrySecret,
		policy:      lastQuery(q, "policy", PolicyDefault),
		envelope:    true,
		warnings:    ratelog.New(5, 10*time.Second),
	}
	n.eventType = c.Publisher.MeteringTopic
	if s.Purpose == PurposeEvent {
		n.eventType = c.Publisher.EventTopic
	}
	topics := q["topic"]
	if len(topics) == 0 {
		topics = []string{n.eventType}
	}
	for _, topic := range topics {
		n.keys = append(n.keys, topic+".sample")
	}
	switch n.policy {
	case PolicyDefault, PolicyDrop, PolicyQueue:
	default:
		n.logger.Warn("publishing policy is unknown, forced to default", "policy", n.policy)
		n.policy = PolicyDefault
	}
	var err error
	if n.maxQueue, err = strconv.Atoi(lastQuery(q, "max_queue_length", "1024")); err != nil {
		return nil, fmt.Errorf("notifier:// max_queue_length: %w", err)
	}
	if v := lastQuery(q, "per_meter_topic", "0"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("notifier:// per_meter_topic: %w", err)
		}
		n.perMeterTopic = i != 0
	}
	switch c.Publisher.TelemetryDriver {
	case "messagingv2", "":
	case "messaging":
		n.envelope = false
	case "noop":
		n.noop = true
	default:
		return nil, fmt.Errorf("notifier://: [publisher_notifier] telemetry_driver %q is not supported (messagingv2, messaging or noop)", c.Publisher.TelemetryDriver)
	}
	transport := c.PublishURL()
	if u.Host != "" {
		driver := lastQuery(q, "driver", "rabbit")
		rest := url.Values{}
		for k, v := range q {
			switch k {
			case "topic", "driver", "policy", "max_queue_length", "per_meter_topic", "max_retry":
			default:
				rest[k] = v
			}
		}
		transport = driver + "://" + u.User.String() + "@" + u.Host + u.Path
		if u.User == nil {
			transport = driver + "://" + u.Host + u.Path
		}
		if len(rest) > 0 {
			transport += "?" + rest.Encode()
		}
	}
	if n.endpoints, err = rabbit.ParseTransportURL(transport); err != nil {
		return nil, fmt.Errorf("notifier://: %w", err)
	}
	if n.settings, err = rabbit.SettingsFromConfig(c); err != nil {
		return nil, fmt.Errorf("notifier://: %w", err)
	}
	n.settings.ConnectionName += " publisher"
	return n, nil
}

// Start connects eagerly so that a broker problem shows at start-up; a failure
// is not fatal (publishes reconnect).
func (n *Notifier) Start(ctx context.Context) error {
	if n.noop {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, _, err := n.channel(cctx); err != nil {
		n.logger.Warn("broker not reachable yet; publishes will retry", "error", err)
	}
	return nil
}

// Shutdown closes the connection. Publishes still waiting fail with an error
// (their notifications are requeued by the listener).
func (n *Notifier) Shutdown(context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	if n.conn != nil {
		_ = n.conn.Close() // waits for the broker's close-ok (bounded)
		n.conn, n.ch = nil, nil
	}
	return nil
}

// PublishSamples publishes the samples of one notification.
func (n *Notifier) PublishSamples(ctx context.Context, samples []pipeline.Sample) error {
	if len(samples) == 0 || n.noop {
		return nil
	}
	// Written straight from the samples (Sample.AppendMessage), signed once.
	all := &payload{samples: samples, signatures: make([]string, len(samples))}
	for i := range samples {
		all.signatures[i] = pipeline.SampleSignature(n.secret, &samples[i])
	}
	if err := n.send(ctx, n.eventType, all); err != nil {
		return err
	}
	if !n.perMeterTopic {
		return nil
	}
	byMeter := map[string]*payload{}
	for i := range samples {
		p := byMeter[samples[i].Name]
		if p == nil {
			p = &payload{}
			byMeter[samples[i].Name] = p
		}
		p.samples = append(p.samples, samples[i])
		p.signatures = append(p.signatures, all.signatures[i])
	}
	names := make([]string, 0, len(byMeter))
	for k := range byMeter {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := n.send(ctx, n.eventType+"."+name, byMeter[name]); err != nil {
			return err
		}
	}
	return nil
}

// PublishEvents publishes the events of one notification as one message.
func (n *Notifier) PublishEvents(ctx context.Context, events []pipeline.Event) error {
	if len(events) == 0 || n.noop {
		return nil
	}
	// Written straight from the events (Event.AppendMessage): building
	// each message's dict tree cost some thirty allocations per event.
	p := &payload{events: events, signatures: make([]string, len(events))}
	for i := range events {
		p.signatures[i] = pipeline.EventSignature(n.secret, &events[i])
	}
	return n.send(ctx, n.eventType, p)
}

// payload is the list a message carries: samples or events with their
// signatures, written without building their messages (or, from Encode,
// values).
type payload struct {
	values     []pyjson.Value
	samples    []pipeline.Sample
	events     []pipeline.Event
	signatures []string // of the samples or events
}

func (p *payload) len() int { return len(p.values) + len(p.samples) + len(p.events) }

// appendMember appends the member "payload": [...] in w's form.
func (p *payload) appendMember(b []byte, w *pyjson.ObjectWriter) []byte {
	if p.values != nil {
		return w.List(b, "payload", p.values)
	}
	b = append(w.Key(b, "payload"), '[')
	for i := range p.samples {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = p.samples[i].AppendMessage(b, w, p.signatures[i])
	}
	for i := range p.events {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = p.events[i].AppendMessage(b, w, p.signatures[i])
	}
	return append(b, ']')
}

// Encode renders one oslo notification as the bytes oslo.messaging's rabbit
// driver puts on the wire for Notifier.sample({}, event_type, payload): the
// message dict (message_id, publisher_id, event_type, priority, payload,
// timestamp, _unique_id) JSON-encoded inside the 2.0 envelope.
func Encode(dst []byte, publisherID, eventType string, values []pyjson.Value, now time.Time, envelope bool) []byte {
	return encode(dst, uuid.New(), uuid.NewHex(), publisherID, eventType, &payload{values: values}, PythonTime(now), envelope)
}

func encode(dst []byte, messageID, uniqueID, publisherID, eventType string, p *payload, timestamp string, envelope bool) []byte {
	if envelope {
		// json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(msg)}),
		// the inner document written already quoted (one pass).
		dst = append(dst, `{"oslo.version": "2.0", "oslo.message": "`...)
	}
	w := pyjson.NewObjectWriter(envelope)
	dst = w.String(dst, "message_id", messageID)
	dst = w.String(dst, "publisher_id", publisherID)
	dst = w.String(dst, "event_type", eventType)
	dst = w.String(dst, "priority", "SAMPLE")
	dst = p.appendMember(dst, &w)
	dst = w.String(dst, "timestamp", timestamp)
	dst = w.String(dst, "_unique_id", uniqueID)
	dst = w.End(dst)
	if envelope {
		dst = append(dst, '"', '}')
	}
	return dst
}

// scratch holds the buffers message bodies are encoded into, reused across
// publishes; buffers grown beyond maxPooled are left to the GC so one huge
// notification does not pin its memory.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooled = 256 << 10

// putScratch returns buf (grown from *bp) to the pool.
func putScratch(bp *[]byte, buf []byte) {
	if cap(buf) <= maxPooled {
		*bp = buf[:0]
		scratch.Put(bp)
	}
}

// PythonTime renders t (in UTC) as Python's str(datetime): "2026-11-25 10:00:00.123456",
// without the fraction when the microseconds are zero.
func PythonTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

func (n *Notifier) send(ctx context.Context, eventType string, payload *payload) error {
	if n.policy == PolicyQueue {
		// The body may stay queued: it gets its own memory.
		return n.sendQueued(ctx, encode(nil, uuid.New(), uuid.NewHex(), n.publisherID, eventType, payload, PythonTime(time.Now()), n.envelope))
	}
	// One message: a retry sends the same bytes (oslo retries the same
	// message).
	messageID, uniqueID, ts := uuid.New(), uuid.NewHex(), PythonTime(time.Now())
	body := func(dst []byte) []byte {
		return encode(dst, messageID, uniqueID, n.publisherID, eventType, payload, ts, n.envelope)
	}
	if d := deferredFrom(ctx); d != nil {
		// Publish now, confirm later: the caller's Deferred waits. A retry
		// needs the bytes, not the payload, so only a copy of the body (see
		// keepCopy) stays alive while the confirm is awaited.
		confirms, gen, kept, err := n.publish(ctx, body, true)
		if err == nil {
			datapoints := payload.len() // the wait must not capture payload
			d.add(func(ctx context.Context) error {
				defer releaseKept(kept)
				err := n.confirm(ctx, gen, confirms)
				if err == nil {
					n.published.Add(1)
					return nil
				}
				return n.publishUntilConfirmed(ctx, func(dst []byte) []byte { return append(dst, *kept...) }, 1, err, datapoints)
			})
			return nil
		}
		return n.publishUntilConfirmed(ctx, body, 1, err, payload.len())
	}
	return n.publishUntilConfirmed(ctx, body, 0, nil, payload.len())
}

// publishUntilConfirmed publishes (from attempt on; attempt > 0 follows the
// failure err) until the broker confirms — or, with policy=drop, after the
// first failure drops the message — or ctx ends.
func (n *Notifier) publishUntilConfirmed(ctx context.Context, body func(dst []byte) []byte, attempt int, err error, datapoints int) error {
	for ; ; attempt++ {
		if attempt > 0 {
			if n.policy == PolicyDrop {
				n.dropped.Add(1)
				if n.warnings.Allow() {
					n.logger.Warn("failed to publish, dropping it (policy=drop)", "datapoints", datapoints, "error", err)
				}
				return nil
			}
			if ctx.Err() != nil {
				return fmt.Errorf("notifier://: publish: %w", err)
			}
			if errors.Is(err, errNacked) && n.warnings.Allow() {
				// The channel stays (see confirm): say why the retries.
				n.logger.Warn("the broker refused a message (nack); retrying it", "datapoints", datapoints, "attempt", attempt)
			}
			if !wait.Sleep(ctx, rabbit.Backoff(n.rabbitCfg, attempt-1)) {
				return fmt.Errorf("notifier://: publish: %w (gave up: %v)", err, ctx.Err())
			}
		}
		if err = n.publishAll(ctx, body); err == nil {
			n.published.Add(1)
			return nil
		}
	}
}

// sendQueued implements policy=queue: queued bodies go first; on failure the
// body joins the queue (bounded, oldest dropped) and the call succeeds.
func (n *Notifier) sendQueued(ctx context.Context, body []byte) error {
	n.mu.Lock()
	n.queue = append(n.queue, body)
	pending := n.queue
	n.queue = nil
	n.mu.Unlock()
	for i, b := range pending {
		if err := n.publishAll(ctx, func(dst []byte) []byte { return append(dst, b...) }); err != nil {
			n.mu.Lock()
			n.queue = append(pending[i:], n.queue...)
			if over := len(n.queue) - n.maxQueue; n.maxQueue > 0 && over > 0 {
				n.queue = n.queue[over:]
				n.dropped.Add(uint64(over))
				if n.warnings.Allow() {
					n.logger.Warn("publisher max local queue length is exceeded, dropping oldest", "count", over)
				}
			}
			n.mu.Unlock()
			if n.warnings.Allow() {
				n.logger.Warn("failed to publish, queued (policy=queue)", "error", err)
			}
			return nil
		}
		n.published.Add(1)
	}
	return nil
}

var errNacked = errors.New("broker nacked the message")

// publishAll publishes the body that encode appends once on every topic and
// waits for the confirms.
func (n *Notifier) publishAll(ctx context.Context, encode func(dst []byte) []byte) error {
	confirms, gen, _, err := n.publish(ctx, encode, false)
	if err != nil {
		return err
	}
	return n.confirm(ctx, gen, confirms)
}

// publish publishes the body that encode appends once on every topic, without
// waiting for the confirms. The body is encoded into a pooled buffer, released
// as soon as it has been framed; with keep, a copy of it is returned
// (keepCopy: an encode buffer is sized for the largest message it ever held,
// and the copies stay alive until their confirms arrive).
func (n *Notifier) publish(ctx context.Context, encode func(dst []byte) []byte, keep bool) (confirms []*wire.Confirmation, gen uint64, kept *[]byte, err error) {
	ch, gen, err := n.channel(ctx)
	if err != nil {
		return nil, 0, nil, err
	}
	bp := scratch.Get().(*[]byte)
	body := encode((*bp)[:0])
	defer putScratch(bp, body)
	confirms = make([]*wire.Confirmation, 0, len(n.keys))
	msg := amqp.Publishing{
		ContentType:     "application/json",
		ContentEncoding: "utf-8",
		DeliveryMode:    amqp.Persistent,
		Body:            body,
	}
	for _, key := range n.keys {
		// Mandatory: should <topic>.sample have gone (deleted, auto-deleted)
		// the broker returns the message instead of dropping it, and the
		// retry reconnects, which declares the queue again.
		dc, err := ch.PublishMandatory(n.exchange, key, &msg)
		if err != nil {
			n.fail(gen, err)
			return nil, 0, nil, err
		}
		confirms = append(confirms, dc)
	}
	if keep {
		kept = keepCopy(body)
	}
	return confirms, gen, kept, nil
}

// confirm waits for the confirms of one publish; a return or a lost channel
// discards the channel of generation gen.
func (n *Notifier) confirm(ctx context.Context, gen uint64, confirms []*wire.Confirmation) error {
	for _, dc := range confirms {
		ok, err := dc.Wait(ctx)
		if err == nil && !ok {
			err = errNacked
		}
		// A lost channel is discarded, and so is one that returned a
		// message: reconnecting declares the queue again. A nack (a full
		// queue refusing it) leaves the channel and the other messages on
		// it alone: only this message is retried. So does ctx's end.
		if errors.Is(err, wire.ErrConfirmLost) || errors.Is(err, wire.ErrReturned) {
			n.fail(gen, err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// channel returns the current confirm-mode channel, connecting (and declaring
// the exchange and <topic>.sample queues) when there is none.
func (n *Notifier) channel(ctx context.Context) (*wire.Channel, uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, 0, errors.New("notifier://: publisher is shut down")
	}
	if n.ch != nil && !n.ch.IsClosed() {
		return n.ch, n.gen, nil
	}
	if n.conn != nil {
		_ = n.conn.Close()
		n.conn, n.ch = nil, nil
	}
	conn, idx, err := rabbit.DialWire(ctx, n.endpoints, n.next, n.settings)
	if err != nil {
		n.failures++
		n.next++
		return nil, 0, err
	}
	// A broker that stalls a declaration (heartbeats still flowing) must not
	// hold every publish behind n.mu past the caller's ctx: its end closes
	// the connection, which ends the call.
	stopSetup := context.AfterFunc(ctx, func() { _ = conn.Close() })
	ch, err := n.setup(conn)
	if !stopSetup() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = conn.Close()
		n.failures++
		return nil, 0, err
	}
	if n.failures > 0 {
		n.logger.Info("connected to the broker", "endpoint", n.endpoints[idx].String(), "after_failures", n.failures)
	}
	n.failures = 0
	n.next = idx
	rabbit.PaceReads(conn) // confirms stream in from now on
	n.conn, n.ch = conn, ch
	n.gen++
	return ch, n.gen, nil
}

func (n *Notifier) setup(conn *wire.Conn) (*wire.Channel, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	durable := rabbit.Durable(n.rabbitCfg)
	args, err := rabbit.QueueArgs(n.rabbitCfg)
	if err != nil {
		return nil, err
	}
	if err := ch.ExchangeDeclare(n.exchange, amqp.ExchangeTopic, wire.DeclareOptions{Durable: durable, AutoDelete: n.rabbitCfg.AutoDelete}); err != nil {
		return nil, fmt.Errorf("declare exchange %q: %w", n.exchange, err)
	}
	for _, key := range n.keys {
		if err := ch.QueueDeclare(key, wire.DeclareOptions{Durable: durable, AutoDelete: n.rabbitCfg.AutoDelete, Args: args}); err != nil {
			return nil, fmt.Errorf("declare queue %q: %w", key, err)
		}
		if err := ch.QueueBind(key, key, n.exchange, false); err != nil {
			return nil, fmt.Errorf("bind queue %q: %w", key, err)
		}
	}
	if err := ch.Confirm(); err != nil {
		return nil, fmt.Errorf("confirm mode: %w", err)
	}
	return ch, nil
}

// fail discards the channel of generation gen after an error, so the next
// publish reconnects; a failed channel is never reused.
func (n *Notifier) fail(gen uint64, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.gen != gen || n.conn == nil {
		return
	}
	n.logger.Warn("publish failed; reconnecting", "error", err)
	_ = n.conn.Close()
	n.conn, n.ch = nil, nil
}

// Stats returns the messages published and dropped so far.
func (n *Notifier) Stats() (published, dropped uint64) {
	return n.published.Load(), n.dropped.Load()
}

var (
	_ Publisher = (*Notifier)(nil)
)
