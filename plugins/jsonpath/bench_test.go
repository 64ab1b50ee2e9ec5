package jsonpath

import (
	"testing"

	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// benchNotification is a realistic compute.metrics.update notification.
const benchNotification = `{"event_type": "compute.metrics.update", "publisher_id": "compute.host-2",
 "priority": "INFO", "message_id": "2b3c1f3e-0d9a-4a77-9a0e-3b9d4b8f2c11",
 "timestamp": "2026-11-25 06:00:00.123456",
 "ctxt": {"user_id": "u-1", "project_id": "p-1", "request_id": "req-1"},
 "payload": {"host": "host-2", "nodename": "node-2", "tenant_id": "t-1", "memory_mb": 2048,
  "instance_id": "9f1e6c1a-2b1d-4c57-8f7e-0c1d2e3f4a5b",
  "image_meta": {"base_image_ref": "img-1", "org.openstack__1__architecture": "x86_64"},
  "metrics": [
   {"name": "cpu.frequency", "value": 1600, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.user.time", "value": 17421440000000, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.kernel.time", "value": 7852600000000, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.idle.time", "value": 1307374400000000, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.iowait.time", "value": 11697470000000, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.kernel.percent", "value": 0.005, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.idle.percent", "value": 0.98, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.user.percent", "value": 0.01, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.iowait.percent", "value": 0, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"},
   {"name": "cpu.percent", "value": 0.02, "source": "libvirt.LibvirtDriver", "timestamp": "2026-11-25T06:00:00.000000"}]}}`

var benchExprs = []struct{ name, expr string }{
	{"field", "$.payload.memory_mb"},
	{"field_no_root", "payload.instance_id"},
	{"quoted", "payload.image_meta.'org.openstack__1__architecture'"},
	{"union", "(payload.tenant_id)|(ctxt.project_id)"},
	{"filter", "$.payload.metrics[?(@.name='cpu.frequency')].value"},
	{"filter_mul", "$.payload.metrics[?(@.name='cpu.percent')].value * 100"},
	{"concat", `$.payload.host + "_" + $.payload.nodename`},
	{"wildcard", "$.payload.metrics.[*].name"},
	{"split", "publisher_id.`split(., 1, 1)`"},
}

func BenchmarkCompile(b *testing.B) {
	for _, be := range benchExprs {
		b.Run(be.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(be.expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFind(b *testing.B) {
	doc, err := pyjson.Decode([]byte(benchNotification))
	if err != nil {
		b.Fatal(err)
	}
	for _, be := range benchExprs {
		p, err := Compile(be.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(be.name, func(b *testing.B) {
			b.ReportAllocs()
			dst := make([]pyjson.Value, 0, 16)
			for b.Loop() {
				dst = p.AppendFind(dst[:0], doc)
				if len(dst) == 0 {
					b.Fatal("no match")
				}
			}
		})
	}
}
