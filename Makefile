# airt — see README.md. `make demo` runs the main job on a throw-away store;
# `make test` is the test command CI runs (.ci/run).
GO ?= go
BIN := bin/airt

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

.PHONY: build test demo bench clean fmt install uninstall

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

demo: build
	./scripts/demo.sh $(BIN)

bench: build
	./bench/run.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
