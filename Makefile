# airt — see README.md. `make demo` runs the main job on a throw-away store;
# `make test` is the test command CI runs (.ci/run), which then runs
# `make test-race` and `make lint` too.
GO ?= go
BIN := bin/airt
# staticcheck at a pinned version that knows Go 1.26, run through the module
# proxy so go.mod does not list it.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build test test-race lint demo bench clean fmt differential

build:
	$(GO) build -o $(BIN) .

test:
	$(GO) vet ./...
	$(GO) test ./...

# The same tests under the race detector (needs cgo and a C compiler): several
# times slower than `make test`, so it is a target of its own.
test-race:
	$(GO) test -race ./...

# gofmt, go vet and staticcheck; nothing to report is the only success.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

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
