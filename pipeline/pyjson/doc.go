// Package pyjson decodes and encodes JSON exactly as Python's json module (and
// oslo.serialization's jsonutils) does, and renders values as Python's str() and
// repr() would.
//
// Ceilometer is written in Python: the notifications it consumes are decoded with
// json.loads, the samples and events it publishes are encoded with json.dumps, and
// its message signatures feed str(value) into an HMAC. To be a drop-in replacement
// the agent must reproduce all three byte for byte, so values keep the distinctions
// Python keeps (int versus float, key order of objects) — see Value.
//
// The decoder is hostile-input safe: it bounds nesting depth and never panics; every
// error names the byte offset and the reason.
//
// # Entry points
//
//   - Decode, Decoder.Decode: json.loads.
//   - Marshal, Append: json.dumps(v); AppendUnicode: json.dumps(v, ensure_ascii=False).
//   - Str/AppendStr: str(v); Repr/AppendRepr: repr(v); AppendStringRepr,
//     AppendBytesRepr, AppendFloatRepr: repr of a str, of its UTF-8 bytes, of a float.
//
// # Compatibility
//
// testdata/vectors.json is produced by testdata/gen_vectors.py with the Python
// Ceilometer runs on (Debian bookworm: Python 3.11, Unicode 14.0) and every vector is
// asserted by the tests. Known deviations from Python:
//
//   - Lone surrogates. Python's str can hold a lone UTF-16 surrogate (from a "\ud800"
//     escape not forming a pair); a Go string cannot. The decoder stores U+FFFD and
//     counts the replacements (Decoder.Surrogates), so json.dumps of such a value
//     prints "\ufffd" where Python prints "\ud800", and a signature covers U+FFFD
//     where Python would fail to UTF-8 encode the string.
//   - Input encoding. Only UTF-8 is accepted. json.loads(bytes) would also detect
//     UTF-16/32, skip a UTF-8 BOM and accept UTF-8-encoded surrogates
//     ("surrogatepass"); the decoder behaves as json.loads(str) after a strict UTF-8
//     decode and rejects all of these (a BOM with Python's "Unexpected UTF-8 BOM").
//   - Nesting. Python fails near its recursion limit (about 1000 levels, depending on
//     the stack in use); the decoder fails beyond Decoder.MaxDepth (512 by default).
//   - Printable characters. repr() keeps printable non-ASCII characters. IsPrintable
//     uses Go's unicode tables (Unicode 15.0 in Go 1.26) corrected for the characters
//     Unicode 15.0 added, so it matches Python 3.11 exactly for every code point
//     (TestIsPrintable checks all of them); a Go release with newer tables or a
//     Python with another Unicode version needs the table regenerated.
//   - Go values Python cannot have (invalid UTF-8 in a string built by Go code, Go
//     integer types other than int64) are rendered as U+FFFD and as Python ints.
//
// Error messages reuse Python's wording ("Expecting value", "Extra data", ...) but
// not its line/column format: a SyntaxError gives the byte offset.
package pyjson
