package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/etc"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/publisher"
	"github.com/openstack-go/agent-notification/plugins"
)

// SampleSource turns a notification into samples: the meter definitions, or one
// of the Go plugins. It must be safe for concurrent use.
type SampleSource interface {
	Process(ctx context.Context, n *plugins.Notification) ([]pipeline.Sample, error)
}

// EventSource turns a notification into an event, or nil when none is due.
type EventSource interface {
	Convert(n *plugins.Notification) (*pipeline.Event, error)
}

// Generation is one complete, validated configuration: ceilometer.conf and every
// file it references, parsed and compiled. The launcher validates a generation in
// the parent and hands its Snapshot to the workers, which rebuild the identical
// generation from it.
type Generation struct {
	Prog   string
	Argv   []string
	Config *conf.Config
	// SamplePipelines / EventPipelines are nil when [notification] pipelines
	// does not enable them.
	SamplePipelines *pipeline.Config
	EventPipelines  *pipeline.Config
	// Meters are the sample endpoints, in Ceilometer's order: the meter
	// definitions, then the Go plugins. Each publishes its samples of a
	// notification as one message, as each Ceilometer endpoint does.
	Meters []SampleSource
	Events EventSource
	// Files are the definition files read, for the logs ("builtin:…" for the
	// embedded defaults).
	Files    []string
	Warnings []string
}

// Load reads and validates the complete configuration named by argv (the
// command line without the program name) through bundle. Every error found is
// returned, joined, each naming its file and line.
func Load(prog string, argv []string, bundle *conf.Bundle) (*Generation, error) {
	args, err := conf.ParseArgs(argv)
	if err != nil {
		return nil, err
	}
	cfg, err := conf.Load(prog, args, bundle)
	if err != nil {
		return nil, err
	}
	g := &Generation{Prog: prog, Argv: argv, Config: cfg, Warnings: slices.Clone(cfg.Warnings)}
	var errs []error
	enabled := func(p string) bool { return slices.Contains(cfg.Notification.Pipelines, p) }
	if enabled("meter") {
		pc, err := g.loadPipelines(cfg.PipelineCfgFile, "pipeline.yaml", pipeline.LoadSampleConfig)
		if err != nil {
			errs = append(errs, err)
		}
		g.SamplePipelines = pc
		m, err := loadMeters(g)
		if err != nil {
			errs = append(errs, err)
		}
		g.Meters = m
	}
	if enabled("event") {
		pc, err := g.loadPipelines(cfg.EventPipelineCfgFile, "event_pipeline.yaml", pipeline.LoadEventConfig)
		if err != nil {
			errs = append(errs, err)
		}
		g.EventPipelines = pc
		e, err := loadEvents(g)
		if err != nil {
			errs = append(errs, err)
		}
		g.Events = e
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

// readDefinition finds name as Ceilometer does (as given, else next to the
// configuration files, else in the default directories) and reads it through the
// bundle; when it is nowhere, the embedded default is used.
func (g *Generation) readDefinition(name, builtin string) (path string, data []byte, err error) {
	if p := g.Config.FindFile(name); p != "" {
		data, err := g.Config.Bundle.ReadFile(p)
		if err != nil {
			return p, nil, fmt.Errorf("read %s: %w", p, err)
		}
		g.Files = append(g.Files, p)
		return p, data, nil
	}
	data, err = etc.File(builtin)
	if err != nil {
		return "", nil, fmt.Errorf("built-in %s: %w", builtin, err)
	}
	g.Warnings = append(g.Warnings, fmt.Sprintf("%s not found: using the built-in %s", name, builtin))
	g.Files = append(g.Files, etc.Prefix+builtin)
	return etc.Prefix + builtin, data, nil
}

func (g *Generation) loadPipelines(name, builtin string, load func(string, []byte) (*pipeline.Config, []conf.Warning, error)) (*pipeline.Config, error) {
	path, data, err := g.readDefinition(name, builtin)
	if err != nil {
		return nil, err
	}
	pc, warnings, err := load(path, data)
	for _, w := range warnings {
		g.Warnings = append(g.Warnings, w.String())
	}
	if pc != nil {
		factories, ferr := publisher.Factories()
		if ferr != nil {
			return nil, ferr
		}
		for _, sink := range pc.Sinks {
			for _, p := range sink.Publishers {
				if perr := publisher.Check(factories, p.URL); perr != nil {
					g.Warnings = append(g.Warnings, fmt.Sprintf("%s: %v: left out of the sink, as Ceilometer does with a publisher it cannot load", p.Pos, perr))
				}
			}
		}
	}
	return pc, err
}

// snapshot is the wire form of a generation: the command line and every byte it
// was built from.
type snapshot struct {
	Prog   string          `json:"prog"`
	Argv   []string        `json:"argv"`
	Bundle json.RawMessage `json:"bundle"`
}

// Snapshot serializes the generation for the workers (the bundle is sealed first:
// nothing more is read from disk for it).
func (g *Generation) Snapshot() ([]byte, error) {
	g.Config.Bundle.Seal()
	b, err := g.Config.Bundle.Marshal()
	if err != nil {
		return nil, err
	}
	return json.Marshal(snapshot{Prog: g.Prog, Argv: g.Argv, Bundle: b})
}

// FromSnapshot rebuilds the generation a parent validated.
func FromSnapshot(data []byte) (*Generation, error) {
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("service: decode snapshot: %w", err)
	}
	b, err := conf.UnmarshalBundle(s.Bundle)
	if err != nil {
		return nil, err
	}
	return Load(s.Prog, s.Argv, b)
}
