package conf

import (
	"encoding/json"
	"testing"
)

// FuzzLoad feeds arbitrary ceilometer.conf contents through the whole loader
// (INI parsing, option resolution, interpolation, typed reads, the dump): it
// must never panic, and a file it accepts must dump without error.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("[DEFAULT]\nhost = h\ntransport_url = rabbit://u:p@h1:5672,u:p@h2/v\n[notification]\nworkers = 4\npipelines = meter\n"))
	f.Add([]byte("[DEFAULT]\nhost = $x\nx = ${host}\n"))
	f.Add([]byte("[notification]\nmessaging_urls = a\n  continued\n\n[Publisher]\ntelemetry_secret: 's'\n"))
	f.Add([]byte("k = v\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files := map[string][]byte{"/fuzz.conf": data}
		wire, _ := json.Marshal(bundleWire{Files: files})
		b, err := UnmarshalBundle(wire)
		if err != nil {
			t.Fatal(err)
		}
		args, _ := ParseArgs([]string{"--config-file", "/fuzz.conf"})
		c, err := Load("agent-notification", args, b)
		if err != nil {
			return
		}
		_ = c.Dump()
		_ = c.URLs()
		_ = c.Secrets()
		mut, imm := Diff(c, c)
		if len(mut)+len(imm) != 0 {
			t.Fatalf("a configuration differs from itself: %v %v", mut, imm)
		}
	})
}
