# RelayBook. `make run` starts everything; `make test` runs every test.
GO      ?= go
BIN     := bin/relaybook
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/relaybook/relaybook/internal/cli.Version=$(VERSION)

.PHONY: build run test lint bench services

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/relaybook

# Services up, dev config on first run, migrate, then serve + worker.
run: build
	scripts/run.sh

services:
	scripts/services.sh

# Static checks, then every test (real PostgreSQL and Redis) with the race
# detector, then a short run of each API fuzzer, then the README's
# integration block as a script. The fuzzers run a count of
# inputs (a few seconds' worth here), not a duration: with -fuzztime 4s,
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" at the deadline (golang/go#75804, fixed in Go 1.27).
#
# Most test time is spent waiting on PostgreSQL, Redis and timers, so four
# packages run at once (TEST_P; Go's default is one per core). The first
# fuzzer builds the instrumented test binary; the others reuse it and run
# two at a time, each mostly waiting on its own database setup.
FUZZ_EXECS ?= 2000x
# Each CLI input runs four commands against PostgreSQL: fewer of them.
CLI_FUZZ_EXECS ?= 100x
TEST_P     ?= 4
FUZZ        = $(GO) test ./internal/api/ -run '^$$' -fuzztime $(FUZZ_EXECS) -fuzz
test: lint
	$(GO) test -race -count=1 -p $(TEST_P) ./...
	$(FUZZ) '^FuzzContactCreate$$'
	$(FUZZ) '^FuzzContactPatch$$' & a=$$!; $(FUZZ) '^FuzzWebhookCreate$$' & b=$$!; \
		wait $$a; ra=$$?; wait $$b; rb=$$?; [ $$ra -eq 0 ] && [ $$rb -eq 0 ]
	$(FUZZ) '^FuzzWebhookUpdate$$' & a=$$!; $(FUZZ) '^FuzzLabelAdd$$' & b=$$!; \
		$(GO) test ./internal/cli/ -run '^$$' -fuzz '^FuzzNameArguments$$' -fuzztime $(CLI_FUZZ_EXECS) & c=$$!; \
		wait $$a; ra=$$?; wait $$b; rb=$$?; wait $$c; rc=$$?; [ $$ra -eq 0 ] && [ $$rb -eq 0 ] && [ $$rc -eq 0 ]
	scripts/readme-check.sh

lint:
	@out=$$(gofmt -l cmd config internal scripts 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The product against its ceilings (see BENCHMARKS.md); BENCH_SCALE=0.1 for a
# quick run. Then the scale step: workers, shards, per-delivery costs (SCALING.md).
bench:
	scripts/services.sh
	$(GO) run ./scripts/bench
	$(GO) run ./scripts/scale
