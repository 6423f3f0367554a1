package handlespace

import (
	"fmt"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Check verifies the handlespace's internal consistency: every tree's
// invariants, that each PE is in exactly the sets it belongs to, cached sort
// keys and weights, unique sequence numbers, counters, per-owner counts and
// checksums against a recount, and the timer queue. It costs O(n log n) and
// is meant for tests (RSPLIB's poolHandlespaceNodeVerify).
func (h *Handlespace) Check() error {
	if err := h.pools.Check(); err != nil {
		return fmt.Errorf("pool index: %w", err)
	}
	if err := h.owners.check(ownerKey); err != nil {
		return fmt.Errorf("ownership set: %w", err)
	}
	if err := h.conns.check(connKey); err != nil {
		return fmt.Errorf("connection set: %w", err)
	}
	if len(h.byHandle) != h.pools.Len() {
		return fmt.Errorf("%d pools in the handle map, %d in the pool index", len(h.byHandle), h.pools.Len())
	}
	n, owned, conns := 0, 0, 0
	var total Checksum
	stats := make(map[rserpool.RegistrarID]ownerStat)
	for p := h.pools.First(); p != nil; p = h.pools.Next(p) {
		if h.byHandle[p.handle] != p {
			return fmt.Errorf("pool %s: missing from the handle map", p.handle)
		}
		if err := p.check(); err != nil {
			return fmt.Errorf("pool %s: %w", p.handle, err)
		}
		for c := p.index.First(); c.Valid(); c.Next() {
			x := c.Value()
			n++
			if x.pool != p || c.Key() != x.elem.ID || !x.inHandlespace() {
				return fmt.Errorf("PE %s/%s: wrong pool, index key or flag", p.handle, x.elem.ID)
			}
			total += x.Checksum()
			if x.elem.Home != 0 {
				owned++
				s := stats[x.elem.Home]
				s.n++
				s.sum += x.Checksum()
				stats[x.elem.Home] = s
				if !h.owners.contains(ownerKey(x), x) {
					return fmt.Errorf("PE %s/%s: missing from the ownership set", p.handle, x.elem.ID)
				}
			}
			if x.assoc != 0 {
				conns++
				if !h.conns.contains(connKey(x), x) {
					return fmt.Errorf("PE %s/%s: missing from the connection set", p.handle, x.elem.ID)
				}
			}
			if (x.timerPos == 0) != (x.timer == TimerNone) {
				return fmt.Errorf("PE %s/%s: timer code and queue position disagree", p.handle, x.elem.ID)
			}
			if x.timerPos != 0 {
				i := int(x.timerPos - 1)
				if i >= len(h.timers) || h.timers[i].pe != x {
					return fmt.Errorf("PE %s/%s: bad timer queue position", p.handle, x.elem.ID)
				}
			}
		}
	}
	switch {
	case n != h.n:
		return fmt.Errorf("counted %d PEs, counter says %d", n, h.n)
	case owned != h.owners.s.Len():
		return fmt.Errorf("%d PEs have a home, ownership set has %d", owned, h.owners.s.Len())
	case conns != h.conns.s.Len():
		return fmt.Errorf("%d PEs are bound, connection set has %d", conns, h.conns.s.Len())
	case total != h.total:
		return fmt.Errorf("handlespace checksum %08x, recount %08x", uint32(h.total), uint32(total))
	case len(stats) != len(h.stats):
		return fmt.Errorf("%d owners, statistics have %d", len(stats), len(h.stats))
	}
	for id, s := range stats {
		if h.stats[id] != s {
			return fmt.Errorf("owner %s: statistics %+v, recount %+v", id, h.stats[id], s)
		}
	}
	for i := range h.timers {
		if h.timers[i].pe.timerPos != uint32(i+1) {
			return fmt.Errorf("timer queue entry %d has a wrong back link", i)
		}
		if i > 0 && timerLess(&h.timers[i], &h.timers[(i-1)/4]) {
			return fmt.Errorf("timer queue entry %d is smaller than its parent", i)
		}
	}
	return nil
}

func (p *pool) check() error {
	if err := p.index.Check(); err != nil {
		return fmt.Errorf("PE index: %w", err)
	}
	if err := p.sorted.Check(); err != nil {
		return fmt.Errorf("sorted selection: %w", err)
	}
	if p.index.Len() == 0 {
		return fmt.Errorf("empty pool")
	}
	switch {
	case p.isWeighted() && p.sorted.Len() != 0:
		return fmt.Errorf("weighted pool with %d PEs in sort order", p.sorted.Len())
	case !p.isWeighted() && p.sorted.Len() != p.index.Len():
		return fmt.Errorf("%d PEs in sort order, index %d", p.sorted.Len(), p.index.Len())
	}
	seqs := make(map[uint32]bool, p.index.Len())
	for c := p.index.First(); c.Valid(); c.Next() {
		x := c.Value()
		if seqs[x.state.Seq] {
			return fmt.Errorf("duplicate sequence number %d", x.state.Seq)
		}
		seqs[x.state.Seq] = true
		if p.isWeighted() {
			if w := p.pol.Value(&x.elem.Policy, &x.state); uint64(c.Extra()) != w {
				return fmt.Errorf("PE %s: index weight %d, policy says %d", x.elem.ID, c.Extra(), w)
			}
		} else {
			if c.Extra() != 0 {
				return fmt.Errorf("PE %s: weight %d in a sorted pool", x.elem.ID, c.Extra())
			}
			if y, ok := p.sorted.Find(p.pol.Key(&x.elem.Policy, &x.state), x.state.Seq); !ok || y != x {
				return fmt.Errorf("PE %s: not in sort order at its policy key and sequence number", x.elem.ID)
			}
		}
		if x.elem.Policy.Type != p.pol.Type() || x.elem.User.Protocol != p.protocol ||
			x.elem.User.ControlChannel != p.controlChannel {
			return fmt.Errorf("PE %s does not match its pool", x.elem.ID)
		}
	}
	return nil
}
