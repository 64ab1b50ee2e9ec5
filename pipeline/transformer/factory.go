package transformer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/pipeline"
)

// DefaultMaxKeys is the default bound on the per-key state one transformer
// keeps (Settings.MaxKeys).
const DefaultMaxKeys = 100000

// Settings is what the framework gives a transformer factory.
type Settings struct {
	// Logger is the transformer's logger; New names it after the
	// transformer. Nil discards.
	Logger hclog.Logger
	// SampleSource is the source of the samples transformers create
	// (mitaka's new Sample objects take [DEFAULT] sample_source); "" means
	// "openstack".
	SampleSource string
	// Now is the clock of the aggregator's retention_time; nil is time.Now.
	Now func() time.Time
	// NewID makes the message id of a created sample; nil is a random UUID.
	NewID func() string
	// MaxKeys bounds the state of one stateful transformer (keys of
	// rate_of_change and delta, resources of arithmetic, groups of one
	// aggregator window); 0 is DefaultMaxKeys.
	MaxKeys int
}

func (s Settings) withDefaults(name string) Settings {
	if s.Logger == nil {
		s.Logger = hclog.NewNullLogger()
	}
	s.Logger = s.Logger.Named(name)
	if s.SampleSource == "" {
		s.SampleSource = pipeline.SourceDefault
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.NewID == nil {
		s.NewID = uuid.New
	}
	if s.MaxKeys <= 0 {
		s.MaxKeys = DefaultMaxKeys
	}
	return s
}

// Factory builds one kind of transformer from its `parameters`.
type Factory struct {
	typ    string
	create func(p *params, s Settings, warn func(conf.Warning)) (pipeline.Transformer, error)
}

// Type is the transformer name as pipeline.yaml writes it.
func (f Factory) Type() string { return f.typ }

// Create builds a transformer from cfg (whose Name is f's type). Parameter
// errors are *conf.FileError located at the offending YAML node; keys the
// transformer does not read are logged as warnings (Ceilometer refuses
// unknown top-level keyword arguments and ignores unknown keys of `source`
// and `target`; we accept both).
func (f Factory) Create(cfg pipeline.TransformerConfig, s Settings) (pipeline.Transformer, error) {
	s = s.withDefaults(f.typ)
	p, err := newParams(cfg.Parameters, cfg.ParametersPos)
	if err != nil {
		return nil, err
	}
	var warnings []conf.Warning
	warn := func(w conf.Warning) { warnings = append(warnings, w) }
	t, err := f.create(p, s, warn)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, p.unknown(f.typ)...)
	for _, w := range warnings {
		s.Logger.Warn(w.String())
	}
	return t, nil
}

// factories builds the name → factory table, refusing a duplicate name.
func factories(fs ...Factory) (map[string]Factory, error) {
	m := make(map[string]Factory, len(fs))
	for _, f := range fs {
		if _, dup := m[f.typ]; dup {
			return nil, fmt.Errorf("transformer: duplicate factory %q", f.typ)
		}
		m[f.typ] = f
	}
	return m, nil
}

// Factories returns the transformers mitaka ships (setup.cfg's
// ceilometer.transformer entry points), keyed by name.
func Factories() (map[string]Factory, error) {
	return factories(
		Factory{typ: "accumulator", create: newAccumulator},
		Factory{typ: "aggregator", create: newAggregator},
		Factory{typ: "arithmetic", create: newArithmetic},
		Factory{typ: "delta", create: newDelta},
		Factory{typ: "rate_of_change", create: newRateOfChange},
		Factory{typ: "unit_conversion", create: newUnitConversion},
	)
}

// ErrUnknown is returned (wrapped) for a transformer name no factory has.
var ErrUnknown = errors.New("transformer: unknown transformer")

// New builds the transformer cfg describes.
func New(cfg pipeline.TransformerConfig, s Settings) (pipeline.Transformer, error) {
	fs, err := Factories()
	if err != nil {
		return nil, err
	}
	f, ok := fs[cfg.Name]
	if !ok {
		return nil, fmt.Errorf("%w: %w", cfg.Pos.Errorf("No transformer named %s loaded", cfg.Name), ErrUnknown)
	}
	return f.Create(cfg, s)
}

// Chain builds the transformers of sink, in order. Every transformer that
// cannot be built is reported; the errors are joined.
func Chain(sink *pipeline.SinkConfig, s Settings) ([]pipeline.Transformer, error) {
	var errs []error
	chain := make([]pipeline.Transformer, 0, len(sink.Transformers))
	for _, tc := range sink.Transformers {
		t, err := New(tc, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		chain = append(chain, t)
	}
	if err := conf.JoinErrors(errs); err != nil {
		return nil, fmt.Errorf("sink %q: %w", sink.Name, err)
	}
	return chain, nil
}

// SharedChains returns a pipeline.Resolver.Transformers that builds the
// chain of each sink once and gives the same chain to every pipeline that
// uses the sink: mitaka builds one Sink object per `sinks` entry, so two
// sources feeding one sink share its transformers (and their state).
func SharedChains(s Settings) func(sink *pipeline.SinkConfig) ([]pipeline.Transformer, error) {
	var mu sync.Mutex
	built := map[*pipeline.SinkConfig][]pipeline.Transformer{}
	return func(sink *pipeline.SinkConfig) ([]pipeline.Transformer, error) {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := built[sink]; ok {
			return c, nil
		}
		c, err := Chain(sink, s)
		if err != nil {
			return nil, err
		}
		built[sink] = c
		return c, nil
	}
}

// Flusher is implemented by the transformers that hold samples back
// (accumulator, aggregator, arithmetic). Flush returns what they release
// now; it is safe to call concurrently with Transform. See FlushChain.
type Flusher interface {
	Flush(ctx context.Context) ([]pipeline.Sample, error)
}

// Drainer is implemented by transformers whose Flush may keep samples back
// (accumulator below its size, aggregator inside its window): Drain
// releases everything, for a shutdown. Mitaka never did this — it lost the
// buffers when the agent stopped.
type Drainer interface {
	Drain(ctx context.Context) ([]pipeline.Sample, error)
}

// FlushChain is mitaka's SampleSink.flush for one sink's chain: each
// Flusher in order is flushed, and what it releases goes through the
// transformers after it (their Transform, not their Flush — a later
// Flusher is flushed in its own turn, so it sees those samples in the same
// FlushChain). It returns the samples for the sink's publishers. An error
// of one transformer does not stop the others; the errors are joined.
func FlushChain(ctx context.Context, chain []pipeline.Transformer) ([]pipeline.Sample, error) {
	return flushChain(ctx, chain, false)
}

// DrainChain is FlushChain with Drain used where a transformer has it: for
// the shutdown of a pipeline, so that buffered samples are published
// rather than lost.
func DrainChain(ctx context.Context, chain []pipeline.Transformer) ([]pipeline.Sample, error) {
	return flushChain(ctx, chain, true)
}

func flushChain(ctx context.Context, chain []pipeline.Transformer, drain bool) ([]pipeline.Sample, error) {
	var out []pipeline.Sample
	var errs []error
	for i, t := range chain {
		var got []pipeline.Sample
		var err error
		if d, ok := t.(Drainer); ok && drain {
			got, err = d.Drain(ctx)
		} else if f, ok := t.(Flusher); ok {
			got, err = f.Flush(ctx)
		} else {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("flush transformer %s: %w", t.Name(), err))
		}
		for _, next := range chain[i+1:] {
			if len(got) == 0 {
				break
			}
			var terr error
			got, terr = next.Transform(ctx, got)
			if terr != nil && !errors.Is(terr, pipeline.ErrDrop) {
				errs = append(errs, fmt.Errorf("transformer %s: %w", next.Name(), terr))
			}
		}
		out = append(out, got...)
	}
	return out, errors.Join(errs...)
}

// Keyer is implemented by the stateful transformers: Key returns the key of
// the state a sample reads and updates ("" when the sample cannot have
// one, e.g. a rate_of_change sample without a string resource_id). Samples
// with different keys never affect each other's output (the aggregator's
// window, shared by all keys, is the exception).
type Keyer interface {
	Key(s *pipeline.Sample) string
}

// PartitionKey returns the key by which samples entering chain must be
// routed so that one transformer instance sees every sample that shares
// state with another in any transformer of the chain — mitaka's
// get_pipeline_grouping_key, which is resource_id for all six transformers
// — and false when the chain keeps no state and needs no routing. A null
// resource_id gives "" (mitaka hashed the empty string too).
func PartitionKey(chain []pipeline.Transformer, s *pipeline.Sample) (string, bool) {
	stateful := false
	for _, t := range chain {
		if _, ok := t.(Keyer); ok {
			stateful = true
			break
		}
		if _, ok := t.(Flusher); ok {
			stateful = true
			break
		}
	}
	if !stateful {
		return "", false
	}
	switch r := s.ResourceID.(type) {
	case string:
		return r, true
	case nil:
		return "", true
	}
	return pyStrValue(s.ResourceID), true
}
