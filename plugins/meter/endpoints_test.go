package meter_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
	"github.com/openstack-go/agent-notification/plugins/meter"
)

// TestEndpointCases runs the coded endpoints on the cases
// testdata/gen_endpoints.py ran through Ceilometer 19's own classes: the same
// endpoints take the notification, publish the same samples, skip the same
// sensors, and lose everything where Ceilometer raised.
func TestEndpointCases(t *testing.T) {
	data, err := os.ReadFile("testdata/endpoint_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	endpoints := meter.Endpoints(meter.DefaultSettings())
	for _, c := range v.([]pyjson.Value) {
		co := c.(*pyjson.Object)
		name := get(co, "name").(string)
		t.Run(name, func(t *testing.T) {
			n := plugins.NewNotification(get(co, "body").(*pyjson.Object))
			want := map[string]*pyjson.Object{}
			for _, r := range get(co, "endpoints").([]pyjson.Value) {
				want[get(r.(*pyjson.Object), "endpoint").(string)] = r.(*pyjson.Object)
			}
			for _, ep := range endpoints {
				if ep.Name() == "telemetry_ipc" {
					continue
				}
				w := want[ep.Name()]
				matched := ep.(interface{ Match(string) bool }).Match(n.EventType)
				if matched != (w != nil) {
					t.Errorf("%s: takes the notification: %v, Ceilometer %v", ep.Name(), matched, w != nil)
					continue
				}
				got, err := ep.Process(context.Background(), n)
				if w == nil {
					if got != nil || err != nil {
						t.Errorf("%s: %d samples, %v for an event type it does not take", ep.Name(), len(got), err)
					}
					continue
				}
				if exc, ok := get(w, "error").(string); ok {
					_, msg, _ := strings.Cut(exc, ": ")
					if len(got) != 0 || err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(msg)) {
						t.Errorf("%s: %d samples, error %v; Ceilometer raised %s", ep.Name(), len(got), err, exc)
					}
					continue
				}
				warnings := get(w, "warnings").(int64)
				skipped := 0
				var je interface{ Unwrap() []error }
				if errors.As(err, &je) {
					skipped = len(je.Unwrap())
				} else if err != nil {
					skipped = -1
				}
				if int64(skipped) != warnings {
					t.Errorf("%s: error %v (%d skipped), Ceilometer warned %d times", ep.Name(), err, skipped, warnings)
				}
				exp := get(w, "samples").([]pyjson.Value)
				if len(got) != len(exp) {
					t.Errorf("%s: %d samples, Ceilometer %d", ep.Name(), len(got), len(exp))
					continue
				}
				for i := range exp {
					g, x := sampleDict(&got[i], false), expectedDict(exp[i], false)
					gb, _ := pyjson.Marshal(g)
					xb, _ := pyjson.Marshal(x)
					if !bytes.Equal(gb, xb) {
						t.Errorf("%s sample %d:\n got  %s\n want %s", ep.Name(), i, gb, xb)
					}
				}
			}
		})
	}
}

func TestEndpointsOrder(t *testing.T) {
	var names []string
	for _, ep := range meter.Endpoints(meter.DefaultSettings()) {
		names = append(names, ep.Name())
	}
	want := "telemetry_ipc hardware.ipmi.current hardware.ipmi.fan hardware.ipmi.temperature hardware.ipmi.voltage http.request http.response"
	if strings.Join(names, " ") != want {
		t.Errorf("Endpoints: %v, want %s", names, want)
	}
}

// BenchmarkEndpoints runs every coded endpoint on an ipmi notification with
// six sensors and on an http.request one.
func BenchmarkEndpoints(b *testing.B) {
	data, err := os.ReadFile("testdata/endpoint_cases.json")
	if err != nil {
		b.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	var ns []*plugins.Notification
	for _, c := range v.([]pyjson.Value) {
		if name := get(c.(*pyjson.Object), "name"); name == "ipmi-full" || name == "http-request" {
			ns = append(ns, plugins.NewNotification(get(c.(*pyjson.Object), "body").(*pyjson.Object)))
		}
	}
	endpoints := meter.Endpoints(meter.DefaultSettings())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range ns {
			for _, ep := range endpoints {
				if _, err := ep.Process(ctx, n); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
