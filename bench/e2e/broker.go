package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// rabbitmqctl runs rabbitmqctl -q args, bounded by 60 s.
func rabbitmqctl(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	path := "rabbitmqctl"
	if _, err := exec.LookPath(path); err != nil {
		path = "/usr/sbin/rabbitmqctl"
	}
	out, err := exec.CommandContext(ctx, path, append([]string{"-q"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("rabbitmqctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// vhost is a fresh virtual host on the local broker.
type vhost struct {
	name string
	addr string // host:port
	user string
	pass string
}

func (v *vhost) amqpURL() string {
	return "amqp://" + url.UserPassword(v.user, v.pass).String() + "@" + v.addr + "/" + url.PathEscape(v.name)
}

// transportURL is the oslo.messaging URL of the vhost.
func (v *vhost) transportURL() string {
	return "rabbit://" + url.UserPassword(v.user, v.pass).String() + "@" + v.addr + "/" + url.PathEscape(v.name)
}

// createVHost makes bench-<random> with full permissions for user.
func createVHost(ctx context.Context, addr, user, pass string) (*vhost, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("RabbitMQ is not reachable on %s (run scripts/rabbitmq.sh): %w", addr, err)
	}
	c.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	v := &vhost{name: "bench-" + hex.EncodeToString(b[:]), addr: addr, user: user, pass: pass}
	if err := rabbitmqctl(ctx, "add_vhost", v.name); err != nil {
		return nil, err
	}
	if err := rabbitmqctl(ctx, "set_permissions", "-p", v.name, user, ".*", ".*", ".*"); err != nil {
		v.delete()
		return nil, err
	}
	return v, nil
}

// delete removes the vhost (and everything in it); it ignores the caller's
// context so that it still runs after an interrupt.
func (v *vhost) delete() error {
	return rabbitmqctl(context.Background(), "delete_vhost", v.name)
}

func dial(ctx context.Context, u string) (*amqp.Connection, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return amqp.DialConfig(u, amqp.Config{
		Heartbeat: 10 * time.Second,
		Dial: func(network, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
}

// queueDepth returns the ready messages of queue q (-1 when it does not exist).
func queueDepth(conn *amqp.Connection, q string) (int, error) {
	ch, err := conn.Channel()
	if err != nil {
		return 0, err
	}
	defer ch.Close()
	st, err := ch.QueueDeclarePassive(q, false, false, false, false, nil)
	if err != nil {
		if e, ok := err.(*amqp.Error); ok && e.Code == amqp.NotFound {
			return -1, nil
		}
		return 0, err
	}
	return st.Messages, nil
}

// resetQueues deletes the queues (missing ones are fine), so that every run
// starts from an empty broker state.
func resetQueues(conn *amqp.Connection, qs []string) error {
	for _, q := range qs {
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		_, err = ch.QueueDelete(q, false, false, false)
		ch.Close()
		if err != nil {
			if e, ok := err.(*amqp.Error); ok && e.Code == amqp.NotFound {
				continue
			}
			return fmt.Errorf("delete queue %s: %w", q, err)
		}
	}
	return nil
}
