package app

import (
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// The agent runs with DefaultGOGC unless the environment sets GOGC.
func TestTuneGC(t *testing.T) {
	if role := os.Getenv("TUNEGC_CHILD"); role != "" {
		tuneGC()
		os.Stdout.WriteString(strconv.Itoa(debug.SetGCPercent(100)))
		os.Exit(0)
	}
	for _, tc := range []struct {
		env  []string
		want int
	}{
		{nil, DefaultGOGC},
		{[]string{"GOGC=150"}, 150},
		{[]string{"GOGC=off"}, -1},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTuneGC$")
		cmd.Env = append(append(withoutGOGC(os.Environ()), "TUNEGC_CHILD=1"), tc.env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if got, _ := strconv.Atoi(strings.TrimSpace(string(out))); got != tc.want {
			t.Errorf("GOGC with %v: %s, want %d", tc.env, out, tc.want)
		}
	}
}

func withoutGOGC(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "GOGC=") {
			out = append(out, e)
		}
	}
	return out
}
