package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
)

// The publishing side: Confirm, Publish and Confirmation, against the local
// RabbitMQ (wire_test.go's helpers) and, for what a broker never does
// (answers out of order, twice, for messages never sent), the fake server of
// fake_test.go.

// confirmWithin waits at most d for conf's answer; a confirmation still
// unresolved then fails the test (it would hang its publisher).
func confirmWithin(t testing.TB, conf *Confirmation, d time.Duration) (bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	acked, err := conf.Wait(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("confirmation %d unresolved after %v", conf.seq, d)
	}
	return acked, err
}

// mustPublish publishes in confirm mode and fails the test on an error or a
// nil Confirmation.
func mustPublish(t testing.TB, ch *Channel, exchange, key string, msg *amqp.Publishing) *Confirmation {
	t.Helper()
	conf, err := ch.Publish(exchange, key, msg)
	if err != nil {
		t.Fatalf("Publish to %q/%q: %v", exchange, key, err)
	}
	if conf == nil {
		t.Fatalf("Publish to %q/%q in confirm mode: nil Confirmation", exchange, key)
	}
	return conf
}

// confirmChannel opens a channel on c in confirm mode.
func confirmChannel(t testing.TB, c *Conn) *Channel {
	t.Helper()
	ch := channel(t, c)
	if err := ch.Confirm(); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	return ch
}

// vhostOf is the virtual host of a broker(t) URL.
func vhostOf(t testing.TB, raw string) string {
	t.Helper()
	_, cfg := configOf(t, raw)
	return cfg.VHost
}

// amqpConsume consumes n messages of queue with amqp091 (on a connection of
// its own, auto-ack) and checks nothing more is ready after them.
func amqpConsume(t testing.TB, raw, queue, tag string, n int, d time.Duration) []amqp.Delivery {
	t.Helper()
	ch := amqpChannel(t, raw)
	in, err := ch.Consume(queue, tag, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("amqp091 consume: %v", err)
	}
	deadline := time.After(d)
	got := make([]amqp.Delivery, 0, n)
	for len(got) < n {
		select {
		case dl := <-in:
			got = append(got, dl)
		case <-deadline:
			t.Fatalf("amqp091: %d deliveries after %v, want %d", len(got), d, n)
		}
	}
	select {
	case dl := <-in:
		t.Fatalf("amqp091: a delivery more than the %d published: %q", n, dl.Body)
	case <-time.After(100 * time.Millisecond):
	}
	return got
}

// publishedMessages are testMessages(n) (every basic property and header
// field type, empty bodies and bodies of several frames) with every property
// set on a quarter more of them and a Go int in the headers; want is what
// a consumer must read back (the int as the int64 it is sent as).
func publishedMessages(n int) (msgs, want []amqp.Publishing) {
	msgs, want = testMessages(n), testMessages(n)
	for i := range msgs {
		for _, m := range []*amqp.Publishing{&msgs[i], &want[i]} {
			if i%4 == 3 && i%10 != 9 {
				m.ContentEncoding = "deflate"
				m.Priority = 9
				m.DeliveryMode = amqp.Persistent
				m.CorrelationId = fmt.Sprintf("corr-%d", i)
				m.ReplyTo = fmt.Sprintf("reply-%d", i)
				m.Expiration = "3600000"
				m.Type = "compute.instance.delete"
				m.UserId = "guest"
				m.AppId = "nova-compute"
			}
		}
		if msgs[i].Headers != nil {
			msgs[i].Headers["go-int"] = -i
			want[i].Headers["go-int"] = int64(-i)
		}
	}
	return msgs, want
}

// TestPublishConfirmedRoundTrip publishes 300 messages in confirm mode —
// every property, every header field type, empty bodies and bodies of three
// frames — all are acked, and amqp091 reads them back identical, in order.
func TestPublishConfirmedRoundTrip(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	const n = 300
	c := open(t, raw, Config{})
	if c.frameMax != maxFrame {
		t.Fatalf("frame-max %d, want %d", c.frameMax, maxFrame)
	}
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{Durable: true}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if err := ch.Confirm(); err != nil { // again: harmless, numbering goes on
		t.Fatalf("Confirm again: %v", err)
	}
	msgs, want := publishedMessages(n)
	big := 0
	for _, m := range msgs {
		if len(m.Body) > maxFrame {
			big++
		}
	}
	if big < 3 || len(msgs[0].Body) != 0 {
		t.Fatalf("the messages have %d bodies over frame-max and a first body of %d octets", big, len(msgs[0].Body))
	}
	confs := make([]*Confirmation, n)
	for i := range msgs {
		confs[i] = mustPublish(t, ch, "", "q", &msgs[i])
		if confs[i].seq != uint64(i+1) {
			t.Errorf("message %d has sequence number %d, want %d", i, confs[i].seq, i+1)
		}
	}
	for i, conf := range confs {
		if acked, err := confirmWithin(t, conf, 30*time.Second); !acked || err != nil {
			t.Errorf("message %d: Wait = %v, %v; want true, nil", i, acked, err)
		}
		if !isClosed(conf.Done()) {
			t.Errorf("message %d: Done not closed after Wait returned", i)
		}
	}
	got := amqpConsume(t, raw, "q", "ctag", n, 60*time.Second)
	for i, d := range got {
		d.Acknowledger = nil
		checkDelivery(t, i, d, want[i], "", "q", "ctag")
	}
	if ch.Err() != nil || c.Err() != nil {
		t.Fatalf("channel %v, connection %v: want both open", ch.Err(), c.Err())
	}
}

// TestPublishWithoutConfirm: outside confirm mode Publish returns a nil
// Confirmation and the messages are routed; Confirm afterwards numbers the
// next message 1, as the broker does.
func TestPublishWithoutConfirm(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		conf, err := ch.Publish("", "q", &amqp.Publishing{Body: []byte(fmt.Sprint("plain ", i)), MessageId: fmt.Sprint(i)})
		if err != nil || conf != nil {
			t.Fatalf("Publish without confirm mode: %v, %v; want nil, nil", conf, err)
		}
	}
	waitReady(t, raw, "q", 3, 0)
	if err := ch.Confirm(); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	conf := mustPublish(t, ch, "", "q", &amqp.Publishing{Body: []byte("confirmed")})
	if conf.seq != 1 {
		t.Errorf("first message after Confirm has sequence number %d, want 1", conf.seq)
	}
	if acked, err := confirmWithin(t, conf, 10*time.Second); !acked || err != nil {
		t.Fatalf("Wait = %v, %v; want true, nil", acked, err)
	}
	for i, d := range amqpConsume(t, raw, "q", "ctag", 4, 10*time.Second) {
		want := fmt.Sprint("plain ", i)
		if i == 3 {
			want = "confirmed"
		}
		if string(d.Body) != want {
			t.Errorf("message %d: %q, want %q", i, d.Body, want)
		}
	}
}

// TestPublishNacked: a queue refusing messages (max-length 1, overflow
// reject-publish) makes the broker nack: the first message is acked, the
// others nacked (Wait false, nil); the channel stays usable.
func TestPublishNacked(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	rabbittest.Ctl(t, "set_policy", "-p", vhostOf(t, raw), "full", "^q$",
		`{"max-length":1,"overflow":"reject-publish"}`, "--apply-to", "queues")
	c := open(t, raw, Config{})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(); err != nil {
		t.Fatal(err)
	}
	var confs []*Confirmation
	for i := range 5 {
		confs = append(confs, mustPublish(t, ch, "", "q", &amqp.Publishing{Body: []byte(fmt.Sprint(i))}))
	}
	for i, conf := range confs {
		acked, err := confirmWithin(t, conf, 10*time.Second)
		if err != nil || acked != (i == 0) {
			t.Errorf("message %d: Wait = %v, %v; want %v, nil", i, acked, err, i == 0)
		}
	}
	if ch.Err() != nil {
		t.Fatalf("the channel closed after nacks: %v", ch.Err())
	}
	// Room again: the next message is acked.
	if d, ok, err := amqpChannel(t, raw).Get("q", true); err != nil || !ok || string(d.Body) != "0" {
		t.Fatalf("Get: %q, %v, %v; want the first message", d.Body, ok, err)
	}
	if acked, err := confirmWithin(t, mustPublish(t, ch, "", "q", &amqp.Publishing{Body: []byte("again")}), 10*time.Second); !acked || err != nil {
		t.Fatalf("a publish once the queue has room: %v, %v; want acked", acked, err)
	}
}

// TestPublishMandatoryUnroutable: the broker returns a mandatory message no
// queue is bound for, then acks it; its confirmation says ErrReturned, not
// acked. A routable one is acked, and so is an unroutable one published
// without the flag (the broker drops it).
func TestPublishMandatoryUnroutable(t *testing.T) {
	t.Parallel()
	c := open(t, broker(t), Config{})
	ch := confirmChannel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key       string
		mandatory bool
		wantErr   error
	}{
		{"nowhere", true, ErrReturned},
		{"q", true, nil},
		{"nowhere", false, nil},
	} {
		publish := ch.Publish
		if tc.mandatory {
			publish = ch.PublishMandatory
		}
		conf, err := publish("", tc.key, &amqp.Publishing{Body: []byte("m")})
		if err != nil {
			t.Fatal(err)
		}
		acked, err := confirmWithin(t, conf, 10*time.Second)
		if err != tc.wantErr || acked != (tc.wantErr == nil) {
			t.Errorf("key %q mandatory %v: Wait = %v, %v; want acked %v, %v", tc.key, tc.mandatory, acked, err, tc.wantErr == nil, tc.wantErr)
		}
	}
	if ch.Err() != nil || c.Err() != nil {
		t.Fatalf("channel %v, connection %v; want both open", ch.Err(), c.Err())
	}
}

// TestPublishToMissingExchange: the broker closes the channel (404); the
// message's confirmation resolves as lost, so does any published after it,
// the channel's Err is the broker's error, Publish then fails, and the
// connection carries on.
func TestPublishToMissingExchange(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := confirmChannel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	if acked, err := confirmWithin(t, mustPublish(t, ch, "", "q", &amqp.Publishing{Body: []byte("first")}), 10*time.Second); !acked || err != nil {
		t.Fatalf("first message: %v, %v", acked, err)
	}
	before := mustPublish(t, ch, "", "q", &amqp.Publishing{Body: []byte("before")})
	lost := mustPublish(t, ch, "no-such-exchange", "k", &amqp.Publishing{Body: []byte("lost")})
	var after []*Confirmation
	for i := range 20 { // published while the broker's channel.close is under way
		conf, err := ch.Publish("", "q", &amqp.Publishing{Body: []byte(fmt.Sprint("after ", i))})
		if err != nil {
			break
		}
		after = append(after, conf)
	}
	if acked, err := confirmWithin(t, lost, 10*time.Second); acked || !errors.Is(err, ErrConfirmLost) {
		t.Errorf("the message to the missing exchange: Wait = %v, %v; want false, ErrConfirmLost", acked, err)
	}
	if acked, err := confirmWithin(t, before, 10*time.Second); !acked && !errors.Is(err, ErrConfirmLost) {
		t.Errorf("the message before it: Wait = %v, %v; want acked or lost", acked, err)
	}
	for i, conf := range after {
		if acked, err := confirmWithin(t, conf, 10*time.Second); acked || !errors.Is(err, ErrConfirmLost) {
			t.Errorf("message %d after it: Wait = %v, %v; want false, ErrConfirmLost", i, acked, err)
		}
	}
	waitClosed(t, ch.Done(), 5*time.Second, "the channel after a publish to a missing exchange")
	var ae *amqp.Error
	if err := ch.Err(); !errors.As(err, &ae) || ae.Code != amqp.NotFound || !ae.Server || !strings.Contains(ae.Reason, "no-such-exchange") {
		t.Fatalf("channel Err = %#v, want the broker's 404 naming the exchange", err)
	}
	if conf, err := ch.Publish("", "q", &amqp.Publishing{Body: []byte("too late")}); err == nil || conf != nil {
		t.Errorf("Publish on the closed channel: %v, %v; want nil and an error", conf, err)
	}
	time.Sleep(100 * time.Millisecond) // a stray frame would make the broker close the connection
	if c.Err() != nil {
		t.Fatalf("the connection ended: %v", c.Err())
	}
	ch2 := confirmChannel(t, c)
	if acked, err := confirmWithin(t, mustPublish(t, ch2, "", "q", &amqp.Publishing{Body: []byte("other channel")}), 10*time.Second); !acked || err != nil {
		t.Fatalf("another channel: %v, %v", acked, err)
	}
}

// publishUntilClosed publishes on ch from several goroutines without pause
// until Publish fails; once each has published a few, it calls stop, then
// checks that every confirmation resolves and that the connection survived
// (a frame sent on the channel after it closed makes RabbitMQ close the
// connection with 504 CHANNEL_ERROR - expected 'channel.open').
func publishUntilClosed(t *testing.T, round int, c *Conn, ch *Channel, stop func()) {
	t.Helper()
	const publishers = 4
	var (
		wg      sync.WaitGroup
		started sync.WaitGroup
		mu      sync.Mutex
		confs   []*Confirmation
	)
	for range publishers {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			msg := &amqp.Publishing{Body: []byte("spam")}
			for i := 0; ; i++ {
				if i == 5 {
					started.Done()
				}
				conf, err := ch.Publish("", "q", msg)
				if err != nil {
					if i < 5 {
						started.Done()
					}
					return
				}
				mu.Lock()
				confs = append(confs, conf)
				mu.Unlock()
			}
		}()
	}
	started.Wait()
	stop()
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	waitClosed(t, ended, 10*time.Second, "the publishers' end")
	for _, conf := range confs {
		if acked, err := confirmWithin(t, conf, 10*time.Second); !acked && !errors.Is(err, ErrConfirmLost) {
			t.Fatalf("round %d: Wait = %v, %v; want acked or lost", round, acked, err)
		}
	}
	time.Sleep(20 * time.Millisecond) // the broker's answer to a stray frame
	if err := c.Err(); err != nil {
		t.Fatalf("round %d (%d messages published): the connection ended: %v", round, len(confs), err)
	}
}

// TestPublishWhileBrokerClosesChannel: goroutines publish without pause
// while the broker closes the channel (after a publish to a missing
// exchange). No publish may follow the client's channel.close-ok on the
// wire: the connection must survive, every confirmation resolve.
func TestPublishWhileBrokerClosesChannel(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	if err := channel(t, c).QueueDeclare("q", DeclareOptions{Args: amqp.Table{"x-max-length": int32(100)}}); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		ch := confirmChannel(t, c)
		publishUntilClosed(t, round, c, ch, func() {
			_, _ = ch.Publish("no-such-exchange", "k", &amqp.Publishing{})
		})
		var ae *amqp.Error
		if err := ch.Err(); !errors.As(err, &ae) || ae.Code != amqp.NotFound {
			t.Fatalf("round %d: channel Err %v, want the broker's 404", round, err)
		}
	}
}

// TestPublishWhileClosingChannel: goroutines publish without pause while
// the client closes the channel. Nothing but close-ok may follow the
// client's channel.close on the wire (AMQP 0-9-1 §4.2.7 / RabbitMQ frees the
// channel number once it answered): the connection must survive.
func TestPublishWhileClosingChannel(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	if err := channel(t, c).QueueDeclare("q", DeclareOptions{Args: amqp.Table{"x-max-length": int32(100)}}); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		ch := confirmChannel(t, c)
		publishUntilClosed(t, round, c, ch, func() {
			if err := ch.Close(); err != nil {
				t.Errorf("round %d: Close: %v", round, err)
			}
		})
		if ch.Err() != amqp.ErrClosed {
			t.Fatalf("round %d: channel Err %v, want amqp.ErrClosed", round, ch.Err())
		}
	}
}

// TestPublishAfterClose: closing a channel with confirmations pending
// resolves each (acked or lost); Publish then fails with amqp.ErrClosed.
func TestPublishAfterClose(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := confirmChannel(t, c)
	var confs []*Confirmation
	for range 200 {
		confs = append(confs, mustPublish(t, ch, "", "nowhere", &amqp.Publishing{Body: []byte("unroutable")}))
	}
	if err := ch.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, conf := range confs {
		if !isClosed(conf.Done()) {
			t.Fatalf("confirmation %d unresolved when Close returned", i)
		}
		if acked, err := confirmWithin(t, conf, time.Second); !acked && !errors.Is(err, ErrConfirmLost) {
			t.Errorf("confirmation %d: %v, %v; want acked or lost", i, acked, err)
		}
	}
	if conf, err := ch.Publish("", "nowhere", &amqp.Publishing{}); !errors.Is(err, amqp.ErrClosed) || conf != nil {
		t.Errorf("Publish after Close: %v, %v; want nil, amqp.ErrClosed", conf, err)
	}
	if c.Err() != nil {
		t.Fatalf("connection: %v", c.Err())
	}
}

// brokerConnection returns the pid rabbitmqctl gives the connection of
// virtual host vhost whose connection_name is name.
func brokerConnection(t testing.TB, vhost, name string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, line := range strings.Split(rabbittest.Ctl(t, "list_connections", "pid", "vhost", "client_properties"), "\n") {
			f := strings.Split(line, "\t")
			if len(f) == 3 && f[1] == vhost && strings.Contains(f[2], name) {
				return f[0]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("rabbitmqctl list_connections does not show connection %q of %q", name, vhost)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPublishConnectionLost: the broker closes the connection
// (rabbitmqctl close_connection) while a goroutine publishes without pause:
// every confirmation resolves, acked or lost, none hangs; the channel and
// the connection end with the broker's 320.
func TestPublishConnectionLost(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	vhost := vhostOf(t, raw)
	name := "wire-publish-" + vhost
	c := open(t, raw, Config{Properties: amqp.Table{"connection_name": name}})
	ch := channel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{Durable: true, Args: amqp.Table{"x-max-length": int32(1000)}}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(); err != nil {
		t.Fatal(err)
	}
	pid := brokerConnection(t, vhost, name)

	var (
		confs   []*Confirmation
		pubErr  error
		flowing = make(chan struct{})
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		body := bytes.Repeat([]byte("x"), 1000)
		for i := 0; ; i++ {
			conf, err := ch.Publish("", "q", &amqp.Publishing{DeliveryMode: amqp.Persistent, Body: body})
			if err != nil {
				pubErr = err
				return
			}
			confs = append(confs, conf)
			if i == 2000 {
				first := confs[0]
				go func() { // once a first message is acked, the broker is busy with ours
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if acked, err := first.Wait(ctx); !acked || err != nil {
						t.Errorf("the first message: %v, %v", acked, err)
					}
					close(flowing)
				}()
			}
		}
	}()
	waitClosed(t, flowing, 20*time.Second, "the first confirmation")
	rabbittest.Ctl(t, "close_connection", pid, "the publish test closes it")
	waitClosed(t, c.Done(), 10*time.Second, "Done after the broker closed the connection")
	waitClosed(t, done, 10*time.Second, "the publisher's end")
	if pubErr == nil {
		t.Fatal("the publisher stopped without an error")
	}
	var acked, lost int
	for i, conf := range confs {
		ok, err := confirmWithin(t, conf, 5*time.Second)
		switch {
		case ok && err == nil:
			acked++
		case errors.Is(err, ErrConfirmLost):
			lost++
		default:
			t.Errorf("message %d: Wait = %v, %v; want acked or ErrConfirmLost", i, ok, err)
		}
	}
	t.Logf("%d messages published: %d acked, %d lost", len(confs), acked, lost)
	if lost == 0 {
		t.Error("no confirmation was pending when the connection was lost: the test checked nothing")
	}
	var ae *amqp.Error
	switch err := c.Err(); {
	case errors.As(err, &ae) && ae.Code == amqp.ConnectionForced && ae.Server:
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		// The publisher's write met the closed socket before the reader
		// could read the broker's connection.close (it was discarded
		// with the connection's reset).
		t.Logf("connection Err = %v (a write raced the broker's close)", err)
	default:
		t.Errorf("connection Err = %#v, want the broker's 320 or the reset socket", err)
	}
	if !isClosed(ch.Done()) || ch.Err() != c.Err() {
		t.Errorf("channel: Done closed %v, Err %v; want the connection's", isClosed(ch.Done()), ch.Err())
	}
	if conf, err := ch.Publish("", "q", &amqp.Publishing{}); err == nil || conf != nil {
		t.Errorf("Publish after the connection's end: %v, %v; want an error", conf, err)
	}
}

// TestPublishConcurrent: 8 goroutines publish 500 messages each on one
// channel: the sequence numbers are 1…4000 with none twice, every message
// is acked, the queue holds exactly 4000, each goroutine's in its order.
func TestPublishConcurrent(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	const workers, each = 8, 500
	c := open(t, raw, Config{})
	ch := confirmChannel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	confs := make([][]*Confirmation, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				msg := &amqp.Publishing{
					Headers: amqp.Table{"worker": int32(w), "i": int32(i)},
					Body:    []byte(fmt.Sprintf("%d/%d", w, i)),
				}
				if i%50 == 0 {
					msg.Body = bigBody(200<<10, w+i) // frames of different messages must not interleave
				}
				conf, err := ch.Publish("", "q", msg)
				if err != nil || conf == nil {
					t.Errorf("worker %d, message %d: %v, %v", w, i, conf, err)
					return
				}
				confs[w] = append(confs[w], conf)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	seqs := map[uint64]bool{}
	for w := range workers {
		for i, conf := range confs[w] {
			if seqs[conf.seq] || conf.seq < 1 || conf.seq > workers*each {
				t.Errorf("worker %d, message %d: sequence number %d (duplicate or out of range)", w, i, conf.seq)
			}
			seqs[conf.seq] = true
			if i > 0 && conf.seq <= confs[w][i-1].seq {
				t.Errorf("worker %d: message %d numbered %d after %d", w, i, conf.seq, confs[w][i-1].seq)
			}
			if acked, err := confirmWithin(t, conf, 30*time.Second); !acked || err != nil {
				t.Errorf("worker %d, message %d: Wait = %v, %v", w, i, acked, err)
			}
		}
	}
	waitReady(t, raw, "q", workers*each, 0)
	next := make([]int32, workers)
	for k, d := range amqpConsume(t, raw, "q", "ctag", workers*each, 60*time.Second) {
		w, _ := d.Headers["worker"].(int32)
		i, _ := d.Headers["i"].(int32)
		if w < 0 || w >= workers || i != next[w] {
			t.Fatalf("delivery of worker %d message %d, want message %d", w, i, next[min(max(w, 0), workers-1)])
		}
		// The queue has the messages in the order they were written, which
		// is the order the broker numbers them in: the k-th is the one whose
		// Confirmation has sequence number k.
		if seq := confs[w][i].seq; seq != uint64(k+1) {
			t.Fatalf("the %d-th message in the queue (worker %d, message %d) has sequence number %d", k+1, w, i, seq)
		}
		want := []byte(fmt.Sprintf("%d/%d", w, i))
		if i%50 == 0 {
			want = bigBody(200<<10, int(w+i))
		}
		if !bytes.Equal(d.Body, want) {
			t.Fatalf("worker %d message %d: body of %d octets differs", w, i, len(d.Body))
		}
		next[w]++
	}
	if ch.Err() != nil || c.Err() != nil {
		t.Fatalf("channel %v, connection %v", ch.Err(), c.Err())
	}
}

// TestPublishBadArguments: an exchange, routing key or property longer than
// a short string, or a header Go cannot encode, is Publish's error; nothing
// is sent (the broker would close the connection on a malformed frame, or
// route a message) and no sequence number is used: the next message is 1 and
// acked.
func TestPublishBadArguments(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := confirmChannel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("n", 256)
	cases := []struct {
		name          string
		exchange, key string
		msg           amqp.Publishing
		want          string
	}{
		{"long exchange", long, "q", amqp.Publishing{Body: []byte("x")}, "exchange"},
		{"long routing key", "", long, amqp.Publishing{Body: []byte("x")}, "routing key"},
		{"uint64 header", "", "q", amqp.Publishing{Headers: amqp.Table{"ok": "v", "bad": uint64(1)}, Body: []byte("x")}, "uint64"},
		{"struct in a nested header", "", "q", amqp.Publishing{Headers: amqp.Table{"t": amqp.Table{"a": []any{struct{}{}}}}}, "struct {}"},
		{"plain map header", "", "q", amqp.Publishing{Headers: amqp.Table{"m": map[string]any{"a": 1}}}, "map[string]interface {}"},
		{"long header key", "", "q", amqp.Publishing{Headers: amqp.Table{long: true}}, "longer than 255"},
		{"long correlation id", "", "q", amqp.Publishing{CorrelationId: long, Body: []byte("x")}, "longer than 255"},
		{"long content type", "", "q", amqp.Publishing{ContentType: long}, "longer than 255"},
		{"long app id after a large body", "", "q", amqp.Publishing{AppId: long, Body: bigBody(300<<10, 1)}, "longer than 255"},
	}
	for _, tc := range cases {
		conf, err := ch.Publish(tc.exchange, tc.key, &tc.msg)
		if err == nil || conf != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Publish = %v, %v; want nil and an error naming %q", tc.name, conf, err, tc.want)
		}
	}
	conf := mustPublish(t, ch, "", "q", &amqp.Publishing{Body: []byte("good")})
	if conf.seq != 1 {
		t.Errorf("the good message has sequence number %d, want 1", conf.seq)
	}
	if acked, err := confirmWithin(t, conf, 10*time.Second); !acked || err != nil {
		t.Fatalf("the good message: Wait = %v, %v; want true, nil", acked, err)
	}
	if d, ok, err := amqpChannel(t, raw).Get("q", true); err != nil || !ok || string(d.Body) != "good" || d.MessageCount != 0 {
		t.Fatalf("Get: %q (%d more), %v, %v; want only the good message", d.Body, d.MessageCount, ok, err)
	}
	if ch.Err() != nil || c.Err() != nil {
		t.Fatalf("channel %v, connection %v", ch.Err(), c.Err())
	}
}

// TestPublishHeaderFrameTooLarge: a content header must fit in one frame
// (AMQP 0-9-1 §4.2.6.1: it cannot be split); headers larger than frame-max
// are Publish's error, not a frame the broker closes the connection for.
func TestPublishHeaderFrameTooLarge(t *testing.T) {
	t.Parallel()
	raw := broker(t)
	c := open(t, raw, Config{})
	ch := confirmChannel(t, c)
	if err := ch.QueueDeclare("q", DeclareOptions{}); err != nil {
		t.Fatal(err)
	}
	huge := amqp.Table{"big": strings.Repeat("h", maxFrame)}
	conf, err := ch.Publish("", "q", &amqp.Publishing{Headers: huge, Body: []byte("x")})
	if err == nil {
		if conf != nil {
			_, err = confirmWithin(t, conf, 5*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
		t.Fatalf("Publish with %d octets of headers (frame-max %d) succeeded; confirmation: %v; connection: %v",
			maxFrame, c.frameMax, err, c.Err())
	}
	if acked, err := confirmWithin(t, mustPublish(t, ch, "", "q", &amqp.Publishing{Body: []byte("good")}), 10*time.Second); !acked || err != nil {
		t.Fatalf("the next message: %v, %v", acked, err)
	}
}

// The fake server's side of publishing.

// fakePublish is one message the client published: its basic.publish, its
// content header and body frames, and all of them as sent.
type fakePublish struct {
	channel uint16
	args    []byte   // basic.publish's arguments
	header  []byte   // the content header's payload
	bodies  [][]byte // the body frames' payloads
	wire    []byte   // every frame of it, as sent
}

// confirmFake is a fake server with a channel in confirm mode (channel 1,
// frame-max 4096): the test tells it what to send and reads what the client
// published.
type confirmFake struct {
	c      *Conn
	ch     *Channel
	out    chan []byte // frames to send; nil: close the socket
	pubs   chan fakePublish
	hungUp chan drained // what the client sent besides publishes, once it hung up
}

// startConfirmFake opens a connection to a fake server and a channel in
// confirm mode on it.
func startConfirmFake(t *testing.T) *confirmFake {
	t.Helper()
	fk := &confirmFake{out: make(chan []byte, 16), pubs: make(chan fakePublish, 1024), hungUp: make(chan drained, 1)}
	addr := startFake(t, func(f *fakeServer) {
		f.handshake(tune{chanMax: 16, frameMax: 4096})
		if fr, ok := f.serve(func(fr fakeFrame) bool { return fr.is(85, 10) }); !ok {
			f.fatalf("the client hung up before confirm.select")
		} else if !bytes.Equal(fr.payload[4:], []byte{0}) {
			f.fatalf("confirm.select with arguments % x, want no-wait off", fr.payload[4:])
		}
		f.send(methodFrame(1, 85, 11))
		gone := make(chan struct{})
		go func() {
			defer close(gone)
			fk.hungUp <- fk.read(f)
		}()
		for {
			select {
			case b := <-fk.out:
				if b == nil {
					f.nc.Close()
					<-gone
					return
				}
				_, _ = f.nc.Write(b) // the client may have hung up already
			case <-gone:
				return
			}
		}
	})
	fk.c = mustOpenFake(t, addr, Config{})
	ch, err := fk.c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	fk.ch = ch
	return fk
}

// read reads what the client sends until it hangs up: publishes go to
// fk.pubs, anything else is returned; connection.close is answered.
func (fk *confirmFake) read(f *fakeServer) drained {
	var d drained
	var p *fakePublish
	var size, got uint64
	for {
		fr, err := f.read()
		if err != nil {
			if p != nil {
				f.t.Errorf("fake server: the client hung up in the middle of a publish")
			}
			return d
		}
		raw := rawFrame(fr.typ, fr.channel, fr.payload)
		switch {
		case p == nil && fr.is(60, 40):
			p = &fakePublish{channel: fr.channel, args: fr.payload[4:], wire: raw}
			continue
		case p == nil:
			if fr.typ == 2 || fr.typ == 3 {
				f.t.Errorf("fake server: the client sent content without basic.publish: %v", fr)
			}
			d.frames = append(d.frames, fr)
			switch {
			case fr.is(10, 50):
				d.closeCode = int(binary.BigEndian.Uint16(fr.payload[4:]))
				_, _ = f.nc.Write(methodFrame(0, 10, 51))
			case fr.is(10, 51):
				d.closeOk = true
			}
			continue
		case fr.channel != p.channel || (p.header == nil) != (fr.typ == 2) || (p.header != nil && fr.typ != 3):
			f.t.Errorf("fake server: %v in the middle of a publish on channel %d", fr, p.channel)
			return d
		}
		p.wire = append(p.wire, raw...)
		if fr.typ == 2 {
			p.header = fr.payload
			size, got = binary.BigEndian.Uint64(fr.payload[4:]), 0
		} else {
			p.bodies = append(p.bodies, fr.payload)
			got += uint64(len(fr.payload))
		}
		if got >= size {
			fk.pubs <- *p
			p = nil
		}
	}
}

// send makes the fake server send frames.
func (fk *confirmFake) send(frames ...[]byte) { fk.out <- cat(frames...) }

// hangUp makes the fake server close the socket.
func (fk *confirmFake) hangUp() { fk.out <- nil }

// received waits for the next n publishes the fake server read.
func (fk *confirmFake) received(t testing.TB, n int) []fakePublish {
	t.Helper()
	var ps []fakePublish
	for len(ps) < n {
		select {
		case p := <-fk.pubs:
			ps = append(ps, p)
		case <-time.After(5 * time.Second):
			t.Fatalf("the fake server read %d publishes, want %d", len(ps), n)
		}
	}
	return ps
}

// publishN publishes n small messages and waits until the server read them.
func (fk *confirmFake) publishN(t testing.TB, n int) []*Confirmation {
	t.Helper()
	confs := make([]*Confirmation, n)
	for i := range confs {
		confs[i] = mustPublish(t, fk.ch, "", "q", &amqp.Publishing{Body: []byte(fmt.Sprint(i + 1))})
	}
	fk.received(t, n)
	return confs
}

// confirmFrame is basic.ack (or basic.nack) of tag on channel 1.
func confirmFrame(ack bool, tag uint64, multiple bool) []byte {
	var bits byte
	if multiple {
		bits = 1
	}
	if ack {
		return methodFrame(1, 60, 80, u64(tag), u8(bits))
	}
	return methodFrame(1, 60, 120, u64(tag), u8(bits))
}

// wantConfirmations checks, without waiting, which confirmations are
// resolved and how: 'a' acked, 'n' nacked, 'l' lost, 'r' possibly returned,
// '-' unresolved.
func wantConfirmations(t testing.TB, confs []*Confirmation, want string) {
	t.Helper()
	var got strings.Builder
	for _, c := range confs {
		if !isClosed(c.Done()) {
			got.WriteByte('-')
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // resolved: Wait answers regardless
		acked, err := c.Wait(ctx)
		switch {
		case acked && err == nil:
			got.WriteByte('a')
		case err == nil:
			got.WriteByte('n')
		case errors.Is(err, ErrConfirmLost):
			got.WriteByte('l')
		case errors.Is(err, ErrReturned):
			got.WriteByte('r')
		default:
			got.WriteString("?" + err.Error())
		}
	}
	if got.String() != want {
		t.Errorf("confirmations %s, want %s", got.String(), want)
	}
}

// settled waits until conf is resolved.
func settled(t testing.TB, conf *Confirmation) {
	t.Helper()
	waitClosed(t, conf.Done(), 5*time.Second, fmt.Sprintf("confirmation %d", conf.seq))
}

// TestConfirmOrder: the fake server acks and nacks out of order, singly and
// with multiple (covering some already answered); each confirmation takes
// its own answer, and the tracker ends empty.
func TestConfirmOrder(t *testing.T) {
	t.Parallel()
	fk := startConfirmFake(t)
	confs := fk.publishN(t, 8)
	wantConfirmations(t, confs, "--------")

	fk.send(confirmFrame(true, 2, false))
	settled(t, confs[1])
	wantConfirmations(t, confs, "-a------")

	fk.send(confirmFrame(false, 4, false)) // a single nack
	settled(t, confs[3])
	wantConfirmations(t, confs, "-a-n----")

	fk.send(confirmFrame(true, 1, false)) // the front: 1 and the answered 2 leave
	settled(t, confs[0])
	wantConfirmations(t, confs, "aa-n----")

	fk.send(confirmFrame(true, 5, true)) // multiple over the answered 4: 3 and 5
	settled(t, confs[4])
	wantConfirmations(t, confs, "aaana---")
	fk.send(confirmFrame(false, 8, true)) // a multiple nack
	settled(t, confs[7])
	wantConfirmations(t, confs, "aaanannn")

	fk.ch.conf.mu.Lock()
	head, next, pending := fk.ch.conf.head, fk.ch.conf.next, len(fk.ch.conf.pending)
	fk.ch.conf.mu.Unlock()
	if head != 9 || next != 9 || pending != 0 {
		t.Errorf("tracker: head %d, next %d, %d pending; want 9, 9, 0", head, next, pending)
	}
	// Numbering goes on.
	more := fk.publishN(t, 2)
	if more[0].seq != 9 || more[1].seq != 10 {
		t.Errorf("next sequence numbers %d, %d; want 9, 10", more[0].seq, more[1].seq)
	}
	fk.send(confirmFrame(true, 10, false), confirmFrame(true, 9, false))
	settled(t, more[0])
	settled(t, more[1])
	wantConfirmations(t, more, "aa")
	if fk.c.Err() != nil {
		t.Fatalf("connection: %v", fk.c.Err())
	}
}

// TestConfirmAfterReturn: a basic.return does not say which message came
// back; every message awaiting its confirm when it came is acked as
// possibly returned, and those published after it as acked. Its content is
// read and dropped.
func TestConfirmAfterReturn(t *testing.T) {
	t.Parallel()
	fk := startConfirmFake(t)
	confs := fk.publishN(t, 4)
	fk.send(confirmFrame(true, 1, false),
		methodFrame(1, 60, 50, u16(312), sstr("NO_ROUTE"), sstr("ex"), sstr("rk")), headerFrame(1, 1, 0), bodyFrame(1, []byte("x")))
	settled(t, confs[0])
	more := fk.publishN(t, 2)
	fk.send(confirmFrame(true, 3, true), confirmFrame(false, 4, false), confirmFrame(true, 6, true))
	settled(t, more[1])
	wantConfirmations(t, append(confs, more...), "arrnaa")
	if fk.c.Err() != nil {
		t.Fatalf("connection: %v", fk.c.Err())
	}
}

// TestConfirmProtocolErrors: an answer for a message never published, or a
// second answer for one, ends the connection with a protocol error naming
// the message (told to the server, 503); answered confirmations keep their
// answer, pending ones resolve as lost.
func TestConfirmProtocolErrors(t *testing.T) {
	cases := []struct {
		name    string
		publish int
		frames  [][]byte
		want    string
		confs   string // the confirmations after the connection's end
	}{
		{"ack never published", 2, [][]byte{confirmFrame(true, 5, false)}, "confirmed message 5, which is not awaited", "ll"},
		{"multiple ack beyond the last published", 3, [][]byte{confirmFrame(true, 4, true)}, "message 4, which is not awaited", "lll"},
		{"nack of tag 0", 1, [][]byte{confirmFrame(false, 0, false)}, "message 0, which is not awaited", "l"},
		{"duplicate ack of the front", 3, [][]byte{confirmFrame(true, 1, false), confirmFrame(true, 1, false)}, "message 1, which is not awaited", "all"},
		{"duplicate ack out of order", 3, [][]byte{confirmFrame(true, 2, false), confirmFrame(true, 2, false)}, "confirmed message 2 twice", "lal"},
		{"nack after an ack", 3, [][]byte{confirmFrame(true, 2, false), confirmFrame(false, 2, false)}, "confirmed message 2 twice", "lal"},
		{"ack after a multiple ack", 3, [][]byte{confirmFrame(true, 2, true), confirmFrame(true, 2, false)}, "message 2, which is not awaited", "aal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fk := startConfirmFake(t)
			confs := fk.publishN(t, tc.publish)
			fk.send(tc.frames...)
			waitClosed(t, fk.c.Done(), 5*time.Second, "Done after a bad confirmation")
			err := fk.c.Err()
			var ae *amqp.Error
			if !errors.As(err, &ae) || ae.Code != 503 || ae.Server || !strings.Contains(ae.Reason, tc.want) {
				t.Errorf("Err = %#v, want the client's 503 saying %q", err, tc.want)
			}
			if !isClosed(fk.ch.Done()) || fk.ch.Err() != err {
				t.Errorf("channel: Done closed %v, Err %v; want closed with the connection's error", isClosed(fk.ch.Done()), fk.ch.Err())
			}
			wantConfirmations(t, confs, tc.confs)
			select {
			case d := <-fk.hungUp:
				if d.closeCode != 503 {
					t.Errorf("the client closed with code %d, want 503 (sent %v)", d.closeCode, d.frames)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the client did not hang up")
			}
			if conf, err := fk.ch.Publish("", "q", &amqp.Publishing{}); err == nil || conf != nil {
				t.Errorf("Publish after the end: %v, %v", conf, err)
			}
		})
	}
}

// TestConfirmServerHangsUp: the server closing the socket resolves the
// pending confirmations as lost, the answered keep their answer.
func TestConfirmServerHangsUp(t *testing.T) {
	t.Parallel()
	fk := startConfirmFake(t)
	confs := fk.publishN(t, 4)
	fk.send(confirmFrame(true, 1, false), confirmFrame(false, 3, false))
	settled(t, confs[2])
	fk.hangUp()
	waitClosed(t, fk.c.Done(), 5*time.Second, "Done after the server hung up")
	wantConfirmations(t, confs, "alnl")
	if err := fk.c.Err(); err == nil || !strings.Contains(err.Error(), "read from the broker") {
		t.Errorf("Err = %v, want a read error", err)
	}
	for i, conf := range confs {
		if i == 1 || i == 3 {
			if acked, err := confirmWithin(t, conf, time.Second); acked || err != ErrConfirmLost {
				t.Errorf("message %d: Wait = %v, %v; want false, ErrConfirmLost", i+1, acked, err)
			}
		}
	}
}

// TestConfirmWaitContext: Wait gives up with ctx's error when ctx ends
// first, the confirmation still resolves later; an answered confirmation is
// returned even to an ended ctx.
func TestConfirmWaitContext(t *testing.T) {
	t.Parallel()
	fk := startConfirmFake(t)
	confs := fk.publishN(t, 2)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	acked, err := confs[0].Wait(ctx)
	if acked || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait past its deadline: %v, %v; want false, context.DeadlineExceeded", acked, err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Errorf("Wait with a 50 ms deadline returned after %v", d)
	}
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if acked, err := confs[1].Wait(cancelled); acked || !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled ctx: %v, %v; want false, context.Canceled", acked, err)
	}
	// Cancelled while waiting.
	cancelling, cancelLater := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancelLater)
	if acked, err := confs[1].Wait(cancelling); acked || !errors.Is(err, context.Canceled) {
		t.Errorf("Wait cancelled midway: %v, %v; want false, context.Canceled", acked, err)
	}
	wantConfirmations(t, confs, "--")

	fk.send(confirmFrame(true, 1, false), confirmFrame(false, 2, false))
	if acked, err := confirmWithin(t, confs[0], 5*time.Second); !acked || err != nil {
		t.Errorf("Wait after the ack: %v, %v; want true, nil", acked, err)
	}
	settled(t, confs[1])
	// Resolved: even an ended ctx gets the answer.
	if acked, err := confs[0].Wait(cancelled); !acked || err != nil {
		t.Errorf("Wait on an acked confirmation with an ended ctx: %v, %v; want true, nil", acked, err)
	}
	if acked, err := confs[1].Wait(cancelled); acked || err != nil {
		t.Errorf("Wait on a nacked confirmation with an ended ctx: %v, %v; want false, nil", acked, err)
	}
}

// sameOctets reports where got and want differ: the first differing
// offset with some octets around it (messages of megabytes stay readable).
func sameOctets(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(i-16, 0)
	t.Errorf("%s: %d octets sent, want %d; first difference at offset %d:\nsent … % x\nwant … % x",
		what, len(got), len(want), i, got[from:min(i+32, len(got))], want[from:min(i+32, len(want))])
}

// TestPublishFrames checks octet for octet what Publish sends: basic.publish,
// the content header with every property and its flags, and the body in
// frames of frame-max minus 8; a message without properties or body is a
// header with no flags and no body frame. A confirmation for each follows.
func TestPublishFrames(t *testing.T) {
	t.Parallel()
	fk := startConfirmFake(t)
	body := bigBody(10000, 3)
	ts := time.Unix(1700000123, 0)
	full := &amqp.Publishing{
		ContentType:     "application/json",
		ContentEncoding: "gzip",
		Headers:         amqp.Table{"k": "v"},
		DeliveryMode:    2,
		Priority:        7,
		CorrelationId:   "corr",
		ReplyTo:         "reply",
		Expiration:      "60000",
		MessageId:       "mid",
		Timestamp:       ts,
		Type:            "type",
		UserId:          "user",
		AppId:           "app",
		Body:            body,
	}
	c1 := mustPublish(t, fk.ch, "exchange", "routing.key", full)
	c2 := mustPublish(t, fk.ch, "", "q", &amqp.Publishing{})
	c3 := mustPublish(t, fk.ch, "x", "", &amqp.Publishing{Body: bigBody(4088, 5)}) // exactly one full frame
	got := fk.received(t, 3)

	want := cat(
		methodFrame(1, 60, 40, u16(0), sstr("exchange"), sstr("routing.key"), u8(0)),
		headerFrame(1, 10000, 0xfff8, // every property but the reserved cluster-id
			sstr("application/json"), sstr("gzip"),
			u32(8), sstr("k"), u8('S'), lstr("v"), // the table: 2 + 1 + 5 octets
			u8(2), u8(7), sstr("corr"), sstr("reply"), sstr("60000"), sstr("mid"),
			u64(uint64(ts.Unix())), sstr("type"), sstr("user"), sstr("app")),
		bodyFrame(1, body[:4088]),
		bodyFrame(1, body[4088:8176]),
		bodyFrame(1, body[8176:]),
	)
	sameOctets(t, "a message with every property", got[0].wire, want)
	if n := len(got[0].bodies); n != 3 {
		t.Errorf("%d body frames, want 3", n)
	}
	want = cat(methodFrame(1, 60, 40, u16(0), sstr(""), sstr("q"), u8(0)), headerFrame(1, 0, 0))
	sameOctets(t, "an empty message", got[1].wire, want)
	want = cat(methodFrame(1, 60, 40, u16(0), sstr("x"), sstr(""), u8(0)), headerFrame(1, 4088, 0), bodyFrame(1, bigBody(4088, 5)))
	sameOctets(t, "a body of exactly frame-max minus 8", got[2].wire, want)
	fk.send(confirmFrame(true, 3, true))
	for _, conf := range []*Confirmation{c1, c2, c3} {
		if acked, err := confirmWithin(t, conf, 5*time.Second); !acked || err != nil {
			t.Errorf("confirmation %d: %v, %v", conf.seq, acked, err)
		}
	}
}

// TestPublishBadArgumentsSendNothing: with the fake server, a refused
// Publish sends not a single octet: the next publish is the next frames the
// server reads, numbered 1.
func TestPublishBadArgumentsSendNothing(t *testing.T) {
	t.Parallel()
	fk := startConfirmFake(t)
	long := strings.Repeat("z", 256)
	for _, bad := range []struct {
		exchange, key string
		msg           amqp.Publishing
	}{
		{long, "k", amqp.Publishing{}},
		{"", long, amqp.Publishing{}},
		{"", "k", amqp.Publishing{Headers: amqp.Table{"x": complex(1, 2)}, Body: bigBody(9000, 1)}},
		{"", "k", amqp.Publishing{Type: long, Body: []byte("b")}},
	} {
		if conf, err := fk.ch.Publish(bad.exchange, bad.key, &bad.msg); err == nil || conf != nil {
			t.Errorf("Publish(%.10q, %.10q, …) = %v, %v; want an error", bad.exchange, bad.key, conf, err)
		}
	}
	conf := mustPublish(t, fk.ch, "", "good", &amqp.Publishing{Body: []byte("ok")})
	got := fk.received(t, 1)
	want := cat(methodFrame(1, 60, 40, u16(0), sstr(""), sstr("good"), u8(0)), headerFrame(1, 2, 0), bodyFrame(1, []byte("ok")))
	sameOctets(t, "the publish after refused ones", got[0].wire, want)
	fk.send(confirmFrame(true, 1, false))
	if acked, err := confirmWithin(t, conf, 5*time.Second); !acked || err != nil {
		t.Fatalf("the good message: %v, %v", acked, err)
	}
}
