package ratelog

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := New(3, 50*time.Millisecond)
	got := 0
	for i := 0; i < 10; i++ {
		if l.Allow() {
			got++
		}
	}
	if got != 3 {
		t.Fatalf("%d lines allowed in one period, want 3", got)
	}
	time.Sleep(60 * time.Millisecond)
	if !l.Allow() {
		t.Fatal("a new period allows lines again")
	}
	if (&Limiter{}).Allow() {
		t.Fatal("the zero limiter allowed a line")
	}
}
