package daemon

import (
	"encoding/binary"
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/asap"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// assocCache keeps the peer addresses and port of the associations of one
// socket, so that a registration costs no SCTP_GET_PEER_ADDRS call when the
// association is already known: a PE re-registers every 30 s over the same
// association, and a fleet of PEs often shares one. An entry is dropped on
// every notification about its association (address added or removed, the
// association restarting or ending), so it never outlives what the kernel
// would report. It belongs to the socket's reader goroutine.
type assocCache struct {
	m map[sctp.AssocID]registrar.AssocInfo
}

// maxCachedAssocs bounds the cache should notifications ever be lost.
const maxCachedAssocs = 1 << 16

func newAssocCache() *assocCache {
	return &assocCache{m: map[sctp.AssocID]registrar.AssocInfo{}}
}

// forget drops what the notification may have made stale.
func (c *assocCache) forget(n sctp.Notification) {
	switch n.(type) {
	case sctp.AssocChange, sctp.PeerAddrChange, sctp.ShutdownEvent:
		delete(c.m, n.Association())
	}
}

// info returns the association's addresses and port, and the primary
// path's smoothed RTT if srtt is set (the only other query, SCTP_STATUS).
func (c *assocCache) info(s *sctp.Socket, assoc sctp.AssocID, srtt bool) registrar.AssocInfo {
	info, ok := c.m[assoc]
	if !ok {
		aps, err := s.PeerAddrs(assoc)
		if err != nil || len(aps) == 0 {
			return registrar.AssocInfo{}
		}
		info = registrar.AssocInfo{OK: true, Port: aps[0].Port(), Addrs: make([]netip.Addr, 0, len(aps))}
		for _, ap := range aps {
			info.Addrs = append(info.Addrs, ap.Addr().Unmap())
		}
		if len(c.m) >= maxCachedAssocs {
			clear(c.m)
		}
		// The core only reads the address slice, so the entry can share
		// it with every event.
		c.m[assoc] = info
	}
	if srtt {
		if st, err := s.Status(assoc); err == nil {
			info.SRTT = st.Primary.SRTT
		}
	}
	return info
}

// needsSRTT tells whether the core may need the RTT for a message that
// needsAssocInfo selected: always for ENRP (distances of DPF PEs grow along
// the way), for a Registration only when the PE's policy is one the home
// registrar sets the distance of.
func needsSRTT(ppid uint32, b []byte) bool {
	if ppid != wire.PPIDASAP {
		return true
	}
	t, ok := registrationPolicy(b)
	return !ok || asap.UsesDistance(t)
}

// registrationPolicy finds the policy type in a Registration laid out the
// usual way: Pool Handle, then Pool Element with its 12-byte header, a
// transport and the policy. Anything else is not recognised (ok false);
// the caller then assumes the worst. The decoder stays the judge of what the
// message means.
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
