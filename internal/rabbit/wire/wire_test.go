package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
)

// The tests of this file use the local RabbitMQ (rabbittest.VHost); -short
// skips them. Those counting the package's goroutines (TestOpenRefused,
// TestConnClose) do not run in parallel; the others do.

// broker returns a fresh virtual host's URL on the local RabbitMQ.
func broker(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("uses the local RabbitMQ")
	}
	return rabbittest.VHost(t)
}

// configOf splits an amqp URL into the address and Open's Config.
func configOf(t testing.TB, raw string) (string, Config) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	return u.Host, Config{User: u.User.Username(), Password: pw, VHost: strings.TrimPrefix(u.Path, "/")}
}

// dial opens a wire connection to the broker of raw with cfg's user,
// password and virtual host replaced by raw's when empty.
func dial(t testing.TB, raw string, cfg Config) (*Conn, error) {
	t.Helper()
	addr, def := configOf(t, raw)
	if cfg.User == "" {
		cfg.User = def.User
	}
	if cfg.Password == "" {
		cfg.Password = def.Password
	}
	if cfg.VHost == "" {
		cfg.VHost = def.VHost
	}
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Open(ctx, nc, cfg)
}

// open is dial that must succeed; the connection is closed when the test
// ends.
func open(t testing.TB, raw string, cfg Config) *Conn {
	t.Helper()
	c, err := dial(t, raw, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func channel(t testing.TB, c *Conn) *Channel {
	t.Helper()
	ch, err := c.Channel()
	if err != nil {
		t.Fatalf("Channel: %v", err)
	}
	return ch
}

// amqpChannel opens an amqp091 channel in confirm mode on a connection of its
// own: the test's publisher and inspector.
func amqpChannel(t testing.TB, raw string) *amqp.Channel {
	t.Helper()
	c, err := amqp.Dial(raw)
	if err != nil {
		t.Fatalf("amqp091 dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	return ch
}

// pub is a message and where to publish it.
type pub struct {
	exchange, key string
	msg           amqp.Publishing
}

// publish publishes and waits for the broker's confirms.
func publish(t testing.TB, ch *amqp.Channel, pubs ...pub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	confs := make([]*amqp.DeferredConfirmation, 0, len(pubs))
	for _, p := range pubs {
		c, err := ch.PublishWithDeferredConfirmWithContext(ctx, p.exchange, p.key, false, false, p.msg)
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		confs = append(confs, c)
	}
	for _, c := range confs {
		if ok, err := c.WaitContext(ctx); !ok || err != nil {
			t.Fatalf("publish %d not confirmed: %v", c.DeliveryTag, err)
		}
	}
}

// publishBodies publishes plain messages to the default exchange.
func publishBodies(t testing.TB, ch *amqp.Channel, queue string, bodies ...string) {
	t.Helper()
	var pubs []pub
	for _, b := range bodies {
		pubs = append(pubs, pub{"", queue, amqp.Publishing{Body: []byte(b)}})
	}
	publish(t, ch, pubs...)
}

// ready returns the number of ready messages and consumers of queue (a
// passive declare on a connection of its own).
func ready(t testing.TB, raw, queue string) (messages, consumers int) {
	t.Helper()
	c, err := amqp.Dial(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, false, false, false, false, nil)
	if err != nil {
		t.Fatalf("passive declare of %q: %v", queue, err)
	}
	return q.Messages, q.Consumers
}

// waitReady waits (at most 5 s) until queue has the given number of ready
// messages and consumers: the broker's counts lag its channels slightly.
func waitReady(t testing.TB, raw, queue string, messages, consumers int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, c := ready(t, raw, queue)
		if m == messages && c == consumers {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %q: %d ready messages and %d consumers, want %d and %d", queue, m, c, messages, consumers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bigBody is larger than the frame-max: it arrives in several body frames.
func bigBody(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed + i>>9)
	}
	return b
}

// testMessages are n messages covering every basic property and every
// header field type, an empty body and bodies of several frames.
func testMessages(n int) []amqp.Publishing {
	msgs := make([]amqp.Publishing, n)
	for i := range msgs {
		m := amqp.Publishing{Body: []byte(fmt.Sprintf("body %d", i))}
		switch {
		case i == 0:
			m.Body = []byte{}
		case i == 1 || i%97 == 5:
			m.Body = bigBody(300<<10, i)
		}
		if i%10 == 9 { // no properties at all
			msgs[i] = m
			continue
		}
		m.ContentType = []string{"application/json", "text/plain", "application/octet-stream"}[i%3]
		m.ContentEncoding = []string{"", "utf-8", "gzip"}[i%3]
		m.MessageId = fmt.Sprintf("msg-%d", i)
		m.Timestamp = time.Unix(1700000000+int64(i), 0)
		m.DeliveryMode = uint8(1 + i%2)
		m.Priority = uint8(i % 10)
		m.Headers = amqp.Table{
			"string": fmt.Sprintf("header %d", i),
			"int32":  int32(-i),
			"int64":  int64(i) << 40,
			"bool":   i%2 == 0,
			"nested": amqp.Table{"n": int32(i), "deeper": amqp.Table{"bytes": []byte{1, 2, byte(i)}}},
			"array":  []any{"a", int32(1), true, amqp.Table{"k": "v"}, []any{int64(2), nil}},
		}
		if i%3 == 0 {
			m.Headers["float64"] = 1.25
			m.Headers["float32"] = float32(-0.5)
			m.Headers["decimal"] = amqp.Decimal{Scale: 2, Value: int32(i)}
			m.Headers["time"] = time.Unix(1600000000, 0)
			m.Headers["void"] = nil
			m.Headers["int8"] = int8(-7)
			m.Headers["int16"] = int16(-300)
			m.Headers["uint8"] = uint8(200)
			m.Headers["uint16"] = uint16(60000)
		}
		if i%4 == 1 {
			m.CorrelationId = fmt.Sprintf("corr-%d", i)
			m.ReplyTo = "reply-queue"
			m.Expiration = "3600000"
			m.Type = "compute.instance.update"
			m.UserId = "guest" // the broker checks it is the publisher's user
			m.AppId = "nova"
		}
		msgs[i] = m
	}
	return msgs
}

// checkDelivery compares every field of a delivery with what was published.
func checkDelivery(t testing.TB, i int, d amqp.Delivery, m amqp.Publishing, exchange, key, tag string) {
	t.Helper()
	errorf := func(field string, got, want any) {
		t.Helper()
		t.Errorf("delivery %d: %s = %#v, want %#v", i, field, got, want)
	}
	if !bytes.Equal(d.Body, m.Body) {
		t.Errorf("delivery %d: body of %d octets differs from the %d published", i, len(d.Body), len(m.Body))
	}
	if d.DeliveryTag != uint64(i+1) {
		errorf("DeliveryTag", d.DeliveryTag, uint64(i+1))
	}
	if d.Redelivered {
		errorf("Redelivered", d.Redelivered, false)
	}
	for _, f := range []struct {
		name      string
		got, want string
	}{
		{"Exchange", d.Exchange, exchange},
		{"RoutingKey", d.RoutingKey, key},
		{"ConsumerTag", d.ConsumerTag, tag},
		{"ContentType", d.ContentType, m.ContentType},
		{"ContentEncoding", d.ContentEncoding, m.ContentEncoding},
		{"CorrelationId", d.CorrelationId, m.CorrelationId},
		{"ReplyTo", d.ReplyTo, m.ReplyTo},
		{"Expiration", d.Expiration, m.Expiration},
		{"MessageId", d.MessageId, m.MessageId},
		{"Type", d.Type, m.Type},
		{"UserId", d.UserId, m.UserId},
		{"AppId", d.AppId, m.AppId},
	} {
		if f.got != f.want {
			errorf(f.name, f.got, f.want)
		}
	}
	if d.DeliveryMode != m.DeliveryMode {
		errorf("DeliveryMode", d.DeliveryMode, m.DeliveryMode)
	}
	if d.Priority != m.Priority {
		errorf("Priority", d.Priority, m.Priority)
	}
	if !d.Timestamp.Equal(m.Timestamp) {
		errorf("Timestamp", d.Timestamp, m.Timestamp)
	}
	if !reflect.DeepEqual(d.Headers, m.Headers) {
		errorf("Headers", d.Headers, m.Headers)
	}
	if d.MessageCount != 0 || d.Acknowledger != nil {
		t.Errorf("delivery %d: MessageCount %d, Acknowledger %v: want zero values", i, d.MessageCount, d.Acknowledger)
	}
}

// TestConsumeEndToEnd declares an exchange, queues and bindings (waiting and
// no-wait), consumes 500 messages of every shape and checks each field of
// each delivery against what was published, then acks them all with one
// multiple ack: after a reconnect the queue is empty.
func TestConsumeEndToEnd(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	const n = 500
	c := open(t, raw, Config{})
	if c.Heartbeat() != DefaultHeartbeat {
		t.Errorf("Heartbeat() = %v, want the default %v (RabbitMQ proposes 60 s)", c.Heartbeat(), DefaultHeartbeat)
	}
	if c.frameMax != maxFrame {
		t.Fatalf("frame-max %d, want %d", c.frameMax, maxFrame)
	}
	if c.Server["product"] != "RabbitMQ" {
		t.Errorf("Server[product] = %#v, want RabbitMQ", c.Server["product"])
	}
	ch := channel(t, c)
	if err := ch.ExchangeDeclare("ex-wait", "topic", DeclareOptions{}); err != nil {
		t.Fatalf("ExchangeDeclare: %v", err)
	}
	if err := ch.ExchangeDeclare("ex-nowait", "topic", DeclareOptions{Durable: true, NoWait: true}); err != nil {
		t.Fatalf("ExchangeDeclare no-wait: %v", err)
	}
	if err := ch.QueueDeclare("q", DeclareOptions{Args: amqp.Table{"x-max-length": int32(10 * n)}}); err != nil {
		t.Fatalf("QueueDeclare: %v", err)
	}
	if err := ch.QueueDeclare("q-nowait", DeclareOptions{Durable: true, NoWait: true}); err != nil {
		t.Fatalf("QueueDeclare no-wait: %v", err)
	}
	if err := ch.QueueBind("q", "a.#", "ex-wait", false); err != nil {
		t.Fatalf("QueueBind: %v", err)
	}
	if err := ch.QueueBind("q", "b.*", "ex-nowait", true); err != nil {
		t.Fatalf("QueueBind no-wait: %v", err)
	}
	if err := ch.QueueBind("q-nowait", "b.*", "ex-nowait", true); err != nil {
		t.Fatalf("QueueBind no-wait: %v", err)
	}
	// A synchronous method after the no-wait ones: the broker has processed
	// them once it answers.
	if err := ch.Qos(n); err != nil {
		t.Fatalf("Qos: %v", err)
	}
	for _, bad := range []int{-1, 65536} {
		if err := ch.Qos(bad); err == nil {
			t.Errorf("Qos(%d) accepted", bad)
		}
	}
	// The passive declares of the inspector fail unless the no-wait
	// declarations took effect.
	if m, _ := ready(t, raw, "q-nowait"); m != 0 {
		t.Fatalf("q-nowait has %d messages", m)
	}

	msgs := testMessages(n)
	pubs := make([]pub, n)
	for i, m := range msgs {
		if i%2 == 0 {
			pubs[i] = pub{"ex-wait", fmt.Sprintf("a.%d.x", i), m}
		} else {
			pubs[i] = pub{"ex-nowait", fmt.Sprintf("b.%d", i), m}
		}
	}
	publish(t, amqpChannel(t, raw), pubs...)
	if m, _ := ready(t, raw, "q-nowait"); m != n/2 {
		t.Errorf("q-nowait (bound with no-wait) has %d messages, want %d", m, n/2)
	}

	s := newSink()
	ended, err := ch.Consume("q", "ctag-1", s.deliver)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	got := s.wait(t, n, 60*time.Second)
	time.Sleep(100 * time.Millisecond) // nothing more may come
	if len(s.deliveries()) != n {
		t.Fatalf("%d deliveries, want %d", len(s.deliveries()), n)
	}
	for i, d := range got {
		checkDelivery(t, i, d, msgs[i], pubs[i].exchange, pubs[i].key, "ctag-1")
	}
	if isClosed(ended) {
		t.Fatal("the consumer ended while consuming")
	}
	if err := ch.Ack(uint64(n), true); err != nil {
		t.Fatalf("Ack multiple: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitClosed(t, ended, time.Second, "the consumer's ended channel after Close")
	// Unacked messages would be ready again now that the connection is gone.
	waitReady(t, raw, "q", 0, 0)
}

// TestDeliveriesMatchAmqp091 consumes the same messages with this package
// and with amqp091: the deliveries are identical field for field (but the
// Acknowledger), as the package promises its handlers.
func TestDeliveriesMatchAmqp091(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	const n = 40
	pc := amqpChannel(t, raw)
	if err := pc.ExchangeDeclare("fan", "fanout", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"qa", "qb"} {
		if _, err := pc.QueueDeclare(q, false, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
		if err := pc.QueueBind(q, "", "fan", false, nil); err != nil {
			t.Fatal(err)
		}
	}
	var pubs []pub
	for _, m := range testMessages(n) {
		pubs = append(pubs, pub{"fan", "some.key", m})
	}
	publish(t, pc, pubs...)

	c := open(t, raw, Config{})
	ch := channel(t, c)
	s := newSink()
	if _, err := ch.Consume("qa", "ctag", s.deliver); err != nil {
		t.Fatal(err)
	}
	mine := s.wait(t, n, 30*time.Second)

	cc := amqpChannel(t, raw)
	theirs, err := cc.Consume("qb", "ctag", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		var d amqp.Delivery
		select {
		case d = <-theirs:
		case <-time.After(30 * time.Second):
			t.Fatalf("amqp091: delivery %d did not come", i)
		}
		d.Acknowledger = nil
		if !reflect.DeepEqual(mine[i], d) {
			t.Errorf("delivery %d differs:\nwire    %+v\namqp091 %+v", i, mine[i], d)
		}
	}
}

// TestNackRejectRedeliver: a nack or reject with requeue redelivers the
// message (Redelivered set, a new delivery tag); without requeue it is
// dropped; an ack settles it. Nothing is left in the queue.
func TestNackRejectRedeliver(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(10); err != nil {
		t.Fatal(err)
	}
	publishBodies(t, amqpChannel(t, raw), "q", "nack-requeue", "reject-requeue", "nack-drop", "reject-drop", "ack")
	s := newSink()
	if _, err := ch.Consume("q", "c", s.deliver); err != nil {
		t.Fatal(err)
	}
	first := s.wait(t, 5, 10*time.Second)
	for i, d := range first {
		if d.Redelivered || d.DeliveryTag != uint64(i+1) {
			t.Fatalf("first delivery %d: %q tag %d redelivered %v", i, d.Body, d.DeliveryTag, d.Redelivered)
		}
	}
	settle := []struct {
		name string
		do   func(tag uint64) error
	}{
		{"nack-requeue", func(tag uint64) error { return ch.Nack(tag, false, true) }},
		{"reject-requeue", func(tag uint64) error { return ch.Reject(tag, true) }},
		{"nack-drop", func(tag uint64) error { return ch.Nack(tag, false, false) }},
		{"reject-drop", func(tag uint64) error { return ch.Reject(tag, false) }},
		{"ack", func(tag uint64) error { return ch.Ack(tag, false) }},
	}
	for i, st := range settle {
		if string(first[i].Body) != st.name {
			t.Fatalf("delivery %d is %q, want %q", i, first[i].Body, st.name)
		}
		if err := st.do(first[i].DeliveryTag); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	again := s.wait(t, 7, 10*time.Second)[5:]
	bodies := map[string]bool{}
	for _, d := range again {
		if !d.Redelivered || d.DeliveryTag <= 5 {
			t.Errorf("redelivery of %q: tag %d redelivered %v, want a new tag and redelivered", d.Body, d.DeliveryTag, d.Redelivered)
		}
		bodies[string(d.Body)] = true
		if err := ch.Ack(d.DeliveryTag, false); err != nil {
			t.Fatal(err)
		}
	}
	if !bodies["nack-requeue"] || !bodies["reject-requeue"] {
		t.Errorf("redelivered %v, want nack-requeue and reject-requeue", bodies)
	}
	time.Sleep(200 * time.Millisecond)
	if n := s.len(); n != 7 {
		t.Errorf("%d deliveries, want 7: a message settled without requeue came back", n)
	}
	if err := ch.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Closing the channel requeues whatever is unacked: nothing is.
	waitReady(t, raw, "q", 0, 0)
}

// TestSettleAfterClose: ack, nack and reject on a closed channel return an
// error instead of writing to the connection.
func TestSettleAfterClose(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !isClosed(ch.Done()) || ch.Err() != amqp.ErrClosed {
		t.Fatalf("after Close: Done closed %v, Err %v; want closed and amqp.ErrClosed", isClosed(ch.Done()), ch.Err())
	}
	if err := ch.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for name, err := range map[string]error{
		"Ack":    ch.Ack(1, false),
		"Nack":   ch.Nack(1, false, true),
		"Reject": ch.Reject(1, false),
		"Qos":    ch.Qos(1),
	} {
		if err == nil {
			t.Errorf("%s on a closed channel: no error", name)
		}
	}
	if _, err := ch.Consume("q", "c", func(*amqp.Delivery) {}); err == nil {
		t.Error("Consume on a closed channel: no error")
	}
	// The connection is not harmed.
	if err := channel(t, c).Qos(1); err != nil {
		t.Fatalf("a new channel: %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("connection: %v", c.Err())
	}
}

// TestCancel: once Cancel returns, the consumer's ended channel is closed,
// the broker no longer counts the consumer and nothing more is delivered,
// while the channel stays open.
func TestCancel(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(1); err != nil {
		t.Fatal(err)
	}
	pc := amqpChannel(t, raw)
	publishBodies(t, pc, "q", "1", "2", "3")
	s := newSink()
	ended, err := ch.Consume("q", "c", s.deliver)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Consume("q", "c", s.deliver); err == nil {
		t.Error("a second consumer with the same tag was accepted")
	}
	if _, err := ch.Consume("q", "", s.deliver); err == nil {
		t.Error("an empty consumer tag was accepted")
	}
	first := s.wait(t, 1, 10*time.Second)
	if err := ch.Cancel("c"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if !isClosed(ended) {
		t.Fatal("ended is not closed when Cancel returns")
	}
	if err := ch.Ack(first[0].DeliveryTag, false); err != nil {
		t.Fatal(err)
	}
	publishBodies(t, pc, "q", "4")
	waitReady(t, raw, "q", 3, 0)
	if n := s.len(); n != 1 {
		t.Errorf("%d deliveries after Cancel, want 1", n)
	}
	if ch.Err() != nil || c.Err() != nil {
		t.Fatalf("channel %v, connection %v: want both open", ch.Err(), c.Err())
	}
	// The tag may be used again.
	if _, err := ch.Consume("q", "c", s.deliver); err != nil {
		t.Fatalf("Consume again with the cancelled tag: %v", err)
	}
	s.wait(t, 2, 10*time.Second)
}

// TestCancelMidStream: Cancel while deliveries stream in (each acked from
// the consumer's function, which keeps the stream going): after Cancel returns
// nothing more is handed over, and every message was either handed over
// once (and acked) or is ready in the queue.
func TestCancelMidStream(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	const total = 3000
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(20); err != nil {
		t.Fatal(err)
	}
	bodies := make([]string, total)
	for i := range bodies {
		bodies[i] = fmt.Sprint(i)
	}
	publishBodies(t, amqpChannel(t, raw), "q", bodies...)
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		some = make(chan struct{})
	)
	_, err := ch.Consume("q", "c", func(d *amqp.Delivery) {
		mu.Lock()
		seen[string(d.Body)]++
		if len(seen) == 100 {
			close(some)
		}
		mu.Unlock()
		if err := ch.Ack(d.DeliveryTag, false); err != nil {
			t.Errorf("Ack from the consumer's function: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, some, 10*time.Second, "the first 100 deliveries")
	if err := ch.Cancel("c"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	mu.Lock()
	handed := len(seen)
	mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != handed {
		t.Errorf("%d deliveries when Cancel returned, %d later", handed, len(seen))
	}
	for b, n := range seen {
		if n != 1 {
			t.Errorf("message %s handed over %d times", b, n)
		}
	}
	if handed == total {
		t.Errorf("all %d messages were delivered before Cancel returned", total)
	}
	// The rest are ready (any the broker sent but the client dropped would
	// be unacked until the channel closes).
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, raw, "q", total-handed, 0)
}

// TestBrokerCancelsConsumer: deleting the queue makes the broker cancel the
// consumer: its ended channel closes and the channel stays usable.
func TestBrokerCancelsConsumer(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.QueueDeclare("doomed", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	ended, err := ch.Consume("doomed", "c", func(*amqp.Delivery) {})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := amqpChannel(t, raw).QueueDelete("doomed", false, false, false); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, ended, 5*time.Second, "the consumer's ended channel after its queue was deleted")
	if isClosed(ch.Done()) {
		t.Fatalf("the channel closed: %v", ch.Err())
	}
	if err := ch.QueueDeclare("other", DeclareOptions{}); err != nil {
		t.Fatalf("the channel after the broker's cancel: %v", err)
	}
	// The broker forgot the tag: a new consumer may take it.
	if _, err := ch.Consume("other", "c", func(*amqp.Delivery) {}); err != nil {
		t.Fatalf("Consume with the tag the broker cancelled: %v", err)
	}
}

// TestDeclareRefused: a declaration the broker refuses (a queue redeclared
// with another durability) returns its *amqp.Error 406 and closes the channel
// with it; the connection stays usable. With no-wait the refusal arrives
// later, as the channel's end.
func TestDeclareRefused(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	setup := channel(t, c)
	if err := setup.QueueDeclare("durable", DeclareOptions{Durable: true}); err != nil {
		t.Fatal(err)
	}
	for _, noWait := range []bool{false, true} {
		t.Run(fmt.Sprintf("noWait=%v", noWait), func(t *testing.T) {
			ch := channel(t, c)
			err := ch.QueueDeclare("durable", DeclareOptions{NoWait: noWait})
			if noWait {
				if err != nil {
					t.Fatalf("no-wait declare: %v", err)
				}
				waitClosed(t, ch.Done(), 5*time.Second, "the channel after a refused no-wait declare")
				err = ch.Err()
			}
			var ae *amqp.Error
			if !errors.As(err, &ae) || ae.Code != amqp.PreconditionFailed || !ae.Server {
				t.Fatalf("err = %#v, want the broker's *amqp.Error 406", err)
			}
			if !strings.Contains(ae.Reason, "PRECONDITION_FAILED") {
				t.Errorf("reason %q", ae.Reason)
			}
			if !isClosed(ch.Done()) || ch.Err() != err {
				t.Fatalf("channel: Done closed %v, Err %v; want closed with %v", isClosed(ch.Done()), ch.Err(), err)
			}
			if err := ch.Qos(1); err != ae {
				t.Errorf("Qos on the closed channel: %v, want %v", err, ae)
			}
			if err := ch.Close(); err != nil {
				t.Errorf("Close of the closed channel: %v", err)
			}
			if c.Err() != nil {
				t.Fatalf("connection: %v", c.Err())
			}
			if err := channel(t, c).QueueDeclare("durable", DeclareOptions{Durable: true}); err != nil {
				t.Fatalf("another channel: %v", err)
			}
		})
	}
	t.Run("unencodable arguments", func(t *testing.T) {
		ch := channel(t, c)
		for _, noWait := range []bool{false, true} {
			err := ch.QueueDeclare("args", DeclareOptions{NoWait: noWait, Args: amqp.Table{"x-max-length": uint64(1)}})
			if err == nil || !strings.Contains(err.Error(), "uint64") {
				t.Errorf("noWait=%v: err %v, want one naming uint64", noWait, err)
			}
			err = ch.ExchangeDeclare("args", "topic", DeclareOptions{NoWait: noWait, Args: amqp.Table{"x": struct{}{}}})
			if err == nil {
				t.Errorf("noWait=%v: exchange declared with a struct argument", noWait)
			}
		}
		// Nothing was sent: the channel is fine.
		if err := ch.QueueDeclare("args", DeclareOptions{}); err != nil || ch.Err() != nil {
			t.Fatalf("channel after refused arguments: %v, %v", err, ch.Err())
		}
	})
	t.Run("names longer than 255 octets", func(t *testing.T) {
		ch := channel(t, c)
		long := strings.Repeat("n", 256)
		for name, err := range map[string]error{
			"QueueDeclare":    ch.QueueDeclare(long, DeclareOptions{}),
			"ExchangeDeclare": ch.ExchangeDeclare(long, "topic", DeclareOptions{}),
			"QueueBind":       ch.QueueBind("q", long, "amq.topic", false),
			"Cancel":          ch.Cancel(long),
		} {
			if err == nil {
				t.Errorf("%s with a 256-octet name: no error", name)
			}
		}
		if _, err := ch.Consume(long, "c", func(*amqp.Delivery) {}); err == nil {
			t.Error("Consume with a 256-octet queue name: no error")
		}
		if ch.Err() != nil {
			t.Fatalf("channel: %v", ch.Err())
		}
	})
}

// TestOpenRefused: wrong credentials and an unknown virtual host make Open
// fail promptly with the broker's error, leaving no goroutine behind.
func TestOpenRefused(t *testing.T) {
	raw := broker(t)
	cases := []struct {
		name string
		cfg  Config
		code int
		want string
	}{
		{"wrong password", Config{Password: "not-the-password"}, amqp.AccessRefused, "ACCESS_REFUSED"},
		{"unknown user", Config{User: "nobody-" + t.Name()}, amqp.AccessRefused, "ACCESS_REFUSED"},
		{"unknown virtual host", Config{VHost: "no-such-vhost-" + t.Name()}, amqp.NotAllowed, "NOT_ALLOWED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := wireGoroutines()
			start := time.Now()
			c, err := dial(t, raw, tc.cfg)
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Open took %v to fail", d)
			}
			var ae *amqp.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v (%#v), want the broker's %d %s", err, err, tc.code, tc.want)
			}
			waitGoroutines(t, before)
		})
	}
}

// TestConnClose: Close returns once the broker answered; the connection,
// its channels and their consumers end with amqp.ErrClosed; the goroutines
// stop; closing again, concurrently too, is harmless.
func TestConnClose(t *testing.T) {
	raw := broker(t)
	before := wireGoroutines()
	c := open(t, raw, Config{Heartbeat: 2 * time.Second})
	if c.Heartbeat() != 2*time.Second {
		t.Errorf("Heartbeat() = %v, want the 2 s asked for", c.Heartbeat())
	}
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	ended, err := ch.Consume("q", "c", func(*amqp.Delivery) {})
	if err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil || ch.Err() != nil {
		t.Fatalf("open connection: Err %v, channel Err %v", c.Err(), ch.Err())
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > closeTimeout/2 {
		t.Errorf("Close took %v: the broker's close-ok was not noticed", d)
	}
	for what, done := range map[string]<-chan struct{}{"Done": c.Done(), "channel Done": ch.Done(), "consumer ended": ended} {
		if !isClosed(done) {
			t.Errorf("%s not closed after Close", what)
		}
	}
	if c.Err() != amqp.ErrClosed || ch.Err() != amqp.ErrClosed {
		t.Errorf("Err %v, channel Err %v; want amqp.ErrClosed", c.Err(), ch.Err())
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
	if _, err := c.Channel(); err == nil {
		t.Error("Channel on a closed connection: no error")
	}
	if err := ch.Ack(1, false); err == nil {
		t.Error("Ack on a closed connection: no error")
	}
	waitGoroutines(t, before)
}

// TestBrokerClosesConnection: the broker closing the connection
// (rabbitmqctl close_connection) ends it with its *amqp.Error, Server set,
// code 320, and ends the channels and consumers with it.
func TestBrokerClosesConnection(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	_, cfg := configOf(t, raw)
	name := "wire-test-" + cfg.VHost
	c := open(t, raw, Config{Properties: amqp.Table{"connection_name": name}})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	ended, err := ch.Consume("q", "c", func(*amqp.Delivery) {})
	if err != nil {
		t.Fatal(err)
	}
	var pid string
	for _, line := range strings.Split(rabbittest.Ctl(t, "list_connections", "pid", "vhost", "client_properties"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 3 && f[1] == cfg.VHost && strings.Contains(f[2], name) {
			pid = f[0]
		}
	}
	if pid == "" {
		t.Fatal("rabbitmqctl list_connections does not show the connection")
	}
	rabbittest.Ctl(t, "close_connection", pid, "the test closes it")
	waitClosed(t, c.Done(), 5*time.Second, "Done after the broker closed the connection")
	var ae *amqp.Error
	if err := c.Err(); !errors.As(err, &ae) || ae.Code != amqp.ConnectionForced || !ae.Server || !strings.Contains(ae.Reason, "the test closes it") {
		t.Fatalf("Err = %#v, want the broker's 320 CONNECTION_FORCED", err)
	}
	if !isClosed(ch.Done()) || ch.Err() != c.Err() || !isClosed(ended) {
		t.Errorf("channel: Done closed %v, Err %v, consumer ended %v; want all ended with the connection's error", isClosed(ch.Done()), ch.Err(), isClosed(ended))
	}
	if err := c.Close(); err != nil || c.Err() != ae {
		t.Errorf("Close after the broker's close: %v, Err %v (want nil and the broker's error kept)", err, c.Err())
	}
}

// TestChannelCloseRequeues: closing a channel ends its consumer and returns
// its unacked messages to the queue; other channels carry on.
func TestChannelCloseRequeues(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := channel(t, c)
	other := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	publishBodies(t, amqpChannel(t, raw), "q", "a", "b", "c")
	s := newSink()
	ended, err := ch.Consume("q", "c", s.deliver)
	if err != nil {
		t.Fatal(err)
	}
	s.wait(t, 3, 10*time.Second)
	if err := ch.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !isClosed(ended) || !isClosed(ch.Done()) || ch.Err() != amqp.ErrClosed {
		t.Fatalf("after Close: ended %v, Done %v, Err %v", isClosed(ended), isClosed(ch.Done()), ch.Err())
	}
	waitReady(t, raw, "q", 3, 0)
	s2 := newSink()
	if _, err := other.Consume("q", "c", s2.deliver); err != nil {
		t.Fatalf("Consume on the other channel: %v", err)
	}
	for _, d := range s2.wait(t, 3, 10*time.Second) {
		if !d.Redelivered {
			t.Errorf("%q: not marked redelivered", d.Body)
		}
	}
}

// TestAckUnknownTagThenClose: acking a tag the broker never gave closes the
// channel with 406; closing the channel right after crosses the broker's
// channel.close. The connection must survive either way.
func TestAckUnknownTagThenClose(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	for i := range 20 {
		ch := channel(t, c)
		if err := ch.Ack(99, false); err != nil {
			t.Fatalf("round %d: Ack: %v", i, err)
		}
		err := ch.Close()
		var ae *amqp.Error
		if err != nil && (!errors.As(err, &ae) || ae.Code != amqp.PreconditionFailed) {
			t.Errorf("round %d: Close: %v, want nil or the broker's 406", i, err)
		}
		time.Sleep(50 * time.Millisecond)
		if c.Err() != nil {
			t.Fatalf("round %d: the connection ended: %v", i, c.Err())
		}
	}
}

// TestLargeBodyGrows: a body larger than what a header alone may reserve
// (firstBody) grows as its frames arrive and arrives whole; bodies just
// under and over the bound too.
func TestLargeBodyGrows(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	sizes := []int{firstBody - 1, firstBody, firstBody + 1, 5*firstBody/2 + 7}
	pc := amqpChannel(t, raw)
	var want [][]byte
	for i, n := range sizes {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(i*31 + j*7)
		}
		want = append(want, b)
		if err := pc.Publish("", "q", false, false, amqp.Publishing{Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	s := newSink()
	if _, err := ch.Consume("q", "c", s.deliver); err != nil {
		t.Fatal(err)
	}
	got := s.wait(t, len(sizes), 20*time.Second)
	for i := range sizes {
		if !bytes.Equal(got[i].Body, want[i]) {
			t.Errorf("body %d (%d octets): got %d octets, not the same", i, sizes[i], len(got[i].Body))
		}
	}
}
