# airt — see README.md. `make demo` runs the main job on a throw-away store;
# `make test` is the test command CI runs (.ci/run).
GO ?= go
BIN := bin/airt

.PHONY: build test demo bench clean fmt differential

build:
	$(GO) build -o $(BIN) .

test:
	$(GO) vet ./...
	$(GO) test ./...

demo: build
	./scripts/demo.sh $(BIN)

bench: build
	./bench/run.sh

# Re-record the original client's outputs that render's differential test
# replays (needs Debian 12's python3-tabulate 0.8.9 and python3-humanize 4.4;
# the test itself needs no Python).
differential:
	/usr/bin/python3 render/testdata/differential/gen.py > render/testdata/differential/cases.json.new
	mv render/testdata/differential/cases.json.new render/testdata/differential/cases.json
	$(GO) test ./render -run TestDifferential -v | grep 'differential:'

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
