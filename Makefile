# Two commands do everything on a fresh machine: `make run` and `make test`.
GO      ?= go
GOPROXY ?= https://proxy.golang.org
export GOPROXY
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Integration tests share one PostgreSQL and one RabbitMQ; two packages at a time keep the
# machine (2 cores) responsive.
TESTFLAGS ?= -count=1 -p 2 -timeout 30m
# Each parser's fuzz target runs briefly in `make test` (longer: make test FUZZTIME=5m).
FUZZTIME ?= 10s

.PHONY: build run test test-neo4j bench bench-distributed soak gobench lint fmt clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/infrahub ./cmd/infrahub

## run: the whole system embedded (SQLite, in-process bus, memory projections) on :8000
run: build
	./bin/infrahub serve

## test: vet, then every test (integration tests need PostgreSQL, RabbitMQ and Redis; see README)
test:
	$(GO) vet ./...
	$(GO) test $(TESTFLAGS) ./...
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./schema/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./jinja/syntax/

## test-neo4j: the Neo4j adapter's tests against your Neo4j 5 (WIPES the projection's data there):
## make test-neo4j NEO4J_URI=bolt://neo4j:password@host:7687 [NEO4J_DATABASE=neo4j]
test-neo4j:
	@test -n "$(NEO4J_URI)" || { echo "set NEO4J_URI=bolt://user:password@host:7687"; exit 2; }
	NEO4J_URI='$(NEO4J_URI)' NEO4J_DATABASE='$(NEO4J_DATABASE)' $(GO) test -count=1 -v -run 'Neo4j' ./projections/graph/neo4j/

## bench: the benchmark harness (bench/): each scenario against its raw baseline measured in the
## same run; prints a Markdown table and writes bench/results/latest.json. Embedded mode.
bench:
	$(GO) run ./bench

## bench-distributed: the same with the log on PostgreSQL and the bus on RabbitMQ
bench-distributed:
	$(GO) run ./bench --distributed

## soak: 60 s of 16 clients (70 % GraphQL reads, 30 % writes) against a real embedded server over
## loopback; prints req/s, errors, p50/p99 per class and the server's RSS before and after
soak:
	$(GO) run ./bench/soak

## gobench: the Go benchmarks of the packages: the log, the forwarder, replay, the schema loader,
## the branch graph, node commands (bulk load, latency, diff, merge, allocation), GraphQL, the tasks
## projection, tasks through RabbitMQ (against the raw confirmed publish rate of the same run), and
## Jinja2 rendering (the service catalog's device_config against Python Jinja2 in the same run)
gobench:
	$(GO) test -run '^$$' -bench . -benchtime 3s -timeout 60m ./events/postgres/ ./events/sqlite/ ./events/forward/ ./projections/ ./schema/ ./branch/graph/ ./queries/graphql/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./commands/
	$(GO) test -run '^$$' -bench . -benchtime 3000x -timeout 30m ./workers/ ./projections/tasks/
	$(GO) test -run '^$$' -bench . -benchtime 2s -timeout 30m ./jinja/...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin data
