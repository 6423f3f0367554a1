package registrar_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/simnet"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// Every policy that has a wire encoding registers and resolves through the
// core; the response carries the first PE's policy settings.
func TestEveryPolicyResolves(t *testing.T) {
	for _, typ := range rserpool.PolicyTypes() {
		if typ == rserpool.PolicyPriorityLeastUsedDPF || typ == rserpool.PolicyPriorityLeastUsedDegradationDPF {
			continue // no wire encoding (policies.md §1)
		}
		t.Run(typ.String(), func(t *testing.T) {
			n, r := single(t)
			pe := n.AddClient(r)
			pol := rserpool.PolicySettings{Type: typ, Weight: 5, Load: 1000, LoadDegradation: 100, LoadDPF: 1, WeightDPF: 1}
			for i := 1; i <= 4; i++ {
				pe.Register("P", rserpool.PEID(i), pol)
			}
			pu := n.AddClient(r)
			n.RunFor(10 * time.Millisecond)
			if resp := lastOf[*wire.RegistrationResponse](t, pe); resp.Error.Cause != 0 {
				t.Fatalf("registration rejected: %v", resp.Error.Cause)
			}
			pu.Resolve("P", 3)
			n.RunFor(10 * time.Millisecond)
			hr := lastOf[*wire.HandleResolutionResponse](t, pu)
			if hr.Error.Cause != 0 || len(hr.PEs) != 3 || hr.Policy.Type != typ {
				t.Fatalf("resolution: cause %v, %d PEs, policy %v", hr.Error.Cause, len(hr.PEs), hr.Policy.Type)
			}
			seen := map[rserpool.PEID]bool{}
			for _, e := range hr.PEs {
				if seen[e.ID] {
					t.Fatalf("PE %d returned twice in one answer", e.ID)
				}
				seen[e.ID] = true
			}
		})
	}
}

func TestHandleResolutionRateLimit(t *testing.T) {
	n := simnet.New(3)
	cfg := registrar.DefaultConfig()
	cfg.MaxHRRate = 5
	r := n.AddRegistrar(cfg)
	pe := n.AddClient(r)
	pe.Register("P", 1, rr)
	pu := n.AddClient(r)
	slow := n.AddClient(r)
	n.RunFor(10 * time.Millisecond)
	refused := 0
	for i := 0; i < 40; i++ {
		pu.Resolve("P", 1) // 100 per second
		n.RunFor(10 * time.Millisecond)
		if lastOf[*wire.HandleResolutionResponse](t, pu).Error.Cause == rserpool.CauseNotFound {
			refused++
		}
	}
	if refused < 20 {
		t.Fatalf("only %d of 40 resolutions at 100/s refused with a 5/s limit", refused)
	}
	for i := 0; i < 20; i++ {
		slow.Resolve("P", 1) // one per second: a different PU association is not affected
		n.RunFor(time.Second)
		if c := lastOf[*wire.HandleResolutionResponse](t, slow).Error.Cause; c != 0 && i > 2 {
			t.Fatalf("slow PU refused at resolution %d", i)
		}
	}
}

func TestEndpointUnreachableRateLimit(t *testing.T) {
	n := simnet.New(4)
	cfg := registrar.DefaultConfig()
	cfg.MaxEURate = 1
	cfg.MaxBadPEReports = 5
	r := n.AddRegistrar(cfg)
	pe := n.AddClient(r)
	pe.Register("P", 1, rr)
	pu := n.AddClient(r)
	n.RunFor(10 * time.Millisecond)
	for i := 0; i < 20; i++ {
		pu.Unreachable("P", 1)
		n.RunFor(time.Millisecond)
	}
	if r.Core.Handlespace().PEs() != 1 {
		t.Fatal("a flood of unreachability reports beyond the rate limit removed the PE")
	}
}

// Thousands of PEs and PUs in one process, no sockets.
func TestThousandsOfPEsAndPUs(t *testing.T) {
	s := newScope(t, 21, 3, 0, false)
	const pesPerReg, pus = 2000, 1000
	for i, c := range s.clients {
		for j := 0; j < pesPerReg; j++ {
			c.Register(rserpool.PoolHandle(fmt.Sprintf("pool%d", j%50)), rserpool.PEID(i*100000+j+1), rr)
		}
	}
	s.run(30 * time.Second)
	if err := s.converged(t, 3*pesPerReg); err != nil {
		t.Fatal(err)
	}
	var clients []*simnet.Client
	for i := 0; i < pus; i++ {
		c := s.n.AddClient(s.regs[i%3])
		c.Resolve(rserpool.PoolHandle(fmt.Sprintf("pool%d", i%50)), 0)
		clients = append(clients, c)
	}
	s.n.RunFor(100 * time.Millisecond)
	for i, c := range clients {
		hr := lastOf[*wire.HandleResolutionResponse](t, c)
		if hr.Error.Cause != 0 || len(hr.PEs) != 3 {
			t.Fatalf("PU %d: %+v", i, hr.Error)
		}
	}
}

// The own-children-only listing pages strictly through our own PEs, with M
// only while entries remain, and a request of the other kind starts over.
func TestHandleTablePaging(t *testing.T) {
	n := simnet.New(5)
	cfg := registrar.DefaultConfig()
	cfg.MaxElementsPerHTRequest = 2
	cfg.ID = 0x100
	r := n.AddRegistrar(cfg)
	pe := n.AddClient(r)
	for i := 1; i <= 5; i++ {
		pe.Register("P", rserpool.PEID(i), rr)
	}
	// A peer the registrar knows, speaking raw ENRP.
	peerCfg := registrar.DefaultConfig()
	peerCfg.ID = 0x200
	peerCfg.StaticPeers = []rserpool.Transport{r.ENRPTransport()}
	peer := n.AddRegistrar(peerCfg)
	n.RunFor(10 * time.Second)
	if peer.Core.Handlespace().PEs() != 5 {
		t.Fatalf("peer learned %d PEs", peer.Core.Handlespace().PEs())
	}
	// Page sizes: the mentor synchronisation pulled 5 PEs in pages of 2.
	if got := r.Core.Stats.Sent[1][wire.ENRPHandleTableResponse]; got < 3 {
		t.Fatalf("%d Handle Table Responses for 5 PEs in pages of 2", got)
	}
}

// Two registrars that detect a dead peer at the same moment: the lower id
// wins, the other acknowledges, and exactly one takes the PEs over.
func TestConcurrentTakeoverLowestIDWins(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		s := newScope(t, seed, 4, 5, false)
		s.n.Faults = simnet.Faults{} // all registrars see the death at the same time
		s.run(30 * time.Second)
		s.regs[3].Kill()
		s.n.RunFor(20 * time.Second)
		winners := 0
		for _, r := range s.alive() {
			if r.Core.Stats.TakeoversCompleted > 0 {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("seed %d: %d registrars completed the takeover", seed, winners)
		}
		if home := s.clients[3].Home; home == nil || home.Core.ID() != s.regs[0].Core.ID() {
			got := rserpool.RegistrarID(0)
			if home != nil {
				got = home.Core.ID()
			}
			t.Fatalf("seed %d: PEs moved to %s, want the lowest id %s", seed, got, s.regs[0].Core.ID())
		}
	}
}

// With -supporttakeoversuggestion a registrar suggests a better peer for a
// PE (largest peer id XOR PE id) with the T flag, and that peer invites the
// PE with a Keep Alive with the H flag; the PE moves.
func TestTakeoverSuggestion(t *testing.T) {
	n := simnet.New(8)
	cfgA := registrar.DefaultConfig()
	cfgA.ID = 0x0F
	cfgA.SupportTakeoverSuggestion = true
	a := n.AddRegistrar(cfgA)
	cfgB := registrar.DefaultConfig()
	cfgB.ID = 0xF0
	cfgB.SupportTakeoverSuggestion = true
	cfgB.StaticPeers = []rserpool.Transport{a.ENRPTransport()}
	b := n.AddRegistrar(cfgB)
	n.RunFor(10 * time.Second)
	c := n.AddClient(a)
	c.Register("P", 0x01, rr) // 0xF0^1 > 0x0F^1: B is the better home
	n.RunFor(time.Second)
	if c.Home != b {
		t.Fatal("the PE did not follow the takeover suggestion")
	}
	c.Reregister()
	n.RunFor(time.Second)
	if pe := a.Core.Handlespace().Find("P", 1); pe == nil || pe.Home() != 0xF0 {
		t.Fatalf("A sees the PE homed at %v", pe)
	}
}

// A requester that pages slowly (RSPLIB's hsdump under load, a joining peer
// far away) sends Presence once and then only Handle Table Requests: the
// dump takes longer than the peer timeouts (5 + 5 s), yet the registrar
// keeps it as a peer, keeps its position and serves every PE exactly once.
func TestSlowDumpKeepsRequester(t *testing.T) {
	n := simnet.New(7)
	cfg := registrar.DefaultConfig()
	cfg.ID = 0x100
	cfg.MaxElementsPerHTRequest = 5
	r := n.AddRegistrar(cfg)
	pe := n.AddClient(r)
	const pes = 20
	for i := 1; i <= pes; i++ {
		pe.Register("P", rserpool.PEID(i), rr)
	}
	n.RunFor(6 * time.Second)
	seen := map[rserpool.PEID]int{}
	for _, page := range dumpPages(t, n, r, 6*time.Second) { // more than either peer timeout
		for _, id := range page.ids {
			seen[id]++
		}
	}
	for i := 1; i <= pes; i++ {
		if seen[rserpool.PEID(i)] != 1 {
			t.Errorf("PE %d listed %d times", i, seen[rserpool.PEID(i)])
		}
	}
}

// A page fills up to -maxelementsperhtrequest (RSPLIB stops at 1400 bytes,
// about 20 PEs) and stays far below the 65536-byte messages every RSPLIB
// receiver reads, even at the internal cap of 1024 PEs.
func TestHandleTablePagesFillToTheEntryLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		limit, pes int
		want       []int
	}{
		{"default", 128, 300, []int{128, 128, 44}},
		{"byte budget", 5000, 1100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := simnet.New(9)
			cfg := registrar.DefaultConfig()
			cfg.ID = 0x100
			cfg.MaxElementsPerHTRequest = tc.limit
			r := n.AddRegistrar(cfg)
			pe := n.AddClient(r)
			for i := 1; i <= tc.pes; i++ {
				pe.Register("P", rserpool.PEID(i), rr)
			}
			n.RunFor(6 * time.Second)
			var sizes []int
			total := 0
			for _, page := range dumpPages(t, n, r, 0) {
				sizes = append(sizes, len(page.ids))
				total += len(page.ids)
				if page.bytes > 33000 {
					t.Errorf("a page of %d PEs has %d bytes", len(page.ids), page.bytes)
				}
			}
			if total != tc.pes {
				t.Fatalf("pages %v: %d PEs, want %d", sizes, total, tc.pes)
			}
			if tc.want != nil && !slices.Equal(sizes, tc.want) {
				t.Fatalf("pages %v, want %v", sizes, tc.want)
			}
			if tc.want == nil && len(sizes) < 2 {
				t.Fatalf("pages %v: the byte budget did not split them", sizes)
			}
		})
	}
}

type dumpPage struct {
	ids   []rserpool.PEID
	bytes int
}

// dumpPages pages through r's handlespace as an hsdump-like peer that sends
// Presence once and then Handle Table Requests, waiting between them.
func dumpPages(t *testing.T, n *simnet.Network, r *simnet.Registrar, between time.Duration) []dumpPage {
	t.Helper()
	const dumper, assoc = rserpool.RegistrarID(0x999), registrar.AssocID(77)
	addr := netip.MustParseAddr("198.18.0.9")
	info := &registrar.AssocInfo{OK: true, Addrs: []netip.Addr{addr}, Port: 9999}
	send := func(m interface{ AppendTo([]byte) ([]byte, error) }) []registrar.Action {
		t.Helper()
		b, err := m.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.Core.HandleMessage(n.Now, registrar.SocketENRP, assoc, wire.PPIDENRP, b, info)
	}
	send(&wire.Presence{Sender: dumper, Info: wire.ServerInfo{ID: dumper,
		Transport: rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 9999, Addrs: []netip.Addr{addr}}}})
	var pages []dumpPage
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatal("the dump does not end")
		}
		if between > 0 {
			n.RunFor(between)
		}
		var resp *wire.HandleTableResponse
		var size int
		for _, a := range send(&wire.HandleTableRequest{Sender: dumper}) {
			if a.Kind != registrar.ActSend || a.Assoc != assoc {
				continue
			}
			if m, err := wire.Decode(a.PPID, a.Data, wire.DecodeOptions{}); err == nil {
				if hr, ok := m.(*wire.HandleTableResponse); ok {
					resp, size = hr, len(a.Data)
				}
			}
		}
		if resp == nil || resp.Reject {
			t.Fatalf("page %d: response %+v", page, resp)
		}
		p := dumpPage{bytes: size}
		for _, g := range resp.Pools {
			for _, e := range g.PEs {
				p.ids = append(p.ids, e.ID)
			}
		}
		pages = append(pages, p)
		if !resp.MoreToSend {
			return pages
		}
	}
}
