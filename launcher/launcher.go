package launcher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openstack-go/agent-notification/internal/metrics"
)

// Restart methods accepted in Generation.RestartMethod (oslo.service's restart_method).
const (
	RestartMethodReload = "reload" // roll the workers: start the new generation, then drain the old one
	RestartMethodMutate = "mutate" // keep the workers; send them the new snapshot (Reloader)
)

// Exit codes for main (style rule 2: nothing but main exits). ExitCode maps an error returned by Run
// or RunWorker to one of these.
const (
	ExitOK          = 0 // graceful stop completed
	ExitFailure     = 1 // SIGINT, parent death, shutdown timeout, start failure, any other error
	ExitFatalConfig = 3 // the configuration can never work: do not respawn (gunicorn's boot-error code)
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrFatalConfig marks a configuration problem that a respawn cannot cure. A Service returns an
	// error wrapping it; the worker then exits with ExitFatalConfig and the parent does not respawn it.
	ErrFatalConfig = errors.New("launcher: fatal configuration error")
	// ErrInvalidWorkers is returned by Run before anything starts when workers <= 0.
	ErrInvalidWorkers = errors.New("Number of workers should be positive!")
	// ErrInterrupted is returned after SIGINT (oslo: instantaneous exit, status 1).
	ErrInterrupted = errors.New("launcher: interrupted")
	// ErrShutdownTimeout is returned when graceful_shutdown_timeout expired and stragglers were killed.
	ErrShutdownTimeout = errors.New("launcher: graceful shutdown timeout exceeded")
	// ErrParentDied is returned by RunWorker after the lifeline pipe reported the parent's death.
	ErrParentDied = errors.New("launcher: parent process has died unexpectedly")
	// ErrNotManaged is returned by RunWorker when the process was not started by a launcher.
	ErrNotManaged = errors.New("launcher: this process is a worker and must be started by its launcher")
)

// ExitCode maps an error returned by Run or RunWorker to a process exit status.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrFatalConfig), errors.Is(err, ErrInvalidWorkers):
		return ExitFatalConfig
	default:
		return ExitFailure
	}
}

// Generation is one validated configuration. The parent produces it with Settings.Load; every
// worker of that generation receives the same Snapshot bytes, so siblings never run different
// configurations.
type Generation struct {
	Workers                 int           // number of workers; 1 = service in-process, >1 = re-exec'd children
	GracefulShutdownTimeout time.Duration // bound for the whole tree on stop; 0 = wait forever (oslo)
	RestartMethod           string        // RestartMethodReload (default when "") or RestartMethodMutate
	LogDir                  string        // directory of diagnostics reports; "" = stderr
	Snapshot                []byte        // opaque to the launcher; handed to Service.Run / Reloader.Reload
	ConfigDump              string        // masked option dump for the diagnostics report
	// MetricsListen is the host:port of the metrics endpoint (/metrics, /healthz,
	// /readyz) served by the parent for the whole tree; "" = none. A reload with
	// another address rebinds it.
	MetricsListen string
}

// Service is what a worker runs: in the parent process when workers=1, in each child otherwise.
type Service interface {
	// Run starts the service from snapshot, calls ready() once it consumes, and returns when ctx
	// is cancelled and it has drained. It is called once per process (per generation in
	// single-process mode, where an old and a new generation may briefly run side by side).
	// ready may be called from any goroutine; calls after the first are ignored. A returned
	// error for which errors.Is(err, ErrFatalConfig) holds means "do not respawn".
	Run(ctx context.Context, snapshot []byte, ready func()) error
}

// Reloader is the optional ability of a Service to apply a new generation in place
// (restart_method=mutate). Reload is called from the worker's control loop, never concurrently
// with itself, while Run is running. An error leaves the previous configuration in effect.
type Reloader interface {
	Reload(ctx context.Context, snapshot []byte) error
}

// MetricsReporter is the optional ability of a Service to report its metrics and
// readiness for the metrics endpoint (Generation.MetricsListen). Metrics may be
// called from any goroutine, concurrently with Run and Reload, before Run started
// and after it returned; it must be cheap and must not block. The parent adds the
// label worker=<id> to every series.
type MetricsReporter interface {
	Metrics() metrics.Report
}

// Settings is everything Run and RunWorker need. The launcher imports no service or conf code:
// the caller wires these seams in main.
type Settings struct {
	Logger  hclog.Logger // root logger; the launcher uses Named("launcher") and Named("worker")
	Name    string       // service name for reports; default: base name of the executable
	Version string       // reported in the diagnostics report's Package section

	// Load reads and validates the complete configuration. It is called once at start and again
	// on every (coalesced) SIGHUP, always from the parent's control loop. Its error should name
	// file:line; it is logged as is.
	Load func() (*Generation, error)
	// Diff returns the masked change lines between two generations (logged on mutate). May be nil.
	Diff func(old, new *Generation) []string

	Service Service

	// ReadyTimeout bounds the time a worker may take to report ready; it is killed (and
	// respawned) after that. Default 60 s.
	ReadyTimeout time.Duration
	// HeartbeatInterval is the period of worker heartbeats. Default 5 s.
	HeartbeatInterval time.Duration
	// ReloadDebounce coalesces SIGHUPs arriving within this window into one reload. Default 100 ms.
	ReloadDebounce time.Duration
	// Respawn is the crash-loop back-off applied above oslo's fork-rate floor. Zero value = defaults.
	Respawn RespawnPolicy
	// ReportWorkers makes a SIGUSR2 to the parent also ask every worker for its own report.
	ReportWorkers bool

	os *osEnv // OS seams (style rule 15); nil = the real OS
}

func (s *Settings) setDefaults() error {
	if s.Load == nil {
		return errors.New("launcher: Settings.Load is nil")
	}
	if s.Service == nil {
		return errors.New("launcher: Settings.Service is nil")
	}
	if s.Logger == nil {
		s.Logger = hclog.NewNullLogger()
	}
	if s.ReadyTimeout <= 0 {
		s.ReadyTimeout = 60 * time.Second
	}
	if s.HeartbeatInterval <= 0 {
		s.HeartbeatInterval = 5 * time.Second
	}
	if s.ReloadDebounce <= 0 {
		s.ReloadDebounce = 100 * time.Millisecond
	}
	s.Respawn = s.Respawn.withDefaults()
	if s.os == nil {
		s.os = realEnv()
	}
	if s.Name == "" {
		s.Name = s.os.progName()
	}
	return nil
}

// validate checks a generation the way oslo's launch() does, and normalises RestartMethod.
func validate(g *Generation) error {
	if g == nil {
		return errors.New("launcher: Load returned no generation")
	}
	if g.Workers <= 0 {
		return ErrInvalidWorkers
	}
	switch g.RestartMethod {
	case "":
		g.RestartMethod = RestartMethodReload
	case RestartMethodReload, RestartMethodMutate:
	default:
		return fmt.Errorf("%w: Invalid restart_method: %s", ErrFatalConfig, g.RestartMethod)
	}
	if g.GracefulShutdownTimeout < 0 {
		return fmt.Errorf("%w: graceful_shutdown_timeout must not be negative", ErrFatalConfig)
	}
	return nil
}

// Run is the parent's entry point (oslo's launch + wait). It installs signal handling first,
// loads and validates the first generation, then runs the service in-process (workers=1,
// ServiceLauncher) or supervises re-exec'd workers (workers>1, ProcessLauncher) until a signal,
// ctx or an unrecoverable condition stops it. It returns nil after a completed graceful stop.
func Run(ctx context.Context, s Settings) error {
	if err := s.setDefaults(); err != nil {
		return err
	}
	p := newParent(&s)
	return p.run(ctx)
}
