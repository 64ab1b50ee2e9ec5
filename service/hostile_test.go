package service

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/internal/ratelog"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// hostileMaxBytes is the worker's size limit in TestHostileInputMatrix: above
// the 1 MB string case, below the oversized one.
const hostileMaxBytes = 2 << 20

// instanceSamples are the samples Ceilometer 19's meters.yaml makes of a
// compute.instance.exists notification.
var instanceSamples = []string{"disk.ephemeral.size", "disk.root.size", "memory", "vcpus"}

// hostileCase is one class of malformed input and what the worker must do
// with it.
type hostileCase struct {
	name string
	// The message: body is built by message (which returns the ids its
	// outputs carry, "" when it has none) or given raw.
	message       func() (body []byte, instanceID, messageID string)
	raw           []byte
	contentType   string // "-" = none; "" = application/json
	encoding      string // "-" = none; "" = utf-8
	compression   string // kombu's "compression" header; application/x-gzip also compresses the body
	key           string // routing key; "" = notifications.info
	reason        string // rejected with this reason; "" = acked
	samples       []string
	event         string // event_type of the event published for it, "" = none
	sampleErrors  uint64
	eventErrors   uint64
	invalidVolume uint64
	logs          int      // warn/error lines for the message
	logHas        []string // text the line contains (besides the reason for a reject)
	check         func(t *testing.T, samples, events []*pyjson.Object)
}

// TestHostileInputMatrix sends every class of malformed message to one
// running worker (Ceilometer 19's definitions, notifier:// publishers, a
// dead-letter policy on the notification queues), each followed by a good
// sentinel notification, and checks for each: the outcome (rejected with its
// reason counted once, or acked with exactly the outputs that do not depend
// on the bad field and its error counted), exactly one warn/error log line
// naming the reason (none for input that is merely unknown), and that the
// sentinel behind it is processed with nothing requeued or left in a queue.
func TestHostileInputMatrix(t *testing.T) {
	began := time.Now()
	amqpURL := rabbittest.VHost(t)
	b := dialBroker(t, amqpURL)
	// Rejected messages are dead-lettered, as an operator configures it.
	dlq := deadLettering(t, amqpURL, b)
	capture := b.capture("metering.sample", "event.sample")

	// Ceilometer 19's meter and event definitions, as the worker loads them
	// with no definition file configured (the built-in ones).
	g := testGeneration(t, amqpURL, "")
	var err error
	if g.Meters, err = loadMeters(g); err != nil {
		t.Fatal(err)
	}
	if g.Events, err = loadEvents(g); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	w, err := NewWorker(hclog.New(&hclog.LoggerOptions{Output: logs, JSONFormat: true, Level: hclog.Info}), g, hostileMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	// Every line is counted here; the production rate limit (which would
	// hide lines of cases closer than 100 ms) is ratelog's own test.
	w.limiter = ratelog.New(1<<20, time.Second)
	runWorker(t, w)
	l := w.listeners[0]
	out := newOutputs(t, b, capture)

	cases := hostileCases()
	expect := map[string][]string{} // output id → "sample:<name>" / "event:<type>", sorted
	owner := map[string]string{}    // output id → case
	var rejected [][]byte           // bodies, in order
	for _, tc := range cases {
		stuck := false
		t.Run(tc.name, func(t *testing.T) {
			body, instID, msgID := tc.raw, "", ""
			if tc.message != nil {
				body, instID, msgID = tc.message()
			}
			var want []string
			for _, s := range tc.samples {
				want = append(want, "sample:"+s)
			}
			if tc.event != "" {
				want = append(want, "event:"+tc.event)
			}
			hostileOut := map[string][]string{}
			for _, s := range want {
				id := instID
				if strings.HasPrefix(s, "event:") {
					id = msgID
				}
				hostileOut[id] = append(hostileOut[id], s)
			}
			if _, ok := hostileOut[""]; ok {
				t.Fatal("outputs expected of a message without ids")
			}
			sentinel, sInst, sMsg := instanceNotification(nil)
			sentinelOut := map[string][]string{sInst: prefixed("sample:", instanceSamples), sMsg: {"event:compute.instance.exists"}}
			for _, m := range []map[string][]string{hostileOut, sentinelOut} {
				for id, ns := range m {
					slices.Sort(ns)
					expect[id], owner[id] = ns, tc.name
				}
			}

			before := snapshotCounters(w)
			logOff := logs.Len()
			key := tc.key
			if key == "" {
				key = "notifications.info"
			}
			pub := amqp.Publishing{ContentType: "application/json", ContentEncoding: "utf-8", DeliveryMode: amqp.Persistent, Body: body}
			pub.ContentType = property(pub.ContentType, tc.contentType)
			pub.ContentEncoding = property(pub.ContentEncoding, tc.encoding)
			if tc.compression != "" {
				pub.Headers = amqp.Table{"compression": tc.compression}
				if tc.compression == "application/x-gzip" { // kombu's gzip is zlib's format
					var z bytes.Buffer
					zw := zlib.NewWriter(&z)
					_, _ = zw.Write(pub.Body)
					_ = zw.Close()
					pub.Body = z.Bytes()
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			dc1, err := b.ch.PublishWithDeferredConfirmWithContext(ctx, "nova", key, true, false, pub)
			if err != nil {
				t.Fatal(err)
			}
			dc2, err := b.send.SendRaw(ctx, "nova", "notifications.info", sentinel)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rabbit.WaitConfirms(ctx, []*amqp.DeferredConfirmation{dc1, dc2}); err != nil {
				t.Fatal(err)
			}

			// Both settled, the sentinel's outputs and the hostile one's
			// published (each case has a few seconds).
			deadline := time.Now().Add(5 * time.Second)
			for {
				out.read(50 * time.Millisecond)
				settled := l.Stats.Received.Load() == before.received+2 && l.Stats.InFlight.Load() == 0
				if settled && out.has(sentinelOut) && out.has(hostileOut) {
					break
				}
				if time.Now().After(deadline) {
					stuck = true
					t.Fatalf("after 5 s: received %d of 2, in flight %d; sentinel outputs %v of %v; hostile outputs %v of %v",
						l.Stats.Received.Load()-before.received, l.Stats.InFlight.Load(), out.names(sentinelOut), sentinelOut, out.names(hostileOut), hostileOut)
				}
			}
			after := snapshotCounters(w)

			// 1. The outcome, counted exactly once.
			wantRejected := map[string]uint64{}
			wantAcked := uint64(2)
			if tc.reason != "" {
				wantRejected[tc.reason] = 1
				wantAcked = 1
				rejected = append(rejected, body)
			}
			if got := after.rejectedSince(before); !maps.Equal(got, wantRejected) {
				t.Errorf("rejected by reason %v, want %v", got, wantRejected)
			}
			if got := after.acked - before.acked; got != wantAcked {
				t.Errorf("acked %d, want %d", got, wantAcked)
			}
			if got := after.requeued - before.requeued; got != 0 {
				t.Errorf("requeued %d", got)
			}
			if got := after.ackErrors - before.ackErrors; got != 0 {
				t.Errorf("ack failures %d", got)
			}
			for _, c := range []struct {
				name      string
				got, want uint64
			}{
				{"sample errors", after.sampleErrors - before.sampleErrors, tc.sampleErrors},
				{"event errors", after.eventErrors - before.eventErrors, tc.eventErrors},
				{"invalid volumes", after.invalidVolume - before.invalidVolume, tc.invalidVolume},
				{"publish failures", after.publishFailure - before.publishFailure, 0},
			} {
				if c.got != c.want {
					t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
				}
			}
			if got := after.decoded - before.decoded; got != wantAcked {
				t.Errorf("decoded %d notifications, want %d", got, wantAcked)
			}

			// 2. Exactly the expected log lines, naming the reason.
			lines := logs.linesFrom(t, logOff)
			if len(lines) != tc.logs {
				t.Errorf("%d warn/error log lines, want %d:\n%s", len(lines), tc.logs, joinLines(lines))
			}
			for _, ln := range lines {
				text, _ := json.Marshal(ln)
				if tc.reason != "" {
					if ln["reason"] != tc.reason || ln["exchange"] != "nova" || ln["routing_key"] != key {
						t.Errorf("the log line does not name reason %s, exchange nova and routing key %s: %s", tc.reason, key, text)
					}
				}
				for _, s := range tc.logHas {
					if !strings.Contains(string(text), s) {
						t.Errorf("the log line does not contain %q: %s", s, text)
					}
				}
			}

			// 3. Nothing stuck: the queue is empty, the listener consumes.
			for _, q := range []string{key, "notifications.info"} {
				if st, err := b.ch.QueueDeclarePassive(q, false, false, false, false, nil); err != nil {
					t.Fatal(err)
				} else if st.Messages != 0 {
					t.Errorf("%s holds %d messages", q, st.Messages)
				}
			}
			// 4. No crash or channel failure: still consuming, same connection.
			if !l.Consuming() || l.Stats.Reconnects.Load() != 0 {
				t.Errorf("consuming %v after %d reconnects", l.Consuming(), l.Stats.Reconnects.Load())
			}
			if tc.check != nil {
				tc.check(t, out.items(instID, "sample"), out.items(msgID, "event"))
			}
		})
		if stuck {
			t.Fatal("stopping: a case did not complete")
		}
	}

	// Nothing else arrives late, for any case.
	out.read(500 * time.Millisecond)
	for id, got := range out.byID {
		if _, ok := expect[id]; !ok {
			t.Errorf("unexpected outputs %v for id %q", names(got), id)
		}
	}
	for id, want := range expect {
		got := names(out.byID[id])
		if !slices.Equal(got, want) {
			t.Errorf("%s: outputs for %s: %v, want %v", owner[id], id, got, want)
		}
	}
	// Every rejected message, and only those, is dead-lettered untouched.
	dead := b.collect(dlq, len(rejected), 10*time.Second)
	if len(dead) != len(rejected) {
		t.Errorf("%d messages dead-lettered, want %d", len(dead), len(rejected))
	}
	for i := range min(len(dead), len(rejected)) {
		if !bytes.Equal(dead[i].Body, rejected[i]) {
			t.Errorf("dead letter %d is not the rejected message: %.80q, want %.80q", i, dead[i].Body, rejected[i])
		}
	}
	counts := queueCounts(t, amqpURL)
	for q, c := range counts {
		if strings.HasPrefix(q, "notifications.") && (c[0] != 0 || c[1] != 0) {
			t.Errorf("%s: %d ready, %d unacked", q, c[0], c[1])
		}
	}
	if got := l.Stats.Requeued.Load(); got != 0 {
		t.Errorf("requeued %d in all", got)
	}
	t.Logf("%d cases in %v", len(cases), time.Since(began).Round(time.Millisecond))
}

func hostileCases() []hostileCase {
	raw := func(s string) []byte { return []byte(s) }
	// enveloped wraps a raw oslo message text in the 2.0 envelope.
	enveloped := func(version, msg string) []byte {
		return pyjson.Append(nil, &pyjson.Object{Members: []pyjson.Member{{Key: "oslo.version", Value: version}, {Key: "oslo.message", Value: msg}}})
	}
	// set returns a compute.instance.exists notification whose payload key
	// (with a "." prefix, message key) is v; del one without that key.
	edit := func(key string, f func(o *pyjson.Object, k string)) func() ([]byte, string, string) {
		return func() ([]byte, string, string) {
			return instanceNotification(func(msg, payload *pyjson.Object) {
				if k, ok := strings.CutPrefix(key, "."); ok {
					f(msg, k)
				} else {
					f(payload, key)
				}
			})
		}
	}
	set := func(key string, v pyjson.Value) func() ([]byte, string, string) {
		return edit(key, func(o *pyjson.Object, k string) { o.Set(k, v) })
	}
	del := func(key string) func() ([]byte, string, string) {
		return edit(key, func(o *pyjson.Object, k string) { o.Delete(k) })
	}
	good := func() ([]byte, string, string) { return instanceNotification(nil) }
	goodInner := string(pyjson.Append(nil, notification("compute.instance.exists", "INFO", &pyjson.Object{})))
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	body, _, _ := instanceNotification(nil)
	_, _ = zw.Write(body)
	_ = zw.Close()
	long := strings.Repeat("x", 1<<20)
	all, ev := instanceSamples, "compute.instance.exists"
	return []hostileCase{
		// Undecodable bodies.
		{name: "invalid json", raw: raw(`{"oslo.version": "2.0", "oslo.message": `), reason: ReasonInvalidJSON, logs: 1},
		{name: "invalid utf-8", raw: raw("{\"oslo.version\": \"2.0\", \"oslo.message\": \"\xff\xfe\"}"), reason: ReasonInvalidJSON, logs: 1, logHas: []string{"UTF-8"}},
		{name: "empty body", raw: raw(``), reason: ReasonInvalidJSON, logs: 1},
		{name: "scalar body", raw: raw(`42`), reason: ReasonNotObject, logs: 1},
		{name: "string body", raw: raw(`"notification"`), reason: ReasonNotObject, logs: 1},
		{name: "null body", raw: raw(`null`), reason: ReasonNotObject, logs: 1},
		{name: "list body", raw: raw(`[{"priority": "INFO", "event_type": "x"}]`), key: "notifications.sample", reason: ReasonNotObject, logs: 1},
		{name: "20000-deep body", raw: raw(deep), reason: ReasonInvalidJSON, logs: 1, logHas: []string{"depth"}},
		{name: "20000-deep payload", raw: enveloped("2.0", `{"priority": "INFO", "event_type": "compute.instance.exists", "payload": `+deep+`}`), reason: ReasonInvalidJSON, logs: 1, logHas: []string{"depth"}},
		// The envelope.
		{name: "envelope 1.0", raw: enveloped("1.0", goodInner), reason: ReasonEnvelopeVersion, logs: 1, logHas: []string{"1.0"}},
		{name: "envelope 3.0", raw: enveloped("3.0", goodInner), reason: ReasonEnvelopeVersion, logs: 1, logHas: []string{"3.0"}},
		{name: "envelope version a number", raw: raw(`{"oslo.version": 2, "oslo.message": "{}"}`), reason: ReasonEnvelopeVersion, logs: 1},
		{name: "oslo.message missing", raw: raw(`{"oslo.version": "2.0"}`), reason: ReasonEnvelope, logs: 1},
		{name: "oslo.message a dict", raw: raw(`{"oslo.version": "2.0", "oslo.message": {"priority": "INFO", "event_type": "x"}}`), reason: ReasonEnvelope, logs: 1},
		{name: "oslo.message invalid json", raw: enveloped("2.0", `{"priority": "INFO", `), reason: ReasonInvalidJSON, logs: 1, logHas: []string{"oslo.message"}},
		{name: "oslo.message a list", raw: enveloped("2.0", `[{"priority": "INFO", "event_type": "x"}]`), reason: ReasonNotObject, logs: 1},
		// Priority and event_type.
		{name: "no priority", message: del(".priority"), reason: ReasonPriority, logs: 1},
		{name: "null priority", message: set(".priority", nil), reason: ReasonPriority, logs: 1, logHas: []string{"None"}},
		{name: "priority a number", message: set(".priority", int64(3)), reason: ReasonPriority, logs: 1},
		{name: "priority fatal", message: set(".priority", "fatal"), key: "notifications.error", reason: ReasonPriority, logs: 1, logHas: []string{"fatal"}},
		{name: "no event_type", message: del(".event_type"), reason: ReasonEventType, logs: 1},
		{name: "null event_type", message: set(".event_type", nil), reason: ReasonEventType, logs: 1},
		{name: "event_type a list", message: set(".event_type", []pyjson.Value{"compute.instance.exists"}), reason: ReasonEventType, logs: 1},
		// Properties: oslo.messaging sends application/json in utf-8.
		{name: "pickle", raw: raw("\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x08priority\x94\x8c\x04INFO\x94s."),
			contentType: "application/x-python-serialize", encoding: "binary", reason: ReasonContentType, logs: 1, logHas: []string{"application/x-python-serialize"}},
		{name: "text/plain json", message: good, contentType: "text/plain", reason: ReasonContentType, logs: 1, logHas: []string{"text/plain"}},
		{name: "gzip", raw: gz.Bytes(), encoding: "gzip", reason: ReasonContentEncoding, logs: 1, logHas: []string{"gzip"}},
		{name: "no content type", message: good, contentType: "-", encoding: "-", samples: all, event: ev},
		{name: "json with charset", message: good, contentType: "Application/JSON; charset=UTF-8", encoding: "UTF8", samples: all, event: ev},
		{name: "text/json", message: good, contentType: "text/json", samples: all, event: ev},
		{name: "kombu gzip compression", message: good, compression: "application/x-gzip", samples: all, event: ev},
		{name: "kombu lzma compression", message: good, compression: "application/x-lzma", reason: ReasonCompression, logs: 1, logHas: []string{"lzma"}},
		// Size: rejected before decoding (the body is not JSON either).
		{name: "too large", raw: raw("{" + strings.Repeat("\xff", hostileMaxBytes+1024)), reason: ReasonTooLarge, logs: 1, logHas: []string{"exceeds"}},
		// A notification nobody has definitions for: no sample, the default
		// event Ceilometer 19 publishes (drop_unmatched_notifications is false
		// by default), no error.
		{name: "unknown event type", message: func() ([]byte, string, string) {
			msg := notification("acme.widget.frobnicated", "INFO", &pyjson.Object{Members: []pyjson.Member{{Key: "widget", Value: "w1"}}})
			id, _ := msg.Get("message_id")
			return rabbit.Envelope(msg), "", id.(string)
		}, event: "acme.widget.frobnicated"},
		// Bad fields: only what depends on them is lost. An event whose trait
		// cannot take its value is dropped whole, as Ceilometer 19 does
		// (plugins/event/doc.go).
		{name: "memory_mb a dict", message: set("memory_mb", &pyjson.Object{Members: []pyjson.Member{{Key: "mb", Value: int64(1)}}}),
			samples: without(all, "memory"), invalidVolume: 1, eventErrors: 1, logs: 1, logHas: []string{"memory_mb"}},
		{name: "memory_mb abc", message: set("memory_mb", "abc"),
			samples: without(all, "memory"), invalidVolume: 1, eventErrors: 1, logs: 1, logHas: []string{"memory_mb"}},
		{name: "launched_at not a date", message: set("launched_at", "not-a-date"),
			samples: all, eventErrors: 1, logs: 1, logHas: []string{"launched_at"}},
		{name: "launched_at a number", message: set("launched_at", int64(1764061200)),
			samples: all, eventErrors: 1, logs: 1, logHas: []string{"launched_at"}},
		{name: "timestamp not a date", message: set(".timestamp", "not-a-date"),
			sampleErrors: 1, eventErrors: 1, logs: 1, logHas: []string{"timestamp"}},
		{name: "timestamp a number", message: set(".timestamp", int64(1764061200)),
			sampleErrors: 1, eventErrors: 1, logs: 1, logHas: []string{"timestamp"}},
		{name: "int trait xyz", message: set("disk_gb", "xyz"),
			samples: all, eventErrors: 1, logs: 1, logHas: []string{"disk_gb"}},
		{name: "payload a list", message: set(".payload", []pyjson.Value{"a", int64(1)}), event: ev, invalidVolume: 4, logs: 1, logHas: []string{"memory dropped", "not a number"}},
		{name: "payload a string", message: set(".payload", "payload"), event: ev, invalidVolume: 4, logs: 1, logHas: []string{"vcpus dropped", "not a number"}},
		// Oddities that are valid: processed in full.
		{name: "lone surrogate", message: func() ([]byte, string, string) {
			msg, inst, id := instanceMessage(func(_, payload *pyjson.Object) { payload.Set("display_name", "SURROGATE") })
			text := strings.Replace(string(pyjson.Append(nil, msg)), `"SURROGATE"`, `"vm-\ud800"`, 1)
			return enveloped("2.0", text), inst, id
		}, samples: all, event: ev, check: func(t *testing.T, samples, events []*pyjson.Object) {
			for _, s := range samples {
				if v := metadata(s, "display_name"); v != "vm-\ufffd" {
					t.Errorf("sample display_name = %q, want vm-U+FFFD", v)
				}
			}
			if v := trait(events, "display_name"); v != "vm-\ufffd" {
				t.Errorf("event display_name = %q, want vm-U+FFFD", v)
			}
		}},
		{name: "1 MB string", message: set("display_name", long), samples: all, event: ev,
			check: func(t *testing.T, samples, events []*pyjson.Object) {
				for _, s := range samples {
					if v := metadata(s, "display_name"); v != long {
						t.Errorf("sample display_name of %d bytes, want the 1 MB string", len(pyjson.Str(v)))
					}
				}
				// A text trait is cut to 255 characters, as Ceilometer does.
				if v := trait(events, "display_name"); v != long[:255] {
					t.Errorf("event display_name of %d bytes, want 255", len(pyjson.Str(v)))
				}
			}},
	}
}

// instanceMessage returns a compute.instance.exists notification as nova
// sends it (fresh message and instance ids), changed by mutate when not nil.
func instanceMessage(mutate func(msg, payload *pyjson.Object)) (msg *pyjson.Object, instanceID, messageID string) {
	instanceID = uuid.New()
	payload := &pyjson.Object{Members: []pyjson.Member{
		{Key: "tenant_id", Value: "6f70656e737461636b20697320636f6f"},
		{Key: "user_id", Value: "c0ffee0c0ffee0c0ffee0c0ffee0c0ff"},
		{Key: "instance_id", Value: instanceID},
		{Key: "display_name", Value: "vm-1"},
		{Key: "host", Value: "compute-1"},
		{Key: "instance_type", Value: "m1.small"},
		{Key: "instance_flavor_id", Value: "2"},
		{Key: "memory_mb", Value: int64(2048)},
		{Key: "disk_gb", Value: int64(20)},
		{Key: "root_gb", Value: int64(20)},
		{Key: "ephemeral_gb", Value: int64(0)},
		{Key: "vcpus", Value: int64(1)},
		{Key: "state", Value: "active"},
		{Key: "created_at", Value: "2026-11-25 08:59:00+00:00"},
		{Key: "launched_at", Value: "2026-11-25T09:00:00.000000"},
		{Key: "audit_period_beginning", Value: "2026-11-25T09:00:00.000000"},
		{Key: "audit_period_ending", Value: "2026-11-25T10:00:00.000000"},
	}}
	msg = notification("compute.instance.exists", "INFO", payload)
	id, _ := msg.Get("message_id")
	if mutate != nil {
		mutate(msg, payload)
	}
	return msg, instanceID, id.(string)
}

// instanceNotification is instanceMessage in the oslo envelope.
func instanceNotification(mutate func(msg, payload *pyjson.Object)) (body []byte, instanceID, messageID string) {
	msg, instanceID, messageID := instanceMessage(mutate)
	return rabbit.Envelope(msg), instanceID, messageID
}

// counterSnapshot is what the worker and its listener have counted.
type counterSnapshot struct {
	received, acked, requeued, ackErrors                              uint64
	rejected                                                          map[string]uint64
	decoded, sampleErrors, eventErrors, publishFailure, invalidVolume uint64
}

func snapshotCounters(w *Worker) counterSnapshot {
	st := &w.listeners[0].Stats
	return counterSnapshot{
		received: st.Received.Load(), acked: st.Acked.Load(), requeued: st.Requeued.Load(), ackErrors: st.AckErrors.Load(),
		rejected: st.RejectedBy(),
		decoded:  w.Counters.Decoded.Load(), sampleErrors: w.Counters.SampleErrors.Load(), eventErrors: w.Counters.EventErrors.Load(),
		publishFailure: w.Counters.PublishFailure.Load(), invalidVolume: w.samples.Stats.InvalidVolume.Load(),
	}
}

// rejectedSince returns the rejections by reason counted since before.
func (s counterSnapshot) rejectedSince(before counterSnapshot) map[string]uint64 {
	out := map[string]uint64{}
	for r, n := range s.rejected {
		if d := n - before.rejected[r]; d != 0 {
			out[r] = d
		}
	}
	return out
}

// logBuffer collects a logger's JSON lines; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// linesFrom returns the warn and error lines written after offset off.
func (l *logBuffer) linesFrom(t *testing.T, off int) []map[string]any {
	t.Helper()
	l.mu.Lock()
	text := string(l.buf.Bytes()[off:])
	l.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(text) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %v: %q", err, line)
			continue
		}
		if lv := m["@level"]; lv == "warn" || lv == "error" {
			out = append(out, m)
		}
	}
	return out
}

func joinLines(lines []map[string]any) string {
	var sb strings.Builder
	for _, m := range lines {
		b, _ := json.Marshal(m)
		sb.Write(b)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// output is one sample or event the worker published.
type output struct {
	kind string // "sample" or "event"
	name string // counter_name or event_type
	item *pyjson.Object
}

// outputs reads what the notifier:// publishers send to a capture queue and
// indexes it: samples by resource_id, events by message_id.
type outputs struct {
	t    *testing.T
	ds   <-chan amqp.Delivery
	byID map[string][]output
}

func newOutputs(t *testing.T, b *broker, queue string) *outputs {
	t.Helper()
	ch, err := b.conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close() })
	ds, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &outputs{t: t, ds: ds, byID: map[string][]output{}}
}

// read indexes every message arriving within wait.
func (o *outputs) read(wait time.Duration) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case d := <-o.ds:
			o.add(d)
		case <-timer.C:
			return
		}
	}
}

func (o *outputs) add(d amqp.Delivery) {
	env, err := pyjson.Decode(d.Body)
	if err != nil {
		o.t.Errorf("output %s is not JSON: %v", d.RoutingKey, err)
		return
	}
	inner, _ := env.(*pyjson.Object).Get("oslo.message")
	s, _ := inner.(string)
	m, err := pyjson.Decode([]byte(s))
	if err != nil {
		o.t.Errorf("output %s: oslo.message is not JSON: %v", d.RoutingKey, err)
		return
	}
	payload, _ := m.(*pyjson.Object).Get("payload")
	items, _ := payload.([]pyjson.Value)
	for _, it := range items {
		item, _ := it.(*pyjson.Object)
		if item == nil {
			o.t.Errorf("output %s: item %s", d.RoutingKey, pyjson.Repr(it))
			continue
		}
		kind, idKey, nameKey := "sample", "resource_id", "counter_name"
		if d.RoutingKey == "event.sample" {
			kind, idKey, nameKey = "event", "message_id", "event_type"
		}
		id, _ := item.Get(idKey)
		name, _ := item.Get(nameKey)
		ids, _ := id.(string)
		names, _ := name.(string)
		o.byID[ids] = append(o.byID[ids], output{kind: kind, name: names, item: item})
	}
}

// has reports whether at least the wanted number of outputs arrived for each id.
func (o *outputs) has(want map[string][]string) bool {
	for id, names := range want {
		if len(o.byID[id]) < len(names) {
			return false
		}
	}
	return true
}

func (o *outputs) names(want map[string][]string) map[string][]string {
	got := map[string][]string{}
	for id := range want {
		got[id] = names(o.byID[id])
	}
	return got
}

func (o *outputs) items(id, kind string) []*pyjson.Object {
	var out []*pyjson.Object
	for _, x := range o.byID[id] {
		if x.kind == kind {
			out = append(out, x.item)
		}
	}
	return out
}

// names returns "kind:name" of outs, sorted.
func names(outs []output) []string {
	var s []string
	for _, x := range outs {
		s = append(s, x.kind+":"+x.name)
	}
	slices.Sort(s)
	return s
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

func without(names []string, name string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == name })
}

func metadata(sample *pyjson.Object, key string) pyjson.Value {
	md, _ := sample.Get("resource_metadata")
	o, _ := md.(*pyjson.Object)
	if o == nil {
		return nil
	}
	v, _ := o.Get(key)
	return v
}

// trait returns the value of the first event's trait name.
func trait(events []*pyjson.Object, name string) pyjson.Value {
	if len(events) == 0 {
		return nil
	}
	traits, _ := events[0].Get("traits")
	list, _ := traits.([]pyjson.Value)
	for _, tr := range list {
		if t, ok := tr.([]pyjson.Value); ok && len(t) == 3 && t[0] == name {
			return t[2]
		}
	}
	return nil
}

// property is a case's AMQP property: oslo's value when the case leaves it
// empty, none when it says "-", else its own.
func property(oslo, c string) string {
	switch c {
	case "":
		return oslo
	case "-":
		return ""
	}
	return c
}
