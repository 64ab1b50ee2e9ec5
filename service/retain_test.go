package service

import (
	"context"
	"runtime"
	"testing"
	"time"
	"weak"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// While a notification's confirms are awaited, nothing of the delivery is
// kept alive: only the bytes published (see publisher.Deferred). The decoded
// strings share the body's memory, so a Wait that captured one (its event
// type or message id, for the failure log) would keep the whole body alive
// — for every notification in flight.
func TestPendingWaitKeepsNoDeliveryMemory(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	w, err := NewWorker(nil, testGeneration(t, amqpURL, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(context.Background())

	doc, err := pyjson.Marshal(notification("compute.instance.create.end", "info", &pyjson.Object{}))
	if err != nil {
		t.Fatal(err)
	}
	// The body in an array of its own, so that a weak pointer tells whether
	// anything still refers to it. Un-enveloped: every decoded string is a
	// substring of the body itself.
	arr := new([4096]byte)
	body := arr[:copy(arr[:], doc)]
	alive := weak.Make(arr)
	out, reason, wait := w.handle(context.Background(), &amqp.Delivery{Body: body, ContentType: "application/json", ContentEncoding: "utf-8"})
	arr, body = nil, nil
	if out != Ack || wait == nil {
		t.Fatalf("handle: %v %q, wait %v: want an ack once confirmed", out, reason, wait != nil)
	}
	runtime.GC()
	runtime.GC()
	if alive.Value() != nil {
		t.Error("the delivery's body is still reachable while its confirms are awaited")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, reason := wait(ctx); out != Ack {
		t.Errorf("wait: %v %q, want an ack", out, reason)
	}
}
