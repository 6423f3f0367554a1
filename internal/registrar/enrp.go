package registrar

import (
	"net/netip"
	"slices"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/peerlist"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// htResponseBudget bounds the bytes of one Handle Table Response. RSPLIB
// fills only 1400 bytes (about 20 PEs), so -maxelementsperhtrequest never
// binds and a joining peer needs a round trip per 20 PEs; every RSPLIB
// receiver (registrar, hsdump) reads 65536-byte messages, so we fill pages up
// to the entry limit and keep well below that (docs/compatibility.md).
const htResponseBudget = 32 << 10

// htMaxElements is RSPLIB's internal cap on -maxelementsperhtrequest.
const htMaxElements = 1024

// ownTransport is the ENRP transport advertised in our Presence.
func (c *Core) ownTransport() rserpool.Transport {
	return rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: c.cfg.ENRPPort, Addrs: c.cfg.ENRPAddrs}
}

func (c *Core) presence(receiver rserpool.RegistrarID, replyRequired bool) *wire.Presence {
	return &wire.Presence{
		Sender:        c.id,
		Receiver:      receiver,
		ReplyRequired: replyRequired,
		Checksum:      c.hs.OwnChecksum().Value(),
		Info:          wire.ServerInfo{ID: c.id, Transport: c.ownTransport()},
	}
}

func (c *Core) sendPresenceTo(p *peerlist.Peer, replyRequired bool) {
	c.sendTo(SocketENRP, &p.Addrs, c.presence(p.ID, replyRequired))
}

func (c *Core) sendPresenceToAll() {
	for _, p := range c.peers.All() {
		c.logf(LogVerbose2, "Sending Presence to unicast peer %s...", p.ID)
		c.sendPresenceTo(p, false)
	}
}

// multicastPresence joins the ENRP group again on every interface (RSPLIB
// does so at every heartbeat) and sends it a Presence.
func (c *Core) multicastPresence() {
	c.out = append(c.out, Action{Kind: ActRejoin})
	c.emitMulticast(ActMulticastENRP, c.presence(0, false))
}

// hello introduces a starting registrar at once: a Presence to the ENRP
// group and, asking for a reply, to every static peer. A registrar that
// hears it answers a new peer with its own Presence (RSPLIB does too), and
// the first such answer makes that peer the mentor. RSPLIB stays silent
// until its first heartbeat and waits for a peer's (up to
// PeerHeartbeatCycle, 2.4 s by default) before it can find a mentor
// (docs/compatibility.md).
func (c *Core) hello() {
	c.helloAt = 0
	if c.cfg.ENRPAnnounce {
		c.logf(LogAction, "Announcing the new registrar by multicast Presence")
		c.multicastPresence()
	}
	for _, p := range c.peers.All() {
		c.sendPresenceTo(p, true)
	}
}

// heartbeat is RSPLIB's ENRP announce timer: end the initialization phase if
// it is still running, rejoin the multicast group, send Presence to the
// group and to every peer, and re-arm with jitter.
func (c *Core) heartbeat(now int64) {
	if c.startup {
		c.endStartup(now, false)
	}
	if c.cfg.ENRPAnnounce {
		c.multicastPresence()
	}
	c.sendPresenceToAll()
	c.heartbeatAt = now + c.jitter(c.cfg.PeerHeartbeatCycle)
}

// handlePresence follows registrarHandleENRPPresence (enrp.md §6). from is
// set for Presence received by multicast (assoc is then 0).
func (c *Core) handlePresence(now int64, assoc AssocID, m *wire.Presence, info *AssocInfo, from netip.AddrPort) {
	if m.Sender == c.id {
		c.logf(LogVerbose5, "Skipping our own Presence message")
		return
	}
	id := m.Info.ID
	if id == 0 || id == c.id || (m.Sender != 0 && id != m.Sender) {
		// RSPLIB dereferences an invalid pointer on such a Presence.
		c.logf(LogWarning, "Ignoring Presence from %s with server information of %s", m.Sender, id)
		return
	}
	addrs := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: m.Info.Transport.Port}
	if assoc == 0 {
		// Multicast: the UDP source address with the advertised port.
		addrs.Addrs = []netip.Addr{from.Addr().Unmap()}
	} else {
		if info == nil || !info.OK {
			c.logf(LogError, "Unable to obtain peer addresses of ENRP assoc %d", assoc)
			return
		}
		// The advertised addresses must be the ones the association really
		// uses, from the advertised port (RSPLIB compares address and port).
		if info.Port == m.Info.Transport.Port {
			addrs.Addrs = rserpool.FilterAddresses(m.Info.Transport.Addrs, info.Addrs, c.cfg.MinAddressScope)
		}
		if len(addrs.Addrs) == 0 {
			c.logf(LogWarning, "Presence from peer %s contains no usable ENRP endpoint addresses. Addresses from message: %s; addresses from association: %v port %d",
				id, m.Info.Transport, info.Addrs, info.Port)
			return
		}
	}
	p, isNew, err := c.peers.Register(id, addrs, false, now)
	if err != nil {
		c.logf(LogWarning, "Failed to add peer %s: %v", id, err)
		return
	}
	if isNew {
		c.logf(LogAction, "Sending Presence to new peer %s", p)
		c.sendPresenceTo(p, true)
	}
	if c.startup && c.mentor == 0 {
		c.logf(LogAction, "Trying %s as mentor server...", p)
		p.ListSync, p.HTSync, p.Mentor = true, true, true
		p.HTSyncAt = now
		c.mentor = p.ID
		c.sendTo(SocketENRP, &p.Addrs, &wire.ListRequest{Sender: c.id, Receiver: p.ID})
		c.sendTo(SocketENRP, &p.Addrs, &wire.HandleTableRequest{Sender: c.id, Receiver: p.ID})
	}
	if assoc != 0 {
		if p.HTSync && now-p.HTSyncAt > int64(c.cfg.PeerMaxTimeNoResponse) {
			// The response got lost. RSPLIB would never synchronise with
			// this peer again; we start over.
			c.logf(LogAction, "Synchronization with peer %s stalled -> starting it again", p.ID)
			p.HTSync = false
		}
		if !p.HTSync {
			if sum := c.hs.OwnershipChecksum(p.ID).Value(); sum != m.Checksum {
				c.logf(LogAction, "Handle Table synchronization with peer %s is necessary -> requesting it...", p.ID)
				c.logf(LogVerbose1, "Checksum is $%x, should be $%x", sum, m.Checksum)
				p.HTSync, p.HTSyncAt = true, now
				c.Stats.Synchronizations++
				c.send(SocketENRP, assoc, &wire.HandleTableRequest{Sender: c.id, Receiver: p.ID, OwnChildrenOnly: true})
				c.hs.Mark(p.ID)
			}
		} else {
			c.logf(LogAction, "Synchronization with peer %s is still in progress -> no new synchronization", p.ID)
		}
		if !p.ListSync {
			c.logf(LogAction, "Peer List synchronization with peer %s is necessary -> requesting it...", p.ID)
			p.ListSync = true
			c.send(SocketENRP, assoc, &wire.ListRequest{Sender: c.id, Receiver: p.ID})
		}
	}
	p.SetTimer(peerlist.TimerMaxTimeLastHeard, now+int64(c.cfg.PeerMaxTimeLastHeard))
	if assoc != 0 {
		p.Assoc = assoc
	}
	if p.Stalled {
		// Its Presence brings the checksum that tells either side what the
		// held Handle Updates would have changed: the synchronisations
		// above and at the peer repair both.
		c.logf(LogAction, "Peer %s heard again after its association stalled -> sending Handle Updates again", p)
		p.Stalled = false
	}
	if m.ReplyRequired && assoc != 0 && m.Sender != 0 {
		c.logf(LogVerbose1, "Presence with ReplyRequired flag set -> Sending reply...")
		c.send(SocketENRP, assoc, c.presence(m.Sender, false))
	}
	p.TakeoverBy = 0
	p.Takeover = nil
}

// peerAssocLost handles the end of a peer's ENRP association: COMM_LOST (an
// ABORT came, or the kernel gave up retransmitting) or SHUTDOWN_COMPLETE
// (the kernel of a killed or stopping registrar closes its associations
// gracefully). RSPLIB ignores both and notices a dead peer only after
// PeerMaxTimeLastHeard and then PeerMaxTimeNoResponse of silence; a peer
// whose association ended is asked for its Presence at once instead, so
// that a killed registrar is taken over one PeerMaxTimeLastHeard sooner. A
// peer that is alive (or back) answers and nothing else changes
// (docs/compatibility.md).
func (c *Core) peerAssocLost(now int64, assoc AssocID) {
	for _, p := range c.peers.All() {
		if p.Assoc != assoc {
			continue
		}
		p.Assoc = 0
		if p.HeardRecently() {
			c.logf(LogAction, "ENRP association with peer %s lost -> requesting immediate Presence", p)
			c.probePeer(now, p)
		}
	}
}

// probePeer asks a peer for a Presence and gives it PeerMaxTimeNoResponse
// to answer.
func (c *Core) probePeer(now int64, p *peerlist.Peer) {
	c.sendPresenceTo(p, true)
	p.SetTimer(peerlist.TimerMaxTimeNoResponse, now+int64(c.cfg.PeerMaxTimeNoResponse))
}

// peerTimer handles a peer's due timer (registrarHandlePeerEvent).
func (c *Core) peerTimer(now int64, p *peerlist.Peer) {
	switch p.Timer {
	case peerlist.TimerMaxTimeLastHeard:
		c.logf(LogAction, "Peer %s not heard since MaxTimeLastHeard=%v -> requesting immediate Presence", p, c.cfg.PeerMaxTimeLastHeard)
		c.probePeer(now, p)
	case peerlist.TimerMaxTimeNoResponse:
		c.logf(LogAction, "Peer %s did not answer in MaxTimeNoResponse=%v -> removing it", p, c.cfg.PeerMaxTimeNoResponse)
		p.StopTimer()
		switch {
		case p.TakeoverBy != 0:
			c.logf(LogAction, "Dead peer %s. Removing it from the peer list", p.ID)
			c.peers.Remove(p)
		case c.hs.PEsOwnedBy(p.ID) > 0:
			c.startTakeover(now, p)
		default:
			c.logf(LogAction, "Dead peer %s has no PEs -> no takeover procedure necessary", p.ID)
			c.peers.Remove(p)
		}
	case peerlist.TimerTakeoverExpiry:
		if p.Takeover != nil {
			c.logf(LogWarning, "Takeover of peer %s has expired, %d outstanding acknowledgements: %v", p.ID, len(p.Takeover.Outstanding), p.Takeover.Outstanding)
		}
		p.Takeover = nil
		p.StopTimer()
		c.peers.Remove(p)
	default:
		p.StopTimer()
	}
}

// sendHandleUpdate tells every peer about a change of a PE (RSPLIB sends it
// to every peer-list entry, unidentified static peers included), plus the
// takeover-suggestion copy when that extension is on.
func (c *Core) sendHandleUpdate(handle rserpool.PoolHandle, pe *rserpool.PoolElement, action uint16) {
	if c.peers.Len() == 0 {
		return
	}
	m := &wire.HandleUpdate{Sender: c.id, Action: action, Handle: handle, PE: *pe}
	if c.log.Enabled(LogVerbose1) {
		c.logf(LogVerbose1, "Sending HandleUpdate for %s/$%08x, action $%04x", handle, uint32(pe.ID), action)
	}
	for _, p := range c.peers.All() {
		if p.Stalled {
			c.Stats.HandleUpdatesHeld++
			continue
		}
		m.Receiver = p.ID
		if c.sendTo(SocketENRP, &p.Addrs, m) {
			c.Stats.HandleUpdatesSent++
		}
	}
	if action == wire.UpdateAddPE && c.cfg.SupportTakeoverSuggestion && pe.Home == c.id {
		if better := c.peers.UsefulPeerForPE(pe.ID); better != nil {
			c.logf(LogAction, "Found better peer %s for PE $%08x", better.ID, uint32(pe.ID))
			m.Receiver = better.ID
			m.TakeoverSuggested = true
			c.sendTo(SocketENRP, &better.Addrs, m)
		}
	}
}

// dpf adds the distance of the ENRP association to a PE learned from a peer.
func (c *Core) dpf(e *rserpool.PoolElement, info *AssocInfo) {
	if usesDistance(e.Policy.Type) && info != nil {
		e.Policy.Distance += roundDistance(info.SRTT, c.cfg.DistanceStep)
	}
}

func (c *Core) handleHandleUpdate(now int64, assoc AssocID, m *wire.HandleUpdate, info *AssocInfo) {
	if m.Sender == c.id {
		return
	}
	c.Stats.HandleUpdatesReceived++
	if c.log.Enabled(LogVerbose1) {
		c.logf(LogVerbose1, "Got HandleUpdate for %s/$%08x, action $%04x", m.Handle, uint32(m.PE.ID), m.Action)
	}
	switch m.Action {
	case wire.UpdateAddPE:
		if m.PE.Home == c.id {
			c.logf(LogWarning, "PR %s sent me a HandleUpdate for a PE owned by myself!", m.Sender)
			return
		}
		e := m.PE
		c.dpf(&e, info)
		pe, _, err := c.hs.Register(m.Handle, &e, 0)
		if err != nil {
			c.logf(LogWarning, "Failed to register to pool %s pool element $%08x: %v", m.Handle, uint32(e.ID), err)
			return
		}
		c.hs.SetTimer(pe, handlespace.TimerExpiry, now+int64(pe.Element().RegistrationLife)*1e6)
		if m.TakeoverSuggested && c.cfg.SupportTakeoverSuggestion && pe.Home() != c.id {
			c.logf(LogAction, "Trying to take over PE $%08x from peer %s upon its suggestion", uint32(pe.ID()), pe.Home())
			c.sendKeepAlive(pe, true)
		}
	case wire.UpdateDelPE:
		pe := c.hs.Find(m.Handle, m.PE.ID)
		if pe != nil && pe.Home() != m.Sender {
			// Only the PE's home may remove it. A registrar cut off
			// from the scope times out the PEs that were taken over
			// from it meanwhile; its deletions arrive when the
			// partition heals. RSPLIB removes the PE anyway.
			c.logf(LogWarning, "Ignoring HandleUpdate from %s deleting %s/$%08x, whose home is %s", m.Sender, m.Handle, uint32(m.PE.ID), pe.Home())
			return
		}
		if pe != nil {
			c.hs.Remove(pe)
			if c.log.Enabled(LogAction) {
				c.logf(LogAction, "Successfully deregistered %s/$%08x", m.Handle, uint32(m.PE.ID))
			}
		}
	default:
		c.logf(LogWarning, "Got HandleUpdate with invalid action $%04x", m.Action)
	}
}

func (c *Core) handleListRequest(now int64, assoc AssocID, m *wire.ListRequest) {
	if m.Sender == c.id {
		return
	}
	c.logf(LogVerbose1, "Got ListRequest from peer %s", m.Sender)
	resp := &wire.ListResponse{Sender: c.id, Receiver: m.Sender}
	size := 12
	for _, p := range c.peers.All() {
		si := wire.ServerInfo{ID: p.ID, Transport: p.Addrs}
		if size += wire.ServerInfoLen(&si); size > wire.MaxMessageSize {
			break
		}
		resp.Servers = append(resp.Servers, si)
	}
	c.send(SocketENRP, assoc, resp)
}

func (c *Core) handleListResponse(now int64, m *wire.ListResponse) {
	if m.Sender == c.id {
		return
	}
	if m.Reject {
		c.logf(LogAction, "Rejected ListResponse from peer %s", m.Sender)
		return
	}
	c.logf(LogVerbose1, "Got ListResponse from peer %s", m.Sender)
	for i := range m.Servers {
		si := &m.Servers[i]
		if si.ID == 0 {
			c.logf(LogAction, "Skipping unknown peer (due to ID=0) from ListResponse: %s", si.Transport)
			continue
		}
		p, _, err := c.peers.Register(si.ID, si.Transport, true, now)
		if err != nil || p.Timer != peerlist.TimerNone {
			continue
		}
		p.SetTimer(peerlist.TimerMaxTimeLastHeard, now+int64(c.cfg.PeerMaxTimeLastHeard))
		c.sendPresenceTo(p, false)
	}
}

// handleHandleTableRequest serves one page of the handlespace (enrp.md §7.2):
// all PEs in pool order, or with W only our own PEs in ownership order,
// continuing where the previous page to this peer stopped.
func (c *Core) handleHandleTableRequest(now int64, assoc AssocID, m *wire.HandleTableRequest) {
	if m.Sender == c.id {
		return
	}
	c.logf(LogVerbose2, "Got HandleTableRequest from peer %s", m.Sender)
	resp := c.pageResponse(m.Sender)
	p := c.peers.Find(m.Sender)
	if p == nil {
		c.logf(LogWarning, "HandleTableRequest from peer %s -> This peer is unknown, rejecting request!", m.Sender)
		resp.Reject = true
		c.send(SocketENRP, assoc, resp)
		return
	}
	if p.Timer == peerlist.TimerMaxTimeLastHeard || p.Timer == peerlist.TimerMaxTimeNoResponse {
		// A request is a sign of life. RSPLIB waits for a Presence only,
		// so a requester paging for longer than the peer timeouts (hsdump
		// under load sends one Presence per page; a joining peer less)
		// was dropped half-way and its next request rejected.
		p.SetTimer(peerlist.TimerMaxTimeLastHeard, now+int64(c.cfg.PeerMaxTimeLastHeard))
	}
	if p.Paging != nil && p.Paging.OwnOnly != m.OwnChildrenOnly {
		p.Paging = nil // a different kind of request starts from the beginning
	}
	var after handlespace.Cursor
	if p.Paging != nil {
		after = handlespace.Cursor{Handle: p.Paging.Handle, ID: p.Paging.ID}
	}
	var seq func(func(*handlespace.PE) bool)
	if m.OwnChildrenOnly {
		seq = c.hs.Owned(c.id, after)
	} else {
		seq = c.hs.All(after)
	}
	limit := min(max(c.cfg.MaxElementsPerHTRequest, 1), htMaxElements)
	size := 12
	count := 0
	var last *handlespace.PE
	more := false
	for pe := range seq {
		if count == limit {
			more = true
			break
		}
		e := pe.Element()
		need := wire.PoolElementLen(e, true)
		newGroup := len(resp.Pools) == 0 || resp.Pools[len(resp.Pools)-1].Handle != pe.Handle()
		if newGroup {
			need += wire.PoolHandleLen(pe.Handle())
		}
		if size+need > htResponseBudget && count > 0 {
			more = true
			break
		}
		size += need
		if newGroup {
			if n := len(resp.Pools); n < cap(resp.Pools) {
				resp.Pools = resp.Pools[:n+1]
				resp.Pools[n].Handle, resp.Pools[n].PEs = pe.Handle(), resp.Pools[n].PEs[:0]
			} else {
				resp.Pools = append(resp.Pools, wire.PoolEntries{Handle: pe.Handle()})
			}
		}
		g := &resp.Pools[len(resp.Pools)-1]
		g.PEs = append(g.PEs, *e)
		count++
		last = pe
	}
	if more {
		p.Paging = &peerlist.Paging{Handle: last.Handle(), ID: last.ID(), OwnOnly: m.OwnChildrenOnly}
	} else {
		p.Paging = nil
	}
	resp.MoreToSend = more
	c.logf(LogVerbose1, "Sending HandleTableResponse with %d PEs to peer %s...", count, m.Sender)
	c.send(SocketENRP, assoc, resp)
	for i := range resp.Pools {
		clear(resp.Pools[i].PEs) // the kept lists must not hold on to removed PEs' addresses
	}
}

// pageResponse returns the core's reused Handle Table Response, emptied and
// addressed to receiver. It is encoded before anything else is built, so
// one suffices; reusing its PE lists saves a page's worth of allocations.
func (c *Core) pageResponse(receiver rserpool.RegistrarID) *wire.HandleTableResponse {
	r := &c.replies.ht
	*r = wire.HandleTableResponse{Sender: c.id, Receiver: receiver, Pools: r.Pools[:0]}
	return r
}

func (c *Core) handleHandleTableResponse(now int64, assoc AssocID, m *wire.HandleTableResponse, info *AssocInfo) {
	if m.Sender == c.id {
		return
	}
	c.logf(LogAction, "Got HandleTableResponse from peer %s", m.Sender)
	p := c.peers.Find(m.Sender)
	if p == nil {
		c.logf(LogWarning, "Got HandleTableResponse from peer %s which is not in peer list", m.Sender)
		return
	}
	if m.Reject {
		c.logf(LogAction, "Peer %s has rejected the HandleTableRequest", m.Sender)
		p.Mentor, p.HTSync = false, false
		return
	}
	for gi := range m.Pools {
		g := &m.Pools[gi]
		for i := range g.PEs {
			e := g.PEs[i]
			if e.Home == c.id {
				c.logf(LogWarning, "PR %s sent me a HandleTableResponse containing a PE owned by myself!", m.Sender)
				continue
			}
			c.dpf(&e, info)
			pe, _, err := c.hs.Register(g.Handle, &e, 0)
			if err != nil {
				c.logf(LogWarning, "Failed to register to pool %s pool element $%08x: %v", g.Handle, uint32(e.ID), err)
				continue
			}
			if code, _ := pe.Timer(); code == handlespace.TimerNone {
				c.hs.SetTimer(pe, handlespace.TimerExpiry, now+int64(pe.Element().RegistrationLife)*1e6)
			}
		}
	}
	if m.MoreToSend {
		p.HTSyncAt = now
		c.logf(LogAction, "HandleTableResponse has MoreToSend flag set -> sending HandleTableRequest to peer %s to get more data", m.Sender)
		c.send(SocketENRP, assoc, &wire.HandleTableRequest{Sender: c.id, Receiver: m.Sender, OwnChildrenOnly: !p.Mentor})
		return
	}
	p.Mentor, p.HTSync = false, false
	c.scratch = c.hs.PurgeMarked(c.scratch[:0], m.Sender)
	if n := len(c.scratch); n > 0 {
		c.logf(LogAction, "Purged %d PEs after last Handle Table Response from %s", n, m.Sender)
	}
	if c.startup && c.mentor == m.Sender {
		c.endStartup(now, true)
	}
}

// stalled handles an association that the I/O layer found holding most of
// its socket's shared send buffer without delivering any of it: every other
// association's messages wait behind it. That is a peer cut off by a
// partition, whose kernel keeps retransmitting while the Handle Updates for
// it pile up; within seconds the buffer holds nothing else and the scope's
// other registrars stop hearing us and take each other over. RSPLIB shares
// the buffer the same way and has no remedy. The association is aborted,
// which frees its part of the buffer, and Handle Updates to that peer wait
// until it is heard again; then the Presence checksums on both sides show
// what it missed, and each side's Handle Table synchronisation repairs it
// (docs/compatibility.md). The abort ends the association, so the peer is
// also probed at once, as for any lost association, and taken over if it
// stays silent.
func (c *Core) stalled(sock Socket, assoc AssocID, addr netip.AddrPort) {
	c.Stats.StalledAssocs++
	c.abort(sock, assoc)
	if sock != SocketENRP {
		c.logf(LogWarning, "ASAP assoc %d held the send buffer without progress -> aborting it", assoc)
		return
	}
	found := false
	for _, p := range c.peers.All() {
		// A static entry that the peer list reset after a takeover has no
		// association until its peer's next Presence: known by address.
		if p.Assoc == assoc || p.Assoc == 0 && addr.IsValid() && p.Addrs.Port == addr.Port() && slices.Contains(p.Addrs.Addrs, addr.Addr().Unmap()) {
			c.logf(LogWarning, "ENRP association with peer %s held the send buffer without progress -> aborting it, holding Handle Updates until the peer is heard again", p)
			p.Stalled, found = true, true
		}
	}
	if !found {
		c.logf(LogWarning, "ENRP assoc %d (%v) held the send buffer without progress -> aborting it", assoc, addr)
	}
}
