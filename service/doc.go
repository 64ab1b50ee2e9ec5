// Package service is the notification service one worker runs.
//
// It is built from a validated Generation (ceilometer.conf plus every YAML file
// it references, compiled) and wires, for every broker URL, a Listener (the
// oslo.messaging notification topology: queues <topic>.<priority> bound to every
// control exchange) to the meter definitions and the event converter, the sample
// and event pipelines, and their publishers.
//
// Lifecycle of a Worker:
//
//	NewWorker ──▶ Start: publishers, then listeners (downstream first)
//	               │  listeners connect, declare, consume; once all consume → OnReady (ready)
//	               ▼
//	            running: each delivery → Decode (once) → samples/event → pipelines →
//	               │     publishers (confirmed) → ack; malformed → reject (dead-lettered by a
//	               │     broker policy, else dropped) + counter; publish failure → requeue
//	               │     after a pause
//	               ▼
//	            Shutdown: listeners stop consuming and drain what is in flight (acked),
//	                      then publishers close (upstream first)
//
// Delivery is at least once: a notification leaves its queue only after every
// publisher that received its outputs accepted them. A lost connection or channel
// is recovered by the listener with oslo's back-off; deliveries in flight on a
// dead channel are redelivered by the broker.
//
// Metrics (metrics.go): Service implements launcher.MetricsReporter. Worker.Collect
// exports the listeners' counters (ListenerStats: received = acked + requeued +
// rejected + ack failures + in flight at every instant; rejects by decode reason),
// the oldest in-flight age, the worker's Counters, the managers' Stats, per-publisher
// counts (publishers are wrapped by URL, secrets masked) and the transformers'
// StatsReporter counters; Worker.Ready is true while every listener consumes.
package service
