// Package ratelog bounds how many log lines a source of repeated problems
// (malformed input, a publish target that is down) may write: every occurrence
// is still counted by its caller, but a flood cannot flood the log.
package ratelog

import (
	"sync"
	"time"
)

// Limiter lets through at most N lines per period. The zero value lets nothing
// through; use New. It is safe for concurrent use.
type Limiter struct {
	mu     sync.Mutex
	n      int
	period time.Duration
	start  time.Time
	count  int
}

// New returns a limiter of n lines per period.
func New(n int, period time.Duration) *Limiter {
	return &Limiter{n: n, period: period}
}

// Allow reports whether one more line may be written now.
func (l *Limiter) Allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.start) > l.period {
		l.start, l.count = now, 0
	}
	l.count++
	return l.count <= l.n
}
