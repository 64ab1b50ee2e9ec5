// Package transformer implements the sample transformers of Ceilometer
// mitaka's pipeline.yaml (removed upstream in Stein): rate_of_change,
// delta, accumulator, aggregator, arithmetic and unit_conversion, with
// mitaka's outputs (values and their int/float types, names, units, types,
// metadata, timestamps, ids) — testdata/golden.json is produced by running
// mitaka's own transformer code, see testdata/gen_golden.py.
//
// # Building
//
// Factories returns the name → Factory table; New builds one transformer
// from a pipeline.TransformerConfig and Chain the transformers of a sink.
// SharedChains(settings) is the pipeline.Resolver.Transformers to use: it
// builds each sink's chain once, so pipelines sharing a sink share its
// transformers and their state, as in mitaka. Parameters are decoded from
// the YAML node with PyYAML's typing; errors are *conf.FileError with the
// file:line of the offending node; keys a transformer does not read are
// logged as warnings. Expressions (`scale`, arithmetic's `expr`) are parsed
// once, here: see ParseExpr for the subset of Python they may use.
//
// # Running: what the pipeline manager must call
//
//  1. For each notification (mitaka's PublishContext), Transform on each
//     transformer of the chain in order, with the samples the previous one
//     returned (one call per batch; a transformer holds its mutex for the
//     whole batch). Transform never fails for a bad sample: the sample is
//     dropped and counted in Stats, as mitaka drops a sample whose
//     handle_sample raised.
//  2. At the end of that notification — when mitaka's PublishContext exits
//     — FlushChain on the chain of EVERY sample pipeline of the manager,
//     whether or not it received a sample (mitaka flushes all of them), and
//     publish what it returns to the pipeline's publishers.
//  3. Optionally FlushChain on a timer as well (e.g. every second): the
//     aggregator checks retention_time only when flushed, so without
//     notifications an expired window waits for the next one. Extra
//     flushes never change what is released, only when.
//  4. On shutdown, after the listener has stopped and before the
//     publishers stop: DrainChain, and publish the result. Mitaka did not
//     flush on shutdown and lost the buffers; Drain releases accumulator
//     and aggregator buffers whatever their size or age (arithmetic cannot
//     compute an incomplete set: it is flushed, the rest dropped).
//
// All methods are safe for concurrent use. Each stateful transformer has
// one mutex, taken by Transform, Flush and Drain for their whole call and
// never held while calling anything outside the transformer, so there is no
// lock order to respect.
//
// # State
//
// State lives in memory, per transformer instance (one per sink). Keyer
// gives each stateful transformer's key for a sample and PartitionKey the
// key by which a later partitioning hop must route a chain's samples
// (resource_id, mitaka's grouping key). Every map is bounded by
// Settings.MaxKeys (DefaultMaxKeys): rate_of_change and delta evict the
// least recently used key (its next sample counts as a first sample);
// arithmetic evicts the resource whose partial set is oldest; an
// aggregator window with MaxKeys groups drops samples that would open
// another until it is released. Evictions and drops are counted in Stats.
//
// # Deviations from mitaka
//
// Python 3 semantics throughout, where mitaka mostly ran on Python 2.7:
// `/` is true division (an int gauge average is a float), dicts iterate in
// insertion order (flush output order; arithmetic's "first referenced
// meter"), re.sub substitutes "" for an unmatched group. Beyond that:
//
//   - rate_of_change/delta keys are (name, resource_id) pairs, not the
//     concatenated string (so "ab"+"c" and "a"+"bc" do not collide);
//   - an aggregator gauge whose name target renames is averaged over its
//     group (mitaka computed the key from the renamed sample and raised
//     ZeroDivisionError, leaving the window stuck); an average that cannot
//     be computed drops that one aggregate, not the whole release;
//   - unknown top-level parameters are warned about (mitaka's constructors
//     raised TypeError);
//   - an expression outside the subset, or with a syntax error, is a load
//     error (mitaka failed on every sample at run time); a map_from regex
//     valid in Python but beyond Go's RE2 (look-around, back-references) is
//     a load error; an invalid regex or replacement is warned about and the
//     rename skipped, as mitaka's try/except did;
//   - created samples get a random (version 4) UUID, mitaka a uuid1;
//   - state is bounded (above) and can be drained at shutdown.
package transformer
