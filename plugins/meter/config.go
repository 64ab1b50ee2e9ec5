package meter

import "github.com/openstack-go/agent-notification/pipeline"

// File is one meter definitions file, read by the caller (through the
// configuration bundle).
type File struct {
	// Path names the file in messages.
	Path string
	Data []byte
}

// Settings carries the ceilometer.conf options the engine applies.
type Settings struct {
	// SampleSource is [DEFAULT] sample_source: the source of every sample.
	SampleSource string
	// ReservedMetadataNamespace, ReservedMetadataLength and
	// ReservedMetadataKeys are [DEFAULT] reserved_metadata_*: which
	// user_metadata keys reach resource_metadata.user_metadata, and the
	// length (in characters, Python slice semantics) string values are cut
	// to.
	ReservedMetadataNamespace []string
	ReservedMetadataLength    int
	ReservedMetadataKeys      []string
	// DisableNonMetricMeters is mitaka's [notification]
	// disable_non_metric_meters: skip every definition whose volume is the
	// constant 1. Ceilometer 19 has no such option (and mitaka's default was
	// true): set it only when the operator set the option.
	DisableNonMetricMeters bool
	// NewID returns a fresh message_id for each sample; nil means a random
	// (version 4) UUID. Tests may make it deterministic.
	NewID func() string
}

// Defaults of the settings, as Ceilometer 19's options.
const (
	DefaultReservedMetadataNamespace = "metering."
	DefaultReservedMetadataLength    = 256
)

// DefaultSettings returns Ceilometer 19's defaults.
func DefaultSettings() Settings {
	return Settings{
		SampleSource:              pipeline.SourceDefault,
		ReservedMetadataNamespace: []string{DefaultReservedMetadataNamespace},
		ReservedMetadataLength:    DefaultReservedMetadataLength,
	}
}
