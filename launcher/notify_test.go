package launcher

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type datagram struct {
	at   time.Time
	pid  int32
	text string
}

// fakeNotifySocket is a unixgram NOTIFY_SOCKET that records every datagram with its sender's pid
// (SO_PASSCRED).
func fakeNotifySocket(t *testing.T) (path string, got func() []datagram) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path = filepath.Join(dir, "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1) })
	var (
		mu   = make(chan struct{}, 1)
		all  []datagram
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		buf, oob := make([]byte, 4096), make([]byte, 1024)
		for {
			n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
			if err != nil {
				return
			}
			d := datagram{at: time.Now(), text: string(buf[:n]), pid: -1}
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					if cred, err := unix.ParseUnixCredentials(&m); err == nil {
						d.pid = cred.Pid
					}
				}
			}
			mu <- struct{}{}
			all = append(all, d)
			<-mu
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return path, func() []datagram {
		mu <- struct{}{}
		defer func() { <-mu }()
		return append([]datagram(nil), all...)
	}
}

func nonWatchdog(ds []datagram) []datagram {
	var out []datagram
	for _, d := range ds {
		if d.text != "WATCHDOG=1" {
			out = append(out, d)
		}
	}
	return out
}

// Assertion 13: systemd notification protocol.
func TestSystemdNotify(t *testing.T) {
	sock, got := fakeNotifySocket(t)
	cfg := testConfig{Workers: 2, Value: "a", ReadyDelay: "400ms", StopDelay: "200ms", GracefulTimeout: "10s"}
	tr := startTree(t, cfg, "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=2000000")
	tr.waitReady(2, 10*time.Second)
	if !waitFor(2*time.Second, func() bool { return len(nonWatchdog(got())) >= 1 }) {
		t.Fatal("no READY=1")
	}
	first := nonWatchdog(got())[0]
	if first.text != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", first.text)
	}
	for _, ev := range tr.eventsNamed("ready") {
		if first.at.Before(ev.at) {
			t.Fatalf("READY=1 at %s before worker %d was ready at %s", first.at, ev.pid, ev.at)
		}
	}

	cfg.Value = "b"
	tr.writeConfig(cfg)
	tr.signal(syscall.SIGHUP)
	if !waitFor(10*time.Second, func() bool { return len(nonWatchdog(got())) >= 3 }) {
		t.Fatalf("reload not notified: %+v", nonWatchdog(got()))
	}
	time.Sleep(3 * time.Second) // watchdog cadence sample, also covers the old generation draining
	tr.signal(syscall.SIGTERM)
	if code := tr.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	time.Sleep(50 * time.Millisecond)
	all := got()
	seq := nonWatchdog(all)
	if len(seq) != 4 {
		t.Fatalf("notifications %q, want READY, RELOADING, READY, STOPPING", texts(seq))
	}
	reloading := strings.Split(seq[1].text, "\n")
	if len(reloading) != 2 || reloading[0] != "RELOADING=1" || !strings.HasPrefix(reloading[1], "MONOTONIC_USEC=") {
		t.Fatalf("reload datagram %q, want RELOADING=1 and MONOTONIC_USEC in one datagram", seq[1].text)
	}
	if seq[2].text != "READY=1" || seq[3].text != "STOPPING=1" {
		t.Fatalf("notifications %q", texts(seq))
	}
	for _, ev := range eventsWith(tr.events(), "ready", "b") {
		if seq[2].at.Before(ev.at) {
			t.Fatal("READY=1 after reload sent before the new generation was ready")
		}
	}
	// Only the parent talks to the socket.
	for _, d := range all {
		if int(d.pid) != tr.pid {
			t.Fatalf("datagram %q from pid %d, want only the launcher (%d)", d.text, d.pid, tr.pid)
		}
	}
	// WATCHDOG=1 every WATCHDOG_USEC/2 = 1 s; systemd only needs one within WATCHDOG_USEC.
	var dogs []time.Time
	for _, d := range all {
		if d.text == "WATCHDOG=1" {
			dogs = append(dogs, d.at)
		}
	}
	if len(dogs) < 3 {
		t.Fatalf("%d watchdog pings", len(dogs))
	}
	var worst time.Duration
	for i := 1; i < len(dogs); i++ {
		worst = max(worst, dogs[i].Sub(dogs[i-1]))
	}
	t.Logf("%d watchdog pings, largest gap %s (interval 1s)", len(dogs), worst.Round(time.Millisecond))
	if worst > 2*time.Second || worst < 900*time.Millisecond {
		t.Fatalf("largest watchdog gap %s, want about WATCHDOG_USEC/2 and at most WATCHDOG_USEC", worst)
	}
}

func texts(ds []datagram) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.text)
	}
	return out
}
