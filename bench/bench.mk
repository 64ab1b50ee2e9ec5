# bench/bench.mk — the end-to-end benchmark (included by the Makefile).
#
#   make bench-e2e                                   # default run: 20,000 notifications, workers 1 and 2, 3 repetitions, trivial client
#   make bench-e2e BENCH_E2E_ARGS='-ceilometer'      # + the real Ceilometer 19 over the same load (1 repetition per workers value)
#   make bench-e2e BENCH_E2E_ARGS='-n 2000 -reps 1 -workers 1 -verify'
#   make bench-e2e BENCH_E2E_ARGS='-n 5000 -reps 1 -workers 1 -trivial=false -cpuprofile /tmp/prof'
#
# Flags (go run ./bench/e2e -h):
#   -n N               notifications preloaded per run (default 20000; the compat corpus cycled, fresh ids)
#   -workers LIST      [notification] workers values (default 1,2)
#   -reps R            repetitions of every configuration; medians are printed (default 3)
#   -trivial=false     skip the trivial consume→republish→ack client (the broker ceiling)
#   -ceilometer        also run ceilometer-agent-notification; -ceilometer-reps R (default 1), -ceilometer-bin PATH
#   -agent PATH        run this agent binary instead of building ./cmd/agent-notification
#   -verify            also check the content of every output against Ceilometer 19's (counter names, events per notification)
#   -cpuprofile DIR    CPU profile of every agent process (runs ./bench/agentprof, the agent wrapped with runtime/pprof)
#   -budget D          soft bound (default 160s): no new repetition starts that would end after it (Ceilometer's time excluded; 0: none)
#   -conf FILE         extra ceilometer.conf for the agent and Ceilometer (later --config-file: its options win)
#   -timeout D -stall D -max-time D -linger D -interval D -trivial-prefetch N   bounds, sampling, ceiling client (see -h)
#   -addr -user -password   broker (default 127.0.0.1:5672 guest/guest); -keep keeps configs and logs; -q summary only
# Exit status: 0 ok, 1 error (broker, build, timeout), 3 a run had problems (outputs differ from Ceilometer 19's, …).
# The correctness smoke test (500 notifications) is `go test ./bench/e2e`, part of `make test`.

BENCH_E2E_ARGS ?=

.PHONY: bench-e2e
bench-e2e: rabbitmq ## end-to-end benchmark: agent (workers 1,2) vs trivial client [vs Ceilometer 19] over 20,000 notifications (BENCH_E2E_ARGS='-ceilometer …', see bench/README.md)
	$(GO) run ./bench/e2e $(BENCH_E2E_ARGS)

# The profile-guided optimisation profile: `go build` of cmd/agent-notification and cmd/worker uses
# the default.pgo beside their main.go (go build -pgo=auto). `make pgo` refreshes both from CPU
# profiles of the benchmark load (workers 1 and 2, merged); refresh it when the hot path changes.
PGO_RUNS ?= -n 60000 -reps 2 -workers 1,2

.PHONY: pgo
pgo: rabbitmq ## refresh the PGO profile (cmd/*/default.pgo) from CPU profiles of the benchmark load
	rm -rf $(BIN)/pgo-profiles
	$(GO) run ./bench/e2e $(PGO_RUNS) -trivial=false -q -budget 0 -cpuprofile $(CURDIR)/$(BIN)/pgo-profiles
	$(GO) tool pprof -proto $(BIN)/pgo-profiles/*[0-9].pprof > cmd/agent-notification/default.pgo
	cp cmd/agent-notification/default.pgo cmd/worker/default.pgo
	rm -rf $(BIN)/pgo-profiles
