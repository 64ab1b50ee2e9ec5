package app

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplay replays the first notifications of the compatibility corpus and
// checks that, per notification, as many samples and events come out as
// Ceilometer 19 published for them.
func TestReplay(t *testing.T) {
	const n = 40
	src, err := os.Open("../../testdata/compat/notifications.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	var lines []string
	ids := map[int]string{}
	sc := bufio.NewScanner(src)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() && len(lines) < n {
		var l struct {
			Seq          int `json:"seq"`
			Notification struct {
				MessageID string `json:"message_id"`
			} `json:"notification"`
		}
		_ = json.Unmarshal(sc.Bytes(), &l)
		ids[l.Seq] = l.Notification.MessageID
		lines = append(lines, sc.Text())
	}
	lines = append(lines, "not json")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// What Ceilometer published for those notifications.
	want := map[string]int{} // "<message_id> sample|event" → count
	exp, _ := os.ReadFile("../../testdata/compat/expected.jsonl")
	for _, l := range strings.Split(strings.TrimSpace(string(exp)), "\n") {
		var e struct {
			Seq        int    `json:"seq"`
			RoutingKey string `json:"routing_key"`
			Message    struct {
				Payload []json.RawMessage `json:"payload"`
			} `json:"message"`
		}
		_ = json.Unmarshal([]byte(l), &e)
		id, ok := ids[e.Seq]
		if !ok {
			continue
		}
		kind := "event"
		if e.RoutingKey == "metering.sample" {
			kind = "sample"
		}
		want[id+" "+kind] += len(e.Message.Payload)
	}
	confPath := filepath.Join(dir, "c.conf")
	_ = os.WriteFile(confPath, []byte("[DEFAULT]\nhost = compat-host\n[publisher]\ntelemetry_secret = compat-test-secret\n"), 0o644)
	var out, errOut strings.Builder
	if code := Main([]string{Prog, "replay", in, "--config-file", confPath}, &out, &errOut, "t"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var o map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("output line is not JSON: %s", l)
		}
		var id string
		_ = json.Unmarshal(o["notification"], &id)
		if _, ok := o["sample"]; ok {
			got[id+" sample"]++
		} else {
			got[id+" event"]++
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d published, Ceilometer published %d", k, got[k], v)
		}
	}
	for k := range got {
		if want[k] == 0 {
			t.Errorf("%s: published, Ceilometer published nothing", k)
		}
	}
	if !strings.Contains(errOut.String(), "in.jsonl:41:") {
		t.Errorf("the undecodable line is not reported with its number: %s", errOut.String())
	}
}
