package app

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
	"github.com/openstack-go/agent-notification/internal/uuid"
)

// TestSecretsNeverPrinted runs the agent with a broker password and a
// telemetry_secret of its own, debug logging (the effective configuration is
// dumped), a diagnostics report (SIGUSR2), a reload with a broken file and
// malformed input — and checks that nothing the agent printed contains either
// secret.
func TestSecretsNeverPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the agent against RabbitMQ")
	}
	amqpURL := rabbittest.VHost(t)
	u, _ := url.Parse(amqpURL)
	vhost, _ := url.PathUnescape(strings.TrimPrefix(u.Path, "/"))
	user, password, secret := "u-"+uuid.NewHex()[:8], "Pw-"+uuid.NewHex(), "Tel-"+uuid.NewHex()
	rabbittest.Ctl(t, "add_user", user, password)
	t.Cleanup(func() { rabbittest.Ctl(t, "delete_user", user) })
	rabbittest.Ctl(t, "set_permissions", "-p", vhost, user, ".*", ".*", ".*")

	dir := t.TempDir()
	writeAgentConfig(t, dir, amqpURL, 2, "'*'")
	cfg := fmt.Sprintf(`[DEFAULT]
transport_url = rabbit://%s:%s@%s/%s
host = secret-host
use_stderr = true
debug = true
[notification]
workers = 2
messaging_urls = rabbit://%s:%s@%s/%s
[publisher]
telemetry_secret = %s
[oslo_messaging_rabbit]
rabbit_retry_interval = 0
`, user, password, rabbittest.Addr(), url.PathEscape(vhost), user, password, rabbittest.Addr(), url.PathEscape(vhost), secret)
	if err := os.WriteFile(filepath.Join(dir, "ceilometer.conf"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, dir)
	a.waitLog("all workers ready", 1, 60*time.Second)
	a.signal(syscall.SIGUSR2)
	a.waitLog("Configuration", 1, 20*time.Second)
	// A broken reload: the error is printed, the secrets must not be.
	broken := strings.Replace(cfg, "workers = 2", "workers = two", 1)
	_ = os.WriteFile(filepath.Join(dir, "ceilometer.conf"), []byte(broken), 0o644)
	a.signal(syscall.SIGHUP)
	a.waitLog("workers", 3, 20*time.Second)
	time.Sleep(time.Second)
	a.signal(syscall.SIGTERM)
	a.wait(30 * time.Second)

	out := a.out.String()
	if !strings.Contains(out, "****") {
		t.Errorf("no masked value printed: the configuration dump is missing")
	}
	for _, s := range []string{password, secret} {
		if strings.Contains(out, s) {
			i := strings.Index(out, s)
			lo := max(0, i-200)
			t.Errorf("secret printed: …%s…", out[lo:min(len(out), i+100)])
		}
	}
}
