package metrics

// This file holds what the event loop hands over for the JSON views
// (/api/v1/...): plain copies, taken between two events, that the HTTP
// goroutine turns into JSON on its own time (api_json.go).

import (
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/peerlist"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Kind is what a Request asks the event loop for.
type Kind uint8

// Request kinds.
const (
	// KindSnapshot asks for a *Snapshot (Reply).
	KindSnapshot Kind = iota
	// KindHandlespace asks for one page of the handlespace, Request.Page
	// (ReplyHandlespace).
	KindHandlespace
	// KindPeers asks for the peer list (ReplyPeers).
	KindPeers
	// KindRegistrar asks for a Snapshot with the registrar's own
	// addresses (ReplyRegistrar).
	KindRegistrar
)

// Page limits of /api/v1/handlespace: the loop copies at most MaxLimit PEs
// for one request, however large the handlespace.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// PageQuery selects a page of the handlespace: at most Limit PEs in the
// order of ENRP Handle Table Responses (pools by handle, then PE id),
// strictly after After, and only of pool Pool if it is not empty.
type PageQuery struct {
	Pool  rserpool.PoolHandle
	After handlespace.Cursor
	Limit int
}

// PE is a copy of one handlespace entry.
type PE struct {
	Handle rserpool.PoolHandle
	// Element is a deep copy: its address slices are the receiver's.
	Element rserpool.PoolElement
	// Assoc is the ASAP association of the PE's registration (0: none,
	// the PE is another registrar's).
	Assoc handlespace.AssocID
	Timer handlespace.TimerCode
	// TimerAt is the timer's due time on the core's clock (Now).
	TimerAt int64
}

// HandlespacePage is one page of the handlespace.
type HandlespacePage struct {
	// Now is the core's clock when the page was copied.
	Now int64
	// Own is the registrar's id, to tell owned PEs.
	Own rserpool.RegistrarID
	// TotalPools and TotalPEs count the whole handlespace.
	TotalPools, TotalPEs int
	// NoPool is set when the query named a pool that does not exist.
	NoPool bool
	// Pools are the pools of the page's PEs, in order (with their PE
	// counts): at most one per PE, so bounded by the limit too.
	Pools []handlespace.PoolInfo
	PEs   []PE
	// More tells that PEs follow; Next is then the cursor of the next page.
	More bool
	Next handlespace.Cursor
}

// Peer is a copy of one peer list entry.
type Peer struct {
	ID             rserpool.RegistrarID
	Static         bool
	FromPeer       bool
	Addrs          rserpool.Transport
	LastUpdate     int64 // core clock, 0: never
	Timer          peerlist.TimerCode
	Mentor, HTSync bool
	TakeoverBy     rserpool.RegistrarID
	TakingOver     bool
}

// Peers is the peer list at one moment.
type Peers struct {
	Now   int64 // core clock
	Peers []Peer
}

// RegistrarState is the registrar's identity and counters.
type RegistrarState struct {
	Snapshot
	// ASAP and ENRP are the local addresses of the two SCTP sockets.
	ASAP, ENRP []netip.AddrPort
}

// ReplyHandlespace answers a KindHandlespace request; it never blocks.
func (r Request) ReplyHandlespace(p *HandlespacePage) { r.reply <- p }

// ReplyPeers answers a KindPeers request; it never blocks.
func (r Request) ReplyPeers(p *Peers) { r.reply <- p }

// ReplyRegistrar answers a KindRegistrar request; it never blocks.
func (r Request) ReplyRegistrar(s *RegistrarState) { r.reply <- s }

// CopyPage fills a page from h; it is the loop's side of a handlespace
// request, shared with the benchmarks. It visits at most q.Limit+1 PEs
// (the one more tells whether the page is the last).
func CopyPage(h *handlespace.Handlespace, q PageQuery, now int64) *HandlespacePage {
	p := &HandlespacePage{Now: now, Own: h.OwnID(), TotalPools: h.Pools(), TotalPEs: h.PEs()}
	after := q.After
	if q.Pool != "" {
		if _, ok := h.Pool(q.Pool); !ok {
			p.NoPool = true
			return p
		}
		if after.Handle != q.Pool {
			// A cursor of an earlier pool starts at the pool's first
			// PE; one of a later pool gives an empty page.
			if after.Handle != "" && after.Handle.Compare(q.Pool) > 0 {
				return p
			}
			after = handlespace.Cursor{Handle: q.Pool}
		}
	}
	limit := min(max(q.Limit, 1), MaxLimit)
	p.PEs = make([]PE, 0, min(limit, p.TotalPEs))
	addrs := make([]netip.Addr, 0, 2*cap(p.PEs))
	for pe := range h.All(after) {
		if q.Pool != "" && pe.Handle() != q.Pool {
			break
		}
		if len(p.PEs) == limit {
			p.More = true
			last := &p.PEs[len(p.PEs)-1]
			p.Next = handlespace.Cursor{Handle: last.Handle, ID: last.Element.ID}
			break
		}
		e := *pe.Element()
		// One backing array for the page's addresses rather than one
		// allocation per PE: the loop waits for the copy.
		start := len(addrs)
		addrs = append(addrs, e.User.Addrs...)
		e.User.Addrs = addrs[start:len(addrs):len(addrs)]
		if e.HasRegistrator {
			start = len(addrs)
			addrs = append(addrs, e.Registrator.Addrs...)
			e.Registrator.Addrs = addrs[start:len(addrs):len(addrs)]
		}
		code, at := pe.Timer()
		p.PEs = append(p.PEs, PE{Handle: pe.Handle(), Element: e, Assoc: pe.Assoc(), Timer: code, TimerAt: at})
		if n := len(p.Pools); n == 0 || p.Pools[n-1].Handle != pe.Handle() {
			info, _ := h.Pool(pe.Handle())
			p.Pools = append(p.Pools, info)
		}
	}
	return p
}

// CopyPeers copies the peer list.
func CopyPeers(l *peerlist.List, now int64) *Peers {
	all := l.All()
	p := &Peers{Now: now, Peers: make([]Peer, 0, len(all))}
	for _, x := range all {
		p.Peers = append(p.Peers, Peer{ID: x.ID, Static: x.Static, FromPeer: x.FromPeer, Addrs: x.Addrs.Clone(),
			LastUpdate: x.LastUpdate, Timer: x.Timer, Mentor: x.Mentor, HTSync: x.HTSync,
			TakeoverBy: x.TakeoverBy, TakingOver: x.Takeover != nil})
	}
	return p
}
