package publisher

import (
	"bytes"
	"testing"
)

// A kept copy is the body in a buffer of the smallest class that holds it, at
// most twice its size; beyond the largest class it has memory of its own.
func TestKeepCopySizeClasses(t *testing.T) {
	for _, tc := range []struct{ n, wantCap int }{
		{0, keptMin}, {1, keptMin}, {keptMin, keptMin}, {keptMin + 1, 2 * keptMin},
		{1500, 2 * keptMin}, {100 << 10, 128 << 10}, {256 << 10, 256 << 10},
	} {
		body := bytes.Repeat([]byte{'x'}, tc.n)
		p := keepCopy(body)
		if !bytes.Equal(*p, body) || cap(*p) != tc.wantCap {
			t.Errorf("%d bytes: kept %d bytes with capacity %d, want capacity %d", tc.n, len(*p), cap(*p), tc.wantCap)
		}
		releaseKept(p)
		again := keepCopy(body[:tc.n/2])
		if !bytes.Equal(*again, body[:tc.n/2]) {
			t.Errorf("%d bytes: a buffer back from the pool holds %d bytes, want %d", tc.n, len(*again), tc.n/2)
		}
		releaseKept(again)
	}
	huge := bytes.Repeat([]byte{'y'}, 256<<10+1)
	p := keepCopy(huge)
	if !bytes.Equal(*p, huge) || cap(*p) >= 2*len(huge) {
		t.Errorf("beyond the largest class: capacity %d for %d bytes", cap(*p), len(huge))
	}
	releaseKept(p) // not pooled: nothing happens
}
