package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/internal/ratelog"
	"github.com/openstack-go/agent-notification/internal/wait"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// Transformer is one stage of a sink between its source and its publishers
// (rate_of_change, delta, …). Transform is called concurrently and returns the
// samples to pass on (possibly none).
type Transformer interface {
	Name() string
	Transform(ctx context.Context, samples []Sample) ([]Sample, error)
}

// TransformFunc adapts a function to Transformer.
type TransformFunc struct {
	N string
	F func(ctx context.Context, samples []Sample) ([]Sample, error)
}

// Name returns the transformer's name.
func (t TransformFunc) Name() string { return t.N }

// Transform calls F.
func (t TransformFunc) Transform(ctx context.Context, s []Sample) ([]Sample, error) {
	return t.F(ctx, s)
}

// Resolver gives the manager the runtime pieces named by a pipeline file: the
// publisher for a URL (the same URL must give the same publisher, as
// Ceilometer's PublisherManager caches them) and the transformers of a sink.
type Resolver struct {
	SamplePublisher func(p PublisherConfig) (SamplePublisher, error)
	EventPublisher  func(p PublisherConfig) (EventPublisher, error)
	// Transformers builds a sink's transformer chain; nil means transformers
	// are not available, and a sink that has some is disabled with a warning.
	Transformers func(sink *SinkConfig) ([]Transformer, error)
	// Flush releases what a chain's buffering transformers hold (mitaka's
	// SampleSink.flush; with drain, everything, for a shutdown). Required
	// when Transformers is set.
	Flush func(ctx context.Context, chain []Transformer, drain bool) ([]Sample, error)
}

type namedSamplePublisher struct {
	url string
	pub SamplePublisher
}

type namedEventPublisher struct {
	url string
	pub EventPublisher
}

type samplePipeline struct {
	name         string
	source       *SourceConfig
	transformers []Transformer
	publishers   []namedSamplePublisher
	// routed pipelines hand their (filtered, validated) samples to the
	// router instead of transforming them here: their transformers keep
	// state, which must live in exactly one place in the deployment.
	routed bool
}

// Router sends the samples of a routed pipeline to the single owner of their
// partition — possibly another worker or another agent — which runs them
// through the pipeline with Deliver. Route returns once the samples are safely
// handed over (e.g. confirmed by the broker). It is called concurrently.
type Router interface {
	Route(ctx context.Context, pipeline string, samples []Sample) error
}

type eventPipeline struct {
	name       string
	source     *SourceConfig
	publishers []namedEventPublisher
}

// Stats are a manager's counters.
type Stats struct {
	Published     atomic.Uint64 // samples (events) handed to publishers successfully
	InvalidVolume atomic.Uint64 // samples dropped by volume validation
	Filtered      atomic.Uint64 // samples (events) no source wanted
	PublishErrors atomic.Uint64
}

// SampleManager runs samples through the sample pipelines of one pipeline.yaml.
// It is immutable after NewSampleManager and safe for concurrent use.
type SampleManager struct {
	logger    hclog.Logger
	warnings  *ratelog.Limiter // transformer and held-publish warnings, which come per batch
	pipelines []samplePipeline
	flush     func(ctx context.Context, chain []Transformer, drain bool) ([]Sample, error)
	router    Router
	Stats     Stats
}

// Route makes the pipelines for which routed(chain) is true hand their samples
// to r (see Router). It must be called before the manager is used, at most once.
// It returns the names of the routed pipelines.
func (m *SampleManager) Route(r Router, routed func(chain []Transformer) bool) []string {
	m.router = r
	var names []string
	for i := range m.pipelines {
		p := &m.pipelines[i]
		if len(p.transformers) > 0 && routed(p.transformers) {
			p.routed = true
			names = append(names, p.name)
		}
	}
	return names
}

// Deliver runs samples that were routed to this worker through pipeline: its
// transformers, its publishers, then a flush of its transformers. The output
// exists nowhere else (a redelivered batch is not transformed again: the
// transformers' state has moved on), so a publisher that does not accept it
// is retried until it does (see publishHeld); Deliver returns an error only
// when ctx ends first. Transformer errors are logged, as Ceilometer does.
func (m *SampleManager) Deliver(ctx context.Context, pipeline string, samples []Sample) error {
	for i := range m.pipelines {
		p := &m.pipelines[i]
		if p.name != pipeline {
			continue
		}
		out, err := m.runTransformers(ctx, p, samples)
		if err != nil && m.warnings.Allow() {
			m.logger.Warn("transforming a routed batch failed", "pipeline", p.name, "error", err)
		}
		err = m.publishHeld(ctx, p, out)
		if m.flush != nil {
			err = errors.Join(err, m.flushPipeline(ctx, p, false))
		}
		return err
	}
	return fmt.Errorf("pipeline: no pipeline %q to deliver to", pipeline)
}

// Bounds of the back-off of publishHeld.
var (
	heldRetryMin = 100 * time.Millisecond
	heldRetryMax = 30 * time.Second
)

// publishHeld publishes samples that exist nowhere else — what transformers
// output or release, which no redelivery can rebuild — to every publisher of
// p, retrying the publishers that fail (back-off from heldRetryMin doubling
// to heldRetryMax, failures logged at a bounded rate) until they accept it or
// ctx ends; a publisher that accepted it is not called again.
func (m *SampleManager) publishHeld(ctx context.Context, p *samplePipeline, sel []Sample) error {
	if len(sel) == 0 {
		return nil
	}
	pending := p.publishers
	delay := heldRetryMin
	for attempt := 1; ; attempt++ {
		var failed []namedSamplePublisher
		var errs []error
		for _, pub := range pending {
			if err := pub.pub.PublishSamples(ctx, sel); err != nil {
				m.Stats.PublishErrors.Add(1)
				failed = append(failed, pub)
				errs = append(errs, fmt.Errorf("pipeline %s: publisher %s: %w", p.name, pub.url, err))
				continue
			}
			m.Stats.Published.Add(uint64(len(sel)))
		}
		if len(failed) == 0 {
			return nil
		}
		err := errors.Join(errs...)
		if ctx.Err() == nil {
			if m.warnings.Allow() {
				m.logger.Warn("publishing transformed samples failed; retrying", "pipeline", p.name,
					"samples", len(sel), "attempt", attempt, "retry_in", delay.String(), "error", err)
			}
			wait.Sleep(ctx, delay)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%d transformed samples not published)", err, len(sel))
		}
		pending = failed
		delay = min(2*delay, heldRetryMax)
	}
}

// NewSampleManager builds the sample pipelines of cfg. A publisher or a
// transformer chain that cannot be built is left out with a warning (as
// Ceilometer does for a publisher it cannot load); the returned warnings say so.
func NewSampleManager(logger hclog.Logger, cfg *Config, r Resolver) (*SampleManager, []string) {
	m := &SampleManager{logger: logger, warnings: ratelog.New(10, 10*time.Second), flush: r.Flush}
	var warnings []string
	for _, pc := range cfg.Pipelines {
		p := samplePipeline{name: pc.Name, source: pc.Source}
		if len(pc.Sink.Transformers) > 0 {
			if r.Transformers == nil || r.Flush == nil {
				warnings = append(warnings, fmt.Sprintf("%s: pipeline %s: sink %q has transformers, which this build cannot run: the pipeline is disabled", pc.Sink.Pos, pc.Name, pc.Sink.Name))
				continue
			}
			ts, err := r.Transformers(pc.Sink)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("pipeline %s: %v: the pipeline is disabled", pc.Name, err))
				continue
			}
			p.transformers = ts
		}
		for _, pub := range pc.Sink.Publishers {
			sp, err := r.SamplePublisher(pub)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: pipeline %s: unable to load publisher %s: %v", pub.Pos, pc.Name, pub.URL, err))
				continue
			}
			p.publishers = append(p.publishers, namedSamplePublisher{url: pub.URL, pub: sp})
		}
		m.pipelines = append(m.pipelines, p)
	}
	return m, warnings
}

// Publish runs the samples of one notification through every pipeline: the
// source keeps the meters it names, volume validation drops samples without a
// numeric volume, the transformers run, and every publisher of the sink gets
// the result. Then, as at the end of mitaka's publish context, every pipeline's
// buffering transformers are flushed and what they release is published too.
// Publishers are independent: all are tried; the error returned joins their
// failures (the caller must not ack the notification then).
func (m *SampleManager) Publish(ctx context.Context, samples []Sample) error {
	if len(samples) == 0 {
		return nil
	}
	var errs []error
	var wanted bool
	for i := range m.pipelines {
		p := &m.pipelines[i]
		sel := make([]Sample, 0, len(samples))
		for j := range samples {
			s := &samples[j]
			if !p.source.Match(s.Name) {
				continue
			}
			wanted = true
			if !ValidVolume(s.Volume) {
				m.Stats.InvalidVolume.Add(1)
				continue
			}
			sel = append(sel, *s)
		}
		if p.routed {
			if len(sel) > 0 {
				if err := m.router.Route(ctx, p.name, sel); err != nil {
					errs = append(errs, fmt.Errorf("pipeline %s: route: %w", p.name, err))
				}
			}
			continue
		}
		errs = append(errs, m.transform(ctx, p, sel))
	}
	if !wanted {
		m.Stats.Filtered.Add(uint64(len(samples)))
	}
	errs = append(errs, m.Flush(ctx, false))
	return errors.Join(errs...)
}

// transform runs sel through p's transformers and publishes what comes out;
// the error joins the transformers' (but ErrDrop) and the publishers'.
func (m *SampleManager) transform(ctx context.Context, p *samplePipeline, sel []Sample) error {
	sel, err := m.runTransformers(ctx, p, sel)
	perr := m.publish(ctx, p, sel)
	if err == nil {
		return perr // the common case: no allocation
	}
	return errors.Join(err, perr)
}

// runTransformers passes sel through p's transformers and returns what the
// last one passes on, with the transformers' errors (ErrDrop is not one).
func (m *SampleManager) runTransformers(ctx context.Context, p *samplePipeline, sel []Sample) ([]Sample, error) {
	var errs []error
	for _, t := range p.transformers {
		if len(sel) == 0 {
			break
		}
		out, err := t.Transform(ctx, sel)
		if err != nil && !errors.Is(err, ErrDrop) {
			errs = append(errs, fmt.Errorf("pipeline %s: transformer %s: %w", p.name, t.Name(), err))
		}
		sel = out
	}
	return sel, errors.Join(errs...)
}

// Flush releases what the pipelines' buffering transformers hold and publishes
// it; with drain (at shutdown) everything they hold. Transformer errors are
// logged (as mitaka does); publish errors are returned.
func (m *SampleManager) Flush(ctx context.Context, drain bool) error {
	var errs []error
	for i := range m.pipelines {
		p := &m.pipelines[i]
		if len(p.transformers) == 0 || m.flush == nil {
			continue
		}
		if p.routed && !drain {
			// Flushed by Deliver, where the samples arrive; the periodic
			// flush still reaches them through FlushRouted.
			continue
		}
		errs = append(errs, m.flushPipeline(ctx, p, drain))
	}
	return errors.Join(errs...)
}

// flushPipeline releases what p's buffering transformers hold (everything
// with drain) and publishes it, held until accepted (see publishHeld).
// Transformer errors are logged (as mitaka does).
func (m *SampleManager) flushPipeline(ctx context.Context, p *samplePipeline, drain bool) error {
	out, err := m.flush(ctx, p.transformers, drain)
	if err != nil && m.warnings.Allow() {
		m.logger.Warn("flushing transformers failed", "pipeline", p.name, "error", err)
	}
	return m.publishHeld(ctx, p, out)
}

// FlushRouted flushes the routed pipelines' transformers on this worker (for
// the periodic flush of the partitions it owns) and publishes what they release.
func (m *SampleManager) FlushRouted(ctx context.Context) error {
	var errs []error
	for i := range m.pipelines {
		p := &m.pipelines[i]
		if !p.routed || m.flush == nil {
			continue
		}
		errs = append(errs, m.flushPipeline(ctx, p, false))
	}
	return errors.Join(errs...)
}

func (m *SampleManager) publish(ctx context.Context, p *samplePipeline, sel []Sample) error {
	if len(sel) == 0 {
		return nil
	}
	var errs []error
	for _, pub := range p.publishers {
		if err := pub.pub.PublishSamples(ctx, sel); err != nil {
			m.Stats.PublishErrors.Add(1)
			errs = append(errs, fmt.Errorf("pipeline %s: publisher %s: %w", p.name, pub.url, err))
			continue
		}
		m.Stats.Published.Add(uint64(len(sel)))
	}
	return errors.Join(errs...)
}

// EventManager runs events through the event pipelines of one
// event_pipeline.yaml. It is immutable after NewEventManager and safe for
// concurrent use.
type EventManager struct {
	logger    hclog.Logger
	pipelines []eventPipeline
	Stats     Stats
}

// NewEventManager builds the event pipelines of cfg (see NewSampleManager).
func NewEventManager(logger hclog.Logger, cfg *Config, r Resolver) (*EventManager, []string) {
	m := &EventManager{logger: logger}
	var warnings []string
	for _, pc := range cfg.Pipelines {
		p := eventPipeline{name: pc.Name, source: pc.Source}
		for _, pub := range pc.Sink.Publishers {
			ep, err := r.EventPublisher(pub)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: pipeline %s: unable to load publisher %s: %v", pub.Pos, pc.Name, pub.URL, err))
				continue
			}
			p.publishers = append(p.publishers, namedEventPublisher{url: pub.URL, pub: ep})
		}
		m.pipelines = append(m.pipelines, p)
	}
	return m, warnings
}

// Publish runs the events of one notification through every event pipeline.
func (m *EventManager) Publish(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	var errs []error
	for i := range m.pipelines {
		p := &m.pipelines[i]
		sel := make([]Event, 0, len(events))
		for j := range events {
			if p.source.Match(events[j].EventType) {
				sel = append(sel, events[j])
			}
		}
		if len(sel) == 0 {
			continue
		}
		for _, pub := range p.publishers {
			if err := pub.pub.PublishEvents(ctx, sel); err != nil {
				m.Stats.PublishErrors.Add(1)
				errs = append(errs, fmt.Errorf("pipeline %s: publisher %s: %w", p.name, pub.url, err))
				continue
			}
			m.Stats.Published.Add(uint64(len(sel)))
		}
	}
	return errors.Join(errs...)
}

// ValidVolume reports whether Ceilometer's volume validation keeps a sample:
// the volume is a number (bools are numbers in Python), or something float()
// accepts — a numeric string stays a string on the wire, as in Ceilometer. A
// null, a non-numeric string, a list or an object is refused (Ceilometer raises
// on the last two and loses every sample of the notification; we drop only
// that one).
func ValidVolume(v pyjson.Value) bool {
	switch x := v.(type) {
	case int64, float64, bool, pyjson.BigInt:
		return true
	case string:
		return PythonFloatOK(x)
	}
	return false
}

// PythonFloatOK reports whether Python's float(s) accepts s: optional
// whitespace, sign, digits with single underscores between them, a fraction,
// an exponent, or nan/inf/infinity in any case.
func PythonFloatOK(s string) bool {
	s = strings.TrimSpace(s)
	t := strings.TrimLeft(s, "+-")
	if len(s)-len(t) > 1 {
		return false
	}
	switch strings.ToLower(t) {
	case "nan", "inf", "infinity":
		return true
	}
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return false
	}
	for _, seg := range []string{"._", "_.", "e_", "_e", "E_", "_E"} {
		if strings.Contains(t, seg) {
			return false
		}
	}
	if strings.ContainsAny(t, "xXoObBpP") {
		return false
	}
	if _, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64); err == nil {
		return true
	} else if ne, ok := err.(*strconv.NumError); ok && errors.Is(ne.Err, strconv.ErrRange) {
		return true
	}
	_, ok := new(big.Float).SetString(strings.ReplaceAll(t, "_", ""))
	return ok
}
