# rspregistrar: an RSerPool Pool Registrar in Go.
#
#   make run    build and start the registrar (inside the SCTP sandbox when the
#               host kernel has no SCTP)
#   make test   the whole suite: lint, unit tests, short fuzzing, sandbox tests

GO       ?= go
BIN      := bin/rspregistrar
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 2000x
PREFIX   ?= /usr/local
DESTDIR  ?=

SANDBOX_PKGS := user-mode-linux kmod iproute2 rsplib-registrar rsplib-tools tshark

.PHONY: all build run test unit lint fuzz fuzz-short sandbox-test sandbox-deps bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/rspregistrar

run: build
	@if [ -d /proc/net/sctp ] || modprobe sctp 2>/dev/null; then \
		echo "Kernel has SCTP: running natively."; \
		exec ./$(BIN) -asap=auto -enrp=auto -loglevel=3; \
	else \
		echo "This kernel has no SCTP: starting the registrar inside the user-mode-Linux sandbox."; \
		$(MAKE) --no-print-directory sandbox-deps && test/sandbox/run -t $${RUN_SECONDS:-3600} test/sandbox/demo; \
	fi

test: lint unit fuzz-short sandbox-test

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; \
	elif [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ]; then "$$($(GO) env GOPATH)/bin/staticcheck" ./...; \
	else echo "staticcheck not installed (make tools); skipping it"; fi

unit:
	$(GO) test -race -count=1 ./...

fuzz-short:
	FUZZTIME=$(FUZZTIME) scripts/fuzz

fuzz:
	FUZZTIME=$${FUZZTIME_LONG:-2m} scripts/fuzz

sandbox-test: sandbox-deps
	test/sandbox/gotest

sandbox-deps:
	@missing=""; for p in $(SANDBOX_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

tools:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
