package rabbit

import (
	"context"
	"fmt"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Sender publishes notifications exactly as an OpenStack service's
// oslo.messaging rabbit notifier does: it declares the service's topic exchange
// and the queue <topic>.<priority> bound to it (so notifications are kept even
// before a consumer exists), and publishes the oslo 2.0 envelope as persistent
// JSON with routing key <topic>.<priority>. The channel must be in confirm mode
// for the returned confirmations to be meaningful. Not safe for concurrent use.
type Sender struct {
	Ch         *amqp.Channel
	Topic      string // "notifications"
	Durable    bool
	AutoDelete bool
	QueueArgs  amqp.Table

	declared map[string]bool
}

// Envelope wraps a notification in the oslo.messaging 2.0 envelope, encoded as
// oslo does (json.dumps of {"oslo.version": "2.0", "oslo.message": json.dumps(msg)}).
func Envelope(msg *pyjson.Object) []byte {
	inner := pyjson.Append(nil, msg)
	return pyjson.Append(nil, &pyjson.Object{Members: []pyjson.Member{
		{Key: "oslo.version", Value: "2.0"},
		{Key: "oslo.message", Value: string(inner)},
	}})
}

// Send publishes msg on exchange; its priority member gives the routing key.
func (s *Sender) Send(ctx context.Context, exchange string, msg *pyjson.Object) (*amqp.DeferredConfirmation, error) {
	pv, _ := msg.Get("priority")
	ps, _ := pv.(string)
	return s.SendRaw(ctx, exchange, s.Topic+"."+strings.ToLower(ps), Envelope(msg))
}

// SendRaw publishes body as is with routing key key, declaring the exchange and
// the queue named key first.
func (s *Sender) SendRaw(ctx context.Context, exchange, key string, body []byte) (*amqp.DeferredConfirmation, error) {
	if s.declared == nil {
		s.declared = map[string]bool{}
	}
	if !s.declared[exchange+" "+key] {
		if err := s.Ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, s.Durable, s.AutoDelete, false, false, nil); err != nil {
			return nil, fmt.Errorf("declare exchange %q: %w", exchange, err)
		}
		if _, err := s.Ch.QueueDeclare(key, s.Durable, s.AutoDelete, false, false, s.QueueArgs); err != nil {
			return nil, fmt.Errorf("declare queue %q: %w", key, err)
		}
		if err := s.Ch.QueueBind(key, key, exchange, false, nil); err != nil {
			return nil, fmt.Errorf("bind queue %q: %w", key, err)
		}
		s.declared[exchange+" "+key] = true
	}
	return s.Ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, amqp.Publishing{
		ContentType: "application/json", ContentEncoding: "utf-8", DeliveryMode: amqp.Persistent, Body: body,
	})
}

// WaitConfirms waits for every confirmation and returns how many were acked.
func WaitConfirms(ctx context.Context, dcs []*amqp.DeferredConfirmation) (int, error) {
	n := 0
	for _, dc := range dcs {
		ok, err := dc.WaitContext(ctx)
		if err != nil {
			return n, err
		}
		if !ok {
			return n, fmt.Errorf("the broker refused a message")
		}
		n++
	}
	return n, nil
}
