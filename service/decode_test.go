package service

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

func TestDecode(t *testing.T) {
	inner := `{"message_id": "m1", "publisher_id": "compute.host1", "event_type": "compute.instance.exists", "priority": "INFO", "payload": {"a": 1}, "timestamp": "2026-11-25 10:00:00.123456", "_context_user_id": "u"}`
	envelope := string(pyjson.Append(nil, &pyjson.Object{Members: []pyjson.Member{{Key: "oslo.version", Value: "2.0"}, {Key: "oslo.message", Value: inner}}}))
	good := []struct{ name, body string }{
		{"envelope 2.0", envelope},
		{"un-enveloped (1.0)", inner},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Decode(&pyjson.Decoder{}, []byte(tc.body), 0)
			if err != nil {
				t.Fatal(err)
			}
			if n.Priority != "info" || n.EventType != "compute.instance.exists" || n.MessageID != "m1" || n.PublisherID != "compute.host1" || n.Timestamp != "2026-11-25 10:00:00.123456" {
				t.Errorf("notification = %+v", n)
			}
			if o, ok := n.Payload.(*pyjson.Object); !ok || o.Len() != 1 {
				t.Errorf("payload = %#v", n.Payload)
			}
			ctxt, _ := n.Root.Get("ctxt")
			if v, _ := ctxt.(*pyjson.Object).Get("user_id"); v != "u" {
				t.Errorf("context not unpacked into ctxt: %s", pyjson.Repr(n.Root))
			}
		})
	}
	bad := []struct{ name, body, reason string }{
		{"invalid json", `{"oslo.version": "2.0", `, ReasonInvalidJSON},
		{"invalid utf-8", "{\"a\": \"\xff\"}", ReasonInvalidJSON},
		{"scalar", `42`, ReasonNotObject},
		{"list", `[1, 2]`, ReasonNotObject},
		{"envelope 3.0", `{"oslo.version": "3.0", "oslo.message": "{}"}`, ReasonEnvelopeVersion},
		{"envelope without message", `{"oslo.version": "2.0"}`, ReasonEnvelope},
		{"message not a string", `{"oslo.version": "2.0", "oslo.message": {"a": 1}}`, ReasonEnvelope},
		{"message not json", `{"oslo.version": "2.0", "oslo.message": "nope"}`, ReasonInvalidJSON},
		{"message a list", `{"oslo.version": "2.0", "oslo.message": "[]"}`, ReasonNotObject},
		{"no priority", `{"event_type": "x", "payload": {}}`, ReasonPriority},
		{"unknown priority", `{"event_type": "x", "priority": "LOUD"}`, ReasonPriority},
		{"priority not a string", `{"event_type": "x", "priority": 3}`, ReasonPriority},
		{"no event type", `{"priority": "info"}`, ReasonEventType},
		{"event type not a string", `{"priority": "info", "event_type": ["a"]}`, ReasonEventType},
		{"deep nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), ReasonInvalidJSON},
		{"too large", `{"priority": "info", "event_type": "x", "payload": "` + strings.Repeat("x", 2000) + `"}`, ReasonTooLarge},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			limit := 1 << 20
			if tc.reason == ReasonTooLarge {
				limit = 1024
			}
			_, err := Decode(&pyjson.Decoder{}, []byte(tc.body), limit)
			if err == nil {
				t.Fatal("no error")
			}
			if got := reasonOf(err); got != tc.reason {
				t.Errorf("reason = %s, want %s (%v)", got, tc.reason, err)
			}
		})
	}
}

func TestCheckProperties(t *testing.T) {
	for _, tc := range []struct {
		contentType, encoding string
		reason                string // "" = accepted
	}{
		{"application/json", "utf-8", ""}, // what oslo.messaging sends
		{"", "", ""},
		{"Application/JSON", "UTF-8", ""},
		{"application/json; charset=utf-8", "utf8", ""},
		{"application/json;charset=UTF8", "UTF8", ""},
		{" text/json ", " utf-8 ", ""},
		{"application/x-python-serialize", "binary", ReasonContentType},
		{"text/plain", "utf-8", ReasonContentType},
		{"application/octet-stream", "", ReasonContentType},
		{"application/jsonx", "", ReasonContentType},
		{"application/json; charset=latin-1", "utf-8", ReasonContentType},
		{"application/json; charset", "utf-8", ReasonContentType},
		{"/json", "", ReasonContentType},
		{"application/json", "gzip", ReasonContentEncoding},
		{"application/json", "binary", ReasonContentEncoding},
		{"application/json", "utf-16", ReasonContentEncoding},
	} {
		err := CheckProperties(tc.contentType, tc.encoding)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("%q %q: %v", tc.contentType, tc.encoding, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Reason != tc.reason {
			t.Errorf("%q %q: error %v, want reason %s", tc.contentType, tc.encoding, err, tc.reason)
			continue
		}
		// The log line names the value received.
		if got := strings.TrimSpace(tc.contentType); tc.reason == ReasonContentEncoding {
			got = tc.encoding
			if !strings.Contains(err.Error(), `"`+got+`"`) {
				t.Errorf("%q %q: %v does not name the encoding", tc.contentType, tc.encoding, err)
			}
		} else if !strings.Contains(err.Error(), got) {
			t.Errorf("%q %q: %v does not name the content type", tc.contentType, tc.encoding, err)
		}
	}
}

// DecodeDelivery checks the size first (the body is not looked at), then the
// properties, then decodes.
func TestDecodeDelivery(t *testing.T) {
	good := `{"priority": "info", "event_type": "x", "payload": {}}`
	for _, tc := range []struct {
		name, contentType, encoding, body, reason string
	}{
		{"oslo properties", "application/json", "utf-8", good, ""},
		{"too large and not json", "application/json", "utf-8", strings.Repeat("\xff", 100), ReasonTooLarge},
		{"too large beats content type", "text/plain", "gzip", strings.Repeat("x", 100), ReasonTooLarge},
		{"content type before decoding", "text/plain", "utf-8", good, ReasonContentType},
		{"encoding before decoding", "application/json", "gzip", "\x1f\x8b", ReasonContentEncoding},
		{"then the body", "application/json", "utf-8", `[]`, ReasonNotObject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &amqp.Delivery{ContentType: tc.contentType, ContentEncoding: tc.encoding, Body: []byte(tc.body)}
			n, err := DecodeDelivery(&pyjson.Decoder{}, d, 64)
			if tc.reason == "" {
				if err != nil || n.EventType != "x" {
					t.Fatalf("%+v, %v", n, err)
				}
				return
			}
			if got := reasonOf(err); got != tc.reason {
				t.Errorf("reason = %s, want %s (%v)", got, tc.reason, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"oslo.version": "2.0", "oslo.message": "{\"priority\": \"INFO\", \"event_type\": \"a\", \"payload\": {}}"}`), uint8(0))
	f.Add([]byte(`{"priority": "sample", "event_type": "telemetry.polling", "payload": {"samples": []}}`), uint8(0))
	f.Add([]byte(`[]`), uint8(0))
	f.Add([]byte("x\x9c\xabV\xca,\xc9\xccK\xb7R0\xd4Q\x00\x00"), uint8(1))
	f.Add([]byte("BZh91AY&SY"), uint8(2))
	methods := []string{"", "application/x-gzip", "application/x-bz2", "zlib", "application/x-lzma"}
	f.Fuzz(func(t *testing.T, body []byte, method uint8) {
		// The whole way a delivery takes: size, properties, kombu's
		// compression (method 0: none), then the body.
		d := &amqp.Delivery{ContentType: "application/json", ContentEncoding: "utf-8", Body: body}
		if m := methods[int(method)%len(methods)]; m != "" {
			d.Headers = amqp.Table{"compression": m}
		}
		n, err := DecodeDelivery(&pyjson.Decoder{}, d, 1<<20)
		if err == nil && (n == nil || n.Body == nil || !validPriority(n.Priority)) {
			t.Fatalf("accepted an invalid notification: %+v", n)
		}
		if err != nil && reasonOf(err) == "error" {
			t.Fatalf("unclassified error: %v", err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	inner := `{"message_id": "0b5c7a2e-6f1d-4a8e-9f7b-1d2e3f4a5b6c", "publisher_id": "nova.compute-1", "event_type": "compute.instance.exists", "priority": "INFO", "payload": {"tenant_id": "6f70656e737461636b20697320636f6f", "user_id": "c0ffee0c0ffee0c0ffee0c0ffee0c0ff", "instance_id": "9f3c5f3e-6d46-4b38-9bb3-0b0d64e2a3a1", "display_name": "demo-vm", "host": "compute-1", "instance_type": "m1.small", "memory_mb": 2048, "disk_gb": 20, "root_gb": 20, "ephemeral_gb": 0, "vcpus": 1, "state": "active", "launched_at": "2026-11-25T09:00:00.000000", "flavor": {"name": "m1.small", "flavorid": "2", "memory_mb": 2048, "vcpus": 1}}, "timestamp": "2026-11-25 10:00:00.123456", "_unique_id": "5e0c2f3a9b8d4c7e8f1a2b3c4d5e6f70", "_context_request_id": "req-1", "_context_user_id": "c0ffee0c0ffee0c0ffee0c0ffee0c0ff", "_context_project_id": "6f70656e737461636b20697320636f6f"}`
	body := pyjson.Append(nil, &pyjson.Object{Members: []pyjson.Member{{Key: "oslo.version", Value: "2.0"}, {Key: "oslo.message", Value: inner}}})
	d := &pyjson.Decoder{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(d, body, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// oslo.messaging's kombu_compression makes kombu compress the body and name the
// method in the "compression" header; the agent decompresses gzip (zlib's
// format) and bz2, bounded by the size limit, and rejects the rest.
func TestDecodeCompressed(t *testing.T) {
	body := `{"oslo.version": "2.0", "oslo.message": "{\"message_id\": \"m1\", \"publisher_id\": \"compute.h1\", \"event_type\": \"compute.instance.exists\", \"priority\": \"INFO\", \"payload\": {}, \"timestamp\": \"2026-11-25 10:00:00.000001\"}"}`
	zlibbed := func(b []byte) []byte {
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		return buf.Bytes()
	}
	// python3 -c 'import bz2,sys; print(bz2.compress(sys.stdin.buffer.read()).hex())' <<< "$body" (without the newline)
	bz2Body, _ := hex.DecodeString("425a6839314159265359c1f187fd0000725f8020005007731001218004bee7df6a3000ba686a9e2430a7a87a993d08f51a68fd53683534988c43234d000001a9e920320d00000040d7cb080848056e02039dc80297ea0087e6a8174ee646ad82504448ced4b84254d70e6197b42000c4ce73865f4e3b575c4832c1990177eb5727830fff4ea146caad0d4de854b1dedc0a2a1e892dea7560d1f794a18988f169a0240a0e2590385416774e26a52126b1049110c3a2b61a57935e4aeccb42e05dc914e1424307c61ff4")
	bomb := zlibbed(bytes.Repeat([]byte(" "), 10<<20)) // 10 MiB of spaces in ~10 KB
	for _, tc := range []struct {
		name, method string
		body         []byte
		reason       string
	}{
		{"kombu gzip (zlib)", "application/x-gzip", zlibbed([]byte(body)), ""},
		{"gzip alias", "gzip", zlibbed([]byte(body)), ""},
		{"kombu bz2", "application/x-bz2", bz2Body, ""},
		{"bzip2 alias", "bzip2", bz2Body, ""},
		{"not zlib", "application/x-gzip", []byte(body), ReasonCompression},
		{"truncated bz2", "application/x-bz2", bz2Body[:40], ReasonCompression},
		{"unsupported method", "application/x-lzma", []byte(body), ReasonCompression},
		{"decompression bomb", "application/x-gzip", bomb, ReasonTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &amqp.Delivery{ContentType: "application/json", ContentEncoding: "utf-8", Body: tc.body, Headers: amqp.Table{"compression": tc.method}}
			n, err := DecodeDelivery(&pyjson.Decoder{}, d, 1<<20)
			if tc.reason == "" {
				if err != nil || n.MessageID != "m1" || n.EventType != "compute.instance.exists" {
					t.Fatalf("%+v, %v", n, err)
				}
				return
			}
			if got := reasonOf(err); got != tc.reason {
				t.Errorf("reason = %s, want %s (%v)", got, tc.reason, err)
			}
		})
	}
}
