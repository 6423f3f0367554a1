package registrar

// The registrar-side rules of ASAP that need no state: how many PEs a Handle
// Resolution gets, which addresses of a registration are kept, and how a
// DPF distance is rounded.

import (
	"math"
	"net/netip"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// resolutionItems returns how many PEs a Handle Resolution asks for: the requested count
// (0 when the PU sent no items parameter) or else the registrar's
// -maxhresitems, capped at the 128 an RSPLIB pool user accepts.
func resolutionItems(requested uint32, maxHResItems int) int {
	n := uint64(requested)
	if n == 0 {
		n = uint64(maxHResItems)
	}
	if n > wire.MaxHandleResolutionItems {
		n = wire.MaxHandleResolutionItems
	}
	return int(n)
}

// roundDistance turns a smoothed round-trip time into RSPLIB's DPF distance:
// half the SRTT in milliseconds, rounded to a multiple of step milliseconds.
func roundDistance(srtt time.Duration, step uint32) uint32 {
	if step == 0 {
		step = 1
	}
	half := uint32(srtt.Milliseconds()) / 2
	return uint32(math.RoundToEven(float64(half)/float64(step))) * step
}

// usesDistance reports whether registrars set the distance of a PE with this
// policy (only these three; the PLU-DPF variants are not touched by RSPLIB).
func usesDistance(t rserpool.PolicyType) bool {
	return t == rserpool.PolicyLeastUsedDPF || t == rserpool.PolicyLeastUsedDegradationDPF ||
		t == rserpool.PolicyWeightedRandomDPF
}

// filterUserTransport keeps the addresses of a PE's user transport that have
// at least scope min and are among the peer addresses of the ASAP association
// the registration came over (ports ignored), in their original order. No
// known peer address keeps none.
func filterUserTransport(user rserpool.Transport, assocPeers []netip.Addr, min rserpool.Scope) rserpool.Transport {
	out := user
	out.Addrs = nil
	if len(assocPeers) > 0 {
		out.Addrs = rserpool.FilterAddresses(user.Addrs, assocPeers, min)
	}
	return out
}

// registratorTransport is the PE's ASAP transport as the home registrar sees
// it: the association's peer addresses of at least scope min, with the
// association's peer port.
func registratorTransport(assocPeers []netip.Addr, peerPort uint16, min rserpool.Scope) rserpool.Transport {
	return rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: peerPort,
		Addrs: rserpool.FilterAddresses(assocPeers, nil, min)}
}
