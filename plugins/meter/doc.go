// Package meter holds Ceilometer 19's sample endpoints: the declarative
// meter-definition engine (ProcessMeterNotifications, meters.yaml) and the
// coded endpoints Endpoints returns in Ceilometer's order — TelemetryIpc
// (Relay: samples relayed by polling agents), the ipmi sensor endpoints
// (Sensor: hardware.ipmi.current, .fan, .temperature, .voltage) and the CADF
// middleware endpoints (HTTP: http.request, http.response). Each endpoint's
// samples of a notification are one published message.
//
// # Lifecycle
//
//  1. The caller reads every *.yaml of each [meter] meter_definitions_dirs
//     entry (in order; files sorted by name) and calls Load with them and the
//     Settings taken from ceilometer.conf (Validate for check-config).
//  2. Load compiles every definition once: JSONPaths (package jsonpath),
//     event_type regular expressions, trait plugins. Bad definitions are
//     skipped with a warning naming file:line:col and key path; a file that
//     cannot be read as definitions is an error.
//  3. The resulting *Engine is immutable and safe for concurrent use. The
//     worker calls Process for every notification at info or sample priority
//     (the priority filter is the caller's, as oslo.messaging's dispatch is);
//     it never logs, and reports per-notification losses as its error.
//  4. On reload a new Engine is built; the old one is simply dropped.
//
// # What Process reproduces
//
// For each definition whose event_type matches — Python regular expressions
// applied with re.match, i.e. anchored at the start only ("image.upload"
// matches "image.upload.extra" and "imageXupload") — in Ceilometer's order
// (each file's definitions from last to first, files in order), Process
// builds the samples Ceilometer builds:
//
//   - Definitions are evaluated on the dict oslo.messaging hands endpoints:
//     {ctxt, publisher_id, event_type, payload, metadata: {message_id,
//     timestamp}}, not on the raw message (so "$._context_user" finds
//     nothing, "$.ctxt.user" does).
//   - Every string value is a JSONPath. A name, type or unit whose path finds
//     nothing keeps its literal text: that is how "gauge" or "GB" work — and
//     why identity.authenticate's name, an expression that fails (str minus
//     str), is published verbatim as counter_name. Integer (and boolean)
//     values are constants. The user_id/project_id fallbacks
//     "ctxt.user_id|ctxt.user" never match, because '|' binds tighter than
//     '.' in this dialect: they are null unless the definition names a path.
//   - Values keep their JSON type (an int volume stays an int, "2048" stays a
//     string; the pipeline validates volumes).
//   - metadata entries are kept when truthy (Python); user_metadata adds
//     resource_metadata.user_metadata from the reserved namespaces/keys
//     (dots to underscores, strings cut to reserved_metadata_length
//     characters with Python slice semantics); when nothing is kept, the
//     resource_metadata is the payload (if a dict) plus event_type and host.
//   - lookup expands multi-valued name/volume/... into several samples,
//     single values being repeated; a count mismatch yields nothing.
//   - Plugins: timedelta, split and bitfield (Ceilometer's trait plugins).
//   - timestamp: the definition's path if it finds a truthy value, else the
//     notification's; rendered as timeutils.parse_isotime(ts).isoformat(),
//     e.g. "2026-11-25 10:00:00.123456" → "2026-11-25T10:00:00.123456+00:00",
//     no fraction when the microseconds are 0, the offset kept.
//   - source is [DEFAULT] sample_source; message_id a fresh random UUID (uuid1
//     in Ceilometer); monotonic_time null.
//
// # Regular expressions
//
// Go's RE2 lacks look-around; meters.yaml ships
// compute.instance.(?!create.start|update).*. Supported: the syntax RE2 and
// Python share, Python's escapes, and look-aheads (?!…)/(?=…) at the top
// level of the pattern or of a top-level alternative (see package
// internal/pyre for the exact rules). Look-behind, nested look-around, back-references, atomic
// groups and possessive quantifiers are refused with a clear error and the
// definition is skipped.
//
// # Deliberate deviations from Ceilometer 19
//
//   - One bad value loses only what depends on it. Ceilometer builds all
//     samples of a notification in one generator, so any exception (a
//     JSONPath that raises, an unparsable timestamp, a user_metadata that is
//     not a mapping, a relayed sample lacking a key) loses every sample of the
//     notification. Process loses the failing definition's samples (or the
//     single sample whose timestamp, name or type is unusable) and returns
//     the others with an error.
//   - Samples whose counter_name or counter_type is not a string are dropped
//     with an error (Ceilometer would publish them; the pipeline needs
//     string names to route).
//   - Where Ceilometer 19 fails to build the endpoint at all (a Python-invalid
//     regex, a non-string event_type, a definition that is not a mapping) it
//     runs without any meter definition; Load skips just that definition
//     with a warning (Validate reports it as an error). A file that is not
//     YAML or has no "metric" list is a Load error.
//   - Look-behind and the other unsupported regex features above: the
//     definition is skipped (Ceilometer would run it).
package meter
