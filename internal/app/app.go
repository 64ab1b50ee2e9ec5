// Package app is the command line of agent-notification and worker: the
// subcommands (run — the default —, check-config, notify) and the wiring of
// configuration, logging, launcher and service. The mains only call Main.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/launcher"
	"github.com/openstack-go/agent-notification/service"
)

// Exit codes besides the launcher's (launcher.ExitOK, ExitFailure, ExitFatalConfig).
const (
	ExitUsage = 2 // bad command line
)

// Prog is the program name used for the default configuration search path
// (/etc/ceilometer/<prog>.conf) and in logs.
const Prog = "agent-notification"

const usage = `usage: %s [COMMAND] [--config-file PATH]... [--config-dir DIR]... [options]

Consumes OpenStack notifications from RabbitMQ, turns them into samples and events
with Ceilometer's meter and event definitions and publishes them through the
pipelines of pipeline.yaml and event_pipeline.yaml — a drop-in replacement for
ceilometer-agent-notification that reads the same ceilometer.conf.

commands:
  run            run the agent (default): [notification] workers processes,
                 SIGHUP reloads, SIGTERM stops gracefully, SIGUSR2 reports
  check-config   validate ceilometer.conf and every file it references; print
                 every error with file:line (exit 0 valid, 3 invalid, 2 usage)
  notify         send test notifications to the broker the way OpenStack
                 services do (see notify --help)
  replay FILE    run the notifications of a JSON-lines file through the
                 definitions and pipelines, without a broker, and print what
                 each publisher would receive (see replay --help)

options (oslo.config / oslo.log):
  --config-file PATH    read PATH; repeatable, later files override earlier ones
                        (default: /etc/ceilometer/ceilometer.conf …)
  --config-dir DIR      read DIR/*.conf in sorted order; repeatable
  -d, --debug           log at DEBUG level (and the effective configuration)
  --log-file PATH, --log-dir DIR, --use-stderr, --use-json, and their --noX forms
  --version, -h/--help
`

// Main runs the command line args (args[0] is the program) and returns the exit
// status. It is the whole of main for agent-notification.
func Main(args []string, stdout, stderr io.Writer, version string) int {
	tuneGC()
	argv := args[1:]
	// The subcommand is the first positional argument.
	cmd := "run"
	rest := argv
	if len(argv) > 0 && !strings.HasPrefix(argv[0], "-") {
		cmd, rest = argv[0], argv[1:]
	}
	if launcher.IsWorker() {
		return runWorker(version)
	}
	switch cmd {
	case "run":
		return runAgent(rest, stdout, stderr, version)
	case "check-config":
		return checkConfig(rest, stdout, stderr)
	case "notify":
		return notify(rest, stdout, stderr)
	case "replay":
		return replay(rest, stdout, stderr)
	case "help":
		fmt.Fprintf(stdout, usage, Prog)
		return launcher.ExitOK
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q\n", Prog, cmd)
		fmt.Fprintf(stderr, usage, Prog)
		return ExitUsage
	}
}

// parseCommon handles --help/--version and positional leftovers.
func parseCommon(argv []string, stdout, stderr io.Writer, version string) (*conf.Args, int, bool) {
	a, err := conf.ParseArgs(argv)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", Prog, err)
		return nil, ExitUsage, false
	}
	if a.Help {
		fmt.Fprintf(stdout, usage, Prog)
		return nil, launcher.ExitOK, false
	}
	if a.Version {
		fmt.Fprintln(stdout, version)
		return nil, launcher.ExitOK, false
	}
	if len(a.Positional) > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments: %s\n", Prog, strings.Join(a.Positional, " "))
		return nil, ExitUsage, false
	}
	return a, 0, true
}

// runAgent is the daemon: load and validate everything, set up logging, hand over
// to the launcher.
func runAgent(argv []string, stdout, stderr io.Writer, version string) int {
	if _, code, ok := parseCommon(argv, stdout, stderr, version); !ok {
		return code
	}
	first, err := service.Load(Prog, argv, conf.NewBundle(nil))
	if err != nil {
		fmt.Fprintf(stderr, "%s: invalid configuration:\n%v\n", Prog, err)
		return launcher.ExitFatalConfig
	}
	logger, closer, err := conf.NewLogger(first.Config.Log, Prog, stderr, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "%s: logging: %v\n", Prog, err)
		return launcher.ExitFatalConfig
	}
	defer closer.Close()
	first.Config.LogEffective(logger)
	for _, w := range first.Warnings[len(first.Config.Warnings):] {
		logger.Warn(w)
	}

	svc := &service.Service{Logger: logger.Named("service"), OneCPU: true}
	settings := launcher.Settings{
		Logger:        logger,
		Name:          Prog,
		Version:       version,
		Service:       svc,
		ReportWorkers: true,
		Load: func() (*launcher.Generation, error) {
			g := first
			if g == nil {
				var err error
				if g, err = service.Load(Prog, argv, conf.NewBundle(nil)); err != nil {
					return nil, err
				}
				for _, w := range g.Warnings {
					logger.Warn(w)
				}
			}
			first = nil
			return service.LauncherGeneration(g)
		},
		Diff: service.DiffGenerations,
	}
	ctx := context.Background()
	err = launcher.Run(ctx, settings)
	if err != nil && !errors.Is(err, launcher.ErrInterrupted) {
		logger.Error("agent stopped", "error", err)
	}
	return launcher.ExitCode(err)
}

// runWorker is a child started by the launcher.
func runWorker(version string) int {
	logger := launcher.NewWorkerLogger(Prog)
	conf.RedirectStdLog(logger)
	err := launcher.RunWorker(context.Background(), launcher.Settings{
		Logger:  logger,
		Name:    Prog,
		Version: version,
		Service: &service.Service{Logger: logger.Named("service"), OneCPU: true},
	})
	if errors.Is(err, launcher.ErrNotManaged) {
		// Started by hand: say how to run it properly.
		fmt.Fprintf(os.Stderr, "%s: %v\n", Prog, err)
	} else if err != nil && !errors.Is(err, launcher.ErrInterrupted) {
		logger.Error("worker stopped", "error", err)
	}
	return launcher.ExitCode(err)
}

// RunForeground runs exactly one worker service in this process without
// supervision (cmd/worker): same flags, same code path as a child, stops on
// SIGTERM/SIGINT.
func RunForeground(args []string, stdout, stderr io.Writer, version string) int {
	tuneGC()
	argv := args[1:]
	if _, code, ok := parseCommon(argv, stdout, stderr, version); !ok {
		return code
	}
	g, err := service.Load(Prog, argv, conf.NewBundle(nil))
	if err != nil {
		fmt.Fprintf(stderr, "%s: invalid configuration:\n%v\n", Prog, err)
		return launcher.ExitFatalConfig
	}
	logger, closer, err := conf.NewLogger(g.Config.Log, Prog, stderr, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "%s: logging: %v\n", Prog, err)
		return launcher.ExitFatalConfig
	}
	defer closer.Close()
	g.Config.LogEffective(logger)
	snap, err := g.Snapshot()
	if err != nil {
		logger.Error("snapshot", "error", err)
		return launcher.ExitFailure
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	svc := &service.Service{Logger: logger.Named("service"), OneCPU: true}
	err = svc.Run(ctx, snap, func() { logger.Info("worker ready") })
	if err != nil {
		logger.Error("worker stopped", "error", err)
	}
	return launcher.ExitCode(err)
}

// checkConfig validates the whole configuration and prints every problem.
func checkConfig(argv []string, stdout, stderr io.Writer) int {
	if _, code, ok := parseCommon(argv, stdout, stderr, ""); !ok {
		return code
	}
	g, err := service.Load(Prog, argv, conf.NewBundle(nil))
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return launcher.ExitFatalConfig
	}
	for _, w := range g.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	files := append(append([]string{}, g.Config.ConfigFiles...), g.Files...)
	fmt.Fprintf(stdout, "configuration is valid: %s\n", strings.Join(files, ", "))
	return launcher.ExitOK
}

// DefaultGOGC is the garbage collector's target the agent runs with unless the
// environment sets GOGC. It was 75 while the agent allocated more per
// notification (Go's 100 then meant 26-27 MB peak resident memory per worker
// against 24 MB, for 1-2 % less CPU). Once the hot path allocated a third
// less, 100 measured (A/B, 3-4 pairs) -6 % CPU per notification at workers=1
// and -13 % at workers=2, for 23-24 MB per worker draining 100,000
// notifications against 21-22 MB at 75: it is Go's default again, set here
// so that the choice stays explicit. GOGC and GOMEMLIMIT in the environment
// are honoured as for any Go program.
const DefaultGOGC = 100

func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(DefaultGOGC)
	}
}
