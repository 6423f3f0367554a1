package interop

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// Real RSPLIB echo, daytime and discard servers register with our daemon,
// hsdump lists them, and RSPLIB's rspterminal gets its line echoed through
// a PE it found by asking our registrar.
func TestSandboxRSPLIBServersAndTerminal(t *testing.T) {
	sandboxtest.Require(t)
	reg := registrar(t, addr1, 3863, "-identifier=0x22222222")
	ids := map[string]uint32{}
	for _, svc := range []struct{ flag, pool string }{{"-echo", "EchoPool"}, {"-daytime", "DaytimePool"}, {"-discard", "DiscardPool"}} {
		server(t, svc.flag, "-registrar="+addr1+":3863")
		ids[svc.pool] = registered(t, reg, svc.pool, 15*time.Second)
	}
	d := sandboxtest.HSDump(t, addr1+":3864")
	for pool, id := range ids {
		pes := d.Pools[pool]
		if len(pes) != 1 || pes[0].ID != id || pes[0].Home != 0x22222222 {
			t.Errorf("hsdump shows %s as %+v, want PE $%08x homed at $22222222\n%s", pool, pes, id, d.Raw)
		}
	}

	pr, pw := io.Pipe()
	term := sandboxtest.Start(t, pr, sandboxtest.Program(t, "rspterminal"), "-poolhandle=EchoPool",
		"-registrar="+addr1+":3863", "-loglevel=0")
	if _, err := io.WriteString(pw, "hello-through-the-go-registrar\n"); err != nil {
		t.Fatal(err)
	}
	term.WaitFor(t, `from PE \$[0-9a-f]{8}> hello-through-the-go-registrar`, 15*time.Second)
	reg.WaitFor(t, `Handle Resolution request for pool EchoPool`, time.Second)
	pw.Close()
}

// rspserver registers with every policy it knows; hsdump shows each pool
// with that policy.
func TestSandboxEveryPolicyRegisters(t *testing.T) {
	sandboxtest.Require(t)
	reg := registrar(t, addr1, 3865)
	policies := []struct{ arg, name string }{
		{"RoundRobin", "RoundRobin"},
		{"WeightedRoundRobin:3", "WeightedRoundRobin"},
		{"Random", "Random"},
		{"WeightedRandom:7", "WeightedRandom"},
		{"Priority:5", "Priority"},
		{"LeastUsed", "LeastUsed"},
		{"LeastUsedDegradation:0.1", "LeastUsedDegradation"},
		{"PriorityLeastUsed:0.1", "PriorityLeastUsed"},
		{"PriorityLeastUsedDegradation:0.1", "PriorityLeastUsedDegradation"},
		{"RandomizedLeastUsed", "RandomizedLeastUsed"},
		{"RandomizedPriorityLeastUsed", "RandomizedPriorityLeastUsed"},
		{"LeastUsedDPF:0.01", "LeastUsedDPF"},
		{"LeastUsedDegradationDPF:0.1:0.01", "LeastUsedDegradationDPF"},
		{"WeightedRandomDPF:5:0.01", "WeightedRandomDPF"},
	}
	for i, p := range policies {
		pool := "Policy" + itoa(i) // rspserver refuses long pool handles
		server(t, "-echo", "-poolhandle="+pool, "-policy="+p.arg, "-registrar="+addr1+":3865")
		registered(t, reg, pool, 15*time.Second)
	}
	d := sandboxtest.HSDump(t, addr1+":3866")
	for i, p := range policies {
		pool := "Policy" + itoa(i)
		if got := d.Policies[pool]; got != p.name || len(d.Pools[pool]) != 1 {
			t.Errorf("%s: hsdump shows policy %q with %d PEs, want %q with 1", pool, got, len(d.Pools[pool]), p.name)
		}
	}
}

// A PE killed with SIGKILL disappears from the handlespace.
func TestSandboxKilledServerIsRemoved(t *testing.T) {
	sandboxtest.Require(t)
	reg := registrar(t, addr1, 3867, "-endpointkeepalivetransmissioninterval=1000", "-endpointkeepalivetimeoutinterval=1000")
	pe := server(t, "-echo", "-registrar="+addr1+":3867")
	id := registered(t, reg, "EchoPool", 15*time.Second)
	pe.Signal(syscall.SIGKILL)
	deadline := time.Now().Add(15 * time.Second)
	for {
		d := sandboxtest.HSDump(t, addr1+":3868")
		if d.PEs() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PE $%08x still registered 15 s after SIGKILL:\n%s", id, d.Raw)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Several real PEs in one pool are handed out per the pool policy: round
// robin gives each in turn, priority always the highest.
func TestSandboxSelectionAmongRealPEs(t *testing.T) {
	sandboxtest.Require(t)
	reg := registrar(t, addr1, 3869)
	var rr []uint32
	for i := 0; i < 3; i++ {
		server(t, "-echo", "-poolhandle=RRPool", "-registrar="+addr1+":3869")
		rr = append(rr, registeredNth(t, reg, "RRPool", i+1))
	}
	prio := map[uint32]int{}
	for _, p := range []int{2, 9, 4} {
		server(t, "-echo", "-poolhandle=PrioPool", "-policy=Priority:"+itoa(p), "-registrar="+addr1+":3869")
		prio[registeredNth(t, reg, "PrioPool", len(prio)+1)] = p
	}
	c := newASAPClient(t, addr1, 3869)
	seen := map[uint32]int{}
	var order []uint32
	for i := 0; i < 6; i++ {
		_, ids := c.resolve("RRPool", 1)
		if len(ids) != 1 {
			t.Fatalf("round robin answer %v", ids)
		}
		seen[ids[0]]++
		order = append(order, ids[0])
	}
	for _, id := range rr {
		if seen[id] != 2 {
			t.Fatalf("round robin over 3 PEs, 6 resolutions: %s", hexIDs(order))
		}
	}
	if order[0] == order[1] || order[1] == order[2] || order[3] != order[0] {
		t.Fatalf("not round robin: %s", hexIDs(order))
	}
	for i := 0; i < 3; i++ {
		r, ids := c.resolve("PrioPool", 1)
		if len(ids) != 1 || prio[ids[0]] != 9 || r.Policy.Weight != 9 {
			t.Fatalf("priority answer %s (weight %d), want the priority-9 PE", hexIDs(ids), r.Policy.Weight)
		}
	}
	_, ids := c.resolve("PrioPool", 3)
	if len(ids) != 3 || prio[ids[0]] != 9 || prio[ids[1]] != 4 || prio[ids[2]] != 2 {
		t.Fatalf("priority order %s", hexIDs(ids))
	}
}

// registeredNth waits for the n-th successful registration in a pool.
func registeredNth(t *testing.T, reg *sandboxtest.Proc, pool string, n int) uint32 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		out := reg.Output()
		lines := []string{}
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "Successfully registered "+pool+"/$") {
				lines = append(lines, l)
			}
		}
		if len(lines) >= n {
			l := lines[n-1]
			var id uint32
			if _, err := fmtSscanHex(l[strings.Index(l, "/$")+2:], &id); err == nil {
				return id
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %d-th registration in %s:\n%s", n, pool, reg.Output())
	return 0
}

// A PE and a PU with no -registrar find our daemon by its multicast
// announces.
func TestSandboxDiscoveryByAnnounces(t *testing.T) {
	sandboxtest.Require(t)
	reg := sandboxtest.Start(t, nil, sandboxtest.Registrar(t), "-asap=auto", "-enrp=auto", "-enrpannounce=off",
		"-loglevel=4", "-logcolor=off", "-identifier=0x33333333")
	reg.WaitFor(t, `Starting to send ASAP announcements`, 15*time.Second)
	server(t, "-echo")
	registered(t, reg, "EchoPool", 20*time.Second)
	pr, pw := io.Pipe()
	term := sandboxtest.Start(t, pr, sandboxtest.Program(t, "rspterminal"), "-poolhandle=EchoPool", "-loglevel=0")
	if _, err := io.WriteString(pw, "found-by-announce\n"); err != nil {
		t.Fatal(err)
	}
	term.WaitFor(t, `from PE \$[0-9a-f]{8}> found-by-announce`, 20*time.Second)
	pw.Close()
}

// A PE that stops answering (frozen with SIGSTOP: its kernel keeps the SCTP
// association up) is removed by the keep-alive timeout: one Keep Alive after
// the transmission interval, removal one timeout interval later.
func TestSandboxFrozenServerTimesOut(t *testing.T) {
	sandboxtest.Require(t)
	reg := registrar(t, addr1, 3871, "-endpointkeepalivetransmissioninterval=2000", "-endpointkeepalivetimeoutinterval=1000")
	pe := server(t, "-echo", "-registrar="+addr1+":3871")
	id := registered(t, reg, "EchoPool", 15*time.Second)
	// It answers keep-alives while it runs.
	time.Sleep(5 * time.Second)
	if d := sandboxtest.HSDump(t, addr1+":3872"); d.PEs() != 1 {
		t.Fatalf("a live PE was removed:\n%s", d.Raw)
	}
	pe.Signal(syscall.SIGSTOP)
	defer pe.Signal(syscall.SIGCONT)
	reg.WaitFor(t, fmt.Sprintf(`Keep-alive timeout expired for pool element \$%08x of pool EchoPool -> removing it`, id), 10*time.Second)
	if d := sandboxtest.HSDump(t, addr1+":3872"); d.PEs() != 0 {
		t.Fatalf("PE still listed after its keep-alive timeout:\n%s", d.Raw)
	}
}
