# agent-notification — every target documents itself: run `make help`.

GO        ?= go
BIN       := bin
PREFIX    ?= /usr/local
SYSCONFDIR ?= /etc/ceilometer
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...
TEST_TIMEOUT ?= 15m
FUZZTIME  ?= 20s
RUN_ARGS  ?= --config-file etc/ceilometer.conf

.DEFAULT_GOAL := help

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/agent-notification and bin/worker (static: no cgo)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/agent-notification ./cmd/agent-notification
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/worker ./cmd/worker

.PHONY: rabbitmq
rabbitmq: ## make sure a local RabbitMQ is up (installs/starts it when it can)
	./scripts/rabbitmq.sh

.PHONY: test
test: rabbitmq ## run every test with -race, including those that use the local RabbitMQ
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

.PHONY: test-short
test-short: ## run the tests that need nothing but Go (-short)
	$(GO) test -race -short -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

.PHONY: run
run: build rabbitmq ## run the agent in the foreground with etc/ceilometer.conf against the local broker (Ctrl-C stops it)
	./$(BIN)/agent-notification $(RUN_ARGS)

.PHONY: chaos
chaos: rabbitmq ## fault scenarios (SIGTERM/SIGHUP/kill -9 mid-stream, output down, connection cuts, broker restart on a private node), larger streams; prints lost/duplicated/pause
	CHAOS=1 $(GO) test -count=1 -timeout 20m -run 'TestChaos|TestListenerRecovers' -v ./internal/app/ ./service/ | grep -E '^(---|ok|FAIL|\s+chaos|\s+worker_test|\s+restart_test)'

.PHONY: bench
bench: bench-e2e ## end-to-end benchmark on the local broker (see bench-e2e); bench-go for the per-stage benchmarks

.PHONY: bench-go
bench-go: ## per-stage go test benchmarks (decode, definitions, pipelines, transformers, encode, signature), 3 runs each
	$(GO) test -run '^$$' -bench . -benchmem -count=3 $(PKGS)

include bench/bench.mk

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 20s; scripts/fuzz.sh)
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

.PHONY: vet
vet: ## go vet
	$(GO) vet $(PKGS)

.PHONY: lint
lint: ## gofmt check (and golangci-lint when installed)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if command -v golangci-lint >/dev/null 2>&1; then golangci-lint run; fi

.PHONY: tidy-check
tidy-check: ## fail if go.mod/go.sum are not tidy
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

.PHONY: install
install: build ## install the binaries under PREFIX and the default configuration under SYSCONFDIR (existing files are kept)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BIN)/agent-notification $(BIN)/worker $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/agent-notification.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(SYSCONFDIR)
	@for f in $$(cd etc && find . -type f ! -name '*.go'); do \
		if [ ! -e $(DESTDIR)$(SYSCONFDIR)/$$f ]; then install -D -m 0644 etc/$$f $(DESTDIR)$(SYSCONFDIR)/$$f; fi; \
	done

.PHONY: clean
clean: ## remove build outputs and test caches
	rm -rf $(BIN)
	$(GO) clean -testcache
