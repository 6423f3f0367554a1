package registrar_test

import (
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/simnet"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// simnet hands a registrar only the association facts that
// registrar.MessageNeeds names, as the daemon does. These cases withhold a
// fact the handlers use and show that simnet then fails them: a handler
// that starts to read a fact the contract does not supply fails its simnet
// tests in the same way, instead of only in production.
func TestSimnetSuppliesOnlyTheContract(t *testing.T) {
	without := func(typ byte, drop registrar.Need) func(uint32, []byte) registrar.Need {
		return func(ppid uint32, b []byte) registrar.Need {
			need := registrar.MessageNeeds(ppid, b)
			if ppid == wire.PPIDASAP && len(b) > 0 && b[0] == typ {
				need &^= drop
			}
			return need
		}
	}
	dpf := rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDPF}
	cases := []struct {
		name     string
		needs    func(uint32, []byte) registrar.Need
		cause    rserpool.Cause
		distance uint32
	}{
		{"the contract", nil, rserpool.CauseOkay, 100},
		{"no addresses with a Registration", without(wire.ASAPRegistration, registrar.NeedAddrs),
			rserpool.CauseNoUsableASAPAddresses, 0},
		{"no RTT with a Registration", without(wire.ASAPRegistration, registrar.NeedSRTT), rserpool.CauseOkay, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := simnet.New(7)
			n.Latency = 100 * time.Millisecond // SRTT 200 ms: distance 100 ms
			n.Needs = c.needs
			r := n.AddRegistrar(registrar.DefaultConfig())
			pe := n.AddClient(r)
			pe.Register("P", 1, dpf)
			n.RunFor(time.Second)
			resp := lastOf[*wire.RegistrationResponse](t, pe)
			if resp.Error.Cause != c.cause {
				t.Fatalf("registration answered with %v, want %v", resp.Error.Cause, c.cause)
			}
			stored := r.Core.Handlespace().Find("P", 1)
			if c.cause != rserpool.CauseOkay {
				if stored != nil {
					t.Fatal("refused PE is in the handlespace")
				}
				return
			}
			if stored == nil {
				t.Fatal("registered PE not in the handlespace")
			}
			if d := stored.Element().Policy.Distance; d != c.distance {
				t.Fatalf("distance %d, want %d", d, c.distance)
			}
		})
	}
}

// A send the kernel refuses is reported back to the core (simnet does it
// as the daemon does), and the core aborts the ASAP association it could
// not answer on, as RSPLIB does: the PE is told at once, and what it
// registered over the association goes with it.
func TestSendFailureAbortsTheASAPAssociation(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		n := simnet.New(3)
		if refuse {
			n.Faults.RefuseASAP = map[uint8]bool{wire.ASAPRegistrationResponse: true}
		}
		r := n.AddRegistrar(registrar.DefaultConfig())
		pe := n.AddClient(r)
		pe.Register("P", 1, rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin})
		n.RunFor(time.Second)
		stored := r.Core.Handlespace().Find("P", 1) != nil
		failures := r.Core.Stats.SendFailures[registrar.SocketASAP]
		if !refuse {
			if !stored || failures != 0 || pe.Last() == nil {
				t.Fatalf("delivered: stored %v, %d send failures, answer %v", stored, failures, pe.Last())
			}
			continue
		}
		if failures != 1 {
			t.Errorf("%d send failures counted, want 1", failures)
		}
		if stored {
			t.Error("the PE whose association was aborted is still registered")
		}
		if pe.Last() != nil || pe.Connected() {
			t.Errorf("refused: the PE got %v, connected %v; want nothing and its association aborted", pe.Last(), pe.Connected())
		}
	}
}
