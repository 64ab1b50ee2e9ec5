package service

import (
	"context"
	"errors"
	"time"

	"github.com/openstack-go/agent-notification/internal/rabbit"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/transformer"
	"github.com/openstack-go/agent-notification/service/partition"
)

// partitioning is the transformer hop of a worker: the router its routed
// pipelines publish to and the consumer of the partitions it may own.
type partitioning struct {
	router   *partition.Router
	consumer *partition.Consumer
}

// Start starts the consumer, then connects the router.
func (p *partitioning) Start(ctx context.Context) error {
	return errors.Join(p.consumer.Start(ctx), p.router.Start(ctx))
}

// Shutdown closes the router (the listeners, its callers, are already
// stopped), then drains the consumer.
func (p *partitioning) Shutdown(ctx context.Context) error {
	return errors.Join(p.router.Shutdown(ctx), p.consumer.Shutdown(ctx))
}

// newPartitioning routes the sample pipelines whose transformer chain keeps
// state through the partition queues (see package partition) and returns the
// component that runs the hop, or nil when no pipeline is stateful (they all
// run in place, without the hop). Its router and consumer Stats are the hop's
// counters. Call it in NewWorker once w.samples is built; start the
// component after the publishers and before the listeners, and shut it down
// after the listeners and before the final transformer drain.
func newPartitioning(w *Worker) (*partitioning, error) {
	if w.samples == nil {
		return nil, nil
	}
	cfg := w.gen.Config
	rs, err := rabbit.SettingsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	qargs, err := rabbit.QueueArgs(cfg.Rabbit)
	if err != nil {
		return nil, err
	}
	topo := partition.Topology{
		Partitions: max(cfg.Notification.ProcessingQueues, 1),
		Durable:    rabbit.Durable(cfg.Rabbit),
		QueueArgs:  qargs,
	}
	// Pipelines sharing a sink share its chain (transformer.SharedChains):
	// they form one group, named after the first of them, so that every
	// sample reaching the chain is partitioned alike.
	chains := map[string][]pipeline.Transformer{}
	groups := map[string]string{}
	var routedChains [][]pipeline.Transformer
	key := func(p string, s *pipeline.Sample) string {
		k, _ := transformer.PartitionKey(chains[p], s)
		return k
	}
	group := func(p string) string { return groups[p] }
	router, err := partition.NewRouter(partition.RouterSettings{
		Logger: w.logger.Named("partition"), URL: cfg.PublishURL(), Rabbit: rs, Topology: topo, Key: key, Group: group,
	})
	if err != nil {
		return nil, err
	}
	names := w.samples.Route(router, func(chain []pipeline.Transformer) bool {
		if _, stateful := transformer.PartitionKey(chain, &pipeline.Sample{}); !stateful {
			return false
		}
		routedChains = append(routedChains, chain)
		return true
	})
	if len(names) == 0 {
		return nil, nil // nothing is routed: the router stays unused
	}
	if len(names) != len(routedChains) {
		return nil, errors.New("partition: routed pipelines and chains disagree")
	}
	first := map[*pipeline.Transformer]string{}
	for i, n := range names {
		c := routedChains[i]
		chains[n] = c
		if g, ok := first[&c[0]]; ok {
			groups[n] = g
		} else {
			first[&c[0]] = n
			groups[n] = n
		}
	}
	consumer, err := partition.NewConsumer(partition.ConsumerSettings{
		Logger: w.logger.Named("partition"), URL: cfg.PublishURL(), Rabbit: rs,
		Backoff:  func(n int) time.Duration { return rabbit.Backoff(cfg.Rabbit, n) },
		Topology: topo, Deliverer: w.samples, Pipelines: names, Group: group,
	})
	if err != nil {
		return nil, err
	}
	w.logger.Info("stateful pipelines are partitioned", "pipelines", names, "partitions", topo.Partitions)
	return &partitioning{router: router, consumer: consumer}, nil
}

var _ Component = (*partitioning)(nil)
