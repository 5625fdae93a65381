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

.PHONY: build run test bench lint fmt clean

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

## bench: Go benchmarks of the log (raw baselines beside them), the forwarder and replay
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s -timeout 60m ./events/postgres/ ./events/sqlite/ ./events/forward/ ./projections/

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin data
