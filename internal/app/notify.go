package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/internal/uuid"
	"github.com/openstack-go/agent-notification/launcher"
	"github.com/openstack-go/agent-notification/pipeline/publisher"
	"github.com/openstack-go/agent-notification/pipeline/pyjson"
)

const notifyUsage = `usage: %s notify [--count N] [--file FILE] [--url URL] [--config-file PATH]...

Sends notifications to the broker exactly as an OpenStack service's
oslo.messaging notifier does: topic exchange (nova, cinder, glance, …), queue
notifications.<priority> declared and bound, routing key notifications.<priority>,
oslo 2.0 envelope, JSON, persistent, with publisher confirms.

  --file FILE   send the notifications of FILE, one JSON object per line: either
                a notification dict or {"exchange": "nova", "notification": {…}}
                (default: a built-in set — a nova instance, a cinder volume and a
                glance image notification)
  --count N     send the set N times with fresh ids and timestamps (default 1)
  --url URL     broker URL (default: the configuration's transport_url)
`

// notify sends test notifications the oslo way.
func notify(argv []string, stdout, stderr io.Writer) int {
	count, file, url := 1, "", ""
	var rest []string
	for i := 0; i < len(argv); i++ {
		flag, val, has := strings.Cut(argv[i], "=")
		take := func() (string, bool) {
			if has {
				return val, true
			}
			if i+1 < len(argv) {
				i++
				return argv[i], true
			}
			return "", false
		}
		switch flag {
		case "--count", "--file", "--url":
			v, ok := take()
			if !ok {
				fmt.Fprintf(stderr, "%s notify: %s needs a value\n", Prog, flag)
				return ExitUsage
			}
			switch flag {
			case "--count":
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					fmt.Fprintf(stderr, "%s notify: --count: want a positive integer, got %q\n", Prog, v)
					return ExitUsage
				}
				count = n
			case "--file":
				file = v
			case "--url":
				url = v
			}
		case "-h", "--help":
			fmt.Fprintf(stdout, notifyUsage, Prog)
			return launcher.ExitOK
		default:
			rest = append(rest, argv[i])
		}
	}
	a, code, ok := parseCommon(rest, stdout, stderr, "")
	if !ok {
		return code
	}
	cfg, err := conf.Load(Prog, a, conf.NewBundle(nil))
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return launcher.ExitFatalConfig
	}
	if url == "" {
		url = cfg.URLs()[0]
	}
	var set []sendable
	if file != "" {
		if set, err = readNotifications(file); err != nil {
			fmt.Fprintf(stderr, "%s notify: %v\n", Prog, err)
			return ExitUsage
		}
	} else {
		set = builtinNotifications()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n, err := sendNotifications(ctx, cfg, url, set, count)
	if err != nil {
		fmt.Fprintf(stderr, "%s notify: %v\n", Prog, err)
		return launcher.ExitFailure
	}
	fmt.Fprintf(stdout, "sent %d notifications to %s\n", n, conf.MaskURL(url))
	return launcher.ExitOK
}

type sendable struct {
	exchange string
	msg      *pyjson.Object
}

func readNotifications(path string) ([]sendable, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []sendable
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		v, err := pyjson.Decode(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			return nil, fmt.Errorf("%s:%d: not a JSON object", path, line)
		}
		s := sendable{exchange: "nova", msg: o}
		if inner, ok := o.Get("notification"); ok {
			if io, ok := inner.(*pyjson.Object); ok {
				s.msg = io
				if ex, ok := o.Get("exchange"); ok {
					s.exchange, _ = ex.(string)
				}
			}
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// builtinNotifications returns a small realistic set: what nova, cinder and
// glance send when an instance, a volume and an image exist.
func builtinNotifications() []sendable {
	const project, user = "6f70656e737461636b20697320636f6f", "c0ffee0c0ffee0c0ffee0c0ffee0c0ff"
	ctx := func(o *pyjson.Object) *pyjson.Object {
		o.Set("_context_request_id", "req-"+uuid.New())
		o.Set("_context_user_id", user)
		o.Set("_context_project_id", project)
		o.Set("_context_tenant", project)
		o.Set("_context_user", user)
		return o
	}
	obj := func(kv ...any) *pyjson.Object {
		o := &pyjson.Object{}
		for i := 0; i+1 < len(kv); i += 2 {
			o.Set(kv[i].(string), kv[i+1])
		}
		return o
	}
	instance := obj(
		"tenant_id", project, "user_id", user, "instance_id", "9f3c5f3e-6d46-4b38-9bb3-0b0d64e2a3a1",
		"display_name", "demo-vm", "host", "compute-1", "instance_type", "m1.small", "instance_type_id", "2",
		"memory_mb", int64(2048), "disk_gb", int64(20), "root_gb", int64(20), "ephemeral_gb", int64(0), "vcpus", int64(1),
		"state", "active", "image_ref_url", "http://glance/images/ab12", "launched_at", "2026-11-25T09:00:00.000000",
		"audit_period_beginning", "2026-11-25T09:00:00.000000", "audit_period_ending", "2026-11-25T10:00:00.000000",
		"flavor", obj("name", "m1.small", "flavorid", "2", "memory_mb", int64(2048), "vcpus", int64(1), "root_gb", int64(20), "ephemeral_gb", int64(0)),
	)
	volume := obj(
		"tenant_id", project, "user_id", user, "volume_id", "5b8a1e53-8f1f-4c3b-9c86-2c0c1a7a9d10", "display_name", "demo-vol",
		"size", int64(10), "status", "available", "volume_type", "lvmdriver-1", "availability_zone", "nova",
		"created_at", "2026-11-25T08:00:00+00:00", "host", "cinder@lvm#lvm",
	)
	image := obj(
		"id", "ab12cd34-5678-90ef-1234-567890abcdef", "name", "cirros", "owner", project, "size", int64(16338944),
		"status", "active", "disk_format", "qcow2", "container_format", "bare", "created_at", "2026-11-25T07:00:00Z",
	)
	msg := func(publisher, eventType string, payload *pyjson.Object) *pyjson.Object {
		return ctx(obj("message_id", "", "publisher_id", publisher, "event_type", eventType, "priority", "INFO", "payload", payload, "timestamp", ""))
	}
	return []sendable{
		{"nova", msg("nova.compute-1", "compute.instance.exists", instance)},
		{"cinder", msg("volume.cinder-1", "volume.exists", volume)},
		{"glance", msg("image.glance-1", "image.upload", image)},
	}
}

// sendNotifications publishes set count times, oslo-style, and returns how many
// were confirmed.
func sendNotifications(ctx context.Context, cfg *conf.Config, url string, set []sendable, count int) (int, error) {
	eps, err := rabbit.ParseTransportURL(url)
	if err != nil {
		return 0, err
	}
	rs, err := rabbit.SettingsFromConfig(cfg)
	if err != nil {
		return 0, err
	}
	rs.ConnectionName = Prog + " notify"
	conn, _, err := rabbit.Dial(ctx, eps, 0, rs)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return 0, err
	}
	if err := ch.Confirm(false); err != nil {
		return 0, err
	}
	qargs, err := rabbit.QueueArgs(cfg.Rabbit)
	if err != nil {
		return 0, err
	}
	topic := "notifications"
	if len(cfg.Notifications.Topics) > 0 {
		topic = cfg.Notifications.Topics[0]
	}
	sender := &rabbit.Sender{Ch: ch, Topic: topic, Durable: rabbit.Durable(cfg.Rabbit), AutoDelete: cfg.Rabbit.AutoDelete, QueueArgs: qargs}
	sent := 0
	var pending []*amqp.DeferredConfirmation
	for round := 0; round < count; round++ {
		for _, s := range set {
			m := &pyjson.Object{Members: append([]pyjson.Member(nil), s.msg.Members...)}
			if v, _ := m.Get("message_id"); v == nil || v == "" || count > 1 {
				m.Set("message_id", uuid.New())
			}
			if v, _ := m.Get("timestamp"); v == nil || v == "" {
				m.Set("timestamp", publisher.PythonTime(time.Now()))
			}
			if _, ok := m.Get("_unique_id"); !ok || count > 1 {
				m.Set("_unique_id", uuid.NewHex())
			}
			dc, err := sender.Send(ctx, s.exchange, m)
			if err != nil {
				return sent, err
			}
			pending = append(pending, dc)
			if len(pending) >= 256 {
				n, err := rabbit.WaitConfirms(ctx, pending)
				sent += n
				if err != nil {
					return sent, err
				}
				pending = pending[:0]
			}
		}
	}
	n, err := rabbit.WaitConfirms(ctx, pending)
	return sent + n, err
}
