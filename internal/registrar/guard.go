package registrar

// The RFC 5355 safeguards that RSPLIB lacks, both off unless configured:
// -enrpallow limits who may speak ENRP to the registrar, -ownercheck who
// may change a PE (docs/compatibility.md).

import (
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// enrpRefused applies -enrpallow to an ENRP message from these addresses
// (SCTP or multicast): a refused one is counted and logged.
func (c *Core) enrpRefused(m wire.Message, from []netip.Addr) bool {
	if c.cfg.ENRPAllow == nil || c.enrpAllowed(m, from) {
		return false
	}
	c.Stats.ENRPRefused++
	c.logf(LogWarning, "Ignoring %s from %v: not allowed by -enrpallow", wire.TypeName(wire.PPIDENRP, m.Type()), from)
	return true
}

// enrpAllowed tells whether an ENRP message from these addresses may be
// handled under -enrpallow. The messages that create peers or change the
// handlespace from a peer's word (Presence, Handle Update, Handle Table
// Response) carry the association's addresses by the contract and are
// judged by them; every other message must come from a registrar that is
// in the peer list already, which it can only have joined by an allowed
// Presence or as a static peer.
func (c *Core) enrpAllowed(m wire.Message, from []netip.Addr) bool {
	switch m.(type) {
	case *wire.Presence, *wire.HandleUpdate, *wire.HandleTableResponse:
		for _, a := range from {
			if c.allowedAddr(a.Unmap()) {
				return true
			}
		}
		return false
	}
	sender := enrpSender(m)
	return sender != 0 && c.peers.Find(sender) != nil
}

func (c *Core) allowedAddr(a netip.Addr) bool {
	for _, p := range c.cfg.StaticPeers {
		for _, s := range p.Addrs {
			if s.Unmap() == a {
				return true
			}
		}
	}
	for _, n := range c.cfg.ENRPAllow {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// enrpSender is the sending registrar of an ENRP message.
func enrpSender(m wire.Message) rserpool.RegistrarID {
	switch m := m.(type) {
	case *wire.Presence:
		return m.Sender
	case *wire.HandleTableRequest:
		return m.Sender
	case *wire.HandleTableResponse:
		return m.Sender
	case *wire.HandleUpdate:
		return m.Sender
	case *wire.ListRequest:
		return m.Sender
	case *wire.ListResponse:
		return m.Sender
	case *wire.InitTakeover:
		return m.Sender
	case *wire.InitTakeoverAck:
		return m.Sender
	case *wire.TakeoverServer:
		return m.Sender
	case *wire.ENRPErrorMessage:
		return m.Sender
	}
	return 0
}

// ownedElsewhere tells, under -ownercheck, whether pe was registered here
// over another association than assoc. A PE learned from a peer or taken
// over has no association and may be claimed over any (after a takeover
// its PEs re-register at their new home over new associations).
func (c *Core) ownedElsewhere(pe *handlespace.PE, assoc AssocID) bool {
	return c.cfg.OwnerCheck && pe.Assoc() != 0 && pe.Assoc() != assoc
}

// ownerCheckFind looks the PE up only when -ownercheck needs it, sparing
// every registration a second lookup otherwise.
func (c *Core) ownerCheckFind(handle rserpool.PoolHandle, id rserpool.PEID) *handlespace.PE {
	if !c.cfg.OwnerCheck {
		return nil
	}
	return c.hs.Find(handle, id)
}

// reporters remembers, under -ownercheck, which associations reported a PE
// unreachable, so that one pool user cannot remove a PE by itself.
type reporters map[peKey][]AssocID

type peKey struct {
	handle rserpool.PoolHandle
	id     rserpool.PEID
}

// maxReportedPEs bounds the reporters map; it is cleared when full.
const maxReportedPEs = 1 << 16

// firstReport records a report about (handle, id) from assoc and tells
// whether it is the first from that association.
func (r *reporters) firstReport(handle rserpool.PoolHandle, id rserpool.PEID, assoc AssocID) bool {
	if *r == nil || len(*r) >= maxReportedPEs {
		*r = reporters{}
	}
	k := peKey{handle, id}
	for _, a := range (*r)[k] {
		if a == assoc {
			return false
		}
	}
	(*r)[k] = append((*r)[k], assoc)
	return true
}

// forget drops the reports about a PE that is gone or registered anew.
func (r reporters) forget(handle rserpool.PoolHandle, id rserpool.PEID) {
	delete(r, peKey{handle, id})
}
