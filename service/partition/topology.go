package partition

import (
	"fmt"
	"hash/fnv"
	"strconv"

	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultQueuePrefix names the partition queues: <prefix>.<i>, i in
// [0, partitions). Ceilometer's own are ceilometer-pipe-<pipeline>-<i>, so the
// two never clash on a shared broker.
const DefaultQueuePrefix = "agent-notification.transform"

// Topology is the set of partition queues every worker of every agent shares.
// All agents on a broker must agree on it (prefix and partition count, i.e.
// [notification] pipeline_processing_queues), as Ceilometer's agents must.
type Topology struct {
	Prefix     string // DefaultQueuePrefix when empty
	Partitions int    // ≥ 1
	// Durable queues and persistent messages survive a broker restart
	// ([oslo_messaging_rabbit] amqp_durable_queues, or quorum queues).
	Durable bool
	// QueueArgs are added to x-single-active-consumer (e.g. x-queue-type:
	// quorum); nil for classic queues.
	QueueArgs amqp.Table
}

func (t Topology) prefix() string {
	if t.Prefix == "" {
		return DefaultQueuePrefix
	}
	return t.Prefix
}

// Queue returns the name of partition i.
func (t Topology) Queue(i int) string { return t.prefix() + "." + strconv.Itoa(i) }

// Queues returns the names of the partition queues.
func (t Topology) Queues() []string {
	qs := make([]string, t.Partitions)
	for i := range qs {
		qs[i] = t.Queue(i)
	}
	return qs
}

// Partition returns the partition of a series: a stable hash (FNV-1a, the
// same in every process and release) of its chain group and grouping key.
func (t Topology) Partition(group, key string) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(group))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(key))
	return int(h.Sum64() % uint64(t.Partitions))
}

// declare declares partition queue i: single-active-consumer, so the broker
// picks exactly one owner among the workers consuming it and hands it to the
// next when that owner goes away.
func (t Topology) declare(ch *amqp.Channel, i int) error {
	args := amqp.Table{"x-single-active-consumer": true}
	for k, v := range t.QueueArgs {
		args[k] = v
	}
	q := t.Queue(i)
	if _, err := ch.QueueDeclare(q, t.Durable, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %q: %w", q, err)
	}
	return nil
}

func (t Topology) validate() error {
	if t.Partitions < 1 {
		return fmt.Errorf("partition: %d partitions ([notification] pipeline_processing_queues must be at least 1)", t.Partitions)
	}
	return nil
}
