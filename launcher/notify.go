package launcher

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// notifier speaks the systemd notification protocol (sd_notify). Only the parent uses it: the
// variables are removed from every worker's environment. A nil *notifier is a no-op.
type notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration // WATCHDOG_USEC/2, 0 = no watchdog
}

// newNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. It returns nil when there is
// no socket.
func newNotifier(getenv func(string) string, pid int) *notifier {
	path := getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' { // abstract namespace
		path = "\x00" + path[1:]
	}
	n := &notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
	if us, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64); err == nil && us > 0 {
		if wp := getenv("WATCHDOG_PID"); wp == "" || wp == strconv.Itoa(pid) {
			n.watchdog = time.Duration(us) * time.Microsecond / 2
		}
	}
	return n
}

// send writes one datagram. Errors are returned for the caller to log at debug level
// ("Systemd notification failed"): notification is best effort.
func (n *notifier) send(state string) error {
	if n == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

const (
	sdReady    = "READY=1"
	sdStopping = "STOPPING=1"
	sdWatchdog = "WATCHDOG=1"
)

// sdReloading is RELOADING=1 with MONOTONIC_USEC in the same datagram (Type=notify-reload).
func sdReloading() string {
	return fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", monotonicUsec())
}
