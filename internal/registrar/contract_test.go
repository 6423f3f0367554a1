package registrar

import (
	"net/netip"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

func registration(t *testing.T, pol rserpool.PolicySettings, handle rserpool.PoolHandle) []byte {
	t.Helper()
	b, err := encodeRegistration(pol, handle)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeRegistration(pol rserpool.PolicySettings, handle rserpool.PoolHandle) ([]byte, error) {
	m := &wire.Registration{Handle: handle, PE: rserpool.PoolElement{ID: 0x1234, RegistrationLife: 90000,
		User: rserpool.Transport{Protocol: rserpool.ProtocolSCTP, ControlChannel: true, Port: 5000,
			Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("2001:db8::2")}},
		Policy: pol}}
	return m.AppendTo(nil)
}

func TestRegistrationPolicy(t *testing.T) {
	for _, typ := range rserpool.PolicyTypes() {
		for _, handle := range []rserpool.PoolHandle{"P", "EchoPool", "a-pool-handle-of-32-bytes-length"} {
			b, err := encodeRegistration(rserpool.PolicySettings{Type: typ, Weight: 1}, handle)
			if err != nil {
				continue // a type without a wire encoding
			}
			m, err := wire.DecodeASAP(b, wire.DecodeOptions{})
			if err != nil {
				t.Fatalf("%v: %v", typ, err)
			}
			got, ok := registrationPolicy(b)
			want := m.(*wire.Registration).PE.Policy.Type
			if !ok || got != want {
				t.Errorf("%v in %q: got %v, %v; want %v", typ, handle, got, ok, want)
			}
			if (MessageNeeds(wire.PPIDASAP, b)&NeedSRTT != 0) != (typ == rserpool.PolicyLeastUsedDPF ||
				typ == rserpool.PolicyLeastUsedDegradationDPF || typ == rserpool.PolicyWeightedRandomDPF) {
				t.Errorf("%v: needsSRTT %v", typ, (MessageNeeds(wire.PPIDASAP, b)&NeedSRTT != 0))
			}
		}
	}
}

// Anything unusual is not recognised; a Registration that is not
// recognised still gets its addresses and the RTT, so that the decoder
// decides and the core has what it may need.
func TestRegistrationPolicyUnusual(t *testing.T) {
	rr := registration(t, rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}, "EchoPool")
	poolHandleEnd := 4 + 4 + 8 // header, pool handle parameter with "EchoPool"
	peHeader := poolHandleEnd + 4 + 12
	cases := []struct {
		name string
		b    []byte
		want Need
	}{
		{"empty", nil, 0},
		{"other message", append([]byte{wire.ASAPDeregistration}, rr[1:]...), 0},
		{"truncated", rr[:len(rr)-8], NeedAddrs | NeedSRTT},
		{"header only", rr[:4], NeedAddrs | NeedSRTT},
		{"no pool element", rr[:poolHandleEnd], NeedAddrs | NeedSRTT},
		{"pool element cut", rr[:peHeader+2], NeedAddrs | NeedSRTT},
		{"transport is a policy", append(append(append([]byte(nil), rr[:peHeader]...), 0x00, byte(wire.ParamPolicy)), rr[peHeader+2:]...), NeedAddrs | NeedSRTT},
		{"pool handle length 2", append(append(append([]byte(nil), rr[:6]...), 0x00, 0x02), rr[8:]...), NeedAddrs | NeedSRTT},
	}
	for _, c := range cases {
		if _, ok := registrationPolicy(c.b); ok {
			t.Errorf("%s: recognised", c.name)
		}
		if got := MessageNeeds(wire.PPIDASAP, c.b); got != c.want {
			t.Errorf("%s: needs %b, want %b", c.name, got, c.want)
		}
	}
	if _, ok := registrationPolicy(rr); !ok {
		t.Fatal("the unmodified registration is not recognised")
	}
	if got := MessageNeeds(wire.PPIDASAP, rr); got != NeedAddrs {
		t.Errorf("round-robin registration: needs %b, want addresses only", got)
	}
}

// The messages whose handlers read association facts, and no others.
func TestMessageNeeds(t *testing.T) {
	all := NeedAddrs | NeedSRTT
	cases := []struct {
		ppid uint32
		typ  byte
		want Need
	}{
		{wire.PPIDASAP, wire.ASAPDeregistration, 0},
		{wire.PPIDASAP, wire.ASAPHandleResolution, 0},
		{wire.PPIDASAP, wire.ASAPEndpointKeepAliveAck, 0},
		{wire.PPIDASAP, wire.ASAPEndpointUnreachable, 0},
		{wire.PPIDENRP, wire.ENRPPresence, all},
		{wire.PPIDENRP, wire.ENRPHandleUpdate, all},
		{wire.PPIDENRP, wire.ENRPHandleTableResponse, all},
		{wire.PPIDENRP, wire.ENRPHandleTableRequest, 0},
		{wire.PPIDENRP, wire.ENRPListRequest, 0},
		{wire.PPIDENRP, wire.ENRPInitTakeover, 0},
		{wire.PPIDASAP + 100, wire.ASAPRegistration, 0},
	}
	for _, c := range cases {
		if got := MessageNeeds(c.ppid, []byte{c.typ, 0, 0, 4}); got != c.want {
			t.Errorf("%s (PPID %d): needs %b, want %b", wire.TypeName(c.ppid, c.typ), c.ppid, got, c.want)
		}
	}
}
