package service

import (
	"sync"
	"time"
)

// settler is the part of *amqp.Channel the acker uses.
type settler interface {
	Ack(tag uint64, multiple bool) error
	Nack(tag uint64, multiple, requeue bool) error
	Reject(tag uint64, requeue bool) error
}

// acker settles the deliveries of one channel and coalesces their acks.
//
// A channel's delivery tags are dense (1, 2, 3, … in the order the broker
// delivered, over all its consumers), so once every tag up to T is settled
// one basic.ack(T, multiple=true) acks all the acked ones at once: under load a
// single frame (and write) settles many notifications instead of one each.
// Requeues and rejects are sent one by one, before any multiple ack that
// covers them (a multiple ack would otherwise ack them). A tag is only covered
// by a multiple ack once its own handler finished, never before: nothing is
// acked before its outputs were accepted.
//
// There is no timer: the goroutine that finds no send in progress sends, and
// the handlers that finish meanwhile only record their outcome, so the next
// send covers them all (group commit). When one slow delivery holds the
// watermark and maxBehind finished acks wait behind it, or they have waited
// maxHold, those are acked one by one: the prefetch window never fills with
// work that is done, and work that is done is not redelivered (duplicated)
// after a crash because a neighbour was slow — the in-flight window stays what
// it would be without coalescing, give or take maxHold.
type acker struct {
	ch        settler
	stats     *ListenerStats
	maxBehind int

	mu        sync.Mutex
	heldSince time.Time       // when acks began to wait behind an unfinished tag (roughly: reset at each advance)
	base      uint64          // every tag ≤ base is settled or being settled
	done      map[uint64]bool // tags > base whose handler finished: true = to ack, false = settled one by one
	ops       []settlement    // individual settlements to send, in order
	behind    int             // true entries of done
	sending   bool            // a goroutine is in the send loop
}

// maxHold bounds how long finished acks wait behind an unfinished delivery
// (checked whenever a delivery is settled).
const maxHold = 20 * time.Millisecond

type settlement struct {
	tag    uint64
	out    Outcome
	reason string
}

func newAcker(ch settler, stats *ListenerStats, maxBehind int) *acker {
	return &acker{ch: ch, stats: stats, maxBehind: max(maxBehind, 1), done: map[uint64]bool{}}
}

// settle records the outcome of the delivery tag and sends what can be sent.
// It returns at once when another goroutine is sending: that one sends this
// outcome too.
func (a *acker) settle(tag uint64, out Outcome, reason string) {
	a.mu.Lock()
	if out == Ack {
		a.done[tag] = true
		if a.behind == 0 {
			a.heldSince = time.Now()
		}
		a.behind++
	} else {
		a.done[tag] = false
		a.ops = append(a.ops, settlement{tag, out, reason})
	}
	if a.sending {
		a.mu.Unlock()
		return
	}
	a.sending = true
	for {
		ops := a.ops
		a.ops = nil
		var upTo uint64
		n := 0
		for {
			ack, ok := a.done[a.base+1]
			if !ok {
				break
			}
			delete(a.done, a.base+1)
			a.base++
			if ack {
				upTo, n = a.base, n+1
				a.behind--
			}
		}
		if n > 0 && a.behind > 0 {
			a.heldSince = time.Now()
		}
		var singles []uint64
		if a.behind >= a.maxBehind || (a.behind > 0 && time.Since(a.heldSince) > maxHold) {
			for t, ack := range a.done {
				if ack {
					a.done[t] = false
					singles = append(singles, t)
				}
			}
			a.behind = 0
		}
		if len(ops) == 0 && n == 0 && len(singles) == 0 {
			a.sending = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		for _, o := range ops {
			a.send(o)
		}
		if n > 0 {
			a.count(a.ch.Ack(upTo, true), n)
		}
		for _, t := range singles {
			a.count(a.ch.Ack(t, false), 1)
		}
		a.mu.Lock()
	}
}

// send settles one requeue or reject and counts it.
func (a *acker) send(o settlement) {
	var err error
	switch o.out {
	case Requeue:
		if err = a.ch.Nack(o.tag, false, true); err == nil {
			a.stats.Requeued.Add(1)
		}
	case Reject:
		if err = a.ch.Reject(o.tag, false); err == nil {
			reason := o.reason
			if reason == "" {
				reason = "error"
			}
			a.stats.reject(reason)
		}
	}
	if err != nil {
		// The channel is gone: the broker redelivers the message.
		a.stats.AckErrors.Add(1)
	}
	a.stats.InFlight.Add(-1)
}

// count records the result of an ack covering n deliveries; they leave the
// in-flight count only once counted as acked (or failed), see ListenerStats.
func (a *acker) count(err error, n int) {
	if err == nil {
		a.stats.Acked.Add(uint64(n))
	} else {
		a.stats.AckErrors.Add(uint64(n))
	}
	a.stats.InFlight.Add(-int64(n))
}

// finish is called once every settle has returned (no handler or wait runs
// any more, so nothing is being sent): acks still held behind a tag that
// never finished (its delivery was lost with the channel) are sent one by one
// (or counted as failed when the channel is gone).
func (a *acker) finish() {
	a.mu.Lock()
	var rest []uint64
	for t, ack := range a.done {
		if ack {
			rest = append(rest, t)
		}
	}
	a.done = map[uint64]bool{}
	a.behind = 0
	a.mu.Unlock()
	for _, t := range rest {
		a.count(a.ch.Ack(t, false), 1)
	}
}
