package launcher

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func pidsOf(evs []procEvent) []int {
	var out []int
	for _, ev := range evs {
		out = append(out, ev.pid)
	}
	return out
}

func eventsWith(evs []procEvent, name, value string) []procEvent {
	var out []procEvent
	for _, ev := range evs {
		if ev.name == name && ev.value == value {
			out = append(out, ev)
		}
	}
	return out
}

// Assertion 10: SIGHUP (daemon) rolls the workers; two SIGHUPs 10 ms apart give one reload.
func TestSighupReloadRollsWorkers(t *testing.T) {
	cfg := testConfig{Workers: 2, Value: "a", StopDelay: "500ms", ReadyDelay: "300ms", GracefulTimeout: "10s"}
	tr := startTree(t, cfg)
	tr.waitReady(2, 10*time.Second)
	old := tr.waitChildren(2, time.Second)

	cfg.Value = "b"
	tr.writeConfig(cfg)
	tr.signal(syscall.SIGHUP)
	time.Sleep(10 * time.Millisecond)
	tr.signal(syscall.SIGHUP)
	if !waitFor(10*time.Second, func() bool {
		evs := tr.events()
		return len(eventsWith(evs, "ready", "b")) == 2 && len(eventsWith(evs, "drained", "a")) == 2
	}) {
		t.Fatal("new generation not rolled in")
	}
	time.Sleep(700 * time.Millisecond) // a second reload would have started by now
	evs := tr.events()
	if n := len(eventsWith(evs, "start", "b")); n != 2 {
		t.Fatalf("%d workers started with the new configuration, want 2 (one coalesced reload)", n)
	}
	if n := len(tr.find(msgHas("reloading: starting new generation"))); n != 1 {
		t.Fatalf("%d reloads, want 1", n)
	}
	if !alive(tr.pid) {
		t.Fatal("launcher gone")
	}
	now := tr.children()
	if len(now) != 2 || contains(now, old[0]) || contains(now, old[1]) {
		t.Fatalf("workers %v after reload, old ones were %v", now, old)
	}
	// New generation ready before the old one is told to drain; ready workers never drop to 0.
	var lastNewReady time.Time
	for _, ev := range eventsWith(evs, "ready", "b") {
		if ev.at.After(lastNewReady) {
			lastNewReady = ev.at
		}
	}
	for _, ev := range eventsWith(evs, "drain", "a") {
		if ev.at.Before(lastNewReady) {
			t.Fatalf("old worker %d drained before the new generation was ready", ev.pid)
		}
	}
	ready, minReady := 0, 1<<30
	for _, ev := range evs { // the events file is appended in real-time order
		switch ev.name {
		case "ready":
			ready++
		case "drain":
			ready--
			minReady = min(minReady, ready)
		}
	}
	if minReady < 2 {
		t.Fatalf("ready workers dropped to %d during the reload", minReady)
	}
}

// Assertion 10 (foreground): SIGHUP with stdout on the foreground terminal is a graceful stop.
func TestSighupForegroundStops(t *testing.T) {
	master, slave := openPTY(t)
	defer master.Close()
	defer slave.Close()
	tr := startTreeWith(t, testConfig{Workers: 2, Value: "a", StopDelay: "300ms", GracefulTimeout: "10s"}, func(c *exec.Cmd) {
		c.Stdin, c.Stdout = slave, slave
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	})
	tr.waitReady(2, 10*time.Second)
	tr.signal(syscall.SIGHUP)
	if code := tr.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	<-tr.logDone
	if len(tr.find(msgHas("Caught SIGHUP, stopping children"))) != 1 {
		t.Fatal("foreground SIGHUP not treated as a stop")
	}
	if n := len(tr.eventsNamed("drained")); n != 2 {
		t.Fatalf("%d workers drained, want 2", n)
	}
	if n := len(tr.find(msgHas("reloading"))); n != 0 {
		t.Fatal("foreground SIGHUP reloaded")
	}
}

// Assertion 11: SIGHUP with a broken configuration changes nothing.
func TestSighupBrokenConfigKeepsServing(t *testing.T) {
	sock, got := fakeNotifySocket(t)
	tr := startTree(t, testConfig{Workers: 2, Value: "a"}, "NOTIFY_SOCKET="+sock)
	tr.waitReady(2, 10*time.Second)
	kids := tr.waitChildren(2, time.Second)
	if err := os.WriteFile(tr.cfgPath, []byte("{\n  \"workers\": 2,\n  \"value\": \n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr.signal(syscall.SIGHUP)
	l := tr.waitLog("reload failed", 5*time.Second, msgHas("reload failed, keeping the running configuration"))
	if want := tr.cfgPath + ":4:"; !strings.Contains(l.str("error"), want) {
		t.Fatalf("error %q does not name %s", l.str("error"), want)
	}
	time.Sleep(500 * time.Millisecond)
	if now := tr.children(); !sameInts(now, kids) {
		t.Fatalf("workers changed from %v to %v", kids, now)
	}
	if n := len(tr.eventsNamed("start")); n != 2 {
		t.Fatalf("%d starts, want 2", n)
	}
	if n := len(tr.eventsNamed("drain")); n != 0 {
		t.Fatal("a worker was stopped")
	}
	// systemd still sees the reload begin and end (the service stays ready).
	if seq := texts(got()); len(seq) != 3 || seq[0] != "READY=1" || !strings.HasPrefix(seq[1], "RELOADING=1\nMONOTONIC_USEC=") || seq[2] != "READY=1" {
		t.Fatalf("notifications %q", seq)
	}
}

// Assertion 12: restart_method=mutate applies the generation in place.
func TestSighupMutate(t *testing.T) {
	cfg := testConfig{Workers: 2, Value: "a", Secret: "hunter2-old", RestartMethod: "mutate"}
	tr := startTree(t, cfg)
	tr.waitReady(2, 10*time.Second)
	kids := tr.waitChildren(2, time.Second)
	cfg.Value, cfg.Secret = "b", "hunter2-new"
	tr.writeConfig(cfg)
	tr.signal(syscall.SIGHUP)
	if !waitFor(5*time.Second, func() bool { return len(eventsWith(tr.events(), "reload", "b")) == 2 }) {
		t.Fatal("workers did not apply the new generation")
	}
	if got := pidsOf(eventsWith(tr.events(), "reload", "b")); !contains(kids, got[0]) || !contains(kids, got[1]) || got[0] == got[1] {
		t.Fatalf("reloaded pids %v, workers %v", got, kids)
	}
	if now := tr.children(); !sameInts(now, kids) {
		t.Fatalf("worker pids changed from %v to %v", kids, now)
	}
	tr.waitLog("value change", time.Second, msgHas("Option DEFAULT.value changed from [a] to [b]"))
	tr.waitLog("secret change", time.Second, msgHas("Option DEFAULT.secret changed from [****] to [****]"))
	for _, l := range tr.logs() {
		if strings.Contains(l.raw, "hunter2") {
			t.Fatalf("secret leaked: %s", l.raw)
		}
	}
	if n := len(tr.find(msgHas("Started child"))); n != 2 {
		t.Fatalf("%d forks, want 2", n)
	}
	// A worker respawned later runs the new generation.
	if err := syscall.Kill(kids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return len(eventsWith(tr.events(), "ready", "b")) == 1 }) {
		t.Fatal("respawned worker does not run the new generation")
	}
}

// Single-process mode: SIGHUP starts the new generation in-process, then stops the old one.
func TestSighupReloadInProcess(t *testing.T) {
	cfg := testConfig{Workers: 1, Value: "a", StopDelay: "200ms", ReadyDelay: "200ms"}
	tr := startTree(t, cfg)
	tr.waitReady(1, 10*time.Second)
	cfg.Value = "b"
	tr.writeConfig(cfg)
	tr.signal(syscall.SIGHUP)
	if !waitFor(5*time.Second, func() bool { return len(eventsWith(tr.events(), "drained", "a")) == 1 }) {
		t.Fatal("old generation not stopped")
	}
	evs := tr.events()
	rb, da := eventsWith(evs, "ready", "b"), eventsWith(evs, "drain", "a")
	if len(rb) != 1 || rb[0].pid != tr.pid || da[0].at.Before(rb[0].at) {
		t.Fatalf("events %+v", evs)
	}
	if c := tr.children(); len(c) != 0 {
		t.Fatalf("children %v in single-process mode", c)
	}
}
