package daemon

import (
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/sctp"
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
func (c *assocCache) info(s assocQuerier, assoc sctp.AssocID, srtt bool) registrar.AssocInfo {
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
