package event

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// goldenSecret is the telemetry_secret testdata/gen_golden.py signs with.
const goldenSecret = "golden-secret"

// goldenSettings is a case's settings.json.
type goldenSettings struct {
	Definitions   string   `json:"definitions"`
	DropUnmatched bool     `json:"drop_unmatched_notifications"`
	StoreRaw      []string `json:"store_raw"`
}

// TestGolden walks testdata/<case>/: notification.json through the
// converter configured by settings.json must give expected.json, which
// Ceilometer 19's own converter produced (testdata/gen_golden.py): the
// published event message byte for byte (signature included), null for no
// event, or {"error": ...} when Ceilometer's conversion raises.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/notification.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases (%v)", err)
	}
	converters := map[string]*Converter{}
	for _, nf := range dirs {
		dir := filepath.Dir(nf)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var s goldenSettings
			readJSON(t, filepath.Join(dir, "settings.json"), &s)
			key := s.Definitions + "\x00" + boolStr(s.DropUnmatched) + "\x00" + joinStrs(s.StoreRaw)
			c, ok := converters[key]
			if !ok {
				c = loadFile(t, filepath.Join("testdata", s.Definitions), Settings{DropUnmatched: s.DropUnmatched, StoreRaw: s.StoreRaw})
				converters[key] = c
			}
			nv := decodeFile(t, nf)
			want := decodeFile(t, filepath.Join(dir, "expected.json"))
			ev, err := c.Convert(notificationFrom(nv.(*pyjson.Object)))
			if wo, ok := want.(*pyjson.Object); ok {
				if msg, isErr := wo.Get("error"); isErr {
					var ce *ConvertError
					if ev != nil || !errors.As(err, &ce) {
						t.Fatalf("want conversion error (Ceilometer: %v), got event %v, err %v", msg, ev, err)
					}
					return
				}
			}
			if want == nil {
				if ev != nil || err != nil {
					t.Fatalf("want no event, got %+v, err %v", ev, err)
				}
				return
			}
			if err != nil || ev == nil {
				t.Fatalf("want an event, got err %v", err)
			}
			got := string(pyjson.Append(nil, ev.Message(goldenSecret)))
			if w := string(pyjson.Append(nil, want)); got != w {
				t.Errorf("event differs\n got %s\nwant %s", got, w)
			}
		})
	}
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func joinStrs(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func decodeFile(t *testing.T, path string) pyjson.Value {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestConvertErrorNamesTrait checks what the caller gets to log and count.
func TestConvertErrorNamesTrait(t *testing.T) {
	c := loadFile(t, "testdata/golden-definitions/event_definitions.yaml", Settings{})
	nv := decodeFile(t, "testdata/int_lots/notification.json")
	ev, err := c.Convert(notificationFrom(nv.(*pyjson.Object)))
	var ce *ConvertError
	if ev != nil || !errors.As(err, &ce) || ce.Trait != "value" || ce.EventType != "test.int" {
		t.Fatalf("got %v, %v", ev, err)
	}
	const want = `event: convert "test.int": trait "value": invalid literal for int() with base 10: 'lots'`
	if err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
}
