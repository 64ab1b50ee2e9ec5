package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the trivial client the benchmark
// starts as a child process.
func TestMain(m *testing.M) {
	var code int
	if childMain(&code) {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestSmoke runs the whole benchmark on a small load (500 notifications, one
// repetition, workers=1, the trivial client too) so that it cannot rot. It
// asserts correctness — every output Ceilometer 19 publishes for the load
// arrived, nothing more, the content matches, the input queues are drained,
// the agent exits 0 — and never speed.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("needs RabbitMQ and builds the agent")
	}
	addr := "127.0.0.1:5672"
	if a := os.Getenv("RABBITMQ_ADDR"); a != "" {
		addr = a
	}
	o, err := parseFlags([]string{"-n", "500", "-reps", "1", "-workers", "1", "-verify", "-linger", "1s", "-max-time", "4m", "-addr", addr})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	results, err := run(ctx, o, &out)
	t.Logf("benchmark output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, r := range results {
		kinds[r.kind] = true
		if (r.sampleMsgs != r.expSampleMsgs || r.eventMsgs != r.expEventMsgs || r.otherMsgs != 0) && len(r.problems) == 0 {
			t.Errorf("%s: captured %d/%d sample and %d/%d event messages, %d others, yet no problem reported",
				r.name(), r.sampleMsgs, r.expSampleMsgs, r.eventMsgs, r.expEventMsgs, r.otherMsgs)
		}
		for _, p := range r.problems {
			t.Errorf("%s: %s", r.name(), p)
		}
		if r.first <= 0 || r.wall < r.first || r.cpuDone <= 0 || r.peakTree <= 0 {
			t.Errorf("%s: implausible measurements: first %v, last %v, cpu %v, peak RSS %d", r.name(), r.first, r.wall, r.cpuDone, r.peakTree)
		}
	}
	if !kinds[kindAgent] || !kinds[kindTrivial] {
		t.Errorf("runs: %v, want the agent and the trivial client", kinds)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.n != 20000 || o.reps != 3 || len(o.workers) != 2 || !o.trivial || o.ceilometer {
		t.Errorf("defaults: %+v", o)
	}
	if _, err := parseFlags([]string{"-workers", "0"}); err == nil {
		t.Error("-workers 0 accepted")
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median = %v", m)
	}
	if m := median([]int64{4, 1, 2, 3}); m != 2 {
		t.Errorf("median = %v", m)
	}
}

// TestSampleTree checks the /proc sampler on this process and a child of it.
func TestSampleTree(t *testing.T) {
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	s := sampleTree(os.Getpid(), 0)
	if _, ok := s.pids[cmd.Process.Pid]; !ok {
		t.Errorf("the child %d is not in the tree %v", cmd.Process.Pid, s.pids)
	}
	if s.rss <= 0 || s.pids[os.Getpid()].rss <= 0 {
		t.Errorf("rss: tree %d, self %d", s.rss, s.pids[os.Getpid()].rss)
	}
	for i := 0; i < 2e7; i++ { // burn a little CPU
		_ = i * i
	}
	if s2 := sampleTree(os.Getpid(), 0); s2.cpu < s.cpu {
		t.Errorf("cpu went down: %d then %d", s.cpu, s2.cpu)
	}
}
