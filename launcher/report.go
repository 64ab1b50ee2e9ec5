package launcher

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// reportProcess is one line of the report's Processes section.
type reportProcess struct {
	Pid, PPid  int
	WorkerID   int
	Generation int
	State      string
	Started    time.Time
	Heartbeat  time.Time // zero = none yet
}

// reportInput is everything a diagnostics report shows besides goroutine stacks.
type reportInput struct {
	Name, Version string
	Role          string // "parent", "worker" or "service"
	Self          reportProcess
	Workers       []reportProcess // parent only
	ConfigDump    string          // already masked by the caller
	Now           time.Time
}

const reportRule = "========================================================================"

func reportSection(b *strings.Builder, title string) {
	fmt.Fprintf(b, "%s\n%s\n%s\n", reportRule, centre(title, len(reportRule)), reportRule)
}

func centre(s string, w int) string {
	if len(s) >= w {
		return s
	}
	return strings.Repeat(" ", (w-len(s))/2) + s
}

// buildReport renders an oslo Guru Meditation Report style document: Package, Goroutines (all
// stacks), Processes and Configuration.
func buildReport(in reportInput) string {
	var b strings.Builder
	reportSection(&b, "Guru Meditation")
	reportSection(&b, "Package")
	goVersion, module := runtime.Version(), ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		module = bi.Main.Path
	}
	fmt.Fprintf(&b, "product = %s\nvendor = OpenStack\nversion = %s\nmodule = %s\ngo = %s\n",
		in.Name, in.Version, module, goVersion)
	fmt.Fprintf(&b, "time = %s\n\n", in.Now.UTC().Format(time.RFC3339Nano))

	reportSection(&b, "Goroutines")
	b.Write(allStacks())
	b.WriteString("\n")

	reportSection(&b, "Processes")
	fmt.Fprintf(&b, "Process %d (under %d) [ role: %s, state: %s ]\n", in.Self.Pid, in.Self.PPid, in.Role, in.Self.State)
	for _, w := range in.Workers {
		hb := "never"
		if !w.Heartbeat.IsZero() {
			hb = in.Now.Sub(w.Heartbeat).Round(time.Millisecond).String() + " ago"
		}
		fmt.Fprintf(&b, "    Process %d (under %d) [ worker_id: %d, generation: %d, state: %s, uptime: %s, last heartbeat: %s ]\n",
			w.Pid, w.PPid, w.WorkerID, w.Generation, w.State, in.Now.Sub(w.Started).Round(time.Millisecond), hb)
	}
	b.WriteString("\n")

	reportSection(&b, "Configuration")
	b.WriteString(in.ConfigDump)
	if !strings.HasSuffix(in.ConfigDump, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

func allStacks() []byte {
	buf := make([]byte, 64*1024)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// writeReport writes text to <logDir>/<name>_gurumeditation_<UTC ts>_<pid> (sub-second timestamp
// plus pid, so parent and worker reports never overwrite each other), or to w when logDir is "".
// It returns the file name ("" for w).
func writeReport(text, logDir, name string, pid int, now time.Time, w io.Writer) (string, error) {
	if logDir == "" {
		_, err := io.WriteString(w, text)
		return "", err
	}
	path := filepath.Join(logDir, fmt.Sprintf("%s_gurumeditation_%s_%d", name, now.UTC().Format("20060102150405.000000"), pid))
	if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
		return "", fmt.Errorf("Unable to dump Guru Meditation Report to file %s: %w", path, err)
	}
	return path, nil
}
