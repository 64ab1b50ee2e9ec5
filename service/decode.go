package service

import (
	"bytes"
	"compress/bzip2"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unsafe"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

// Reasons a message is rejected before any handler sees it. They label the
// rejected-messages counter and the log line. ReasonContentType and
// ReasonContentEncoding reject a message whose AMQP content type is not JSON
// or whose content encoding is not UTF-8 before its body is read (see
// CheckProperties). ReasonCompression rejects a body compressed (kombu's
// "compression" header) with an unknown method, or that does not decompress.
const (
	ReasonTooLarge        = "too_large"
	ReasonContentType     = "content_type"
	ReasonContentEncoding = "content_encoding"
	ReasonCompression     = "compression"
	ReasonInvalidJSON     = "invalid_json"
	ReasonNotObject       = "not_an_object"
	ReasonEnvelopeVersion = "envelope_version"
	ReasonEnvelope        = "bad_envelope"
	ReasonPriority        = "unknown_priority"
	ReasonEventType       = "bad_event_type"
)

// DecodeError is why a message could not be turned into a notification.
type DecodeError struct {
	Reason string // one of the Reason constants
	Err    error
}

func (e *DecodeError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

func decodeErr(reason, format string, args ...any) error {
	return &DecodeError{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// envelopeMajor is the oslo.messaging envelope version we understand ("2.x").
const envelopeMajor = "2"

// DecodeDelivery is how the worker turns a delivery into a notification: the
// size limit first, then the content type and encoding (CheckProperties), and
// only then Decode; a body over maxBytes is never looked at.
func DecodeDelivery(dec *pyjson.Decoder, d *amqp.Delivery, maxBytes int) (*plugins.Notification, error) {
	if err := checkSize(d.Body, maxBytes); err != nil {
		return nil, err
	}
	if err := CheckProperties(d.ContentType, d.ContentEncoding); err != nil {
		return nil, err
	}
	body, err := decompress(d, maxBytes)
	if err != nil {
		return nil, err
	}
	// A delivery's body is memory of its own that nothing writes to once
	// received (amqp091 allocates it per message; so does decompress): the
	// notification shares it instead of a copy (its strings are substrings
	// of the body). (Its size was checked, before or while decompressing.)
	return decode(dec, unsafe.String(unsafe.SliceData(body), len(body)))
}

// decompress returns the body of d, decompressed when kombu compressed it:
// oslo.messaging's [oslo_messaging_rabbit] kombu_compression (gzip or bz2)
// makes kombu compress the body and name the method in the "compression"
// header (its MIME type or an alias), leaving content type and encoding as
// they were. The decompressed body is bounded by maxBytes (a small compressed
// body can expand enormously).
func decompress(d *amqp.Delivery, maxBytes int) ([]byte, error) {
	h, ok := d.Headers["compression"]
	if !ok {
		return d.Body, nil
	}
	method, _ := h.(string)
	var r io.Reader
	switch method {
	case "application/x-gzip", "gzip", "zlib": // kombu's "gzip" is zlib's format
		zr, err := zlib.NewReader(bytes.NewReader(d.Body))
		if err != nil {
			return nil, decodeErr(ReasonCompression, "%s body does not decompress: %v", method, err)
		}
		r = zr
	case "application/x-bz2", "bzip2", "bzip":
		r = bzip2.NewReader(bytes.NewReader(d.Body))
	default:
		return nil, decodeErr(ReasonCompression, "compression %s is not supported (gzip and bz2 are, the methods of oslo.messaging's kombu_compression)", pyjson.Repr(h))
	}
	limit := int64(maxBytes)
	if maxBytes <= 0 {
		limit = DefaultMaxMessageBytes
	}
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, decodeErr(ReasonCompression, "%s body does not decompress: %v", method, err)
	}
	if int64(len(out)) > limit {
		return nil, decodeErr(ReasonTooLarge, "%s body decompresses to more than the limit of %d bytes", method, limit)
	}
	return out, nil
}

// CheckProperties accepts the content type and encoding a notification may
// carry: oslo.messaging's rabbit driver (through kombu) always sends
// "application/json" encoded "utf-8". Accepted content types are empty (a
// producer that sets none), application/json and text/json, case-insensitive,
// with parameters ("; charset=utf-8"; a charset, when given, must be UTF-8);
// accepted encodings are empty, utf-8 and utf8, case-insensitive. Anything else
// (a pickled body, text/plain, a gzip encoding) is a *DecodeError with reason
// ReasonContentType or ReasonContentEncoding naming the value received: such
// a body is not what the sender meant as a notification even when it happens
// to parse as JSON.
func CheckProperties(contentType, contentEncoding string) error {
	if contentType == "application/json" && (contentEncoding == "utf-8" || contentEncoding == "") {
		return nil // what oslo.messaging sends: no parsing on the hot path
	}
	if strings.TrimSpace(contentType) != "" {
		mt, params, err := mime.ParseMediaType(contentType)
		if err != nil {
			return decodeErr(ReasonContentType, "content type %q: %v", contentType, err)
		}
		if mt != "application/json" && mt != "text/json" {
			return decodeErr(ReasonContentType, "content type %q is not JSON (oslo.messaging sends application/json)", contentType)
		}
		if cs, ok := params["charset"]; ok && !isUTF8(cs) {
			return decodeErr(ReasonContentType, "content type %q: charset is not UTF-8", contentType)
		}
	}
	if enc := strings.TrimSpace(contentEncoding); enc != "" && !isUTF8(enc) {
		return decodeErr(ReasonContentEncoding, "content encoding %q is not UTF-8 (oslo.messaging sends utf-8)", contentEncoding)
	}
	return nil
}

func isUTF8(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "utf-8", "utf8":
		return true
	}
	return false
}

func checkSize(body []byte, maxBytes int) error {
	if maxBytes > 0 && len(body) > maxBytes {
		return decodeErr(ReasonTooLarge, "body of %d bytes exceeds the limit of %d", len(body), maxBytes)
	}
	return nil
}

// Decode turns a message body into a notification, the way oslo.messaging's
// rabbit driver and notification dispatcher do: a body with "oslo.version" is
// the 2.0 envelope whose "oslo.message" string holds the notification; a body
// without it is the notification itself (the older, un-enveloped form). The
// body's priority decides the dispatch (it wins over the routing key) and must
// be one of oslo's priorities; event_type must be a string. Each message is
// decoded exactly once; the result shares nothing with body.
func Decode(d *pyjson.Decoder, body []byte, maxBytes int) (*plugins.Notification, error) {
	if err := checkSize(body, maxBytes); err != nil {
		return nil, err // before the copy
	}
	return decode(d, string(body))
}

// osloEnvelope is how oslo.messaging's rabbit driver starts every notification
// it sends, json.dumps of {"oslo.version": "2.0", "oslo.message": <the
// notification as a JSON string>}; the body then ends with `"}`.
const osloEnvelope = `{"oslo.version": "2.0", "oslo.message": "`

// decode is Decode of a body already checked against the size limit.
func decode(d *pyjson.Decoder, body string) (*plugins.Notification, error) {
	var v pyjson.Value
	enveloped := false
	if len(body) > len(osloEnvelope)+2 && strings.HasPrefix(body, osloEnvelope) && strings.HasSuffix(body, `"}`) {
		// What oslo sends: the notification is decoded in place, without
		// unescaping it first, when it is in the simple form (see
		// pyjson.DecodeEscaped); otherwise the general path below decodes
		// the same body (and names what is wrong with it).
		v, enveloped = d.DecodeEscaped(body[len(osloEnvelope) : len(body)-2])
	}
	if !enveloped {
		var err error
		if v, enveloped, err = decodeGeneral(d, body); err != nil {
			return nil, err
		}
	}
	msg, ok := v.(*pyjson.Object)
	if !ok {
		if enveloped {
			return nil, decodeErr(ReasonNotObject, "oslo.message is a JSON %s, not an object", kind(v))
		}
		return nil, decodeErr(ReasonNotObject, "body is a JSON %s, not an object", kind(v))
	}
	pv, _ := msg.Get("priority")
	if ps, _ := pv.(string); !validPriority(strings.ToLower(ps)) {
		return nil, decodeErr(ReasonPriority, "unknown priority %s", pyjson.Repr(pv))
	}
	if et, _ := msg.Get("event_type"); et == nil {
		return nil, decodeErr(ReasonEventType, "no event_type")
	} else if _, ok := et.(string); !ok {
		return nil, decodeErr(ReasonEventType, "event_type is %s, not a string", pyjson.Repr(et))
	}
	n := plugins.NewNotification(msg)
	return n, nil
}

// decodeGeneral decodes any body: the notification itself, or the envelope
// whose "oslo.message" string holds it (then enveloped is true).
func decodeGeneral(d *pyjson.Decoder, body string) (v pyjson.Value, enveloped bool, err error) {
	if v, err = d.DecodeString(body); err != nil {
		return nil, false, &DecodeError{Reason: ReasonInvalidJSON, Err: err}
	}
	env, ok := v.(*pyjson.Object)
	if !ok {
		return v, false, nil
	}
	ver, ok := env.Get("oslo.version")
	if !ok {
		return v, false, nil
	}
	vs, _ := ver.(string)
	if major, _, _ := strings.Cut(vs, "."); major != envelopeMajor {
		return nil, true, decodeErr(ReasonEnvelopeVersion, "unsupported envelope version %s", pyjson.Repr(ver))
	}
	inner, ok := env.Get("oslo.message")
	s, isStr := inner.(string)
	if !ok || !isStr {
		return nil, true, decodeErr(ReasonEnvelope, `envelope without an "oslo.message" string`)
	}
	if v, err = d.DecodeString(s); err != nil {
		return nil, true, &DecodeError{Reason: ReasonInvalidJSON, Err: fmt.Errorf("oslo.message: %w", err)}
	}
	return v, true, nil
}

func validPriority(p string) bool {
	switch p {
	case "audit", "critical", "debug", "error", "info", "sample", "warn":
		return true
	}
	return false
}

func kind(v pyjson.Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, float64, pyjson.BigInt:
		return "number"
	case string:
		return "string"
	case []pyjson.Value:
		return "array"
	}
	return "value"
}

// reasonOf returns the rejection reason of err.
func reasonOf(err error) string {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Reason
	}
	return "error"
}
