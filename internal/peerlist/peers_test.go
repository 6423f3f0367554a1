package peerlist

import (
	"net/netip"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func tr(port uint16, addrs ...string) rserpool.Transport {
	t := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: port}
	for _, a := range addrs {
		t.Addrs = append(t.Addrs, netip.MustParseAddr(a))
	}
	return t
}

func ids(l *List) []rserpool.RegistrarID {
	var out []rserpool.RegistrarID
	for _, p := range l.All() {
		out = append(out, p.ID)
	}
	return out
}

func TestStaticPeerLearnsIDAndFallsBack(t *testing.T) {
	l := New(0x11111111)
	s := l.AddStatic(tr(9901, "198.18.0.2"), 0)
	if again := l.AddStatic(tr(9901, "198.18.0.2"), 0); again != s || l.Len() != 1 {
		t.Fatal("the same static peer was added twice")
	}
	// A Presence from a peer with an overlapping address block: the static
	// entry adopts the id and keeps its configured addresses.
	p, isNew, err := l.Register(0x22222222, tr(9901, "198.18.0.2", "198.18.0.3"), false, 5)
	if err != nil || !isNew || p != s || p.ID != 0x22222222 || len(p.Addrs.Addrs) != 1 {
		t.Fatalf("Register = %v %v %v (%+v)", p, isNew, err, p)
	}
	if l.Find(0x22222222) != s {
		t.Fatal("Find by learned id failed")
	}
	// Second Presence: known, not new.
	if _, isNew, _ := l.Register(0x22222222, tr(9901, "198.18.0.3"), false, 6); isNew {
		t.Fatal("known peer reported as new")
	}
	if got := s.Addrs.Addrs[0].String(); got != "198.18.0.2" {
		t.Fatalf("static addresses replaced: %s", got)
	}
	s.HTSync = true
	s.SetTimer(TimerMaxTimeNoResponse, 10)
	l.Remove(s)
	if l.Len() != 1 || s.ID != 0 || s.HTSync || s.Timer != TimerNone || !s.Static {
		t.Fatalf("static peer after removal: %+v, len %d", s, l.Len())
	}
}

func TestDynamicPeers(t *testing.T) {
	l := New(0x11111111)
	if _, _, err := l.Register(0x11111111, tr(9901, "198.18.0.1"), false, 0); err != ErrOwnID {
		t.Fatalf("own id: err = %v", err)
	}
	if _, _, err := l.Register(0, tr(9901, "198.18.0.1"), false, 0); err != ErrInvalidID {
		t.Fatalf("id 0: err = %v", err)
	}
	for _, id := range []rserpool.RegistrarID{0x30, 0x10, 0x20} {
		if _, isNew, err := l.Register(id, tr(1000+uint16(id), "198.18.0.2"), false, 0); err != nil || !isNew {
			t.Fatal(err)
		}
	}
	l.AddStatic(tr(9901, "198.18.0.9"), 0)
	got := ids(l)
	want := []rserpool.RegistrarID{0, 0x10, 0x20, 0x30}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("index order %v, want %v", got, want)
		}
	}
	// A dynamic peer's addresses follow its latest Presence.
	p, _, _ := l.Register(0x20, tr(2000, "198.18.0.4"), false, 1)
	if p.Addrs.Port != 2000 || p.Addrs.Addrs[0].String() != "198.18.0.4" {
		t.Fatalf("addresses not replaced: %v", p.Addrs)
	}
	l.Remove(p)
	if l.Find(0x20) != nil || l.Len() != 3 {
		t.Fatal("dynamic peer not removed")
	}
}

func TestTimersAndTakeover(t *testing.T) {
	l := New(0x50)
	a, _, _ := l.Register(0x10, tr(1, "198.18.0.2"), false, 0)
	b, _, _ := l.Register(0x20, tr(2, "198.18.0.3"), false, 0)
	c, _, _ := l.Register(0x30, tr(3, "198.18.0.4"), false, 0)
	l.AddStatic(tr(9901, "198.18.0.9"), 0)
	if l.NextTimer() != nil {
		t.Fatal("no timer armed yet")
	}
	a.SetTimer(TimerMaxTimeLastHeard, 300)
	b.SetTimer(TimerMaxTimeNoResponse, 100)
	c.SetTimer(TimerTakeoverExpiry, 200)
	if l.NextTimer() != b {
		t.Fatal("earliest timer not found")
	}
	b.StopTimer()
	if l.NextTimer() != c {
		t.Fatal("stopped timer still chosen")
	}
	parts := l.TakeoverParticipants(0x20)
	if len(parts) != 2 || parts[0] != 0x10 || parts[1] != 0x30 {
		t.Fatalf("participants = %v", parts)
	}
	tk := &Takeover{Target: 0x20, Outstanding: parts}
	if n := tk.Ack(0x99); n != 2 {
		t.Fatalf("foreign ack counted: %d", n)
	}
	if n := tk.Ack(0x10); n != 1 {
		t.Fatalf("after ack: %d", n)
	}
	if n := tk.Ack(0x30); n != 0 {
		t.Fatalf("after last ack: %d", n)
	}
}

func TestUsefulPeerForPE(t *testing.T) {
	l := New(0x0F)
	if l.UsefulPeerForPE(0x01) != nil {
		t.Fatal("no peers: nothing is better")
	}
	p, _, _ := l.Register(0xF0, tr(1, "198.18.0.2"), false, 0)
	l.Register(0x01, tr(2, "198.18.0.3"), false, 0)
	if got := l.UsefulPeerForPE(0x01); got != p { // 0xF0^1=0xF1 > 0x0F^1=0x0E
		t.Fatalf("got %v", got)
	}
	if got := l.UsefulPeerForPE(0xF0); got != nil { // 0xF0^0xF0=0 < 0x0F^0xF0=0xFF
		t.Fatalf("got %v, want none", got)
	}
}

func TestOverlapAndCompare(t *testing.T) {
	a, b := tr(9901, "198.18.0.1", "10.0.0.1"), tr(9901, "::ffff:10.0.0.1")
	if !Overlap(&a, &b) || CompareTransports(&a, &a) != 0 || CompareTransports(&b, &a) >= 0 {
		t.Error("overlap/compare wrong")
	}
	c := tr(9902, "10.0.0.1")
	if Overlap(&a, &c) {
		t.Error("different ports overlap")
	}
}
