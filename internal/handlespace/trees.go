package handlespace

import (
	"github.com/rserpool/rspregistrar/internal/handlespace/rbtree"
	"github.com/rserpool/rspregistrar/internal/policy"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// The Ops types of the handlespace's red-black trees. All are zero-size;
// each names the Links field and colour bit its tree uses and the tree's
// order.

// ownerOps orders the ownership set by (home, identifier, handle).
type ownerOps struct{}

func (ownerOps) Links(x *PE) *rbtree.Links[*PE] { return &x.own }
func (ownerOps) Color(x *PE) (*uint8, uint8)    { return &x.colors, colorOwnership }

func (ownerOps) Compare(a, b *PE) int {
	return cmpOwner(a.elem.Home, a.elem.ID, a.pool.handle, b)
}

func cmpOwner(home rserpool.RegistrarID, id rserpool.PEID, handle rserpool.PoolHandle, b *PE) int {
	if home != b.elem.Home {
		return cmpU64(uint64(home), uint64(b.elem.Home))
	}
	if id != b.elem.ID {
		return cmpID(id, b.elem.ID)
	}
	return handle.Compare(b.pool.handle)
}

// connOps orders the connection set by (association, identifier, handle).
type connOps struct{}

func (connOps) Links(x *PE) *rbtree.Links[*PE] { return &x.conn }
func (connOps) Color(x *PE) (*uint8, uint8)    { return &x.colors, colorConnection }

func (connOps) Compare(a, b *PE) int {
	return cmpConn(a.assoc, a.elem.ID, a.pool.handle, b)
}

func cmpConn(assoc AssocID, id rserpool.PEID, handle rserpool.PoolHandle, b *PE) int {
	if assoc != b.assoc {
		return cmpU64(uint64(assoc), uint64(b.assoc))
	}
	if id != b.elem.ID {
		return cmpID(id, b.elem.ID)
	}
	return handle.Compare(b.pool.handle)
}

// poolOps orders pools by handle (length, then bytes).
type poolOps struct{}

func (poolOps) Links(x *pool) *rbtree.Links[*pool] { return &x.links }
func (poolOps) Color(x *pool) (*uint8, uint8)      { return &x.colors, 1 }
func (poolOps) Compare(a, b *pool) int             { return a.handle.Compare(b.handle) }

func cmpID(a, b rserpool.PEID) int { return cmpU64(uint64(a), uint64(b)) }

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

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
