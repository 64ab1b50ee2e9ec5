// Command agentprof is agent-notification (./cmd/agent-notification) with a
// CPU profile: when BENCH_AGENT_CPUPROFILE is set, every process — the
// launcher and each worker it re-executes — writes
// $BENCH_AGENT_CPUPROFILE.<pid>.pprof when it exits, and the allocations
// of its whole life to $BENCH_AGENT_CPUPROFILE.<pid>.allocs.pprof. `go run ./bench/e2e
// -cpuprofile DIR` builds and runs it; read a profile with
// `go tool pprof -top bin DIR/agent-w1-r1.<pid>.pprof`.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

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
		defer func() {
			if f, err := os.Create(fmt.Sprintf("%s.%d.allocs.pprof", p, os.Getpid())); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	return app.Main(os.Args, os.Stdout, os.Stderr, "bench")
}
