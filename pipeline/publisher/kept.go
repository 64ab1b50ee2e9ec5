package publisher

import (
	"bytes"
	"sync"
)

// Bodies kept for a retry while their confirms are awaited (publish now,
// confirm later) are copied into pooled buffers of their size class: powers of
// two from keptMin to keptMax. The copy keeps memory in flight at most twice
// the bytes sent, whatever the encode buffer grew to; the pools keep it from
// being a new allocation per message (a plain copy was a tenth of all the
// bytes the agent allocated under load, and the collector's work grows with
// them).
const (
	keptMin     = 1 << 10
	keptClasses = 9 // keptMin … keptMin<<8 (256 KiB)
)

var keptPools [keptClasses]sync.Pool

// keptClass returns the class of buffers that hold n bytes, or -1 when n is
// larger than the largest.
func keptClass(n int) int {
	for k := range keptClasses {
		if n <= keptMin<<k {
			return k
		}
	}
	return -1
}

// keepCopy returns a copy of b in a buffer of its class; releaseKept returns
// it once the copy is no longer needed.
func keepCopy(b []byte) *[]byte {
	k := keptClass(len(b))
	if k < 0 {
		c := bytes.Clone(b) // larger than any class: memory of its own
		return &c
	}
	p, _ := keptPools[k].Get().(*[]byte)
	if p == nil {
		s := make([]byte, 0, keptMin<<k)
		p = &s
	}
	*p = append((*p)[:0], b...)
	return p
}

func releaseKept(p *[]byte) {
	k := keptClass(cap(*p))
	if k < 0 || cap(*p) != keptMin<<k {
		return // not from a pool
	}
	*p = (*p)[:0]
	keptPools[k].Put(p)
}
