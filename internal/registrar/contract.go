package registrar

import (
	"encoding/binary"

	"github.com/rserpool/rspregistrar/internal/asap"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// The contract between the I/O layer and the core.
//
// In: HandleMessage for every SCTP message, with the AssocInfo that
// MessageNeeds asks for (nil or empty otherwise); HandleAssocChange for the
// association notifications of AssocEvent; HandleMulticast for ENRP
// multicast datagrams; HandleTimers at NextDeadline. Each returns the
// Actions to carry out in order, on the socket they name.
//
// The I/O layer decides what to fetch from the kernel per message by
// MessageNeeds alone, so that no knowledge of which handler reads which
// association fact lives outside this package. The simulated network
// (internal/simnet) supplies exactly what MessageNeeds asks for and nothing
// more: a handler that starts to depend on a fact the contract leaves out
// sees it missing in every simnet test, as it would in production.

// Need is a set of association facts a message needs beside its bytes.
type Need uint8

// Association facts.
const (
	// NeedAddrs: the peer's addresses and port (AssocInfo.OK, Addrs, Port).
	NeedAddrs Need = 1 << iota
	// NeedSRTT: the primary path's smoothed RTT (AssocInfo.SRTT).
	NeedSRTT
)

// MessageNeeds tells what the core needs to know about the association a
// message with this PPID and these bytes came over: the peer addresses for
// Registrations (the user transport is filtered by them), Presences,
// Handle Updates and Handle Table Responses (a peer's or a PE's addresses);
// the RTT with them for ENRP (distances of DPF PEs grow along the way) and
// for a Registration whose policy is one the home registrar sets the
// distance of, or whose policy cannot be told without decoding it.
func MessageNeeds(ppid uint32, b []byte) Need {
	if len(b) == 0 {
		return 0
	}
	switch ppid {
	case wire.PPIDASAP:
		if b[0] != wire.ASAPRegistration {
			return 0
		}
		if t, ok := registrationPolicy(b); ok && !asap.UsesDistance(t) {
			return NeedAddrs
		}
		return NeedAddrs | NeedSRTT
	case wire.PPIDENRP:
		switch b[0] {
		case wire.ENRPPresence, wire.ENRPHandleUpdate, wire.ENRPHandleTableResponse:
			return NeedAddrs | NeedSRTT
		}
	}
	return 0
}

// registrationPolicy finds the policy type in a Registration laid out the
// usual way: Pool Handle, then Pool Element with its 12-byte header, a
// transport and the policy. Anything else is not recognised (ok false);
// the caller then assumes the worst. The decoder stays the judge of what the
// message means; this only spares the I/O layer a kernel call per message.
func registrationPolicy(b []byte) (t rserpool.PolicyType, ok bool) {
	tlv := func(at int) (typ uint16, length, next int, ok bool) {
		if at < 0 || at+4 > len(b) {
			return 0, 0, 0, false
		}
		typ = binary.BigEndian.Uint16(b[at:]) &^ wire.ActionMask
		length = int(binary.BigEndian.Uint16(b[at+2:]))
		next = at + length + (4-length&3)&3
		return typ, length, next, length >= 4 && at+length <= len(b)
	}
	if len(b) < 4 || b[0] != wire.ASAPRegistration {
		return 0, false
	}
	typ, _, pe, ok := tlv(4)
	if !ok || typ != wire.ParamPoolHandle {
		return 0, false
	}
	typ, peLen, _, ok := tlv(pe)
	if !ok || typ != wire.ParamPoolElement || peLen < 4+12 {
		return 0, false
	}
	typ, _, pol, ok := tlv(pe + 4 + 12)
	if !ok || typ < wire.ParamDCCPTransport || typ > wire.ParamUDPLiteTransport {
		return 0, false
	}
	typ, polLen, _, ok := tlv(pol)
	if !ok || typ != wire.ParamPolicy || polLen < 8 || pol+polLen > pe+peLen {
		return 0, false
	}
	return rserpool.PolicyType(binary.BigEndian.Uint32(b[pol+4:])), true
}
