package pyjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestCompatCorpusRoundTrip decodes every line of the shared compatibility corpus
// (../../testdata/compat, written by Python's json.dumps: the notifications fed to
// Ceilometer and the AMQP bodies Ceilometer published, whose "oslo.message" is
// itself a json.dumps string) and checks that Marshal reproduces each document
// byte for byte.
func TestCompatCorpusRoundTrip(t *testing.T) {
	t.Parallel()
	// The corpus files themselves are written with ensure_ascii=False; the AMQP
	// bodies are Ceilometer's own output (ensure_ascii=True).
	files := map[string]func([]byte, Value) []byte{
		"notifications.jsonl": AppendUnicode,
		"expected.jsonl":      AppendUnicode,
		"expected_raw.jsonl":  AppendUnicode,
	}
	for name, encodeLine := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open("../../testdata/compat/" + name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 64<<20)
			var d Decoder
			docs, inPlace := 0, 0
			roundTrip := func(line int, what string, doc []byte, encode func([]byte, Value) []byte) Value {
				t.Helper()
				v, err := d.Decode(doc)
				if err != nil {
					t.Fatalf("line %d %s: %v", line, what, err)
				}
				docs++
				if got := encode(nil, v); !bytes.Equal(got, doc) {
					t.Fatalf("line %d %s: re-encoding differs\n got %s\nwant %s", line, what, got, doc)
				}
				// json.dumps(json.dumps(v)) without its quotes, in one pass.
				dumped := AppendString(nil, string(Append(nil, v)))
				if got, want := AppendQuoted(nil, v), dumped[1:len(dumped)-1]; !bytes.Equal(got, want) {
					t.Fatalf("line %d %s: AppendQuoted differs\n got %s\nwant %s", line, what, got, want)
				}
				// The same, decoded in place from its escaped form (as oslo
				// sends it), when that is in the simple form.
				if checkEscaped(t, string(dumped[1:len(dumped)-1])) {
					inPlace++
				}
				return v
			}
			for line := 1; sc.Scan(); line++ {
				v := roundTrip(line, "line", sc.Bytes(), encodeLine)
				o, ok := v.(*Object)
				if !ok {
					continue
				}
				body, ok := o.Get("body")
				if !ok {
					continue
				}
				var env struct {
					Message *string `json:"oslo.message"`
				}
				b := []byte(body.(string))
				bv := roundTrip(line, "body", b, Append)
				if err := json.Unmarshal(b, &env); err == nil && env.Message != nil {
					inner, _ := bv.(*Object).Get("oslo.message")
					roundTrip(line, "oslo.message", []byte(inner.(string)), Append)
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d documents re-encoded byte for byte, %d decoded in place from their escaped form", docs, inPlace)
			if inPlace < docs/4 {
				t.Errorf("only %d of %d documents decoded in place: the simple form is not what json.dumps writes", inPlace, docs)
			}
		})
	}
}
