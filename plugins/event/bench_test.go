package event

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

// benchNotification returns a realistic compute.instance.create.end: the
// first one of the compatibility corpus, else the golden case.
func benchNotification(b *testing.B) *plugins.Notification {
	b.Helper()
	if f, err := os.Open(filepath.Join(compatDir, "notifications.jsonl")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			if !bytes.Contains(sc.Bytes(), []byte(`"event_type": "compute.instance.create.end", "priority": "INFO"`)) {
				continue
			}
			v, err := pyjson.Decode(sc.Bytes())
			if err != nil {
				b.Fatal(err)
			}
			n, _ := v.(*pyjson.Object).Get("notification")
			return notificationFrom(n.(*pyjson.Object))
		}
	}
	data, err := os.ReadFile("testdata/instance_create_end/notification.json")
	if err != nil {
		b.Fatal(err)
	}
	v, err := pyjson.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	return notificationFrom(v.(*pyjson.Object))
}

// BenchmarkConvert converts a compute.instance.create.end through Ceilometer
// 19's full event_definitions.yaml.
func BenchmarkConvert(b *testing.B) {
	c := loadFile(b, "testdata/ceilometer-19/event_definitions.yaml", Settings{})
	n := benchNotification(b)
	if ev, err := c.Convert(n); err != nil || ev == nil || len(ev.Traits) < 20 {
		b.Fatalf("unexpected conversion: %v %v", ev, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Convert(n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvertParallel is BenchmarkConvert from GOMAXPROCS goroutines.
func BenchmarkConvertParallel(b *testing.B) {
	c := loadFile(b, "testdata/ceilometer-19/event_definitions.yaml", Settings{})
	n := benchNotification(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Convert(n); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLoad compiles Ceilometer 19's event_definitions.yaml.
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile("testdata/ceilometer-19/event_definitions.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Load("event_definitions.yaml", data, Settings{}); err != nil {
			b.Fatal(err)
		}
	}
}
