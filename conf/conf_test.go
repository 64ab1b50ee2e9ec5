package conf

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// writeFiles creates files (name → content) under a temporary directory and
// returns that directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t *testing.T, argv ...string) (*Config, error) {
	t.Helper()
	args, err := ParseArgs(argv)
	if err != nil {
		return nil, err
	}
	return Load("agent-notification", args, NewBundle([]string{}))
}

func mustLoad(t *testing.T, argv ...string) *Config {
	t.Helper()
	c, err := load(t, argv...)
	if err != nil {
		t.Fatalf("load %v: %v", argv, err)
	}
	return c
}

const referenceConf = "testdata/ceilometer-19.conf"

func TestLoadReferenceFile(t *testing.T) {
	c := mustLoad(t, "--config-file", referenceConf)
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	// Everything is commented out: Ceilometer 19's defaults apply.
	if c.Notification.Workers != 1 || c.Notification.BatchSize != 1 || c.Notification.BatchTimeout != 0 {
		t.Errorf("notification = %+v", c.Notification)
	}
	if want := []string{"meter", "event"}; !reflect.DeepEqual(c.Notification.Pipelines, want) {
		t.Errorf("pipelines = %v, want %v", c.Notification.Pipelines, want)
	}
	if len(c.Notification.ControlExchanges) != 15 || c.Notification.ControlExchanges[0] != "nova" || c.Notification.ControlExchanges[14] != "aodh" {
		t.Errorf("control exchanges = %v", c.Notification.ControlExchanges)
	}
	if !reflect.DeepEqual(c.Notifications.Topics, []string{"notifications"}) {
		t.Errorf("topics = %v", c.Notifications.Topics)
	}
	if c.Publisher.TelemetrySecret != "change this for valid signing" || c.Publisher.MeteringTopic != "metering" || c.Publisher.EventTopic != "event" {
		t.Errorf("publisher = %+v", c.Publisher)
	}
	if c.ControlExchange != "ceilometer" || c.TransportURL != "rabbit://" || c.GracefulShutdownTimeout != 60*time.Second {
		t.Errorf("DEFAULT = %q %q %v", c.ControlExchange, c.TransportURL, c.GracefulShutdownTimeout)
	}
	if c.Rabbit.PrefetchCount != 100 || c.Rabbit.DurableQueues {
		t.Errorf("rabbit = %+v", c.Rabbit)
	}
	if c.Event.DefinitionsCfgFile != "event_definitions.yaml" || c.PipelineCfgFile != "pipeline.yaml" {
		t.Errorf("files = %q %q", c.Event.DefinitionsCfgFile, c.PipelineCfgFile)
	}
}

// TestLoadReferenceFileUncommented turns every documented "#option = default"
// line of Ceilometer's annotated file into a real assignment: the result must load
// without errors and without unknown-option warnings, i.e. the agent accepts any
// option Ceilometer 19 knows, with its documented default.
func TestLoadReferenceFileUncommented(t *testing.T) {
	data, err := os.ReadFile(referenceConf)
	if err != nil {
		t.Fatal(err)
	}
	opt := regexp.MustCompile(`^#([a-z_0-9]+) = (.*)$`)
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if m := opt.FindStringSubmatch(line); m != nil && !strings.Contains(m[2], "<") && !strings.Contains(m[2], "/build/") {
			line = m[1] + " = " + m[2]
			n++
		}
		out.WriteString(line + "\n")
	}
	dir := writeFiles(t, map[string]string{"ceilometer.conf": out.String()})
	c := mustLoad(t, "--config-file", filepath.Join(dir, "ceilometer.conf"))
	if n < 150 {
		t.Fatalf("only %d options uncommented", n)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, "unknown") {
			t.Errorf("warning: %s", w)
		}
	}
	// Multi-valued options given once per line accumulate, as in oslo.
	if len(c.Notification.ControlExchanges) != 15 {
		t.Errorf("control exchanges = %v", c.Notification.ControlExchanges)
	}
	if !reflect.DeepEqual(c.Notification.Pipelines, []string{"meter", "event"}) {
		t.Errorf("pipelines = %v", c.Notification.Pipelines)
	}
}

func TestINIQuirks(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.conf": `# comment
; another comment
[DEFAULT]
host = "quoted host"
control_exchange: colon-separated
sample_source = src # not a comment
transport_url = rabbit://first
transport_url = rabbit://second

[Notification]
notification_control_exchanges = nova
notification_control_exchanges = glance
workers=4

[default]
host = not-the-default-group

[publisher]
telemetry_secret = multi
  line
	value

[oslo_messaging_notifications]
topics = a, b ,, c
`})
	c := mustLoad(t, "--config-file", filepath.Join(dir, "a.conf"))
	checks := []struct{ name, got, want string }{
		{"quotes stripped", c.Host, "quoted host"},
		{"colon separator", c.ControlExchange, "colon-separated"},
		{"no inline comments", c.SampleSource, "src # not a comment"},
		{"last single value wins", c.TransportURL, "rabbit://second"},
		{"continuation lines", c.Publisher.TelemetrySecret, "multi\nline\nvalue"},
		{"multi accumulates", strings.Join(c.Notification.ControlExchanges, ","), "nova,glance"},
		{"list", strings.Join(c.Notifications.Topics, "|"), "a|b|c"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	if c.Notification.Workers != 4 {
		t.Errorf("group names are case-insensitive: workers = %d", c.Notification.Workers)
	}
	var unknownWarned bool
	for _, w := range c.Warnings {
		if strings.Contains(w, "[default] host") && strings.Contains(w, "a.conf:16") {
			unknownWarned = true
		}
	}
	if !unknownWarned {
		t.Errorf("[default] is not [DEFAULT] and must be warned about as unknown; warnings: %v", c.Warnings)
	}
}

func TestBadFiles(t *testing.T) {
	cases := []struct {
		name, content string
		want          []string // substrings of the error
	}{
		{"assignment before section", "host = x\n", []string{"bad.conf:1", "section must be started before assignment"}},
		{"unterminated section", "[DEFAULT\nhost = x\n", []string{"bad.conf:1", "must end with ]"}},
		{"empty section", "[]\n", []string{"bad.conf:1", "empty section name"}},
		{"no separator", "[DEFAULT]\nhost\n", []string{"bad.conf:2", "no '=' or ':'"}},
		{"empty key", "[DEFAULT]\n= x\n", []string{"bad.conf:2", "key cannot be empty"}},
		{"continuation without key", "[DEFAULT]\n  x\n", []string{"bad.conf:2", "unexpected continuation"}},
		{"bad integer", "[DEFAULT]\n\n[notification]\nworkers = many\n", []string{"bad.conf:4", "[notification] workers", `invalid integer value "many"`}},
		{"below minimum", "[notification]\nbatch_size = 0\n", []string{"bad.conf:2", "[notification] batch_size", "greater than or equal to 1"}},
		{"bad boolean", "[DEFAULT]\ndebug = maybe\n", []string{"bad.conf:2", "[DEFAULT] debug", "invalid boolean"}},
		{"bad choice", "[notification]\npipelines = meter\npipelines = logs\n", []string{"bad.conf:3", "[notification] pipelines", `"logs"`}},
		{"bad restart method", "[DEFAULT]\nrestart_method = restart\n", []string{"bad.conf:2", "restart_method"}},
		{"unknown interpolation", "[DEFAULT]\nhost = $nothere\n", []string{"bad.conf:2", "[DEFAULT] host", "$nothere"}},
		{"deprecated name keeps its line", "[DEFAULT]\nnotification_workers = -2\n", []string{"bad.conf:2", "[notification] workers"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"bad.conf": tc.content})
			_, err := load(t, "--config-file", filepath.Join(dir, "bad.conf"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestAllErrorsReported(t *testing.T) {
	dir := writeFiles(t, map[string]string{"bad.conf": "[DEFAULT]\ndebug = maybe\n[notification]\nworkers = x\nbatch_size = -1\n"})
	_, err := load(t, "--config-file", filepath.Join(dir, "bad.conf"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"bad.conf:2", "bad.conf:4", "bad.conf:5"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %s", err, w)
		}
	}
}

func TestMissingFiles(t *testing.T) {
	if _, err := load(t, "--config-file", "/nonexistent/ceilometer.conf"); err == nil || !strings.Contains(err.Error(), "/nonexistent/ceilometer.conf") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := load(t, "--config-dir", "/nonexistent/conf.d"); err == nil || !strings.Contains(err.Error(), "/nonexistent/conf.d") {
		t.Errorf("missing dir: %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.conf":         "[DEFAULT]\nhost = a\nsample_source = a\ndebug = true\n[notification]\nmessaging_urls = rabbit://a1\nmessaging_urls = rabbit://a2\nworkers = 2\n",
		"b.conf":         "[DEFAULT]\nhost = b\n",
		"d/10-y.conf":    "[DEFAULT]\nsample_source = d10\n[notification]\nmessaging_urls = rabbit://d1\n",
		"d/02-x.conf":    "[DEFAULT]\nsample_source = d02\nhost = d02\n[notification]\nworkers = 5\n",
		"d/99-ignored.x": "[DEFAULT]\nhost = ignored\n",
	})
	a, b, d := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf"), filepath.Join(dir, "d")

	c := mustLoad(t, "--config-file", a, "--config-dir", d, "--config-file", b)
	if c.Host != "b" {
		t.Errorf("later file wins: host = %q", c.Host)
	}
	if c.SampleSource != "d10" {
		t.Errorf("config-dir files in sorted order: sample_source = %q", c.SampleSource)
	}
	if c.Notification.Workers != 5 {
		t.Errorf("workers = %d", c.Notification.Workers)
	}
	if got := strings.Join(c.Notification.MessagingURLs, ","); got != "rabbit://a1,rabbit://a2,rabbit://d1" {
		t.Errorf("multi values accumulate across files: %s", got)
	}
	wantFiles := []string{a, filepath.Join(d, "02-x.conf"), filepath.Join(d, "10-y.conf"), b}
	if !reflect.DeepEqual(c.ConfigFiles, wantFiles) {
		t.Errorf("files = %v, want %v", c.ConfigFiles, wantFiles)
	}

	c = mustLoad(t, "--config-file", a, "--config-file", b, "--config-dir", d)
	if c.Host != "d02" {
		t.Errorf("config-dir last wins: host = %q", c.Host)
	}

	// A command-line option and a file: the later on the command line wins.
	if c := mustLoad(t, "--nodebug", "--config-file", a); !c.Log.Debug {
		t.Errorf("file after --nodebug must win")
	}
	if c := mustLoad(t, "--config-file", a, "--nodebug"); c.Log.Debug {
		t.Errorf("--nodebug after the file must win")
	}
	if c := mustLoad(t, "--config-file", b, "-d", "--log-file", "x.log"); !c.Log.Debug || c.Log.File != "x.log" {
		t.Errorf("-d/--log-file: %+v", c.Log)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.conf": "[DEFAULT]\nhost = file\ndebug = false\n[notification]\nworkers = 2\n"})
	args, err := ParseArgs([]string{"--config-file", filepath.Join(dir, "a.conf"), "--nodebug"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBundle([]string{"OS_DEFAULT__HOST=env", "OS_NOTIFICATION__WORKERS=3", "OS_DEFAULT__DEBUG=true", "PATH=/bin"})
	c, err := Load("agent-notification", args, b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "env" || c.Notification.Workers != 3 {
		t.Errorf("environment overrides files: host=%q workers=%d", c.Host, c.Notification.Workers)
	}
	if c.Log.Debug {
		t.Errorf("the command line beats the environment")
	}
}

func TestDeprecatedNames(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"old.conf":  "[DEFAULT]\nnotification_workers = 3\nmetering_secret = oldsecret\n",
		"both.conf": "[DEFAULT]\nnotification_workers = 3\n[notification]\nworkers = 4\n",
	})
	c := mustLoad(t, "--config-file", filepath.Join(dir, "old.conf"))
	if c.Notification.Workers != 3 || c.Publisher.TelemetrySecret != "oldsecret" {
		t.Errorf("deprecated names read: workers=%d", c.Notification.Workers)
	}
	if len(c.Warnings) != 2 || !strings.Contains(c.Warnings[0], "deprecated") {
		t.Errorf("warnings = %v", c.Warnings)
	}
	c = mustLoad(t, "--config-file", filepath.Join(dir, "both.conf"))
	if c.Notification.Workers != 4 {
		t.Errorf("the current name beats the deprecated one: %d", c.Notification.Workers)
	}
}

func TestInterpolation(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.conf": `[DEFAULT]
host = node1
sample_source = ${host}-src
control_exchange = $$literal
pipeline_cfg_file = /etc/$host/p.yaml
my_dir = /srv
event_pipeline_cfg_file = $my_dir/e.yaml
[publisher_notifier]
metering_topic = $DEFAULT.host.metering
event_topic = ${metering_topic}.events
`})
	c := mustLoad(t, "--config-file", filepath.Join(dir, "a.conf"))
	for _, ck := range []struct{ got, want string }{
		{c.SampleSource, "node1-src"},
		{c.ControlExchange, "$literal"},
		{c.PipelineCfgFile, "/etc/node1/p.yaml"},
		{c.EventPipelineCfgFile, "/srv/e.yaml"},
		{c.Publisher.MeteringTopic, "node1.metering"},
		{c.Publisher.EventTopic, "node1.metering.events"},
	} {
		if ck.got != ck.want {
			t.Errorf("got %q, want %q", ck.got, ck.want)
		}
	}
}

func TestMitakaPipelinesSwitch(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"off.conf": "[notification]\nstore_events = false\n",
		"on.conf":  "[notification]\nstore_events = true\n",
		"zed.conf": "[notification]\nstore_events = false\npipelines = event\n",
	})
	for file, want := range map[string]string{"off.conf": "meter", "on.conf": "meter,event", "zed.conf": "event"} {
		c := mustLoad(t, "--config-file", filepath.Join(dir, file))
		if got := strings.Join(c.Notification.Pipelines, ","); got != want {
			t.Errorf("%s: pipelines = %s, want %s", file, got, want)
		}
	}
}

func TestDefaultSearchPath(t *testing.T) {
	home := writeFiles(t, map[string]string{
		".ceilometer/ceilometer.conf":          "[DEFAULT]\nhost = from-home\nsample_source = home\n",
		".ceilometer/ceilometer.conf.d/x.conf": "[DEFAULT]\nsample_source = from-dir\n",
	})
	t.Setenv("HOME", home)
	c := mustLoad(t)
	if c.Host != "from-home" || c.SampleSource != "from-dir" {
		t.Errorf("default files not found: host=%q source=%q files=%v", c.Host, c.SampleSource, c.ConfigFiles)
	}
	// An explicit --config-file replaces the default files (not the default dirs).
	other := writeFiles(t, map[string]string{"o.conf": "[DEFAULT]\nhost = explicit\n"})
	c = mustLoad(t, "--config-file", filepath.Join(other, "o.conf"))
	if c.Host != "explicit" || c.SampleSource != "from-dir" {
		t.Errorf("host=%q source=%q", c.Host, c.SampleSource)
	}
}

func TestFindFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"etc/ceilometer.conf": "[DEFAULT]\n", "etc/pipeline.yaml": "sources: []\n"})
	t.Setenv("HOME", t.TempDir())
	c := mustLoad(t, "--config-file", filepath.Join(dir, "etc", "ceilometer.conf"))
	if got := c.FindFile("pipeline.yaml"); got != filepath.Join(dir, "etc", "pipeline.yaml") {
		t.Errorf("FindFile = %q", got)
	}
	if got := c.FindFile("nothere.yaml"); got != "" {
		t.Errorf("FindFile(missing) = %q", got)
	}
}

func TestArgs(t *testing.T) {
	a, err := ParseArgs([]string{"check-config", "--config-file=x.conf", "--debug", "--", "--not-a-flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Positional, []string{"check-config", "--not-a-flag"}) || !reflect.DeepEqual(a.ConfigFiles(), []string{"x.conf"}) {
		t.Errorf("args = %+v", a)
	}
	for _, bad := range [][]string{{"--config-file"}, {"--bogus"}, {"--debug=yes"}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestBundleSnapshot(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.conf": "[DEFAULT]\nhost = snap\n", "pipeline.yaml": "x"})
	args, _ := ParseArgs([]string{"--config-file", filepath.Join(dir, "a.conf")})
	b := NewBundle([]string{})
	c, err := Load("agent-notification", args, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadFile(c.FindFile("pipeline.yaml")); err != nil {
		t.Fatal(err)
	}
	b.Seal()
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// The files change on disk after validation: a worker must still see the
	// validated generation.
	if err := os.WriteFile(filepath.Join(dir, "a.conf"), []byte("[DEFAULT]\nhost = changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b2, err := UnmarshalBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Load("agent-notification", args, b2)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Host != "snap" || !reflect.DeepEqual(c.Dump(), c2.Dump()) {
		t.Errorf("snapshot differs: host %q", c2.Host)
	}
	if got, _ := b2.ReadFile(filepath.Join(dir, "pipeline.yaml")); string(got) != "x" {
		t.Errorf("yaml not in snapshot: %q", got)
	}
	if _, err := b2.ReadFile(filepath.Join(dir, "other.yaml")); err == nil {
		t.Errorf("a sealed bundle must not read the disk")
	}
}

func TestDiff(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.conf": "[DEFAULT]\ndebug = false\nhost = a\n[publisher]\ntelemetry_secret = old-secret-value\n",
		"b.conf": "[DEFAULT]\ndebug = true\nhost = b\n[publisher]\ntelemetry_secret = new-secret-value\n",
	})
	a := mustLoad(t, "--config-file", filepath.Join(dir, "a.conf"))
	b := mustLoad(t, "--config-file", filepath.Join(dir, "b.conf"))
	mut, imm := Diff(a, b)
	if len(mut) != 1 || !strings.Contains(mut[0], "[DEFAULT] debug") {
		t.Errorf("mutable = %v", mut)
	}
	if len(imm) != 2 {
		t.Errorf("immutable = %v", imm)
	}
	all := strings.Join(append(mut, imm...), "\n")
	if strings.Contains(all, "secret-value") {
		t.Errorf("diff leaks a secret: %s", all)
	}
}

func TestMaskURL(t *testing.T) {
	cases := map[string]string{
		"rabbit://u:p@h:5672/":                        "rabbit://u:****@h:5672/",
		"rabbit://u:p@h1:5672,u2:p2@h2:5672/vh?ssl=1": "rabbit://u:****@h1:5672,u2:****@h2:5672/vh?ssl=1",
		"rabbit://h1/":                                "rabbit://h1/",
		"rabbit://user@h1/":                           "rabbit://user@h1/",
		"http://h/x?password=abc&b=1":                 "http://h/x?password=****&b=1",
		"rabbit://u:p%40ss@h/":                        "rabbit://u:****@h/",
		"not a url":                                   "not a url",
	}
	for in, want := range cases {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSecretsNeverPrinted loads a configuration full of secrets with debug on and
// checks that nothing the configuration prints — the effective-configuration dump,
// warnings, a reload diff, the errors of a bad file — contains any of them.
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := []string{"Sup3rPassw0rd", "An0therPass", "T3lemetrySecret", "MitakaRabbitPw", "ServiceCredPw"}
	dir := writeFiles(t, map[string]string{"s.conf": `[DEFAULT]
debug = true
transport_url = rabbit://ceilometer:Sup3rPassw0rd@rabbit1:5672,ceilometer:An0therPass@rabbit2:5672/ceilo
[notification]
messaging_urls = rabbit://nova:Sup3rPassw0rd@rabbit-nova:5672/
[oslo_messaging_rabbit]
rabbit_password = MitakaRabbitPw
[publisher]
telemetry_secret = T3lemetrySecret
[service_credentials]
password = ServiceCredPw
[unknown_group]
some_password = ServiceCredPw
`,
		"bad.conf": "[DEFAULT]\ntransport_url = rabbit://u:Sup3rPassw0rd@h/\n[notification]\nworkers = x\n"})
	var out bytes.Buffer
	args, _ := ParseArgs([]string{"--config-file", filepath.Join(dir, "s.conf"), "--log-file", "x"})
	c, err := Load("agent-notification", args, NewBundle([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	c.Log.File, c.Log.UseStderr = "", true
	logger, closer, err := NewLogger(c.Log, "agent-notification", &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	c.LogEffective(logger)
	mut, imm := Diff(c, c)
	out.WriteString(strings.Join(append(mut, imm...), "\n"))
	if _, err := load(t, "--config-file", filepath.Join(dir, "bad.conf")); err != nil {
		out.WriteString(err.Error())
	}
	text := out.String()
	if !strings.Contains(text, "transport_url") || !strings.Contains(text, "ceilometer:****@rabbit1:5672,ceilometer:****@rabbit2:5672/ceilo") || !regexp.MustCompile(`publisher.telemetry_secret += \*\*\*\*`).MatchString(text) {
		t.Fatalf("the dump is missing or unmasked:\n%s", text)
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("secret %q printed:\n%s", s, text)
		}
	}
	scrubbed := Scrub("failed with T3lemetrySecret and ServiceCredPw", c.Secrets())
	if strings.Contains(scrubbed, "T3lemetrySecret") || strings.Contains(scrubbed, "ServiceCredPw") {
		t.Errorf("Scrub: %s", scrubbed)
	}
}

func TestInterpolationIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("[DEFAULT]\nhost = $a0\n")
	for i := 0; i < 9; i++ {
		fmt.Fprintf(&b, "a%d = $a%d$a%d$a%d$a%d\n", i, i+1, i+1, i+1, i+1)
	}
	b.WriteString("a9 = xxxxxxxxxxxxxxxx\n")
	dir := writeFiles(t, map[string]string{"bomb.conf": b.String()})
	start := time.Now()
	_, err := load(t, "--config-file", filepath.Join(dir, "bomb.conf"))
	if err == nil || !strings.Contains(err.Error(), "bomb.conf:2") {
		t.Errorf("an exponential interpolation must fail with file:line, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
