// Package etc embeds agent-notification's default definition files, used when a
// configuration names none that exists — as Ceilometer falls back to the files
// it ships in its Python package:
//
//	pipeline.yaml, event_pipeline.yaml   the default pipelines (notifier:// publishers)
//	event_definitions.yaml               the event definitions
//	meters.d/*.yaml                      the meter definitions
//
// ceilometer.conf in this directory is the configuration `make run` uses; it is
// not embedded.
package etc

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed pipeline.yaml event_pipeline.yaml event_definitions.yaml meters.d/*.yaml
var files embed.FS

// Prefix marks the path of an embedded file in messages ("builtin:pipeline.yaml").
const Prefix = "builtin:"

// File returns an embedded file by name ("pipeline.yaml", "meters.d/meters.yaml").
func File(name string) ([]byte, error) { return files.ReadFile(name) }

// MeterFiles returns the names of the embedded meter definition files, sorted.
func MeterFiles() []string {
	names, _ := fs.Glob(files, "meters.d/*.yaml")
	sort.Strings(names)
	return names
}
