# airt — see README.md. `make demo` runs the main job on a throw-away store;
# `make test` is the test command CI runs (.ci/run).
GO ?= go
BIN := bin/airt

.PHONY: build test demo bench clean fmt

build:
	$(GO) build -o $(BIN) .

test:
	$(GO) vet ./...
	$(GO) test ./...
	# the protocol decoder under a short fuzz run (seeds run in go test too)
	$(GO) test ./server -run '^$$' -fuzz '^FuzzProtocol$$' -fuzztime 10s

demo: build
	./scripts/demo.sh $(BIN)

bench: build
	./bench/run.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
