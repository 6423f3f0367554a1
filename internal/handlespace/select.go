package handlespace

import (
	"github.com/rserpool/rspregistrar/internal/policy"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Resolve selects up to items PEs of the pool handle by its policy and
// appends them to dst in selection order (RSPLIB's handle resolution).
// maxIncrement is the registrar's -maxincrement; 0 means the policy's
// default. Capping items (MaxHResItems, 128) is the caller's job, because
// the requested count, not the pool size, decides when sequence numbers
// are renumbered.
//
// Sorted policies return min(items, pool size) PEs; weighted random policies
// return fewer when the remaining selection weights add up to 0, possibly
// none. An unknown pool gives CauseNotFound. items < 1 selects nothing and
// changes nothing.
func (h *Handlespace) Resolve(dst []*PE, handle rserpool.PoolHandle, items, maxIncrement int) ([]*PE, error) {
	p := h.findPool(handle)
	if p == nil {
		return dst, rserpool.CauseNotFound
	}
	if items < 1 {
		return dst, nil
	}
	if maxIncrement <= 0 {
		maxIncrement = p.pol.DefaultMaxIncrement()
	}
	// Renumber before the counter could wrap during this selection.
	if s := p.seq + uint32(items); s < p.seq {
		p.resequence()
	}
	if p.isWeighted() {
		return h.selectWeighted(dst, p, items, maxIncrement, maxSkip), nil
	}
	p.prepareRounds()
	return p.selectSorted(dst, items, maxIncrement), nil
}

// prepareRounds is weighted round robin's PrepareSelection: rebase all round
// counters to the first PE's before they can wrap.
func (p *pool) prepareRounds() {
	if !p.pol.UsesRounds() {
		return
	}
	first := p.firstSelected()
	if first == nil || !p.pol.NeedsRebase(&first.state) {
		return
	}
	// Subtracting the smallest round from every PE keeps the order, so the
	// tree stays valid; only the keys change.
	low := first.state.Round
	p.sorted.Rewrite(func(_ uint64, seq uint32, x *PE) (uint64, uint32) {
		x.state.Round -= low
		return p.pol.Key(&x.elem.Policy, &x.state), seq
	})
}

// selectSorted returns the first PEs in selection order and moves the first
// maxIncrement of them behind their equals with a new sequence number and
// the policy's update applied (then applied again by link, as in RSPLIB).
func (p *pool) selectSorted(dst []*PE, items, maxIncrement int) []*PE {
	start := len(dst)
	for c := p.sorted.First(); c.Valid() && len(dst)-start < items; c.Next() {
		dst = append(dst, c.Value())
	}
	n := min(len(dst)-start, maxIncrement)
	for _, x := range dst[start : start+n] {
		p.unlink(x)
		x.state.Seq = p.seq
		p.seq++
		x.state.Selections++
		p.pol.OnSelect(&x.elem.Policy, &x.state)
		p.link(x)
	}
	return dst
}

// maxSkip is the number of picks up to which a weighted selection leaves
// the weights in the tree alone (see selectWeighted). The registrar asks
// for at most 128 items, and usually for a handful.
const maxSkip = 32

// span is the range of cumulative weights of a picked PE.
type span struct {
	start uint64
	w     uint64
}

// selectWeighted draws PEs with probability proportional to their weight,
// without repetition, in the identifier-ordered cumulative weight ranges
// that RSPLIB uses. RSPLIB unlinks each pick until the end of the
// selection; drawing in the remaining weight and stepping over the picked
// ranges maps every random number to the same PE without changing the
// tree. Beyond skipUpTo picks, the picks' weights are set to 0 in the tree
// instead, which excludes exactly the same ranges.
func (h *Handlespace) selectWeighted(dst []*PE, p *pool, items, maxIncrement, skipUpTo int) []*PE {
	start := len(dst)
	limit := min(p.index.Len(), items)
	inTree := limit > skipUpTo
	var buf [maxSkip]span
	picked := buf[:0]           // sorted by start
	var weights [maxSkip]uint32 // in pick order
	remaining := p.index.Sum()
	for range limit {
		if remaining < 1 {
			break
		}
		r := h.rnd.Uint64() % remaining
		if !inTree {
			for _, s := range picked {
				if r < s.start {
					break
				}
				r += s.w
			}
		}
		c, at := p.index.Pick(r)
		if !c.Valid() {
			break
		}
		w := uint64(c.Extra())
		remaining -= w
		if inTree {
			p.index.SetWeight(c.Key(), 0)
		} else {
			weights[len(dst)-start] = uint32(w)
			i := len(picked)
			picked = append(picked, span{})
			for ; i > 0 && picked[i-1].start > at; i-- {
				picked[i] = picked[i-1]
			}
			picked[i] = span{at, w}
		}
		// The picks' PEs are only read below, so that their cache misses
		// overlap instead of delaying the next draw.
		dst = append(dst, c.Value())
	}
	for i, x := range dst[start:] {
		x.state.Seq = p.seq
		p.seq++
		x.state.Selections++
		if i < maxIncrement {
			p.pol.OnSelect(&x.elem.Policy, &x.state)
		}
		p.pol.OnLink(&x.elem.Policy, &x.state)
		if v := uint32(p.pol.Value(&x.elem.Policy, &x.state)); inTree || v != weights[i] {
			p.index.SetWeight(x.elem.ID, v)
		}
	}
	return dst
}

// Selection returns the pool's PEs in selection order: sort order for sorted
// policies, identifier order for weighted ones (for dumps and tests).
func (h *Handlespace) Selection(dst []*PE, handle rserpool.PoolHandle) []*PE {
	p := h.findPool(handle)
	switch {
	case p == nil:
	case p.isWeighted():
		for c := p.index.First(); c.Valid(); c.Next() {
			dst = append(dst, c.Value())
		}
	default:
		for c := p.sorted.First(); c.Valid(); c.Next() {
			dst = append(dst, c.Value())
		}
	}
	return dst
}

// Weight returns the PE's current selection weight in a weighted random pool
// (0 for sorted pools).
func (e *PE) Weight() uint64 {
	if e.pool.pol.Kind() != policy.Weighted {
		return 0
	}
	return e.pool.pol.Value(&e.elem.Policy, &e.state)
}
