package handlespace

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

const (
	own   rserpool.RegistrarID = 0x11111111
	other rserpool.RegistrarID = 0x22222222
	third rserpool.RegistrarID = 0x33333333
)

var (
	addrA = netip.MustParseAddr("198.18.0.2")
	addrB = netip.MustParseAddr("198.18.0.3")
)

// testPE returns a valid registration as the ASAP layer would pass it.
func testPE(id uint32, ps rserpool.PolicySettings) *rserpool.PoolElement {
	return &rserpool.PoolElement{
		ID: rserpool.PEID(id), Home: own, RegistrationLife: 90000,
		User:           rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 5000, Addrs: []netip.Addr{addrA}},
		Policy:         ps,
		HasRegistrator: true,
		Registrator:    rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 40000, Addrs: []netip.Addr{addrA}},
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// mustRegister registers PEs 1..len(settings) into pool "P" in order.
func mustRegister(t testing.TB, h *Handlespace, handle rserpool.PoolHandle, settings ...rserpool.PolicySettings) {
	t.Helper()
	for i, ps := range settings {
		if _, isNew, err := h.Register(handle, testPE(uint32(i+1), ps), AssocID(i+1)); err != nil || !isNew {
			t.Fatalf("register PE %d: new=%v err=%v", i+1, isNew, err)
		}
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

func ids(pes []*PE) []uint32 {
	out := make([]uint32, len(pes))
	for i, x := range pes {
		out[i] = uint32(x.ID())
	}
	return out
}

func cmpID(a, b rserpool.PEID) int { return cmpU64(uint64(a), uint64(b)) }

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
