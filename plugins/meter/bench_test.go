package meter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

func loadBench(tb testing.TB) *Engine {
	tb.Helper()
	data, err := os.ReadFile("testdata/ceilometer-19/meters.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	e, _, err := Load([]File{{Path: "meters.yaml", Data: data}}, DefaultSettings())
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func benchNotification(tb testing.TB, name string) *plugins.Notification {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/cases", name, "notification.json"))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		tb.Fatal(err)
	}
	body := v.(*pyjson.Object)
	s := func(k string) string { v, _ := body.Get(k); x, _ := v.(string); return x }
	n := &plugins.Notification{Body: body, Priority: strings.ToLower(s("priority")), EventType: s("event_type"),
		PublisherID: s("publisher_id"), MessageID: s("message_id"), Timestamp: s("timestamp")}
	n.Payload, _ = body.Get("payload")
	return n
}

// BenchmarkMatch measures finding the definitions of an event type among
// Ceilometer 19's 38: cached (the steady state) and uncached (the first
// notification of a type: every pattern, the look-ahead one included).
func BenchmarkMatch(b *testing.B) {
	e := loadBench(b)
	for _, et := range []string{"compute.instance.exists", "compute.instance.update", "image.upload", "unknown.event.type"} {
		b.Run("cached/"+et, func(b *testing.B) {
			b.ReportAllocs()
			e.match(et)
			for b.Loop() {
				if len(e.match(et)) < 0 {
					b.Fatal()
				}
			}
		})
		b.Run("uncached/"+et, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				for _, d := range e.defs {
					if d.matches(et) {
						n++
					}
				}
				if n < 0 {
					b.Fatal()
				}
			}
		})
	}
}

// BenchmarkProcess runs realistic notifications through the full Ceilometer
// 19 definition set: a nova compute.instance.exists (four samples with
// metadata and user_metadata), a compute.metrics.update (ten filtered
// JSONPaths, payload timestamps, arithmetic) and a glance image.upload (the
// payload copied as metadata).
func BenchmarkProcess(b *testing.B) {
	e := loadBench(b)
	ctx := context.Background()
	for _, c := range []string{"nova-instance-exists", "compute-metrics", "payload-as-metadata"} {
		n := benchNotification(b, c)
		b.Run(c, func(b *testing.B) {
			b.ReportAllocs()
			samples := 0
			cpu0 := processCPU()
			for b.Loop() {
				out, err := e.Process(ctx, n)
				if err != nil {
					b.Fatal(err)
				}
				samples = len(out)
			}
			b.ReportMetric(float64(samples), "samples/op")
			// CPU time (user+system, all threads: GC included) per op: a
			// figure that stays meaningful on a loaded machine.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU returns the process's CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// FuzzLoad: definition files must never panic the loader, and whatever
// loads must process a notification without panicking.
func FuzzLoad(f *testing.F) {
	paths, _ := filepath.Glob("testdata/load/*.yaml")
	paths = append(paths, "testdata/ceilometer-19/meters.yaml", "testdata/ceilometer-mitaka/meters.yaml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("metric:\n- {name: a, event_type: '(?!x)', type: gauge, unit: u, volume: $.x, resource_id: $.y, lookup: name}\n"))
	f.Add([]byte("metric: &a [*a]\n"))
	f.Add([]byte("metric:\n- name: &n [*n, *n]\n  volume: &v [*v, *v, *v]\n"))
	f.Add([]byte("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nmetric:\n- {name: *c, event_type: *c, type: gauge, unit: *c, volume: *c, resource_id: x, metadata: {a: *c}}\n"))
	n := benchNotification(f, "custom-definitions")
	ex := benchNotification(f, "nova-instance-exists")
	f.Fuzz(func(t *testing.T, data []byte) {
		files := []File{{Path: "fuzz.yaml", Data: data}}
		e, _, err := Load(files, DefaultSettings())
		verr := Validate(files, DefaultSettings())
		if err != nil && verr == nil {
			t.Fatalf("Load failed (%v) but Validate did not", err)
		}
		if err != nil {
			return
		}
		for _, d := range e.defs {
			for _, et := range []string{n.EventType, ex.EventType, "", "a.b"} {
				d.matches(et)
			}
		}
		_, _ = e.Process(context.Background(), n)
		_, _ = e.Process(context.Background(), ex)
	})
}

// BenchmarkLoad compiles Ceilometer 19's meters.yaml.
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile("testdata/ceilometer-19/meters.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Load([]File{{Path: "meters.yaml", Data: data}}, DefaultSettings()); err != nil {
			b.Fatal(err)
		}
	}
}
