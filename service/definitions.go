package service

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/openstack-go/agent-notification/etc"
	"github.com/openstack-go/agent-notification/plugins/event"
	"github.com/openstack-go/agent-notification/plugins/meter"
	"github.com/openstack-go/agent-notification/plugins/seed"
)

// defaultMeterDir is [meter] meter_definitions_dirs' default: with the option
// unset, Ceilometer reads it and its own packaged definitions; so do we, with
// the built-in ones.
const defaultMeterDir = "/etc/ceilometer/meters.d"

// meterFiles reads the meter definition files: every *.yaml of each
// [meter] meter_definitions_dirs entry (relative entries are found like other
// files, next to the configuration), in directory then name order, plus mitaka's
// single [meter] meter_definitions_cfg_file; with the option unset, the
// built-in definitions come first, as Ceilometer's packaged directory does.
func meterFiles(g *Generation) ([]meter.File, error) {
	cfg := g.Config
	var files []meter.File
	var errs []error
	explicit := cfg.IsSet("meter", "meter_definitions_dirs")
	if !explicit {
		for _, name := range etc.MeterFiles() {
			data, err := etc.File(name)
			if err != nil {
				return nil, err
			}
			files = append(files, meter.File{Path: etc.Prefix + name, Data: data})
			g.Files = append(g.Files, etc.Prefix+name)
		}
	}
	for _, dir := range cfg.Meter.DefinitionsDirs {
		path := dir
		if !filepath.IsAbs(dir) {
			if p := cfg.FindFile(dir); p != "" {
				path = p
			}
		}
		names, err := cfg.Bundle.ReadDir(path)
		if err != nil {
			if explicit || dir != defaultMeterDir {
				g.Warnings = append(g.Warnings, fmt.Sprintf("[meter] meter_definitions_dirs: %s: %v", dir, err))
			}
			continue
		}
		for _, n := range names {
			if !strings.HasSuffix(n, ".yaml") {
				continue
			}
			p := filepath.Join(path, n)
			data, err := cfg.Bundle.ReadFile(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			files = append(files, meter.File{Path: p, Data: data})
			g.Files = append(g.Files, p)
		}
	}
	if name := cfg.Meter.DefinitionsCfgFile; name != "" {
		p := cfg.FindFile(name)
		if p == "" {
			errs = append(errs, fmt.Errorf("[meter] meter_definitions_cfg_file: %s not found", name))
		} else if data, err := cfg.Bundle.ReadFile(p); err != nil {
			errs = append(errs, err)
		} else {
			files = append(files, meter.File{Path: p, Data: data})
			g.Files = append(g.Files, p)
		}
	}
	if len(files) == 0 && len(errs) == 0 {
		g.Warnings = append(g.Warnings, "no meter definition file found: notifications give no samples except relayed ones")
	}
	return files, errors.Join(errs...)
}

// loadMeters compiles the sample endpoints in Ceilometer 19's order: the
// coded endpoints (relayed samples, IPMI sensors, HTTP middleware), then the
// meter definitions, then — for a mitaka configuration that enables them —
// the seed's existence-meter plugins.
func loadMeters(g *Generation) ([]SampleSource, error) {
	cfg := g.Config
	files, err := meterFiles(g)
	if err != nil {
		return nil, err
	}
	s := meter.Settings{
		SampleSource:              cfg.SampleSource,
		ReservedMetadataNamespace: cfg.ReservedMetadata.Namespace,
		ReservedMetadataLength:    cfg.ReservedMetadata.Length,
		ReservedMetadataKeys:      cfg.ReservedMetadata.Keys,
		DisableNonMetricMeters:    cfg.IsSet("notification", "disable_non_metric_meters") && cfg.Notification.DisableNonMetric,
	}
	engine, warnings, err := meter.Load(files, s)
	for _, w := range warnings {
		g.Warnings = append(g.Warnings, w.String())
	}
	if err != nil {
		return nil, err
	}
	// Ceilometer 19's sample endpoints: the coded ones (relayed samples,
	// hardware.ipmi.*, http.*), then the definitions.
	var sources []SampleSource
	for _, ep := range meter.Endpoints(s) {
		sources = append(sources, ep)
	}
	sources = append(sources, engine)
	if cfg.IsSet("notification", "disable_non_metric_meters") && !cfg.Notification.DisableNonMetric {
		// A mitaka configuration that turned the existence meters on: the
		// seed's plugins that Ceilometer 19 no longer has.
		for _, p := range seed.Plugins(seed.Settings{
			SampleSource:      cfg.SampleSource,
			ReservedNamespace: cfg.ReservedMetadata.Namespace,
			ReservedLength:    cfg.ReservedMetadata.Length,
			ReservedKeys:      cfg.ReservedMetadata.Keys,
		}) {
			sources = append(sources, p)
		}
	}
	return sources, nil
}

// loadEvents compiles the event definitions.
func loadEvents(g *Generation) (EventSource, error) {
	path, data, err := g.readDefinition(g.Config.Event.DefinitionsCfgFile, "event_definitions.yaml")
	if err != nil {
		return nil, err
	}
	conv, warnings, err := event.Load(path, data, event.Settings{
		DropUnmatched: g.Config.Event.DropUnmatchedNotifications,
		StoreRaw:      g.Config.Event.StoreRaw,
		Strict:        true,
	})
	for _, w := range warnings {
		g.Warnings = append(g.Warnings, w.String())
	}
	if err != nil {
		return nil, err
	}
	return conv, nil
}
