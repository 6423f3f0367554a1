package daemon

import (
	"net/netip"
	"testing"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
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
			if needsSRTT(wire.PPIDASAP, b) != (typ == rserpool.PolicyLeastUsedDPF ||
				typ == rserpool.PolicyLeastUsedDegradationDPF || typ == rserpool.PolicyWeightedRandomDPF) {
				t.Errorf("%v: needsSRTT %v", typ, needsSRTT(wire.PPIDASAP, b))
			}
		}
	}
}

// Anything unusual is not recognised, so that the RTT is read as before.
func TestRegistrationPolicyUnusual(t *testing.T) {
	rr := registration(t, rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}, "EchoPool")
	poolHandleEnd := 4 + 4 + 8 // header, pool handle parameter with "EchoPool"
	peHeader := poolHandleEnd + 4 + 12
	cases := map[string][]byte{
		"empty":                 nil,
		"other message":         append([]byte{wire.ASAPDeregistration}, rr[1:]...),
		"truncated":             rr[:len(rr)-8],
		"header only":           rr[:4],
		"no pool element":       rr[:poolHandleEnd],
		"pool element cut":      rr[:peHeader+2],
		"transport is a policy": append(append(append([]byte(nil), rr[:peHeader]...), 0x00, byte(wire.ParamPolicy)), rr[peHeader+2:]...),
		"pool handle length 2":  append(append(append([]byte(nil), rr[:6]...), 0x00, 0x02), rr[8:]...),
	}
	for name, b := range cases {
		if _, ok := registrationPolicy(b); ok {
			t.Errorf("%s: recognised", name)
		}
		if !needsSRTT(wire.PPIDASAP, b) {
			t.Errorf("%s: no SRTT asked for", name)
		}
	}
	if _, ok := registrationPolicy(rr); !ok {
		t.Fatal("the unmodified registration is not recognised")
	}
	if !needsSRTT(wire.PPIDENRP, nil) {
		t.Error("ENRP messages must always get the RTT")
	}
}

func TestAssocCacheForget(t *testing.T) {
	info := registrar.AssocInfo{OK: true, Port: 1}
	cases := []struct {
		n      sctp.Notification
		forget bool
	}{
		{sctp.AssocChange{Assoc: 7, State: sctp.CommUp}, true},
		{sctp.AssocChange{Assoc: 7, State: sctp.CommLost}, true},
		{sctp.AssocChange{Assoc: 7, State: sctp.Restart}, true},
		{sctp.PeerAddrChange{Assoc: 7}, true},
		{sctp.ShutdownEvent{Assoc: 7}, true},
		{sctp.AssocChange{Assoc: 8, State: sctp.CommLost}, false},
		{sctp.SendFailed{Assoc: 7}, false},
		{sctp.SenderDry{Assoc: 7}, false},
	}
	for _, c := range cases {
		ac := newAssocCache()
		ac.m[7] = info
		ac.forget(c.n)
		if _, kept := ac.m[7]; kept == c.forget {
			t.Errorf("%T %+v: kept %v", c.n, c.n, kept)
		}
	}
}
