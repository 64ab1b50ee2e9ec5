package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/ratelog"
	"github.com/openstack-go/agent-notification/internal/wait"
	"github.com/openstack-go/agent-notification/launcher"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/publisher"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/pipeline/transformer"
	"github.com/openstack-go/agent-notification/plugins"
)

// DefaultMaxMessageBytes is the size above which a message is rejected before it
// is decoded.
const DefaultMaxMessageBytes = 64 << 20

// Service is the notification service a worker runs: listener → decode → meter
// definitions and event converter → sample and event pipelines → publishers,
// acking each notification once every publisher accepted its outputs. It
// implements launcher.Service.
type Service struct {
	Logger hclog.Logger
	// MaxMessageBytes bounds a message body; 0 = DefaultMaxMessageBytes.
	MaxMessageBytes int
	// OneCPU is set by the agent: each worker then runs the Go runtime on
	// one CPU (see WorkerProcs) unless GOMAXPROCS is set.
	OneCPU bool

	mu      sync.Mutex
	worker  *Worker              // the running worker, for reports and tests
	running map[*Worker]struct{} // every worker whose Run has not returned (two during an in-process roll), for Metrics
}

// Run builds a worker from the snapshot of a validated generation, starts it,
// calls ready once every listener consumes, and stops it gracefully when ctx is
// cancelled.
func (s *Service) Run(ctx context.Context, snapshot []byte, ready func()) error {
	g, err := FromSnapshot(snapshot)
	if err != nil {
		return fmt.Errorf("%w: %v", launcher.ErrFatalConfig, err)
	}
	w, err := NewWorker(s.Logger, g, s.MaxMessageBytes)
	if err != nil {
		return fmt.Errorf("%w: %v", launcher.ErrFatalConfig, err)
	}
	if _, set := os.LookupEnv("GOMAXPROCS"); s.OneCPU && !set {
		runtime.GOMAXPROCS(WorkerProcs)
	}
	s.track(w, true)
	defer s.track(w, false)
	w.OnReady = ready
	if err := w.Start(ctx); err != nil {
		_ = w.Shutdown(context.Background())
		return err
	}
	<-ctx.Done()
	// The launcher bounds the drain with graceful_shutdown_timeout (it kills a
	// worker that takes longer); inside, shutdown waits for the in-flight work.
	return w.Shutdown(context.Background())
}

// WorkerProcs is the GOMAXPROCS of a worker: one CPU each, so `workers` is
// the number of cores the agent uses, as with Ceilometer's single-threaded
// Python workers. A worker's work is one pipeline (read, decode, convert,
// encode, write) with little to run in parallel; a runtime sized for the
// whole machine spends the difference waking threads and handing work
// between them. Measured with make bench on 2 CPUs, the broker on the same
// cores: workers=2 with GOMAXPROCS=2 each, 0.17 ms of CPU per notification;
// with 1 each, 0.10 ms (5,100 → 7,600 notifications/s); workers=1 with 2,
// 0.145 ms, with 1, 0.10 ms and 14 % faster (5,130 → 5,870/s).
const WorkerProcs = 1

// Reload applies a new generation in place (restart_method = mutate): only the
// mutable options change — today the log level ([DEFAULT] debug).
func (s *Service) Reload(_ context.Context, snapshot []byte) error {
	g, err := FromSnapshot(snapshot)
	if err != nil {
		return err
	}
	if s.Logger != nil {
		if g.Config.Log.Debug {
			s.Logger.SetLevel(hclog.Debug)
		} else {
			s.Logger.SetLevel(hclog.Info)
		}
	}
	return nil
}

// Current returns the running worker (nil before Run).
func (s *Service) Current() *Worker {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.worker
}

// Counters are the worker's notification counters.
type Counters struct {
	Decoded        atomic.Uint64
	SampleErrors   atomic.Uint64
	EventErrors    atomic.Uint64
	PublishFailure atomic.Uint64
	Samples        atomic.Uint64
	Events         atomic.Uint64
}

// Worker is one running instance of the service built from a generation.
// Lifecycle: NewWorker → Start (publishers, then listeners) → Shutdown
// (listeners drain first, then publishers close).
type Worker struct {
	logger     hclog.Logger
	gen        *Generation
	maxBytes   int
	publishers []publisher.Publisher
	samples    *pipeline.SampleManager
	events     *pipeline.EventManager
	listeners  []*Listener
	// partitioning runs the hop of the stateful pipelines (nil: none).
	partitioning *partitioning
	decoders     sync.Pool
	limiter      *ratelog.Limiter
	stats        workerStats // for Metrics (metrics.go)

	// OnReady is called once every listener consumes.
	OnReady func()
	// Counters count notifications by outcome.
	Counters Counters

	readyLeft atomic.Int64
	stopFlush context.CancelFunc
	flushWG   sync.WaitGroup
}

// flushEvery is how often buffering transformers are flushed between
// notifications (so an aggregator's retention_time window is released even
// when no notification arrives).
const flushEvery = time.Second

// NewWorker builds the publishers, pipelines and listeners of g; nothing
// connects before Start.
func NewWorker(logger hclog.Logger, g *Generation, maxBytes int) (*Worker, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxMessageBytes
	}
	cfg := g.Config
	w := &Worker{logger: logger, gen: g, maxBytes: maxBytes, limiter: ratelog.New(10, time.Second)}
	w.decoders.New = func() any { return &pyjson.Decoder{} }
	factories, err := publisher.Factories()
	if err != nil {
		return nil, err
	}
	// The same URL gives the same publisher within a manager, as Ceilometer's
	// PublisherManager caches them.
	newResolver := func(purpose publisher.Purpose) pipeline.Resolver {
		cache := map[string]publisher.Publisher{}
		get := func(pc pipeline.PublisherConfig) (publisher.Publisher, error) {
			if p, ok := cache[pc.URL]; ok {
				return p, nil
			}
			p, err := publisher.New(context.Background(), factories, publisher.Settings{Logger: logger, Config: cfg, Purpose: purpose}, pc.URL)
			if err != nil {
				return nil, err
			}
			cache[pc.URL] = p
			w.publishers = append(w.publishers, p)
			return p, nil
		}
		chains := transformer.SharedChains(transformer.Settings{Logger: logger.Named("transformer"), SampleSource: cfg.SampleSource})
		return pipeline.Resolver{
			SamplePublisher: func(pc pipeline.PublisherConfig) (pipeline.SamplePublisher, error) {
				p, err := get(pc)
				if err != nil {
					return nil, err
				}
				return w.stats.countSamples(cfg, pc.URL, p), nil
			},
			EventPublisher: func(pc pipeline.PublisherConfig) (pipeline.EventPublisher, error) {
				p, err := get(pc)
				if err != nil {
					return nil, err
				}
				return w.stats.countEvents(cfg, pc.URL, p), nil
			},
			Transformers: func(sink *pipeline.SinkConfig) ([]pipeline.Transformer, error) {
				c, err := chains(sink)
				if err == nil {
					w.stats.addChain(sink.Name, c)
				}
				return c, err
			},
			Flush: func(ctx context.Context, chain []pipeline.Transformer, drain bool) ([]pipeline.Sample, error) {
				if drain {
					return transformer.DrainChain(ctx, chain)
				}
				return transformer.FlushChain(ctx, chain)
			},
		}
	}
	var warnings []string
	if g.SamplePipelines != nil {
		var ws []string
		w.samples, ws = pipeline.NewSampleManager(logger.Named("pipeline"), g.SamplePipelines, newResolver(publisher.PurposeSample))
		warnings = append(warnings, ws...)
	}
	if g.EventPipelines != nil {
		var ws []string
		w.events, ws = pipeline.NewEventManager(logger.Named("pipeline"), g.EventPipelines, newResolver(publisher.PurposeEvent))
		warnings = append(warnings, ws...)
	}
	for _, wn := range warnings {
		logger.Warn(wn)
	}
	if w.partitioning, err = newPartitioning(w); err != nil {
		return nil, err
	}

	qargs, err := rabbit.QueueArgs(cfg.Rabbit)
	if err != nil {
		return nil, err
	}
	topo := Topology{
		Exchanges:  Exchanges(cfg),
		Topics:     cfg.Notifications.Topics,
		Priorities: plugins.Priorities(),
		Durable:    rabbit.Durable(cfg.Rabbit),
		AutoDelete: cfg.Rabbit.AutoDelete,
		QueueArgs:  qargs,
	}
	for _, u := range cfg.URLs() {
		l, err := NewListener(ListenerSettings{
			Logger:   logger.Named("listener"),
			URL:      u,
			Config:   cfg,
			Topology: topo,
			Handler:  w.handle,
			OnReady:  w.listenerReady,
			Prefetch: cfg.Rabbit.PrefetchCount,
		})
		if err != nil {
			return nil, err
		}
		w.listeners = append(w.listeners, l)
	}
	w.readyLeft.Store(int64(len(w.listeners)))
	return w, nil
}

// Exchanges returns the exchanges to listen on: [notification]
// notification_control_exchanges, plus mitaka's per-service exchange options an
// operator set explicitly (nova_control_exchange = …), without duplicates.
func Exchanges(cfg *conf.Config) []string {
	out := slices.Clone(cfg.Notification.ControlExchanges)
	for _, svc := range cfg.ExplicitServiceExchanges() {
		if !slices.Contains(out, svc) {
			out = append(out, svc)
		}
	}
	return out
}

func (w *Worker) listenerReady() {
	if w.readyLeft.Add(-1) == 0 && w.OnReady != nil {
		w.OnReady()
	}
}

// Start starts the publishers, then the listeners (downstream first).
func (w *Worker) Start(ctx context.Context) error {
	for _, p := range w.publishers {
		if err := p.Start(ctx); err != nil {
			return err
		}
	}
	if w.partitioning != nil {
		if err := w.partitioning.Start(ctx); err != nil {
			return err
		}
	}
	if w.samples != nil {
		fctx, cancel := context.WithCancel(context.Background())
		w.stopFlush = cancel
		w.flushWG.Go(func() {
			t := time.NewTicker(flushEvery)
			defer t.Stop()
			for {
				select {
				case <-fctx.Done():
					return
				case <-t.C:
					if err := w.samples.Flush(fctx, false); err != nil && fctx.Err() == nil && w.limiter.Allow() {
						w.logger.Warn("publishing flushed transformer output failed", "error", err)
					}
				}
			}
		})
	}
	if len(w.listeners) == 0 && w.OnReady != nil {
		w.OnReady()
	}
	for _, l := range w.listeners {
		if err := l.Start(ctx); err != nil {
			return err
		}
	}
	w.logger.Info("notification service started", "listeners", len(w.listeners), "publishers", len(w.publishers),
		"exchanges", len(Exchanges(w.gen.Config)), "definitions", w.gen.Files, "gomaxprocs", runtime.GOMAXPROCS(0))
	return nil
}

// Shutdown stops the listeners (they drain and ack what is in flight), then the
// publishers; errors are joined. Idempotent; ctx bounds the drain.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.stats.stopping.Store(true)
	var errs []error
	for _, l := range w.listeners {
		errs = append(errs, l.Shutdown(ctx))
	}
	if w.stopFlush != nil {
		w.stopFlush()
		w.flushWG.Wait()
	}
	if w.partitioning != nil {
		errs = append(errs, w.partitioning.Shutdown(ctx))
	}
	if w.samples != nil {
		// What buffering transformers still hold is published, not lost.
		errs = append(errs, w.samples.Flush(ctx, true))
	}
	for _, p := range w.publishers {
		errs = append(errs, p.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// Listeners returns the worker's listeners (for stats).
func (w *Worker) Listeners() []*Listener { return w.listeners }

// handle processes one delivery: decode, samples and event, pipelines, and the
// ack decision.
func (w *Worker) handle(ctx context.Context, d *amqp.Delivery) (Outcome, string, Wait) {
	dec := w.decoders.Get().(*pyjson.Decoder)
	n, err := DecodeDelivery(dec, d, w.maxBytes)
	w.decoders.Put(dec)
	if err != nil {
		// Counted by reason by the listener once the reject is settled.
		reason := reasonOf(err)
		if w.limiter.Allow() {
			w.logger.Error("rejecting malformed notification", "reason", reason, "error", err, "exchange", d.Exchange, "routing_key", d.RoutingKey, "bytes", len(d.Body))
		}
		return Reject, reason, nil
	}
	w.Counters.Decoded.Add(1)
	// Publishers that confirm later (notifier://) leave their confirms in
	// deferred, awaited by the Wait returned (on a goroutine of its own, see
	// Handler): the notification, its samples and event are garbage by
	// then, only the bytes sent stay (see publisher.Deferred).
	deferred := &publisher.Deferred{}
	err = w.Process(publisher.WithDeferred(ctx, deferred), n)
	if err == nil && !deferred.Pending() {
		return Ack, "", nil
	}
	// Copies: the notification's strings share the memory of the whole
	// decoded message, which would otherwise stay alive until the confirms.
	eventType, messageID := strings.Clone(n.EventType), strings.Clone(n.MessageID)
	return Ack, "", func(ctx context.Context) (Outcome, string) {
		failed := errors.Join(err, deferred.Wait(ctx))
		if failed == nil {
			return Ack, ""
		}
		w.Counters.PublishFailure.Add(1)
		if w.limiter.Allow() {
			w.logger.Warn("publishing failed; the notification is requeued", "event_type", eventType, "message_id", messageID, "error", failed)
		}
		// Hold the message a moment before giving it back, so a target that
		// is down does not become a hot requeue loop.
		wait.Sleep(ctx, time.Second)
		return Requeue, ""
	}
}

// Process runs one notification through the meter definitions and the sample
// pipelines (info and sample priorities) and through the event converter and
// the event pipelines (info and error priorities). It returns an error only when
// a publisher did not accept the outputs: the notification must then not be
// acked. A conversion problem loses only what depends on it, is counted, and
// is logged once per notification (one line naming every problem).
func (w *Worker) Process(ctx context.Context, n *plugins.Notification) error {
	var errs []error
	var problems []string
	if w.samples != nil && (n.Priority == "info" || n.Priority == "sample") {
		for _, src := range w.gen.Meters {
			samples, err := src.Process(ctx, n)
			if err != nil {
				w.Counters.SampleErrors.Add(1)
				problems = append(problems, "samples: "+err.Error())
			}
			for i := range samples {
				// Dropped (and counted) by the pipelines; named here so that
				// the loss shows in the log line.
				if !pipeline.ValidVolume(samples[i].Volume) {
					problems = append(problems, fmt.Sprintf("sample %s dropped: volume %s is not a number", samples[i].Name, pyjson.Repr(samples[i].Volume)))
				}
			}
			if len(samples) > 0 {
				w.Counters.Samples.Add(uint64(len(samples)))
				if err := w.samples.Publish(ctx, samples); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if w.events != nil && w.gen.Events != nil && (n.Priority == "info" || n.Priority == "error") {
		ev, err := w.gen.Events.Convert(n)
		if err != nil {
			w.Counters.EventErrors.Add(1)
			problems = append(problems, "event: "+err.Error())
		}
		if ev != nil {
			w.Counters.Events.Add(1)
			if err := w.events.Publish(ctx, []pipeline.Event{*ev}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(problems) > 0 && w.limiter.Allow() {
		w.logger.Warn("a notification could not be fully converted; what depends on the bad values is dropped", "event_type", n.EventType, "message_id", n.MessageID, "problems", strings.Join(problems, "; "))
	}
	return errors.Join(errs...)
}

var _ launcher.Service = (*Service)(nil)
var _ launcher.Reloader = (*Service)(nil)
