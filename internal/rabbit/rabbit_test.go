package rabbit

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbittest"
)

func TestParseTransportURL(t *testing.T) {
	cases := []struct {
		in   string
		want []Endpoint
	}{
		{"rabbit://", []Endpoint{{Host: "localhost", Port: 5672, User: "guest", Password: "guest", VHost: "/"}}},
		{"rabbit://u:p@h1:5673/vh", []Endpoint{{Host: "h1", Port: 5673, User: "u", Password: "p", VHost: "vh"}}},
		{"rabbit://u:p@h1:5672,u2:p%40ss@h2:5673//", []Endpoint{
			{Host: "h1", Port: 5672, User: "u", Password: "p", VHost: "/"},
			{Host: "h2", Port: 5673, User: "u2", Password: "p@ss", VHost: "/"}}},
		{"amqps://u:p@h", []Endpoint{{Host: "h", Port: 5671, User: "u", Password: "p", VHost: "/", TLS: true}}},
		{"rabbit://u:p@h/v%2Fx?ssl=1", []Endpoint{{Host: "h", Port: 5671, User: "u", Password: "p", VHost: "v/x", TLS: true}}},
		{"kombu://[::1]:5672/", []Endpoint{{Host: "::1", Port: 5672, User: "guest", Password: "guest", VHost: "/"}}},
	}
	for _, tc := range cases {
		got, err := ParseTransportURL(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %+v", tc.in, got)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: endpoint %d = %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
	for _, bad := range []string{"nothing", "kafka://h", "rabbit://u:secretpw@h:99999/"} {
		_, err := ParseTransportURL(bad)
		if err == nil {
			t.Errorf("%s: no error", bad)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
	if s := (Endpoint{Host: "h", Port: 1, User: "u", Password: "pw"}).String(); strings.Contains(s, "pw") {
		t.Errorf("Endpoint.String leaks the password: %s", s)
	}
}

func TestQueueArgsAndBackoff(t *testing.T) {
	args, err := QueueArgs(conf.RabbitConfig{QuorumQueue: true, QuorumDeliveryLimit: 5})
	if err != nil || args["x-queue-type"] != "quorum" || args["x-delivery-limit"] != int32(5) {
		t.Errorf("quorum args = %v, %v", args, err)
	}
	if args, _ := QueueArgs(conf.RabbitConfig{}); args != nil {
		t.Errorf("default args = %v, want none (as oslo)", args)
	}
	if _, err := QueueArgs(conf.RabbitConfig{QuorumQueue: true, HAQueues: true}); err == nil {
		t.Error("quorum + HA accepted")
	}
	r := conf.RabbitConfig{RetryInterval: time.Second, RetryBackoff: 2 * time.Second, IntervalMax: 30 * time.Second}
	for n, want := range map[int]time.Duration{0: time.Second, 1: 3 * time.Second, 2: 5 * time.Second, 100: 30 * time.Second} {
		if got := Backoff(r, n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestDialFailsOver gives a multi-host URL whose first host refuses
// connections: Dial must use the second.
func TestDialFailsOver(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	u, _ := url.Parse(amqpURL)
	vhost := strings.TrimPrefix(u.Path, "/")
	eps, err := ParseTransportURL("rabbit://guest:guest@127.0.0.1:1,guest:guest@" + rabbittest.Addr() + "/" + vhost)
	if err != nil {
		t.Fatal(err)
	}
	conn, idx, err := Dial(context.Background(), eps, 0, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if idx != 1 {
		t.Errorf("connected to endpoint %d", idx)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare("x", amqp.ExchangeTopic, false, false, false, false, nil); err != nil {
		t.Fatalf("not in the test vhost: %v", err)
	}
}

// PaceReads paces the socket of a connection made by Dial at the pace it was
// dialled with, and forgets the socket once the connection is closed.
func TestPaceReadsFindsTheSocket(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	eps, err := ParseTransportURL(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := Dial(context.Background(), eps, 0, Settings{ReadPace: 3 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := sockets.Load(conn)
	if !ok {
		t.Fatal("the connection's socket is not registered")
	}
	if got := v.(*coalescingConn).pace.Load(); got != 0 {
		t.Errorf("paced at %v during the set-up", time.Duration(got))
	}
	PaceReads(conn)
	if got := time.Duration(v.(*coalescingConn).pace.Load()); got != 3*time.Millisecond {
		t.Errorf("pace %v, want the dialled 3ms", got)
	}
	// Synchronous calls still work on a paced connection.
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare("paced", amqp.ExchangeTopic, false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := sockets.Load(conn); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("closed connection still registered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Workers share the stream: the pace grows with them (2 ms each, at most 4),
// and the settings derived from the configuration carry it.
func TestReadPaceFollowsWorkers(t *testing.T) {
	for workers, want := range map[int]time.Duration{0: 2 * time.Millisecond, 1: 2 * time.Millisecond, 2: 4 * time.Millisecond, 3: 4 * time.Millisecond, 16: 4 * time.Millisecond} {
		if got := ReadPaceFor(workers); got != want {
			t.Errorf("ReadPaceFor(%d) = %v, want %v", workers, got, want)
		}
		s, err := SettingsFromConfig(&conf.Config{Notification: conf.NotificationConfig{Workers: workers}})
		if err != nil {
			t.Fatal(err)
		}
		if s.ReadPace != want {
			t.Errorf("workers = %d: settings pace %v, want %v", workers, s.ReadPace, want)
		}
	}
}

// A peer that accepts TCP but never completes the TLS handshake does not
// hold DialWire: the handshake is bounded and the next endpoint is tried.
func TestDialWireBoundsTheHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent until the test ends
		}
	}()
	old := handshakeTimeout
	handshakeTimeout = 300 * time.Millisecond
	defer func() { handshakeTimeout = old }()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	eps := []Endpoint{{Host: host, Port: p, User: "guest", Password: "guest", VHost: "/", TLS: true}, {Host: host, Port: p, User: "guest", Password: "guest", VHost: "/"}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // unbounded, it would end here
	defer cancel()
	start := time.Now()
	_, _, err = DialWire(ctx, eps, 0, Settings{})
	if err == nil {
		t.Fatal("DialWire succeeded against a silent peer")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("DialWire took %v against silent peers (handshake bound %v each)", d, handshakeTimeout)
	}
	if !strings.Contains(err.Error(), "amqps://") || !strings.Contains(err.Error(), "amqp://") {
		t.Errorf("both endpoints must be tried and named: %v", err)
	}
}
