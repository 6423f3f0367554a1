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
		return h.selectWeighted(dst, p, items, maxIncrement), nil
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
	first := p.sorted.First()
	if first == nil || !p.pol.NeedsRebase(&first.state) {
		return
	}
	// Subtracting the smallest round from every PE keeps the order, so the
	// tree stays valid; only the cached keys change.
	low := first.state.Round
	for x := first; x != nil; x = p.sorted.Next(x) {
		x.state.Round -= low
		x.key = p.pol.Key(&x.elem.Policy, &x.state)
	}
}

// selectSorted returns the first PEs in selection order and moves the first
// maxIncrement of them behind their equals with a new sequence number and
// the policy's update applied (then applied again by link, as in RSPLIB).
func (p *pool) selectSorted(dst []*PE, items, maxIncrement int) []*PE {
	start := len(dst)
	for x := p.sorted.First(); x != nil && len(dst)-start < items; x = p.sorted.Next(x) {
		dst = append(dst, x)
	}
	n := min(len(dst)-start, maxIncrement)
	for _, x := range dst[start : start+n] {
		p.sorted.Remove(x)
		x.state.Seq = p.seq
		p.seq++
		x.state.Selections++
		p.pol.OnSelect(&x.elem.Policy, &x.state)
		p.link(x)
	}
	return dst
}

// selectWeighted draws PEs with probability proportional to their weight,
// without repetition. RSPLIB unlinks each pick until the end of the
// selection; giving the pick weight 0 instead excludes it from exactly the
// same cumulative ranges without rebalancing the tree.
func (h *Handlespace) selectWeighted(dst []*PE, p *pool, items, maxIncrement int) []*PE {
	start := len(dst)
	limit := min(p.weighted.Len(), items)
	for i := 0; i < limit; i++ {
		sum := p.weighted.Sum()
		if sum < 1 {
			break
		}
		x := p.weighted.SelectByWeight(h.rnd.Uint64() % sum)
		if x == nil {
			break
		}
		x.state.Seq = p.seq
		p.seq++
		x.state.Selections++
		if i < maxIncrement {
			p.pol.OnSelect(&x.elem.Policy, &x.state)
		}
		old := x.key
		x.key = 0
		p.weighted.Reweighted(x, old)
		dst = append(dst, x)
	}
	for _, x := range dst[start:] {
		p.pol.OnLink(&x.elem.Policy, &x.state)
		x.key = p.pol.Value(&x.elem.Policy, &x.state)
		p.weighted.Reweighted(x, 0)
	}
	return dst
}

// Selection returns the pool's PEs in selection order: sort order for sorted
// policies, identifier order for weighted ones (for dumps and tests).
func (h *Handlespace) Selection(dst []*PE, handle rserpool.PoolHandle) []*PE {
	p := h.findPool(handle)
	if p == nil {
		return dst
	}
	for x := p.firstSelected(); x != nil; x = p.nextSelected(x) {
		dst = append(dst, x)
	}
	return dst
}

// Weight returns the PE's current selection weight in a weighted random pool
// (0 for sorted pools).
func (e *PE) Weight() uint64 {
	if e.pool.pol.Kind() != policy.Weighted {
		return 0
	}
	return e.key
}
