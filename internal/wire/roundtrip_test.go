package wire

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// encodablePolicies returns settings for every policy type with a wire
// encoding, each field set to a distinct value where the type carries it.
func encodablePolicies() []rserpool.PolicySettings {
	var out []rserpool.PolicySettings
	for _, t := range rserpool.PolicyTypes() {
		ps := rserpool.PolicySettings{Type: t}
		switch policyWords(t) {
		case -1:
			continue
		case 0:
		default:
			switch t {
			case rserpool.PolicyWeightedRoundRobin, rserpool.PolicyWeightedRandom, rserpool.PolicyPriority:
				ps.Weight = 7
			case rserpool.PolicyLeastUsed, rserpool.PolicyRandomizedLeastUsed:
				ps.Load = 0x40000000
			case rserpool.PolicyWeightedRandomDPF:
				ps.Weight, ps.WeightDPF, ps.Distance = 3, 0x10000000, 250
			case rserpool.PolicyLeastUsedDPF:
				ps.Load, ps.LoadDPF, ps.Distance = 0x20000000, 0x01000000, 17
			case rserpool.PolicyLeastUsedDegradationDPF:
				ps.Load, ps.LoadDegradation, ps.LoadDPF, ps.Distance = 1, 2, 3, 4
			default:
				ps.Load, ps.LoadDegradation = 0xFFFFFFFF, 0x00010000
			}
		}
		out = append(out, ps)
	}
	return out
}

func pe(id rserpool.PEID, user rserpool.Transport, pol rserpool.PolicySettings, reg *rserpool.Transport) rserpool.PoolElement {
	p := rserpool.PoolElement{ID: id, Home: 0x11111111, RegistrationLife: 300000, User: user, Policy: pol}
	if reg != nil {
		p.HasRegistrator, p.Registrator = true, *reg
	}
	return p
}

// sampleMessages returns messages of every type, together exercising every
// parameter and flag the encoder and decoder know. They decode back to
// themselves with default options.
func sampleMessages() []Message {
	rr := rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}
	lu := rserpool.PolicySettings{Type: rserpool.PolicyLeastUsed, Load: 0x12345678}
	reg := sctp(40000, false, "198.18.0.1", "2001:db8::1")
	v6 := sctp(5001, false, "2001:db8::5", "198.18.0.5", "10.0.0.5")
	tcp := rserpool.Transport{Protocol: rserpool.ProtocolTCP, ControlChannel: true, Port: 80, Addrs: addrs("198.18.0.7")}
	udp := rserpool.Transport{Protocol: rserpool.ProtocolUDP, Port: 53, Addrs: addrs("2001:db8::53")}
	many := sctp(7, false)
	for i := range rserpool.MaxTransportAddresses {
		many.Addrs = append(many.Addrs, netip.AddrFrom4([4]byte{198, 18, 1, byte(i)}))
	}
	pes := []rserpool.PoolElement{pe(1, v6, lu, nil), pe(2, v6, lu, nil), pe(3, v6, lu, nil)}
	regPEs := []rserpool.PoolElement{pe(1, v6, lu, &reg), pe(2, v6, lu, &reg)}
	si := ServerInfo{ID: 0x22222222, Transport: sctp(9901, false, "198.18.0.2", "2001:db8::2")}
	oe := OperationError{Cause: rserpool.CauseInvalidValue, Info: []byte{0, 9, 0, 5, 'x'}}

	msgs := []Message{
		&Registration{Handle: "EchoPool", PE: pe(0x12345678, sctp(5000, true, "198.18.0.3"), rr, nil)},
		&Registration{Handle: "TCP", PE: pe(9, tcp, rr, nil)},
		&Registration{Handle: "UDP", PE: pe(9, udp, rr, nil)},
		&Registration{Handle: "Many", PE: pe(9, many, rr, nil)},
		&Registration{Handle: rserpool.PoolHandle(bytes.Repeat([]byte{0xAB}, 32)), PE: pe(9, v6, rr, nil)},
		&Deregistration{Handle: "x", ID: 77},
		&RegistrationResponse{Handle: "EchoPool", ID: 1},
		&RegistrationResponse{Handle: "EchoPool", ID: 1, Error: oe},
		&DeregistrationResponse{Handle: "EchoPool", ID: 1},
		&DeregistrationResponse{Handle: "EchoPool", ID: 1, Error: OperationError{Cause: rserpool.CauseOutOfResources}},
		&HandleResolution{Handle: "EchoPool"},
		&HandleResolution{Handle: "EchoPool", Items: 3},
		&HandleResolutionResponse{Handle: "EchoPool", Policy: lu, PEs: pes},
		&HandleResolutionResponse{Handle: "EchoPool", Error: OperationError{Cause: rserpool.CauseNotFound}},
		&EndpointKeepAlive{ServerID: 5, Handle: "P", ID: 6},
		&EndpointKeepAlive{ServerID: 5, Home: true, Handle: "P"},
		&EndpointKeepAliveAck{Handle: "P", ID: 6},
		&EndpointUnreachable{Handle: "P", ID: 6},
		&ServerAnnounce{ServerID: 0x11111111},
		&ServerAnnounce{ServerID: 0x11111111, Transports: []rserpool.Transport{tcp, sctp(3863, false, "198.18.0.1")},
			Info: &si},
		&Cookie{Data: []byte("cook")},
		&CookieEcho{Data: []byte("cookie echo 1234")},
		&ASAPErrorMessage{Error: OperationError{Cause: rserpool.CauseUnrecognizedParameter, Info: []byte{0x40, 0x20, 0, 4}}},
		&Presence{Sender: 1, Receiver: 2, Checksum: 0xBEEF, Info: si},
		&Presence{Sender: 1, ReplyRequired: true, Checksum: 0xFFFF, Info: si},
		&HandleTableRequest{Sender: 1, Receiver: 2},
		&HandleTableRequest{Sender: 1, Receiver: 2, OwnChildrenOnly: true},
		&HandleTableResponse{Sender: 1, Receiver: 2},
		&HandleTableResponse{Sender: 1, Receiver: 2, Reject: true},
		&HandleTableResponse{Sender: 1, Receiver: 2, MoreToSend: true, Pools: []PoolEntries{
			{Handle: "A", PEs: regPEs}, {Handle: "BB", PEs: regPEs[:1]}, {Handle: "A", PEs: []rserpool.PoolElement{pe(3, v6, lu, &reg)}},
		}},
		&HandleUpdate{Sender: 1, Receiver: 2, Action: UpdateAddPE, Handle: "A", PE: regPEs[0]},
		&HandleUpdate{Sender: 1, Receiver: 2, Action: UpdateDelPE, TakeoverSuggested: true, Handle: "A", PE: regPEs[1]},
		&ListRequest{Sender: 1, Receiver: 2},
		&ListResponse{Sender: 1, Receiver: 2},
		&ListResponse{Sender: 1, Receiver: 2, Reject: true},
		&ListResponse{Sender: 1, Receiver: 2, Servers: []ServerInfo{si, {ID: 0, Transport: sctp(9901, false, "198.18.0.9")},
			{ID: 3, Transport: rserpool.Transport{Protocol: rserpool.ProtocolUDP, Port: 9901, Addrs: addrs("198.18.0.3")}}}},
		&InitTakeover{Sender: 1, Receiver: 2, Target: 3},
		&InitTakeoverAck{Sender: 1, Receiver: 2, Target: 3},
		&TakeoverServer{Sender: 1, Receiver: 2, Target: 3},
		&ENRPErrorMessage{Sender: 1, Receiver: 2, Error: OperationError{Cause: rserpool.CauseInvalidTLV, Info: []byte{0, 0xf, 0, 5, 1}}},
	}
	for _, ps := range encodablePolicies() {
		msgs = append(msgs, &Registration{Handle: "Policies", PE: pe(10, v6, ps, nil)})
	}
	return msgs
}

func TestRoundTrip(t *testing.T) {
	for i, m := range sampleMessages() {
		t.Run(fmt.Sprintf("%d_%s", i, TypeName(m.PPID(), m.Type())), func(t *testing.T) {
			b := encode(t, m)
			if len(b)%4 != 0 || int(b[2])<<8|int(b[3]) != len(b) {
				t.Fatalf("length field %d, %d bytes", int(b[2])<<8|int(b[3]), len(b))
			}
			back, err := Decode(m.PPID(), b, DecodeOptions{})
			if err != nil {
				t.Fatalf("decode: %v\n%x", err, b)
			}
			if !reflect.DeepEqual(back, m) {
				t.Fatalf("decoded\n got %+v\nwant %+v", back, m)
			}
			if again := encode(t, back); !bytes.Equal(again, b) {
				t.Fatalf("re-encoded\n got %x\nwant %x", again, b)
			}
		})
	}
}

// TestPolicyLayouts checks each policy type's TLV length and word order
// against wire.md §7.
func TestPolicyLayouts(t *testing.T) {
	tests := []struct {
		ps   rserpool.PolicySettings
		want string
	}{
		{rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}, "0008 0008 00000001"},
		{rserpool.PolicySettings{Type: rserpool.PolicyWeightedRoundRobin, Weight: 2}, "0008 000c 00000002 00000002"},
		{rserpool.PolicySettings{Type: rserpool.PolicyRandom}, "0008 0008 00000003"},
		{rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandom, Weight: 4}, "0008 000c 00000004 00000004"},
		{rserpool.PolicySettings{Type: rserpool.PolicyPriority, Weight: 5}, "0008 000c 00000005 00000005"},
		{rserpool.PolicySettings{Type: rserpool.PolicyLeastUsed, Load: 1}, "0008 000c 40000001 00000001"},
		{rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDegradation, Load: 1, LoadDegradation: 2}, "0008 0010 40000002 00000001 00000002"},
		{rserpool.PolicySettings{Type: rserpool.PolicyPriorityLeastUsed, Load: 1, LoadDegradation: 2}, "0008 0010 40000003 00000001 00000002"},
		{rserpool.PolicySettings{Type: rserpool.PolicyRandomizedLeastUsed, Load: 1}, "0008 000c 40000004 00000001"},
		{rserpool.PolicySettings{Type: rserpool.PolicyRandomizedPriorityLeastUsed, Load: 1, LoadDegradation: 2}, "0008 0010 b0001001 00000001 00000002"},
		{rserpool.PolicySettings{Type: rserpool.PolicyRandomizedLeastUsedDegradation, Load: 1, LoadDegradation: 2}, "0008 0010 b0001002 00000001 00000002"},
		{rserpool.PolicySettings{Type: rserpool.PolicyPriorityLeastUsedDegradation, Load: 1, LoadDegradation: 2}, "0008 0010 b0001003 00000001 00000002"},
		{rserpool.PolicySettings{Type: rserpool.PolicyRandomizedPriorityLeastUsedDegradation, Load: 1, LoadDegradation: 2}, "0008 0010 b0001004 00000001 00000002"},
		{rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1, WeightDPF: 2, Distance: 3}, "0008 0014 b0002001 00000001 00000002 00000003"},
		{rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDPF, Load: 1, LoadDPF: 2, Distance: 3}, "0008 0014 b0002002 00000001 00000002 00000003"},
		{rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDegradationDPF, Load: 1, LoadDegradation: 2, LoadDPF: 3, Distance: 4}, "0008 0018 b0002003 00000001 00000002 00000003 00000004"},
	}
	if len(tests) != len(encodablePolicies()) {
		t.Fatalf("table covers %d policies, %d are encodable", len(tests), len(encodablePolicies()))
	}
	for _, tt := range tests {
		got, err := appendPolicy(nil, &tt.ps)
		if err != nil {
			t.Fatalf("%v: %v", tt.ps.Type, err)
		}
		if want := unhex(t, tt.want); !bytes.Equal(got, want) {
			t.Errorf("%v: got %x want %x", tt.ps.Type, got, want)
		}
	}
}

// TestTransportLayouts checks the transport parameters, including DCCP and
// UDP-Lite (RFC 5354 layouts), which RSPLIB can neither send nor parse.
func TestTransportLayouts(t *testing.T) {
	tests := []struct {
		tr   rserpool.Transport
		want string
	}{
		{sctp(5000, true, "10.1.1.1", "2001:db8::1"), "0004 0024 1388 0001 0001 0008 0a010101 0002 0014 20010db8000000000000000000000001"},
		{sctp(5000, false, "::ffff:10.1.1.1"), "0004 0010 1388 0000 0001 0008 0a010101"},
		{rserpool.Transport{Protocol: rserpool.ProtocolTCP, Port: 80, Addrs: addrs("10.1.1.1")}, "0005 0010 0050 0000 0001 0008 0a010101"},
		{rserpool.Transport{Protocol: rserpool.ProtocolTCP, ControlChannel: true, Port: 80, Addrs: addrs("10.1.1.1")}, "0005 0010 0050 0001 0001 0008 0a010101"},
		{rserpool.Transport{Protocol: rserpool.ProtocolUDP, ControlChannel: true, Port: 53, Addrs: addrs("10.1.1.1")}, "0006 0010 0035 0000 0001 0008 0a010101"},
		{rserpool.Transport{Protocol: rserpool.ProtocolUDPLite, Port: 53, Addrs: addrs("10.1.1.1")}, "0007 0010 0035 0000 0001 0008 0a010101"},
		{rserpool.Transport{Protocol: rserpool.ProtocolDCCP, Port: 53, ServiceCode: 0x01020304, Addrs: addrs("10.1.1.1")}, "0003 0014 0035 0000 01020304 0001 0008 0a010101"},
	}
	for _, tt := range tests {
		got, err := appendTransport(nil, &tt.tr)
		if err != nil {
			t.Fatalf("%v: %v", tt.tr, err)
		}
		if want := unhex(t, tt.want); !bytes.Equal(got, want) {
			t.Errorf("%v: got %x want %x", tt.tr, got, want)
		}
		if n := transportLen(&tt.tr); n != len(got) {
			t.Errorf("%v: transportLen %d, encoded %d", tt.tr, n, len(got))
		}
	}
	// RSPLIB's parser does not know DCCP or UDP-Lite; their action bits
	// (00) make it drop the whole message silently.
	for _, p := range []rserpool.Protocol{rserpool.ProtocolDCCP, rserpool.ProtocolUDPLite} {
		m := &Registration{Handle: "P", PE: pe(1, rserpool.Transport{Protocol: p, Port: 1, Addrs: addrs("10.1.1.1")},
			rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}, nil)}
		_, err := Decode(PPIDASAP, encode(t, m), DecodeOptions{})
		var de *DecodeError
		if !errors.As(err, &de) || de.Cause != rserpool.CauseUnrecognizedParameterSilent || !de.Silent {
			t.Errorf("%v registration: err %v, want a silent 0x1009", p, err)
		}
	}
}

// TestEncodedLen checks the size helpers the ENRP layer uses to fill
// messages up to MaxMessageSize.
func TestEncodedLen(t *testing.T) {
	for _, m := range sampleMessages() {
		switch m := m.(type) {
		case *Registration:
			b, _ := appendPoolElement(nil, &m.PE, false)
			if n := PoolElementLen(&m.PE, false); n != len(b) {
				t.Errorf("PoolElementLen = %d, encoded %d", n, len(b))
			}
			if n := PoolHandleLen(m.Handle); n != 4+len(m.Handle)+pad4(len(m.Handle)) {
				t.Errorf("PoolHandleLen(%q) = %d", m.Handle, n)
			}
		case *HandleUpdate:
			b, _ := appendPoolElement(nil, &m.PE, true)
			if n := PoolElementLen(&m.PE, true); n != len(b) {
				t.Errorf("PoolElementLen with registrator = %d, encoded %d", n, len(b))
			}
		case *Presence:
			b, _ := appendServerInfo(nil, &m.Info)
			if n := ServerInfoLen(&m.Info); n != len(b) {
				t.Errorf("ServerInfoLen = %d, encoded %d", n, len(b))
			}
		}
	}
}

// TestMappedAddresses: IPv4-mapped IPv6 addresses go out as IPv4 address
// parameters, as RSPLIB sends them, and come back as IPv4 addresses.
func TestMappedAddresses(t *testing.T) {
	m := &Registration{Handle: "P", PE: pe(1, sctp(1, false, "::ffff:198.18.0.1"), rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}, nil)}
	back, err := Decode(PPIDASAP, encode(t, m), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := back.(*Registration).PE.User.Addrs[0]; got != netip.MustParseAddr("198.18.0.1") {
		t.Fatalf("address came back as %v", got)
	}
}

// TestBusinessCard: RSPLIB's parser expects the pool handle twice, so the
// business card its creator (and this encoder) emits is dropped silently,
// while a card with a doubled handle parses.
func TestBusinessCard(t *testing.T) {
	bc := &BusinessCard{Handle: "P", Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin},
		PEs: []rserpool.PoolElement{pe(1, sctp(1, false, "198.18.0.1"), rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}, nil)}}
	b := encode(t, bc)
	_, err := Decode(PPIDASAP, b, DecodeOptions{})
	var de *DecodeError
	if !errors.As(err, &de) || !de.Silent || de.Cause != rserpool.CauseUnrecognizedParameterSilent {
		t.Fatalf("err = %v, want silent 0x1009", err)
	}
	// Insert a second pool handle parameter after the first.
	ph := b[4:12]
	doubled := append(append(append([]byte(nil), b[:12]...), ph...), b[12:]...)
	doubled[3] += 8
	back, err := Decode(PPIDASAP, doubled, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, bc) {
		t.Fatalf("got %+v want %+v", back, bc)
	}
}
