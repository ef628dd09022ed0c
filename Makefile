# airt — see README.md. `make demo` runs the main job on a throw-away store;
# `make test` is the test command CI runs (.ci/run), which then runs
# `make test-race` and `make lint` too.
GO ?= go
BIN := bin/airt
# staticcheck at a pinned version that knows Go 1.26, run through the module
# proxy so go.mod does not list it.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

# make install PREFIX=/usr/local DESTDIR=: the binary, its man page and the
# bash, zsh and fish completion files, in each shell's system-wide place.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(DESTDIR)$(PREFIX)/bin
MANDIR := $(DESTDIR)$(PREFIX)/share/man/man1
BASHCOMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHCOMPDIR := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d

# What --version prints (the Go toolchain adds the commit from git when it can).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X github.com/airt/airt/commands.Version=$(VERSION) \
	-X github.com/airt/airt/commands.Commit=$(COMMIT) \
	-X github.com/airt/airt/commands.BuildDate=$(BUILD_DATE)

.PHONY: build test test-race lint demo bench clean fmt differential install uninstall

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

install: build
	install -d $(BINDIR) $(MANDIR) $(BASHCOMPDIR) $(ZSHCOMPDIR) $(FISHCOMPDIR)
	install -m 0755 $(BIN) $(BINDIR)/airt
	$(BIN) --help-man > $(MANDIR)/airt.1
	$(BIN) --show-completion bash > $(BASHCOMPDIR)/airt
	$(BIN) --show-completion zsh > $(ZSHCOMPDIR)/_airt
	$(BIN) --show-completion fish > $(FISHCOMPDIR)/airt.fish
	chmod 0644 $(MANDIR)/airt.1 $(BASHCOMPDIR)/airt $(ZSHCOMPDIR)/_airt $(FISHCOMPDIR)/airt.fish

uninstall:
	rm -f $(BINDIR)/airt $(MANDIR)/airt.1 $(BASHCOMPDIR)/airt $(ZSHCOMPDIR)/_airt $(FISHCOMPDIR)/airt.fish

test:
	$(GO) vet ./...
	$(GO) test ./...
	# the protocol decoder under a short fuzz run (seeds run in go test too)
	$(GO) test ./server -run '^$$' -fuzz '^FuzzProtocol$$' -fuzztime 10s

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
