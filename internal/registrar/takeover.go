package registrar

import (
	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/peerlist"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// startTakeover begins taking over the PEs of a dead peer (enrp.md §10.1):
// every other identified peer has to acknowledge.
func (c *Core) startTakeover(now int64, p *peerlist.Peer) {
	c.logf(LogAction, "Initiating takeover of dead peer %s", p.ID)
	c.Stats.TakeoversStarted++
	p.Takeover = &peerlist.Takeover{Target: p.ID, Outstanding: c.peers.TakeoverParticipants(p.ID)}
	m := &wire.InitTakeover{Sender: c.id, Target: p.ID}
	for _, q := range c.peers.All() {
		m.Receiver = q.ID
		c.logf(LogVerbose1, "Sending InitTakeover to unicast peer %s...", q.ID)
		c.sendTo(SocketENRP, &q.Addrs, m)
	}
	if len(p.Takeover.Outstanding) == 0 {
		// Nobody else to ask (a scope of two registrars). RSPLIB waits for
		// acknowledgements that cannot come and never takes over; we do.
		c.finishTakeover(now, p)
		return
	}
	p.SetTimer(peerlist.TimerTakeoverExpiry, now+int64(c.cfg.TakeoverExpiryInterval))
}

func (c *Core) handleInitTakeover(now int64, assoc AssocID, m *wire.InitTakeover) {
	if m.Sender == c.id {
		return
	}
	c.logf(LogVerbose1, "Got InitTakeover from peer %s for target %s", m.Sender, m.Target)
	if m.Target == c.id {
		c.logf(LogWarning, "Peer %s has initiated takeover -> trying to stop this by Presences", m.Sender)
		if c.cfg.ENRPAnnounce {
			c.emitMulticast(ActMulticastENRP, c.presence(0, false))
		}
		c.sendPresenceToAll()
		return
	}
	ack := &wire.InitTakeoverAck{Sender: c.id, Receiver: m.Sender, Target: m.Target}
	p := c.peers.Find(m.Target)
	switch {
	case p == nil:
		c.logf(LogWarning, "Acknowledging peer %s's takeover of %s (which is unknown for us!)", m.Sender, m.Target)
		c.send(SocketENRP, assoc, ack)
	case p.Takeover != nil:
		if m.Sender < c.id {
			c.logf(LogAction, "Peer %s, also trying takeover of %s, has lower ID -> we (%s) abort our takeover", m.Sender, m.Target, c.id)
			p.TakeoverBy = m.Sender
			c.send(SocketENRP, assoc, ack)
			p.Takeover = nil
			p.SetTimer(peerlist.TimerMaxTimeNoResponse, now+int64(c.cfg.PeerMaxTimeNoResponse))
		} else {
			c.logf(LogAction, "Peer %s, also trying takeover of %s, has higher ID -> we (%s) continue our takeover", m.Sender, m.Target, c.id)
		}
	case p.HeardRecently():
		// We heard the target within PeerMaxTimeLastHeard: it is alive
		// for us, and the initiator has lost it, not the scope (after a
		// partition, an association whose retransmission timer backed
		// off stays silent for up to a minute). RSPLIB acknowledges;
		// the takeover would move the PEs of a live registrar.
		c.logf(LogWarning, "Peer %s wants to take over %s, which we heard from recently -> not acknowledging", m.Sender, m.Target)
		c.Stats.TakeoversRefused++
	default:
		c.logf(LogAction, "Acknowledging peer %s's takeover of %s", m.Sender, m.Target)
		p.TakeoverBy = m.Sender
		c.send(SocketENRP, assoc, ack)
	}
}

func (c *Core) handleInitTakeoverAck(now int64, m *wire.InitTakeoverAck) {
	if m.Sender == c.id {
		return
	}
	p := c.peers.Find(m.Target)
	if p == nil || p.Takeover == nil {
		c.logf(LogVerbose1, "Ignoring InitTakeoverAck from peer %s for target %s", m.Sender, m.Target)
		return
	}
	if left := p.Takeover.Ack(m.Sender); left > 0 {
		c.logf(LogAction, "Peer %s acknowledges takeover of target %s. %d acknowledges to go.", m.Sender, m.Target, left)
		return
	}
	c.logf(LogAction, "Takeover of target %s confirmed. Taking it over now.", m.Target)
	c.finishTakeover(now, p)
}

// finishTakeover tells the peers, re-homes the dead peer's PEs and invites
// each PE to make us its home with a Keep Alive with the H flag (§10.4).
func (c *Core) finishTakeover(now int64, p *peerlist.Peer) {
	target := p.ID
	c.logf(LogWarning, "Taking over peer %s...", target)
	c.Stats.TakeoversCompleted++
	ts := &wire.TakeoverServer{Sender: c.id, Target: target}
	for _, q := range c.peers.All() {
		if q.ID == 0 || q == p {
			continue
		}
		ts.Receiver = q.ID
		c.sendTo(SocketENRP, &q.Addrs, ts)
	}
	c.scratch = c.hs.ChangeOwner(c.scratch[:0], target, c.id)
	for _, pe := range c.scratch {
		c.logf(LogAction, "Taking ownership of pool element $%08x in pool %s", uint32(pe.ID()), pe.Handle())
		c.hs.StopTimer(pe)
		c.sendKeepAlive(pe, true)
		c.hs.SetTimer(pe, handlespace.TimerTakeoverKeepAliveTimeout, now+int64(c.cfg.KeepAliveTimeoutInterval))
	}
	p.Takeover = nil
	p.StopTimer()
	c.peers.Remove(p)
	c.logf(LogWarning, "Takeover of peer %s completed", target)
}

func (c *Core) handleTakeoverServer(now int64, m *wire.TakeoverServer) {
	if m.Sender == c.id {
		return
	}
	c.logf(LogAction, "Got TakeoverServer from peer %s for target %s", m.Sender, m.Target)
	if m.Target == c.id {
		// A stale takeover of ourselves (it cannot have been
		// acknowledged by a peer that heard us): we keep our PEs and say
		// that we are alive.
		c.logf(LogWarning, "Peer %s claims to have taken us over -> ignoring it, sending Presences", m.Sender)
		c.sendPresenceToAll()
		return
	}
	if p := c.peers.Find(m.Target); p != nil && p.HeardRecently() {
		c.logf(LogWarning, "Peer %s claims to have taken over %s, which we heard from recently -> ignoring it", m.Sender, m.Target)
		c.Stats.TakeoversRefused++
		return
	}
	c.scratch = c.hs.ChangeOwner(c.scratch[:0], m.Target, m.Sender)
}
