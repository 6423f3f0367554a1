package rserpool

import (
	"fmt"
	"net/netip"
	"strings"
)

// RegistrarID identifies a registrar (ENRP server). Zero means "unknown".
type RegistrarID uint32

// String formats the identifier the way RSPLIB logs it: "$" and 8 hex digits.
func (id RegistrarID) String() string { return fmt.Sprintf("$%08x", uint32(id)) }

// PEID is a pool element identifier. Zero is invalid.
type PEID uint32

// String formats the identifier the way RSPLIB logs it.
func (id PEID) String() string { return fmt.Sprintf("$%08x", uint32(id)) }

// MaxPoolHandleSize is RSPLIB's MAX_POOLHANDLESIZE. Longer handles make RSPLIB
// abort, so they are never accepted nor sent.
const MaxPoolHandleSize = 32

// MaxTransportAddresses is RSPLIB's MAX_PE_TRANSPORTADDRESSES.
const MaxTransportAddresses = 64

// PoolHandle is an opaque pool name of 1..32 bytes. A string is used because it
// is immutable and comparable, so all PEs of a pool can share one copy.
type PoolHandle string

// Compare orders pool handles as RSPLIB does: shorter handles first, then by
// bytes. This order is visible on the wire (Handle Table Responses).
func (h PoolHandle) Compare(o PoolHandle) int {
	if len(h) != len(o) {
		if len(h) < len(o) {
			return -1
		}
		return 1
	}
	return strings.Compare(string(h), string(o))
}

// Valid reports whether the handle has an acceptable length.
func (h PoolHandle) Valid() bool { return len(h) >= 1 && len(h) <= MaxPoolHandleSize }

// String prints printable bytes as they are and other bytes as {hh}, like
// RSPLIB's log output.
func (h PoolHandle) String() string {
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "{%02x}", c)
		}
	}
	return b.String()
}

// Protocol is a transport protocol, numbered as in IPPROTO_*.
type Protocol uint8

// Transport protocols that may appear in a transport parameter.
const (
	ProtocolTCP     Protocol = 6
	ProtocolUDP     Protocol = 17
	ProtocolDCCP    Protocol = 33
	ProtocolSCTP    Protocol = 132
	ProtocolUDPLite Protocol = 136
)

func (p Protocol) String() string {
	switch p {
	case ProtocolTCP:
		return "TCP"
	case ProtocolUDP:
		return "UDP"
	case ProtocolDCCP:
		return "DCCP"
	case ProtocolSCTP:
		return "SCTP"
	case ProtocolUDPLite:
		return "UDP-Lite"
	}
	return fmt.Sprintf("proto%d", uint8(p))
}

// Transport is a transport address block: one protocol, one port and one or
// more addresses (RSPLIB's TransportAddressBlock).
type Transport struct {
	Protocol Protocol
	// ControlChannel is the "data plus control" transport use (value 1 on the
	// wire). Always false for UDP.
	ControlChannel bool
	Port           uint16
	// ServiceCode is only meaningful for DCCP.
	ServiceCode uint32
	Addrs       []netip.Addr
}

// Equal reports whether two blocks are identical, address order included.
func (t *Transport) Equal(o *Transport) bool {
	if t.Protocol != o.Protocol || t.ControlChannel != o.ControlChannel || t.Port != o.Port ||
		t.ServiceCode != o.ServiceCode || len(t.Addrs) != len(o.Addrs) {
		return false
	}
	for i := range t.Addrs {
		if t.Addrs[i] != o.Addrs[i] {
			return false
		}
	}
	return true
}

// Clone returns a deep copy.
func (t Transport) Clone() Transport {
	t.Addrs = append([]netip.Addr(nil), t.Addrs...)
	return t
}

// String formats the block like RSPLIB: "{a1, a2} PORT/PROTO".
func (t Transport) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, a := range t.Addrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Unmap().String())
	}
	fmt.Fprintf(&b, "} %d/%s", t.Port, t.Protocol)
	return b.String()
}

// PoolElement is a pool element as carried by the Pool Element parameter and
// as stored in the handlespace.
type PoolElement struct {
	ID   PEID
	Home RegistrarID
	// RegistrationLife is in milliseconds.
	RegistrationLife uint32
	User             Transport
	Policy           PolicySettings
	// Registrator is the PE's ASAP transport as seen by its home registrar.
	// It is present (HasRegistrator) only in ENRP messages.
	HasRegistrator bool
	Registrator    Transport
}

// PoolTraits are what every PE of a pool must share: the user transport's
// protocol and control-channel flag and the policy type, all set by the
// pool's first PE.
type PoolTraits struct {
	Protocol       Protocol
	ControlChannel bool
	Policy         PolicyType
}

// Traits returns the pool traits a pool would take from e as its first PE.
func (e *PoolElement) Traits() PoolTraits {
	return PoolTraits{e.User.Protocol, e.User.ControlChannel, e.Policy.Type}
}

// CheckAgainst is RSPLIB's check of a pool element against its pool, in
// RSPLIB's order (poolNodeCheckPoolElementNodeCompatibility), for both a
// registration and an entry of a Handle Table Response or Handle Update.
// It returns CauseOkay if e may join a pool with traits p.
func (e *PoolElement) CheckAgainst(p PoolTraits) Cause {
	if e.ID == 0 {
		return CauseInvalidID
	}
	if e.User.Protocol != p.Protocol {
		return CauseWrongProtocol
	}
	if e.HasRegistrator {
		r := &e.Registrator
		if r.Protocol != ProtocolSCTP || r.ControlChannel ||
			len(r.Addrs) < 1 || len(r.Addrs) > MaxTransportAddresses || r.Port == 0 {
			return CauseInvalidRegistrator
		}
	}
	if len(e.User.Addrs) < 1 || len(e.User.Addrs) > MaxTransportAddresses || e.User.Port == 0 {
		return CauseInvalidAddresses
	}
	if e.User.ControlChannel != p.ControlChannel {
		return CauseWrongControlChannelHandling
	}
	// RSPLIB's parameter range check comes here; it cannot fail for 32-bit
	// values.
	if e.Policy.Type != p.Policy {
		return CauseIncompatiblePoolPolicy
	}
	return CauseOkay
}
