package pipeline

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"sync"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// SignatureKey is the message member that carries the signature; Signature
// ignores it, so a signed message can be re-signed or verified in place.
const SignatureKey = "message_signature"

// Signature returns the hex HMAC-SHA256 of msg keyed with secret, byte for byte
// what Ceilometer's ceilometer.publisher.utils.compute_signature(msg, secret)
// returns for the same (json.loads-decoded) dict. An empty secret disables
// signing: the result is "" (as in Ceilometer).
//
// The digest covers the pairs of utils.recursive_keypairs(msg): members sorted
// by key (code point order); a member whose value is a dict is replaced by that
// dict's pairs with names joined by ':' ("resource_metadata:flavor:id"),
// recursively, so an empty dict contributes nothing; a pair named
// "message_signature" is skipped (only at the top level: nested names carry a
// prefix). For each pair the UTF-8 of the name then of Python's str(value) is fed
// to the HMAC, where a list value is first passed through Ceilometer's
// decode_unicode: its strings become bytes (rendered b'...') and dicts inside it
// are rebuilt with sorted bytes keys, so ['a', {'y': 1, 'x': 'v'}] is rendered
// "[b'a', {b'x': b'v', b'y': 1}]".
//
// Deviation: Python cannot sign a string holding a lone surrogate (UTF-8
// encoding fails) while Go signs its U+FFFD replacement (see pyjson.Decoder).
//
// Signature is safe for concurrent use.
func Signature(secret string, msg *pyjson.Object) string {
	if secret == "" {
		return ""
	}
	s := acquireSigner(secret)
	s.keypairs(msg)
	return s.finish()
}

// EventSignature returns Signature(secret, e.Message(secret)) — the
// signature member itself is not signed — without building the message.
func EventSignature(secret string, e *Event) string {
	if secret == "" {
		return ""
	}
	s := acquireSigner(secret)
	// The members in sorted order: event_type, generated, message_id, raw
	// (its pairs, prefixed "raw:"), traits.
	s.str("event_type", e.EventType)
	s.str("generated", e.Generated)
	s.str("message_id", e.MessageID)
	if e.Raw != nil {
		s.member("raw", e.Raw)
	}
	s.buf = append(s.buf, "traits["...)
	for i := range e.Traits {
		t := &e.Traits[i]
		if i > 0 {
			s.buf = append(s.buf, ", "...)
		}
		s.buf = append(s.buf, '[')
		s.buf = pyjson.AppendBytesRepr(s.buf, t.Name)
		s.buf = append(s.buf, ", "...)
		s.buf = strconv.AppendInt(s.buf, int64(t.Type), 10)
		s.buf = append(s.buf, ", "...)
		s.buf = s.appendDecodedRepr(s.buf, t.Value)
		s.buf = append(s.buf, ']')
	}
	s.buf = append(s.buf, ']')
	return s.finish()
}

// SampleSignature returns Signature(secret, smp.Message(secret)) — the
// signature member itself is not signed — without building the message.
func SampleSignature(secret string, smp *Sample) string {
	if secret == "" {
		return ""
	}
	s := acquireSigner(secret)
	// The members in sorted order.
	s.str("counter_name", smp.Name)
	s.str("counter_type", smp.Type)
	s.member("counter_unit", smp.Unit)
	s.member("counter_volume", smp.Volume)
	s.str("message_id", smp.ID)
	s.member("monotonic_time", smp.MonotonicTime)
	s.member("project_id", smp.ProjectID)
	s.member("resource_id", smp.ResourceID)
	if smp.ResourceMetadata != nil {
		s.member("resource_metadata", smp.ResourceMetadata)
	}
	s.str("source", smp.source())
	s.member("timestamp", smp.Timestamp)
	s.member("user_id", smp.UserID)
	return s.finish()
}

// acquireSigner takes a signer for secret from the pool, reset.
func acquireSigner(secret string) *signer {
	s := signerPool.Get().(*signer)
	if s.secret != secret {
		s.mac = hmac.New(sha256.New, []byte(secret))
		s.secret = secret
	} else {
		s.mac.Reset()
	}
	s.name, s.buf = s.name[:0], s.buf[:0]
	return s
}

// finish returns the hex HMAC of the pairs gathered and puts s back.
func (s *signer) finish() string {
	s.mac.Write(s.buf)
	s.sum = s.mac.Sum(s.sum[:0])
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], s.sum)
	if cap(s.buf) > 64<<10 {
		s.buf = nil // a huge message does not pin its copy in the pool
	}
	signerPool.Put(s)
	return string(out[:])
}

// Verify reports whether msg carries a valid signature for secret, as
// Ceilometer's verify_signature does: with an empty secret every message is
// valid; otherwise msg's "message_signature" must be a string equal (compared in
// constant time, case-sensitively) to Signature(secret, msg). A missing or
// non-string signature is invalid (Ceilometer compares it with an empty string
// or raises).
func Verify(secret string, msg *pyjson.Object) bool {
	if secret == "" {
		return true
	}
	old, ok := msg.Get(SignatureKey)
	oldSig, isStr := old.(string)
	if !ok || !isStr {
		return false
	}
	return hmac.Equal([]byte(Signature(secret, msg)), []byte(oldSig))
}

// signer holds one HMAC and scratch buffers; pooled because Signature runs for
// every published sample.
type signer struct {
	secret string
	mac    hash.Hash
	name   []byte          // current flattened name
	buf    []byte          // the pairs: name, then str(value), …
	stack  []pyjson.Member // sorted members of the dicts being walked
	sum    []byte          // the digest
}

var signerPool = sync.Pool{New: func() any { return new(signer) }}

// keypairs feeds the pairs of recursive_keypairs(o), named with s.name as prefix.
func (s *signer) keypairs(o *pyjson.Object) {
	if o == nil {
		return
	}
	base := len(s.name)
	members := s.sorted(o)
	for _, m := range members {
		s.name = append(s.name[:base], m.Key...)
		s.value(m.Value)
	}
	s.release(members)
	s.name = s.name[:base]
}

// value feeds the pairs of a member named s.name whose value is v.
func (s *signer) value(v pyjson.Value) {
	if o, ok := v.(*pyjson.Object); ok && o != nil {
		s.name = append(s.name, ':')
		s.keypairs(o)
		return
	}
	if string(s.name) == SignatureKey {
		return
	}
	// The pairs are gathered and hashed at once: the HMAC of the
	// concatenation is the HMAC of the successive updates.
	s.buf = append(s.buf, s.name...)
	if l, ok := v.([]pyjson.Value); ok {
		s.buf = s.appendDecodedList(s.buf, l)
	} else {
		s.buf = pyjson.AppendStr(s.buf, v)
	}
}

// member feeds the pairs of the top-level member name: v.
func (s *signer) member(name string, v pyjson.Value) {
	s.name = append(s.name[:0], name...)
	s.value(v)
}

// str feeds the pair of the top-level member name: str (a string, unboxed).
func (s *signer) str(name, str string) {
	s.buf = append(s.buf, name...)
	s.buf = append(s.buf, str...)
}

// sorted returns o's members in Python's sorted(d.items()) order, without
// touching o: keys are unique, so only keys are compared, and Go's byte order on
// UTF-8 is Python's code point order. The result lives in the signer's scratch
// stack until release.
func (s *signer) sorted(o *pyjson.Object) []pyjson.Member {
	base := len(s.stack)
	s.stack = append(s.stack, o.Members...)
	m := s.stack[base:len(s.stack):len(s.stack)]
	if !slices.IsSortedFunc(m, compareKeys) {
		slices.SortFunc(m, compareKeys)
	}
	return m
}

// release pops m, the latest result of sorted, from the scratch stack.
func (s *signer) release(m []pyjson.Member) {
	n := len(s.stack) - len(m)
	clear(s.stack[n:])
	s.stack = s.stack[:n]
}

func compareKeys(a, b pyjson.Member) int { return cmp.Compare(a.Key, b.Key) }

// appendDecodedRepr appends str(decode_unicode(v)): Python's repr of the value
// after Ceilometer's decode_unicode turned strings into UTF-8 bytes and rebuilt
// dicts with sorted keys.
func (s *signer) appendDecodedRepr(dst []byte, v pyjson.Value) []byte {
	switch x := v.(type) {
	case string:
		return pyjson.AppendBytesRepr(dst, x)
	case []pyjson.Value:
		return s.appendDecodedList(dst, x)
	case *pyjson.Object:
		if x == nil {
			break
		}
		dst = append(dst, '{')
		members := s.sorted(x)
		for i, m := range members {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = pyjson.AppendBytesRepr(dst, m.Key)
			dst = append(dst, ": "...)
			dst = s.appendDecodedRepr(dst, m.Value)
		}
		s.release(members)
		return append(dst, '}')
	}
	return pyjson.AppendRepr(dst, v)
}

// appendDecodedList is appendDecodedRepr for a list.
func (s *signer) appendDecodedList(dst []byte, l []pyjson.Value) []byte {
	dst = append(dst, '[')
	for i, el := range l {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = s.appendDecodedRepr(dst, el)
	}
	return append(dst, ']')
}
