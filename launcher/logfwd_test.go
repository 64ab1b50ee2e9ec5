package launcher

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestForwardLogs(t *testing.T) {
	var out bytes.Buffer
	root := hclog.New(&hclog.LoggerOptions{Name: "agent", Level: hclog.Debug, JSONFormat: true, Output: &out})
	in := strings.Join([]string{
		`{"@level":"warn","@message":"queue gone","@module":"agent.listener","@timestamp":"x","queue":"notifications.info","worker_id":9}`,
		`panic: boom`,
		`{"@level":"trace","@message":"too chatty"}`,
		``,
	}, "\n")
	forwardLogs(strings.NewReader(in), root.Named("worker").With("worker_id", 2))

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (trace filtered), got %v", lines)
	}
	want := map[string]any{"@level": "warn", "@message": "queue gone", "@module": "agent.worker",
		"queue": "notifications.info", "worker_id": float64(2), "worker_module": "agent.listener"}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("%s = %v, want %v", k, lines[0][k], v)
		}
	}
	if lines[1]["@message"] != "panic: boom" || lines[1]["@level"] != "info" {
		t.Errorf("plain line forwarded as %v", lines[1])
	}
}
