package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/plugins/seed"
)

// TestShippedFilesLoad loads Ceilometer's own files of both eras as a whole
// generation: ceilometer.conf (Zed's annotated file, or a mitaka-style one),
// pipeline.yaml, event_pipeline.yaml, meters.yaml and event_definitions.yaml.
func TestShippedFilesLoad(t *testing.T) {
	for _, era := range []string{"ceilometer-19", "ceilometer-mitaka"} {
		t.Run(era, func(t *testing.T) {
			src := filepath.Join("..", "testdata", era)
			dir := t.TempDir()
			for _, f := range []string{"pipeline.yaml", "event_pipeline.yaml", "meters.yaml", "event_definitions.yaml"} {
				data, err := os.ReadFile(filepath.Join(src, f))
				if err != nil {
					t.Fatal(err)
				}
				dst := filepath.Join(dir, f)
				if f == "meters.yaml" {
					dst = filepath.Join(dir, "meters.d", f)
				}
				_ = os.MkdirAll(filepath.Dir(dst), 0o755)
				if err := os.WriteFile(dst, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			conf19, err := os.ReadFile(filepath.Join("..", "testdata", "ceilometer-19", "ceilometer.conf"))
			if err != nil {
				t.Fatal(err)
			}
			local := "[DEFAULT]\npipeline_cfg_file = pipeline.yaml\n[meter]\nmeter_definitions_dirs = meters.d\n"
			if era == "ceilometer-mitaka" {
				// A mitaka-style file: per-service exchanges, store_events, the
				// mitaka meters file option.
				local += "[DEFAULT]\nnova_control_exchange = nova\nnotification_workers = 2\n[notification]\nstore_events = true\ndisable_non_metric_meters = true\n"
			}
			files := []string{filepath.Join(dir, "ceilometer.conf"), filepath.Join(dir, "local.conf")}
			_ = os.WriteFile(files[0], conf19, 0o644)
			_ = os.WriteFile(files[1], []byte(local), 0o644)
			g, err := Load("agent-notification", []string{"--config-file", files[0], "--config-file", files[1]}, conf.NewBundle([]string{}))
			if err != nil {
				t.Fatalf("%s does not load: %v", era, err)
			}
			if g.SamplePipelines == nil || g.EventPipelines == nil || len(g.Meters) == 0 || g.Events == nil {
				t.Fatalf("incomplete generation: %+v", g)
			}
			for _, w := range g.Warnings {
				if strings.Contains(w, "not found") {
					t.Errorf("warning: %s", w)
				}
			}
			t.Logf("%d warnings, files %v", len(g.Warnings), g.Files)
			// The workers build from it too (publishers, transformers, listeners).
			w, err := NewWorker(nil, g, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.listeners) != 1 {
				t.Errorf("%d listeners", len(w.listeners))
			}
		})
	}
}

// TestSeedPluginsFollowDisableNonMetricMeters checks that mitaka's existence
// plugins run only when a (mitaka) configuration sets
// disable_non_metric_meters = false, as in mitaka; Zed has no such option.
func TestSeedPluginsFollowDisableNonMetricMeters(t *testing.T) {
	base := -1
	for _, conf := range []string{"", "[notification]\ndisable_non_metric_meters = true\n", "[notification]\ndisable_non_metric_meters = false\n"} {
		dir := t.TempDir()
		p := filepath.Join(dir, "c.conf")
		_ = os.WriteFile(p, []byte("[DEFAULT]\n"+conf), 0o644)
		g, err := Load("agent-notification", []string{"--config-file", p}, confBundle())
		if err != nil {
			t.Fatal(err)
		}
		want := base
		if base < 0 {
			base, want = len(g.Meters), len(g.Meters)
		}
		if strings.Contains(conf, "false") {
			want = base + len(seed.Factories())
		}
		if len(g.Meters) != want {
			t.Errorf("%q: %d sample endpoints, want %d", conf, len(g.Meters), want)
		}
	}
}

func confBundle() *conf.Bundle { return conf.NewBundle([]string{}) }
