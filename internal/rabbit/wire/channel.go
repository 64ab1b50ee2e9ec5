package wire

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Channel is an open AMQP channel of a Conn.
type Channel struct {
	c  *Conn
	id uint16

	rpc   sync.Mutex // one synchronous method at a time
	reply chan reply // the reader's answer to it

	mu        sync.Mutex
	consumers map[string]*consumer
	closing   bool // Close sent channel.close: deliveries are dropped
	// brokerClosed: the broker sent channel.close and was answered; Close
	// must not send its own then (the broker would take it for a method
	// on a channel that is not open).
	brokerClosed bool
	ended        bool
	err          error
	done         chan struct{}

	conf confirms // publisher confirms (publish.go)

	// shut: channel.close or its close-ok was written; nothing more may be
	// written on the channel (the broker would take a frame after it for
	// one on a channel not open, and close the connection). Guarded by the
	// connection's write lock, under which it is set in the same critical
	// section as that frame is written.
	shut bool
	// closeOkSent: our close-ok to the broker's channel.close is out. When
	// the closes cross, the peer that sent channel.close still answers the
	// other's with close-ok (RabbitMQ waits for it), so close-ok may follow
	// our own channel.close, once.
	closeOkSent bool

	// The reader's state (only the reader goroutine touches it): the
	// delivery whose content is being read.
	expect byte // frameHeader or frameBody while content is due, else 0
	dlv    amqp.Delivery
	cons   *consumer // nil: the delivery is dropped (channel closing, unknown consumer)
	size   uint64    // the body's size, from its header
	off    uint64    // bytes of it read so far
	names  map[string]string
}

type reply struct {
	class, method uint16
	args          []byte // a copy of the reply's arguments
}

type consumer struct {
	tag     string
	deliver func(*amqp.Delivery)
	ended   chan struct{}
}

func newChannel(c *Conn, id uint16) *Channel {
	return &Channel{c: c, id: id, reply: make(chan reply, 1), consumers: map[string]*consumer{}, done: make(chan struct{}), names: map[string]string{}}
}

// Done is closed once the channel is closed (by Close, by the broker, or with
// its connection); Err then says why.
func (ch *Channel) Done() <-chan struct{} { return ch.done }

// IsClosed reports whether the channel has closed.
func (ch *Channel) IsClosed() bool {
	select {
	case <-ch.done:
		return true
	default:
		return false
	}
}

// Err returns why the channel closed: the broker's *amqp.Error, its
// connection's end, or amqp.ErrClosed after Close; nil while it is open.
func (ch *Channel) Err() error {
	select {
	case <-ch.done:
		return ch.err
	default:
		return nil
	}
}

// end closes the channel and every consumer on it. Only the reader calls it
// (or readLoop once the reader stopped), so no delivery is handed over after
// a consumer's ended channel closed.
func (ch *Channel) end(err error) {
	ch.mu.Lock()
	if ch.ended {
		ch.mu.Unlock()
		return
	}
	ch.ended = true
	ch.err = err
	cons := ch.consumers
	ch.consumers = nil
	ch.mu.Unlock()
	for _, k := range cons {
		close(k.ended)
	}
	ch.conf.close()
	close(ch.done)
}

// call sends a synchronous method and waits for its reply.
func (ch *Channel) call(class, method, want uint16, args func(*encoder)) ([]byte, error) {
	return ch.callThen(class, method, want, args, nil)
}

// callThen is call, running sent (when not nil) under the connection's write
// lock right after the method is written.
func (ch *Channel) callThen(class, method, want uint16, args func(*encoder), sent func()) ([]byte, error) {
	ch.rpc.Lock()
	defer ch.rpc.Unlock()
	select {
	case <-ch.done:
		return nil, ch.err
	case <-ch.reply: // stale: an answer nobody waited for
	default:
	}
	c := ch.c
	c.wmu.Lock()
	var err error = amqp.ErrClosed
	if !ch.shut {
		c.wbuf = appendMethod(c.wbuf[:0], ch.id, class, method, args)
		if err = c.writeLocked(c.wbuf); err == nil && sent != nil {
			sent()
		}
	}
	c.wmu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch.reply:
		if r.class != class || r.method != want {
			// The requests and replies are out of step: nothing later on
			// this connection can be trusted.
			e := protocolError(replyCommandInv, fmt.Sprintf("the broker answered %d.%d with %d.%d", class, method, r.class, r.method))
			c.fail(e)
			return nil, e
		}
		return r.args, nil
	case <-ch.done:
		return nil, ch.err
	}
}

// write sends a method on the channel unless it is shut.
func (ch *Channel) write(class, method uint16, args func(*encoder)) error {
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if ch.shut {
		return amqp.ErrClosed
	}
	c.wbuf = appendMethod(c.wbuf[:0], ch.id, class, method, args)
	return c.writeLocked(c.wbuf)
}

// writeLast sends channel.close or close-ok, after which nothing else is
// written on the channel: channel.close unless the channel is shut already,
// close-ok once, even after our own channel.close (the closes crossed).
func (ch *Channel) writeLast(class, method uint16, args func(*encoder)) error {
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if method == channelCloseOk {
		if ch.closeOkSent {
			return nil
		}
		ch.closeOkSent = true
	} else if ch.shut {
		return nil // the broker closed it first and was answered
	}
	ch.shut = true
	c.wbuf = appendMethod(c.wbuf[:0], ch.id, class, method, args)
	return c.writeLocked(c.wbuf)
}

// ignoreShut drops the error of an answer the reader could not send on a
// channel being closed: the channel's end is under way, not the
// connection's.
func ignoreShut(err error) error {
	if err == amqp.ErrClosed {
		return nil
	}
	return err
}

// DeclareOptions are the flags and arguments of exchange.declare and
// queue.declare.
type DeclareOptions struct {
	Durable, AutoDelete bool
	Passive             bool // only check that it exists (with these properties)
	NoWait              bool // do not wait for the broker's answer (a refusal closes the channel)
	Args                amqp.Table
}

// ExchangeDeclare declares an exchange of kind (topic, direct, fanout, headers).
func (ch *Channel) ExchangeDeclare(name, kind string, o DeclareOptions) error {
	if err := checkShort("exchange", name); err != nil {
		return err
	}
	var argErr error
	args := func(e *encoder) {
		e.short(0)
		e.shortstr(name)
		e.shortstr(kind)
		e.bits(o.Passive, o.Durable, o.AutoDelete, false, o.NoWait)
		argErr = e.table(o.Args)
	}
	return ch.declare(classExchange, exchangeDeclare, exchangeDeclareOk, o.NoWait, args, &argErr)
}

// QueueDeclare declares a queue (never exclusive).
func (ch *Channel) QueueDeclare(name string, o DeclareOptions) error {
	if err := checkShort("queue", name); err != nil {
		return err
	}
	var argErr error
	args := func(e *encoder) {
		e.short(0)
		e.shortstr(name)
		e.bits(o.Passive, o.Durable, false, o.AutoDelete, o.NoWait)
		argErr = e.table(o.Args)
	}
	return ch.declare(classQueue, queueDeclare, queueDeclareOk, o.NoWait, args, &argErr)
}

// QueueBind binds queue to exchange with key.
func (ch *Channel) QueueBind(queue, key, exchange string, noWait bool) error {
	for _, s := range []string{queue, key, exchange} {
		if err := checkShort("queue, exchange or routing key", s); err != nil {
			return err
		}
	}
	args := func(e *encoder) {
		e.short(0)
		e.shortstr(queue)
		e.shortstr(exchange)
		e.shortstr(key)
		e.bits(noWait)
		e.long(0) // arguments: empty table
	}
	var none error
	return ch.declare(classQueue, queueBind, queueBindOk, noWait, args, &none)
}

// declare sends a declaration, waiting for its answer unless noWait. The
// arguments are encoded into a scratch frame first, so an argument Go cannot
// encode is an error before anything is sent.
func (ch *Channel) declare(class, method, want uint16, noWait bool, args func(*encoder), argErr *error) error {
	appendMethod(nil, ch.id, class, method, args)
	if *argErr != nil {
		return fmt.Errorf("arguments: %w", *argErr)
	}
	if noWait {
		select {
		case <-ch.done:
			return ch.err
		default:
		}
		return ch.write(class, method, args)
	}
	_, err := ch.call(class, method, want, args)
	return err
}

// Qos sets the channel's prefetch count (0: unlimited).
func (ch *Channel) Qos(prefetch int) error {
	if prefetch < 0 || prefetch > math.MaxUint16 {
		return fmt.Errorf("prefetch %d: out of range 0…65535", prefetch)
	}
	_, err := ch.call(classBasic, basicQos, basicQosOk, func(e *encoder) {
		e.long(0)
		e.short(uint16(prefetch))
		e.bits(false)
	})
	return err
}

// Consume starts a consumer of queue with the given (non-empty, unique on the
// channel) tag, acknowledging explicitly. deliver is called on the
// connection's reader goroutine for each delivery, in order; it must not keep
// the pointer (the Delivery is reused) but may keep its fields, Body
// included. While deliver runs the connection reads nothing, which is the
// back-pressure: it should hand the delivery on and return. The returned
// channel is closed once no delivery will follow: after Cancel, a broker's
// cancel (queue deleted) or the channel's end.
func (ch *Channel) Consume(queue, tag string, deliver func(*amqp.Delivery)) (<-chan struct{}, error) {
	if tag == "" {
		return nil, fmt.Errorf("consume %q: empty consumer tag", queue)
	}
	for _, s := range []string{queue, tag} {
		if err := checkShort("queue or consumer tag", s); err != nil {
			return nil, err
		}
	}
	k := &consumer{tag: tag, deliver: deliver, ended: make(chan struct{})}
	ch.mu.Lock()
	if ch.ended {
		ch.mu.Unlock()
		return nil, ch.err
	}
	if ch.consumers[tag] != nil {
		ch.mu.Unlock()
		return nil, fmt.Errorf("consume %q: consumer tag %q is in use", queue, tag)
	}
	// Registered before basic.consume: the reader hands over the first
	// delivery as soon as it follows consume-ok.
	ch.consumers[tag] = k
	ch.mu.Unlock()
	_, err := ch.call(classBasic, basicConsume, basicConsumeO, func(e *encoder) {
		e.short(0)
		e.shortstr(queue)
		e.shortstr(tag)
		e.bits(false, false, false, false) // no-local, no-ack, exclusive, no-wait
		e.long(0)                          // arguments: empty table
	})
	if err != nil {
		// Every failure of the call ends the channel or the connection, and
		// with it the consumer: its ended channel is closed by the reader,
		// after any delivery it was handing over (closing it here could
		// precede one).
		return nil, err
	}
	return k.ended, nil
}

// Cancel ends the consumers tags: once it returns nil, no delivery for them
// follows (the broker sends the ones already under way before cancel-ok).
// Every basic.cancel goes out at once, before any answer: a consumer's
// cancel-ok may queue behind the deliveries the deliver functions are still
// taking, and the consumers cancelled later would meanwhile receive more. A
// tag that is not consuming (ended, never started) is skipped.
func (ch *Channel) Cancel(tags ...string) error {
	for _, tag := range tags {
		if err := checkShort("consumer tag", tag); err != nil {
			return err
		}
	}
	ch.rpc.Lock()
	defer ch.rpc.Unlock()
	// The consumers are looked up under ch.mu and the cancels written under
	// the write lock, one after the other: the reader answering the
	// broker's channel.close takes ch.mu, then the write lock.
	var cancel []string
	var ended []<-chan struct{}
	ch.mu.Lock()
	for i, tag := range tags {
		if k := ch.consumers[tag]; k != nil && !slices.Contains(tags[:i], tag) {
			cancel = append(cancel, tag)
			ended = append(ended, k.ended)
		}
	}
	ch.mu.Unlock()
	var err error
	c := ch.c
	c.wmu.Lock()
	switch {
	case len(ended) == 0:
	case ch.shut:
		err = amqp.ErrClosed
	default:
		buf := c.wbuf[:0]
		for _, tag := range cancel {
			buf = appendMethod(buf, ch.id, classBasic, basicCancel, func(e *encoder) {
				e.shortstr(tag)
				e.bits(false)
			})
		}
		c.wbuf = buf
		err = c.writeLocked(buf)
	}
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	// cancel-ok ends a consumer; the channel's end ends them all.
	for _, e := range ended {
		<-e
	}
	select {
	case <-ch.done:
		return ch.err
	default:
		return nil
	}
}

// Ack acknowledges the delivery tag (and every earlier one when multiple).
func (ch *Channel) Ack(tag uint64, multiple bool) error {
	return ch.settle(basicAck, tag, multiple, false)
}

// Nack rejects the delivery tag (and every earlier one when multiple),
// requeueing it when requeue.
func (ch *Channel) Nack(tag uint64, multiple, requeue bool) error {
	return ch.settle(basicNack, tag, multiple, requeue)
}

// Reject rejects the delivery tag, requeueing it when requeue.
func (ch *Channel) Reject(tag uint64, requeue bool) error {
	return ch.settle(basicReject, tag, requeue, false)
}

func (ch *Channel) settle(method uint16, tag uint64, b1, b2 bool) error {
	select {
	case <-ch.done:
		return amqp.ErrClosed
	default:
	}
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if ch.shut {
		return amqp.ErrClosed
	}
	e, start := beginMethod(c.wbuf[:0], ch.id, classBasic, method)
	e.longlong(tag)
	if method == basicNack {
		e.bits(b1, b2)
	} else {
		e.bits(b1)
	}
	c.wbuf = finishFrame(e.b, start)
	return c.writeLocked(c.wbuf)
}

// Close closes the channel (channel.close, then the broker's close-ok);
// deliveries arriving meanwhile are dropped (the broker requeues what was not
// acked). Consumers end.
//
// Close is not to be called from a consumer's deliver function (it waits
// for the reader, which is running that function).
func (ch *Channel) Close() error {
	// Deciding to close and sending channel.close happen under ch.mu, as
	// does the reader's answer to the broker's own channel.close: the two
	// closes may cross (each peer then answers the other's), but Close never
	// sends one after the broker's was answered.
	ch.mu.Lock()
	if ch.ended || ch.brokerClosed {
		ch.mu.Unlock()
		return nil
	}
	if !ch.closing { // else another Close sent it: wait with it
		ch.closing = true
		err := ch.writeLast(classChannel, channelClose, closeArgs(replySuccess, "closing"))
		if err != nil {
			ch.mu.Unlock()
			return err // the connection failed: its end ends the channel
		}
	}
	ch.mu.Unlock()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-ch.done:
		return nil
	case <-t.C:
		return fmt.Errorf("channel %d: the broker did not answer channel.close within %v", ch.id, closeTimeout)
	}
}

// method handles a method frame for this channel (reader goroutine).
func (ch *Channel) method(p []byte) error {
	if ch.expect != 0 {
		return protocolError(replyUnexpectedFrm, fmt.Sprintf("method frame on channel %d where content was due", ch.id))
	}
	d := decoder{b: p}
	class, method := d.short(), d.short()
	if d.err != nil {
		return d.err
	}
	switch uint32(class)<<16 | uint32(method) {
	case classBasic<<16 | basicDeliver:
		return ch.deliver(&d)
	case classChannel<<16 | channelClose:
		e := closeError(&d)
		if d.err != nil {
			return d.err
		}
		ch.mu.Lock()
		ch.brokerClosed = true
		crossed := ch.closing
		err := ch.writeLast(classChannel, channelCloseOk, nil)
		ch.mu.Unlock()
		if !crossed {
			ch.c.forget(ch)
		} // else the broker answers our channel.close too: its close-ok frees the id
		ch.end(e)
		return err
	case classChannel<<16 | channelCloseOk:
		ch.c.forget(ch)
		ch.end(amqp.ErrClosed)
		return nil
	case classChannel<<16 | channelFlow:
		active := d.octet()&1 != 0
		return ignoreShut(ch.write(classChannel, channelFlowOk, func(e *encoder) { e.bits(active) }))
	case classBasic<<16 | basicCancel:
		// The broker cancelled a consumer (its queue was deleted, …).
		tag := d.shortstr()
		noWait := d.octet()&1 != 0
		if d.err != nil {
			return d.err
		}
		ch.endConsumer(tag)
		if !noWait {
			return ignoreShut(ch.write(classBasic, basicCancelOk, func(e *encoder) { e.shortstr(tag) }))
		}
		return nil
	case classBasic<<16 | basicAck, classBasic<<16 | basicNack:
		tag := d.longlong()
		bits := d.octet()
		if d.err != nil {
			return d.err
		}
		state := confirmAcked
		if method == basicNack {
			state = confirmNacked
		}
		return ch.conf.answer(tag, bits&1 != 0, state)
	case classBasic<<16 | basicReturn:
		// A mandatory message came back unroutable; its content is read and
		// dropped, and its confirm, which follows, will say so.
		ch.conf.markReturned()
		ch.cons = nil
		ch.expect = frameHeader
		return nil
	case classBasic<<16 | basicCancelOk:
		tag := d.shortstr()
		if d.err != nil {
			return d.err
		}
		ch.endConsumer(tag) // Cancel waits for the consumers' ends, not for replies
		return nil
	case classChannel<<16 | channelOpenOk, classBasic<<16 | basicQosOk, classBasic<<16 | basicConsumeO,
		classExchange<<16 | exchangeDeclareOk, classQueue<<16 | queueDeclareOk, classQueue<<16 | queueBindOk,
		classConfirm<<16 | confirmSelectOk:
		ch.answer(class, method, p[4:])
		return nil
	default:
		return protocolError(replyCommandInv, fmt.Sprintf("unexpected method %d.%d on channel %d", class, method, ch.id))
	}
}

// answer hands a synchronous reply to the waiting call.
func (ch *Channel) answer(class, method uint16, args []byte) {
	r := reply{class: class, method: method, args: append([]byte(nil), args...)}
	select {
	case ch.reply <- r:
	default: // nobody asked; call discards it
	}
}

// endConsumer ends a consumer: no delivery for it follows.
func (ch *Channel) endConsumer(tag string) {
	ch.mu.Lock()
	k := ch.consumers[tag]
	delete(ch.consumers, tag)
	ch.mu.Unlock()
	if k != nil {
		close(k.ended)
	}
}

// deliver starts reading a delivery: basic.deliver, then its header and body
// frames.
func (ch *Channel) deliver(d *decoder) error {
	tag := d.shortstrBytes()
	deliveryTag := d.longlong()
	redelivered := d.octet()&1 != 0
	exchange := d.shortstrBytes()
	key := d.shortstrBytes()
	if d.err != nil {
		return d.err
	}
	ch.mu.Lock()
	k := ch.consumers[string(tag)]
	if ch.closing {
		k = nil
	}
	ch.mu.Unlock()
	ch.cons = k
	ch.dlv = amqp.Delivery{DeliveryTag: deliveryTag, Redelivered: redelivered, Exchange: ch.intern(exchange), RoutingKey: ch.intern(key)}
	if k != nil {
		ch.dlv.ConsumerTag = k.tag
	}
	ch.expect = frameHeader
	return nil
}

// firstBody is the most memory a content header alone makes the reader take
// for its body; a larger body grows as its frames arrive.
const firstBody = 1 << 20

// maxBody bounds the body of one delivery (RabbitMQ's own largest
// max_message_size is 512 MiB).
const maxBody = 512 << 20

// header reads a content header: the delivery's properties and body size.
func (ch *Channel) header(p []byte) error {
	if ch.expect != frameHeader {
		return protocolError(replyUnexpectedFrm, fmt.Sprintf("content header on channel %d where none was due", ch.id))
	}
	d := decoder{b: p}
	class := d.short()
	d.short() // weight
	size := d.longlong()
	flags := d.short()
	if d.err != nil {
		return d.err
	}
	if class != classBasic {
		return protocolError(replyFrameError, fmt.Sprintf("content header of class %d on channel %d", class, ch.id))
	}
	if flags&1 != 0 {
		return protocolError(replyFrameError, "content header with more property flags than basic has")
	}
	if size > maxBody {
		return protocolError(replyFrameError, fmt.Sprintf("content body of %d octets (at most %d)", size, maxBody))
	}
	v := &ch.dlv
	if flags&(1<<15) != 0 {
		v.ContentType = ch.intern(d.shortstrBytes())
	}
	if flags&(1<<14) != 0 {
		v.ContentEncoding = ch.intern(d.shortstrBytes())
	}
	if flags&(1<<13) != 0 {
		v.Headers = d.table()
	}
	if flags&(1<<12) != 0 {
		v.DeliveryMode = d.octet()
	}
	if flags&(1<<11) != 0 {
		v.Priority = d.octet()
	}
	if flags&(1<<10) != 0 {
		v.CorrelationId = d.shortstr()
	}
	if flags&(1<<9) != 0 {
		v.ReplyTo = d.shortstr()
	}
	if flags&(1<<8) != 0 {
		v.Expiration = d.shortstr()
	}
	if flags&(1<<7) != 0 {
		v.MessageId = d.shortstr()
	}
	if flags&(1<<6) != 0 {
		v.Timestamp = d.timestamp()
	}
	if flags&(1<<5) != 0 {
		v.Type = ch.intern(d.shortstrBytes())
	}
	if flags&(1<<4) != 0 {
		v.UserId = ch.intern(d.shortstrBytes())
	}
	if flags&(1<<3) != 0 {
		v.AppId = ch.intern(d.shortstrBytes())
	}
	if flags&(1<<2) != 0 {
		d.shortstrBytes() // cluster-id (reserved)
	}
	if d.err != nil {
		return d.err
	}
	ch.size, ch.off = size, 0
	if ch.cons != nil {
		// The size is the broker's word: memory beyond firstBody is only
		// taken as body frames arrive.
		v.Body = make([]byte, 0, min(size, firstBody))
	}
	if size == 0 {
		ch.finish()
		return nil
	}
	ch.expect = frameBody
	return nil
}

// body reads a body frame into the delivery's body.
func (ch *Channel) body(h frameHead) error {
	if ch.expect != frameBody {
		return protocolError(replyUnexpectedFrm, fmt.Sprintf("content body on channel %d where none was due", ch.id))
	}
	if uint64(h.size) > ch.size-ch.off {
		return protocolError(replyFrameError, fmt.Sprintf("content body on channel %d longer than its header said", ch.id))
	}
	var err error
	if ch.cons != nil {
		b := ch.dlv.Body
		if n := len(b) + int(h.size); n > cap(b) {
			b = slices.Grow(b, int(min(ch.size, max(2*uint64(cap(b)), uint64(n))))-len(b))
		}
		b = b[:len(b)+int(h.size)]
		ch.dlv.Body = b
		err = ch.c.fr.readBody(h, b[len(b)-int(h.size):])
	} else {
		err = ch.c.fr.skip(h)
	}
	if err != nil {
		return err
	}
	ch.off += uint64(h.size)
	if ch.off == ch.size {
		ch.finish()
	}
	return nil
}

// finish hands a complete delivery to its consumer.
func (ch *Channel) finish() {
	ch.expect = 0
	if k := ch.cons; k != nil {
		k.deliver(&ch.dlv)
	}
	ch.dlv, ch.cons = amqp.Delivery{}, nil
}

// intern returns b as a string, the same one for the same bytes: exchange and
// queue names, content types and encodings repeat on every delivery.
func (ch *Channel) intern(b []byte) string {
	if s, ok := ch.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(ch.names) < 256 {
		ch.names[s] = s
	}
	return s
}
