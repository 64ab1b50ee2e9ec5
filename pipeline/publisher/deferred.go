package publisher

import (
	"context"
	"errors"
	"sync"
)

// Deferred lets a caller publish now and wait for the broker's confirms later.
// A publisher that finds one in its context (WithDeferred) — notifier:// does —
// sends its messages and, instead of waiting for their confirms, adds a wait to
// it: the publish call returns once the messages are written, and Wait returns
// once every one is confirmed, retried according to the publisher's policy if
// needed (an error means one was not, as the publish call would have said).
//
// The worker uses it so that nothing of a notification but the bytes sent stays
// alive while its confirms are awaited: the decoded notification, samples and
// event are garbage once published, and memory per notification in flight is
// that of its output messages. Publishers that do not know Deferred (file://,
// test://) stay synchronous, which is also correct.
type Deferred struct {
	mu    sync.Mutex
	waits []func(context.Context) error
}

type deferredKey struct{}

// WithDeferred returns ctx carrying d.
func WithDeferred(ctx context.Context, d *Deferred) context.Context {
	return context.WithValue(ctx, deferredKey{}, d)
}

func deferredFrom(ctx context.Context) *Deferred {
	d, _ := ctx.Value(deferredKey{}).(*Deferred)
	return d
}

func (d *Deferred) add(wait func(context.Context) error) {
	d.mu.Lock()
	d.waits = append(d.waits, wait)
	d.mu.Unlock()
}

// Pending reports whether some confirm is awaited.
func (d *Deferred) Pending() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.waits) > 0
}

// Wait waits for every deferred confirm (all of them, even after a failure)
// and returns their errors joined; the waits are consumed.
func (d *Deferred) Wait(ctx context.Context) error {
	d.mu.Lock()
	waits := d.waits
	d.waits = nil
	d.mu.Unlock()
	var errs []error // nil unless one fails: no allocation per notification
	for _, w := range waits {
		if err := w(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
