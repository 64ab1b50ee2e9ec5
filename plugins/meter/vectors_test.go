package meter

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins/jsonpath"
)

// The vectors are written by testdata/gen_expected.py with Python's re,
// oslo_utils.timeutils and Ceilometer's TimedeltaPlugin.

// TestTimedeltaVectors checks the timedelta trait plugin; the
// parse_isotime vectors of the same file are internal/pytime's.
func TestTimedeltaVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/time_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs struct {
		Timedelta []struct {
			Start string   `json:"start"`
			End   string   `json:"end"`
			Out   *float64 `json:"out"`
		} `json:"timedelta"`
	}
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Timedelta {
		out, err := timedeltaPlugin{}.values([]jsonpath.Match{{Value: v.Start}, {Value: v.End}})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case v.Out == nil && len(out) != 0:
			t.Errorf("timedelta(%q, %q) = %v, want none", v.Start, v.End, out)
		case v.Out != nil && (len(out) != 1 || out[0] != pyjson.Value(*v.Out)):
			t.Errorf("timedelta(%q, %q) = %v, want %v", v.Start, v.End, out, *v.Out)
		}
	}
}
