package launcher

import "time"

// forkLimiter is oslo.service's fork-rate rule, kept as a floor: when more than n forks are
// recorded and the oldest of them is younger than n seconds, wait one second (once, whatever the
// deficit). It owns no goroutine and no clock: callers pass the (monotonic) time.
//
// Use: d := l.delay(now); if d > 0 wait d (log "Forking too fast, sleeping"); then l.record(now').
type forkLimiter struct {
	n     int
	times []time.Time // fork times, oldest first, at most n+1 kept
}

func newForkLimiter(n int) *forkLimiter {
	if n < 1 {
		n = 1
	}
	return &forkLimiter{n: n}
}

// delay returns how long to wait before the next fork (0 or exactly one second).
func (l *forkLimiter) delay(now time.Time) time.Duration {
	if len(l.times) > l.n && now.Sub(l.times[0]) < time.Duration(l.n)*time.Second {
		return time.Second
	}
	return 0
}

// record notes a fork at now (taken after any wait), dropping the oldest entry once more than n
// forks are known, exactly as oslo does.
func (l *forkLimiter) record(now time.Time) {
	if len(l.times) > l.n {
		l.times = l.times[1:]
	}
	l.times = append(l.times, now)
}

// reset forgets the history (on a reload, as cotyledon does: a new generation starts unthrottled).
func (l *forkLimiter) reset(n int) {
	if n < 1 {
		n = 1
	}
	l.n, l.times = n, nil
}

// RespawnPolicy is the crash-loop back-off applied per worker slot above the fork-rate floor.
// A worker that ran at least StableAfter resets the count. The first quick failure is respawned
// at once; each further consecutive quick failure doubles the delay from Base up to Max.
type RespawnPolicy struct {
	Base        time.Duration // default 250 ms
	Max         time.Duration // default 30 s
	StableAfter time.Duration // default 10 s
}

func (p RespawnPolicy) withDefaults() RespawnPolicy {
	if p.Base <= 0 {
		p.Base = 250 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.StableAfter <= 0 {
		p.StableAfter = 10 * time.Second
	}
	return p
}

// next returns the updated count of consecutive quick failures of a slot whose worker ran for
// uptime, and the delay before its respawn.
func (p RespawnPolicy) next(failures int, uptime time.Duration) (int, time.Duration) {
	if uptime >= p.StableAfter {
		failures = 0
	}
	failures++
	if failures == 1 {
		return failures, 0
	}
	d := p.Base
	for i := 2; i < failures && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	return failures, d
}
