package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// TestEncodeRefuses checks that the encoder never emits what makes RSPLIB
// abort or what RSPLIB's parser refuses (wire.md §10, §5), and that a failed
// encode leaves the buffer as it was.
func TestEncodeRefuses(t *testing.T) {
	rr := rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}
	okPE := pe(1, sctp(1, false, "198.18.0.1"), rr, nil)
	withUser := func(u rserpool.Transport) rserpool.PoolElement { p := okPE; p.User = u; return p }
	withPolicy := func(t rserpool.PolicyType) rserpool.PoolElement {
		p := okPE
		p.Policy = rserpool.PolicySettings{Type: t}
		return p
	}
	bigSI := ServerInfo{ID: 1, Transport: sctp(1, false)}
	for i := range rserpool.MaxTransportAddresses {
		bigSI.Transport.Addrs = append(bigSI.Transport.Addrs, netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 15: byte(i)}))
	}
	manyPEs := make([]rserpool.PoolElement, MaxHandleResolutionItems+1)
	for i := range manyPEs {
		manyPEs[i] = okPE
	}
	tests := []struct {
		name string
		msg  Message
		err  error
	}{
		{"pool handle of 33 bytes", &Deregistration{Handle: rserpool.PoolHandle(make([]byte, 33)), ID: 1}, ErrPoolHandle},
		{"empty pool handle", &HandleResolution{}, ErrPoolHandle},
		{"pool handle of 33 bytes in an update", &HandleUpdate{Handle: rserpool.PoolHandle(make([]byte, 33)), PE: okPE}, ErrPoolHandle},
		{"TCP with two addresses", &Registration{Handle: "P", PE: withUser(rserpool.Transport{
			Protocol: rserpool.ProtocolTCP, Port: 1, Addrs: addrs("198.18.0.1", "198.18.0.2")})}, ErrAddressCount},
		{"UDP with two addresses", &HandleResolutionResponse{Handle: "P", Policy: rr, PEs: []rserpool.PoolElement{withUser(rserpool.Transport{
			Protocol: rserpool.ProtocolUDP, Port: 1, Addrs: addrs("198.18.0.1", "198.18.0.2")})}}, ErrAddressCount},
		{"no address", &Registration{Handle: "P", PE: withUser(sctp(1, false))}, ErrAddressCount},
		{"65 addresses", &Registration{Handle: "P", PE: withUser(rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 1,
			Addrs: make([]netip.Addr, 65)})}, ErrAddressCount},
		{"invalid address", &Registration{Handle: "P", PE: withUser(rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 1,
			Addrs: make([]netip.Addr, 1)})}, ErrAddress},
		{"unknown protocol", &Registration{Handle: "P", PE: withUser(rserpool.Transport{Protocol: 99, Port: 1,
			Addrs: addrs("198.18.0.1")})}, ErrProtocol},
		{"policy type 0", &HandleResolutionResponse{Handle: "P", PEs: []rserpool.PoolElement{okPE}}, ErrPolicy},
		{"PLU-DPF", &Registration{Handle: "P", PE: withPolicy(rserpool.PolicyPriorityLeastUsedDPF)}, ErrPolicy},
		{"PLUD-DPF", &HandleResolutionResponse{Handle: "P", Policy: rr,
			PEs: []rserpool.PoolElement{withPolicy(rserpool.PolicyPriorityLeastUsedDegradationDPF)}}, ErrPolicy},
		{"unknown policy", &Registration{Handle: "P", PE: withPolicy(0x12345678)}, ErrPolicy},
		{"more than 128 pool elements", &HandleResolutionResponse{Handle: "P", Policy: rr, PEs: manyPEs}, ErrTooManyPEs},
		{"update without registrar transport", &HandleUpdate{Handle: "P", PE: okPE}, ErrNoRegistrator},
		{"table without registrar transport", &HandleTableResponse{Pools: []PoolEntries{{Handle: "P", PEs: []rserpool.PoolElement{okPE}}}}, ErrNoRegistrator},
		{"table pool without elements", &HandleTableResponse{Pools: []PoolEntries{{Handle: "P"}}}, ErrEmptyPool},
		{"rejected table with pools", &HandleTableResponse{Reject: true, Pools: []PoolEntries{{Handle: "P", PEs: []rserpool.PoolElement{okPE}}}}, ErrRejectWithPools},
		{"empty cookie", &Cookie{}, ErrEmptyCookie},
		{"message over 65532 bytes", &ListResponse{Servers: []ServerInfo{bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI,
			bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI,
			bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI, bigSI,
			bigSI, bigSI}}, ErrMessageTooLarge},
		{"cookie over 65535 bytes", &CookieEcho{Data: make([]byte, 65536)}, ErrParameterTooLong},
		{"error info over 65535 bytes", &ASAPErrorMessage{Error: OperationError{Cause: 1, Info: make([]byte, 65530)}}, ErrParameterTooLong},
		{"announce over 1024 bytes", &ServerAnnounce{Info: &bigSI}, ErrAnnounceTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("keep")
			out, err := tt.msg.AppendTo(prefix)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !bytes.Equal(out, prefix) {
				t.Fatalf("buffer changed to %q", out)
			}
		})
	}
}

// TestDecodeOfAbortInputs: every input that makes RSPLIB abort (wire.md §10)
// decodes to an error here, never a panic or an accepted message.
func TestDecodeOfAbortInputs(t *testing.T) {
	tests := []struct {
		name  string
		b     []byte
		cause rserpool.Cause
	}{
		{"pool handle of 33 bytes", msg(ASAPHandleResolution, 0, tlv(ParamPoolHandle, make([]byte, 33))), rserpool.CauseInvalidValue},
		{"pool handle of 1000 bytes", msg(ASAPRegistration, 0, tlv(ParamPoolHandle, make([]byte, 1000)), tPE(1, 0, tUser, tRR)), rserpool.CauseInvalidValue},
		{"TCP transport with two addresses", msg(ASAPRegistration, 0, tPH,
			tPE(1, 0, tlv(ParamTCPTransport, u16b(1), u16b(0), tAddr, ip4(198, 18, 0, 2)), tRR)), rserpool.CauseInvalidValue},
		{"UDP transport with two addresses", msg(ASAPRegistration, 0, tPH,
			tPE(1, 0, tlv(ParamUDPTransport, u16b(1), u16b(0), tAddr, ip4(198, 18, 0, 2)), tRR)), rserpool.CauseInvalidValue},
		{"skip parameter inside a transport", msg(ASAPRegistration, 0, tPH,
			tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), tlv(0x8020, u32b(1)), tAddr), tRR)), rserpool.CauseInvalidValue},
		{"skip-and-report parameter inside a transport", msg(ASAPRegistration, 0, tPH,
			tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), tAddr, tlv(0xc020, u32b(1), u32b(2))), tRR)), rserpool.CauseInvalidValue},
		{"policy without wire encoding", msg(ASAPRegistration, 0, tPH,
			tPE(1, 0, tUser, tlv(ParamPolicy, u32b(0xB0002004), u32b(0), u32b(0), u32b(0), u32b(0)))), rserpool.CauseUnsupportedPoolPolicy},
		{"policy type 0", msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(0)))), rserpool.CauseUnsupportedPoolPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeASAP(tt.b, DecodeOptions{})
			var de *DecodeError
			if !errors.As(err, &de) || de.Cause != tt.cause || de.Silent {
				t.Fatalf("err = %v, want cause %v answered", err, tt.cause)
			}
		})
	}
}

// TestPresenceWithForeignServerInfo: a Presence whose Server Information id
// differs from the sender id (0, or the receiver's own id) crashes RSPLIB's
// handler, not its parser. The wire layer cannot know the receiver's id, so
// it decodes the message and hands both ids to the ENRP layer, which must
// check them.
func TestPresenceWithForeignServerInfo(t *testing.T) {
	for _, id := range []uint32{0, 0x22222222} {
		b := msg(ENRPPresence, 0, ids, tCks, tlv(ParamServerInfo, u32b(id), tlv(ParamSCTPTransport, u16b(9901), u16b(0), tAddr)))
		m, err := DecodeENRP(b, DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := m.(*Presence)
		if p.Sender != 0x11111111 || p.Info.ID != rserpool.RegistrarID(id) {
			t.Fatalf("got sender %v, server information id %v", p.Sender, p.Info.ID)
		}
	}
}
