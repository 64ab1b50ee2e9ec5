package rabbittest

import (
	"context"
	"os"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestNodeRestartKeepsDurable starts a private node, leaves a persistent
// message in a durable queue, restarts the node and finds the message again;
// the node is gone once the test's cleanup ran.
func TestNodeRestartKeepsDurable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a RabbitMQ node")
	}
	var n *PrivateNode
	t.Run("node", func(t *testing.T) {
		n = Node(t)
		const queue, body = "node-test", "survives a restart"
		publish(t, n.URL(), queue, body)
		if got := n.Queues(t, ""); len(got) != 1 || got[0] != (Queue{Name: queue, Ready: 1}) {
			t.Fatalf("before the restart: queues %+v, want one ready message in %q", got, queue)
		}
		start := time.Now()
		n.Restart(t)
		t.Logf("restart took %v", time.Since(start))

		d, ok, err := channel(t, n.URL()).Get(queue, true)
		if err != nil || !ok {
			t.Fatalf("after the restart: get %q: ok=%v err=%v", queue, ok, err)
		}
		if string(d.Body) != body {
			t.Errorf("after the restart: body %q, want %q", d.Body, body)
		}
	})
	if n == nil {
		return
	}
	if pid := readPid(n.pidFile()); pid != 0 && runsIn(pid, n.dir) {
		t.Errorf("node process %d still runs after the cleanup", pid)
	}
	if _, err := os.Stat(n.dir); !os.IsNotExist(err) {
		t.Errorf("node directory %s left behind (%v)", n.dir, err)
	}
}

// publish declares durable queue and publishes body to it as a persistent
// message, waiting for the broker's confirmation.
func publish(t *testing.T, url, queue, body string) {
	t.Helper()
	ch := channel(t, url)
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, false, false,
		amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := dc.WaitContext(ctx); err != nil || !ok {
		t.Fatalf("publish: confirmed=%v err=%v", ok, err)
	}
}

// channel opens a connection to url and a channel on it, closed when the test
// ends.
func channel(t *testing.T, url string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
