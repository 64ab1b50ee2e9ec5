package pipeline

import (
	"context"
	"errors"
)

// SamplePublisher publishes the samples of one notification (after the sink's
// transformers). It returns only once the samples are accepted by the target —
// a broker confirm, a completed write — because the listener acks the
// notification when every publisher has returned nil. It is called
// concurrently.
type SamplePublisher interface {
	PublishSamples(ctx context.Context, samples []Sample) error
}

// EventPublisher publishes the events of one notification; same contract as
// SamplePublisher.
type EventPublisher interface {
	PublishEvents(ctx context.Context, events []Event) error
}

// ErrDrop is returned (wrapped) by a stage that filtered data deliberately: it is
// counted, not treated as a failure, and does not hold back the ack.
var ErrDrop = errors.New("pipeline: dropped")
