package handlespace

import (
	"github.com/rserpool/rspregistrar/internal/handlespace/rbtree"
	"github.com/rserpool/rspregistrar/internal/policy"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// The Ops types of the handlespace's trees. All are zero-size; each names
// the Links field and colour bit its tree uses and the tree's order.

// indexOps orders a pool's PEs by identifier.
type indexOps struct{}

func (indexOps) Links(x *PE) *rbtree.Links[*PE] { return &x.idx }
func (indexOps) Color(x *PE) (*uint8, uint8)    { return &x.colors, colorIndex }
func (indexOps) Compare(a, b *PE) int           { return cmpID(a.elem.ID, b.elem.ID) }

// sortedOps orders a sorted pool's selection set by (key, Seq).
type sortedOps struct{}

func (sortedOps) Links(x *PE) *rbtree.Links[*PE] { return &x.sel }
func (sortedOps) Color(x *PE) (*uint8, uint8)    { return &x.colors, colorSelection }

func (sortedOps) Compare(a, b *PE) int {
	if a.key != b.key {
		return cmpU64(a.key, b.key)
	}
	return cmpU64(uint64(a.state.Seq), uint64(b.state.Seq))
}

// weightedOps orders a weighted pool's selection set by identifier and keeps
// the subtree sums of the selection weights.
type weightedOps struct{}

func (weightedOps) Links(x *PE) *rbtree.Links[*PE] { return &x.sel }
func (weightedOps) Color(x *PE) (*uint8, uint8)    { return &x.colors, colorSelection }
func (weightedOps) Compare(a, b *PE) int           { return cmpID(a.elem.ID, b.elem.ID) }
func (weightedOps) Weight(x *PE) uint64            { return x.key }
func (weightedOps) LeftSum(x *PE) *uint64          { return &x.sum }

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

// link inserts the PE into the selection set. As in RSPLIB, the policy's
// update hook runs on every link; the sort key or weight is computed after.
func (p *pool) link(pe *PE) {
	p.pol.OnLink(&pe.elem.Policy, &pe.state)
	if p.isWeighted() {
		pe.key = p.pol.Value(&pe.elem.Policy, &pe.state)
		p.weighted.Insert(pe)
	} else {
		pe.key = p.pol.Key(&pe.elem.Policy, &pe.state)
		p.sorted.Insert(pe)
	}
}

func (p *pool) unlink(pe *PE) {
	if p.isWeighted() {
		p.weighted.Remove(pe)
	} else {
		p.sorted.Remove(pe)
	}
}

func (p *pool) firstSelected() *PE {
	if p.isWeighted() {
		return p.weighted.First()
	}
	return p.sorted.First()
}

func (p *pool) nextSelected(pe *PE) *PE {
	if p.isWeighted() {
		return p.weighted.Next(pe)
	}
	return p.sorted.Next(pe)
}

// resequence renumbers the selection set 0, 1, 2, … in its current order so
// that the pool's sequence counter cannot wrap. The order is unchanged: Seq
// only breaks ties, and earlier PEs get smaller numbers.
func (p *pool) resequence() {
	p.seq = 0
	for x := p.firstSelected(); x != nil; x = p.nextSelected(x) {
		x.state.Seq = p.seq
		p.seq++
	}
}
