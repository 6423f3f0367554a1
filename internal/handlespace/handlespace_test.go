package handlespace

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

var rrSettings = rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}

// TestRegistrationChecks covers every check of asap.md §4.2 step 6 in
// RSPLIB's order: when several are violated, the first one wins.
func TestRegistrationChecks(t *testing.T) {
	many := make([]netip.Addr, rserpool.MaxTransportAddresses+1)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{198, 18, 1, byte(i)})
	}
	tests := []struct {
		name   string
		handle rserpool.PoolHandle
		mod    func(e *rserpool.PoolElement)
		want   rserpool.Cause
	}{
		{"ok", "P", func(*rserpool.PoolElement) {}, rserpool.CauseOkay},
		{"empty handle", "", func(e *rserpool.PoolElement) { e.ID = 0 }, rserpool.CauseInvalidPoolHandle},
		{"long handle", rserpool.PoolHandle(strings.Repeat("x", 33)), func(e *rserpool.PoolElement) { e.ID = 0 },
			rserpool.CauseInvalidPoolHandle},
		{"max handle", rserpool.PoolHandle(strings.Repeat("x", 32)), func(*rserpool.PoolElement) {}, rserpool.CauseOkay},
		{"unknown policy before id", "P", func(e *rserpool.PoolElement) { e.Policy.Type = 0x77; e.ID = 0 },
			rserpool.CauseInvalidPoolPolicy},
		{"id 0 before protocol", "P", func(e *rserpool.PoolElement) { e.ID = 0; e.User.Protocol = rserpool.ProtocolTCP },
			rserpool.CauseInvalidID},
		{"protocol before registrator", "P", func(e *rserpool.PoolElement) {
			e.User.Protocol = rserpool.ProtocolTCP
			e.Registrator.Port = 0
		}, rserpool.CauseWrongProtocol},
		{"registrator not SCTP", "P", func(e *rserpool.PoolElement) { e.Registrator.Protocol = rserpool.ProtocolTCP },
			rserpool.CauseInvalidRegistrator},
		{"registrator control channel", "P", func(e *rserpool.PoolElement) { e.Registrator.ControlChannel = true },
			rserpool.CauseInvalidRegistrator},
		{"registrator no address", "P", func(e *rserpool.PoolElement) { e.Registrator.Addrs = nil },
			rserpool.CauseInvalidRegistrator},
		{"registrator 65 addresses", "P", func(e *rserpool.PoolElement) { e.Registrator.Addrs = many },
			rserpool.CauseInvalidRegistrator},
		{"registrator port 0 before user", "P", func(e *rserpool.PoolElement) {
			e.Registrator.Port = 0
			e.User.Addrs = nil
		}, rserpool.CauseInvalidRegistrator},
		{"no registrator is fine", "P", func(e *rserpool.PoolElement) {
			e.HasRegistrator = false
			e.Registrator.Port = 0
		}, rserpool.CauseOkay},
		{"user no address", "P", func(e *rserpool.PoolElement) { e.User.Addrs = nil }, rserpool.CauseInvalidAddresses},
		{"user 65 addresses", "P", func(e *rserpool.PoolElement) { e.User.Addrs = many }, rserpool.CauseInvalidAddresses},
		{"user 64 addresses", "P", func(e *rserpool.PoolElement) { e.User.Addrs = many[:64] }, rserpool.CauseOkay},
		{"user port 0 before control channel", "P", func(e *rserpool.PoolElement) {
			e.User.Port = 0
			e.User.ControlChannel = true
		}, rserpool.CauseInvalidAddresses},
		{"control channel before policy", "P", func(e *rserpool.PoolElement) {
			e.User.ControlChannel = true
			e.Policy.Type = rserpool.PolicyLeastUsed
		}, rserpool.CauseWrongControlChannelHandling},
		{"policy type", "P", func(e *rserpool.PoolElement) { e.Policy.Type = rserpool.PolicyLeastUsed },
			rserpool.CauseIncompatiblePoolPolicy},
		{"other parameters may differ", "P", func(e *rserpool.PoolElement) { e.Policy.Weight, e.Policy.Load = 9, 9 },
			rserpool.CauseOkay},
		{"new pool may choose anything", "Q", func(e *rserpool.PoolElement) {
			e.User.Protocol, e.User.ControlChannel = rserpool.ProtocolTCP, true
			e.Policy.Type = rserpool.PolicyLeastUsed
		}, rserpool.CauseOkay},
		{"new pool still checks the id", "Q", func(e *rserpool.PoolElement) { e.ID = 0 }, rserpool.CauseInvalidID},
		{"new pool still checks addresses", "Q", func(e *rserpool.PoolElement) { e.User.Port = 0 },
			rserpool.CauseInvalidAddresses},
	}
	for _, tt := range tests {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%v", tt.name, existing), func(t *testing.T) {
				h := New(own, nil)
				mustRegister(t, h, "P", rrSettings) // pool P: RR, SCTP, no control channel
				if existing {
					if _, _, err := h.Register("P", testPE(2, rrSettings), 2); err != nil {
						t.Fatal(err)
					}
				}
				id := uint32(7)
				if existing {
					id = 2 // re-registration of an existing PE is checked the same way
				}
				e := testPE(id, rrSettings)
				tt.mod(e)
				before := fmt.Sprint(h.PEs(), h.Pools(), h.OwnChecksum())
				pe, isNew, err := h.Register(tt.handle, e, 9)
				var cause rserpool.Cause
				if err != nil && !errors.As(err, &cause) {
					t.Fatalf("error %v is not a Cause", err)
				}
				if cause != tt.want {
					t.Fatalf("got %v want %v", cause, tt.want)
				}
				if tt.want != rserpool.CauseOkay {
					if pe != nil || isNew || fmt.Sprint(h.PEs(), h.Pools(), h.OwnChecksum()) != before {
						t.Fatal("a failed registration changed the handlespace")
					}
				} else if isNew == (existing && tt.handle == "P") {
					t.Fatalf("isNew=%v", isNew)
				}
				if err := h.Check(); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestReregistration checks what an update replaces and what it keeps
// (asap.md §4.3).
func TestReregistration(t *testing.T) {
	h := New(own, newRand(1))
	ps := rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDegradation, Load: 100, LoadDegradation: 10}
	mustRegister(t, h, "P", ps, ps)
	pe := h.Find("P", 1)
	h.SetTimer(pe, TimerKeepAliveTransmission, 5000)
	h.ReportUnreachable(pe)
	h.Mark(own)
	h.Resolve(nil, "P", 1, 0)
	seq := pe.State().Seq
	if pe.State().Degradation != 30 {
		t.Fatalf("degradation %d", pe.State().Degradation)
	}

	e := testPE(1, rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDegradation, Load: 500, LoadDegradation: 20})
	e.RegistrationLife = 1
	e.Home = other
	e.User.Port = 6000
	e.User.Addrs = []netip.Addr{addrB, addrA}
	e.Registrator.Port = 41000
	got, isNew, err := h.Register("P", e, 42)
	if err != nil || isNew || got != pe {
		t.Fatalf("update: %v %v %v", got, isNew, err)
	}
	el := pe.Element()
	switch {
	case el.Policy != e.Policy:
		t.Error("policy not replaced")
	case pe.State().Degradation != 20: // reset to 0, then one Update on relink
		t.Errorf("degradation %d, want 20", pe.State().Degradation)
	case pe.State().Seq != seq:
		t.Error("sequence number changed")
	case el.RegistrationLife != 90000:
		t.Error("registration life must be kept")
	case el.Home != other || h.PEsOwnedBy(other) != 1 || h.OwnedPEs() != 1:
		t.Error("home not moved")
	case !el.User.Equal(&e.User) || !el.Registrator.Equal(&e.Registrator):
		t.Error("transports not replaced")
	case pe.Assoc() != 42 || len(h.OfAssoc(nil, 1)) != 0 || len(h.OfAssoc(nil, 42)) != 1:
		t.Error("association binding not moved")
	case pe.Marked():
		t.Error("mark not cleared")
	case pe.UnreachableReports() != 1:
		t.Error("unreachability reports must be kept")
	}
	if code, ts := pe.Timer(); code != TimerKeepAliveTransmission || ts != 5000 {
		t.Error("timer must be kept")
	}
	// The stored transports are copies.
	e.User.Addrs[0] = netip.MustParseAddr("10.9.9.9")
	if el.User.Addrs[0] != addrB {
		t.Error("user transport aliases the caller's slice")
	}
	if !h.Find("P", 2).Marked() {
		t.Error("PE 2 lost its mark")
	}

	// An ENRP update without registrator and association.
	e2 := testPE(1, e.Policy)
	e2.HasRegistrator = false
	e2.Home = third
	h.Register("P", e2, 0)
	if el.HasRegistrator || len(el.Registrator.Addrs) != 0 || pe.Assoc() != 0 || h.PEsOwnedBy(other) != 0 {
		t.Error("ENRP update did not drop registrator/association or move the home")
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestReregistrationWRRClip: the virtual counter is clipped to a lowered
// weight, and a policy type change is refused even for the only PE.
func TestReregistrationWRRClip(t *testing.T) {
	h := New(own, nil)
	mustRegister(t, h, "P", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRoundRobin, Weight: 10})
	pe := h.Find("P", 1)
	if pe.State().Virtual != 9 { // Initialize 10, Update on link
		t.Fatalf("virtual %d", pe.State().Virtual)
	}
	h.Register("P", testPE(1, rserpool.PolicySettings{Type: rserpool.PolicyWeightedRoundRobin, Weight: 3}), 1)
	if pe.State().Virtual != 2 { // clipped to 3, Update on relink
		t.Fatalf("virtual %d after clip", pe.State().Virtual)
	}
	_, _, err := h.Register("P", testPE(1, rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}), 1)
	if err != rserpool.CauseIncompatiblePoolPolicy {
		t.Fatalf("type change: %v", err)
	}
	// After the pool is gone, anything goes.
	h.Deregister("P", 1)
	if h.Pools() != 0 {
		t.Fatal("empty pool kept")
	}
	if _, _, err := h.Register("P", testPE(1, rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}), 1); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveAndLookups(t *testing.T) {
	h := New(own, nil)
	mustRegister(t, h, "P", rrSettings, rrSettings)
	mustRegister(t, h, "Q", rrSettings)
	if h.Pools() != 2 || h.PEs() != 3 {
		t.Fatalf("pools %d PEs %d", h.Pools(), h.PEs())
	}
	if info, ok := h.Pool("P"); !ok || info.PEs != 2 || info.Policy != rserpool.PolicyRoundRobin ||
		info.Protocol != rserpool.ProtocolSCTP || info.ControlChannel {
		t.Fatalf("pool info %+v", info)
	}
	if _, err := h.Resolve(nil, "nope", 1, 0); err != rserpool.CauseNotFound {
		t.Fatalf("unknown pool: %v", err)
	}
	if sel, err := h.Resolve(nil, "P", 0, 0); err != nil || len(sel) != 0 {
		t.Fatal("items 0 must select nothing")
	}
	pe := h.Deregister("P", 1)
	if pe == nil || pe.ID() != 1 || pe.Handle() != "P" || h.Find("P", 1) != nil {
		t.Fatal("deregister failed")
	}
	if h.Remove(pe) || h.Deregister("P", 1) != nil {
		t.Fatal("double removal must be refused")
	}
	h.SetTimer(pe, TimerExpiry, 1) // ignored for a removed PE
	h.SetHome(pe, other)
	if h.Timers() != 0 || pe.Home() != own {
		t.Fatal("removed PE was changed")
	}
	h.Deregister("P", 2)
	if _, ok := h.Pool("P"); ok || h.Pools() != 1 {
		t.Fatal("pool not removed with its last PE")
	}
	var pools []rserpool.PoolHandle
	for p := range h.PoolList() {
		pools = append(pools, p.Handle)
	}
	if !slices.Equal(pools, []rserpool.PoolHandle{"Q"}) {
		t.Fatalf("pools %v", pools)
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestTimers(t *testing.T) {
	h := New(own, nil)
	mustRegister(t, h, "BB", rrSettings, rrSettings, rrSettings)
	mustRegister(t, h, "A", rrSettings, rrSettings)
	if _, ok := h.NextTimer(); ok {
		t.Fatal("no timer expected")
	}
	set := func(handle rserpool.PoolHandle, id uint32, code TimerCode, ts int64) {
		h.SetTimer(h.Find(handle, rserpool.PEID(id)), code, ts)
	}
	set("BB", 1, TimerKeepAliveTransmission, 300)
	set("BB", 2, TimerExpiry, 100)
	set("A", 2, TimerKeepAliveTimeout, 200)
	set("BB", 3, TimerKeepAliveTransmission, 200)
	set("A", 1, TimerKeepAliveTransmission, 50)
	set("A", 1, TimerKeepAliveTransmission, 200) // reschedule: equal time, ties by id then handle
	set("BB", 1, TimerKeepAliveTimeout, 10)
	set("BB", 1, TimerNone, 0) // stop
	if ts, ok := h.NextTimer(); !ok || ts != 100 || h.Timers() != 4 {
		t.Fatalf("next %d %v, %d timers", ts, ok, h.Timers())
	}
	if _, _, _, ok := h.PopDue(99); ok {
		t.Fatal("nothing is due at 99")
	}
	var got []string
	for {
		pe, code, ts, ok := h.PopDue(1000)
		if !ok {
			break
		}
		if c, _ := pe.Timer(); c != TimerNone {
			t.Fatal("popped timer still running")
		}
		got = append(got, fmt.Sprintf("%s/%d %d@%d", pe.Handle(), pe.ID(), code, ts))
	}
	want := []string{"BB/2 1000@100", "A/1 1001@200", "A/2 1002@200", "BB/3 1001@200"}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	// Removal stops the timer.
	set("A", 1, TimerExpiry, 5)
	h.Deregister("A", 1)
	if h.Timers() != 0 {
		t.Fatal("removal did not stop the timer")
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestTimerHeapRandom compares the timer queue with a sorted model under
// random set/stop/pop operations.
func TestTimerHeapRandom(t *testing.T) {
	h := New(own, nil)
	rng := newRand(9)
	const n = 200
	settings := make([]rserpool.PolicySettings, n)
	for i := range settings {
		settings[i] = rrSettings
	}
	mustRegister(t, h, "P", settings...)
	type entry struct {
		ts int64
		id uint32
	}
	model := map[uint32]int64{}
	for step := range 5000 {
		id := uint32(rng.IntN(n) + 1)
		pe := h.Find("P", rserpool.PEID(id))
		switch rng.IntN(4) {
		case 0, 1:
			ts := int64(rng.IntN(50))
			h.SetTimer(pe, TimerExpiry, ts)
			model[id] = ts
		case 2:
			h.StopTimer(pe)
			delete(model, id)
		default:
			now := int64(rng.IntN(50))
			var due []entry
			for id, ts := range model {
				if ts <= now {
					due = append(due, entry{ts, id})
				}
			}
			slices.SortFunc(due, func(a, b entry) int {
				if a.ts != b.ts {
					return int(a.ts - b.ts)
				}
				return int(a.id) - int(b.id)
			})
			for _, d := range due {
				pe, _, ts, ok := h.PopDue(now)
				if !ok || pe.ID() != rserpool.PEID(d.id) || ts != d.ts {
					t.Fatalf("step %d: popped %s %d, want %d@%d", step, describe(pe), ts, d.id, d.ts)
				}
				delete(model, d.id)
			}
			if _, _, _, ok := h.PopDue(now); ok {
				t.Fatalf("step %d: extra due timer", step)
			}
		}
		if h.Timers() != len(model) {
			t.Fatalf("step %d: %d timers, model %d", step, h.Timers(), len(model))
		}
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestHandleTableOrders checks both Handle Table Response orders and the
// strictly-after continuation (enrp.md §7.2).
func TestHandleTableOrders(t *testing.T) {
	h := New(own, nil)
	reg := func(handle rserpool.PoolHandle, id uint32, home rserpool.RegistrarID) {
		e := testPE(id, rrSettings)
		e.Home = home
		if _, _, err := h.Register(handle, e, 0); err != nil {
			t.Fatal(err)
		}
	}
	reg("BB", 5, own)
	reg("BB", 2, other)
	reg("AA", 7, own)
	reg("B", 9, own) // shorter handles first
	reg("AA", 5, own)
	reg("AA", 1, other)
	str := func(seq func(func(*PE) bool)) string {
		var out []string
		for pe := range seq {
			out = append(out, fmt.Sprintf("%s/%d", pe.Handle(), pe.ID()))
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"all", str(h.All(Cursor{})), "B/9 AA/1 AA/5 AA/7 BB/2 BB/5"},
		{"all after AA/5", str(h.All(Cursor{"AA", 5})), "AA/7 BB/2 BB/5"},
		{"all after AA/7 (end of pool)", str(h.All(Cursor{"AA", 7})), "BB/2 BB/5"},
		{"all after AA/6 (gone)", str(h.All(Cursor{"AA", 6})), "AA/7 BB/2 BB/5"},
		{"all after A/100 (no such pool)", str(h.All(Cursor{"A", 100})), "B/9 AA/1 AA/5 AA/7 BB/2 BB/5"},
		{"all after C/1 (no such pool)", str(h.All(Cursor{"C", 1})), "AA/1 AA/5 AA/7 BB/2 BB/5"},
		{"all after AB/1 (no such pool)", str(h.All(Cursor{"AB", 1})), "BB/2 BB/5"},
		{"all after BB/5", str(h.All(Cursor{"BB", 5})), ""},
		{"owned", str(h.Owned(own, Cursor{})), "AA/5 BB/5 AA/7 B/9"},
		{"owned after AA/5", str(h.Owned(own, Cursor{"AA", 5})), "BB/5 AA/7 B/9"},
		{"owned after BB/5", str(h.Owned(own, Cursor{"BB", 5})), "AA/7 B/9"},
		{"owned after B/9 stops at the owner", str(h.Owned(own, Cursor{"B", 9})), ""},
		{"other", str(h.Owned(other, Cursor{})), "AA/1 BB/2"},
		{"nobody", str(h.Owned(third, Cursor{})), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q want %q", tt.name, tt.got, tt.want)
		}
	}
	// Early stop.
	n := 0
	for range h.All(Cursor{}) {
		n++
		if n == 2 {
			break
		}
	}
}

func TestOwnershipMarkPurgeAssoc(t *testing.T) {
	h := New(own, nil)
	reg := func(handle rserpool.PoolHandle, id uint32, home rserpool.RegistrarID, assoc AssocID) {
		e := testPE(id, rrSettings)
		e.Home = home
		if _, _, err := h.Register(handle, e, assoc); err != nil {
			t.Fatal(err)
		}
	}
	reg("P", 1, own, 10)
	reg("P", 2, other, 0)
	reg("P", 3, other, 0)
	reg("Q", 2, other, 0)
	reg("Q", 1, own, 10)
	reg("Q", 3, own, 11)
	if got := ids(h.OfAssoc(nil, 10)); !slices.Equal(got, []uint32{1, 1}) {
		t.Fatalf("assoc 10: %v", got)
	}
	if got := h.OfAssoc(nil, 10); got[0].Handle() != "P" || got[1].Handle() != "Q" {
		t.Fatal("assoc order must be id, then handle")
	}
	if len(h.OfAssoc(nil, 0)) != 0 || len(h.OfAssoc(nil, 12)) != 0 {
		t.Fatal("unbound PEs listed")
	}
	if h.OwnedPEs() != 3 || h.PEsOwnedBy(other) != 3 {
		t.Fatal("owner counts")
	}

	// Resync with "other": mark, the peer re-sends P/2 only, purge the rest.
	if n := h.Mark(other); n != 3 {
		t.Fatalf("marked %d", n)
	}
	e := testPE(2, rrSettings)
	e.Home = other
	h.Register("P", e, 0)
	purged := h.PurgeMarked(nil, other)
	if got := fmt.Sprintf("%v %s %s", ids(purged), purged[0].Handle(), purged[1].Handle()); got != "[2 3] Q P" {
		t.Fatalf("purged %s", got)
	}
	if h.PEsOwnedBy(other) != 1 || h.Find("P", 2) == nil || h.Find("P", 2).Marked() {
		t.Fatal("wrong PEs purged")
	}

	// Takeover of "other" by us.
	moved := h.ChangeOwner(nil, other, own)
	if len(moved) != 1 || moved[0].Home() != own || h.OwnedPEs() != 4 || h.PEsOwnedBy(other) != 0 {
		t.Fatal("takeover")
	}
	h.SetHome(h.Find("Q", 3), third)
	if h.PEsOwnedBy(third) != 1 || h.OwnedPEs() != 3 {
		t.Fatal("single PE ownership change")
	}
	if h.ReportUnreachable(h.Find("Q", 3)) != 1 || h.ReportUnreachable(h.Find("Q", 3)) != 2 {
		t.Fatal("unreachability counter")
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSameIDManyPools: one PE identifier in many pools, with the same home
// and association, registered in orders that exhaust the room between the
// ownership and connection sets' tie values, keeps both sets in handle
// order.
func TestSameIDManyPools(t *testing.T) {
	var handles []rserpool.PoolHandle
	for i := range 120 {
		handles = append(handles, rserpool.PoolHandle(fmt.Sprintf("pool-%03d", i)))
	}
	orders := map[string]func() []int{
		"descending": func() []int {
			o := make([]int, len(handles))
			for i := range o {
				o[i] = len(handles) - 1 - i
			}
			return o
		},
		// Always between the same two neighbours.
		"middle": func() []int {
			o := []int{0, len(handles) - 1}
			for i := len(handles) - 2; i > 0; i-- {
				o = append(o, i)
			}
			return o
		},
		"random": func() []int { return newRand(9).Perm(len(handles)) },
	}
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			h := New(own, newRand(1))
			rng := newRand(2)
			for step, i := range order() {
				if _, _, err := h.Register(handles[i], testPE(7, rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}), 5); err != nil {
					t.Fatal(err)
				}
				if name != "middle" && rng.IntN(4) == 0 { // and remove one
					h.Deregister(handles[order()[rng.IntN(step+1)]], 7)
				}
				if err := h.Check(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
			}
			owned, bound := h.OwnedBy(nil, own), h.OfAssoc(nil, 5)
			if len(owned) != h.PEs() || len(bound) != h.PEs() {
				t.Fatalf("%d owned, %d bound, %d PEs", len(owned), len(bound), h.PEs())
			}
			for i := 1; i < len(owned); i++ {
				if owned[i-1].Handle().Compare(owned[i].Handle()) >= 0 || owned[i] != bound[i] {
					t.Fatalf("order at %d: %s %s", i, owned[i-1].Handle(), owned[i].Handle())
				}
			}
		})
	}
}
