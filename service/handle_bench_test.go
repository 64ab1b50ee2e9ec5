package service

import (
	"context"
	"path/filepath"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// BenchmarkHandle runs the compatibility corpus (every service's
// notifications, as Ceilometer 19 received them) through a worker's handler
// — decode, meter definitions, event converter, both pipelines — with
// test:// publishers: the processor's CPU and allocations per notification
// without the broker, so an optimisation of that path measures here in
// seconds and steadily, where make bench shares the CPUs with RabbitMQ.
// One op is one notification.
func BenchmarkHandle(b *testing.B) {
	w, tps := compatWorker(b)
	var bodies [][]byte
	for _, in := range readJSONL[compatInput](b, filepath.Join(compatDir, "notifications.jsonl")) {
		env := &pyjson.Object{Members: []pyjson.Member{{Key: "oslo.version", Value: "2.0"}, {Key: "oslo.message", Value: string(in.Notification)}}}
		bodies = append(bodies, pyjson.Append(nil, env))
	}
	ctx := context.Background()
	var d amqp.Delivery
	var size int64
	for _, body := range bodies {
		size += int64(len(body))
	}
	b.SetBytes(size / int64(len(bodies)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A delivery's body is its own memory (the notification's strings
		// share it).
		d.Body = append([]byte(nil), bodies[i]...)
		if out, _, wait := w.handle(ctx, &d); out != Ack || wait != nil {
			b.Fatalf("notification %d: outcome %v", i, out)
		}
		// The outputs are dropped at once, as a publisher's are once sent:
		// the live heap stays what one notification holds.
		for _, tp := range tps {
			tp.TakeBatches()
		}
		if i++; i == len(bodies) {
			i = 0
		}
	}
}
