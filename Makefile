# rspregistrar: an RSerPool Pool Registrar in Go.
#
#   make run    build and start the registrar (inside the SCTP sandbox when the
#               host kernel has no SCTP)
#   make test   the whole suite: lint, unit tests, short fuzzing, sandbox tests
#   make deb    Debian packages for amd64 and arm64 in dist/

GO       ?= go
BIN      := bin/rspregistrar
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 2000x
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

SANDBOX_PKGS := user-mode-linux kmod iproute2 rsplib-registrar rsplib-tools tshark
# For the packaging tests (systemd-analyze verify, man -l, the .deb checked
# with dpkg and lintian; fakeroot when not run as root).
SANDBOX_PKGS += systemd man-db lintian fakeroot
# For the web status page test (headless, driven by chromedp).
SANDBOX_PKGS += chromium

DIST       ?= dist
DEB_ARCHES ?= amd64 arm64
# File times and changelog date of the packages: the last commit's, so that
# the same tree gives the same package.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)

.PHONY: all build run test unit lint fuzz fuzz-short sandbox-test sandbox-deps bench bench-big bench-profile soak faults clean install uninstall deb

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

# sandbox-deps first: the packaging tests need its tools, and with
# RSPREG_NEED_TOOLS a missing one fails them instead of skipping them.
unit: sandbox-deps
	RSPREG_NEED_TOOLS=1 $(GO) test -race -count=1 ./...

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

# install: binary, manual page, systemd unit (its ExecStart follows BINDIR)
# and bash completion, under DESTDIR for packagers.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/rspregistrar
	install -m 0644 docs/rspregistrar.8 $(DESTDIR)$(MANDIR)/man8/rspregistrar.8
	sed 's|/usr/bin/rspregistrar|$(BINDIR)/rspregistrar|' packaging/rspregistrar.service >$(DESTDIR)$(UNITDIR)/rspregistrar.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/rspregistrar.service
	install -m 0644 packaging/rspregistrar.bash-completion $(DESTDIR)$(BASHCOMPDIR)/rspregistrar

# deb: dist/rspregistrar_<version>_<arch>.deb for each of DEB_ARCHES, the
# binary built as by make build (cross-built for arm64), packaged by
# cmd/rspdeb from packaging/nfpm.yaml; the version is VERSION made Debian's.
deb:
	mkdir -p bin/deb
	$(GO) build -o bin/deb/rspdeb ./cmd/rspdeb
	@set -e; for arch in $(DEB_ARCHES); do \
		GOARCH=$$arch $(MAKE) --no-print-directory build BIN=bin/deb/$$arch/rspregistrar; \
		SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) bin/deb/rspdeb -bin bin/deb/$$arch/rspregistrar -arch $$arch -version '$(VERSION)' -o $(DIST); \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rspregistrar $(DESTDIR)$(MANDIR)/man8/rspregistrar.8 \
		$(DESTDIR)$(UNITDIR)/rspregistrar.service $(DESTDIR)$(BASHCOMPDIR)/rspregistrar

# make bench: Go benchmarks, then our registrar and RSPLIB's side by side in
# the sandbox (cmd/rspbench), written to docs/benchmarks.md; about 8 minutes.
# BENCH_PES, BENCH_ARGS, BENCHTIME, HSBIG=0 (no 1,000,000-PE handlespace
# benchmarks): see scripts/bench.
bench: sandbox-deps
	scripts/bench

# The sandbox run with 100,000 PEs (over 1,000 associations) and the
# 1,000,000-PE handlespace benchmarks, written to docs/benchmarks-big.md
# (about 40 minutes).
bench-big: sandbox-deps
	BENCH_PES=100000 BENCH_ARGS="$${BENCH_ARGS:--assocs 1000 -window 2}" SANDBOX_MEM=3072M HSBIG=1 BENCH_TIMEOUT=3600 \
		BENCH_DOC=$${BENCH_DOC-docs/benchmarks-big.md} scripts/bench

# The fault test over real SCTP (netem loss and delay, a partition, healing)
# alone; make test runs it too.
faults: sandbox-deps
	test/sandbox/gotest -run '^TestSandboxFaultsLossPartitionHeal$$' ./test/interop/

# The long soak (SOAK, default 30m; make test runs a 2-minute one): 10,000
# PEs with continuous churn, sampled every 5 s; writes docs/soak.csv and the
# plot docs/soak.png (cmd/rspplot). Not part of make test or CI.
soak: sandbox-deps
	RSPREG_SOAK=$${SOAK:-30m} RSPREG_SOAK_OUT=$(CURDIR)/docs/soak.csv GOTEST_TIMEOUT=90m SANDBOX_TIMEOUT=5400 SANDBOX_MEM=2048M \
		test/sandbox/gotest -run '^TestSandboxSoak$$' ./test/interop/
	$(GO) run ./cmd/rspplot -o docs/soak.png -title "make soak: 10,000 PEs with churn, RSPLIB's default timers" docs/soak.csv \
		rss_mib goroutines open_fds send_queue_asap_bytes pool_elements registrations keepalive_timeouts sctp_t3_expired

# CPU profiles of our registrar and of the load generator under rspbench's
# load (ours only), printed as the top functions; the profiles stay in
# bin/profile/.
bench-profile: sandbox-deps
	mkdir -p bin/profile
	CGO_ENABLED=0 $(GO) build -o bin/profregistrar ./test/bench/profregistrar
	CGO_ENABLED=0 $(GO) build -o bin/rspbench ./cmd/rspbench
	test/sandbox/run -t 1200 -m 2048M env RSPREG_CPUPROFILE=bin/profile/registrar.pprof \
		RSPREG_MEMPROFILE=bin/profile/registrar-heap.pprof \
		bin/rspbench -impl=ours=bin/profregistrar -enrp=false -karun 0 -cpuprofile bin/profile/rspbench.pprof -pes $${BENCH_PES:-20000} $${BENCH_ARGS:-}
	$(GO) tool pprof -top -nodecount=25 bin/profregistrar bin/profile/registrar.pprof

clean:
	rm -rf bin $(DIST)
