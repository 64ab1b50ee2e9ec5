package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/launcher"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/pipeline/transformer"
	"github.com/openstack-go/agent-notification/service"
)

const replayUsage = `usage: %s replay FILE [--config-file PATH]...

Feeds the notifications of FILE (JSON lines: a notification dict, an oslo 2.0
envelope, or {"exchange": …, "notification": {…}}) through the configured meter
and event definitions and pipelines, without a broker, and prints one JSON line
per sample or event each publisher would receive:

  {"notification": "<message_id>", "publisher": "notifier://", "sample": {…}}
  {"notification": "<message_id>", "publisher": "notifier://", "event": {…}}

Lines that cannot be decoded are reported on standard error with their number.
Exit status: 0, 2 usage, 3 invalid configuration, 1 unreadable input.
`

// printer is the publisher every pipeline gets in a replay: it prints.
type printer struct {
	mu     *sync.Mutex
	w      io.Writer
	url    string
	secret string
	cur    *string // message id of the notification being replayed
}

func (p *printer) line(kind string, dict *pyjson.Object) {
	o := &pyjson.Object{Members: []pyjson.Member{
		{Key: "notification", Value: *p.cur},
		{Key: "publisher", Value: p.url},
		{Key: kind, Value: dict},
	}}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := pyjson.AppendUnicode(nil, o)
	_, _ = p.w.Write(append(b, '\n'))
}

func (p *printer) PublishSamples(_ context.Context, samples []pipeline.Sample) error {
	for i := range samples {
		p.line("sample", samples[i].Message(p.secret))
	}
	return nil
}

func (p *printer) PublishEvents(_ context.Context, events []pipeline.Event) error {
	for i := range events {
		p.line("event", events[i].Message(p.secret))
	}
	return nil
}

func replay(argv []string, stdout, stderr io.Writer) int {
	var file string
	var rest []string
	for _, a := range argv {
		switch {
		case a == "-h" || a == "--help":
			fmt.Fprintf(stdout, replayUsage, Prog)
			return launcher.ExitOK
		case file == "" && !strings.HasPrefix(a, "-"):
			file = a
		default:
			rest = append(rest, a)
		}
	}
	if file == "" {
		fmt.Fprintf(stderr, replayUsage, Prog)
		return ExitUsage
	}
	if _, code, ok := parseCommon(rest, stdout, stderr, ""); !ok {
		return code
	}
	g, err := service.Load(Prog, rest, conf.NewBundle(nil))
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return launcher.ExitFatalConfig
	}
	for _, w := range g.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	var (
		mu  sync.Mutex
		cur string
	)
	newPrinter := func(pc pipeline.PublisherConfig) *printer {
		return &printer{mu: &mu, w: stdout, url: pc.URL, secret: g.Config.Publisher.TelemetrySecret, cur: &cur}
	}
	resolver := pipeline.Resolver{
		SamplePublisher: func(pc pipeline.PublisherConfig) (pipeline.SamplePublisher, error) { return newPrinter(pc), nil },
		EventPublisher:  func(pc pipeline.PublisherConfig) (pipeline.EventPublisher, error) { return newPrinter(pc), nil },
		Transformers:    transformer.SharedChains(transformer.Settings{SampleSource: g.Config.SampleSource}),
		Flush: func(ctx context.Context, chain []pipeline.Transformer, drain bool) ([]pipeline.Sample, error) {
			if drain {
				return transformer.DrainChain(ctx, chain)
			}
			return transformer.FlushChain(ctx, chain)
		},
	}
	var samples *pipeline.SampleManager
	var events *pipeline.EventManager
	if g.SamplePipelines != nil {
		samples, _ = pipeline.NewSampleManager(hclog.NewNullLogger(), g.SamplePipelines, resolver)
	}
	if g.EventPipelines != nil {
		events, _ = pipeline.NewEventManager(hclog.NewNullLogger(), g.EventPipelines, resolver)
	}

	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "%s replay: %v\n", Prog, err)
		return launcher.ExitFailure
	}
	defer f.Close()
	ctx := context.Background()
	dec := &pyjson.Decoder{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, service.DefaultMaxMessageBytes)
	lineNo, bad := 0, 0
	for sc.Scan() {
		lineNo++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		body := []byte(text)
		if v, err := pyjson.Decode(body); err == nil {
			if o, ok := v.(*pyjson.Object); ok {
				if inner, ok := o.Get("notification"); ok {
					if io, ok := inner.(*pyjson.Object); ok {
						body = rabbit.Envelope(io)
					}
				}
			}
		}
		n, err := service.Decode(dec, body, service.DefaultMaxMessageBytes)
		if err != nil {
			fmt.Fprintf(stderr, "%s:%d: %v\n", file, lineNo, err)
			bad++
			continue
		}
		cur = n.MessageID
		if samples != nil && (n.Priority == "info" || n.Priority == "sample") {
			for _, src := range g.Meters {
				out, err := src.Process(ctx, n)
				if err != nil {
					fmt.Fprintf(stderr, "%s:%d: %v\n", file, lineNo, err)
				}
				_ = samples.Publish(ctx, out)
			}
		}
		if events != nil && g.Events != nil && (n.Priority == "info" || n.Priority == "error") {
			ev, err := g.Events.Convert(n)
			if err != nil {
				fmt.Fprintf(stderr, "%s:%d: %v\n", file, lineNo, err)
			}
			if ev != nil {
				_ = events.Publish(ctx, []pipeline.Event{*ev})
			}
		}
	}
	if samples != nil {
		cur = ""
		_ = samples.Flush(ctx, true)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "%s replay: %s: %v\n", Prog, file, err)
		return launcher.ExitFailure
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "%d of %d lines could not be decoded\n", bad, lineNo)
	}
	return launcher.ExitOK
}
