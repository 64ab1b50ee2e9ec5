package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// TestWorkerOverTLS runs the worker — listener and notifier:// publisher — over
// amqps with oslo's ssl options against a RabbitMQ TLS listener that requires
// client certificates.
func TestWorkerOverTLS(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	tl := rabbittest.TLSListener(t)
	u, _ := url.Parse(amqpURL)
	vhost := strings.TrimPrefix(u.Path, "/")
	g := testGeneration(t, amqpURL, fmt.Sprintf("ssl = true\nssl_ca_file = %s\nssl_cert_file = %s\nssl_key_file = %s\nssl_version = TLSv1_2\n", tl.CAFile, tl.CertFile, tl.KeyFile))
	// Point both directions at the TLS port.
	g.Config.TransportURL = fmt.Sprintf("rabbit://guest:guest@127.0.0.1:%d/%s", tl.Port, vhost)
	b := dialBroker(t, amqpURL)
	capture := b.capture("event.sample")
	startWorker(t, g)
	dc, err := b.send.Send(context.Background(), "nova", notification("tls.test", "INFO", &pyjson.Object{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rabbit.WaitConfirms(context.Background(), []*amqp.DeferredConfirmation{dc}); err != nil {
		t.Fatal(err)
	}
	if msgs := b.collect(capture, 1, 30*time.Second); len(msgs) != 1 {
		t.Fatalf("%d events published over TLS", len(msgs))
	}
	out := rabbittest.Ctl(t, "list_connections", "-p", vhost, "--no-table-headers", "ssl", "port")
	if !strings.Contains(out, "true") {
		t.Errorf("no TLS connection in the vhost:\n%s", out)
	}
}
