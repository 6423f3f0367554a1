package asap

import (
	"encoding/binary"
	"math"
	"net/netip"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// MaxHandleResolutionItems is RSPLIB's hard cap on the PEs in one Handle
// Resolution Response (MAX_MAX_HANDLE_RESOLUTION_ITEMS).
const MaxHandleResolutionItems = 128

// Items returns how many PEs a Handle Resolution asks for: the requested count
// (0 when the PU sent no items parameter) or else the registrar's
// -maxhresitems, capped at 128.
func Items(requested uint32, maxHResItems int) int {
	n := uint64(requested)
	if n == 0 {
		n = uint64(maxHResItems)
	}
	if n > MaxHandleResolutionItems {
		n = MaxHandleResolutionItems
	}
	return int(n)
}

// RoundDistance turns a smoothed round-trip time into RSPLIB's DPF distance:
// half the SRTT in milliseconds, rounded to a multiple of step milliseconds.
func RoundDistance(srtt time.Duration, step uint32) uint32 {
	if step == 0 {
		step = 1
	}
	half := uint32(srtt.Milliseconds()) / 2
	return uint32(math.RoundToEven(float64(half)/float64(step))) * step
}

// UsesDistance reports whether registrars set the distance of a PE with this
// policy (only these three; the PLU-DPF variants are not touched by RSPLIB).
func UsesDistance(t rserpool.PolicyType) bool {
	return t == rserpool.PolicyLeastUsedDPF || t == rserpool.PolicyLeastUsedDegradationDPF ||
		t == rserpool.PolicyWeightedRandomDPF
}

// FilterUserTransport keeps the addresses of a PE's user transport that have
// at least scope min and are among the peer addresses of the ASAP association
// the registration came over (ports ignored), in their original order. No
// known peer address keeps none.
func FilterUserTransport(user rserpool.Transport, assocPeers []netip.Addr, min rserpool.Scope) rserpool.Transport {
	out := user
	out.Addrs = nil
	if len(assocPeers) > 0 {
		out.Addrs = rserpool.FilterAddresses(user.Addrs, assocPeers, min)
	}
	return out
}

// RegistratorTransport is the PE's ASAP transport as the home registrar sees
// it: the association's peer addresses of at least scope min, with the
// association's peer port.
func RegistratorTransport(assocPeers []netip.Addr, peerPort uint16, min rserpool.Scope) rserpool.Transport {
	return rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: peerPort,
		Addrs: rserpool.FilterAddresses(assocPeers, nil, min)}
}

// Hash is RSPLIB's computePHPEHash: the XOR of the pool handle read as 32-bit
// words in (little-endian) host order, the last partial word zero-padded,
// and the PE id.
func Hash(h rserpool.PoolHandle, id rserpool.PEID) uint32 {
	var hash uint32
	i := 0
	for ; i+4 <= len(h); i += 4 {
		hash ^= binary.LittleEndian.Uint32([]byte(h[i : i+4]))
	}
	if i < len(h) {
		var rest [4]byte
		copy(rest[:], h[i:])
		hash ^= binary.LittleEndian.Uint32(rest[:])
	}
	return hash ^ uint32(id)
}
