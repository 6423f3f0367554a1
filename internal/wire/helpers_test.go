package wire

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// unhex parses hex dumps written like wire.md §9: whitespace and '|' are
// ignored.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

func sctp(port uint16, cc bool, a ...string) rserpool.Transport {
	return rserpool.Transport{Protocol: rserpool.ProtocolSCTP, ControlChannel: cc, Port: port, Addrs: addrs(a...)}
}

// examplePE is the pool element of wire.md §9.
func examplePE(withRegistrator bool) rserpool.PoolElement {
	pe := rserpool.PoolElement{
		ID: 0x12345678, Home: 0x11223344, RegistrationLife: 90000,
		User:   sctp(5000, true, "10.1.1.1"),
		Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin},
	}
	if withRegistrator {
		pe.HasRegistrator = true
		pe.Registrator = sctp(40000, false, "10.1.1.1")
	}
	return pe
}

func encode(t testing.TB, m Message) []byte {
	t.Helper()
	b, err := m.AppendTo(nil)
	if err != nil {
		t.Fatalf("encode %T: %v", m, err)
	}
	return b
}
