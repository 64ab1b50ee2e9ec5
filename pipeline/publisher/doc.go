// Package publisher holds the publishers a sink sends its samples and events
// to, keyed by URL scheme as in Ceilometer's pipeline.yaml:
//
//	notifier://[host:port[/vhost]][?topic=…&driver=…&policy=default|drop|queue&max_queue_length=N&per_meter_topic=1]
//	file://PATH[?max_bytes=N&backup_count=N&json]
//	test://
//
// Every publisher is a component (Start/Shutdown) and implements
// pipeline.SamplePublisher and pipeline.EventPublisher; a publish returns only
// once the target accepted the data, which is what lets the listener ack a
// notification safely.
package publisher
