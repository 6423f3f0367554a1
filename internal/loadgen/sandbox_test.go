package loadgen

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

var locals = []netip.Addr{netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.3")}

// startRegistrar runs our registrar on 198.18.0.1 with ASAP port port and
// ENRP port port+1.
func startRegistrar(t *testing.T, port int, args ...string) *sandboxtest.Proc {
	t.Helper()
	all := append([]string{
		fmt.Sprintf("-asap=198.18.0.1:%d", port), fmt.Sprintf("-enrp=198.18.0.1:%d", port+1),
		"-asapannounce=off", "-enrpannounce=off", "-loglevel=3", "-logcolor=off",
	}, args...)
	p := sandboxtest.Start(t, nil, sandboxtest.Registrar(t), all...)
	p.WaitFor(t, `Registrar started`, 10*time.Second)
	return p
}

func fleetConfig(port, pes int) Config {
	return Config{Registrar: netip.AddrPortFrom(netip.MustParseAddr("198.18.0.1"), uint16(port)), Locals: locals,
		PEs: pes, Assocs: 4, Window: 4, Pools: 5, FirstID: 0x20000000, Life: 60000,
		Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}}
}

func expectAll(t *testing.T, what string, r *Result, err error, n int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if r.OK != n || r.Failed != 0 || len(r.Latencies) == 0 {
		t.Fatalf("%s: %v, want %d ok", what, r, n)
	}
}

// registeredFleet starts a fleet of pes PEs at the registrar on port and
// registers them all; the fleet closes and the context (one minute) ends
// with the test.
func registeredFleet(t *testing.T, port, pes int) (*Fleet, context.Context) {
	t.Helper()
	f, err := NewFleet(fleetConfig(port, pes))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	r, err := f.Register(ctx)
	expectAll(t, "registration", r, err, pes)
	return f, ctx
}

// The fleet registers, keeps its PEs alive, re-registers and deregisters at
// our registrar, and pool users resolve its pools.
func TestSandboxFleet(t *testing.T) {
	sandboxtest.Require(t)
	const port, pes = 4600, 200
	startRegistrar(t, port, "-endpointkeepalivetransmissioninterval=1000", "-endpointkeepalivetimeoutinterval=5000")
	f, ctx := registeredFleet(t, port, pes)
	r, err := Resolve(ctx, ResolveConfig{Registrar: fleetConfig(port, pes).Registrar, Locals: locals,
		Assocs: 2, Window: 2, Handles: Handles(5), Duration: 500 * time.Millisecond})
	if err != nil || r.OK == 0 || r.Failed != 0 {
		t.Fatalf("resolution: %v, %v", r, err)
	}
	// Every PE gets a keep-alive a second; the fleet answers them all.
	deadline := time.Now().Add(20 * time.Second)
	for f.KeepAlives().Received < 2*pes {
		if time.Now().After(deadline) {
			t.Fatalf("keep-alives: %+v", f.KeepAlives())
		}
		time.Sleep(100 * time.Millisecond)
	}
	r, err = f.Register(ctx)
	expectAll(t, "re-registration", r, err, pes)
	r, err = f.Deregister(ctx)
	expectAll(t, "deregistration", r, err, pes)
	if ka := f.KeepAlives(); ka.Lost != 0 || ka.AckFailed != 0 || ka.Unexpected != 0 {
		t.Fatalf("keep-alives %+v: the registrar dropped PEs or sent something unexpected", ka)
	}
	if to := f.Takeover(); to.Count != 0 {
		t.Fatalf("home keep-alives without a takeover: %+v", to)
	}
}

// When the PEs' registrar dies, its peer takes them over and tells every PE
// with a keep-alive with the home flag, which the fleet notes and answers.
func TestSandboxFleetTakeover(t *testing.T) {
	sandboxtest.Require(t)
	const port, pes = 4610, 300
	timers := []string{"-peerheartbeatcycle=1000", "-peermaxtimelastheard=1000", "-peermaxtimenoresponse=1000"}
	a := startRegistrar(t, port, append([]string{"-identifier=0x0a0a0a0a", fmt.Sprintf("-peer=198.18.0.1:%d", port+11)}, timers...)...)
	b := startRegistrar(t, port+10, append([]string{"-identifier=0x0b0b0b0b", fmt.Sprintf("-peer=198.18.0.1:%d", port+1), "-loglevel=4"}, timers...)...)
	f, ctx := registeredFleet(t, port, pes)
	// The peer learns the PEs by Handle Updates, and A's identity from its
	// first Presence, at the end of A's 5 s initialization phase; then A
	// dies.
	b.WaitFor(t, `new peer \$0a0a0a0a`, 20*time.Second)
	a.Signal(syscall.SIGKILL)
	to, err := f.WaitTakeover(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if to.Count != pes || to.Server != 0x0b0b0b0b || to.Last.Before(to.First) {
		t.Fatalf("takeover %+v", to)
	}
}

// Our Handle Table Responses carry up to -maxelementsperhtrequest PEs (128,
// about 7 KB) where RSPLIB fills 1400 bytes: an RSPLIB registrar joining us
// must take such pages whole and end up with every PE, homed at us.
func TestSandboxRSPLIBPeerTakesFullPages(t *testing.T) {
	sandboxtest.Require(t)
	const port, pes = 4630, 1000
	startRegistrar(t, port, "-identifier=0x0a0a0a0a", "-peerheartbeatcycle=1000")
	registeredFleet(t, port, pes)
	theirs := sandboxtest.Start(t, nil, sandboxtest.Program(t, "rspregistrar"),
		fmt.Sprintf("-asap=198.18.0.2:%d", port+10), fmt.Sprintf("-enrp=198.18.0.2:%d", port+11),
		"-asapannounce=off", "-enrpannounce=off", "-loglevel=4", "-logcolor=off",
		"-identifier=0x0b0b0b0b", fmt.Sprintf("-peer=198.18.0.1:%d", port+1))
	// RSPLIB ends its mentor hunt by timeout (5 s) and then synchronises
	// with the static peer.
	theirs.WaitFor(t, `Initialization phase ended`, 20*time.Second)
	var d *sandboxtest.Dump
	for deadline := time.Now().Add(30 * time.Second); ; {
		d = sandboxtest.HSDump(t, fmt.Sprintf("198.18.0.2:%d", port+11))
		if d.PEs() >= pes || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	got := 0
	for _, pool := range d.Pools {
		for _, pe := range pool {
			if pe.Home != 0x0a0a0a0a {
				t.Errorf("PE $%08x homed at $%08x", pe.ID, pe.Home)
			}
			got++
		}
	}
	if got != pes {
		t.Fatalf("RSPLIB's registrar has %d PEs, want %d", got, pes)
	}
	// RSPLIB logs one HandleTableResponse per page it got from us.
	if pages := strings.Count(theirs.Output(), "Got HandleTableResponse from peer $0a0a0a0a"); pages > pes/100 {
		t.Fatalf("%d pages for %d PEs: not the full pages of 128", pages, pes)
	}
}

// 10,000 PEs on 10 associations at RSPLIB's default keep-alive timers (5 s
// interval, 5 s timeout: 2,000 Keep-Alives a second) are held for a minute;
// then RSPLIB's hsdump pages through the whole handlespace while the
// keep-alives go on. It must list every PE exactly once, and no association
// may end before, during or after the dump.
func TestSandboxDumpUnderKeepAlives(t *testing.T) {
	sandboxtest.Require(t)
	const port, pes = 4620, 10000
	hold := 60 * time.Second
	if d, err := time.ParseDuration(os.Getenv("RSPREG_DUMP_HOLD")); err == nil {
		hold = d
	}
	reg := startRegistrar(t, port)
	cfg := fleetConfig(port, pes)
	cfg.Assocs, cfg.Window, cfg.Life = 10, 16, 300000
	f, err := NewFleet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := f.Register(ctx)
	expectAll(t, "registration", r, err, pes)
	checkKeepAlives := func(when string) {
		t.Helper()
		ka := f.KeepAlives()
		t.Logf("%s: %+v", when, ka)
		if ka.Lost != 0 || ka.AckFailed != 0 || ka.ReadErrors != 0 || ka.Unexpected != 0 {
			t.Fatalf("%s: keep-alives %+v: an association ended or something unexpected came", when, ka)
		}
	}
	for end := time.Now().Add(hold); time.Now().Before(end); {
		r0, s0 := cpuTicks(t, reg.Pid()), cpuTicks(t, os.Getpid())
		ka0 := f.KeepAlives().Received
		time.Sleep(5 * time.Second)
		r1, s1 := cpuTicks(t, reg.Pid()), cpuTicks(t, os.Getpid())
		t.Logf("5 s: %d keep-alives; CPU registrar %v, fleet %v", f.KeepAlives().Received-ka0, r1.sub(r0), s1.sub(s0))
	}
	checkKeepAlives("before the dump")
	before := f.KeepAlives().Received
	if before < uint64(pes)*uint64(hold/(5*time.Second)-1) {
		t.Fatalf("only %d keep-alives in %v for %d PEs at a 5 s interval", before, hold, pes)
	}
	start := time.Now()
	t.Logf("hsdump starts at %v", start)
	d := sandboxtest.HSDumpWithin(t, fmt.Sprintf("198.18.0.1:%d", port+1), 4*time.Minute)
	took := time.Since(start)
	checkKeepAlives("after the dump")
	seen := map[uint32]bool{}
	for _, pool := range d.Pools {
		for _, pe := range pool {
			if seen[pe.ID] {
				t.Errorf("PE $%08x listed twice", pe.ID)
			}
			seen[pe.ID] = true
		}
	}
	for k := range pes {
		if id := uint32(cfg.FirstID) + uint32(k); !seen[id] {
			t.Errorf("PE $%08x missing from the dump", id)
			if t.Failed() && len(seen) < pes-10 {
				break
			}
		}
	}
	t.Logf("hsdump listed %d PEs in %v; %d keep-alives during it", len(seen), took, f.KeepAlives().Received-before)
	if len(seen) != pes {
		t.Fatalf("hsdump listed %d distinct PEs, want %d", len(seen), pes)
	}
	time.Sleep(10 * time.Second)
	checkKeepAlives("10 s after the dump")
}

type ticks struct{ user, sys int }

func (a ticks) sub(b ticks) string {
	return fmt.Sprintf("user %d%% sys %d%%", (a.user-b.user)/5, (a.sys-b.sys)/5)
}

// cpuTicks reads a process's user and system CPU time in clock ticks.
func cpuTicks(t *testing.T, pid int) ticks {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.Atoi(f[11])
	sy, _ := strconv.Atoi(f[12])
	return ticks{u, sy}
}
