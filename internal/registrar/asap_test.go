package registrar_test

import (
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/simnet"
	"github.com/rserpool/rspregistrar/internal/wire"
)

var rr = rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}

func single(t *testing.T) (*simnet.Network, *simnet.Registrar) {
	t.Helper()
	n := simnet.New(1)
	cfg := registrar.DefaultConfig()
	cfg.ID = 0x11111111
	r := n.AddRegistrar(cfg)
	return n, r
}

func lastOf[T wire.Message](t *testing.T, c *simnet.Client) T {
	t.Helper()
	m, ok := c.Last().(T)
	if !ok {
		var zero T
		t.Fatalf("last message is %T, want %T (all: %d)", c.Last(), zero, len(c.Received))
	}
	return m
}

func TestRegistrationAndResolution(t *testing.T) {
	n, r := single(t)
	pe := n.AddClient(r)
	pe.Register("EchoPool", 0x1234, rr)
	n.RunFor(10 * time.Millisecond)
	resp := lastOf[*wire.RegistrationResponse](t, pe)
	if resp.Error.Cause != 0 || resp.ID != 0x1234 || resp.Handle != "EchoPool" {
		t.Fatalf("response %+v", resp)
	}
	hs := r.Core.Handlespace()
	e := hs.Find("EchoPool", 0x1234)
	if e == nil || e.Home() != 0x11111111 || e.Assoc() == 0 {
		t.Fatalf("PE not stored as owned and bound: %+v", e)
	}
	if el := e.Element(); !el.HasRegistrator || el.Registrator.Port != pe.Port || el.Registrator.Addrs[0] != pe.Addr {
		t.Fatalf("registrator transport %+v", el.Registrator)
	}
	// Sent at time 1, arrived one latency (1 ms) later; the keep-alive is due
	// one transmission interval after that.
	if code, at := e.Timer(); code != handlespace.TimerKeepAliveTransmission || at != 1+int64(time.Millisecond+5*time.Second) {
		t.Fatalf("timer %v at %d", code, at)
	}

	pu := n.AddClient(r)
	pu.Resolve("EchoPool", 0)
	n.RunFor(10 * time.Millisecond)
	hr := lastOf[*wire.HandleResolutionResponse](t, pu)
	if hr.Error.Cause != 0 || len(hr.PEs) != 1 || hr.PEs[0].ID != 0x1234 || hr.PEs[0].HasRegistrator ||
		hr.Policy.Type != rserpool.PolicyRoundRobin {
		t.Fatalf("resolution %+v", hr)
	}

	pu.Resolve("NoSuchPool", 0)
	n.RunFor(10 * time.Millisecond)
	if hr := lastOf[*wire.HandleResolutionResponse](t, pu); hr.Error.Cause != rserpool.CauseNotFound {
		t.Fatalf("unknown pool: %+v", hr)
	}

	pe.Deregister("EchoPool", 0x1234)
	n.RunFor(10 * time.Millisecond)
	if d := lastOf[*wire.DeregistrationResponse](t, pe); d.Error.Cause != 0 || hs.PEs() != 0 || hs.Pools() != 0 {
		t.Fatalf("deregistration %+v, %d PEs", d, hs.PEs())
	}
	// Deregistering again is reported as success.
	pe.Deregister("EchoPool", 0x1234)
	n.RunFor(10 * time.Millisecond)
	if d := lastOf[*wire.DeregistrationResponse](t, pe); d.Error.Cause != 0 {
		t.Fatalf("second deregistration %+v", d)
	}
}

func TestKeepAliveTimeoutRemovesPEAtConfiguredTime(t *testing.T) {
	n, r := single(t)
	pe := n.AddClient(r)
	pe.Register("EchoPool", 1, rr)
	n.RunFor(time.Millisecond) // the registration arrives now
	registeredAt := n.Now
	hs := r.Core.Handlespace()
	if hs.PEs() != 1 {
		t.Fatal("not registered")
	}
	// Acknowledged keep-alives keep it alive.
	n.RunFor(30 * time.Second)
	if hs.PEs() != 1 {
		t.Fatal("a PE that answers keep-alives was removed")
	}
	kas := 0
	for _, m := range pe.Received {
		if ka, ok := m.(*wire.EndpointKeepAlive); ok {
			kas++
			if ka.ServerID != 0x11111111 || ka.Home || ka.ID != 1 || ka.Handle != "EchoPool" {
				t.Fatalf("keep-alive %+v", ka)
			}
		}
	}
	if kas < 5 {
		t.Fatalf("only %d keep-alives in 30 s", kas)
	}
	// Now the PE stops answering. The next keep-alive goes out at the next
	// transmission time; it is removed exactly one timeout later.
	pe.Hung = true
	e := hs.Find("EchoPool", 1)
	_, txAt := e.Timer()
	deadline := txAt + int64(5*time.Second)
	n.RunUntil(deadline - 1)
	if hs.PEs() != 1 {
		t.Fatalf("removed before the timeout (registered at %d)", registeredAt)
	}
	n.RunUntil(deadline)
	if hs.PEs() != 0 {
		t.Fatal("not removed at the keep-alive timeout")
	}
	if r.Core.Stats.KeepAliveTimeouts != 1 {
		t.Fatalf("KeepAliveTimeouts = %d", r.Core.Stats.KeepAliveTimeouts)
	}
}

func TestAssociationLossRemovesPEs(t *testing.T) {
	n, r := single(t)
	pe := n.AddClient(r)
	pe.Register("A", 1, rr)
	pe.Register("B", 2, rr)
	other := n.AddClient(r)
	other.Register("A", 3, rr)
	n.RunFor(10 * time.Millisecond)
	hs := r.Core.Handlespace()
	if hs.PEs() != 3 {
		t.Fatalf("%d PEs", hs.PEs())
	}
	pe.Close()
	n.RunFor(10 * time.Millisecond)
	if hs.PEs() != 1 || hs.Find("A", 3) == nil {
		t.Fatalf("after close: %d PEs", hs.PEs())
	}
}

func TestEndpointUnreachableThreshold(t *testing.T) {
	n, r := single(t)
	pe := n.AddClient(r)
	pe.Register("A", 1, rr)
	pu := n.AddClient(r)
	n.RunFor(10 * time.Millisecond)
	for i := 0; i < 2; i++ {
		pu.Unreachable("A", 1)
	}
	n.RunFor(10 * time.Millisecond)
	hs := r.Core.Handlespace()
	if hs.PEs() != 1 || hs.Find("A", 1).UnreachableReports() != 2 {
		t.Fatal("removed before MaxBadPEReports")
	}
	// Re-registration does not reset the counter.
	pe.Register("A", 1, rr)
	pu.Unreachable("A", 1)
	n.RunFor(10 * time.Millisecond)
	if hs.PEs() != 0 {
		t.Fatal("not removed at the third report")
	}
	for _, m := range pu.Received {
		t.Fatalf("Endpoint Unreachable was answered with %T", m)
	}
}

func TestBadInputGetsRightCauseAndChangesNothing(t *testing.T) {
	tests := []struct {
		name   string
		first  rserpool.PolicySettings
		second rserpool.PolicySettings
		id     rserpool.PEID
		cause  rserpool.Cause
	}{
		{"policy differs from pool", rr, rserpool.PolicySettings{Type: rserpool.PolicyLeastUsed}, 2, rserpool.CauseIncompatiblePoolPolicy},
		{"PE id 0", rr, rr, 0, rserpool.CauseInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, r := single(t)
			pe := n.AddClient(r)
			pe.Register("A", 1, tt.first)
			n.RunFor(10 * time.Millisecond)
			before := r.Core.Handlespace().HandlespaceChecksum()
			pe.Register("A", tt.id, tt.second)
			n.RunFor(10 * time.Millisecond)
			resp := lastOf[*wire.RegistrationResponse](t, pe)
			if resp.Error.Cause != tt.cause {
				t.Fatalf("cause %v, want %v", resp.Error.Cause, tt.cause)
			}
			hs := r.Core.Handlespace()
			if hs.PEs() != 1 || hs.HandlespaceChecksum() != before {
				t.Fatal("handlespace changed")
			}
		})
	}
	t.Run("unparsable message", func(t *testing.T) {
		n, r := single(t)
		pe := n.AddClient(r)
		pe.Register("A", 1, rr)
		n.RunFor(10 * time.Millisecond)
		// A Registration whose pool handle parameter has length 0.
		pe.SendRaw(wire.PPIDASAP, []byte{0x01, 0, 0, 8, 0, 9, 0, 4})
		n.RunFor(10 * time.Millisecond)
		e := lastOf[*wire.ASAPErrorMessage](t, pe)
		if e.Error.Cause != rserpool.CauseInvalidTLV {
			t.Fatalf("cause %v", e.Error.Cause)
		}
		if r.Core.Handlespace().PEs() != 1 {
			t.Fatal("handlespace changed")
		}
	})
	t.Run("ENRP PPID on the ASAP socket aborts", func(t *testing.T) {
		n, r := single(t)
		pe := n.AddClient(r)
		pe.Register("A", 1, rr)
		n.RunFor(10 * time.Millisecond)
		pe.SendRaw(wire.PPIDENRP, []byte{0x05, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0})
		n.RunFor(10 * time.Millisecond)
		if r.Core.Handlespace().PEs() != 0 {
			t.Fatal("the association was not aborted (its PE is still there)")
		}
	})
}

func TestResolutionPolicies(t *testing.T) {
	tests := []struct {
		name  string
		pol   []rserpool.PolicySettings
		items uint32
		want  [][]rserpool.PEID
	}{
		{"round robin", []rserpool.PolicySettings{rr, rr, rr}, 1, [][]rserpool.PEID{{1}, {2}, {3}, {1}}},
		{"round robin 3 items", []rserpool.PolicySettings{rr, rr, rr}, 3, [][]rserpool.PEID{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}}},
		{"priority", []rserpool.PolicySettings{
			{Type: rserpool.PolicyPriority, Weight: 5}, {Type: rserpool.PolicyPriority, Weight: 5},
			{Type: rserpool.PolicyPriority, Weight: 9}}, 1, [][]rserpool.PEID{{3}, {3}}},
		{"least used", []rserpool.PolicySettings{
			{Type: rserpool.PolicyLeastUsed, Load: 100}, {Type: rserpool.PolicyLeastUsed, Load: 100},
			{Type: rserpool.PolicyLeastUsed, Load: 300}}, 1, [][]rserpool.PEID{{1}, {2}, {1}, {2}}},
		{"weighted round robin", []rserpool.PolicySettings{
			{Type: rserpool.PolicyWeightedRoundRobin, Weight: 1}, {Type: rserpool.PolicyWeightedRoundRobin, Weight: 2},
			{Type: rserpool.PolicyWeightedRoundRobin, Weight: 3}}, 1,
			[][]rserpool.PEID{{1}, {2}, {3}, {2}, {3}, {3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, r := single(t)
			pe := n.AddClient(r)
			for i, p := range tt.pol {
				pe.Register("P", rserpool.PEID(i+1), p)
			}
			pu := n.AddClient(r)
			n.RunFor(10 * time.Millisecond)
			for i, want := range tt.want {
				pu.Resolve("P", tt.items)
				n.RunFor(10 * time.Millisecond)
				hr := lastOf[*wire.HandleResolutionResponse](t, pu)
				var got []rserpool.PEID
				for _, e := range hr.PEs {
					got = append(got, e.ID)
				}
				if len(got) != len(want) {
					t.Fatalf("resolution %d: %v, want %v", i, got, want)
				}
				for j := range want {
					if got[j] != want[j] {
						t.Fatalf("resolution %d: %v, want %v", i, got, want)
					}
				}
				if hr.Policy.Type != tt.pol[0].Type {
					t.Fatalf("policy parameter %v", hr.Policy.Type)
				}
			}
		})
	}
}

func TestWeightedRandomAllZeroIsNotFound(t *testing.T) {
	n, r := single(t)
	pe := n.AddClient(r)
	pe.Register("W", 1, rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandom})
	pe.Register("W", 2, rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandom})
	pu := n.AddClient(r)
	pu.Resolve("W", 0)
	n.RunFor(10 * time.Millisecond)
	if hr := lastOf[*wire.HandleResolutionResponse](t, pu); hr.Error.Cause != rserpool.CauseNotFound {
		t.Fatalf("%+v", hr)
	}
}

func TestServerAnnouncesStartAfterInitialization(t *testing.T) {
	n, r := single(t)
	c := n.AddClient(r)
	n.RunFor(4900 * time.Millisecond)
	if len(c.Announced) != 0 || !r.Core.InStartup() {
		t.Fatal("announces during the initialization phase")
	}
	n.RunFor(200 * time.Millisecond)
	if !c.Announced[0x11111111] || r.Core.InStartup() {
		t.Fatal("no announce right after the initialization phase")
	}
}
