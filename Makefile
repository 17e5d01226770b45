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

# Static checks, then every test (real PostgreSQL and Redis) with the race detector.
test: lint
	$(GO) test -race -count=1 ./...
	$(GO) test ./internal/api/ -run '^$$' -fuzz '^FuzzContactCreate$$' -fuzztime 4s
	$(GO) test ./internal/api/ -run '^$$' -fuzz '^FuzzContactPatch$$' -fuzztime 4s
	$(GO) test ./internal/api/ -run '^$$' -fuzz '^FuzzWebhookCreate$$' -fuzztime 4s

lint:
	@out=$$(gofmt -l cmd config internal scripts 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The product against its ceilings (see BENCHMARKS.md); BENCH_SCALE=0.1 for a quick run.
bench:
	scripts/services.sh
	$(GO) run ./scripts/bench
