package launcher

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/internal/metrics"
)

// scrape GETs path from addr: status, body.
func scrape(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func scrapeFamilies(t *testing.T, addr string) []metrics.Family {
	t.Helper()
	code, body := scrape(t, addr, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	fams, err := metrics.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

func value(fams []metrics.Family, name string, labels ...string) float64 {
	v, ok := metrics.Get(fams, name, labels...)
	if !ok {
		return -1
	}
	return v
}

// metricsAddr waits for the launcher's "serving metrics" line and returns the bound address.
func (tr *tree) metricsAddr(n int) string {
	tr.t.Helper()
	var got []logLine
	if !waitFor(15*time.Second, func() bool { got = tr.find(msgHas("serving metrics")); return len(got) >= n }) {
		tr.t.Fatalf("no %d \"serving metrics\" lines", n)
	}
	return got[n-1].str("address")
}

// The parent serves one endpoint for the tree: /readyz is 503 while the workers start and 200
// once they are ready; /metrics merges every worker's families with a worker label and adds the
// parent's (worker_up, workers, reloads by result, restarts); the address follows reloads.
func TestMetricsEndpointWorkers(t *testing.T) {
	t.Parallel()
	tr := startTree(t, testConfig{Workers: 2, Value: "v1", GracefulTimeout: "10s", ReadyDelay: "1500ms", MetricsListen: "127.0.0.1:0"})
	addr := tr.metricsAddr(1)
	if code, _ := scrape(t, addr, "/healthz"); code != 200 {
		t.Errorf("/healthz while starting: %d", code)
	}
	if code, body := scrape(t, addr, "/readyz"); code != 503 || !strings.Contains(body, "starting") {
		t.Errorf("/readyz while starting: %d %s", code, body)
	}
	tr.waitReady(2, 20*time.Second)
	tr.waitLog("all workers ready", 10*time.Second, msgHas("all workers ready"))
	if code, body := scrape(t, addr, "/readyz"); code != 200 {
		t.Errorf("/readyz when ready: %d %s", code, body)
	}
	fams := scrapeFamilies(t, addr)
	for _, id := range []string{"1", "2"} {
		if v := value(fams, "agent_notification_worker_up", "worker", id); v != 1 {
			t.Errorf("worker_up{worker=%s} = %v", id, v)
		}
		if v := value(fams, "agent_notification_test_running", "value", "v1", "worker", id); v != 1 {
			t.Errorf("test_running{worker=%s} = %v", id, v)
		}
		if v := value(fams, "agent_notification_worker_restarts_total", "worker", id); v != 0 {
			t.Errorf("restarts{worker=%s} = %v", id, v)
		}
	}
	pids := map[float64]bool{}
	for _, id := range []string{"1", "2"} {
		pids[value(fams, "agent_notification_test_pid_total", "worker", id)] = true
	}
	if len(pids) != 2 {
		t.Errorf("the two workers' families are not distinct: %v", pids)
	}
	if value(fams, "agent_notification_workers_configured") != 2 || value(fams, "agent_notification_workers_ready") != 2 {
		t.Errorf("workers configured/ready = %v/%v", value(fams, "agent_notification_workers_configured"), value(fams, "agent_notification_workers_ready"))
	}
	if value(fams, "agent_notification_build_info", "version", "test-1.0") != 1 || value(fams, "agent_notification_generation") != 1 {
		t.Error("build_info or generation missing")
	}

	// A successful reload (rolled), a failed one, then a reload that moves the endpoint.
	tr.writeConfig(testConfig{Workers: 2, Value: "v2", GracefulTimeout: "10s", MetricsListen: "127.0.0.1:0"})
	tr.signal(syscall.SIGHUP)
	tr.waitLog("generation ready", 20*time.Second, msgHas("generation ready"))
	if err := os.WriteFile(tr.cfgPath, []byte("{ not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr.signal(syscall.SIGHUP)
	tr.waitLog("reload failed", 10*time.Second, msgHas("reload failed"))
	fams = scrapeFamilies(t, addr)
	if ok, failed := value(fams, "agent_notification_reloads_total", "result", "ok"), value(fams, "agent_notification_reloads_total", "result", "failed"); ok != 1 || failed != 1 {
		t.Errorf("reloads ok=%v failed=%v, want 1 and 1", ok, failed)
	}
	if v := value(fams, "agent_notification_test_running", "value", "v2", "worker", "1"); v != 1 {
		t.Errorf("new generation's family: %v", v)
	}

	// A worker crash is counted as a restart of its id.
	kids := tr.children()
	if len(kids) != 2 {
		t.Fatalf("children %v", kids)
	}
	w1 := -1
	for _, l := range tr.find(msgHas("Started child")) {
		if l.str("worker_id") == "1" && l.str("generation") == "2" {
			w1, _ = strconv.Atoi(strings.TrimPrefix(l.msg(), "Started child "))
		}
	}
	if w1 <= 0 {
		t.Fatal("no pid for worker 1 of generation 2")
	}
	if err := os.WriteFile(filepath.Join(tr.cmdDir, "exit-"+strconv.Itoa(w1)), []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !waitFor(20*time.Second, func() bool {
		f := scrapeFamilies(t, addr)
		return value(f, "agent_notification_worker_restarts_total", "worker", "1") == 1 &&
			value(f, "agent_notification_worker_up", "worker", "1") == 1
	}) {
		t.Errorf("restart of worker 1 not counted:\n%v", scrapeFamilies(t, addr))
	}

	// Moving the endpoint: the new address serves, the old one is closed.
	tr.writeConfig(testConfig{Workers: 2, Value: "v3", GracefulTimeout: "10s", MetricsListen: "127.0.0.2:0"})
	tr.signal(syscall.SIGHUP)
	addr2 := tr.metricsAddr(2)
	if !strings.HasPrefix(addr2, "127.0.0.2:") {
		t.Fatalf("rebound to %s", addr2)
	}
	if code, _ := scrape(t, addr2, "/healthz"); code != 200 {
		t.Errorf("/healthz on the new address: %d", code)
	}
	if !waitFor(5*time.Second, func() bool {
		_, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/healthz")
		return err != nil
	}) {
		t.Error("the old address still serves")
	}
	tr.waitLog("generation ready", 20*time.Second, func(l logLine) bool {
		return strings.Contains(l.msg(), "generation ready") && l.str("generation") == "3"
	})

	tr.signal(syscall.SIGTERM)
	if code := tr.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
	if _, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr2 + "/healthz"); err == nil {
		t.Error("endpoint still serving after exit")
	}
}

// A worker that does not answer a scrape is reported with worker_up 0 within about a second,
// and makes /readyz fail; the others are still reported.
func TestMetricsWorkerNotAnswering(t *testing.T) {
	t.Parallel()
	tr := startTree(t, testConfig{Workers: 2, Value: "v1", GracefulTimeout: "2s", MetricsListen: "127.0.0.1:0", MetricsHang: 2})
	addr := tr.metricsAddr(1)
	tr.waitReady(2, 20*time.Second)
	tr.waitLog("all workers ready", 10*time.Second, msgHas("all workers ready"))
	start := time.Now()
	fams := scrapeFamilies(t, addr)
	if d := time.Since(start); d < ScrapeTimeout || d > ScrapeTimeout+3*time.Second {
		t.Errorf("scrape took %s", d)
	}
	if v1, v2 := value(fams, "agent_notification_worker_up", "worker", "1"), value(fams, "agent_notification_worker_up", "worker", "2"); v1 != 1 || v2 != 0 {
		t.Errorf("worker_up 1=%v 2=%v, want 1 and 0", v1, v2)
	}
	if value(fams, "agent_notification_test_running", "value", "v1", "worker", "1") != 1 {
		t.Error("the answering worker's families are missing")
	}
	if code, body := scrape(t, addr, "/readyz"); code != 503 || !strings.Contains(body, "worker 2: no answer") {
		t.Errorf("/readyz: %d %s", code, body)
	}
	if code, _ := scrape(t, addr, "/healthz"); code != 200 {
		t.Errorf("/healthz: %d (the parent loop runs)", code)
	}
}

// workers=1: the in-process service answers directly, with worker="1".
func TestMetricsInProcess(t *testing.T) {
	t.Parallel()
	tr := startTree(t, testConfig{Workers: 1, Value: "solo", GracefulTimeout: "5s", ReadyDelay: "1s", MetricsListen: "127.0.0.1:0"})
	addr := tr.metricsAddr(1)
	if code, _ := scrape(t, addr, "/readyz"); code != 503 {
		t.Errorf("/readyz while starting: %d", code)
	}
	tr.waitReady(1, 20*time.Second)
	if !waitFor(5*time.Second, func() bool { code, _ := scrape(t, addr, "/readyz"); return code == 200 }) {
		_, body := scrape(t, addr, "/readyz")
		t.Errorf("/readyz never 200: %s", body)
	}
	fams := scrapeFamilies(t, addr)
	if value(fams, "agent_notification_test_running", "value", "solo", "worker", "1") != 1 ||
		value(fams, "agent_notification_test_pid_total", "worker", "1") != float64(tr.pid) {
		t.Errorf("in-process families: %+v", fams)
	}
	if value(fams, "agent_notification_worker_up", "worker", "1") != 1 {
		t.Error("worker_up")
	}
	tr.signal(syscall.SIGTERM)
	if code := tr.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// An address that cannot be bound is logged and does not stop the agent.
func TestMetricsBindFailure(t *testing.T) {
	t.Parallel()
	busy, err := metrics.Listen("127.0.0.1:0", http.NotFoundHandler(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Shutdown(context.Background())
	tr := startTree(t, testConfig{Workers: 1, Value: "v", GracefulTimeout: "5s", MetricsListen: busy.Addr()})
	tr.waitLog("cannot serve metrics", 10*time.Second, msgHas("cannot serve metrics"))
	tr.waitReady(1, 20*time.Second)
	tr.signal(syscall.SIGTERM)
	if code := tr.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
}
