// Package event converts notifications into events as Ceilometer 19's
// notification agent does: event_definitions.yaml (ceilometer/event/converter.py)
// and the trait plugins of ceilometer/event/trait_plugins.py.
//
// # Lifecycle
//
//  1. Load parses and compiles the definitions file once per configuration
//     generation: event_type patterns (fnmatch, "!" exclusions), every
//     JSONPath, trait types and plugins. Like Ceilometer, one bad definition
//     refuses the whole file; Settings.Strict collects every error (for
//     check-config) instead of stopping at the first.
//  2. Convert is called for each notification, concurrently; it never logs,
//     parses YAML or compiles anything. It returns the event Ceilometer would
//     publish, nil when Ceilometer publishes none, or a *ConvertError where
//     Ceilometer's conversion raises (then Ceilometer publishes nothing).
//
// # Semantics (Ceilometer 19)
//
//   - Only info and error notifications give events.
//   - The last definition in the file whose event_type matches wins. Without
//     drop_unmatched_notifications, an implicit catch-all ("*", no traits)
//     follows unless a definition already is one, so every notification gets
//     at least the default traits: service (publisher_id), request_id,
//     project_id, user_id, tenant_id (payload first, then the context).
//   - JSONPaths are evaluated on the dict oslo.messaging builds, not on the
//     message: ctxt (the _context_* keys), publisher_id, event_type, payload,
//     metadata.message_id, metadata.timestamp.
//   - A trait takes the first non-null match (or an integer constant); an
//     empty string gives no trait unless the type is text. Conversion is
//     Python's: text is str(v)[:255] (dicts as their repr, True/False),
//     int is int(v) (7.9 → 7, " 42 " → 42), float is float(v), datetime is the
//     naive-UTC isoformat of iso8601's parse (".ffffff" only when non-zero).
//   - A value a type cannot take (int("lots"), a dict as int, an unparsable
//     datetime) or an unparsable notification timestamp drops the whole
//     event, exactly as Ceilometer 19 does. We keep this on purpose: the
//     output must equal Ceilometer's, and the error names the trait so the
//     caller can log and count it.
//   - generated is the notification timestamp, normalised the same way;
//     message_id the notification's; raw the dict above when the priority is
//     in store_raw, else {}.
//
// # Known deviations
//
//   - A message_id that is missing or not a string is published by
//     Ceilometer as is (null); pipeline.Event.MessageID is a string, so it
//     becomes "" (or the value's str()).
//   - A trait name that is not a string in YAML (a number, a boolean) is
//     published by Ceilometer with that JSON type; here as its str().
//   - A bitfield bit above 2^16 fails the conversion instead of computing a
//     huge integer; a character set in an event_type pattern that makes
//     fnmatch raise IndexError matches nothing.
package event
