package launcher

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func waitReport(t *testing.T, dir string, pid int) string {
	t.Helper()
	var text string
	ok := waitFor(5*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("agent-notification_gurumeditation_*_%d", pid)))
		if len(m) == 0 {
			return false
		}
		b, err := os.ReadFile(m[0])
		text = string(b)
		return err == nil && strings.Contains(text, "Configuration")
	})
	if !ok {
		t.Fatalf("no report of pid %d in %s", pid, dir)
	}
	return text
}

func checkSections(t *testing.T, text string) {
	t.Helper()
	for _, s := range []string{"Guru Meditation", "Package", "version = test-1.0", "Goroutines", "goroutine 1 [",
		"Processes", "Configuration", "DEFAULT.secret = ****"} {
		if !strings.Contains(text, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

// Assertion 14: SIGUSR2 diagnostics reports from the parent and from a worker.
func TestDiagnosticsReport(t *testing.T) {
	t.Run("log_dir", func(t *testing.T) {
		reports := filepath.Join(t.TempDir(), "reports")
		if err := os.Mkdir(reports, 0o755); err != nil {
			t.Fatal(err)
		}
		tr := startTree(t, testConfig{Workers: 2, Value: "a", Secret: "hunter2", LogDir: reports})
		tr.waitReady(2, 10*time.Second)
		tr.waitLog("all ready", 5*time.Second, msgHas("all workers ready")) // the parent's view
		kids := tr.waitChildren(2, time.Second)

		tr.signal(syscall.SIGUSR2)
		text := waitReport(t, reports, tr.pid)
		checkSections(t, text)
		for _, pid := range kids {
			if !strings.Contains(text, fmt.Sprintf("Process %d (under %d) [ worker_id:", pid, tr.pid)) {
				t.Errorf("parent report does not list worker %d:\n%s", pid, text)
			}
		}
		if !strings.Contains(text, "generation: 1, state: ready") {
			t.Error("worker generation/state missing")
		}

		if err := syscall.Kill(kids[0], syscall.SIGUSR2); err != nil {
			t.Fatal(err)
		}
		wtext := waitReport(t, reports, kids[0])
		checkSections(t, wtext)
		if !strings.Contains(wtext, fmt.Sprintf("Process %d (under %d) [ role: worker", kids[0], tr.pid)) {
			t.Errorf("worker report lacks its own process line:\n%s", wtext)
		}
		if strings.Contains(text+wtext, "hunter2") {
			t.Error("secret in a report")
		}
		time.Sleep(200 * time.Millisecond)
		if now := tr.children(); !sameInts(now, kids) || !alive(tr.pid) {
			t.Fatalf("processes changed after the reports: %v → %v", kids, now)
		}
	})
	t.Run("stderr", func(t *testing.T) {
		tr := startTree(t, testConfig{Workers: 2, Value: "a"})
		tr.waitReady(2, 10*time.Second)
		kids := tr.waitChildren(2, time.Second)
		if err := syscall.Kill(kids[1], syscall.SIGUSR2); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("Process %d (under %d) [ role: worker", kids[1], tr.pid)
		tr.waitLog("worker report on the launcher's stderr", 5*time.Second, func(l logLine) bool { return strings.HasPrefix(l.raw, line) })
		tr.signal(syscall.SIGUSR2)
		tr.waitLog("parent report on stderr", 5*time.Second, func(l logLine) bool {
			return strings.HasPrefix(l.raw, fmt.Sprintf("Process %d (under ", tr.pid))
		})
		time.Sleep(200 * time.Millisecond)
		if now := tr.children(); !sameInts(now, kids) {
			t.Fatalf("processes changed after the reports: %v → %v", kids, now)
		}
	})
}

// With ReportWorkers, a SIGUSR2 to the parent also yields every worker's report.
func TestDiagnosticsReportFanOut(t *testing.T) {
	tr := startTree(t, testConfig{Workers: 2, Value: "a"}, "LAUNCHER_TEST_REPORT_WORKERS=1")
	tr.waitReady(2, 10*time.Second)
	kids := tr.waitChildren(2, time.Second)
	tr.signal(syscall.SIGUSR2)
	for _, pid := range append([]int{tr.pid}, kids...) {
		prefix := fmt.Sprintf("Process %d (under ", pid)
		tr.waitLog("report of "+fmt.Sprint(pid), 5*time.Second, func(l logLine) bool { return strings.HasPrefix(l.raw, prefix) })
	}
}

// Worker logs reach the operator through the parent with the worker id attached.
func TestWorkerLogsForwarded(t *testing.T) {
	tr := startTree(t, testConfig{Workers: 2, Value: "a"})
	tr.waitReady(2, 10*time.Second)
	ids := map[string]bool{}
	waitFor(5*time.Second, func() bool {
		for _, l := range tr.find(msgHas("service consuming")) {
			if l.str("@module") == "agent.worker" && l.str("@level") == "info" && l.str("value") == "a" {
				ids[l.str("worker_id")] = true
			}
		}
		return len(ids) == 2
	})
	if !ids["1"] || !ids["2"] {
		t.Fatalf("forwarded worker lines for worker ids %v, want 1 and 2", ids)
	}
	if n := len(tr.find(msgHas("Full set of CONF:"))); n != 1 {
		t.Fatalf("option dump logged %d times, want once (parent only)", n)
	}
}
