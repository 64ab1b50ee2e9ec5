// Package wait holds the context-aware sleep that back-offs and retry loops
// share.
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends; it reports whether d elapsed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
