package registrar

import (
	"encoding/binary"
	"fmt"
	"net/netip"

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
// Back: every ActSend or ActSendTo that was not delivered to the kernel
// (refused at once, dropped from a full send queue, given up after waiting
// for buffer space) is reported with HandleSendFailed, after the actions of
// the call that produced it have been carried out (they are only valid
// until the next call). The I/O layer only logs; what a failed send means
// for the protocol (RSPLIB aborts an ASAP association it cannot answer on)
// is decided here.
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
		if t, ok := registrationPolicy(b); ok && !usesDistance(t) {
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

// SendFailure says why a send was not delivered.
type SendFailure uint8

// Send failures.
const (
	// SendRefused: the kernel refused the message (unknown or broken
	// association, no route).
	SendRefused SendFailure = iota
	// SendQueueFull: dropped at once, the send queue had no room.
	SendQueueFull
	// SendTimedOut: dropped after waiting longer than allowed for buffer
	// space.
	SendTimedOut
	// SendSocketClosed: the socket is closed (the registrar is stopping).
	SendSocketClosed
	// SendStalled: not a message but association Assoc, which has held
	// most of the socket's shared send buffer without delivering any of it
	// while other sends wait for room (a peer cut off by a partition).
	SendStalled
)

func (f SendFailure) String() string {
	switch f {
	case SendRefused:
		return "refused"
	case SendQueueFull:
		return "queue full"
	case SendTimedOut:
		return "timed out"
	case SendSocketClosed:
		return "socket closed"
	case SendStalled:
		return "stalled"
	}
	return fmt.Sprintf("failure %d", uint8(f))
}

// SendFailed describes a send that failed: the action's socket, association
// (0 for ActSendTo), PPID and message type, and why. For SendStalled, Peer
// is the association's primary peer address (a peer-list entry that has
// not told its association yet is known by its address).
type SendFailed struct {
	Sock   Socket
	Assoc  AssocID
	SendTo bool
	PPID   uint32
	Type   uint8
	Why    SendFailure
	Peer   netip.AddrPort
}

// FailureOf describes action a (ActSend or ActSendTo) failing for why.
func FailureOf(a *Action, why SendFailure) SendFailed {
	f := SendFailed{Sock: a.Sock, Assoc: a.Assoc, SendTo: a.Kind == ActSendTo, PPID: a.PPID, Why: why}
	if len(a.Data) > 0 {
		f.Type = a.Data[0]
	}
	return f
}

// HandleSendFailed is told of a send that failed. It counts it and, as
// RSPLIB does, aborts an ASAP association that a reply or keep-alive could
// not be sent on: the PE or PU is then told at once that its registrar is
// gone, instead of waiting for an answer that never comes, and the PEs
// registered over it are removed when the kernel reports the association
// lost. A failure of ENRP traffic needs nothing: peers are judged by what
// is heard from them, and the next heartbeat or request is sent anyway.
func (c *Core) HandleSendFailed(now int64, f SendFailed) []Action {
	c.begin()
	if f.Why == SendStalled {
		c.stalled(f.Sock, f.Assoc, f.Peer)
		return c.out
	}
	c.Stats.SendFailures[f.Sock&1]++
	c.logf(LogVerbose1, "Sending %s on %s socket, assoc %d failed (%s)", wire.TypeName(f.PPID, f.Type), f.Sock, f.Assoc, f.Why)
	if f.Sock == SocketASAP && !f.SendTo && f.Why != SendSocketClosed {
		c.abort(SocketASAP, f.Assoc)
	}
	return c.out
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
