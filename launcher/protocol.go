package launcher

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openstack-go/agent-notification/internal/metrics"
)

// Descriptors a worker inherits (exec.Cmd.ExtraFiles order: fd 3, 4, 5).
const (
	fdLifeline  = 3 // read end of the lifeline pipe; the parent holds the write end and never writes
	fdControl   = 4 // this worker's end of the control socketpair (newline-delimited JSON)
	fdRawStderr = 5 // the parent's own stderr; the worker logs there once the parent is gone
)

// Environment of a worker process.
const (
	envWorker     = "AGENT_NOTIFICATION_WORKER" // sentinel; value must be workerCookie
	envWorkerID   = "AGENT_NOTIFICATION_WORKER_ID"
	envGeneration = "AGENT_NOTIFICATION_GENERATION"
	envLogLevel   = "AGENT_NOTIFICATION_LOG_LEVEL"
	// workerCookie is go-plugin's "magic cookie": it only tells a worker from a person who
	// copied an environment variable; it is not a secret.
	workerCookie = "7c0f8a4e-launcher-worker-v1"
)

// Control-channel message types.
const (
	// parent → worker
	msgSnapshot = "snapshot" // first message: generation, snapshot, config dump, log dir, timeout
	msgStop     = "stop"     // drain and exit 0 within Timeout
	msgReload   = "reload"   // mutate: apply Snapshot in place, answer msgReloaded
	msgReport   = "report"   // write a diagnostics report
	msgMetrics  = "metrics"  // Seq: answer msgMetricsReport with the same Seq
	// worker → parent
	msgReady         = "ready"
	msgHeartbeat     = "heartbeat"
	msgFatal         = "fatal"          // Reason: the service's fatal configuration error
	msgReloaded      = "reloaded"       // Error: "" on success
	msgReportText    = "report_text"    // Text: a report for the parent to write to its stderr
	msgReloadRequest = "reload_request" // the worker got a SIGHUP; the parent owns configuration
	msgMetricsReport = "metrics_report" // Seq, Metrics: the answer to msgMetrics
)

// message is one control-channel message. Fields unused by a type are omitted.
type message struct {
	Type       string          `json:"type"`
	Generation int             `json:"generation,omitempty"`
	Snapshot   []byte          `json:"snapshot,omitempty"`
	ConfigDump string          `json:"config_dump,omitempty"`
	LogDir     string          `json:"log_dir,omitempty"`
	Timeout    time.Duration   `json:"timeout,omitempty"` // graceful deadline; 0 = none
	Reason     string          `json:"reason,omitempty"`
	Error      string          `json:"error,omitempty"`
	Text       string          `json:"text,omitempty"`
	Seq        uint64          `json:"seq,omitempty"`     // msgMetrics / msgMetricsReport
	Metrics    *metrics.Report `json:"metrics,omitempty"` // msgMetricsReport
}

// conn is one end of the control channel. send may be called from any goroutine; recv from one.
type conn struct {
	f   *os.File
	dec *json.Decoder
	mu  sync.Mutex // serialises send
	enc *json.Encoder
}

func newConn(f *os.File) *conn {
	return &conn{f: f, dec: json.NewDecoder(f), enc: json.NewEncoder(f)}
}

func (c *conn) send(m message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enc.Encode(m)
}

// recv returns the next message, or io.EOF once the peer closed its end.
func (c *conn) recv() (message, error) {
	var m message
	err := c.dec.Decode(&m)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return m, err
}

func (c *conn) close() error { return c.f.Close() }

// socketPair returns two connected, close-on-exec unix stream sockets: the parent's end
// (non-blocking, served by the runtime poller) and the worker's end (to pass as ExtraFiles).
func socketPair() (parentEnd, workerEnd *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	if err := syscall.SetNonblock(fds[0], true); err != nil {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "control"), os.NewFile(uintptr(fds[1]), "control-worker"), nil
}

// inheritedFile opens an inherited descriptor as a pollable *os.File, or fails if the
// descriptor is not open or not of the expected type (syscall.S_IFIFO, syscall.S_IFSOCK).
func inheritedFile(fd int, name string, mode uint32) (*os.File, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != mode {
		// Not inherited: a process started by hand has nothing there, or the Go runtime's own
		// descriptors (epoll, eventfd).
		return nil, fmt.Errorf("fd %d (%s): %w", fd, name, errNoFD)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, fmt.Errorf("fd %d (%s): %w", fd, name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// workerEnv returns the environment of a worker: the parent's, minus what belongs to the parent
// alone (systemd's notify/watchdog/socket-activation variables, stale launcher variables), plus
// the sentinel and identity variables.
func workerEnv(parent []string, id, generation int, level string) []string {
	env := make([]string, 0, len(parent)+4)
	for _, kv := range parent {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "NOTIFY_SOCKET", k == "WATCHDOG_USEC", k == "WATCHDOG_PID", strings.HasPrefix(k, "LISTEN_"),
			k == envWorker, k == envWorkerID, k == envGeneration, k == envLogLevel:
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		envWorker+"="+workerCookie,
		fmt.Sprintf("%s=%d", envWorkerID, id),
		fmt.Sprintf("%s=%d", envGeneration, generation),
		envLogLevel+"="+level,
	)
}
