// Package partition gives every stateful series exactly one transformer
// instance in the whole deployment — any number of workers, any number of
// agents on one broker — using RabbitMQ's own primitives: no coordinator, no
// external service (design §5; peers §1.2(d), §3 items 2–4).
//
// # Design
//
// A pipeline whose transformer chain keeps state (rate_of_change, delta,
// accumulator, aggregator, arithmetic: transformer.PartitionKey) is routed:
// instead of transforming in place, the worker that decoded the notification
// hands its samples to a Router, which publishes them, one message per
// (pipeline, partition), to the partition queues
//
//	agent-notification.transform.<i>, i in [0, [notification] pipeline_processing_queues)
//
// choosing i by a stable hash (FNV-1a) of the pipeline's chain group and the
// sample's grouping key (resource_id). Pipelines sharing a sink share its
// chain, so they form one group and partition alike. Every queue is declared
// with x-single-active-consumer, and every worker of every agent runs a
// Consumer on all of them: the broker delivers each queue to exactly one of
// its consumers and, when that consumer's channel or connection goes (worker
// killed, host lost, heartbeat timeout), promotes the next one — unacked
// messages first, in their queue order. Failover therefore takes as long as
// the broker needs to notice the loss: immediate for a process that died
// (its socket closes), the heartbeat timeout for a host that vanished.
//
// Why not the consistent-hash exchange: with one queue per worker bound to an
// x-consistent-hash exchange, a dying worker takes its exclusive queue and
// the batches in it with it (or leaves a durable queue nobody consumes), and
// a worker joining or leaving re-maps series while the old owner still holds
// unprocessed batches, so two instances see one series at once. Fixed queues
// with a single active consumer keep both the messages and the order across
// a hand-over, which is what "identical outputs" needs.
//
// Pipelines without stateful transformers are not routed: they skip the hop.
//
// # Correctness across failures
//
// The Router returns only after the broker confirmed every message, so the
// notification is acked after the hand-over (at least once). The Consumer
// acks a batch after Deliver returned. Deliver runs the transformers once and
// retries the publishers that refuse their output until they accept it (the
// output exists nowhere else: a redelivered batch is not transformed again),
// so a batch is requeued only when the consumer stops before that. Hence a
// batch may arrive twice (a notification redelivered after its samples were
// routed; a batch held when its owner stopped) and a new owner starts with
// empty transformer state. Before Deliver, an ordering filter per partition drops every
// sample whose timestamp is not newer than the newest already delivered
// for its series (group, name, resource_id): duplicates never become a zero
// rate and late samples never a negative one; they are counted
// (ConsumerStats.Stale). A new owner treats the next sample of each series
// as a first sample: a series restarts, no value is wrong.
//
// # Lifecycle
//
//	Router:   NewRouter → Start (connects) → Route … (concurrent) → Shutdown
//	Consumer: NewConsumer → Start ─┬─ connection loop (reconnects with back-off)
//	                               │    └─ one goroutine + channel per partition:
//	                               │         declare, wait the stagger, consume,
//	                               │         decode → filter → Deliver → ack
//	                               └─ flush loop (FlushRouted every FlushEvery)
//	          Shutdown: cancel consumers, deliver and ack what was received,
//	                    close; past the ctx deadline, requeue the rest.
//
// In a worker: start after the publishers and before the listeners; stop
// after the listeners (no Route in flight) and before the final transformer
// drain (service/partition_wiring.go).
//
// Every goroutine is owned: the Consumer's are started by Start and waited
// for by Shutdown; the Router starts none (amqp091's own aside).
//
// # Limits
//
//   - All agents on a broker must share pipeline.yaml and
//     pipeline_processing_queues (as Ceilometer's must): a batch for a
//     pipeline an agent does not route is rejected.
//   - Ownership is sticky: the broker's first registered consumer owns a
//     queue. Consumers wait a random delay (Stagger) before registering
//     after a (re)connection so that workers starting together share the
//     partitions, but a worker that starts later is a standby until an owner
//     goes; there is no rebalancing.
//   - A consumer that lost its connection and, much later, becomes an owner
//     again still has the transformer state of its earlier ownership; the
//     next output of such a series spans the gap (the average over a longer
//     interval, never negative or zero).
//   - A notification redelivered after a later poll of the same series was
//     already routed (a worker killed while holding it) makes the later
//     output span two intervals and the late sample be dropped. Polls of a
//     series are an interval (minutes) apart, so this needs a redelivery
//     delayed by that much.
package partition
