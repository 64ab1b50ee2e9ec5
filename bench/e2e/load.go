package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Routing keys of the agent's notifier:// output on exchange "ceilometer".
const (
	keySamples = "metering.sample"
	keyEvents  = "event.sample"
)

// priorities are the oslo notification priorities: the agent (and Ceilometer)
// consume queue notifications.<priority> for each.
var priorities = []string{"audit", "critical", "debug", "error", "info", "sample", "warn"}

// corpusItem is one line of testdata/compat/notifications.jsonl with what
// Ceilometer 19 published for it (testdata/compat/expected.jsonl).
type corpusItem struct {
	Seq          int             `json:"seq"`
	Exchange     string          `json:"exchange"`
	Notification json.RawMessage `json:"notification"`

	obj *pyjson.Object

	sampleMsgs   int            // metering.sample messages
	samples      int            // samples in them
	counterNames map[string]int // samples per counter_name
	eventMsgs    int            // event.sample messages
	events       int            // events in them
}

type expectedLine struct {
	Seq        int    `json:"seq"`
	RoutingKey string `json:"routing_key"`
	Message    struct {
		Payload []struct {
			CounterName string `json:"counter_name"`
		} `json:"payload"`
	} `json:"message"`
}

// loadCorpus reads the corpus and the expected outputs from dir.
func loadCorpus(dir string) ([]*corpusItem, error) {
	items, err := readJSONL[corpusItem](filepath.Join(dir, "notifications.jsonl"))
	if err != nil {
		return nil, err
	}
	// The notifications on which the agent deliberately differs from
	// Ceilometer 19 are left out of the load: the benchmark compares counts.
	devData, err := os.ReadFile(filepath.Join(dir, "deviations.json"))
	if err != nil {
		return nil, err
	}
	var deviations map[string]string
	if err := json.Unmarshal(devData, &deviations); err != nil {
		return nil, fmt.Errorf("deviations.json: %w", err)
	}
	kept := items[:0]
	for _, it := range items {
		if _, ok := deviations[fmt.Sprint(it.Seq)]; !ok {
			kept = append(kept, it)
		}
	}
	items = kept
	bySeq := map[int]*corpusItem{}
	for _, it := range items {
		v, err := pyjson.Decode(it.Notification)
		if err != nil {
			return nil, fmt.Errorf("corpus seq %d: %w", it.Seq, err)
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			return nil, fmt.Errorf("corpus seq %d: notification is not an object", it.Seq)
		}
		it.obj = o
		it.counterNames = map[string]int{}
		bySeq[it.Seq] = it
	}
	exp, err := readJSONL[expectedLine](filepath.Join(dir, "expected.jsonl"))
	if err != nil {
		return nil, err
	}
	for _, e := range exp {
		it := bySeq[e.Seq]
		if it == nil {
			if _, ok := deviations[fmt.Sprint(e.Seq)]; ok {
				continue
			}
			return nil, fmt.Errorf("expected.jsonl: seq %d is not in the corpus", e.Seq)
		}
		switch e.RoutingKey {
		case keySamples:
			it.sampleMsgs++
			it.samples += len(e.Message.Payload)
			for _, s := range e.Message.Payload {
				it.counterNames[s.CounterName]++
			}
		case keyEvents:
			it.eventMsgs++
			it.events += len(e.Message.Payload)
		default:
			return nil, fmt.Errorf("expected.jsonl: seq %d: unexpected routing key %q", e.Seq, e.RoutingKey)
		}
	}
	return items, nil
}

func readJSONL[T any](path string) ([]*T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// message is one notification of the load, ready to publish.
type message struct {
	exchange, key string
	body          []byte
}

// load is N notifications made by cycling the corpus, every copy with a fresh
// message_id and _unique_id, and what Ceilometer 19 publishes for them.
type load struct {
	msgs []message

	sampleMsgs, samples int
	eventMsgs, events   int
	counterNames        map[string]int
	eventsByID          map[string]int // events expected per notification message_id
	bytes               int
}

func buildLoad(items []*corpusItem, n int) *load {
	l := &load{msgs: make([]message, 0, n), counterNames: map[string]int{}, eventsByID: map[string]int{}}
	for i := 0; i < n; i++ {
		it := items[i%len(items)]
		id := ""
		if _, ok := it.obj.Get("message_id"); ok {
			id = uuid.New()
			it.obj.Set("message_id", id)
		}
		if _, ok := it.obj.Get("_unique_id"); ok {
			it.obj.Set("_unique_id", uuid.NewHex())
		}
		pv, _ := it.obj.Get("priority")
		ps, _ := pv.(string)
		body := rabbit.Envelope(it.obj)
		l.msgs = append(l.msgs, message{exchange: it.Exchange, key: "notifications." + strings.ToLower(ps), body: body})
		l.bytes += len(body)
		l.sampleMsgs += it.sampleMsgs
		l.samples += it.samples
		l.eventMsgs += it.eventMsgs
		l.events += it.events
		for k, v := range it.counterNames {
			l.counterNames[k] += v
		}
		if it.events > 0 {
			l.eventsByID[id] += it.events
		}
	}
	return l
}

// inputQueues are the queues the load is published to and the agent consumes.
func (l *load) inputQueues() []string {
	set := map[string]bool{}
	for _, p := range priorities {
		set["notifications."+p] = true
	}
	for _, m := range l.msgs {
		set[m.key] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// preload publishes the load exactly as oslo.messaging's rabbit notifier does
// (exchange per service, default queue declared and bound first) with publisher
// confirms, at most window messages unconfirmed.
func (l *load) preload(ctx context.Context, conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		return err
	}
	s := &rabbit.Sender{Ch: ch, Topic: "notifications"}
	const window = 2000
	pending := make([]*amqp.DeferredConfirmation, 0, window)
	for _, m := range l.msgs {
		dc, err := s.SendRaw(ctx, m.exchange, m.key, m.body)
		if err != nil {
			return fmt.Errorf("preload: %w", err)
		}
		pending = append(pending, dc)
		if len(pending) == window {
			if _, err := rabbit.WaitConfirms(ctx, pending[:window/2]); err != nil {
				return fmt.Errorf("preload: %w", err)
			}
			pending = append(pending[:0], pending[window/2:]...)
		}
	}
	if _, err := rabbit.WaitConfirms(ctx, pending); err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	return nil
}
