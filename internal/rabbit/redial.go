package rabbit

import (
	"context"
	"io"
	"time"

	"github.com/openstack-go/agent-notification/internal/wait"
)

// Redial is a consumer's connection loop: it connects with dial (Dial or
// DialWire) to the first endpoint
// that answers (round robin from the last one that did), runs session on the
// connection until it returns, closes the connection, and — unless ctx has
// ended — backs off (backoff(n) before attempt n, reset by every successful
// connection, lost told why and for how long) and repeats. session gets
// whether this connection follows a lost one (a reconnection) and the endpoint
// used. Redial returns when ctx ends.
func Redial[C io.Closer](ctx context.Context, dial func(context.Context, []Endpoint, int, Settings) (C, int, error),
	eps []Endpoint, s Settings, backoff func(n int) time.Duration,
	session func(ctx context.Context, conn C, reconnected bool, ep Endpoint) error,
	lost func(err error, retryIn time.Duration)) {
	attempt, next := 0, 0
	for {
		conn, idx, err := dial(ctx, eps, next, s)
		if err == nil {
			next = idx
			reconnected := attempt > 0
			attempt = 0
			err = session(ctx, conn, reconnected, eps[idx])
			_ = conn.Close()
		} else {
			next++
		}
		if ctx.Err() != nil {
			return
		}
		delay := backoff(attempt)
		lost(err, delay)
		attempt++
		if !wait.Sleep(ctx, delay) {
			return
		}
	}
}
