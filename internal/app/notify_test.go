package app

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

// TestNotify sends the built-in set and a file the oslo way and reads them back
// from the queues an OpenStack service's notifier declares.
func TestNotify(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	u, _ := url.Parse(amqpURL)
	u.Scheme = "rabbit"
	dir := t.TempDir()
	confPath := filepath.Join(dir, "c.conf")
	_ = os.WriteFile(confPath, []byte("[DEFAULT]\ntransport_url = "+u.String()+"\n"), 0o644)
	file := filepath.Join(dir, "n.jsonl")
	_ = os.WriteFile(file, []byte(`{"exchange": "cinder", "notification": {"event_type": "volume.exists", "priority": "ERROR", "payload": {"size": 1}, "publisher_id": "volume.h"}}`+"\n"), 0o644)

	var out, errOut strings.Builder
	if code := Main([]string{Prog, "notify", "--config-file", confPath, "--count", "2"}, &out, &errOut, "t"); code != 0 {
		t.Fatalf("notify: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "sent 6 notifications") || strings.Contains(out.String(), "guest:guest") {
		t.Errorf("output: %s", out.String())
	}
	if code := Main([]string{Prog, "notify", "--config-file", confPath, "--file", file}, &out, &errOut, "t"); code != 0 {
		t.Fatalf("notify --file: %d %s", code, errOut.String())
	}
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	got := map[string]int{}
	ids := map[string]bool{}
	for _, q := range []string{"notifications.info", "notifications.error"} {
		for {
			d, ok, err := ch.Get(q, true)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if d.ContentType != "application/json" || d.DeliveryMode != amqp.Persistent {
				t.Errorf("properties %q %d", d.ContentType, d.DeliveryMode)
			}
			env, err := pyjson.Decode(d.Body)
			if err != nil {
				t.Fatal(err)
			}
			inner, _ := env.(*pyjson.Object).Get("oslo.message")
			m, err := pyjson.Decode([]byte(inner.(string)))
			if err != nil {
				t.Fatal(err)
			}
			mo := m.(*pyjson.Object)
			et, _ := mo.Get("event_type")
			id, _ := mo.Get("message_id")
			ids[fmt.Sprint(id)] = true
			got[d.Exchange+" "+q+" "+fmt.Sprint(et)]++
		}
	}
	want := map[string]int{
		"nova notifications.info compute.instance.exists": 2,
		"cinder notifications.info volume.exists":         2,
		"glance notifications.info image.upload":          2,
		"cinder notifications.error volume.exists":        1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if len(ids) != 7 {
		t.Errorf("%d distinct message ids, want 7", len(ids))
	}
}
