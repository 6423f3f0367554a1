package handlespace

import (
	"fmt"

	"github.com/rserpool/rspregistrar/internal/handlespace/btree"
	"github.com/rserpool/rspregistrar/internal/handlespace/rbtree"
	"github.com/rserpool/rspregistrar/internal/policy"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// peSet is a set of PEs ordered by (key, pool handle): the ownership set
// (key: home registrar and PE identifier) and the connection set (key:
// association and PE identifier). PEs of equal key (one identifier in
// several pools) get ties in the order of their handles, spread so that a
// newcomer usually fits between its neighbours. Such a group is as large as
// the number of pools a PE serves under one identifier, a handful; inserting
// or removing scans it, so an operation costs O(log n + group size).
type peSet struct{ s btree.Set[uint64, *PE] }

// pairKey is a peSet key: hi sorts first.
func pairKey[H, L ~uint32](hi H, lo L) uint64 { return uint64(hi)<<32 | uint64(lo) }

func (o *peSet) insert(k uint64, pe *PE) {
	// Find the ties of the neighbours in handle order.
	prev, next := int64(-1), int64(1)<<32
	var group []*PE
	for c := o.s.Seek(k, 0); c.Valid() && c.Key() == k; c.Next() {
		x := c.Value()
		if x.pool.handle.Compare(pe.pool.handle) < 0 {
			prev = int64(c.Extra())
		} else if next == 1<<32 {
			next = int64(c.Extra())
		}
		group = append(group, x)
	}
	if next-prev >= 2 {
		o.s.Insert(k, uint32(prev+(next-prev)/2), pe)
		return
	}
	// No room: renumber the group evenly.
	i := 0
	for i < len(group) && group[i].pool.handle.Compare(pe.pool.handle) < 0 {
		i++
	}
	for c := o.s.Seek(k, 0); c.Valid() && c.Key() == k; c = o.s.Seek(k, 0) {
		o.s.Remove(k, c.Extra())
	}
	group = append(group[:i], append([]*PE{pe}, group[i:]...)...)
	step := uint64(1<<32) / uint64(len(group)+1)
	for j, x := range group {
		o.s.Insert(k, uint32(step*uint64(j+1)), x)
	}
}

func (o *peSet) remove(k uint64, pe *PE) {
	for c := o.s.Seek(k, 0); c.Valid() && c.Key() == k; c.Next() {
		if c.Value() == pe {
			o.s.Remove(k, c.Extra())
			return
		}
	}
}

// after returns a cursor at the first PE after (k, handle).
func (o *peSet) after(k uint64, handle rserpool.PoolHandle) btree.Cursor[uint64, *PE] {
	c := o.s.Seek(k, 0)
	for c.Valid() && c.Key() == k && c.Value().pool.handle.Compare(handle) <= 0 {
		c.Next()
	}
	return c
}

// check verifies that the set holds its PEs in (key, handle) order under
// the keys that key computes.
func (o *peSet) check(key func(*PE) uint64) error {
	if err := o.s.Check(); err != nil {
		return err
	}
	var prev *PE
	for c := o.s.First(); c.Valid(); c.Next() {
		x := c.Value()
		if c.Key() != key(x) {
			return fmt.Errorf("PE %s/%s under a wrong key", x.pool.handle, x.elem.ID)
		}
		if prev != nil && key(prev) == c.Key() && prev.pool.handle.Compare(x.pool.handle) >= 0 {
			return fmt.Errorf("PEs %s/%s and %s/%s out of handle order", prev.pool.handle, prev.elem.ID, x.pool.handle, x.elem.ID)
		}
		prev = x
	}
	return nil
}

func (o *peSet) contains(k uint64, pe *PE) bool {
	for c := o.s.Seek(k, 0); c.Valid() && c.Key() == k; c.Next() {
		if c.Value() == pe {
			return true
		}
	}
	return false
}

func ownerKey(pe *PE) uint64 { return pairKey(pe.elem.Home, pe.elem.ID) }
func connKey(pe *PE) uint64  { return pairKey(pe.assoc, pe.elem.ID) }

// poolOps orders pools by handle (length, then bytes).
type poolOps struct{}

func (poolOps) Links(x *pool) *rbtree.Links[*pool] { return &x.links }
func (poolOps) Color(x *pool) (*uint8, uint8)      { return &x.colors, 1 }
func (poolOps) Compare(a, b *pool) int             { return a.handle.Compare(b.handle) }

func (p *pool) isWeighted() bool { return p.pol.Kind() == policy.Weighted }

// link puts the PE, which is in the index, into the selection order. As in
// RSPLIB, the policy's update hook runs on every link; the sort key or
// weight is computed after. Selection weights fit 32 bits: policy values
// never exceed rserpool.PolicyValueMax.
//
// Between link and unlink, a PE's policy settings and selection state only
// change together with its position (see unlink).
func (p *pool) link(pe *PE) {
	p.pol.OnLink(&pe.elem.Policy, &pe.state)
	if p.isWeighted() {
		p.index.SetWeight(pe.elem.ID, uint32(p.pol.Value(&pe.elem.Policy, &pe.state)))
		return
	}
	p.sorted.Insert(p.pol.Key(&pe.elem.Policy, &pe.state), pe.state.Seq, pe)
}

// unlink takes the PE out of the selection order. Its key is recomputed,
// which gives the key it was linked with because nothing it depends on
// changed since (Check verifies this). In a weighted pool the PE keeps its
// index entry and weight until link sets the new one.
func (p *pool) unlink(pe *PE) {
	if !p.isWeighted() {
		p.sorted.Remove(p.pol.Key(&pe.elem.Policy, &pe.state), pe.state.Seq)
	}
}

// firstSelected returns the first PE in selection order, or nil.
func (p *pool) firstSelected() *PE {
	if p.isWeighted() {
		if c := p.index.First(); c.Valid() {
			return c.Value()
		}
	} else if c := p.sorted.First(); c.Valid() {
		return c.Value()
	}
	return nil
}

// resequence renumbers the selection set 0, 1, 2, … in its current order so
// that the pool's sequence counter cannot wrap. The order is unchanged: Seq
// only breaks ties, and earlier PEs get smaller numbers.
func (p *pool) resequence() {
	p.seq = 0
	if p.isWeighted() {
		for c := p.index.First(); c.Valid(); c.Next() {
			c.Value().state.Seq = p.seq
			p.seq++
		}
		return
	}
	p.sorted.Rewrite(func(key uint64, _ uint32, x *PE) (uint64, uint32) {
		x.state.Seq = p.seq
		p.seq++
		return key, x.state.Seq
	})
}
