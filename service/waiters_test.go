package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Waits run concurrently — one never queues behind another (a publisher
// retrying through an outage must not hold up the rest) — and once waiters
// exist, later waits reuse them instead of starting goroutines.
func TestWaitersRunConcurrentlyAndAreReused(t *testing.T) {
	var running, ran atomic.Int64
	var done sync.WaitGroup
	ws := &waiters{idle: make(chan pendingWait), run: func(w pendingWait) {
		running.Add(1)
		w.wait(context.Background())
		running.Add(-1)
		ran.Add(1)
		done.Done()
	}}
	release := make(chan struct{})
	blocking := func(context.Context) (Outcome, string) { <-release; return Ack, "" }
	const parallel = 50
	for range parallel {
		done.Add(1)
		ws.submit(pendingWait{wait: blocking})
	}
	if !waitUntil(10*time.Second, func() bool { return running.Load() == parallel }) {
		t.Fatalf("%d of %d blocked waits running at once: waits queue behind each other", running.Load(), parallel)
	}
	close(release)
	done.Wait()

	quick := func(context.Context) (Outcome, string) { return Ack, "" }
	for range 1000 {
		done.Add(1)
		ws.submit(pendingWait{wait: quick})
		done.Wait()
	}
	ws.close()
	// Every waiter has a slot. (A waiter that just finished may not be back
	// at its receive when the next wait comes: a few more may start, not one
	// per wait.)
	if n := len(ws.slots); n > parallel+10 {
		t.Errorf("%d waiters started for %d waits, at most %d at once: the idle ones are not reused", n, parallel+1000, parallel)
	}
	if ran.Load() != parallel+1000 {
		t.Errorf("%d waits ran, want %d", ran.Load(), parallel+1000)
	}
}
