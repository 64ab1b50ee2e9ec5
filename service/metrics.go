package service

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/openstack-go/agent-notification/conf"
	"github.com/openstack-go/agent-notification/internal/metrics"
	"github.com/openstack-go/agent-notification/launcher"
	"github.com/openstack-go/agent-notification/pipeline"
	"github.com/openstack-go/agent-notification/pipeline/transformer"
	"github.com/openstack-go/agent-notification/service/partition"
)

// Metric names a worker reports (the parent adds worker=<id> and its own).
const (
	MetricReceived       = "agent_notification_notifications_received_total"
	MetricAcked          = "agent_notification_notifications_acked_total"
	MetricRequeued       = "agent_notification_notifications_requeued_total"
	MetricRejected       = "agent_notification_notifications_rejected_total"
	MetricAckFailures    = "agent_notification_notifications_ack_failures_total"
	MetricInFlight       = "agent_notification_notifications_in_flight"
	MetricOldestInFlight = "agent_notification_notifications_oldest_in_flight_seconds"
	MetricPublishRetries = "agent_notification_notifications_publish_retries_total"
	MetricReconnects     = "agent_notification_broker_reconnects_total"
	MetricListeners      = "agent_notification_listeners"
	MetricConsuming      = "agent_notification_listeners_consuming"
	MetricSamplesMade    = "agent_notification_samples_generated_total"
	MetricEventsMade     = "agent_notification_events_generated_total"
	MetricConversionErrs = "agent_notification_conversion_errors_total"
	MetricInvalidVolume  = "agent_notification_samples_invalid_volume_total"
	MetricUnmatched      = "agent_notification_samples_unmatched_total"
	MetricSamplesPub     = "agent_notification_samples_published_total"
	MetricEventsPub      = "agent_notification_events_published_total"
	MetricPublishFails   = "agent_notification_publish_failures_total"
	MetricPublisherDrops = "agent_notification_publisher_dropped_total"
	MetricTransformerIO  = "agent_notification_transformer_samples_total"
	MetricTransformDrops = "agent_notification_transformer_dropped_total"
	MetricTransformEvict = "agent_notification_transformer_evicted_total"
	MetricPartBatches    = "agent_notification_partition_batches_total"
	MetricPartSamples    = "agent_notification_partition_samples_total"
	MetricPartStale      = "agent_notification_partition_stale_samples_total"
	MetricPartFailures   = "agent_notification_partition_failures_total"
	MetricPartReconnects = "agent_notification_partition_reconnects_total"
	MetricPartOwned      = "agent_notification_partitions_owned"
)

// Metrics implements launcher.MetricsReporter: the counters of every running
// worker (two during an in-process rolling reload; a series present in both is
// summed), and readiness: some worker that is not stopping has every listener
// consuming.
func (s *Service) Metrics() metrics.Report {
	s.mu.Lock()
	ws := make([]*Worker, 0, len(s.running))
	for w := range s.running {
		ws = append(ws, w)
	}
	s.mu.Unlock()
	var set metrics.Set
	rep := metrics.Report{Reason: "not started"}
	for _, w := range ws {
		w.Collect(&set)
		if ok, why := w.Ready(); ok {
			rep.Ready, rep.Reason = true, ""
		} else if !rep.Ready {
			rep.Reason = why
		}
	}
	rep.Families = set.Families()
	return rep
}

func (s *Service) track(w *Worker, running bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == nil {
		s.running = map[*Worker]struct{}{}
	}
	if running {
		s.worker = w
		s.running[w] = struct{}{}
	} else {
		delete(s.running, w)
	}
}

// Ready reports whether every listener of w consumes, and why not.
func (w *Worker) Ready() (bool, string) {
	if w.stats.stopping.Load() {
		return false, "stopping"
	}
	n := 0
	for _, l := range w.listeners {
		if l.Consuming() {
			n++
		}
	}
	if n < len(w.listeners) {
		return false, fmt.Sprintf("%d of %d listeners consuming (connecting to the broker)", n, len(w.listeners))
	}
	return true, ""
}

// Collect adds w's metrics to s. Listener counters are read received first,
// then in flight, then the outcomes (see ListenerStats), so that in every
// scrape received <= acked + requeued + rejected + ack failures + in flight.
func (w *Worker) Collect(s *metrics.Set) {
	received := s.Counter(MetricReceived, "Notifications delivered by the broker (redeliveries included).")
	inFlight := s.Gauge(MetricInFlight, "Notifications being processed, not yet acked, requeued or rejected.")
	acked := s.Counter(MetricAcked, "Notifications acked: processed and every output accepted by its publishers (or deliberately dropped).")
	requeued := s.Counter(MetricRequeued, "Notifications given back to the broker (publishing failed, or interrupted by a shutdown deadline).")
	rejected := s.Counter(MetricRejected, "Malformed notifications rejected without requeue (dead-lettered when the queue has a dead-letter exchange), by reason.")
	ackFails := s.Counter(MetricAckFailures, "Notifications whose ack, requeue or reject could not be sent because the channel had closed; the broker redelivers them.")
	oldest := s.MaxGauge(MetricOldestInFlight, "Age of the oldest notification in flight, 0 when none is.")
	reconnects := s.Counter(MetricReconnects, "Reconnections of the listeners to the broker after a lost connection or channel.")
	listeners := s.Gauge(MetricListeners, "Listeners (broker URLs consumed).")
	consuming := s.Gauge(MetricConsuming, "Listeners consuming every queue right now.")
	for _, reason := range []string{ReasonTooLarge, ReasonContentType, ReasonContentEncoding, ReasonCompression, ReasonInvalidJSON, ReasonNotObject, ReasonEnvelopeVersion, ReasonEnvelope, ReasonPriority, ReasonEventType} {
		rejected.Add(0, "reason", reason) // every known reason, so rates start at 0
	}
	for _, l := range w.listeners {
		st := &l.Stats
		received.Add(float64(st.Received.Load()))
		inFlight.Add(float64(st.InFlight.Load()))
		acked.Add(float64(st.Acked.Load()))
		requeued.Add(float64(st.Requeued.Load()))
		ackFails.Add(float64(st.AckErrors.Load()))
		for reason, n := range st.RejectedBy() {
			rejected.Add(float64(n), "reason", reason)
		}
		oldest.Add(l.OldestInFlight().Seconds())
		reconnects.Add(float64(st.Reconnects.Load()))
		listeners.Add(1)
		if l.Consuming() {
			consuming.Add(1)
		} else {
			consuming.Add(0)
		}
	}
	if len(w.listeners) == 0 {
		for _, b := range []metrics.Builder{received, inFlight, acked, requeued, ackFails, oldest, reconnects, listeners, consuming} {
			b.Add(0)
		}
	}

	c := &w.Counters
	s.Counter(MetricPublishRetries, "Notifications requeued after a pause because a publisher did not accept their samples or events.").Add(float64(c.PublishFailure.Load()))
	s.Counter(MetricSamplesMade, "Samples made from notifications by the meter definitions and plugins.").Add(float64(c.Samples.Load()))
	s.Counter(MetricEventsMade, "Events made from notifications by the event definitions.").Add(float64(c.Events.Load()))
	convErr := s.Counter(MetricConversionErrs, "Notifications that could not be fully converted (the rest of their data is kept), by data type.")
	convErr.Add(float64(c.SampleErrors.Load()), "data", "samples")
	convErr.Add(float64(c.EventErrors.Load()), "data", "events")
	invalid := s.Counter(MetricInvalidVolume, "Samples dropped by volume validation (a volume that is not a number).")
	unmatched := s.Counter(MetricUnmatched, "Samples that no pipeline source wanted.")
	if w.samples != nil {
		invalid.Add(float64(w.samples.Stats.InvalidVolume.Load()))
		unmatched.Add(float64(w.samples.Stats.Filtered.Load()))
	} else {
		invalid.Add(0)
		unmatched.Add(0)
	}

	samplesPub := s.Counter(MetricSamplesPub, "Samples accepted by each publisher (URL, secrets masked).")
	eventsPub := s.Counter(MetricEventsPub, "Events accepted by each publisher (URL, secrets masked).")
	fails := s.Counter(MetricPublishFails, "Publish calls a publisher did not accept, by data type and publisher.")
	drops := s.Counter(MetricPublisherDrops, "Messages a publisher dropped after failing to send them (notifier:// with policy=drop, or its queue overflowing with policy=queue).")
	for _, p := range w.stats.publishers {
		if p.data == "samples" {
			samplesPub.Add(float64(p.published.Load()), "publisher", p.url)
		} else {
			eventsPub.Add(float64(p.published.Load()), "publisher", p.url)
		}
		fails.Add(float64(p.failures.Load()), "data", p.data, "publisher", p.url)
		if p.dropped != nil {
			drops.Add(float64(p.dropped()), "data", p.data, "publisher", p.url)
		}
	}

	tio := s.Counter(MetricTransformerIO, "Samples into and out of each transformer of a sink.")
	tdrop := s.Counter(MetricTransformDrops, "Samples a transformer dropped, by reason: no_predecessor (first sample of a resource), out_of_order, negative (growth_only), error (evaluation failed), overflow (aggregator window full).")
	tevict := s.Counter(MetricTransformEvict, "Per-resource state entries a transformer evicted to stay within its bound.")
	for _, c := range w.stats.chains {
		for _, t := range c.chain {
			r, ok := t.(transformer.StatsReporter)
			if !ok {
				continue
			}
			st := r.Stats()
			ls := []string{"sink", c.sink, "transformer", t.Name()}
			tio.Add(float64(st.In.Load()), append(ls, "direction", "in")...)
			tio.Add(float64(st.Out.Load()), append(ls, "direction", "out")...)
			for _, d := range []struct {
				reason string
				n      *atomic.Uint64
			}{{"no_predecessor", &st.NoPredecessor}, {"out_of_order", &st.OutOfOrder}, {"negative", &st.Negative}, {"error", &st.Errors}, {"overflow", &st.Overflow}} {
				tdrop.Add(float64(d.n.Load()), append(ls, "reason", d.reason)...)
			}
			tevict.Add(float64(st.Evicted.Load()), ls...)
		}
	}
	w.collectPartitioning(s)
}

// collectPartitioning reports the transformer hop (§5 of docs/design.md):
// zeros when no pipeline is partitioned.
func (w *Worker) collectPartitioning(s *metrics.Set) {
	batches := s.Counter(MetricPartBatches, "Sample batches of the stateful pipelines through the partition queues: by side: routed (outcome confirmed by the broker) and consumed (outcome acked, requeued, rejected).")
	samples := s.Counter(MetricPartSamples, "Samples routed to the partition queues, and delivered to the transformers by the partitions this worker owns.")
	stale := s.Counter(MetricPartStale, "Samples dropped by a partition owner as duplicate or older than the last one of their series (redeliveries).")
	fails := s.Counter(MetricPartFailures, "Routing calls that failed (the notification is requeued).")
	reconnects := s.Counter(MetricPartReconnects, "Reconnections of the partition router and consumer to the broker.")
	owned := s.Gauge(MetricPartOwned, "Partitions that delivered to this worker since its consumer last (re)connected: those it owns, as far as it knows.")
	var r *partition.RouterStats
	var c *partition.ConsumerStats
	if w.partitioning != nil {
		r, c = &w.partitioning.router.Stats, &w.partitioning.consumer.Stats
	} else {
		r, c = &partition.RouterStats{}, &partition.ConsumerStats{}
	}
	batches.Add(float64(r.Batches.Load()), "side", "routed", "outcome", "confirmed")
	batches.Add(float64(c.Acked.Load()), "side", "consumed", "outcome", "acked")
	batches.Add(float64(c.Requeued.Load()), "side", "consumed", "outcome", "requeued")
	batches.Add(float64(c.Rejected.Load()), "side", "consumed", "outcome", "rejected")
	samples.Add(float64(r.Samples.Load()), "side", "routed")
	samples.Add(float64(c.Samples.Load()), "side", "consumed")
	stale.Add(float64(c.Stale.Load()))
	fails.Add(float64(r.Failures.Load()))
	reconnects.Add(float64(r.Reconnects.Load()), "side", "router")
	reconnects.Add(float64(c.Reconnects.Load()), "side", "consumer")
	owned.Add(float64(c.Active.Load()))
}

// workerStats is what Collect reads besides the listeners, counters and
// managers: per-publisher counts and the transformer chains. Filled while
// NewWorker builds the pipelines (one goroutine), read-only afterwards.
type workerStats struct {
	publishers []*publisherStats
	byKey      map[string]*publisherStats
	chains     []sinkChain
	stopping   atomic.Bool
}

type publisherStats struct {
	data      string // "samples" or "events"
	url       string // masked
	published atomic.Uint64
	failures  atomic.Uint64
	dropped   func() uint64 // nil unless the publisher counts drops
}

type sinkChain struct {
	sink  string
	chain []pipeline.Transformer
}

func (ws *workerStats) publisher(cfg *conf.Config, data, url string, p any) *publisherStats {
	if ws.byKey == nil {
		ws.byKey = map[string]*publisherStats{}
	}
	key := data + "\x00" + url
	if st, ok := ws.byKey[key]; ok {
		return st
	}
	st := &publisherStats{data: data, url: conf.Scrub(conf.MaskURL(url), cfg.Secrets())}
	if d, ok := p.(interface {
		Stats() (published, dropped uint64)
	}); ok {
		st.dropped = func() uint64 { _, n := d.Stats(); return n }
	}
	ws.byKey[key] = st
	ws.publishers = append(ws.publishers, st)
	return st
}

func (ws *workerStats) countSamples(cfg *conf.Config, url string, p pipeline.SamplePublisher) pipeline.SamplePublisher {
	return countingSamples{p, ws.publisher(cfg, "samples", url, p)}
}

func (ws *workerStats) countEvents(cfg *conf.Config, url string, p pipeline.EventPublisher) pipeline.EventPublisher {
	return countingEvents{p, ws.publisher(cfg, "events", url, p)}
}

// addChain records a sink's transformer chain once (sinks shared by several
// pipelines share their chain).
func (ws *workerStats) addChain(sink string, chain []pipeline.Transformer) {
	if len(chain) == 0 {
		return
	}
	for _, c := range ws.chains {
		if &c.chain[0] == &chain[0] {
			return
		}
	}
	ws.chains = append(ws.chains, sinkChain{sink: sink, chain: chain})
}

// countingSamples counts what a sample publisher accepted and refused.
type countingSamples struct {
	next pipeline.SamplePublisher
	st   *publisherStats
}

func (c countingSamples) PublishSamples(ctx context.Context, samples []pipeline.Sample) error {
	return c.st.count(c.next.PublishSamples(ctx, samples), len(samples))
}

// countingEvents counts what an event publisher accepted and refused.
type countingEvents struct {
	next pipeline.EventPublisher
	st   *publisherStats
}

func (c countingEvents) PublishEvents(ctx context.Context, events []pipeline.Event) error {
	return c.st.count(c.next.PublishEvents(ctx, events), len(events))
}

// count records the result of one publish call of n items and returns err.
func (st *publisherStats) count(err error, n int) error {
	if err != nil {
		st.failures.Add(1)
	} else {
		st.published.Add(uint64(n))
	}
	return err
}

var (
	_ pipeline.SamplePublisher = countingSamples{}
	_ pipeline.EventPublisher  = countingEvents{}
)

var _ launcher.MetricsReporter = (*Service)(nil)
