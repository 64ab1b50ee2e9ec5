package service

import (
	"context"
	"net/url"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
)

// A broker that stalls the listener's set-up (no answer to channel.open,
// heartbeats still flowing) must not hold a stop up: Shutdown ends the
// connection and returns, instead of waiting for an answer that never comes.
func TestListenerShutdownDuringStalledSetup(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	g := testGeneration(t, amqpURL, "")
	proxy, stalled := rabbittest.StallProxy(t, rabbittest.Addr())
	u, err := url.Parse(g.Config.URLs()[0])
	if err != nil {
		t.Fatal(err)
	}
	u.Host = proxy
	l, err := NewListener(ListenerSettings{
		URL: u.String(), Config: g.Config, Prefetch: 10,
		Topology: Topology{Exchanges: []string{"nova"}, Topics: []string{"notifications"}, Priorities: []string{"info"}},
		Handler: func(context.Context, *amqp.Delivery) (Outcome, string, Wait) {
			return Ack, "", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener never got past the handshake")
	}
	time.Sleep(100 * time.Millisecond) // it waits for channel.open-ok
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stopped <- l.Shutdown(ctx)
	}()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown still waits for the stalled set-up after 5 s")
	}
}
