package app

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// TestChaosBrokerRestart: the broker restarts (stop_app, start_app) while a
// stream of notifications flows. Restarting the shared broker would break
// every other test package, so the test restarts a private node. With
// amqp_durable_queues the notifications, the queues and the exchanges
// survive; the agent, untouched, reconnects by itself: nothing lost, nothing
// left ready or unacked, duplicates only among what was in flight, and
// exactly one consumer per notification queue and worker afterwards.
func TestChaosBrokerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("fault scenario")
	}
	const (
		workers  = 2
		prefetch = 100 // rabbit_qos_prefetch_count's default
	)
	begin := time.Now()
	deadline := begin.Add(time.Duration(chaosScale(90, 300)) * time.Second)
	left := func() time.Duration { return max(time.Until(deadline), time.Second) }

	node := rabbittest.Node(t)
	amqpURL := node.URL()
	dir := t.TempDir()
	writeAgentConfig(t, dir, amqpURL, workers, "'*'")
	appendFile(t, filepath.Join(dir, "ceilometer.conf"), "[oslo_messaging_rabbit]\namqp_durable_queues = true\n")
	var (
		mu         sync.Mutex
		stoppedAt  time.Time // the broker is down
		firstAfter time.Time // the first event published after that
	)
	ds := durableCapture(t, amqpURL, "e2e-capture", "event.sample")
	captured := make(chan amqp.Delivery)
	go func() {
		defer close(captured)
		for d := range ds {
			// A publish retried after the restart keeps its first
			// attempt's timestamp: only a new event counts.
			at := publishedAt(d.Body)
			mu.Lock()
			if !stoppedAt.IsZero() && firstAfter.IsZero() && at.After(stoppedAt) {
				firstAfter = at
			}
			mu.Unlock()
			captured <- d
		}
	}()
	events := collectFrom(captured)
	a := startAgent(t, dir)
	a.waitLog("all workers ready", 1, left())
	before := children(a.cmd.Process.Pid)

	// About 5 s of stream (17 s with CHAOS=1): the restart, a few seconds
	// of rabbitmqctl, lands in the middle of it.
	n := chaosScale(1500, 10000)
	s := startDurableStream(t, amqpURL, n, chaosScale(300, 600), deadline)
	waitCount(t, events, 200, left())
	restartAt := time.Now()
	node.StopApp(t)
	mu.Lock()
	stoppedAt = time.Now()
	mu.Unlock()
	atStop := events.count() // the collector's connection is closed too
	node.StartApp(t)
	backAt := time.Now()

	ids, uncertain, reconnects := s.wait(t, left())
	lost, dup := events.waitFor(t, ids, left())
	events.mu.Lock()
	for _, id := range uncertain { // sent once, perhaps kept by the broker
		dup += max(events.seen[id]-1, 0)
	}
	events.mu.Unlock()
	report(t, "broker restart", ids, lost, dup)
	if lost != 0 {
		t.Errorf("lost %d", lost)
	}
	// The broker forgets what the agent held unacked: each worker's
	// prefetch is redelivered, and was perhaps published already.
	if window := workers * prefetch; dup > window {
		t.Errorf("%d duplicates, more than the in-flight window (%d)", dup, window)
	}
	if atStop >= n {
		t.Errorf("all %d events were published before the broker stopped: nothing went through the restart", atStop)
	}

	// Recovered by itself: every worker's listener reconnected, and the
	// agent and its workers still run.
	a.waitLog("reconnected to the broker", workers, left())
	select {
	case err := <-a.done:
		t.Fatalf("the agent exited during the restart: %v", err)
	default:
	}
	if after := children(a.cmd.Process.Pid); !slices.Equal(sortedPids(before), sortedPids(after)) {
		t.Errorf("workers %v before the restart, %v after: the agent respawned instead of reconnecting", before, after)
	}

	// Exactly one consumer per notification queue and worker, nothing left.
	var ready, unacked int
	var consumers map[string]int
	for {
		ready, unacked, consumers = 0, 0, map[string]int{}
		for _, q := range node.Queues(t, "") {
			if strings.HasPrefix(q.Name, "notifications.") {
				ready += q.Ready
				unacked += q.Unacked
				consumers[q.Name] = q.Consumers
			}
		}
		if ready == 0 && unacked == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // the last acks follow the last publish
	}
	if len(consumers) == 0 {
		t.Errorf("no notification queue after the restart")
	}
	for q, c := range consumers {
		if c != workers {
			t.Errorf("queue %s has %d consumers after the restart, want %d (one per worker)", q, c, workers)
		}
	}
	if ready != 0 || unacked != 0 {
		t.Errorf("%d ready and %d unacked notifications left", ready, unacked)
	}

	mu.Lock()
	restart, recovery := backAt.Sub(restartAt), firstAfter.Sub(restartAt)
	if firstAfter.IsZero() {
		t.Errorf("no event published after the restart")
	}
	mu.Unlock()
	t.Logf("chaos %-28s unacked=%d ready=%d notification_queues=%d uncertain=%d stream_reconnects=%d events_at_stop=%d restart=%v recovery=%v (restart → first event published after it) duration=%v",
		"broker restart", unacked, ready, len(consumers), len(uncertain), reconnects, atStop,
		restart.Round(time.Millisecond), recovery.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))

	a.signal(syscall.SIGTERM)
	if code := a.wait(left()); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// durableStream sends uniquely keyed notifications as an OpenStack service
// with amqp_durable_queues does (durable exchange and queue, persistent
// messages, publisher confirms), reconnecting when the broker goes away. A
// notification whose confirmation was lost with its connection is not sent
// again: it is uncertain (the broker may or may not have kept it), so the
// stream itself adds no duplicates.
type durableStream struct {
	mu         sync.Mutex
	confirmed  []string
	uncertain  []string
	reconnects int
	err        error
	done       chan struct{}
}

// startDurableStream sends n notifications at about rate per second, giving
// up at deadline.
func startDurableStream(t *testing.T, amqpURL string, n, rate int, deadline time.Time) *durableStream {
	t.Helper()
	s := &durableStream{done: make(chan struct{})}
	type sent struct {
		id string
		dc *amqp.DeferredConfirmation
	}
	var (
		conn    *amqp.Connection
		sender  *rabbit.Sender
		pending []sent
	)
	// settle moves the notifications whose confirmation arrived (all of
	// them, when wait is set) from pending to confirmed or uncertain.
	settle := func(wait bool) {
		for len(pending) > 0 {
			p := pending[0]
			if wait {
				select {
				case <-p.dc.Done():
				case <-time.After(time.Until(deadline)):
				}
			}
			select {
			case <-p.dc.Done():
			default:
				if !wait {
					return
				}
			}
			s.mu.Lock()
			if p.dc.Acked() {
				s.confirmed = append(s.confirmed, p.id)
			} else {
				s.uncertain = append(s.uncertain, p.id)
			}
			s.mu.Unlock()
			pending = pending[1:]
		}
	}
	connect := func() error {
		for {
			c, err := amqp.Dial(amqpURL)
			if err == nil {
				ch, err := c.Channel()
				if err == nil {
					if err = ch.Confirm(false); err == nil {
						conn, sender = c, &rabbit.Sender{Ch: ch, Topic: "notifications", Durable: true}
						return nil
					}
				}
				c.Close()
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("stream: connect: %w", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err := connect(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := 0; i < n; i++ {
			<-tick.C
			if sender == nil {
				if err := connect(); err != nil {
					s.err = err
					return
				}
				s.mu.Lock()
				s.reconnects++
				s.mu.Unlock()
			}
			id := uuid.New()
			dc, err := sender.Send(context.Background(), "nova", chaosNotification(id))
			if err != nil { // the broker went away
				conn.Close()
				conn, sender = nil, nil
				settle(true)
				s.mu.Lock()
				s.uncertain = append(s.uncertain, id)
				s.mu.Unlock()
				continue
			}
			pending = append(pending, sent{id, dc})
			settle(false)
		}
		settle(true)
		conn.Close()
	}()
	return s
}

// wait waits for the stream to end and returns the confirmed and the
// uncertain notifications' ids, and how often it reconnected.
func (s *durableStream) wait(t *testing.T, timeout time.Duration) (confirmed, uncertain []string, reconnects int) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		t.Fatalf("the stream did not end within %v", timeout)
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.confirmed, s.uncertain, s.reconnects
}

// durableCapture consumes durable queue name, bound with key to the durable
// exchange ceilometer (declared as the agent's notifier declares it with
// amqp_durable_queues), reconnecting after the broker went away, until the
// test ends. Each message is acked once forwarded; a redelivery of a message
// already forwarded (its ack was lost with the connection) is dropped, so the
// duplicates counted are the agent's only.
func durableCapture(t *testing.T, amqpURL, name, key string) <-chan amqp.Delivery {
	t.Helper()
	var (
		mu     sync.Mutex
		conn   *amqp.Connection // the current one; closed at the end of the test
		closed bool
	)
	consume := func() (<-chan amqp.Delivery, error) {
		c, err := amqp.Dial(amqpURL)
		if err != nil {
			return nil, err
		}
		ds, err := func() (<-chan amqp.Delivery, error) {
			ch, err := c.Channel()
			if err != nil {
				return nil, err
			}
			if err := ch.ExchangeDeclare("ceilometer", amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
				return nil, err
			}
			if _, err := ch.QueueDeclare(name, true, false, false, false, nil); err != nil {
				return nil, err
			}
			if err := ch.QueueBind(name, key, "ceilometer", false, nil); err != nil {
				return nil, err
			}
			return ch.Consume(name, "", false, false, false, false, nil)
		}()
		mu.Lock()
		defer mu.Unlock()
		if err == nil && closed {
			err = context.Canceled
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		conn = c
		return ds, nil
	}
	ds, err := consume() // declared before the agent publishes
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan amqp.Delivery, 1024)
	done := make(chan struct{})
	stop := make(chan struct{})
	t.Cleanup(func() {
		mu.Lock()
		closed = true
		conn.Close() // ends the consumer
		mu.Unlock()
		close(stop)
		<-done
	})
	go func() {
		defer close(done)
		defer close(out)
		forwarded := map[[sha256.Size]byte]bool{}
		for {
			for d := range ds {
				sum := sha256.Sum256(d.Body)
				if !d.Redelivered || !forwarded[sum] {
					forwarded[sum] = true
					out <- d // buffered; collectFrom reads until out closes
				}
				_ = d.Ack(false)
			}
			for {
				if ds, err = consume(); err == nil {
					break
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
	return out
}

// publishedAt returns when the agent's notifier published the oslo message
// body (its timestamp, UTC), or the zero time.
func publishedAt(body []byte) time.Time {
	env, err := pyjson.Decode(body)
	if err != nil {
		return time.Time{}
	}
	o, _ := env.(*pyjson.Object)
	if o == nil {
		return time.Time{}
	}
	inner, _ := o.Get("oslo.message")
	s, _ := inner.(string)
	m, err := pyjson.Decode([]byte(s))
	if err != nil {
		return time.Time{}
	}
	if o, _ = m.(*pyjson.Object); o == nil {
		return time.Time{}
	}
	ts, _ := o.Get("timestamp")
	str, _ := ts.(string)
	at, _ := time.ParseInLocation("2006-01-02 15:04:05.999999", str, time.UTC)
	return at
}

// appendFile appends text to the file at path.
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func sortedPids(s []int) []int {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
