package handlespace

import (
	"iter"

	"github.com/rserpool/rspregistrar/internal/handlespace/btree"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Cursor is a position in a handle table listing: the pool handle and PE
// identifier of the last PE already sent. The zero Cursor is the start.
type Cursor struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
}

// All iterates over all PEs in the order of an ENRP Handle Table Response
// without the own-children-only flag: pools by handle, then PE identifier,
// starting strictly after the cursor.
func (h *Handlespace) All(after Cursor) iter.Seq[*PE] {
	return func(yield func(*PE) bool) {
		var p *pool
		var c btree.Cursor[rserpool.PEID, *PE]
		switch {
		case after.Handle == "":
			if p = h.pools.First(); p != nil {
				c = p.index.First()
			}
		case h.byHandle[after.Handle] != nil:
			p = h.byHandle[after.Handle]
			c = p.index.After(after.ID)
		default:
			if p = h.pools.After(func(q *pool) int { return after.Handle.Compare(q.handle) }); p != nil {
				c = p.index.First()
			}
		}
		for p != nil {
			for ; c.Valid(); c.Next() {
				if !yield(c.Value()) {
					return
				}
			}
			if p = h.pools.Next(p); p != nil {
				c = p.index.First()
			}
		}
	}
}

// Owned iterates over the PEs whose home is the registrar owner in the order
// of an own-children-only Handle Table Response: PE identifier, then pool
// handle, starting strictly after the cursor. Unlike RSPLIB, the iteration
// never runs on into the next registrar's PEs (enrp.md §7.2).
func (h *Handlespace) Owned(owner rserpool.RegistrarID, after Cursor) iter.Seq[*PE] {
	return func(yield func(*PE) bool) {
		for c := h.owners.after(pairKey(owner, after.ID), after.Handle); c.Valid() && c.Key()>>32 == uint64(owner); c.Next() {
			if !yield(c.Value()) {
				return
			}
		}
	}
}

// OwnedBy appends the PEs owned by the registrar to dst, in ownership order
// (PE identifier, then handle).
func (h *Handlespace) OwnedBy(dst []*PE, owner rserpool.RegistrarID) []*PE {
	for x := range h.Owned(owner, Cursor{}) {
		dst = append(dst, x)
	}
	return dst
}

// OfAssoc appends the PEs bound to the association to dst, ordered by PE
// identifier, then handle (the order RSPLIB removes them in when the
// association goes away).
func (h *Handlespace) OfAssoc(dst []*PE, assoc AssocID) []*PE {
	if assoc == 0 {
		return dst
	}
	for c := h.conns.s.Seek(pairKey(assoc, rserpool.PEID(0)), 0); c.Valid() && c.Key()>>32 == uint64(assoc); c.Next() {
		dst = append(dst, c.Value())
	}
	return dst
}

// ChangeOwner gives every PE owned by from the home to, appends the moved PEs
// to dst in ownership order and returns it (takeover, enrp.md §10.3/§10.4).
// Timers are not touched.
func (h *Handlespace) ChangeOwner(dst []*PE, from, to rserpool.RegistrarID) []*PE {
	start := len(dst)
	dst = h.OwnedBy(dst, from)
	if from != to {
		for _, x := range dst[start:] {
			h.setHome(x, to)
		}
	}
	return dst
}

// Mark flags every PE owned by the registrar for purging and returns how
// many were marked (start of a handle table synchronisation). A later
// registration or update of a PE clears its mark.
func (h *Handlespace) Mark(owner rserpool.RegistrarID) int {
	n := 0
	for x := range h.Owned(owner, Cursor{}) {
		x.flags |= flagMarked
		n++
	}
	return n
}

// PurgeMarked removes the PEs owned by the registrar that are still marked,
// appends them to dst in ownership order and returns it (end of a handle
// table synchronisation).
func (h *Handlespace) PurgeMarked(dst []*PE, owner rserpool.RegistrarID) []*PE {
	start := len(dst)
	for x := range h.Owned(owner, Cursor{}) {
		if x.flags&flagMarked != 0 {
			dst = append(dst, x)
		}
	}
	for _, x := range dst[start:] {
		h.Remove(x)
	}
	return dst
}

// PoolList iterates over the pools in handle order.
func (h *Handlespace) PoolList() iter.Seq[PoolInfo] {
	return func(yield func(PoolInfo) bool) {
		for p := h.pools.First(); p != nil; p = h.pools.Next(p) {
			if !yield(p.info()) {
				return
			}
		}
	}
}
