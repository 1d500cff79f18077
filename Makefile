# JieDao: `make run` serves the demo on http://127.0.0.1:8080; `make test` runs every test.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/jiedao
ENV   := .data/jiedao.env
# Loads the development settings written by scripts/devenv.sh.
LOADENV := set -a; . $(ENV); set +a

.PHONY: build run test test-chaos test-scale test-deps lint fuzz bench bench-go clean mailpit

build:
	$(GO) build -o $(BIN) ./cmd/jiedao

## run: start PostgreSQL if needed, migrate, seed the demo once, print the logins, serve.
run: build
	@scripts/devenv.sh
	@$(LOADENV); $(BIN) migrate up && $(BIN) seed --demo && \
	  echo && echo "Serving on http://$${JIEDAO_HTTP_ADDR:-127.0.0.1:8080} (Ctrl-C stops)" && \
	  exec $(BIN) serve

## test: install missing system packages (postgresql, chromium), then run every test,
## and every benchmark once (-benchtime 1x), so that a benchmark that broke fails here and
## not only in make bench-go.
test: test-deps
	@scripts/devenv.sh
	@$(LOADENV); $(GO) test -race -count=1 -timeout 15m ./...
	@$(LOADENV); $(GO) test -run '^$$' -bench . -benchtime 1x -count=1 ./...

## test-chaos: the fault tests (internal/chaos): three serve processes on a private
## PostgreSQL cluster through a bid surge while a replica is killed, every connection
## terminated and PostgreSQL restarted. Needs root (pg_createcluster); about a minute.
## And a streaming read replica (scripts/replica.sh): which queries it answers; under a minute.
test-chaos: test-deps
	$(GO) test -tags chaos -count=1 -timeout 10m ./internal/chaos/...

## test-scale: the scale tests (build tag scale, internal/bench/...): the bench dataset at
## scale 1 and EXPLAIN (FORMAT JSON) of every statement of the hot public reads, which
## may not read a big table whole (a Seq Scan). About 30 s; JIEDAO_EXPLAIN_SCALE=0.1
## makes a quicker local run.
test-scale: test-deps
	@scripts/devenv.sh
	@$(LOADENV); $(GO) test -tags scale -count=1 -timeout 10m ./internal/bench/...

test-deps:
	@scripts/test-deps.sh

## mailpit: a local SMTP server on 127.0.0.1:1025 whose web page, http://127.0.0.1:8025,
## shows every mail sent to it (point mail.host at it with mail.port 1025, mail.tls none).
mailpit:
	$(GO) tool mailpit --smtp 127.0.0.1:1025 --listen 127.0.0.1:8025

## lint: formatting, vet, staticcheck and gosec.
# gosec is pinned in go.mod as a tool (go tool gosec) and fails on any high-severity
# finding; a finding judged harmless carries `#nosec Gnnn -- why` at its line. G113 is
# excluded everywhere: it flags every big.Rat.SetString for CVE-2022-23772, a math/big
# bug fixed in Go 1.17.7 (go.mod requires 1.26).
lint:
	@out=$$(gofmt -l cmd internal migrations web); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags chaos ./internal/chaos/...
	$(GO) vet -tags scale ./internal/bench/...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) tool gosec -quiet -severity high -exclude G113 ./...

## fuzz: run every fuzz target for FUZZTIME each, one after another (make fuzz FUZZTIME=10s).
## Their seed corpora already run in make test.
FUZZTIME ?= 30s
fuzz:
	@FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

## bench: start PostgreSQL, generate the bench dataset at SCALE (once per scale, seed and
## migration version), serve it and run every scenario for DURATION: one table on stdout,
## bench/results/latest.json (make bench SCALE=4; README "Benchmarks").
SCALE    ?= 1
DURATION ?= 10s
bench: test-deps build
	@scripts/devenv.sh
	@$(LOADENV); SCALE=$(SCALE) DURATION=$(DURATION) scripts/bench.sh

## bench-go: run the Go benchmarks (needs the same PostgreSQL as the tests).
bench-go: test-deps
	@scripts/devenv.sh
	@$(LOADENV); $(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

clean:
	rm -rf bin
