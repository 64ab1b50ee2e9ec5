package plugins

import (
	"context"
	"strings"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Priorities returns oslo.messaging's notification priorities, lower-cased, in
// the order the listener declares their queues.
func Priorities() []string {
	return []string{"audit", "critical", "debug", "error", "info", "sample", "warn"}
}

// Notification is one decoded oslo notification. It is built once per message
// (NewNotification) and shared, read-only, by every handler: handlers must not
// modify Body or anything reachable from it.
type Notification struct {
	// Priority is lower-case ("info", "error", "sample", …): the body's
	// priority, which wins over the routing key, as in oslo.messaging.
	Priority    string
	EventType   string // "" when the message has none (or not a string)
	PublisherID string
	MessageID   string
	// Timestamp is the notification's timestamp as sent
	// ("2026-11-25 10:00:00.123456").
	Timestamp string
	// Payload is Body["payload"].
	Payload pyjson.Value
	// Body is the oslo message dict as received (the envelope's "oslo.message",
	// or the un-enveloped body): message_id, publisher_id, event_type,
	// priority, payload, timestamp, _unique_id and the _context_* keys.
	Body *pyjson.Object
	// Root is the dict oslo.messaging's notification dispatcher hands to
	// Ceilometer's endpoints — the root that definitions' JSONPaths
	// ("$.payload.x", "$.ctxt.user_id", "publisher_id") are evaluated on, and
	// what store_raw keeps:
	//
	//	{"ctxt": {<the _context_* keys without the prefix, in message order>, "client_timeout": null},
	//	 "publisher_id": …, "event_type": …, "payload": …,
	//	 "metadata": {"message_id": …, "timestamp": …}}
	//
	// Missing members are null, as Python's message.get() gives None. It is
	// nil when the Notification was not made by NewNotification.
	Root *pyjson.Object
}

// NewNotification builds the notification for a decoded oslo message dict (the
// "oslo.message" of the envelope, or an un-enveloped body), as oslo.messaging's
// rabbit driver (unpack_context, duplicate-id check) and notification dispatcher
// (_extract_user_message) do. msg is not modified; Root shares its values.
func NewNotification(msg *pyjson.Object) *Notification {
	ctxt := &pyjson.Object{}
	get := func(k string) pyjson.Value { v, _ := msg.Get(k); return v }
	for _, m := range msg.Members {
		if name, ok := strings.CutPrefix(m.Key, "_context_"); ok {
			ctxt.Set(name, m.Value)
		}
	}
	// RpcContext pops msg_id and reply_q; client_timeout stays, None unless
	// the message carried _timeout.
	ctxt.Delete("msg_id")
	ctxt.Delete("reply_q")
	ctxt.Set("client_timeout", get("_timeout"))
	n := &Notification{
		Payload: get("payload"),
		Body:    msg,
		Root: &pyjson.Object{Members: []pyjson.Member{
			{Key: "ctxt", Value: ctxt},
			{Key: "publisher_id", Value: get("publisher_id")},
			{Key: "event_type", Value: get("event_type")},
			{Key: "payload", Value: get("payload")},
			{Key: "metadata", Value: &pyjson.Object{Members: []pyjson.Member{
				{Key: "message_id", Value: get("message_id")},
				{Key: "timestamp", Value: get("timestamp")},
			}}},
		}},
	}
	ps, _ := get("priority").(string)
	n.Priority = strings.ToLower(ps)
	n.EventType, _ = get("event_type").(string)
	n.PublisherID, _ = get("publisher_id").(string)
	n.MessageID, _ = get("message_id").(string)
	n.Timestamp, _ = get("timestamp").(string)
	return n
}

// SampleHandler turns notifications into samples: the declarative meter
// definitions and the Go plugins of the seed's plugin set.
//
// Process is called concurrently from several goroutines; it returns the
// samples the notification yields, possibly none. An error loses only this
// handler's samples of this notification: the caller logs and counts it.
type SampleHandler interface {
	// Name identifies the handler in logs and counters.
	Name() string
	// Process converts one notification.
	Process(ctx context.Context, n *Notification) ([]pipeline.Sample, error)
}
