package handlespace

import (
	"fmt"

	"github.com/rserpool/rspregistrar/internal/policy"
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
	if err := h.owners.Check(); err != nil {
		return fmt.Errorf("ownership set: %w", err)
	}
	if err := h.conns.Check(); err != nil {
		return fmt.Errorf("connection set: %w", err)
	}
	n, owned, conns := 0, 0, 0
	var total Checksum
	stats := make(map[rserpool.RegistrarID]ownerStat)
	for p := h.pools.First(); p != nil; p = h.pools.Next(p) {
		if err := p.check(); err != nil {
			return fmt.Errorf("pool %s: %w", p.handle, err)
		}
		for x := p.index.First(); x != nil; x = p.index.Next(x) {
			n++
			if x.pool != p {
				return fmt.Errorf("PE %s/%s: wrong pool", p.handle, x.elem.ID)
			}
			if x.checksum != PEChecksum(p.handle, x.elem.ID) {
				return fmt.Errorf("PE %s/%s: wrong checksum", p.handle, x.elem.ID)
			}
			total += x.checksum
			if x.elem.Home != 0 {
				owned++
				s := stats[x.elem.Home]
				s.n++
				s.sum += x.checksum
				stats[x.elem.Home] = s
				if !h.owners.Contains(x) {
					return fmt.Errorf("PE %s/%s: missing from the ownership set", p.handle, x.elem.ID)
				}
			}
			if x.assoc != 0 {
				conns++
				if !h.conns.Contains(x) {
					return fmt.Errorf("PE %s/%s: missing from the connection set", p.handle, x.elem.ID)
				}
			}
			if (x.timerPos == 0) != (x.timer == TimerNone) {
				return fmt.Errorf("PE %s/%s: timer code and queue position disagree", p.handle, x.elem.ID)
			}
			if x.timerPos != 0 {
				i := int(x.timerPos - 1)
				if i >= len(h.timers) || h.timers[i].pe != x || h.timers[i].ts != x.timerTS {
					return fmt.Errorf("PE %s/%s: bad timer queue position", p.handle, x.elem.ID)
				}
			}
		}
	}
	switch {
	case n != h.n:
		return fmt.Errorf("counted %d PEs, counter says %d", n, h.n)
	case owned != h.owners.Len():
		return fmt.Errorf("%d PEs have a home, ownership set has %d", owned, h.owners.Len())
	case conns != h.conns.Len():
		return fmt.Errorf("%d PEs are bound, connection set has %d", conns, h.conns.Len())
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
		if i > 0 && timerLess(&h.timers[i], &h.timers[(i-1)/2]) {
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
	if err := p.weighted.Check(); err != nil {
		return fmt.Errorf("weighted selection: %w", err)
	}
	if p.index.Len() == 0 {
		return fmt.Errorf("empty pool")
	}
	sel, other := p.sorted.Len(), p.weighted.Len()
	if p.isWeighted() {
		sel, other = other, sel
	}
	if sel != p.index.Len() || other != 0 {
		return fmt.Errorf("selection set has %d PEs (other set %d), index %d", sel, other, p.index.Len())
	}
	seqs := make(map[uint32]bool, sel)
	for x := p.firstSelected(); x != nil; x = p.nextSelected(x) {
		if seqs[x.state.Seq] {
			return fmt.Errorf("duplicate sequence number %d", x.state.Seq)
		}
		seqs[x.state.Seq] = true
		var want uint64
		if p.pol.Kind() == policy.Weighted {
			want = p.pol.Value(&x.elem.Policy, &x.state)
		} else {
			want = p.pol.Key(&x.elem.Policy, &x.state)
		}
		if x.key != want {
			return fmt.Errorf("PE %s: cached key %d, policy says %d", x.elem.ID, x.key, want)
		}
		if x.elem.Policy.Type != p.pol.Type() || x.elem.User.Protocol != p.protocol ||
			x.elem.User.ControlChannel != p.controlChannel {
			return fmt.Errorf("PE %s does not match its pool", x.elem.ID)
		}
	}
	return nil
}
