package registrar_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/simnet"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// scope builds k registrars that know each other as static peers (or by
// multicast only) and one PE client per registrar with pes PEs each.
type scope struct {
	n       *simnet.Network
	regs    []*simnet.Registrar
	clients []*simnet.Client
}

func newScope(t *testing.T, seed uint64, k, pes int, multicastOnly bool) *scope {
	t.Helper()
	s := &scope{n: simnet.New(seed)}
	var peers []rserpool.Transport
	for i := 0; i < k; i++ {
		cfg := registrar.DefaultConfig()
		cfg.ID = rserpool.RegistrarID(0x10000000 * (i + 1))
		cfg.StaticPeers = peers // each knows the earlier ones: discovery must do the rest
		if multicastOnly {
			cfg.StaticPeers = nil
		}
		r := s.n.AddRegistrar(cfg)
		s.regs = append(s.regs, r)
		peers = append(peers, r.ENRPTransport())
	}
	for i, r := range s.regs {
		c := s.n.AddClient(r)
		for j := 0; j < pes; j++ {
			c.Register(rserpool.PoolHandle(fmt.Sprintf("pool%d", j%3)), rserpool.PEID(i*1000+j+1), rr)
		}
		s.clients = append(s.clients, c)
	}
	return s
}

// run advances time, re-registering every live PE every 30 s as RSPLIB's
// rspserver does.
func (s *scope) run(d time.Duration) {
	end := s.n.Now + int64(d)
	for s.n.Now < end {
		step := min(int64(30*time.Second), end-s.n.Now)
		s.n.RunFor(time.Duration(step))
		for _, c := range s.clients {
			if !c.Dead && c.Home != nil && c.Home.Alive {
				c.Reregister()
			}
		}
	}
}

// view is a registrar's handlespace as (pool, PE, home) lines.
func view(r *simnet.Registrar) string {
	var lines []string
	for pe := range r.Core.Handlespace().All(handlespaceStart) {
		lines = append(lines, fmt.Sprintf("%s/%d@%s", pe.Handle(), pe.ID(), pe.Home()))
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

func (s *scope) alive() []*simnet.Registrar {
	var out []*simnet.Registrar
	for _, r := range s.regs {
		if r.Alive {
			out = append(out, r)
		}
	}
	return out
}

// converged reports whether every live registrar has the same handlespace,
// with every live PE exactly once, and agrees on every owner's checksum.
func (s *scope) converged(t *testing.T, wantPEs int) error {
	t.Helper()
	live := s.alive()
	first := view(live[0])
	for _, r := range live[1:] {
		if v := view(r); v != first {
			return fmt.Errorf("registrar %s sees\n  %s\nregistrar %s sees\n  %s", live[0].Core.ID(), first, r.Core.ID(), v)
		}
	}
	if got := live[0].Core.Handlespace().PEs(); got != wantPEs {
		return fmt.Errorf("%d PEs, want %d", got, wantPEs)
	}
	for _, owner := range live {
		want := owner.Core.Handlespace().OwnChecksum()
		for _, r := range live {
			if got := r.Core.Handlespace().OwnershipChecksum(owner.Core.ID()); got != want {
				return fmt.Errorf("%s's checksum of %s is %v, want %v", r.Core.ID(), owner.Core.ID(), got, want)
			}
		}
	}
	return nil
}

func TestScopesSynchronize(t *testing.T) {
	for _, k := range []int{3, 5} {
		for _, mc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d registrars multicast=%v", k, mc), func(t *testing.T) {
				s := newScope(t, uint64(k), k, 20, mc)
				s.run(40 * time.Second)
				if err := s.converged(t, 20*k); err != nil {
					t.Fatal(err)
				}
				for _, r := range s.regs {
					if r.Core.Peers().Len() != k-1 {
						t.Errorf("%s has %d peers", r.Core.ID(), r.Core.Peers().Len())
					}
				}
				// Every registrar resolves every pool, including PEs homed
				// elsewhere.
				for _, r := range s.regs {
					pu := s.n.AddClient(r)
					pu.Resolve("pool1", 0xFFFFFFFF)
					s.n.RunFor(10 * time.Millisecond)
					hr := lastOf[*wire.HandleResolutionResponse](t, pu)
					homes := map[rserpool.RegistrarID]bool{}
					for _, e := range hr.PEs {
						homes[e.Home] = true
					}
					// PE j of each client is in pool j%3: 7 of 20 are in pool1.
					if len(hr.PEs) != 7*k || len(homes) != k {
						t.Errorf("%s resolves %d PEs from %d homes", r.Core.ID(), len(hr.PEs), len(homes))
					}
				}
			})
		}
	}
}

func TestTakeoverByExactlyOneSurvivor(t *testing.T) {
	for _, k := range []int{2, 3, 5} {
		t.Run(fmt.Sprintf("%d registrars", k), func(t *testing.T) {
			s := newScope(t, 7, k, 10, false)
			s.run(30 * time.Second)
			if err := s.converged(t, 10*k); err != nil {
				t.Fatal(err)
			}
			dead := s.regs[0]
			deadID := dead.Core.ID()
			dead.Kill()
			killedAt := s.n.Now
			cfg := registrar.DefaultConfig()
			bound := killedAt + int64(cfg.PeerMaxTimeLastHeard+cfg.PeerMaxTimeNoResponse+cfg.TakeoverExpiryInterval)
			// Do not let the dead registrar's PEs re-register elsewhere by
			// themselves: the takeover must move them.
			s.n.RunUntil(bound)
			var takers []rserpool.RegistrarID
			for _, r := range s.alive() {
				if r.Core.Stats.TakeoversCompleted > 0 {
					takers = append(takers, r.Core.ID())
				}
			}
			if len(takers) != 1 {
				t.Fatalf("takeover completed by %v, want exactly one", takers)
			}
			// Every survivor shows the PEs with the new home, and the PEs
			// themselves followed the Keep Alive with the H flag.
			c := s.clients[0]
			if c.Home == nil || c.Home.Core.ID() != takers[0] {
				t.Fatalf("the PEs' client did not move to the new home")
			}
			for _, r := range s.alive() {
				hs := r.Core.Handlespace()
				if hs.PEsOwnedBy(deadID) != 0 {
					t.Errorf("%s still has %d PEs of the dead registrar", r.Core.ID(), hs.PEsOwnedBy(deadID))
				}
				if r.Core.Peers().Find(deadID) != nil {
					t.Errorf("%s still lists the dead registrar", r.Core.ID())
				}
			}
			s.run(60 * time.Second)
			if err := s.converged(t, 10*k); err != nil {
				t.Fatal(err)
			}
			for _, r := range s.alive() {
				if n := r.Core.Handlespace().PEsOwnedBy(takers[0]); n != 20 && k > 1 {
					t.Errorf("%s sees %d PEs owned by %s, want 20", r.Core.ID(), n, takers[0])
				}
			}
		})
	}
}

func TestConvergenceUnderLossDelayAndReorder(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			s := newScope(t, seed, 4, 25, seed%2 == 0)
			s.n.Faults = simnet.Faults{DropENRP: 0.2, Jitter: 300 * time.Millisecond, Reorder: true}
			s.run(2 * time.Minute)
			// Churn while the network misbehaves: PEs come and go.
			for i, c := range s.clients {
				c.Deregister("pool0", rserpool.PEID(i*1000+1))
				c.Register("late", rserpool.PEID(i*1000+999), rr)
			}
			s.run(2 * time.Minute)
			s.n.Faults = simnet.Faults{}
			s.run(2 * time.Minute)
			if err := s.converged(t, 4*25); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Lost Handle Updates are repaired only by the checksum comparison in
// Presence: no re-registration and no expiry happen during this test.
func TestChecksumResyncRepairsLostUpdates(t *testing.T) {
	for _, mc := range []bool{false, true} {
		t.Run(fmt.Sprintf("multicast=%v", mc), func(t *testing.T) {
			s := newScope(t, 11, 3, 0, mc)
			for _, c := range s.clients {
				c.Life = 3600 * 1000
			}
			s.n.RunFor(20 * time.Second)
			// Every update of this phase is lost.
			s.n.Faults = simnet.Faults{DropENRP: 1}
			for i, c := range s.clients {
				for j := 0; j < 30; j++ {
					c.Register("pool", rserpool.PEID(i*100+j+1), rr)
				}
			}
			s.n.RunFor(time.Second)
			for i, c := range s.clients {
				for j := 0; j < 10; j++ {
					c.Deregister("pool", rserpool.PEID(i*100+j+1))
				}
			}
			s.n.RunFor(time.Second)
			if err := s.converged(t, 60); err == nil {
				t.Fatal("the handlespaces agree although every update was lost")
			}
			s.n.Faults = simnet.Faults{}
			s.n.RunFor(20 * time.Second)
			if err := s.converged(t, 60); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A synchronisation whose Handle Table Response is lost is started again
// (RSPLIB would never synchronise with that peer again).
func TestLostHandleTableResponseDoesNotStallSync(t *testing.T) {
	s := newScope(t, 13, 3, 0, false)
	for _, c := range s.clients {
		c.Life = 3600 * 1000
	}
	s.n.RunFor(20 * time.Second)
	s.n.Faults = simnet.Faults{DropTypes: map[uint8]bool{wire.ENRPHandleUpdate: true, wire.ENRPHandleTableResponse: true}}
	for i, c := range s.clients {
		for j := 0; j < 10; j++ {
			c.Register("pool", rserpool.PEID(i*100+j+1), rr)
		}
	}
	s.n.RunFor(10 * time.Second)
	if err := s.converged(t, 30); err == nil {
		t.Fatal("converged although updates and handle tables were lost")
	}
	s.n.Faults = simnet.Faults{}
	s.n.RunFor(20 * time.Second)
	if err := s.converged(t, 30); err != nil {
		t.Fatal(err)
	}
}
