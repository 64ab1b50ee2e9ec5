// Package rabbittest gives tests an isolated virtual host on the local RabbitMQ
// (the real broker, started by scripts/rabbitmq.sh), deleted when the test ends,
// or — for faults the shared broker must not suffer, such as a restart — a
// private RabbitMQ node of their own (Node).
package rabbittest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Addr is the broker the tests use; RABBITMQ_ADDR overrides it.
func Addr() string {
	if a := os.Getenv("RABBITMQ_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:5672"
}

// VHost creates a fresh virtual host with full permissions for guest and returns
// its amqp URL (amqp://guest:guest@127.0.0.1:5672/<vhost>). The test fails —
// it is not skipped — when the broker is unreachable: run scripts/rabbitmq.sh.
func VHost(t testing.TB) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", Addr(), 2*time.Second)
	if err != nil {
		t.Fatalf("RabbitMQ is not reachable on %s (run scripts/rabbitmq.sh): %v", Addr(), err)
	}
	conn.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if len(name) > 60 {
		name = name[:60]
	}
	name += "-" + hex.EncodeToString(b[:])
	Ctl(t, "add_vhost", name)
	t.Cleanup(func() { Ctl(t, "delete_vhost", name) })
	Ctl(t, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
	return "amqp://guest:guest@" + Addr() + "/" + url.PathEscape(name)
}

// Ctl runs rabbitmqctl with args (quietly) against the shared broker and
// returns its output; the test fails if it fails. PrivateNode.Ctl is the same
// for a private node.
func Ctl(t testing.TB, args ...string) string {
	t.Helper()
	return ctl(t, "", args...)
}

// ctl runs rabbitmqctl against node ("" is the default node) and fails the
// test if it fails.
func ctl(t testing.TB, node string, args ...string) string {
	t.Helper()
	out, err := runCtl(60*time.Second, node, args...)
	if err != nil {
		if node != "" {
			args = append([]string{"-n", node}, args...)
		}
		t.Fatalf("rabbitmqctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// runCtl runs rabbitmqctl [-n node] -q args, bounded by timeout.
func runCtl(timeout time.Duration, node string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	path := "rabbitmqctl"
	if _, err := exec.LookPath(path); err != nil {
		path = sbin(path)
	}
	var pre []string
	if node != "" {
		pre = []string{"-n", node}
	}
	out, err := exec.CommandContext(ctx, path, append(append(pre, "-q"), args...)...).CombinedOutput()
	return string(out), err
}

// sbin is where Debian's rabbitmq-server package installs its commands.
func sbin(name string) string { return "/usr/sbin/" + name }
