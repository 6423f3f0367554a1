package loadgen

import (
	"context"
	"fmt"
	"net/netip"
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
