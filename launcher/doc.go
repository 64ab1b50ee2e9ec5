// Package launcher supervises the notification agent's workers with oslo.service semantics:
// ServiceLauncher (workers=1: the service runs inside this process) and ProcessLauncher
// (workers>1: the parent re-executes its own binary once per worker).
//
// # Parent lifecycle (Run)
//
//  1. Install signal handling (TERM, INT, HUP, USR2; PIPE ignored) before anything else.
//  2. Load and validate the first Generation; workers <= 0 is refused with oslo's
//     "Number of workers should be positive!" before anything starts.
//  3. Start the workers ("Starting N workers"), each fork subject to oslo's fork-rate floor and
//     to the crash-loop back-off (ratelimit.go). Send READY=1 to systemd once every worker
//     reported ready.
//  4. Run one control loop until stopped: respawn any worker that exits (unless it reported a
//     fatal configuration error), reload on SIGHUP (daemon) — load and validate first, then either
//     roll the workers (start the new generation, wait until it is ready, drain the old one) or,
//     with restart_method=mutate, send the new snapshot to the running workers — and write a
//     diagnostics report on SIGUSR2.
//  5. SIGTERM, a foreground SIGHUP or ctx: STOPPING=1, send stop to every worker, wait for them
//     (event driven, no polling), SIGKILL stragglers at graceful_shutdown_timeout and return
//     ErrShutdownTimeout; a second SIGTERM or a SIGINT kills the children and returns at once.
//
// Parent state machine:
//
//	STARTING --all ready--> RUNNING --HUP, valid--> RELOADING --new generation ready--> RUNNING
//	                          |  \--HUP, invalid: log the error, keep serving
//	                          +--TERM / foreground HUP / ctx--> DRAINING --all exited--> return nil
//	                                                              \--deadline--> SIGKILL --> ErrShutdownTimeout
//	any state --INT or 2nd TERM--> SIGKILL children --> ErrInterrupted
//
// # Worker lifecycle (RunWorker), as seen by both sides
//
//	starting --ready()--> ready --stop / SIGTERM / lifeline EOF / ctx--> draining --Run returned--> exited
//	   |                    \--Run returned on its own: respawned by the parent (fatal: not respawned)
//	   +--not ready within ReadyTimeout: killed and respawned
//
// # Child protocol
//
// A worker is os.Executable() started with the parent's arguments and the sentinel environment
// variable AGENT_NOTIFICATION_WORKER (plus _WORKER_ID, _GENERATION, _LOG_LEVEL). It inherits:
//
//   - fd 3: the read end of its own lifeline pipe. The parent holds the write end and never
//     writes, so EOF means the parent is gone (whatever killed it): the worker logs
//     "Parent process has died unexpectedly, exiting", drains with the generation's deadline and
//     exits 1. Linux's parent-death signal is deliberately not used (golang/go#27505).
//   - fd 4: its end of a unix socketpair carrying newline-delimited JSON messages. Parent to
//     worker: snapshot (first), stop, reload (mutate), report, metrics. Worker to parent: ready,
//     heartbeat, fatal, reloaded, report_text, reload_request, metrics_report.
//   - fd 5: the parent's own stderr, used by the worker once its parent is gone.
//
// The worker's stderr is a pipe read by the parent, which re-emits every JSON log line through
// Named("worker").With("worker_id", n). The parent stops workers over the control channel, not
// with signals, so a process-group SIGTERM (systemd KillMode=control-group) cannot make a worker
// die mid-drain: a worker starts its graceful stop once and ignores later SIGTERMs.
//
// # Metrics endpoint
//
// With Generation.MetricsListen set, the parent serves /metrics, /healthz and /readyz for the
// whole tree (internal/metrics). The control loop owns the server: it binds it once the first
// generation is validated (before any worker starts, so /readyz answers 503 while they start),
// rebinds it when a reload changes the address (a failed bind is logged and keeps the previous
// one), keeps it during the drain (/readyz 503 "stopping") and closes it when Run returns.
//
// A scrape is the report/report_text pattern with a sequence number: the request goroutine asks
// the loop, which answers with its own families (reloads by result, restarts per worker id,
// workers configured and ready, generation) and sends {"type":"metrics","seq":N} to every child;
// each child answers {"type":"metrics_report","seq":N,"metrics":{…}} from a goroutine of its
// loop with its Service's MetricsReporter report (families, ready, reason). The request waits
// ScrapeTimeout (1 s) for the answers, then merges them adding worker=<id> (the old and the new
// worker of one id during a roll are summed) and sets agent_notification_worker_up to 0 for a
// worker of the current generation that did not answer or is not running. In single-process mode
// the request calls the in-process Service's MetricsReporter directly. /readyz is 200 only when
// every worker of the current generation is ready in the launcher's sense and reports ready (all
// listeners consuming); /healthz is 200 while the control loop answers within a second.
//
// # Exit codes and main
//
// Nothing here calls os.Exit: Run and RunWorker return errors and ExitCode maps them
// (ExitOK, ExitFailure, ExitFatalConfig). Run has already logged ErrInterrupted and
// ErrShutdownTimeout; any other returned error is main's to report. A main looks like:
//
//	s := launcher.Settings{Logger: root, Version: version, Load: load, Diff: diff, Service: svc}
//	var err error
//	if launcher.IsWorker() {
//		s.Logger = launcher.NewWorkerLogger("agent-notification") // JSON on stderr, read by the parent
//		err = launcher.RunWorker(context.Background(), s)
//	} else {
//		err = launcher.Run(context.Background(), s)
//	}
//	if err != nil && !errors.Is(err, launcher.ErrInterrupted) && !errors.Is(err, launcher.ErrShutdownTimeout) {
//		root.Error("agent-notification stopped", "error", err)
//	}
//	os.Exit(launcher.ExitCode(err))
//
// Load must read the same command line the parent was started with: workers are started with
// the parent's arguments, but they never call Load — they receive the parent's snapshot.
//
// # Operator notes
//
//   - systemd: Type=notify (or notify-reload), KillMode=mixed recommended; with the default
//     control-group mode workers still drain (repeated SIGTERMs are ignored). NotifyAccess=main
//     suffices: only the parent notifies. WatchdogSec= is honoured (WATCHDOG=1 every half period).
//   - graceful_shutdown_timeout=0 waits forever, as in oslo, also for a worker whose parent died.
//   - The fork-rate history is reset at each reload (cotyledon), so a new generation starts at once.
//
// # Goroutines
//
// The control loops (parent.run, child.run) own every goroutine they start (per worker: log
// forwarder, control reader, control writer, waiter; the service and Reload calls) through a
// sync.WaitGroup and wait for them before returning; producers hand events to the loop and give
// up once the loop's done channel is closed. The metrics server's Serve and asynchronous
// Shutdown goroutines are the parent loop's too; its request goroutines (net/http's) touch only
// channels and wait for the loop with a deadline, giving up once done is closed. Timers are loop-owned time.Timers (no sleeping, no
// polling). On the fast-exit paths (SIGINT, timeout of an in-process service that ignores its
// context) the wait is bounded (50 ms parent, 100 ms worker) and what remains ends with the
// process. There is one mutex (conn.mu, serialising writes on a control channel).
//
// # Deviations from oslo.service, on purpose
//
//   - Workers are stopped with a control-channel message, not SIGTERM; the whole tree is bounded
//     by graceful_shutdown_timeout (stragglers get SIGKILL); workers enforce the same deadline.
//   - Reload validates first, then rolls workers overlapping (new generation ready before the old
//     one drains); a broken configuration changes nothing. SIGHUPs are coalesced (ReloadDebounce).
//   - Respawn: oslo's fork-rate rule is a floor, plus per-slot exponential back-off (RespawnPolicy)
//     and the fatal exit code (ExitFatalConfig = 3) that is never respawned; all on the monotonic
//     clock. Only the launcher's own children are reaped (one Wait per child).
//   - READY=1 once all workers are ready (not at start); RELOADING/READY around every reload
//     request, STOPPING=1, WATCHDOG=1. The NOTIFY_SOCKET variables are kept from the workers only.
//   - Workers exec /proc/self/exe: a binary replaced on disk does not reach respawned workers.
package launcher
