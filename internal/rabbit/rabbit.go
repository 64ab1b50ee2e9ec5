// Package rabbit holds the AMQP plumbing shared by the listener and the
// notifier:// publisher: oslo.messaging transport URLs, TLS from oslo's ssl
// options, dialing every host of a multi-host URL with failover, and the queue
// arguments oslo.messaging declares (so our declarations are argument-compatible
// with Ceilometer's and both can share a broker).
package rabbit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/rabbit/wire"
)

// Endpoint is one broker host of a transport URL.
type Endpoint struct {
	Host     string
	Port     int
	User     string
	Password string
	VHost    string
	TLS      bool
}

// String renders the endpoint without its password.
func (e Endpoint) String() string {
	scheme := "amqp"
	if e.TLS {
		scheme = "amqps"
	}
	return fmt.Sprintf("%s://%s@%s/%s", scheme, e.User, net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), e.VHost)
}

// uri renders the endpoint as an amqp091 URI.
func (e Endpoint) uri() string {
	scheme := "amqp"
	if e.TLS {
		scheme = "amqps"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(e.User, e.Password), Host: net.JoinHostPort(e.Host, strconv.Itoa(e.Port))}
	return u.String() + "/" + url.PathEscape(e.VHost)
}

// ParseTransportURL parses an oslo.messaging transport URL —
// driver://[user:pass@]host:port[,[userN:passN@]hostN:portN]/virtual_host?query
// — into its endpoints. Drivers rabbit, kombu, amqp and amqps are accepted
// (amqps and the query option ssl=1 mean TLS); a missing user or password is
// guest; a missing port 5672 (5671 with TLS); an empty virtual host is "/".
// Errors never quote the password.
func ParseTransportURL(raw string) ([]Endpoint, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("invalid transport URL %q: no scheme", conf.MaskURL(raw))
	}
	useTLS := false
	switch scheme {
	case "rabbit", "kombu", "amqp":
	case "amqps":
		useTLS = true
	default:
		return nil, fmt.Errorf("invalid transport URL %q: unsupported driver %q (want rabbit)", conf.MaskURL(raw), scheme)
	}
	netloc, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		netloc, tail = rest[:i], rest[i:]
	}
	path, query := tail, ""
	if i := strings.IndexByte(tail, '?'); i >= 0 {
		path, query = tail[:i], tail[i+1:]
	}
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query = query[:i]
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("invalid transport URL %q: query: %v", conf.MaskURL(raw), err)
	}
	if v := q.Get("ssl"); v == "1" || strings.EqualFold(v, "true") {
		useTLS = true
	}
	vhost := strings.TrimPrefix(path, "/")
	if vhost, err = url.PathUnescape(vhost); err != nil {
		return nil, fmt.Errorf("invalid transport URL %q: virtual host: %v", conf.MaskURL(raw), err)
	}
	if vhost == "" {
		vhost = "/"
	}
	var eps []Endpoint
	for _, hp := range strings.Split(netloc, ",") {
		ep := Endpoint{User: "guest", Password: "guest", VHost: vhost, TLS: useTLS, Port: 5672}
		if useTLS {
			ep.Port = 5671
		}
		if at := strings.LastIndexByte(hp, '@'); at >= 0 {
			user, pass, hasPass := strings.Cut(hp[:at], ":")
			if ep.User, err = url.PathUnescape(user); err != nil {
				return nil, fmt.Errorf("invalid transport URL %q: user name: %v", conf.MaskURL(raw), err)
			}
			if hasPass {
				if ep.Password, err = url.PathUnescape(pass); err != nil {
					return nil, fmt.Errorf("invalid transport URL %q: bad escape in password", conf.MaskURL(raw))
				}
			}
			hp = hp[at+1:]
		}
		if hp == "" {
			hp = "localhost"
		}
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			host = strings.Trim(hp, "[]")
		} else {
			p, err := strconv.Atoi(port)
			if err != nil || p <= 0 || p > 65535 {
				return nil, fmt.Errorf("invalid transport URL %q: bad port %q", conf.MaskURL(raw), port)
			}
			ep.Port = p
		}
		ep.Host = host
		eps = append(eps, ep)
	}
	return eps, nil
}

// Settings configure how connections are made.
type Settings struct {
	Heartbeat time.Duration // 0 = amqp091's default (10 s)
	TLS       *tls.Config   // used for TLS endpoints; nil = system roots
	// ForceTLS connects with TLS even to endpoints whose URL does not say so
	// ([oslo_messaging_rabbit] ssl = true).
	ForceTLS bool
	// ConnectionName is shown in the broker's management UI.
	ConnectionName string
	// ReadPace is the read pacing of the connection once PaceReads says it
	// streams: ReadPaceFor the number of workers (0: never paced).
	ReadPace time.Duration
}

// SettingsFromConfig derives connection settings from [oslo_messaging_rabbit].
func SettingsFromConfig(c *conf.Config) (Settings, error) {
	s := Settings{ConnectionName: "agent-notification@" + c.Host, ReadPace: ReadPaceFor(c.Notification.Workers)}
	if c.Rabbit.HeartbeatTimeout > 0 {
		// oslo checks heartbeat_rate times per threshold; AMQP negotiates an
		// interval after which the peer is considered dead at twice it.
		s.Heartbeat = c.Rabbit.HeartbeatTimeout / 2
	}
	s.ForceTLS = c.Rabbit.SSL
	if c.Rabbit.SSL || c.Rabbit.SSLCAFile != "" || c.Rabbit.SSLCertFile != "" {
		t, err := TLSConfig(c.Rabbit)
		if err != nil {
			return s, err
		}
		s.TLS = t
	}
	return s, nil
}

// TLSConfig builds a TLS configuration from oslo's ssl options: CA file,
// client certificate and key, and ssl_version as the minimum protocol version.
func TLSConfig(r conf.RabbitConfig) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	switch strings.ToLower(strings.ReplaceAll(r.SSLVersion, ".", "_")) {
	case "", "sslv23", "tls", "tlsv1_2":
	case "tlsv1", "tlsv1_0":
		t.MinVersion = tls.VersionTLS10
	case "tlsv1_1":
		t.MinVersion = tls.VersionTLS11
	case "tlsv1_3":
		t.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("[oslo_messaging_rabbit] ssl_version: unsupported value %q", r.SSLVersion)
	}
	if r.SSLCAFile != "" {
		pem, err := os.ReadFile(r.SSLCAFile)
		if err != nil {
			return nil, fmt.Errorf("[oslo_messaging_rabbit] ssl_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("[oslo_messaging_rabbit] ssl_ca_file: no certificate in %s", r.SSLCAFile)
		}
		t.RootCAs = pool
	}
	if r.SSLCertFile != "" || r.SSLKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(r.SSLCertFile, r.SSLKeyFile)
		if err != nil {
			return nil, fmt.Errorf("[oslo_messaging_rabbit] ssl_cert_file/ssl_key_file: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// Dial connects to the first endpoint that answers, starting at index start
// (round-robin failover: callers pass a counter). It returns the connection and
// the index of the endpoint used.
func Dial(ctx context.Context, eps []Endpoint, start int, s Settings) (*amqp.Connection, int, error) {
	return dialEach(ctx, eps, start, s, func(ep Endpoint) (*amqp.Connection, error) {
		var socket *coalescingConn
		props := amqp.NewConnectionProperties()
		if s.ConnectionName != "" {
			props.SetClientConnectionName(s.ConnectionName)
		}
		cfg := amqp.Config{
			Heartbeat:  s.Heartbeat,
			Locale:     "en_US",
			Properties: props,
			Dial: func(network, addr string) (net.Conn, error) {
				c, err := dialSocket(ctx, network, addr, s)
				socket = c
				return c, err
			},
		}
		if ep.TLS {
			cfg.TLSClientConfig = tlsFor(ep, s)
		}
		c, err := amqp.DialConfig(ep.uri(), cfg)
		if err != nil {
			return nil, err
		}
		track(c, socket, c.NotifyClose(make(chan *amqp.Error, 1)))
		return c, nil
	})
}

// DialWire is Dial with the client of package wire instead of amqp091, for
// the hot path — the listener's consuming connections and the notifier://
// publisher's: the same endpoints, failover, TLS, socket and pacing (see
// wire's documentation for why).
func DialWire(ctx context.Context, eps []Endpoint, start int, s Settings) (*wire.Conn, int, error) {
	return dialEach(ctx, eps, start, s, func(ep Endpoint) (*wire.Conn, error) {
		socket, err := dialSocket(ctx, "tcp", net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port)), s)
		if err != nil {
			return nil, err
		}
		// The TLS and AMQP handshakes together are bounded: a peer that
		// accepts TCP but never answers must not stop the failover.
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
		defer cancel()
		var nc net.Conn = socket
		if ep.TLS {
			tc := tls.Client(socket, tlsFor(ep, s))
			if err := tc.HandshakeContext(hctx); err != nil {
				_ = socket.Close()
				return nil, err
			}
			nc = tc
		}
		var props amqp.Table
		if s.ConnectionName != "" {
			props = amqp.Table{"connection_name": s.ConnectionName}
		}
		c, err := wire.Open(hctx, nc, wire.Config{User: ep.User, Password: ep.Password, VHost: ep.VHost, Heartbeat: s.Heartbeat, Properties: props})
		if err != nil {
			return nil, err
		}
		track(c, socket, c.Done())
		return c, nil
	})
}

// handshakeTimeout bounds the TLS and AMQP handshakes of DialWire (amqp091's
// own default for its handshake); a variable for the tests.
var handshakeTimeout = 30 * time.Second

// dialEach tries the endpoints in turn from index start with dial and
// returns the first connection made and its endpoint's index.
func dialEach[C any](ctx context.Context, eps []Endpoint, start int, s Settings, dial func(Endpoint) (C, error)) (C, int, error) {
	var zero C
	if len(eps) == 0 {
		return zero, 0, errors.New("no broker endpoint")
	}
	var errs []error
	for k := 0; k < len(eps); k++ {
		i := (start + k) % len(eps)
		ep := eps[i]
		if s.ForceTLS {
			ep.TLS = true
		}
		if err := ctx.Err(); err != nil {
			return zero, 0, err
		}
		c, err := dial(ep)
		if err == nil {
			return c, i, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", ep, err))
	}
	return zero, 0, errors.Join(errs...)
}

// dialSocket opens the TCP connection to a broker, wrapped in the coalescing
// socket (coalesce.go) that paces at s.ReadPace once PaceReads says so.
func dialSocket(ctx context.Context, network, addr string, s Settings) (*coalescingConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	socket := newCoalescingConn(c)
	socket.streamPace = s.ReadPace
	return socket, nil
}

// tlsFor returns the TLS configuration of a connection to ep.
func tlsFor(ep Endpoint, s Settings) *tls.Config {
	t := s.TLS
	if t == nil {
		t = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t = t.Clone()
	if t.ServerName == "" {
		t.ServerName = ep.Host
	}
	return t
}

// sockets maps each open connection made by Dial or DialWire to its
// socket, for PaceReads.
var sockets sync.Map // *amqp.Connection or *wire.Conn → *coalescingConn

// track registers the socket of connection c for PaceReads until closed
// yields.
func track[T any](c io.Closer, socket *coalescingConn, closed <-chan T) {
	sockets.Store(c, socket)
	go func() {
		<-closed
		sockets.Delete(c)
	}()
}

// ReadPaceFor returns the read pacing of a streaming connection (see
// PaceReads) in an agent of the given number of workers: 2 ms per worker, at
// most 4 ms. The workers share the notification stream, so each one's
// connections see 1/workers of it; pacing in proportion keeps what one
// wake-up takes the same.
func ReadPaceFor(workers int) time.Duration {
	return time.Duration(min(2*max(workers, 1), 4)) * time.Millisecond
}

// PaceReads makes the connection's reader wait until its pace (the
// Settings.ReadPace it was dialled with) has passed since its previous read
// system call when that call returned little (under 16 KiB):
// on a connection that streams deliveries or confirms, each small read
// otherwise costs a wake-up of the process — readiness, a read, handing a
// frame or two to the goroutines that process it, going idle again — and the
// broker sends one or two messages per wake-up when it, not the agent, is the
// bottleneck. Paced, one wake-up takes what arrived meanwhile, and a connection
// reading more than that per call is never delayed; an idle connection's
// first read is not delayed either. It costs at most the pace in latency per
// message; call it once the connection's synchronous set-up is done (each
// reply would otherwise wait). A connection made neither by Dial nor by
// DialWire is left alone.
//
// The pace was chosen with make bench (2 CPUs shared with the broker, 3 runs
// of each, same session): unpaced, workers=2 spent 0.13 ms of CPU per
// notification at 0.75 of the trivial client's throughput; paced at 0.5 ms
// 0.114 ms and 0.77, at 1 ms 0.104 ms and 0.83, at 2 ms 0.111 ms and 0.81, at
// 5 ms 0.101 ms and 0.82 — but workers=1 then fell from 0.86 to 0.75 (ack
// latency starts to bind the prefetch window). Once the sockets were read
// raw (rawio.go), 2 ms against 1 ms measured (4 A/B pairs each): workers=2
// -5% CPU per notification and +3% throughput, workers=1 -4% throughput —
// hence 1 ms per worker. Once the hot path's own AMQP client (package wire)
// made each wake-up's processing cheaper, the fixed cost of a wake-up
// weighed more (4 A/B pairs each): workers=1 at 2 ms against 1 ms -13% CPU
// and +8% throughput, at 4 ms against 2 ms -3% CPU but -6% throughput;
// workers=2 at 4 ms against 3 ms -8% CPU and +4% throughput, at 3 ms against
// 2 ms -4% CPU — hence ReadPaceFor.
func PaceReads(c io.Closer) {
	if v, ok := sockets.Load(c); ok {
		socket := v.(*coalescingConn)
		socket.pace.Store(int64(socket.streamPace))
	}
}

// QueueArgs returns the arguments oslo.messaging declares its queues with
// (_get_queue_arguments), so a queue shared with Ceilometer is declared
// identically (a mismatch makes the broker refuse the second declaration).
func QueueArgs(r conf.RabbitConfig) (amqp.Table, error) {
	if r.QuorumQueue && r.HAQueues {
		return nil, errors.New("[oslo_messaging_rabbit] rabbit_quorum_queue and rabbit_ha_queues are both enabled: the queue type is quorum or HA (mirrored), not both")
	}
	args := amqp.Table{}
	if r.HAQueues {
		args["x-ha-policy"] = "all"
	}
	if r.QuorumQueue {
		args["x-queue-type"] = "quorum"
		if r.QuorumDeliveryLimit > 0 {
			args["x-delivery-limit"] = int32(r.QuorumDeliveryLimit)
		}
		if r.QuorumMaxMemLength > 0 {
			args["x-max-in-memory-length"] = int32(r.QuorumMaxMemLength)
		}
		if r.QuorumMaxMemBytes > 0 {
			args["x-max-in-memory-bytes"] = int32(r.QuorumMaxMemBytes)
		}
	}
	if len(args) == 0 {
		return nil, nil
	}
	return args, nil
}

// Durable reports whether exchanges and queues are declared durable (quorum
// queues always are).
func Durable(r conf.RabbitConfig) bool { return r.DurableQueues || r.QuorumQueue }

// Backoff returns oslo's reconnection delay for attempt n (0-based):
// rabbit_retry_interval + n × rabbit_retry_backoff, capped at rabbit_interval_max.
func Backoff(r conf.RabbitConfig, n int) time.Duration {
	d := r.RetryInterval + time.Duration(n)*r.RetryBackoff
	if r.IntervalMax > 0 && d > r.IntervalMax {
		d = r.IntervalMax
	}
	if d <= 0 {
		d = 100 * time.Millisecond
	}
	return d
}
