package service

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// brokerModel settles tags as RabbitMQ does: an unknown tag is a channel error
// (PRECONDITION_FAILED), a multiple ack settles every outstanding tag up to it.
type brokerModel struct {
	mu          sync.Mutex
	outstanding map[uint64]bool
	acked       map[uint64]bool
	rejected    map[uint64]bool
	requeued    map[uint64]bool
	frames      int
	errs        []string
}

func newBrokerModel(n int) *brokerModel {
	b := &brokerModel{outstanding: map[uint64]bool{}, acked: map[uint64]bool{}, rejected: map[uint64]bool{}, requeued: map[uint64]bool{}}
	for t := 1; t <= n; t++ {
		b.outstanding[uint64(t)] = true
	}
	return b
}

func (b *brokerModel) take(tag uint64, multiple bool, into map[uint64]bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.frames++
	if !b.outstanding[tag] {
		err := fmt.Sprintf("unknown delivery tag %d", tag)
		b.errs = append(b.errs, err)
		return fmt.Errorf("%s", err)
	}
	for t := range b.outstanding {
		if t == tag || (multiple && t < tag) {
			delete(b.outstanding, t)
			into[t] = true
		}
	}
	return nil
}

func (b *brokerModel) Ack(tag uint64, multiple bool) error { return b.take(tag, multiple, b.acked) }
func (b *brokerModel) Nack(tag uint64, multiple, requeue bool) error {
	return b.take(tag, multiple, b.requeued)
}
func (b *brokerModel) Reject(tag uint64, requeue bool) error { return b.take(tag, false, b.rejected) }

func TestAckerSettlesEveryTagOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		workers   int
		maxBehind int
		badEvery  int // every badEvery-th tag is rejected, the next one requeued (0: none)
		slowFirst bool
	}{
		{"one handler", 200, 1, 50, 0, false},
		{"concurrent acks", 2000, 16, 8, 0, false},
		{"with rejects and requeues", 2000, 16, 8, 7, false},
		{"first tag held to the end", 500, 8, 4, 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrokerModel(tc.n)
			var stats ListenerStats
			a := newAcker(b, &stats, tc.maxBehind)
			outcome := func(tag uint64) Outcome {
				switch {
				case tc.badEvery > 0 && tag%uint64(tc.badEvery) == 0:
					return Reject
				case tc.badEvery > 0 && tag%uint64(tc.badEvery) == 1:
					return Requeue
				}
				return Ack
			}
			stats.InFlight.Add(int64(tc.n))
			stats.Received.Add(uint64(tc.n))
			// Tags finish in a shuffled order, from several goroutines.
			order := rand.Perm(tc.n)
			start := 0
			if tc.slowFirst {
				start = 1 // tag 1 finishes after all the others
				for i, v := range order {
					if v == 0 {
						order[0], order[i] = order[i], order[0]
					}
				}
			}
			next := make(chan uint64)
			var wg sync.WaitGroup
			for range tc.workers {
				wg.Go(func() {
					for tag := range next {
						a.settle(tag, outcome(tag), "test")
					}
				})
			}
			for _, v := range order[start:] {
				next <- uint64(v + 1)
			}
			close(next)
			wg.Wait()
			if tc.slowFirst {
				a.settle(1, outcome(1), "test")
			}
			a.finish()

			if len(b.errs) > 0 {
				t.Fatalf("channel errors: %v", b.errs[:min(len(b.errs), 5)])
			}
			if len(b.outstanding) != 0 {
				t.Fatalf("%d tags never settled", len(b.outstanding))
			}
			for tag := uint64(1); tag <= uint64(tc.n); tag++ {
				want := map[Outcome]map[uint64]bool{Ack: b.acked, Reject: b.rejected, Requeue: b.requeued}[outcome(tag)]
				if !want[tag] {
					t.Fatalf("tag %d: not settled as %v", tag, outcome(tag))
				}
			}
			if got := stats.Acked.Load() + stats.Rejected.Load() + stats.Requeued.Load(); got != uint64(tc.n) || stats.InFlight.Load() != 0 || stats.AckErrors.Load() != 0 {
				t.Errorf("stats: acked %d rejected %d requeued %d in flight %d errors %d", stats.Acked.Load(), stats.Rejected.Load(), stats.Requeued.Load(), stats.InFlight.Load(), stats.AckErrors.Load())
			}
			t.Logf("%d deliveries settled with %d frames", tc.n, b.frames)
			if tc.workers > 1 && !tc.slowFirst && b.frames >= tc.n {
				t.Errorf("no ack was coalesced: %d frames for %d deliveries", b.frames, tc.n)
			}
		})
	}
}

// A delivery that never finishes (lost with its channel) must not keep the
// acks behind it forever: finish sends them one by one.
func TestAckerFinishSendsAcksHeldBehindAGap(t *testing.T) {
	b := newBrokerModel(10)
	var stats ListenerStats
	stats.InFlight.Add(9)
	a := newAcker(b, &stats, 100)
	for tag := uint64(2); tag <= 10; tag++ {
		a.settle(tag, Ack, "")
	}
	if len(b.acked) != 0 {
		t.Fatalf("acked %d tags behind the unfinished tag 1", len(b.acked))
	}
	a.finish()
	if len(b.acked) != 9 || !b.outstanding[1] || len(b.errs) > 0 || stats.InFlight.Load() != 0 {
		t.Errorf("acked %d, tag 1 outstanding %v, errors %v, in flight %d", len(b.acked), b.outstanding[1], b.errs, stats.InFlight.Load())
	}
}

// Finished acks do not wait long behind a slow delivery: past maxHold the
// next settlement sends them one by one.
func TestAckerHoldsAcksBriefly(t *testing.T) {
	b := newBrokerModel(4)
	var stats ListenerStats
	stats.InFlight.Add(4)
	a := newAcker(b, &stats, 100)
	a.settle(2, Ack, "")
	a.settle(3, Ack, "")
	if len(b.acked) != 0 {
		t.Fatalf("acked %d at once behind the unfinished tag 1", len(b.acked))
	}
	time.Sleep(2 * maxHold)
	a.settle(4, Ack, "")
	if len(b.acked) != 3 || len(b.errs) > 0 {
		t.Fatalf("after %v: acked %v, errors %v", 2*maxHold, b.acked, b.errs)
	}
	a.settle(1, Ack, "")
	if len(b.outstanding) != 0 || len(b.errs) > 0 || stats.InFlight.Load() != 0 {
		t.Errorf("outstanding %v, errors %v, in flight %d", b.outstanding, b.errs, stats.InFlight.Load())
	}
}
