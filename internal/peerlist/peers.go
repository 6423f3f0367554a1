package peerlist

import (
	"cmp"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// TimerCode says which liveness timer of a peer is running.
type TimerCode uint8

// Peer timers (RSPLIB's PLNT_*).
const (
	TimerNone TimerCode = iota
	// TimerMaxTimeLastHeard fires when the peer has been silent for
	// PeerMaxTimeLastHeard: it is then asked for a Presence.
	TimerMaxTimeLastHeard
	// TimerMaxTimeNoResponse fires when that request got no answer.
	TimerMaxTimeNoResponse
	// TimerTakeoverExpiry ends an unfinished takeover of the peer.
	TimerTakeoverExpiry
)

func (c TimerCode) String() string {
	switch c {
	case TimerMaxTimeLastHeard:
		return "MaxTimeLastHeard"
	case TimerMaxTimeNoResponse:
		return "MaxTimeNoResponse"
	case TimerTakeoverExpiry:
		return "TakeoverExpiry"
	}
	return "none"
}

// Peer is one entry of the peer list.
type Peer struct {
	ID rserpool.RegistrarID
	// Static entries come from -peer. They keep their configured addresses,
	// learn their id from the first Presence and fall back to id 0 instead of
	// being removed.
	Static bool
	// FromPeer marks entries learned from a List Response.
	FromPeer bool
	// Addrs is where ENRP messages to the peer go (SCTP, port, addresses).
	Addrs rserpool.Transport

	// ListSync: a List Request was sent (once per entry, never cleared).
	ListSync bool
	// HTSync: a Handle Table synchronisation with this peer is running.
	HTSync bool
	// HTSyncAt is when the synchronisation started or last made progress.
	HTSyncAt int64
	// Mentor: the peer is our mentor during the initialization phase.
	Mentor bool

	Timer   TimerCode
	TimerAt int64
	// Assoc is the ENRP association the peer's last Presence came over
	// (0: none known), so that its loss can be told to the peer's entry.
	Assoc handlespace.AssocID
	// Stalled: the peer's association was aborted because it held the
	// ENRP socket's send buffer; Handle Updates wait until it is heard.
	Stalled bool

	// TakeoverBy is the registrar that announced a takeover of this peer.
	TakeoverBy rserpool.RegistrarID
	// Takeover is our own running takeover of this peer, if any.
	Takeover *Takeover
	// Paging is where the next Handle Table Response to this peer continues.
	Paging *Paging

	LastUpdate int64
}

// String formats the entry for logs.
func (p *Peer) String() string {
	kind := "dynamic"
	if p.Static {
		kind = "static"
	}
	return fmt.Sprintf("%s (%s, %s)", p.ID, kind, p.Addrs)
}

// Takeover is a running takeover of a dead peer: the peers whose Init
// Takeover Ack is still missing.
type Takeover struct {
	Target      rserpool.RegistrarID
	Outstanding []rserpool.RegistrarID
}

// Ack records an acknowledgement and returns how many are still missing.
// Acks from registrars not asked are ignored.
func (t *Takeover) Ack(from rserpool.RegistrarID) int {
	for i, id := range t.Outstanding {
		if id == from {
			t.Outstanding = append(t.Outstanding[:i], t.Outstanding[i+1:]...)
			break
		}
	}
	return len(t.Outstanding)
}

// Paging is the position after the last PE sent in a Handle Table Response.
type Paging struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
	// OwnOnly is the own-children-only flag of the request being paged.
	OwnOnly bool
}

// Errors returned by Register.
var (
	ErrOwnID     = errors.New("peer has our own registrar id")
	ErrInvalidID = errors.New("invalid registrar id for this kind of peer entry")
)

// List is the set of known peers in RSPLIB's index order: entries with
// id 0 (static peers not heard from yet) first, ordered by address block,
// then by id. Peer lists are small, so a sorted slice is the right structure.
type List struct {
	own   rserpool.RegistrarID
	peers []*Peer
}

// New returns an empty list for the registrar own.
func New(own rserpool.RegistrarID) *List { return &List{own: own} }

// Len returns the number of entries.
func (l *List) Len() int { return len(l.peers) }

// All returns the entries in index order. The slice must not be modified;
// it is invalidated by the next change to the list.
func (l *List) All() []*Peer { return l.peers }

// Find returns the entry with the given non-zero id.
func (l *List) Find(id rserpool.RegistrarID) *Peer {
	if id == 0 {
		return nil
	}
	i := sort.Search(len(l.peers), func(i int) bool { return l.peers[i].ID >= id })
	if i < len(l.peers) && l.peers[i].ID == id {
		return l.peers[i]
	}
	return nil
}

// findUnidentified returns the first id-0 entry whose address block overlaps.
func (l *List) findUnidentified(addrs *rserpool.Transport) *Peer {
	for _, p := range l.peers {
		if p.ID != 0 {
			break
		}
		if Overlap(&p.Addrs, addrs) {
			return p
		}
	}
	return nil
}

// AddStatic adds a configured (-peer) entry with id 0. An entry with an
// overlapping address block is not added twice.
func (l *List) AddStatic(addrs rserpool.Transport, now int64) *Peer {
	if p := l.findUnidentified(&addrs); p != nil {
		return p
	}
	p := &Peer{Static: true, Addrs: addrs.Clone(), LastUpdate: now}
	l.insert(p)
	return p
}

// Register adds or updates a peer that announced itself (Presence) or was
// named in a List Response, following RSPLIB: a static entry (with this id,
// or with id 0 and an overlapping address block) takes the id and keeps its
// configured addresses; otherwise a dynamic entry keyed by id is created or
// its addresses are replaced. isNew reports a peer we did not know under this
// id before (including a static entry that just learned its id).
func (l *List) Register(id rserpool.RegistrarID, addrs rserpool.Transport, fromPeer bool, now int64) (p *Peer, isNew bool, err error) {
	if id == 0 {
		return nil, false, ErrInvalidID
	}
	if id == l.own {
		return nil, false, ErrOwnID
	}
	p = l.Find(id)
	if p == nil {
		if s := l.findUnidentified(&addrs); s != nil && s.Static {
			l.remove(s)
			s.ID = id
			s.LastUpdate = now
			l.insert(s)
			return s, true, nil
		}
		p = &Peer{ID: id, FromPeer: fromPeer, Addrs: addrs.Clone(), LastUpdate: now}
		l.insert(p)
		return p, true, nil
	}
	p.LastUpdate = now
	if !p.Static {
		p.Addrs = addrs.Clone()
		p.FromPeer = fromPeer
	}
	return p, false, nil
}

// Remove drops an entry. A static entry that had learned an id becomes an
// id-0 entry again (with its state reset) instead of disappearing.
func (l *List) Remove(p *Peer) {
	l.remove(p)
	if p.Static && p.ID != 0 {
		*p = Peer{Static: true, Addrs: p.Addrs, LastUpdate: p.LastUpdate}
		if l.findUnidentified(&p.Addrs) == nil {
			l.insert(p)
		}
	}
}

// NextTimer returns the entry whose timer is due first (ties in index order).
func (l *List) NextTimer() *Peer {
	var best *Peer
	for _, p := range l.peers {
		if p.Timer != TimerNone && (best == nil || p.TimerAt < best.TimerAt) {
			best = p
		}
	}
	return best
}

// SetTimer arms a peer's timer, replacing a running one.
func (p *Peer) SetTimer(code TimerCode, at int64) { p.Timer, p.TimerAt = code, at }

// HeardRecently tells whether the peer was heard within
// PeerMaxTimeLastHeard: its last-heard timer is the one running.
func (p *Peer) HeardRecently() bool { return p.Timer == TimerMaxTimeLastHeard }

// StopTimer stops a peer's timer.
func (p *Peer) StopTimer() { p.Timer, p.TimerAt = TimerNone, 0 }

func (l *List) insert(p *Peer) {
	i := sort.Search(len(l.peers), func(i int) bool { return peerLess(p, l.peers[i]) })
	l.peers = append(l.peers, nil)
	copy(l.peers[i+1:], l.peers[i:])
	l.peers[i] = p
}

func (l *List) remove(p *Peer) {
	for i, q := range l.peers {
		if q == p {
			l.peers = append(l.peers[:i], l.peers[i+1:]...)
			return
		}
	}
}

func peerLess(a, b *Peer) bool {
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	if a.ID == 0 {
		return CompareTransports(&a.Addrs, &b.Addrs) < 0
	}
	return false
}

// CompareTransports orders address blocks as RSPLIB does: port, control
// channel flag, number of addresses, then the addresses (IPv4-mapped
// addresses equal to their IPv4 form).
func CompareTransports(a, b *rserpool.Transport) int {
	switch {
	case a.Port != b.Port:
		return cmp.Compare(a.Port, b.Port)
	case a.ControlChannel != b.ControlChannel:
		if a.ControlChannel {
			return 1
		}
		return -1
	case len(a.Addrs) != len(b.Addrs):
		return cmp.Compare(len(a.Addrs), len(b.Addrs))
	}
	for i := range a.Addrs {
		if c := a.Addrs[i].Unmap().Compare(b.Addrs[i].Unmap()); c != 0 {
			return c
		}
	}
	return 0
}

// Overlap reports whether two address blocks have the same port and control
// channel flag and at least one address in common (RSPLIB's overlap test).
func Overlap(a, b *rserpool.Transport) bool {
	if a.Port != b.Port || a.ControlChannel != b.ControlChannel {
		return false
	}
	for _, x := range a.Addrs {
		for _, y := range b.Addrs {
			if x.Unmap() == y.Unmap() {
				return true
			}
		}
	}
	return false
}

// TakeoverParticipants returns the ids whose acknowledgement a takeover of
// target needs: every identified peer except the target.
func (l *List) TakeoverParticipants(target rserpool.RegistrarID) []rserpool.RegistrarID {
	var ids []rserpool.RegistrarID
	for _, p := range l.peers {
		if p.ID != 0 && p.ID != target && p.ID != l.own {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// UsefulPeerForPE implements RSPLIB's takeover-suggestion choice: the
// identified peer with the largest (peer id XOR PE id), if that beats our own
// (own id XOR PE id).
func (l *List) UsefulPeerForPE(pe rserpool.PEID) *Peer {
	best := uint32(l.own) ^ uint32(pe)
	var bestPeer *Peer
	for _, p := range l.peers {
		if p.ID == 0 {
			continue
		}
		if m := uint32(p.ID) ^ uint32(pe); m > best {
			best, bestPeer = m, p
		}
	}
	return bestPeer
}

// String lists the peers, one per line, for logs.
func (l *List) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "List of %s (%d peers)\n", l.own, len(l.peers))
	for _, p := range l.peers {
		fmt.Fprintf(&b, "  - %s timer=%s\n", p, p.Timer)
	}
	return b.String()
}
