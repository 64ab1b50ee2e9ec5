package conf

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the typed, validated view of ceilometer.conf that the agent runs on.
// It is immutable once built: a reload builds a new one.
type Config struct {
	Host                    string
	TransportURL            string
	ControlExchange         string
	PipelineCfgFile         string
	EventPipelineCfgFile    string
	SampleSource            string
	ReservedMetadata        ReservedMetadata
	HTTPTimeout             time.Duration
	GracefulShutdownTimeout time.Duration // 0 waits forever
	RestartMethod           string        // "reload" or "mutate"
	LogOptions              bool
	Log                     LogConfig
	// ServiceExchanges are mitaka's per-service exchange options
	// (nova_control_exchange = nova, …), keyed by service name.
	ServiceExchanges map[string]string

	Notification  NotificationConfig
	Notifications OsloNotificationsConfig
	Rabbit        RabbitConfig
	Publisher     PublisherConfig
	Meter         MeterConfig
	Event         EventConfig
	ReportsLogDir string
	// Agent is the [agent_notification] group: this agent's own extensions.
	Agent AgentConfig

	// ConfigFiles are the INI files read, in parse order.
	ConfigFiles []string
	// Warnings are non-fatal findings (unknown or deprecated options) for the
	// caller to log once.
	Warnings []string
	// Args and Bundle are what the configuration was loaded from.
	Args   *Args
	Bundle *Bundle

	values *Values
}

// ReservedMetadata configures which notification metadata become sample metadata
// ([DEFAULT] reserved_metadata_*).
type ReservedMetadata struct {
	Namespace []string
	Length    int
	Keys      []string
}

// LogConfig holds the oslo.log options the agent honours.
type LogConfig struct {
	Debug      bool
	File       string
	Dir        string
	UseStderr  bool
	UseJSON    bool
	UseSyslog  bool
	UseJournal bool
}

// NotificationConfig is the [notification] group.
type NotificationConfig struct {
	AckOnEventError   bool
	MessagingURLs     []string
	BatchSize         int
	BatchTimeout      time.Duration // 0 = unset
	Workers           int
	Pipelines         []string // resolved: explicit pipelines, else mitaka's store_events rule, else meter+event
	ControlExchanges  []string
	StoreEvents       bool
	DisableNonMetric  bool
	WorkloadPartition bool
	ProcessingQueues  int
}

// OsloNotificationsConfig is the [oslo_messaging_notifications] group.
type OsloNotificationsConfig struct {
	Topics       []string
	Drivers      []string
	TransportURL string
	Retry        int
}

// RabbitConfig is the part of [oslo_messaging_rabbit] that changes behaviour.
type RabbitConfig struct {
	DurableQueues       bool
	AutoDelete          bool
	SSL                 bool
	SSLVersion          string
	SSLKeyFile          string
	SSLCertFile         string
	SSLCAFile           string
	PrefetchCount       int
	HeartbeatTimeout    time.Duration
	HeartbeatRate       int
	RetryInterval       time.Duration
	RetryBackoff        time.Duration
	IntervalMax         time.Duration
	HAQueues            bool
	QuorumQueue         bool
	QuorumDeliveryLimit int
	QuorumMaxMemLength  int
	QuorumMaxMemBytes   int
	LoginMethod         string
	FailoverStrategy    string
	ReconnectDelay      time.Duration
	// mitaka-era broker options, used to build a URL when transport_url is unset.
	Host, UserID, Password, VirtualHost string
	Port                                int
	Hosts                               []string
}

// PublisherConfig is [publisher] and [publisher_notifier].
type PublisherConfig struct {
	TelemetrySecret string
	MeteringTopic   string
	EventTopic      string
	TelemetryDriver string
}

// MeterConfig is the [meter] group.
type MeterConfig struct {
	DefinitionsDirs    []string
	DefinitionsCfgFile string
}

// EventConfig is the [event] group.
type EventConfig struct {
	DefinitionsCfgFile         string
	DropUnmatchedNotifications bool
	StoreRaw                   []string
}

// AgentConfig is the [agent_notification] group, options Ceilometer does not have.
type AgentConfig struct {
	// MetricsListen is the host:port of the metrics endpoint; "" = off.
	MetricsListen string
}

// reader collects the errors of many typed reads so that one Load reports every
// bad value at once.
type reader struct {
	v    *Values
	errs []error
}

func (r *reader) str(g, n string) string {
	s, _, err := r.v.String(Name{g, n})
	r.add(err)
	return s
}

func (r *reader) integer(g, n string) int {
	i, _, err := r.v.Int(Name{g, n})
	r.add(err)
	return i
}

func (r *reader) seconds(g, n string) time.Duration {
	return time.Duration(r.integer(g, n)) * time.Second
}

func (r *reader) boolean(g, n string) bool {
	b, err := r.v.Bool(Name{g, n})
	r.add(err)
	return b
}

func (r *reader) list(g, n string) []string {
	l, err := r.v.List(Name{g, n})
	r.add(err)
	return l
}

func (r *reader) add(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

func build(v *Values) (*Config, error) {
	r := &reader{v: v}
	c := &Config{values: v}
	c.Host = r.str("DEFAULT", "host")
	c.TransportURL = r.str("DEFAULT", "transport_url")
	c.ControlExchange = r.str("DEFAULT", "control_exchange")
	c.PipelineCfgFile = r.str("DEFAULT", "pipeline_cfg_file")
	c.EventPipelineCfgFile = r.str("DEFAULT", "event_pipeline_cfg_file")
	c.SampleSource = r.str("DEFAULT", "sample_source")
	c.ReservedMetadata = ReservedMetadata{
		Namespace: r.list("DEFAULT", "reserved_metadata_namespace"),
		Length:    r.integer("DEFAULT", "reserved_metadata_length"),
		Keys:      r.list("DEFAULT", "reserved_metadata_keys"),
	}
	c.HTTPTimeout = r.seconds("DEFAULT", "http_timeout")
	c.GracefulShutdownTimeout = r.seconds("DEFAULT", "graceful_shutdown_timeout")
	c.RestartMethod = r.str("DEFAULT", "restart_method")
	c.LogOptions = r.boolean("DEFAULT", "log_options")
	c.Log = LogConfig{
		Debug:      r.boolean("DEFAULT", "debug"),
		File:       r.str("DEFAULT", "log_file"),
		Dir:        r.str("DEFAULT", "log_dir"),
		UseStderr:  r.boolean("DEFAULT", "use_stderr"),
		UseJSON:    r.boolean("DEFAULT", "use_json"),
		UseSyslog:  r.boolean("DEFAULT", "use_syslog"),
		UseJournal: r.boolean("DEFAULT", "use_journal"),
	}
	c.ServiceExchanges = map[string]string{}
	for _, o := range v.opts {
		if svc, ok := strings.CutSuffix(o.Name.Name, "_control_exchange"); ok && o.Group == "DEFAULT" {
			c.ServiceExchanges[svc] = r.str("DEFAULT", o.Name.Name)
		}
	}

	n := &c.Notification
	n.AckOnEventError = r.boolean("notification", "ack_on_event_error")
	n.MessagingURLs = r.list("notification", "messaging_urls")
	n.BatchSize = r.integer("notification", "batch_size")
	n.BatchTimeout = r.seconds("notification", "batch_timeout")
	n.Workers = r.integer("notification", "workers")
	n.ControlExchanges = r.list("notification", "notification_control_exchanges")
	n.StoreEvents = r.boolean("notification", "store_events")
	n.DisableNonMetric = r.boolean("notification", "disable_non_metric_meters")
	n.WorkloadPartition = r.boolean("notification", "workload_partitioning")
	n.ProcessingQueues = r.integer("notification", "pipeline_processing_queues")
	n.Pipelines = r.list("notification", "pipelines")
	if !v.IsSet(Name{"notification", "pipelines"}) && v.IsSet(Name{"notification", "store_events"}) {
		// A mitaka configuration: the event pipeline runs only with store_events.
		n.Pipelines = []string{"meter"}
		if n.StoreEvents {
			n.Pipelines = append(n.Pipelines, "event")
		}
	}

	c.Notifications = OsloNotificationsConfig{
		Topics:       r.list("oslo_messaging_notifications", "topics"),
		Drivers:      r.list("oslo_messaging_notifications", "driver"),
		TransportURL: r.str("oslo_messaging_notifications", "transport_url"),
		Retry:        r.integer("oslo_messaging_notifications", "retry"),
	}
	const rb = "oslo_messaging_rabbit"
	reconnect, _, err := v.Float(Name{rb, "kombu_reconnect_delay"})
	r.add(err)
	c.Rabbit = RabbitConfig{
		DurableQueues:       r.boolean(rb, "amqp_durable_queues"),
		AutoDelete:          r.boolean(rb, "amqp_auto_delete"),
		SSL:                 r.boolean(rb, "ssl"),
		SSLVersion:          r.str(rb, "ssl_version"),
		SSLKeyFile:          r.str(rb, "ssl_key_file"),
		SSLCertFile:         r.str(rb, "ssl_cert_file"),
		SSLCAFile:           r.str(rb, "ssl_ca_file"),
		PrefetchCount:       r.integer(rb, "rabbit_qos_prefetch_count"),
		HeartbeatTimeout:    r.seconds(rb, "heartbeat_timeout_threshold"),
		HeartbeatRate:       r.integer(rb, "heartbeat_rate"),
		RetryInterval:       r.seconds(rb, "rabbit_retry_interval"),
		RetryBackoff:        r.seconds(rb, "rabbit_retry_backoff"),
		IntervalMax:         r.seconds(rb, "rabbit_interval_max"),
		HAQueues:            r.boolean(rb, "rabbit_ha_queues"),
		QuorumQueue:         r.boolean(rb, "rabbit_quorum_queue"),
		QuorumDeliveryLimit: r.integer(rb, "rabbit_quorum_delivery_limit"),
		QuorumMaxMemLength:  r.integer(rb, "rabbit_quroum_max_memory_length"),
		QuorumMaxMemBytes:   r.integer(rb, "rabbit_quroum_max_memory_bytes"),
		LoginMethod:         r.str(rb, "rabbit_login_method"),
		FailoverStrategy:    r.str(rb, "kombu_failover_strategy"),
		ReconnectDelay:      time.Duration(reconnect * float64(time.Second)),
		Host:                r.str(rb, "rabbit_host"),
		Port:                r.integer(rb, "rabbit_port"),
		Hosts:               r.list(rb, "rabbit_hosts"),
		UserID:              r.str(rb, "rabbit_userid"),
		Password:            r.str(rb, "rabbit_password"),
		VirtualHost:         r.str(rb, "rabbit_virtual_host"),
	}
	c.Publisher = PublisherConfig{
		TelemetrySecret: r.str("publisher", "telemetry_secret"),
		MeteringTopic:   r.str("publisher_notifier", "metering_topic"),
		EventTopic:      r.str("publisher_notifier", "event_topic"),
		TelemetryDriver: r.str("publisher_notifier", "telemetry_driver"),
	}
	c.Meter = MeterConfig{
		DefinitionsDirs:    r.list("meter", "meter_definitions_dirs"),
		DefinitionsCfgFile: r.str("meter", "meter_definitions_cfg_file"),
	}
	c.Event = EventConfig{
		DefinitionsCfgFile:         r.str("event", "definitions_cfg_file"),
		DropUnmatchedNotifications: r.boolean("event", "drop_unmatched_notifications"),
		StoreRaw:                   r.list("event", "store_raw"),
	}
	c.ReportsLogDir = r.str("oslo_reports", "log_dir")
	c.Agent.MetricsListen = strings.TrimSpace(r.str("agent_notification", "metrics_listen"))
	if err := checkListen(c.Agent.MetricsListen); err != nil {
		n := Name{"agent_notification", "metrics_listen"}
		r.add(errorAt(n, v.Where(n), err.Error()))
	}

	if len(n.Pipelines) == 0 && len(r.errs) == 0 {
		c.Warnings = append(c.Warnings, "[notification] pipelines is empty: no pipeline will run")
	}
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return c, nil
}

// URLs returns the broker URLs to consume notifications from: every
// [notification] messaging_urls, else [oslo_messaging_notifications]
// transport_url, else [DEFAULT] transport_url — and when that is the bare
// "rabbit://", a URL built from mitaka's rabbit_* options.
func (c *Config) URLs() []string {
	if len(c.Notification.MessagingURLs) > 0 {
		return c.Notification.MessagingURLs
	}
	if c.Notifications.TransportURL != "" {
		return []string{c.Notifications.TransportURL}
	}
	return []string{c.PublishURL()}
}

// PublishURL returns the broker URL the notifier:// publisher uses by default:
// [oslo_messaging_notifications] transport_url, else [DEFAULT] transport_url,
// completed from the mitaka rabbit_* options when it names no host.
func (c *Config) PublishURL() string {
	u := c.TransportURL
	if c.Notifications.TransportURL != "" {
		u = c.Notifications.TransportURL
	}
	if u == "" || u == "rabbit://" {
		var hosts []string
		for _, h := range c.Rabbit.Hosts {
			hosts = append(hosts, c.Rabbit.UserID+":"+c.Rabbit.Password+"@"+h)
		}
		vhost := strings.TrimPrefix(c.Rabbit.VirtualHost, "/")
		u = "rabbit://" + strings.Join(hosts, ",") + "/" + vhost
	}
	return u
}

// Secrets returns the secret values of this configuration (telemetry_secret,
// passwords), for scrubbing free text before it is printed.
func (c *Config) Secrets() []string {
	out := []string{c.Publisher.TelemetrySecret, c.Rabbit.Password}
	for _, u := range append([]string{c.TransportURL, c.Notifications.TransportURL}, c.Notification.MessagingURLs...) {
		out = append(out, urlPasswords(u)...)
	}
	for _, e := range c.values.unknown {
		if isSecretName(e.Key) {
			out = append(out, e.Value)
		}
	}
	return out
}

func urlPasswords(u string) []string {
	i := strings.Index(u, "://")
	if i < 0 {
		return nil
	}
	rest := u[i+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	var out []string
	for _, h := range strings.Split(rest, ",") {
		if at := strings.LastIndexByte(h, '@'); at >= 0 {
			if _, p, ok := strings.Cut(h[:at], ":"); ok && p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Dump renders the effective configuration like oslo.config's log_opt_values,
// with every secret masked: a header naming the sources, then every option as
// "group.name = value" ([DEFAULT] options without the group), sorted within
// each group.
func (c *Config) Dump() []string {
	star := strings.Repeat("*", 80)
	lines := []string{star, "Configuration options gathered from:"}
	if c.Args != nil {
		lines = append(lines, fmt.Sprintf("command line args: %s", quoteList(maskArgs(c.Args.Argv))))
	}
	lines = append(lines, fmt.Sprintf("config files: %s", quoteList(c.ConfigFiles)), strings.Repeat("=", 80))
	groups := map[string][]Option{}
	var order []string
	for _, o := range c.values.opts {
		if _, ok := groups[o.Group]; !ok {
			order = append(order, o.Group)
		}
		groups[o.Group] = append(groups[o.Group], o)
	}
	for _, g := range order {
		opts := groups[g]
		sort.Slice(opts, func(i, j int) bool { return opts[i].Name.Name < opts[j].Name.Name })
		for _, o := range opts {
			name := o.Name.Name
			if g != "DEFAULT" {
				name = g + "." + name
			}
			lines = append(lines, fmt.Sprintf("%-30s = %s", name, c.values.Display(o.Name)))
		}
	}
	return append(lines, star)
}

// checkListen accepts "" or host:port with a numeric port (0 picks a free one).
func checkListen(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: want host:port, e.g. 127.0.0.1:9465", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("invalid port %q in %q: want a number from 0 to 65535", port, addr)
	}
	return nil
}

func quoteList(l []string) string {
	return "[" + quoteJoin(l) + "]"
}

func maskArgs(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = MaskURL(a)
	}
	return out
}

// Diff compares two configurations option by option, for restart_method =
// mutate: mutable lists the changed mutable options, immutable the changed
// others (which need a restart to take effect). Values are masked.
func Diff(old, cur *Config) (mutable, immutable []string) {
	for _, o := range cur.values.opts {
		a, b := old.values.Display(o.Name), cur.values.Display(o.Name)
		if a == b && !o.Secret {
			continue
		}
		if o.Secret && secretEqual(old.values, cur.values, o.Name) {
			continue
		}
		line := fmt.Sprintf("option %s changed from [%s] to [%s]", o.Name, a, b)
		if o.Mutable {
			mutable = append(mutable, line)
		} else {
			immutable = append(immutable, line)
		}
	}
	return mutable, immutable
}

func secretEqual(a, b *Values, n Name) bool {
	ra, _, oka := a.rawValues(n)
	rb, _, okb := b.rawValues(n)
	return oka == okb && strings.Join(ra, "\x00") == strings.Join(rb, "\x00")
}

// ExplicitServiceExchanges returns the values of mitaka's per-service exchange
// options (nova_control_exchange …) that the configuration sets explicitly, in
// registry order: a mitaka-era ceilometer.conf that renamed a service's exchange
// is still listened to.
func (c *Config) ExplicitServiceExchanges() []string {
	var out []string
	for _, o := range c.values.opts {
		if o.Group == "DEFAULT" && strings.HasSuffix(o.Name.Name, "_control_exchange") && c.values.IsSet(o.Name) {
			out = append(out, c.ServiceExchanges[strings.TrimSuffix(o.Name.Name, "_control_exchange")])
		}
	}
	return out
}

// IsSet reports whether the configuration gives group/name explicitly (a file,
// the command line or the environment), by its current or a deprecated name.
func (c *Config) IsSet(group, name string) bool {
	return c.values.IsSet(Name{group, name})
}
