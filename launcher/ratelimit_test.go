package launcher

import (
	"testing"
	"time"
)

func TestForkLimiter(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tests := []struct {
		name  string
		n     int
		forks []float64 // recorded fork times, seconds
		now   float64
		want  time.Duration
	}{
		{"first fork", 2, nil, 0, 0},
		{"initial N forks", 2, []float64{0}, 0, 0},
		{"N+1th fork (one replacement) never delayed", 2, []float64{0, 0}, 0.1, 0},
		{"N+2th fork within N s sleeps 1 s", 2, []float64{0, 0, 0.1}, 0.2, time.Second},
		{"oldest older than N s: no sleep", 2, []float64{0, 0, 0.1}, 2.0, 0},
		{"just under N s", 2, []float64{0, 0, 0.1}, 1.999, time.Second},
		{"sleep is 1 s whatever the deficit", 3, []float64{0, 0, 0, 0}, 0, time.Second},
		{"n=1", 1, []float64{0, 0.5}, 0.9, time.Second},
		{"n=1 old enough", 1, []float64{0, 0.5}, 1.0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newForkLimiter(tc.n)
			for _, f := range tc.forks {
				l.record(at(f))
			}
			if got := l.delay(at(tc.now)); got != tc.want {
				t.Fatalf("delay = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestForkLimiterFloor drives the limiter like the control loop does (wait the delay once, then
// fork) through a crash loop and checks oslo's property on every fork k > N+1:
// t_k - t_{k-1} >= 1 s or t_k - t_{k-(N+1)} >= N s; and at most 18 forks in 10 s for N=2.
func TestForkLimiterFloor(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		l := newForkLimiter(n)
		now := time.Unix(0, 0)
		start := now
		var forks []time.Time
		for now.Sub(start) < 10*time.Second {
			if d := l.delay(now); d > 0 {
				now = now.Add(d)
			}
			l.record(now)
			forks = append(forks, now)
			now = now.Add(100 * time.Millisecond) // the worker dies 0.1 s after start
		}
		for k := n + 1; k < len(forks); k++ {
			if forks[k].Sub(forks[k-1]) < time.Second && forks[k].Sub(forks[k-(n+1)]) < time.Duration(n)*time.Second {
				t.Fatalf("n=%d fork %d violates the floor", n, k+1)
			}
		}
		if n == 2 && len(forks) > 18 {
			t.Fatalf("n=2: %d forks in 10 s", len(forks))
		}
	}
}

func TestRespawnPolicy(t *testing.T) {
	p := RespawnPolicy{}.withDefaults()
	type step struct {
		uptime time.Duration
		want   time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"single crash respawns at once", []step{{time.Hour, 0}}},
		{"crash loop doubles", []step{{0, 0}, {0, 250 * time.Millisecond}, {0, 500 * time.Millisecond}, {0, time.Second}, {0, 2 * time.Second}}},
		{"capped", []step{{0, 0}, {0, 0.25e9}, {0, 0.5e9}, {0, 1e9}, {0, 2e9}, {0, 4e9}, {0, 8e9}, {0, 16e9}, {0, 30e9}, {0, 30e9}}},
		{"stable run resets", []step{{0, 0}, {0, 0.25e9}, {10 * time.Second, 0}, {0, 0.25e9}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			failures := 0
			for i, s := range tc.steps {
				var d time.Duration
				failures, d = p.next(failures, s.uptime)
				if d != s.want {
					t.Fatalf("step %d: delay %s, want %s", i, d, s.want)
				}
			}
		})
	}
}
