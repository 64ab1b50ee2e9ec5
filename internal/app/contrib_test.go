package app

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openstack-go/agent-notification/internal/rabbittest"
)

// children returns the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces: split after ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

func waitFile(t *testing.T, path, substr string, count int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		data, _ := os.ReadFile(path)
		if strings.Count(string(data), substr) >= count {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not contain %q %d times after %v:\n%s", path, substr, count, timeout, data)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestInitScript drives contrib/init.d/agent-notification as an init system
// would: start with WORKERS=2, status, reload (SIGHUP rolls the workers), stop
// (SIGTERM drains, everything exits).
func TestInitScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the agent against RabbitMQ")
	}
	if _, err := exec.LookPath("start-stop-daemon"); err != nil {
		if _, err := os.Stat("/usr/sbin/start-stop-daemon"); err != nil {
			t.Fatalf("start-stop-daemon (Debian's dpkg) is required: %v", err)
		}
	}
	amqpURL := rabbittest.VHost(t)
	dir := t.TempDir()
	writeAgentConfig(t, dir, amqpURL, 1, "'*'")
	exe, _ := os.Executable()
	script, _ := filepath.Abs("../../contrib/init.d/agent-notification")
	pidfile, logfile := filepath.Join(dir, "agent.pid"), filepath.Join(dir, "agent.log")
	env := append(os.Environ(), envMain+"=1", "DAEMON="+exe, "CONFIG_FILE="+filepath.Join(dir, "ceilometer.conf"),
		"WORKERS=2", "PIDFILE="+pidfile, "LOGFILE="+logfile, "STOP_TIMEOUT=20", "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
	run := func(action string) (string, int) {
		cmd := exec.Command("sh", script, action)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	t.Cleanup(func() {
		if data, err := os.ReadFile(pidfile); err == nil {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(data))); pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			data, _ := os.ReadFile(logfile)
			t.Logf("agent log:\n%s", data)
		}
	})
	if out, code := run("start"); code != 0 {
		t.Fatalf("start: %d %s", code, out)
	}
	waitFile(t, logfile, "all workers ready", 1, 60*time.Second)
	data, _ := os.ReadFile(pidfile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if n := len(children(pid)); n != 2 {
		t.Errorf("WORKERS=2 started %d workers", n)
	}
	if out, code := run("status"); code != 0 || !strings.Contains(out, "is running") {
		t.Errorf("status: %d %s", code, out)
	}
	before := children(pid)
	if out, code := run("reload"); code != 0 {
		t.Fatalf("reload: %d %s", code, out)
	}
	waitFile(t, logfile, "generation ready", 1, 60*time.Second)
	// The previous generation drains, then exits: wait for exactly the two
	// new workers.
	var after []int
	deadline := time.Now().Add(30 * time.Second)
	for {
		after = children(pid)
		rolled := len(after) == 2
		for _, a := range after {
			for _, b := range before {
				if a == b {
					rolled = false
				}
			}
		}
		if rolled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reload did not roll the workers: before %v after %v", before, after)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, code := run("stop"); code != 0 {
		t.Fatalf("stop: %d %s", code, out)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("the agent (pid %d) still runs after stop", pid)
	}
	for _, c := range after {
		if syscall.Kill(c, 0) == nil {
			t.Errorf("worker %d still runs after stop", c)
		}
	}
	if out, code := run("status"); code != 3 {
		t.Errorf("status after stop: %d %s", code, out)
	}
}

// unitValues parses a systemd unit file into key → values.
func unitValues(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == ';' || l[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: bad line %q", path, l)
		}
		out[k] = append(out[k], v)
	}
	return out
}

// TestSystemdUnit parses contrib/systemd/agent-notification.service and runs its
// ExecStart line (binary and configuration swapped for the test's) under a fake
// NOTIFY_SOCKET, sending the unit's ReloadSignal and KillSignal: READY=1 after
// start, RELOADING=1 then READY=1 around the reload, WATCHDOG=1 keep-alives,
// STOPPING=1 and exit status 0 on stop.
func TestSystemdUnit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the agent against RabbitMQ")
	}
	u := unitValues(t, "../../contrib/systemd/agent-notification.service")
	for k, want := range map[string]string{"Type": "notify-reload", "KillMode": "mixed", "NotifyAccess": "main", "ReloadSignal": "SIGHUP", "KillSignal": "SIGTERM", "RestartPreventExitStatus": "3"} {
		if len(u[k]) != 1 || u[k][0] != want {
			t.Errorf("%s = %v, want %s", k, u[k], want)
		}
	}
	if len(u["WatchdogSec"]) != 1 || len(u["ExecStart"]) != 1 {
		t.Fatalf("WatchdogSec/ExecStart missing: %v", u)
	}
	args := strings.Fields(u["ExecStart"][0])
	if filepath.Base(args[0]) != Prog || len(args) != 3 || args[1] != "--config-file" {
		t.Fatalf("ExecStart = %q", u["ExecStart"][0])
	}

	amqpURL := rabbittest.VHost(t)
	dir := t.TempDir()
	writeAgentConfig(t, dir, amqpURL, 2, "'*'")
	sockPath := filepath.Join(dir, "notify.sock")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, args[1], filepath.Join(dir, "ceilometer.conf"))
	cmd.Env = append(os.Environ(), envMain+"=1", "NOTIFY_SOCKET="+sockPath, "WATCHDOG_USEC=400000")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("agent output:\n%s", logs.String())
		}
	})
	expect := func(want string, timeout time.Duration) {
		t.Helper()
		deadline := time.After(timeout)
		for {
			select {
			case m := <-msgs:
				if strings.Contains(m, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q datagram within %v", want, timeout)
			}
		}
	}
	expect("READY=1", 60*time.Second)
	expect("WATCHDOG=1", 5*time.Second)
	_ = cmd.Process.Signal(syscall.SIGHUP)
	expect("RELOADING=1", 10*time.Second)
	expect("READY=1", 60*time.Second)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	expect("STOPPING=1", 10*time.Second)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not stop")
	}
}
