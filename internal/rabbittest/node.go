package rabbittest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Bounds of the private node's life cycle. Booting a node takes about 5 s on
// an idle machine; a loaded CI machine runs other test packages meanwhile.
const (
	nodeStartTimeout = 60 * time.Second
	nodeStopTimeout  = 30 * time.Second
	nodeDirPrefix    = "agenttest-rabbit-"
)

// PrivateNode is a RabbitMQ node of its own for one test, for the faults a
// test may not inflict on the shared broker (a restart would break every
// other test package running meanwhile). It has its own name, ports and
// directory (under os.TempDir(), readable by the rabbitmq user the server
// drops to) and no plugins; the guest user may connect from loopback.
type PrivateNode struct {
	name string // agenttest-<hex>@localhost
	port int    // AMQP, on 127.0.0.1
	dir  string
}

// Node starts a private RabbitMQ node and waits (at most a minute) until it
// accepts AMQP connections. The node is stopped and its directory removed
// when the test ends, whether it passed or not. The test fails — it is not
// skipped — when rabbitmq-server is not installed: run scripts/rabbitmq.sh.
func Node(t testing.TB) *PrivateNode {
	t.Helper()
	server, err := exec.LookPath("rabbitmq-server")
	if err != nil {
		server = sbin("rabbitmq-server")
		if _, err := os.Stat(server); err != nil {
			t.Fatalf("rabbitmq-server is not installed (run scripts/rabbitmq.sh): %v", err)
		}
	}
	reapOrphans()
	var b [6]byte
	_, _ = rand.Read(b[:])
	dir, err := os.MkdirTemp("", nodeDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	n := &PrivateNode{name: "agenttest-" + hex.EncodeToString(b[:]) + "@localhost", port: freePort(t), dir: dir}
	t.Cleanup(func() {
		if err := n.stop(); err != nil {
			t.Errorf("stop private RabbitMQ node %s: %v", n.name, err)
		}
		_ = os.RemoveAll(dir)
	})
	if err := n.prepareDir(); err != nil {
		t.Fatalf("private RabbitMQ node: %v", err)
	}
	cmd := exec.Command(server, "-detached")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"RABBITMQ_NODENAME="+n.name,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(n.port),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(freePort(t)),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(dir, "enabled_plugins"),
		// Not the shared broker's /etc/rabbitmq/rabbitmq.conf (its listener).
		"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "rabbitmq"),
		"RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(dir, "advanced.config"),
		"RABBITMQ_PID_FILE="+n.pidFile(),
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("start private RabbitMQ node %s: %v\n%s%s", n.name, err, out, n.logTail())
	}
	if err := n.awaitAMQP(nodeStartTimeout); err != nil {
		t.Fatalf("private RabbitMQ node %s did not accept AMQP connections on %s within %v: %v%s",
			n.name, n.Addr(), nodeStartTimeout, err, n.logTail())
	}
	return n
}

// Name returns the node name (agenttest-<hex>@localhost).
func (n *PrivateNode) Name() string { return n.name }

// Addr returns the node's AMQP address, 127.0.0.1:<port>.
func (n *PrivateNode) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// URL returns the amqp URL of the node's default virtual host for guest.
func (n *PrivateNode) URL() string { return "amqp://guest:guest@" + n.Addr() + "/" }

// Ctl runs rabbitmqctl -n <node> -q with args and returns its output; the test
// fails if it fails.
func (n *PrivateNode) Ctl(t testing.TB, args ...string) string {
	t.Helper()
	return ctl(t, n.name, args...)
}

// StopApp stops the RabbitMQ application (the Erlang node keeps running):
// every client connection is closed; durable queues, their persistent
// messages, exchanges and bindings are kept.
func (n *PrivateNode) StopApp(t testing.TB) {
	t.Helper()
	n.Ctl(t, "stop_app")
}

// StartApp starts the application stopped by StopApp and waits (at most a
// minute) until the node accepts AMQP connections again.
func (n *PrivateNode) StartApp(t testing.TB) {
	t.Helper()
	n.Ctl(t, "start_app")
	if err := n.awaitAMQP(nodeStartTimeout); err != nil {
		t.Fatalf("private RabbitMQ node %s did not accept AMQP connections after start_app within %v: %v%s",
			n.name, nodeStartTimeout, err, n.logTail())
	}
}

// Restart restarts the broker as an operator does (stop_app, then start_app)
// and returns once it accepts AMQP connections again.
func (n *PrivateNode) Restart(t testing.TB) {
	t.Helper()
	n.StopApp(t)
	n.StartApp(t)
}

// Queue is one line of rabbitmqctl list_queues.
type Queue struct {
	Name      string
	Ready     int // messages_ready
	Unacked   int // messages_unacknowledged
	Consumers int
}

// Queues lists the queues of vhost ("" is "/") on the node.
func (n *PrivateNode) Queues(t testing.TB, vhost string) []Queue {
	t.Helper()
	if vhost == "" {
		vhost = "/"
	}
	out := n.Ctl(t, "list_queues", "-p", vhost, "--no-table-headers", "name", "messages_ready", "messages_unacknowledged", "consumers")
	var qs []Queue
	for _, l := range strings.Split(out, "\n") {
		var q Queue
		if _, err := fmt.Sscanf(l, "%s %d %d %d", &q.Name, &q.Ready, &q.Unacked, &q.Consumers); err == nil {
			qs = append(qs, q)
		}
	}
	return qs
}

// prepareDir makes the node's directory traversable and owned by the user the
// server runs as (the rabbitmq-server wrapper drops root to rabbitmq), with an
// empty plugin list, and records which process owns the node (see
// reapOrphans).
func (n *PrivateNode) prepareDir() error {
	if err := os.Chmod(n.dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"enabled_plugins": "[].\n",
		"owner":           strconv.Itoa(os.Getpid()) + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(n.dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("rabbitmq")
	if err != nil {
		return fmt.Errorf("the server runs as user rabbitmq: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(n.dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, uid, gid)
	})
}

func (n *PrivateNode) pidFile() string { return filepath.Join(n.dir, "pid") }

// awaitAMQP waits until an AMQP connection to the node opens.
func (n *PrivateNode) awaitAMQP(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := amqp.DialConfig(n.URL(), amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop halts the node (rabbitmqctl stop; killing the pid in its pid file when
// that fails) and waits until its process is gone.
func (n *PrivateNode) stop() error {
	_, ctlErr := runCtl(nodeStopTimeout, n.name, "stop")
	pid := readPid(n.pidFile())
	if pid == 0 {
		return ctlErr // never booted far enough to write it, or stop removed it
	}
	if ctlErr != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(nodeStopTimeout)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return errors.Join(ctlErr, fmt.Errorf("pid %d still running %v after stop", pid, nodeStopTimeout))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// logTail returns the last lines of the node's logs, for failure messages.
func (n *PrivateNode) logTail() string {
	logs, _ := filepath.Glob(filepath.Join(n.dir, "log", "*.log"))
	var b strings.Builder
	for _, f := range logs {
		lines := tailLines(f, 40)
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n--- %s (last %d lines) ---\n%s", f, len(lines), strings.Join(lines, "\n"))
	}
	if b.Len() == 0 {
		return "\n(no node log under " + filepath.Join(n.dir, "log") + ")"
	}
	return b.String()
}

func tailLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// reapOrphans stops the private nodes whose test process died without
// cleaning up (killed, or a timeout panic) and removes their directories: a
// detached node outlives its test.
func reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), nodeDirPrefix+"*"))
	for _, dir := range dirs {
		owner := readPid(filepath.Join(dir, "owner"))
		if owner == 0 || syscall.Kill(owner, 0) == nil {
			continue // being set up, or its test still runs
		}
		if pid := readPid(filepath.Join(dir, "pid")); pid != 0 && runsIn(pid, dir) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = os.RemoveAll(dir)
	}
}

// runsIn reports whether process pid is a node whose command line names dir
// (a pid file can outlive its process, and pids are reused).
func runsIn(pid int, dir string) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return err == nil && strings.Contains(string(b), dir)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
