package launcher

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Assertion 1: launcher choice.
func TestLauncherChoice(t *testing.T) {
	t.Run("workers=1 runs in-process", func(t *testing.T) {
		tr := startTree(t, testConfig{Workers: 1, Value: "a"})
		tr.waitReady(1, 5*time.Second)
		if evs := tr.eventsNamed("ready"); evs[0].pid != tr.pid {
			t.Fatalf("service ran in pid %d, want the launcher's pid %d", evs[0].pid, tr.pid)
		}
		if c := tr.children(); len(c) != 0 {
			t.Fatalf("workers=1 must not start child processes, have %v", c)
		}
		tr.signal(syscall.SIGTERM)
		if code := tr.wait(5 * time.Second); code != 0 {
			t.Fatalf("exit code %d, want 0", code)
		}
	})
	t.Run("workers=3 starts three children", func(t *testing.T) {
		tr := startTree(t, testConfig{Workers: 3, Value: "a"})
		// The 2 s start when the launcher decides to fork (its own start-up under -race on a
		// loaded machine is not what is measured).
		tr.waitLog("Starting 3 workers", 10*time.Second, msgHas("Starting 3 workers"))
		kids := tr.waitChildren(3, 2*time.Second)
		time.Sleep(300 * time.Millisecond)
		if now := tr.children(); !sameInts(now, kids) {
			t.Fatalf("children changed from %v to %v", kids, now)
		}
		for _, pid := range kids {
			tr.waitLog("Started child", time.Second, msgHas(fmt.Sprintf("Started child %d", pid)))
		}
	})
	for _, n := range []int{0, -1} {
		t.Run(fmt.Sprintf("workers=%d is refused", n), func(t *testing.T) {
			tr := startTree(t, testConfig{Workers: n, Value: "a"})
			if code := tr.wait(5 * time.Second); code == 0 {
				t.Fatal("exit code 0, want non-zero")
			}
			<-tr.logDone
			if len(tr.find(msgHas("Number of workers should be positive!"))) == 0 {
				t.Fatal("oslo's message missing")
			}
			if len(tr.events()) != 0 || len(tr.find(msgHas("Started child"))) != 0 {
				t.Fatal("something started before the refusal")
			}
		})
	}
}

// Assertion 2: kill -9 of one of three children.
func TestKill9ChildIsReplaced(t *testing.T) {
	tr := startTree(t, testConfig{Workers: 3, Value: "a"})
	tr.waitReady(3, 10*time.Second)
	kids := tr.waitChildren(3, time.Second)
	victim := kids[1]
	killedAt := time.Now()
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var now []int
	if !waitFor(time.Second, func() bool {
		now = tr.children()
		return len(now) == 3 && !contains(now, victim)
	}) {
		t.Fatalf("no replacement within 1s: before %v, now %v", kids, now)
	}
	t.Logf("respawn latency (kill -9 to new child visible): %s", time.Since(killedAt).Round(time.Millisecond))
	for _, pid := range kids {
		if pid != victim && !contains(now, pid) {
			t.Fatalf("sibling %d changed: before %v, now %v", pid, kids, now)
		}
	}
	tr.waitLog("killed by signal 9", time.Second, msgHas(fmt.Sprintf("Child %d killed by signal 9", victim)))
	l := tr.find(msgHas(fmt.Sprintf("Child %d killed by signal 9", victim)))[0]
	if l.str("signal") != "SIGKILL" {
		t.Errorf("signal name %q, want SIGKILL", l.str("signal"))
	}
	// Exactly one replacement, stable afterwards.
	time.Sleep(1500 * time.Millisecond)
	if later := tr.children(); !sameInts(later, now) {
		t.Fatalf("children changed again: %v then %v", now, later)
	}
	if n := len(tr.find(msgHas("Started child"))); n != 4 {
		t.Fatalf("%d forks, want 4", n)
	}
}

// Assertion 3: any exit while running is respawned; none once shutdown began.
func TestAnyExitIsRespawnedUntilShutdown(t *testing.T) {
	tr := startTree(t, testConfig{Workers: 3, Value: "a", StopDelay: "1s", GracefulTimeout: "10s"})
	tr.waitReady(3, 10*time.Second)
	kids := tr.waitChildren(3, time.Second)

	exitVia := func(pid int, how string) {
		switch how {
		case "SIGTERM":
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		default: // exit status
			if err := os.WriteFile(filepath.Join(tr.cmdDir, fmt.Sprintf("exit-%d", pid)), []byte(how), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		how, log string
	}{
		{"SIGTERM", "exited with status 0"}, // a direct SIGTERM drains and exits 0
		{"7", "exited with status 7"},
		{"1", "exited with status 1"},
	}
	for i, c := range cases {
		pid := kids[i]
		exitVia(pid, c.how)
		tr.waitLog(c.log, 3*time.Second, msgHas(fmt.Sprintf("Child %d %s", pid, c.log)))
		var now []int
		if !waitFor(2*time.Second, func() bool { now = tr.children(); return len(now) == 3 && !contains(now, pid) }) {
			t.Fatalf("%s: child %d not replaced: %v", c.how, pid, now)
		}
	}
	// The replacement shows in /proc before its "Started child" line is read.
	var before int
	if !waitFor(2*time.Second, func() bool { before = len(tr.find(msgHas("Started child"))); return before >= 6 }) || before != 6 {
		t.Fatalf("%d forks, want 6", before)
	}
	tr.waitReady(6, 5*time.Second)

	// Shutdown: a worker dying while the tree drains is not replaced.
	kids = tr.children()
	tr.signal(syscall.SIGTERM)
	tr.waitLog("Caught SIGTERM", time.Second, msgHas("Caught SIGTERM, stopping children"))
	if err := syscall.Kill(kids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := tr.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	if after := len(tr.find(msgHas("Started child"))); after != before {
		t.Fatalf("%d forks after shutdown began", after-before)
	}
}

// A worker started by hand (sentinel set, no descriptors) explains itself and exits non-zero.
func TestWorkerStartedByHand(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorker+"="+workerCookie)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("worker without a parent exited 0")
	}
	if !strings.Contains(string(out), "must be started by its launcher") {
		t.Fatalf("unhelpful message: %s", out)
	}
}
