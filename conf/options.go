package conf

import "os"

// Type is the value type of an option, with oslo.config's conversion rules.
type Type uint8

const (
	TypeString Type = iota // StrOpt
	TypeInt                // IntOpt (with optional Min/Max)
	TypeFloat              // FloatOpt
	TypeBool               // BoolOpt: true/false, 1/0, yes/no, on/off (case-insensitive)
	TypeList               // ListOpt: comma-separated on one line
	TypeMulti              // MultiStrOpt: every occurrence is a value, accumulating across files
)

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "integer"
	case TypeFloat:
		return "floating point"
	case TypeBool:
		return "boolean"
	case TypeList:
		return "list"
	case TypeMulti:
		return "multi valued"
	}
	return "unknown"
}

// Name identifies an option by group and name, e.g. {"notification", "workers"}.
type Name struct {
	Group string
	Name  string
}

func (n Name) String() string { return "[" + n.Group + "] " + n.Name }

// Option describes one option the agent reads: Ceilometer 19's name, group,
// default and deprecated names, so an operator's ceilometer.conf means the same
// thing to both programs.
type Option struct {
	Name
	Type Type
	// Default holds the raw default value(s), converted like a value from a
	// file; nil means None (unset). A TypeMulti option has one element per value.
	Default []string
	// Secret options are shown as "****" wherever configuration is printed.
	Secret bool
	// Mutable options change in place on a reload with restart_method = mutate.
	Mutable bool
	// Min and Max bound an integer option when non-nil.
	Min, Max *int
	// Choices, when set, are the only accepted values.
	Choices []string
	// Deprecated are older names still read when the current one is unset.
	Deprecated []Name
	// CLI is the command-line flag (without "--") that also sets this option.
	CLI  string
	Help string
}

func intp(i int) *int { return &i }

func one(s string) []string { return []string{s} }

// Options returns the registry of every option the agent reads, in registration
// order (which is also the order of groups in the configuration dump). A fresh
// slice is returned on each call: the registry is not mutable state.
func Options() []Option {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	// Ceilometer 19's default for [notification] notification_control_exchanges.
	defaultControlExchanges := []string{
		"nova", "glance", "neutron", "cinder", "heat", "keystone", "sahara", "trove",
		"zaqar", "swift", "ceilometer", "magnum", "dns", "ironic", "aodh",
	}
	opts := []Option{
		// [DEFAULT]: ceilometer, oslo.messaging, oslo.service
		{Name: Name{"DEFAULT", "host"}, Type: TypeString, Default: one(host), Help: "Name of this node, used in the publisher_id of published samples and events."},
		{Name: Name{"DEFAULT", "transport_url"}, Type: TypeString, Default: one("rabbit://"), Secret: true, Help: "Messaging backend URL: driver://[user:pass@]host:port[,[userN:passN@]hostN:portN]/virtual_host?query."},
		{Name: Name{"DEFAULT", "control_exchange"}, Type: TypeString, Default: one("ceilometer"), Help: "Exchange the notifier:// publisher publishes to."},
		{Name: Name{"DEFAULT", "pipeline_cfg_file"}, Type: TypeString, Default: one("pipeline.yaml"), Help: "Configuration file for pipeline definition."},
		{Name: Name{"DEFAULT", "event_pipeline_cfg_file"}, Type: TypeString, Default: one("event_pipeline.yaml"), Help: "Configuration file for event pipeline definition."},
		{Name: Name{"DEFAULT", "sample_source"}, Type: TypeString, Default: one("openstack"), Help: "Source for samples emitted on this instance."},
		{Name: Name{"DEFAULT", "reserved_metadata_namespace"}, Type: TypeList, Default: one("metering."), Help: "List of metadata prefixes reserved for metering use."},
		{Name: Name{"DEFAULT", "reserved_metadata_length"}, Type: TypeInt, Default: one("256"), Help: "Limit on length of reserved metadata values."},
		{Name: Name{"DEFAULT", "reserved_metadata_keys"}, Type: TypeList, Default: one(""), Help: "List of metadata keys reserved for metering use."},
		{Name: Name{"DEFAULT", "http_timeout"}, Type: TypeInt, Default: one("600"), Help: "Timeout seconds for HTTP requests (http:// publisher)."},
		{Name: Name{"DEFAULT", "graceful_shutdown_timeout"}, Type: TypeInt, Default: one("60"), Min: intp(0), Help: "Seconds a graceful shutdown may take before workers are killed; 0 waits forever."},
		{Name: Name{"DEFAULT", "restart_method"}, Type: TypeString, Default: one("reload"), Choices: []string{"reload", "mutate"}, Help: "What SIGHUP does: reload (roll the workers onto the new configuration) or mutate (apply mutable options in place). agent-notification extension; oslo.service's launch() argument."},
		{Name: Name{"DEFAULT", "log_options"}, Type: TypeBool, Default: one("true"), Help: "Log the value of every option at start-up (DEBUG level)."},
		// [DEFAULT]: oslo.log
		{Name: Name{"DEFAULT", "debug"}, Type: TypeBool, Default: one("false"), Mutable: true, CLI: "debug", Help: "Set the logging level to DEBUG instead of INFO."},
		{Name: Name{"DEFAULT", "log_file"}, Type: TypeString, Deprecated: []Name{{"DEFAULT", "logfile"}}, CLI: "log-file", Help: "Name of the log file; relative names are under log_dir."},
		{Name: Name{"DEFAULT", "log_dir"}, Type: TypeString, Deprecated: []Name{{"DEFAULT", "logdir"}}, CLI: "log-dir", Help: "Base directory for relative log_file paths."},
		{Name: Name{"DEFAULT", "use_stderr"}, Type: TypeBool, Default: one("false"), CLI: "use-stderr", Help: "Log to standard error."},
		{Name: Name{"DEFAULT", "use_json"}, Type: TypeBool, Default: one("false"), CLI: "use-json", Help: "Log in JSON."},
		{Name: Name{"DEFAULT", "use_syslog"}, Type: TypeBool, Default: one("false"), CLI: "use-syslog", Help: "Accepted for compatibility; logging to syslog is not supported (log to stderr under systemd instead)."},
		{Name: Name{"DEFAULT", "use_journal"}, Type: TypeBool, Default: one("false"), CLI: "use-journal", Help: "Accepted for compatibility; log to stderr under systemd instead."},
		{Name: Name{"DEFAULT", "watch_log_file"}, Type: TypeBool, Default: one("false"), CLI: "watch-log-file", Help: "Accepted for compatibility: the log file is reopened on SIGHUP."},
		{Name: Name{"DEFAULT", "log_config_append"}, Type: TypeString, Mutable: true, Deprecated: []Name{{"DEFAULT", "log_config"}}, CLI: "log-config-append", Help: "Accepted for compatibility; Python logging configuration files are not read."},
		{Name: Name{"DEFAULT", "log_date_format"}, Type: TypeString, Default: one("%Y-%m-%d %H:%M:%S"), CLI: "log-date-format", Help: "Accepted for compatibility."},

		// mitaka per-service exchange options (ceilometer/exchange_control.py)
		{Name: Name{"DEFAULT", "nova_control_exchange"}, Type: TypeString, Default: one("nova"), Help: "Exchange name for Nova notifications (mitaka-style listening)."},
		{Name: Name{"DEFAULT", "glance_control_exchange"}, Type: TypeString, Default: one("glance"), Help: "Exchange name for Glance notifications."},
		{Name: Name{"DEFAULT", "neutron_control_exchange"}, Type: TypeString, Default: one("neutron"), Help: "Exchange name for Neutron notifications."},
		{Name: Name{"DEFAULT", "cinder_control_exchange"}, Type: TypeString, Default: one("cinder"), Help: "Exchange name for Cinder notifications."},
		{Name: Name{"DEFAULT", "heat_control_exchange"}, Type: TypeString, Default: one("heat"), Help: "Exchange name for Heat notifications."},
		{Name: Name{"DEFAULT", "keystone_control_exchange"}, Type: TypeString, Default: one("keystone"), Help: "Exchange name for Keystone notifications."},
		{Name: Name{"DEFAULT", "sahara_control_exchange"}, Type: TypeString, Default: one("sahara"), Help: "Exchange name for Data Processing notifications."},
		{Name: Name{"DEFAULT", "swift_control_exchange"}, Type: TypeString, Default: one("swift"), Help: "Exchange name for Swift notifications."},
		{Name: Name{"DEFAULT", "magnum_control_exchange"}, Type: TypeString, Default: one("magnum"), Help: "Exchange name for Magnum notifications."},
		{Name: Name{"DEFAULT", "trove_control_exchange"}, Type: TypeString, Default: one("trove"), Help: "Exchange name for DBaaS notifications."},
		{Name: Name{"DEFAULT", "zaqar_control_exchange"}, Type: TypeString, Default: one("zaqar"), Help: "Exchange name for Messaging service notifications."},
		{Name: Name{"DEFAULT", "dns_control_exchange"}, Type: TypeString, Default: one("central"), Help: "Exchange name for DNS service notifications."},
		{Name: Name{"DEFAULT", "ceilometer_control_exchange"}, Type: TypeString, Default: one("ceilometer"), Help: "Exchange name for ceilometer notifications."},

		// [notification]
		{Name: Name{"notification", "ack_on_event_error"}, Type: TypeBool, Default: one("true"), Help: "Acknowledge message when event persistence fails."},
		{Name: Name{"notification", "messaging_urls"}, Type: TypeMulti, Secret: true, Help: "Messaging URLs to listen for notifications ([DEFAULT] transport_url is used if empty)."},
		{Name: Name{"notification", "batch_size"}, Type: TypeInt, Default: one("1"), Min: intp(1), Help: "Number of notification messages to wait before publishing them."},
		{Name: Name{"notification", "batch_timeout"}, Type: TypeInt, Help: "Seconds to wait before dispatching samples when batch_size is not reached (unset: agent-notification still drains a partial batch after 1 s)."},
		{Name: Name{"notification", "workers"}, Type: TypeInt, Default: one("1"), Min: intp(1), Deprecated: []Name{{"DEFAULT", "notification_workers"}}, Help: "Number of workers for notification service."},
		{Name: Name{"notification", "pipelines"}, Type: TypeMulti, Default: []string{"meter", "event"}, Choices: []string{"meter", "event"}, Help: "Select which pipeline managers to enable to generate data."},
		{Name: Name{"notification", "notification_control_exchanges"}, Type: TypeMulti, Default: defaultControlExchanges, Deprecated: []Name{{"DEFAULT", "http_control_exchanges"}}, Help: "Exchanges name to listen for notifications."},
		{Name: Name{"notification", "store_events"}, Type: TypeBool, Default: one("false"), Deprecated: []Name{{"DEFAULT", "store_events"}}, Help: "mitaka: save event details (enables the event pipeline when [notification] pipelines is not set)."},
		{Name: Name{"notification", "disable_non_metric_meters"}, Type: TypeBool, Default: one("true"), Help: "mitaka: disable the meters whose volume is not a measurement (existence meters)."},
		{Name: Name{"notification", "workload_partitioning"}, Type: TypeBool, Default: one("false"), Help: "mitaka: enable workload partitioning for stateful transformers."},
		{Name: Name{"notification", "pipeline_processing_queues"}, Type: TypeInt, Default: one("10"), Min: intp(1), Help: "mitaka: number of queues to parallelize workload across (partitioned transformers)."},

		// [oslo_messaging_notifications]
		{Name: Name{"oslo_messaging_notifications", "topics"}, Type: TypeList, Default: one("notifications"), Deprecated: []Name{{"rpc_notifier2", "topics"}, {"DEFAULT", "notification_topics"}}, Help: "AMQP topic used for OpenStack notifications."},
		{Name: Name{"oslo_messaging_notifications", "driver"}, Type: TypeMulti, Deprecated: []Name{{"DEFAULT", "notification_driver"}}, Help: "Notification drivers."},
		{Name: Name{"oslo_messaging_notifications", "transport_url"}, Type: TypeString, Secret: true, Deprecated: []Name{{"DEFAULT", "notification_transport_url"}}, Help: "URL of the notification messaging backend; falls back to [DEFAULT] transport_url."},
		{Name: Name{"oslo_messaging_notifications", "retry"}, Type: TypeInt, Default: one("-1"), Help: "Attempts to re-send a notification that failed to be delivered; -1 = indefinite."},

		// [oslo_messaging_rabbit]
		{Name: Name{"oslo_messaging_rabbit", "amqp_durable_queues"}, Type: TypeBool, Default: one("false"), Deprecated: []Name{{"DEFAULT", "amqp_durable_queues"}, {"DEFAULT", "rabbit_durable_queues"}}, Help: "Use durable queues in AMQP."},
		{Name: Name{"oslo_messaging_rabbit", "amqp_auto_delete"}, Type: TypeBool, Default: one("false"), Deprecated: []Name{{"DEFAULT", "amqp_auto_delete"}}, Help: "Auto-delete queues in AMQP."},
		{Name: Name{"oslo_messaging_rabbit", "ssl"}, Type: TypeBool, Default: one("false"), Deprecated: []Name{{"oslo_messaging_rabbit", "rabbit_use_ssl"}}, Help: "Connect over SSL."},
		{Name: Name{"oslo_messaging_rabbit", "ssl_version"}, Type: TypeString, Default: one(""), Deprecated: []Name{{"oslo_messaging_rabbit", "kombu_ssl_version"}}, Help: "SSL version to use."},
		{Name: Name{"oslo_messaging_rabbit", "ssl_key_file"}, Type: TypeString, Default: one(""), Deprecated: []Name{{"oslo_messaging_rabbit", "kombu_ssl_keyfile"}}, Help: "SSL key file."},
		{Name: Name{"oslo_messaging_rabbit", "ssl_cert_file"}, Type: TypeString, Default: one(""), Deprecated: []Name{{"oslo_messaging_rabbit", "kombu_ssl_certfile"}}, Help: "SSL cert file."},
		{Name: Name{"oslo_messaging_rabbit", "ssl_ca_file"}, Type: TypeString, Default: one(""), Deprecated: []Name{{"oslo_messaging_rabbit", "kombu_ssl_ca_certs"}}, Help: "SSL certification authority file."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_qos_prefetch_count"}, Type: TypeInt, Default: one("100"), Min: intp(0), Help: "Messages to prefetch (Ceilometer sets 100); 0 = unlimited."},
		{Name: Name{"oslo_messaging_rabbit", "heartbeat_timeout_threshold"}, Type: TypeInt, Default: one("60"), Min: intp(0), Help: "Seconds after which the broker is considered down if heartbeats fail; 0 disables heartbeats."},
		{Name: Name{"oslo_messaging_rabbit", "heartbeat_rate"}, Type: TypeInt, Default: one("2"), Min: intp(1), Help: "Heartbeat checks per heartbeat_timeout_threshold."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_retry_interval"}, Type: TypeInt, Default: one("1"), Min: intp(0), Help: "Seconds before the first reconnection attempt."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_retry_backoff"}, Type: TypeInt, Default: one("2"), Min: intp(0), Help: "Seconds added between reconnection attempts."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_interval_max"}, Type: TypeInt, Default: one("30"), Min: intp(1), Help: "Maximum seconds between reconnection attempts."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_ha_queues"}, Type: TypeBool, Default: one("false"), Deprecated: []Name{{"DEFAULT", "rabbit_ha_queues"}}, Help: "Declare queues with x-ha-policy: all."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_quorum_queue"}, Type: TypeBool, Default: one("false"), Help: "Declare queues with x-queue-type: quorum (durable)."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_quorum_delivery_limit"}, Type: TypeInt, Default: one("0"), Min: intp(0), Help: "x-delivery-limit of quorum queues; 0 = none."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_quroum_max_memory_length"}, Type: TypeInt, Default: one("0"), Min: intp(0), Help: "x-max-in-memory-length of quorum queues; 0 = none (oslo's spelling)."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_quroum_max_memory_bytes"}, Type: TypeInt, Default: one("0"), Min: intp(0), Help: "x-max-in-memory-bytes of quorum queues; 0 = none (oslo's spelling)."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_login_method"}, Type: TypeString, Default: one("AMQPLAIN"), Choices: []string{"PLAIN", "AMQPLAIN", "EXTERNAL", "RABBIT-CR-DEMO"}, Help: "The RabbitMQ login method."},
		{Name: Name{"oslo_messaging_rabbit", "kombu_failover_strategy"}, Type: TypeString, Default: one("round-robin"), Choices: []string{"round-robin", "shuffle"}, Help: "How the next broker of a multi-host URL is chosen."},
		{Name: Name{"oslo_messaging_rabbit", "kombu_reconnect_delay"}, Type: TypeFloat, Default: one("1.0"), Help: "Seconds to wait before reconnecting after a consumer cancel notification."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_host"}, Type: TypeString, Default: one("localhost"), Deprecated: []Name{{"DEFAULT", "rabbit_host"}}, Help: "mitaka: broker host, used when transport_url is not set."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_port"}, Type: TypeInt, Default: one("5672"), Min: intp(0), Max: intp(65535), Deprecated: []Name{{"DEFAULT", "rabbit_port"}}, Help: "mitaka: broker port."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_hosts"}, Type: TypeList, Default: one("$rabbit_host:$rabbit_port"), Deprecated: []Name{{"DEFAULT", "rabbit_hosts"}}, Help: "mitaka: broker host:port pairs."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_userid"}, Type: TypeString, Default: one("guest"), Deprecated: []Name{{"DEFAULT", "rabbit_userid"}}, Help: "mitaka: broker user."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_password"}, Type: TypeString, Default: one("guest"), Secret: true, Deprecated: []Name{{"DEFAULT", "rabbit_password"}}, Help: "mitaka: broker password."},
		{Name: Name{"oslo_messaging_rabbit", "rabbit_virtual_host"}, Type: TypeString, Default: one("/"), Deprecated: []Name{{"DEFAULT", "rabbit_virtual_host"}}, Help: "mitaka: broker virtual host."},

		// [publisher], [publisher_notifier]
		{Name: Name{"publisher", "telemetry_secret"}, Type: TypeString, Default: one("change this for valid signing"), Secret: true, Deprecated: []Name{{"DEFAULT", "metering_secret"}, {"publisher_rpc", "metering_secret"}, {"publisher", "metering_secret"}}, Help: "Secret value for signing messages; empty disables signing."},
		{Name: Name{"publisher_notifier", "metering_topic"}, Type: TypeString, Default: one("metering"), Help: "Topic of metering notifications."},
		{Name: Name{"publisher_notifier", "event_topic"}, Type: TypeString, Default: one("event"), Help: "Topic of event notifications."},
		{Name: Name{"publisher_notifier", "telemetry_driver"}, Type: TypeString, Default: one("messagingv2"), Deprecated: []Name{{"publisher_notifier", "metering_driver"}}, Help: "Notifier driver of the notifier:// publisher."},

		// [meter], [event]
		{Name: Name{"meter", "meter_definitions_dirs"}, Type: TypeMulti, Default: []string{"/etc/ceilometer/meters.d"}, Help: "Directories of meter definition files (*.yaml); the agent's built-in definitions are used when none is found."},
		{Name: Name{"meter", "meter_definitions_cfg_file"}, Type: TypeString, Help: "mitaka: a single meter definitions file, read in addition to meter_definitions_dirs."},
		{Name: Name{"event", "definitions_cfg_file"}, Type: TypeString, Default: one("event_definitions.yaml"), Help: "Configuration file for event definitions."},
		{Name: Name{"event", "drop_unmatched_notifications"}, Type: TypeBool, Default: one("false"), Help: "Drop notifications if no event definition matches."},
		{Name: Name{"event", "store_raw"}, Type: TypeMulti, Choices: []string{"info", "error"}, Help: "Store the raw notification for select priority levels (info and/or error)."},

		// [oslo_reports]
		{Name: Name{"oslo_reports", "log_dir"}, Type: TypeString, Help: "Directory where diagnostics reports (SIGUSR2) are written; stderr when unset."},

		// [agent_notification]: options of this agent that Ceilometer does not have
		// (Ceilometer ignores the group).
		{Name: Name{"agent_notification", "metrics_listen"}, Type: TypeString, Default: one(""), Help: "host:port of the HTTP endpoint serving /metrics (Prometheus text format), /healthz and /readyz for the whole agent, e.g. 127.0.0.1:9465; empty disables it. agent-notification extension."},
	}
	return opts
}
