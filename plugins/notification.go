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
	get := func(k string) pyjson.Value { v, _ := msg.Get(k); return v }
	n := &Notification{Payload: get("payload"), Body: msg}
	ps, _ := get("priority").(string)
	n.Priority = strings.ToLower(ps)
	n.EventType, _ = get("event_type").(string)
	n.PublisherID, _ = get("publisher_id").(string)
	n.MessageID, _ = get("message_id").(string)
	n.Timestamp, _ = get("timestamp").(string)
	n.Root = n.buildRoot()
	return n
}

// DispatchRoot returns Root, building it from Body (or, without a Body, from
// the decoded fields) for a Notification that was not made by NewNotification.
// Handlers call it instead of building the dict themselves: on the hot path it
// is built once per notification, by NewNotification.
func (n *Notification) DispatchRoot() *pyjson.Object {
	if n.Root != nil {
		return n.Root
	}
	return n.buildRoot()
}

// buildRoot builds the dispatcher's dict (see Root) with one allocation for all
// its members: ctxt holds the _context_* keys without their prefix, in message
// order, except msg_id and reply_q, which oslo's RpcContext pops;
// client_timeout is the message's _timeout (None when absent), in the place of
// a _context_client_timeout key if there is one, else last.
func (n *Notification) buildRoot() *pyjson.Object {
	b := n.Body
	get := func(k string) pyjson.Value {
		v, _ := b.Get(k)
		return v
	}
	nctx := 0
	if b != nil {
		for i := range b.Members {
			if strings.HasPrefix(b.Members[i].Key, "_context_") {
				nctx++
			}
		}
	}
	members := make([]pyjson.Member, 0, nctx+1+2+5)
	ctxMembers := members[: 0 : nctx+1]
	hasTimeout := false
	if b != nil {
		for i := range b.Members {
			k, ok := strings.CutPrefix(b.Members[i].Key, "_context_")
			if !ok {
				continue
			}
			switch k {
			case "msg_id", "reply_q":
				continue
			case "client_timeout":
				hasTimeout = true
				ctxMembers = append(ctxMembers, pyjson.Member{Key: k, Value: get("_timeout")})
				continue
			}
			ctxMembers = append(ctxMembers, pyjson.Member{Key: k, Value: b.Members[i].Value})
		}
	}
	if !hasTimeout {
		ctxMembers = append(ctxMembers, pyjson.Member{Key: "client_timeout", Value: get("_timeout")})
	}
	objs := make([]pyjson.Object, 3)
	ctxt, meta, root := &objs[0], &objs[1], &objs[2]
	nc := len(ctxMembers)
	// Full slice expressions: appending to one object never writes into the next.
	ctxt.Members = ctxMembers[:nc:nc]
	meta.Members = append(members[nc:nc:nc+2],
		pyjson.Member{Key: "message_id", Value: get("message_id")},
		pyjson.Member{Key: "timestamp", Value: get("timestamp")})
	root.Members = append(members[nc+2:nc+2:nc+7],
		pyjson.Member{Key: "ctxt", Value: ctxt},
		pyjson.Member{Key: "publisher_id", Value: get("publisher_id")},
		pyjson.Member{Key: "event_type", Value: get("event_type")},
		pyjson.Member{Key: "payload", Value: get("payload")},
		pyjson.Member{Key: "metadata", Value: meta},
	)
	if b == nil {
		meta.Members[0].Value, meta.Members[1].Value = n.MessageID, n.Timestamp
		root.Members[1].Value, root.Members[2].Value, root.Members[3].Value = n.PublisherID, n.EventType, n.Payload
	}
	return root
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
