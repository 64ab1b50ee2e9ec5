package event

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// fuzzNotification is converted by every definitions file FuzzLoad accepts.
const fuzzNotification = `{"message_id": "m", "publisher_id": "compute.h", "event_type": "compute.instance.create.end",
 "priority": "INFO", "timestamp": "2026-11-25 10:00:00.123456", "_context_request_id": "r",
 "payload": {"tenant_id": "t", "a": "1", "b": [1, {"c": "2026-11-25T10:00:00Z"}], "host": "x.y.z", "n": 1.5}}`

// FuzzLoad feeds arbitrary definitions files to Load: it must never panic
// nor hang, and a converter it returns must convert without panicking.
func FuzzLoad(f *testing.F) {
	// Small seeds only: minimizing a large file at milliseconds per run
	// stalls the fuzzer for minutes (TestShippedDefinitionsLoad covers the
	// real files).
	f.Add([]byte("- event_type: 'compute.instance.*'\n  traits: &t\n    host:\n      fields: payload.host\n" +
		"    memory_mb:\n      type: int\n      fields: payload.memory_mb\n" +
		"- event_type: ['compute.instance.create.end', '!x.*']\n  traits:\n    <<: *t\n" +
		"    launched_at:\n      type: datetime\n      fields: [payload.launched_at, payload.created_at]\n"))
	f.Add([]byte("- event_type: '*'\n  traits:\n    s:\n      fields: payload.host\n      plugin:\n" +
		"        name: split\n        parameters: {segment: -1, max_split: 2}\n" +
		"    b:\n      type: int\n      fields: [payload.a, payload.n]\n      plugin:\n        name: bitfield\n" +
		"        parameters: {initial_bitfield: 1, flags: [{path: payload.a, bit: 3, value: '1'}]}\n" +
		"    d:\n      type: float\n      fields: [payload.b[1].c, payload.b[1].c]\n      plugin: timedelta\n"))
	if data, err := os.ReadFile("testdata/load_cases.json"); err == nil {
		var cases []struct{ YAML string }
		if json.Unmarshal(data, &cases) == nil {
			for _, c := range cases {
				f.Add([]byte(c.YAML))
			}
		}
	}
	v, err := pyjson.Decode([]byte(fuzzNotification))
	if err != nil {
		f.Fatal(err)
	}
	n := notificationFrom(v.(*pyjson.Object))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Strict and non-strict accept the same files; alternate by length.
		strict := len(data)%2 == 0
		{
			c, _, err := Load("fuzz.yaml", data, Settings{Strict: strict, StoreRaw: []string{"info"}})
			if err != nil {
				if c != nil {
					t.Fatal("converter returned with an error")
				}
				return
			}
			ev, err := c.Convert(n)
			if ev != nil && err != nil {
				t.Fatal("event and error together")
			}
			if ev != nil {
				_ = pyjson.Append(nil, ev.Message("s"))
			}
		}
	})
}

// FuzzConvert feeds arbitrary notifications through Ceilometer 19's
// definitions: never a panic, never an event and an error together.
func FuzzConvert(f *testing.F) {
	f.Add([]byte(fuzzNotification))
	if data, err := os.ReadFile("testdata/instance_create_end/notification.json"); err == nil {
		f.Add(data)
	}
	c := loadFile(f, "testdata/ceilometer-19/event_definitions.yaml", Settings{StoreRaw: []string{"info", "error"}})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := pyjson.Decode(data)
		if err != nil {
			return
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			return
		}
		ev, err := c.Convert(notificationFrom(o))
		if ev != nil && err != nil {
			t.Fatal("event and error together")
		}
		if ev != nil {
			_ = pyjson.Append(nil, ev.Message("s"))
		}
	})
}
