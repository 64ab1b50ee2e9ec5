package launcher

import (
	"bufio"
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// forwardLogs reads a worker's stderr line by line until EOF and re-emits every line through
// log (already Named("worker").With("worker_id", n)), as go-plugin does. JSON lines written by an
// hclog JSON logger keep their level, message and key/value pairs; any other line (a panic
// trace, a library printing to stderr) is logged at info as is.
func forwardLogs(r io.Reader, log hclog.Logger) {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			forwardLine(line, log)
		}
		if err != nil {
			return
		}
	}
}

func forwardLine(line string, log hclog.Logger) {
	var entry map[string]any
	if line[0] != '{' || json.Unmarshal([]byte(line), &entry) != nil {
		log.Info(line)
		return
	}
	level := hclog.Info
	if l, ok := entry["@level"].(string); ok {
		if lv := hclog.LevelFromString(l); lv != hclog.NoLevel {
			level = lv
		}
	}
	msg, _ := entry["@message"].(string)
	keys := make([]string, 0, len(entry))
	for k := range entry {
		if !strings.HasPrefix(k, "@") && k != "worker_id" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	args := make([]any, 0, 2*len(keys)+2)
	if m, ok := entry["@module"].(string); ok && m != "" {
		args = append(args, "worker_module", m)
	}
	for _, k := range keys {
		args = append(args, k, entry[k])
	}
	log.Log(level, msg, args...)
}
