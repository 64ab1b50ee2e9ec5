package pipeline

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// signatureVectors is testdata/signatures.json, written by
// testdata/gen_signatures.py with Ceilometer's own compute_signature and
// verify_signature.
type signatureVectors struct {
	Generator string `json:"generator"`
	Secret    string `json:"secret"`
	Cases     []struct {
		Message              string `json:"message"`
		Signature            string `json:"signature"`
		EmptySecretSignature string `json:"empty_secret_signature"`
	} `json:"cases"`
	Verify []struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Secret  string `json:"secret"`
		Valid   bool   `json:"valid"`
	} `json:"verify"`
}

func loadSignatureVectors(t testing.TB) *signatureVectors {
	t.Helper()
	data, err := os.ReadFile("testdata/signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	var v signatureVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) == 0 || len(v.Verify) == 0 {
		t.Fatal("no signature vectors")
	}
	return &v
}

func decodeObject(t testing.TB, text string) *pyjson.Object {
	t.Helper()
	v, err := pyjson.Decode([]byte(text))
	if err != nil {
		t.Fatalf("decode %s: %v", text, err)
	}
	o, ok := v.(*pyjson.Object)
	if !ok {
		t.Fatalf("decode %s: got %T, want an object", text, v)
	}
	return o
}

func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	vec := loadSignatureVectors(t)
	t.Logf("%d signature vectors from %s", len(vec.Cases), vec.Generator)
	for _, c := range vec.Cases {
		msg := decodeObject(t, c.Message)
		if got := Signature(vec.Secret, msg); got != c.Signature {
			t.Errorf("Signature(%s) = %s, want %s", c.Message, got, c.Signature)
		}
		if got := Signature("", msg); got != c.EmptySecretSignature {
			t.Errorf("Signature(\"\", %s) = %q, want %q", c.Message, got, c.EmptySecretSignature)
		}
	}
}

func TestVerifyVectors(t *testing.T) {
	t.Parallel()
	vec := loadSignatureVectors(t)
	for _, c := range vec.Verify {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			msg := decodeObject(t, c.Message)
			if got := Verify(c.Secret, msg); got != c.Valid {
				t.Errorf("Verify = %v, want %v", got, c.Valid)
			}
		})
	}
}

// TestSignatureOrderIndependent checks that member order does not matter, at
// the top level, in nested dicts and in dicts inside lists, and that the input
// is left untouched.
func TestSignatureOrderIndependent(t *testing.T) {
	t.Parallel()
	a := decodeObject(t, `{"b": {"y": 1, "x": 2}, "a": [{"q": 1, "p": "v"}], "message_signature": "s"}`)
	b := decodeObject(t, `{"a": [{"p": "v", "q": 1}], "message_signature": "other", "b": {"x": 2, "y": 1}}`)
	before := string(pyjson.Append(nil, a))
	if sa, sb := Signature("k", a), Signature("k", b); sa != sb {
		t.Errorf("signatures differ: %s != %s", sa, sb)
	}
	if after := string(pyjson.Append(nil, a)); after != before {
		t.Errorf("Signature modified its input: %s", after)
	}
}

func TestVerifySignRoundTrip(t *testing.T) {
	t.Parallel()
	msg := decodeObject(t, `{"counter_name": "cpu", "counter_volume": 1.0, "resource_metadata": {"k": ["v"]}}`)
	if Verify("secret", msg) {
		t.Error("unsigned message verified")
	}
	msg.Set(SignatureKey, Signature("secret", msg))
	if !Verify("secret", msg) {
		t.Error("signed message did not verify")
	}
	if Verify("other", msg) {
		t.Error("verified with the wrong secret")
	}
	msg.Set(SignatureKey, nil)
	if Verify("secret", msg) {
		t.Error("verified a null signature")
	}
	if !Verify("", msg) {
		t.Error("empty secret must accept every message")
	}
}

func BenchmarkSignature(b *testing.B) {
	vec := loadSignatureVectors(b)
	var sample *pyjson.Object
	for _, c := range vec.Cases {
		o := decodeObject(b, c.Message)
		if _, ok := o.Get("counter_name"); ok {
			sample = o
			break
		}
	}
	if sample == nil {
		b.Fatal("no sample-shaped vector")
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Signature(vec.Secret, sample)
	}
}

// TestCompatSignatures checks the shared corpus ../testdata/compat/signatures.json
// (scripts/compat/gen_signatures.py, Ceilometer's own compute_signature). Values
// JSON cannot carry are tagged there: {"__float__": "nan"|"inf"|"-inf"} and
// {"__tuple__": [...]} (a tuple signs as a list).
func TestCompatSignatures(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/compat/signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name      string          `json:"name"`
		Secret    *string         `json:"secret"`
		Message   json.RawMessage `json:"message"`
		Signature string          `json:"signature"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no vectors")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			msg, ok := untag(decodeObject(t, string(c.Message))).(*pyjson.Object)
			if !ok {
				t.Fatal("message is not an object")
			}
			secret := ""
			if c.Secret != nil {
				secret = *c.Secret
			}
			if got := Signature(secret, msg); got != c.Signature {
				t.Errorf("Signature = %s, want %s", got, c.Signature)
			}
		})
	}
}

func untag(v pyjson.Value) pyjson.Value {
	switch x := v.(type) {
	case []pyjson.Value:
		for i := range x {
			x[i] = untag(x[i])
		}
	case *pyjson.Object:
		if x.Len() == 1 {
			switch m := x.Members[0]; m.Key {
			case "__float__":
				f, err := strconv.ParseFloat(m.Value.(string), 64)
				if err == nil {
					return f
				}
			case "__tuple__":
				return untag(m.Value)
			}
		}
		for i := range x.Members {
			x.Members[i].Value = untag(x.Members[i].Value)
		}
	}
	return v
}

// compatSecret is the telemetry_secret scripts/compat/run_oracle.py configured.
const compatSecret = "compat-test-secret"

// TestCompatPublishedSignatures verifies the message_signature of every sample
// and event the real Ceilometer published in the shared corpus
// (../testdata/compat/expected_raw.jsonl: AMQP bodies, oslo envelope 2.0).
func TestCompatPublishedSignatures(t *testing.T) {
	t.Parallel()
	published := publishedMessages(t)
	for _, p := range published {
		o := p.msg
		want, _ := o.Get(SignatureKey)
		if got := Signature(compatSecret, o); got != want {
			t.Errorf("line %d: Signature = %s, Ceilometer published %v\n%s", p.line, got, want, pyjson.Append(nil, o))
		}
		if !Verify(compatSecret, o) {
			t.Errorf("line %d: Verify = false", p.line)
		}
	}
	t.Logf("%d published signatures reproduced", len(published))
}

// publishedMessage is one sample or event message Ceilometer published.
type publishedMessage struct {
	line int // in the corpus file, from 1
	msg  *pyjson.Object
}

// publishedMessages returns every sample and event message in the payloads
// of the shared corpus ../testdata/compat/expected_raw.jsonl (AMQP bodies,
// oslo envelope 2.0); it fails the test when there is none.
func publishedMessages(t *testing.T) []publishedMessage {
	t.Helper()
	data, err := os.ReadFile("../testdata/compat/expected_raw.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []publishedMessage
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		rec := decodeObject(t, string(line))
		body, _ := rec.Get("body")
		env := decodeObject(t, body.(string))
		inner, _ := env.Get("oslo.message")
		msg := decodeObject(t, inner.(string))
		payload, _ := msg.Get("payload")
		items, _ := payload.([]pyjson.Value)
		for _, it := range items {
			if o, ok := it.(*pyjson.Object); ok {
				out = append(out, publishedMessage{line: i + 1, msg: o})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no published message found")
	}
	return out
}
