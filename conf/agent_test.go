package conf

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentGroup covers [agent_notification], the agent's own option group:
// off by default, registered (no unknown-option warning, shown in the dump),
// and a bad address is an error naming file:line.
func TestAgentGroup(t *testing.T) {
	if c := mustLoad(t, "--config-file", referenceConf); c.Agent.MetricsListen != "" {
		t.Errorf("default metrics_listen = %q, want off", c.Agent.MetricsListen)
	}
	dir := writeFiles(t, map[string]string{"a.conf": "[agent_notification]\nmetrics_listen = 127.0.0.1:9465\n"})
	c := mustLoad(t, "--config-file", filepath.Join(dir, "a.conf"))
	if c.Agent.MetricsListen != "127.0.0.1:9465" {
		t.Errorf("metrics_listen = %q", c.Agent.MetricsListen)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings for a registered option: %v", c.Warnings)
	}
	if dump := strings.Join(c.Dump(), "\n"); !strings.Contains(dump, "agent_notification.metrics_listen = 127.0.0.1:9465") {
		t.Errorf("dump lacks the option:\n%s", dump)
	}

	dir = writeFiles(t, map[string]string{"a.conf": "[agent_notification]\nmetrics_whatever = 1\n"})
	c = mustLoad(t, "--config-file", filepath.Join(dir, "a.conf"))
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "metrics_whatever") {
		t.Errorf("unknown option in the group: warnings %v", c.Warnings)
	}

	for _, bad := range []string{"9465", "127.0.0.1:http", "127.0.0.1:70000", "[::1"} {
		dir = writeFiles(t, map[string]string{"a.conf": "[DEFAULT]\n\n[agent_notification]\nmetrics_listen = " + bad + "\n"})
		_, err := load(t, "--config-file", filepath.Join(dir, "a.conf"))
		if err == nil || !strings.Contains(err.Error(), "a.conf:4") || !strings.Contains(err.Error(), "[agent_notification] metrics_listen") {
			t.Errorf("metrics_listen = %s: error %v", bad, err)
		}
	}
	for _, good := range []string{"", ":9465", "[::1]:0", "localhost:9465"} {
		dir = writeFiles(t, map[string]string{"a.conf": "[agent_notification]\nmetrics_listen = " + good + "\n"})
		if _, err := load(t, "--config-file", filepath.Join(dir, "a.conf")); err != nil {
			t.Errorf("metrics_listen = %s: %v", good, err)
		}
	}
}
