// Package plugins turns notifications into samples and events.
//
// It holds the declarative meter-definition engine (meters.yaml and its JSONPath
// dialect, in plugins/jsonpath), the Go plugins of the seed's plugin set for what
// a definition cannot express, and the event converter (event_definitions.yaml
// and its trait plugins). Everything is compiled once when a configuration
// generation is loaded; processing a notification never parses, reflects or
// logs.
//
// Contract: handlers are created from a validated configuration by explicit
// factory tables (no init() registration), are safe for concurrent use, never
// modify the Notification they are given, and report per-notification problems
// as errors (a bad value loses only what depends on it) — never by panicking.
package plugins
