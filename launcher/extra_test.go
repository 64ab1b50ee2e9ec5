package launcher

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A second SIGTERM while draining escalates: children are killed and the parent exits 1.
func TestSecondSigtermEscalates(t *testing.T) {
	tr := startTree(t, testConfig{Workers: 2, Value: "a", StopDelay: "10s", GracefulTimeout: "60s"})
	tr.waitReady(2, 10*time.Second)
	kids := tr.waitChildren(2, time.Second)
	tr.signal(syscall.SIGTERM)
	tr.waitLog("waiting", 2*time.Second, msgHas("Waiting on 2 children to exit"))
	sent := time.Now()
	tr.signal(syscall.SIGTERM)
	if code := tr.wait(2 * time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if !waitFor(time.Until(sent.Add(time.Second)), func() bool { return !alive(kids[0]) && !alive(kids[1]) }) {
		t.Fatal("children alive 1 s after the second SIGTERM")
	}
}

// SIGHUP sent to a worker is forwarded to the parent, which owns the configuration.
func TestWorkerSighupRequestsReload(t *testing.T) {
	cfg := testConfig{Workers: 2, Value: "a", StopDelay: "100ms", GracefulTimeout: "10s"}
	tr := startTree(t, cfg)
	tr.waitReady(2, 10*time.Second)
	kids := tr.waitChildren(2, time.Second)
	cfg.Value = "b"
	tr.writeConfig(cfg)
	if err := syscall.Kill(kids[0], syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return len(eventsWith(tr.events(), "drained", "a")) == 2 }) {
		t.Fatal("no reload after a worker's SIGHUP")
	}
	if n := len(eventsWith(tr.events(), "ready", "b")); n != 2 {
		t.Fatalf("%d new workers ready, want 2", n)
	}
}

// A worker that does not report ready within ReadyTimeout is killed and respawned.
func TestReadyTimeoutKillsWorker(t *testing.T) {
	tr := startTree(t, testConfig{Workers: 2, Value: "a", ReadyDelay: "1h"}, "LAUNCHER_TEST_READY_TIMEOUT=1s")
	tr.waitLog("not ready", 10*time.Second, msgHas("worker not ready in time, killing it"))
	tr.waitLog("killed", 2*time.Second, msgHas("killed by signal 9"))
	if !waitFor(5*time.Second, func() bool { return len(tr.find(msgHas("Started child"))) >= 3 }) {
		t.Fatal("worker not respawned")
	}
}

// Workers always run the parent's own image, even after the binary was replaced on disk
// (package upgrade while running).
func TestRespawnUsesParentImage(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "agent-notification")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	tr := startTreeWith(t, testConfig{Workers: 2, Value: "a"}, func(c *exec.Cmd) { c.Path = bin })
	tr.waitReady(2, 10*time.Second)
	kids := tr.waitChildren(2, time.Second)
	if err := os.WriteFile(bin+".new", []byte("#!/bin/sh\nexit 42\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bin+".new", bin); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(kids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	tr.waitReady(3, 5*time.Second)
	if n := len(tr.find(msgHas("exited with status 42"))); n != 0 {
		t.Fatal("a worker ran the replaced binary")
	}
}
