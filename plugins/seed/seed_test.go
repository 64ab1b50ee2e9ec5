package seed

import (
	"context"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
	"github.com/openstack-go/agent-notification/plugins"
)

func notification(t *testing.T, raw string) *plugins.Notification {
	t.Helper()
	v, err := pyjson.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return plugins.NewNotification(v.(*pyjson.Object))
}

func byName(t *testing.T, name string) *Plugin {
	t.Helper()
	for _, p := range Plugins(Settings{NewID: func() string { return "id" }, ReservedNamespace: []string{"metering."}, ReservedLength: 5}) {
		if p.Name() == name {
			return p
		}
	}
	t.Fatalf("no plugin %s", name)
	return nil
}

func render(samples []pipeline.Sample) []string {
	var out []string
	for i := range samples {
		s := &samples[i]
		out = append(out, strings.Join([]string{s.Name, s.Type, pyjson.Str(s.Unit), pyjson.Str(s.Volume), pyjson.Str(s.UserID),
			pyjson.Str(s.ProjectID), pyjson.Str(s.ResourceID), pyjson.Str(s.Timestamp), pyjson.Repr(s.ResourceMetadata)}, " | "))
	}
	return out
}

func TestFactoriesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Factories() {
		p := f(Settings{})
		if seen[p.Name()] {
			t.Errorf("duplicate plugin %s", p.Name())
		}
		seen[p.Name()] = true
		if !p.NonMetric() {
			t.Errorf("%s: every seed plugin is an existence meter", p.Name())
		}
	}
	if len(seen) != 18 {
		t.Errorf("%d plugins, want mitaka's 18", len(seen))
	}
}

// Expected outputs are derived from mitaka's code (ceilometer/network/
// notifications.py, compute/notifications/instance.py, sample.py): one gauge
// of volume 1 per resource, plus a delta named after the event's verb; metadata
// is the resource (or payload) plus event_type and host; the timestamp as sent.
func TestPlugins(t *testing.T) {
	cases := []struct {
		name, plugin, notification string
		want                       []string
		err                        string
	}{
		{
			name: "network create", plugin: "network",
			notification: `{"message_id": "m", "publisher_id": "network.n1", "event_type": "network.create.end", "priority": "INFO", "timestamp": "2026-11-25 10:00:00.5", "_context_user_id": "u", "_context_tenant_id": "p",
				"payload": {"network": {"id": "net1", "name": "private", "status": "ACTIVE"}}}`,
			want: []string{
				"network | gauge | network | 1 | u | p | net1 | 2026-11-25 10:00:00.5 | {'id': 'net1', 'name': 'private', 'status': 'ACTIVE', 'event_type': 'network.create.end', 'host': 'network.n1'}",
				"network.create | delta | network | 1 | u | p | net1 | 2026-11-25 10:00:00.5 | {'id': 'net1', 'name': 'private', 'status': 'ACTIVE', 'event_type': 'network.create.end', 'host': 'network.n1'}",
			},
		},
		{
			name: "floating ips exist (list form)", plugin: "floatingip",
			notification: `{"publisher_id": "network.n1", "event_type": "floatingip.exists", "priority": "INFO", "timestamp": "t", "_context_user_id": "u", "_context_tenant_id": "p",
				"payload": {"floatingips": [{"id": "f1"}, {"id": "f2"}]}}`,
			want: []string{
				"ip.floating | gauge | ip | 1 | u | p | f1 | t | {'id': 'f1', 'event_type': 'floatingip.exists', 'host': 'network.n1'}",
				"ip.floating | gauge | ip | 1 | u | p | f2 | t | {'id': 'f2', 'event_type': 'floatingip.exists', 'host': 'network.n1'}",
			},
		},
		{
			name: "port update.start takes the id from the payload", plugin: "port",
			notification: `{"publisher_id": "n", "event_type": "port.update.start", "priority": "INFO", "timestamp": "t", "_context_user_id": "u", "_context_tenant_id": "p",
				"payload": {"id": "port1", "port": {"admin_state_up": true}}}`,
			want: []string{
				"port | gauge | port | 1 | u | p | port1 | t | {'admin_state_up': True, 'id': 'port1', 'event_type': 'port.update.start', 'host': 'n'}",
				"port.update | delta | port | 1 | u | p | port1 | t | {'admin_state_up': True, 'id': 'port1', 'event_type': 'port.update.start', 'host': 'n'}",
			},
		},
		{
			name: "lbaas pool", plugin: "network.services.lb.pool",
			notification: `{"publisher_id": "n", "event_type": "pool.create.end", "priority": "INFO", "timestamp": "t", "_context_user_id": "u", "_context_tenant_id": "p", "payload": {"pool": {"id": "pl"}}}`,
			want: []string{
				"network.services.lb.pool | gauge | pool | 1 | u | p | pl | t | {'id': 'pl', 'event_type': 'pool.create.end', 'host': 'n'}",
				"network.services.lb.pool.create | delta | pool | 1 | u | p | pl | t | {'id': 'pl', 'event_type': 'pool.create.end', 'host': 'n'}",
			},
		},
		{
			name: "delete events are ignored", plugin: "router",
			notification: `{"publisher_id": "n", "event_type": "router.delete.end", "priority": "INFO", "timestamp": "t", "payload": {"router_id": "r"}}`,
		},
		{
			name: "error priority is ignored", plugin: "router",
			notification: `{"publisher_id": "n", "event_type": "router.create.end", "priority": "ERROR", "timestamp": "t", "payload": {"router": {"id": "r"}}}`,
		},
		{
			name: "missing context user", plugin: "subnet",
			notification: `{"publisher_id": "n", "event_type": "subnet.create.end", "priority": "INFO", "timestamp": "t", "payload": {"subnet": {"id": "s"}}}`,
			err:          "_context_user_id",
		},
		{
			name: "instance with reserved user metadata", plugin: "instance",
			notification: `{"publisher_id": "compute.c1", "event_type": "compute.instance.exists", "priority": "INFO", "timestamp": "t",
				"payload": {"user_id": "u", "tenant_id": "p", "instance_id": "i", "metadata": {"metering.stack": "long-stack-name", "other": "x"}, "memory_mb": 512}}`,
			want: []string{
				"instance | gauge | instance | 1 | u | p | i | t | {'user_id': 'u', 'tenant_id': 'p', 'instance_id': 'i', 'memory_mb': 512, 'user_metadata': {'stack': 'long-'}, 'event_type': 'compute.instance.exists', 'host': 'compute.c1'}",
			},
		},
		{
			name: "instance scheduled", plugin: "instance_scheduled",
			notification: `{"publisher_id": "scheduler.s1", "event_type": "scheduler.run_instance.scheduled", "priority": "INFO", "timestamp": "t",
				"payload": {"instance_id": "i", "request_spec": {"instance_properties": {"project_id": "p", "metadata": {}}}}}`,
			want: []string{
				"instance.scheduled | delta | instance | 1 | None | p | i | t | {'instance_id': 'i', 'request_spec': {'instance_properties': {'project_id': 'p'}}, 'event_type': 'scheduler.run_instance.scheduled', 'host': 'scheduler.s1'}",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := notification(t, tc.notification)
			before := pyjson.Repr(n.Body)
			got, err := byName(t, tc.plugin).Process(context.Background(), n)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := render(got); strings.Join(g, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(tc.want, "\n"))
			}
			if after := pyjson.Repr(n.Body); after != before {
				t.Errorf("the notification was modified")
			}
		})
	}
}
