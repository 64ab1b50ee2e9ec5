// Command agentprof is agent-notification (./cmd/agent-notification) with a
// CPU profile: when BENCH_AGENT_CPUPROFILE is set, every process — the
// launcher and each worker it re-executes — writes
// $BENCH_AGENT_CPUPROFILE.<pid>.pprof when it exits, and the allocations
// of its whole life to $BENCH_AGENT_CPUPROFILE.<pid>.allocs.pprof, and the
// heap at its largest (sampled every 200 ms; BENCH_AGENT_MEMPROFILERATE sets
// runtime.MemProfileRate) to $BENCH_AGENT_CPUPROFILE.<pid>.peakheap.pprof. `go run ./bench/e2e
// -cpuprofile DIR` builds and runs it; read a profile with
// `go tool pprof -top bin DIR/agent-w1-r1.<pid>.pprof`.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/openstack-go/agent-notification/internal/app"
)

func main() {
	os.Exit(run())
}

func run() int {
	if p := os.Getenv("BENCH_AGENT_CPUPROFILE"); p != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d.pprof", p, os.Getpid()))
		if err != nil {
			fmt.Fprintln(os.Stderr, "agentprof:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "agentprof:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
		if r, err := strconv.Atoi(os.Getenv("BENCH_AGENT_MEMPROFILERATE")); err == nil && r > 0 {
			runtime.MemProfileRate = r // finer heap profiles (e.g. 4096; the default samples every 512 KiB), at a CPU cost
		}
		go peakHeap(fmt.Sprintf("%s.%d.peakheap.pprof", p, os.Getpid()))
		defer func() {
			if f, err := os.Create(fmt.Sprintf("%s.%d.allocs.pprof", p, os.Getpid())); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	return app.Main(os.Args, os.Stdout, os.Stderr, "bench")
}

// peakHeap rewrites path with the heap profile whenever the heap in use is
// larger than ever before, and path's .mem.txt sibling with the runtime's
// memory classes whenever the memory the runtime holds from the OS (Sys minus
// what it released) is at its largest: what the resident set is made of.
func peakHeap(path string) {
	var peakHeap, peakHeld uint64
	var ms runtime.MemStats
	for range time.Tick(200 * time.Millisecond) {
		runtime.ReadMemStats(&ms)
		if held := ms.Sys - ms.HeapReleased; held > peakHeld {
			peakHeld = held
			text := fmt.Sprintf("held %d KiB: heap in use %d, heap idle not released %d, stacks %d, spans %d, GC metadata %d, other %d (KiB); heap goal %d KiB, live after last GC approx %d KiB, goroutines %d\n",
				held>>10, ms.HeapInuse>>10, (ms.HeapIdle-ms.HeapReleased)>>10, ms.StackSys>>10, ms.MSpanSys>>10, ms.GCSys>>10, (ms.OtherSys+ms.MCacheSys+ms.BuckHashSys)>>10,
				ms.NextGC>>10, ms.HeapAlloc>>10, runtime.NumGoroutine())
			_ = os.WriteFile(strings.TrimSuffix(path, ".pprof")+".mem.txt", []byte(text), 0o644)
		}
		if ms.HeapInuse <= peakHeap {
			continue
		}
		peakHeap = ms.HeapInuse
		if f, err := os.Create(path); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
}
