package metrics

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// sampleSet is a parent merging two workers, with labels that need escaping.
func sampleSet(t *testing.T) []Family {
	t.Helper()
	var worker Set
	worker.Counter("agent_notification_notifications_received_total", "Notifications delivered by the broker.").Add(7)
	rej := worker.Counter("agent_notification_notifications_rejected_total", "Rejected, by reason.")
	rej.Add(2, "reason", "invalid_json")
	rej.Add(0, "reason", "too_large")
	worker.MaxGauge("agent_notification_notifications_oldest_in_flight_seconds", "Oldest age.").Add(0.25)
	worker.Counter("agent_notification_samples_published_total", "Per publisher.\nSecond line with a \\ backslash.").
		Add(3, "publisher", `file:///tmp/a "quoted"\path`)
	fams := worker.Families()

	var parent Set
	parent.Counter("agent_notification_reloads_total", "Reloads by result.").Add(1, "result", "ok")
	parent.Counter("agent_notification_reloads_total", "Reloads by result.").Add(0, "result", "failed")
	for _, id := range []string{"10", "2", "1"} {
		if err := parent.Merge(fams, "worker", id); err != nil {
			t.Fatal(err)
		}
	}
	// The same worker id twice (a rolling reload): counters sum, max-gauges take the maximum.
	var old Set
	old.Counter("agent_notification_notifications_received_total", "").Add(5)
	old.MaxGauge("agent_notification_notifications_oldest_in_flight_seconds", "").Add(1.5)
	if err := parent.Merge(old.Families(), "worker", "1"); err != nil {
		t.Fatal(err)
	}
	parent.Gauge("agent_notification_worker_up", "1 when the worker answered.").Add(1, "worker", "1")
	parent.Gauge("agent_notification_worker_up", "1 when the worker answered.").Add(0, "worker", "2")
	return parent.Families()
}

func TestWriteGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sampleSet(t)); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/exposition.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("exposition differs from %s (go test -update to rewrite):\n%s", golden, b.String())
	}
	// One HELP and one TYPE per family.
	for _, f := range sampleSet(t) {
		if n := strings.Count(b.String(), "# TYPE "+f.Name+" "); n != 1 {
			t.Errorf("%s: %d TYPE lines", f.Name, n)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	fams := sampleSet(t)
	var b bytes.Buffer
	if err := Write(&b, fams); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range fams {
		fams[i].Merge = "" // not part of the text format
	}
	if !reflect.DeepEqual(got, fams) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, fams)
	}
	if v, ok := Get(got, "agent_notification_notifications_received_total", "worker", "1"); !ok || v != 12 {
		t.Errorf("worker 1 received = %v %v, want 12 (7 + 5 of the previous generation)", v, ok)
	}
	if v, _ := Get(got, "agent_notification_notifications_oldest_in_flight_seconds", "worker", "1"); v != 1.5 {
		t.Errorf("oldest = %v, want the maximum 1.5", v)
	}
	if v := Sum(got, "agent_notification_notifications_rejected_total", "reason", "invalid_json"); v != 6 {
		t.Errorf("sum of invalid_json = %v", v)
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 3: "3", -2: "-2", 1e6: "1000000", 0.25: "0.25", 1e300: "1e+300",
		math.Inf(1): "+Inf", math.Inf(-1): "-Inf", math.NaN(): "NaN"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []Family{
		{Name: "1bad", Type: TypeCounter},
		{Name: "ok_total", Type: "histogram"},
		{Name: "dup", Type: TypeGauge}, {Name: "dup", Type: TypeGauge},
		{Name: "labels", Type: TypeGauge, Samples: []Sample{{Labels: []Label{{"a-b", "x"}, {"__x", "y"}, {"c", "1"}, {"c", "2"}}}}},
	}
	err := Validate(bad)
	for _, want := range []string{`"1bad"`, `"histogram"`, `"dup" appears twice`, `"a-b"`, `"__x"`, `label "c" twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %s", err, want)
		}
	}
	if err := Write(io.Discard, bad); err == nil {
		t.Error("Write accepted invalid names")
	}
	if err := Validate(sampleSet(t)); err != nil {
		t.Error(err)
	}
}

func TestMergeConflict(t *testing.T) {
	var s Set
	s.Gauge("x", "").Add(1)
	var o Set
	o.Counter("x", "").Add(1)
	o.Counter("y_total", "").Add(2)
	if err := s.Merge(o.Families(), "worker", "1"); err == nil {
		t.Error("type conflict not reported")
	}
	if v, ok := Get(s.Families(), "y_total", "worker", "1"); !ok || v != 2 {
		t.Errorf("the rest was not merged: %v %v", v, ok)
	}
	var n Set
	n.Gauge("g", "").Add(math.NaN())
	if got := n.Families(); len(got[0].Samples) != 0 {
		t.Errorf("NaN kept: %+v", got)
	}
}

type fakeSource struct {
	mu                        sync.Mutex
	fams                      []Family
	ready, healthy, gatherErr error
}

func (f *fakeSource) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *fakeSource) Gather(context.Context) ([]Family, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fams, f.gatherErr
}

func (f *fakeSource) Ready(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

func (f *fakeSource) Healthy(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.healthy
}

func TestHandler(t *testing.T) {
	src := &fakeSource{fams: sampleSet(t), ready: errors.New("not ready: worker 2: starting")}
	srv := httptest.NewServer(Handler(src))
	defer srv.Close()
	get := func(method, path string) (int, http.Header, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	code, h, body := get("GET", "/metrics")
	if code != 200 || h.Get("Content-Type") != ContentType || !strings.Contains(body, `agent_notification_worker_up{worker="2"} 0`) {
		t.Errorf("/metrics: %d %q\n%s", code, h.Get("Content-Type"), body)
	}
	if code, _, body := get("GET", "/readyz"); code != 503 || !strings.Contains(body, "worker 2: starting") {
		t.Errorf("/readyz: %d %s", code, body)
	}
	src.set(func() { src.ready = nil })
	if code, _, body := get("GET", "/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("/readyz when ready: %d %s", code, body)
	}
	if code, _, _ := get("GET", "/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	src.set(func() { src.healthy = errors.New("control loop not responding") })
	if code, _, _ := get("GET", "/healthz"); code != 503 {
		t.Errorf("/healthz of a stuck loop: %d", code)
	}
	if code, _, body := get("HEAD", "/metrics"); code != 200 || body != "" {
		t.Errorf("HEAD /metrics: %d %q", code, body)
	}
	if code, h, _ := get("POST", "/metrics"); code != 405 || h.Get("Allow") == "" {
		t.Errorf("POST: %d", code)
	}
	if code, _, _ := get("GET", "/debug/pprof/"); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
	src.set(func() { src.gatherErr = errors.New("launcher: stopped") })
	if code, _, _ := get("GET", "/metrics"); code != 503 {
		t.Errorf("/metrics while stopping: %d", code)
	}
}

func TestServerLifecycle(t *testing.T) {
	s, err := Listen("127.0.0.1:0", Handler(&fakeSource{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	resp, err := http.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil {
		t.Error("still serving after Shutdown")
	}
	// Shutdown without Serve releases the port.
	s2, err := Listen("127.0.0.1:0", Handler(&fakeSource{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := s2.Addr()
	_ = s2.Shutdown(context.Background())
	s3, err := Listen(addr, Handler(&fakeSource{}), nil)
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	_ = s3.Shutdown(context.Background())
	if _, err := Listen(addr+"x", nil, nil); err == nil {
		t.Error("bad address accepted")
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:9465": true, "[::1]:1": true, "localhost:1": true,
		":9465": false, "0.0.0.0:1": false, "10.0.0.1:1": false, "bad": false} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) != %v", addr, want)
		}
	}
}
