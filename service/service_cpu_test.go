package service

import "testing"

func TestCPUShare(t *testing.T) {
	for _, tc := range []struct{ procs, workers, want int }{
		{2, 1, 2}, {2, 2, 1}, {2, 3, 1}, {4, 2, 2}, {4, 3, 2}, {8, 3, 3}, {1, 4, 1}, {16, 0, 16},
	} {
		if got := CPUShare(tc.procs, tc.workers); got != tc.want {
			t.Errorf("CPUShare(%d, %d) = %d, want %d", tc.procs, tc.workers, got, tc.want)
		}
	}
}
