package service

import (
	"strings"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/launcher"
)

// LauncherGeneration converts a validated generation into what the launcher
// supervises: the worker count and timeouts, and the snapshot handed to workers.
func LauncherGeneration(g *Generation) (*launcher.Generation, error) {
	snap, err := g.Snapshot()
	if err != nil {
		return nil, err
	}
	logDir := g.Config.ReportsLogDir
	if logDir == "" {
		logDir = g.Config.Log.Dir
	}
	return &launcher.Generation{
		Workers:                 g.Config.Notification.Workers,
		GracefulShutdownTimeout: g.Config.GracefulShutdownTimeout,
		RestartMethod:           g.Config.RestartMethod,
		LogDir:                  logDir,
		Snapshot:                snap,
		ConfigDump:              strings.Join(g.Config.Dump(), "\n"),
		MetricsListen:           g.Config.Agent.MetricsListen,
	}, nil
}

// DiffGenerations returns the masked change lines between two generations'
// configurations (for restart_method = mutate): changed mutable options, then
// the immutable ones, which need a restart (reload) to take effect.
func DiffGenerations(old, cur *launcher.Generation) []string {
	a, err1 := FromSnapshot(old.Snapshot)
	b, err2 := FromSnapshot(cur.Snapshot)
	if err1 != nil || err2 != nil {
		return nil
	}
	mut, imm := conf.Diff(a.Config, b.Config)
	for i, l := range imm {
		imm[i] = l + " (not mutable: takes effect with restart_method = reload)"
	}
	return append(mut, imm...)
}
