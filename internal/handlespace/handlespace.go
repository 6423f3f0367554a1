// Package handlespace is the registrar's handlespace: its pools and pool
// elements (PEs), the pool policies' selection state, the per-PE timers, the
// ownership and association indexes and the ENRP checksums, with RSPLIB's
// semantics (policies.md, asap.md §4, enrp.md §7, §8).
//
// Structure (RSPLIB's PoolHandlespaceNode):
//
//   - pools, ordered by pool handle (length, then bytes), and a map from
//     handle to pool for lookups;
//   - per pool: an index of its PEs by identifier, which for the weighted
//     random policies carries the selection weights and their sums and is
//     the selection set, and for the sorted policies a selection set
//     ordered by the policy's sort key and sequence number;
//   - an ownership set ordered by (home registrar, PE id, pool handle), with
//     PE counts and checksum accumulators per home registrar;
//   - a connection set ordered by (association, PE id, pool handle) holding
//     the PEs registered over one of our ASAP associations;
//   - a timer queue ordered by (time, PE id, pool handle).
//
// The sets of PEs are B+ trees (package btree) of compact entries: a search
// among a million PEs touches a few cache lines per level, where a tree
// whose nodes are the PEs themselves costs a cache miss per level. The pool
// index is an intrusive red-black tree (package rbtree). A PE is one
// allocation of 160 bytes plus its transport addresses; its sort key or
// weight lives in the trees only. The handlespace does no I/O, holds no
// locks and keeps no clock;
// one goroutine owns it and passes time in as int64 nanoseconds of its own
// (possibly fake) clock. Results that are pool elements are *PE pointers
// into the handlespace: they stay valid and readable after removal, but must
// never be modified by the caller, and iterators must not be used while the
// handlespace is changed.
//
// Errors returned by operations are rserpool.Cause values, so that the
// protocol layers can put them on the wire unchanged.
package handlespace

import (
	mrand "math/rand/v2"

	"github.com/rserpool/rspregistrar/internal/handlespace/btree"
	"github.com/rserpool/rspregistrar/internal/handlespace/rbtree"
	"github.com/rserpool/rspregistrar/internal/policy"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// AssocID identifies the ASAP association a PE registered over. Zero means
// the PE is bound to no association (learned via ENRP or taken over).
type AssocID uint32

// TimerCode says what a PE's timer is for. The numbers are RSPLIB's.
type TimerCode uint16

// Timer codes.
const (
	TimerNone TimerCode = 0
	// TimerExpiry: registration life of a PE learned via ENRP ran out.
	TimerExpiry TimerCode = 1000
	// TimerKeepAliveTransmission: time to send an Endpoint Keep Alive.
	TimerKeepAliveTransmission TimerCode = 1001
	// TimerKeepAliveTimeout: the Keep Alive Ack did not come.
	TimerKeepAliveTimeout TimerCode = 1002
	// TimerTakeoverKeepAliveTimeout: the Ack to the first Keep Alive with
	// the home flag after a takeover did not come (not in RSPLIB).
	TimerTakeoverKeepAliveTimeout TimerCode = 1003
)

func (c TimerCode) String() string {
	switch c {
	case TimerNone:
		return "none"
	case TimerExpiry:
		return "expiry"
	case TimerKeepAliveTransmission:
		return "keep-alive transmission"
	case TimerKeepAliveTimeout:
		return "keep-alive timeout"
	case TimerTakeoverKeepAliveTimeout:
		return "takeover keep-alive timeout"
	}
	return "unknown timer"
}

const (
	flagMarked uint8 = 1 << iota
	flagLinked       // in its pool's index, i.e. in the handlespace
)

// PE is a pool element in the handlespace. Read it through its methods; the
// element data returned by Element must not be modified.
type PE struct {
	// A resolution reads and writes the selection state and reads the
	// policy settings (in elem) of each PE it returns; they come first so
	// that they share as few cache lines as possible.
	//
	// The PE's sort key or selection weight and its timer's due time live
	// in the pool's trees and the timer queue only: recomputing or looking
	// them up when needed keeps a PE at 160 bytes (a size class).
	state    policy.State
	elem     rserpool.PoolElement
	pool     *pool
	timerPos uint32 // 1 + index in the timer queue; 0 = no timer
	assoc    AssocID
	unreach  uint32
	timer    TimerCode
	flags    uint8
}

// Element returns the PE's data as stored: identifier, home registrar,
// registration life, user transport, policy settings and registrator
// transport. The caller must not modify it.
func (e *PE) Element() *rserpool.PoolElement { return &e.elem }

// Handle returns the handle of the PE's pool.
func (e *PE) Handle() rserpool.PoolHandle { return e.pool.handle }

// ID returns the PE identifier.
func (e *PE) ID() rserpool.PEID { return e.elem.ID }

// Home returns the PE's home registrar.
func (e *PE) Home() rserpool.RegistrarID { return e.elem.Home }

// Assoc returns the ASAP association the PE is bound to (0 = none).
func (e *PE) Assoc() AssocID { return e.assoc }

// Timer returns the PE's running timer and its due time (TimerNone if none).
func (e *PE) Timer() (TimerCode, int64) {
	if e.timerPos == 0 {
		return TimerNone, 0
	}
	return e.timer, e.pool.hs.timers[e.timerPos-1].ts
}

// UnreachableReports returns the number of Endpoint Unreachable reports
// received for this PE entry.
func (e *PE) UnreachableReports() uint32 { return e.unreach }

// Marked reports whether the PE is marked for purging after a handle table
// synchronisation.
func (e *PE) Marked() bool { return e.flags&flagMarked != 0 }

// State returns the PE's selection state.
func (e *PE) State() policy.State { return e.state }

// Checksum returns the PE's checksum accumulator. It is computed from the
// handle and identifier rather than stored: four bytes less per PE.
func (e *PE) Checksum() Checksum { return PEChecksum(e.pool.handle, e.elem.ID) }

type pool struct {
	links          rbtree.Links[*pool]
	colors         uint8
	controlChannel bool
	protocol       rserpool.Protocol
	seq            uint32 // RSPLIB's GlobalSeqNumber
	handle         rserpool.PoolHandle
	pol            *policy.Policy
	hs             *Handlespace // for the PEs' timer due times
	// index holds all PEs by identifier; in a weighted pool its weights
	// are the selection weights (RSPLIB's selection tree of these policies
	// is ordered by identifier too), in a sorted pool they are 0.
	index btree.Weighted[rserpool.PEID, *PE]
	// sorted is a sorted pool's selection order by (key, Seq).
	sorted btree.Set[uint64, *PE]
}

// PoolInfo describes a pool.
type PoolInfo struct {
	Handle         rserpool.PoolHandle
	Policy         rserpool.PolicyType
	Protocol       rserpool.Protocol
	ControlChannel bool
	PEs            int
}

type ownerStat struct {
	n   int
	sum Checksum
}

// Handlespace is the registrar's handlespace. Create it with New.
type Handlespace struct {
	own   rserpool.RegistrarID
	rnd   policy.Rand
	pools rbtree.Tree[*pool, poolOps] // for handle order
	// byHandle finds a pool without string comparisons along a tree path.
	byHandle map[rserpool.PoolHandle]*pool
	owners   peSet // PEs with a home by (home, PE id, handle)
	conns    peSet // PEs bound to an association by (association, PE id, handle)
	timers   []timerEntry
	stats    map[rserpool.RegistrarID]ownerStat
	n        int
	total    Checksum
}

// New returns an empty handlespace of the registrar own. rnd is the random
// source of the weighted random policies; nil selects a crypto-seeded one.
func New(own rserpool.RegistrarID, rnd policy.Rand) *Handlespace {
	if rnd == nil {
		rnd = mrand.New(mrand.NewChaCha8(RandomSeed()))
	}
	h := &Handlespace{own: own, rnd: rnd, stats: make(map[rserpool.RegistrarID]ownerStat),
		byHandle: make(map[rserpool.PoolHandle]*pool)}
	h.pools.Init(poolOps{})
	return h
}

// RandomSeed returns a seed for a ChaCha8 source from math/rand/v2's
// global generator, which the runtime seeds from the system's randomness.
// Selection needs unpredictable, not secret, numbers: crypto/rand would
// link the FIPS module and its 1 MB of code and tables into the binary.
func RandomSeed() [32]byte {
	var b [32]byte
	for i := 0; i < len(b); i += 8 {
		v := mrand.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// OwnID returns the registrar identifier the handlespace counts as "own".
func (h *Handlespace) OwnID() rserpool.RegistrarID { return h.own }

// Pools returns the number of pools.
func (h *Handlespace) Pools() int { return h.pools.Len() }

// PEs returns the number of PEs.
func (h *Handlespace) PEs() int { return h.n }

// OwnedPEs returns the number of PEs whose home is this registrar.
func (h *Handlespace) OwnedPEs() int { return h.stats[h.own].n }

// PEsOwnedBy returns the number of PEs whose home is the registrar id.
func (h *Handlespace) PEsOwnedBy(id rserpool.RegistrarID) int { return h.stats[id].n }

// OwnershipChecksum returns the checksum accumulator over the PEs owned by
// the registrar id (what that registrar's Presence should carry).
func (h *Handlespace) OwnershipChecksum(id rserpool.RegistrarID) Checksum { return h.stats[id].sum }

// OwnChecksum returns the checksum accumulator over this registrar's PEs,
// the value its own Presence messages carry.
func (h *Handlespace) OwnChecksum() Checksum { return h.stats[h.own].sum }

// HandlespaceChecksum returns the accumulator over all PEs.
func (h *Handlespace) HandlespaceChecksum() Checksum { return h.total }

func (h *Handlespace) findPool(handle rserpool.PoolHandle) *pool { return h.byHandle[handle] }

// Pool describes the pool with the given handle.
func (h *Handlespace) Pool(handle rserpool.PoolHandle) (PoolInfo, bool) {
	p := h.findPool(handle)
	if p == nil {
		return PoolInfo{}, false
	}
	return p.info(), true
}

func (p *pool) info() PoolInfo {
	return PoolInfo{Handle: p.handle, Policy: p.pol.Type(), Protocol: p.protocol,
		ControlChannel: p.controlChannel, PEs: p.index.Len()}
}

// Find returns the PE (handle, id), or nil.
func (h *Handlespace) Find(handle rserpool.PoolHandle, id rserpool.PEID) *PE {
	p := h.findPool(handle)
	if p == nil {
		return nil
	}
	return p.find(id)
}

func (p *pool) find(id rserpool.PEID) *PE {
	pe, _ := p.index.Find(id)
	return pe
}

// inHandlespace reports whether pe is (still) in its pool.
func (pe *PE) inHandlespace() bool { return pe.flags&flagLinked != 0 }

// Register adds the PE e to the pool handle, or updates it if (handle, e.ID)
// exists, with RSPLIB's checks and re-registration semantics (asap.md §4.2
// step 6 and §4.3, policies.md §2.1 and §4). It reports whether the PE is
// new. On failure the handlespace is unchanged and err is the rserpool.Cause
// to report.
//
// The home registrar is e.Home (the ASAP layer passes its own id, the ENRP
// layer the advertised one); e.HasRegistrator says whether e.Registrator is
// set. assoc binds the PE to an ASAP association (0 = none). The transports
// are copied. A new pool takes its policy type, protocol and control-channel
// flag from its first PE.
//
// On an update: the policy settings are replaced and, if a value changed or
// the PE's Degradation is not 0, Degradation is reset, the WRR virtual
// counter is clipped to the new weight and the PE is re-sorted (sequence
// number kept); transports, association binding and home are replaced; the
// purge mark is cleared; registration life, unreachability reports and the
// timer are kept.
func (h *Handlespace) Register(handle rserpool.PoolHandle, e *rserpool.PoolElement, assoc AssocID) (pe *PE, isNew bool, err error) {
	if !handle.Valid() {
		return nil, false, rserpool.CauseInvalidPoolHandle
	}
	pol := policy.Get(e.Policy.Type)
	if pol == nil {
		return nil, false, rserpool.CauseInvalidPoolPolicy
	}
	p := h.findPool(handle)
	cause := rserpool.CauseOkay
	if p == nil {
		cause = e.CheckAgainst(e.Traits())
	} else {
		cause = e.CheckAgainst(rserpool.PoolTraits{Protocol: p.protocol, ControlChannel: p.controlChannel, Policy: p.pol.Type()})
	}
	if cause != rserpool.CauseOkay {
		return nil, false, cause
	}
	if p == nil {
		p = &pool{handle: handle, pol: pol, hs: h, protocol: e.User.Protocol,
			controlChannel: e.User.ControlChannel, seq: policy.SeqStart}
		h.pools.Insert(p)
		h.byHandle[handle] = p
	} else if pe = p.find(e.ID); pe != nil {
		h.update(pe, e, assoc)
		return pe, false, nil
	}
	return h.add(p, e, assoc), true, nil
}

func (h *Handlespace) add(p *pool, e *rserpool.PoolElement, assoc AssocID) *PE {
	pe := &PE{pool: p, elem: *e, flags: flagLinked}
	pe.elem.User = e.User.Clone()
	if e.HasRegistrator {
		pe.elem.Registrator = e.Registrator.Clone()
	} else {
		pe.elem.Registrator = rserpool.Transport{}
	}
	var first *policy.State
	if f := p.firstSelected(); f != nil {
		first = &f.state
	}
	if p.seq+1 < p.seq {
		p.resequence()
	}
	p.index.Insert(e.ID, 0, pe)
	pe.state.Seq = p.seq
	p.seq++
	p.pol.Initialize(&pe.elem.Policy, &pe.state, first)
	p.link(pe)

	h.n++
	sum := PEChecksum(p.handle, e.ID)
	h.total += sum
	if pe.elem.Home != 0 {
		h.owners.insert(ownerKey(pe), pe)
		h.ownerAdd(pe.elem.Home, sum)
	}
	h.bind(pe, assoc)
	return pe
}

func (h *Handlespace) update(pe *PE, e *rserpool.PoolElement, assoc AssocID) {
	p := pe.pool
	pe.flags &^= flagMarked
	if settingsDiffer(&pe.elem.Policy, &e.Policy) || pe.state.Degradation != 0 {
		p.unlink(pe)
		pe.elem.Policy = e.Policy
		pe.state.Degradation = 0
		pe.state.Virtual = min(pe.state.Virtual, e.Policy.Weight)
		p.link(pe)
	}
	h.bind(pe, assoc)
	h.setHome(pe, e.Home)
	if !pe.elem.User.Equal(&e.User) {
		pe.elem.User = e.User.Clone()
	}
	switch {
	case !e.HasRegistrator:
		pe.elem.HasRegistrator, pe.elem.Registrator = false, rserpool.Transport{}
	case !pe.elem.HasRegistrator || !pe.elem.Registrator.Equal(&e.Registrator):
		pe.elem.HasRegistrator, pe.elem.Registrator = true, e.Registrator.Clone()
	}
}

// settingsDiffer is RSPLIB's poolPolicySettingsComparison: the type is not
// compared (a different type was rejected before).
func settingsDiffer(a, b *rserpool.PolicySettings) bool {
	return a.Weight != b.Weight || a.Load != b.Load || a.LoadDegradation != b.LoadDegradation ||
		a.LoadDPF != b.LoadDPF || a.WeightDPF != b.WeightDPF || a.Distance != b.Distance
}

// bind moves the PE's association binding.
func (h *Handlespace) bind(pe *PE, assoc AssocID) {
	if assoc == pe.assoc {
		return
	}
	if pe.assoc != 0 {
		h.conns.remove(connKey(pe), pe)
	}
	pe.assoc = assoc
	if assoc != 0 {
		h.conns.insert(connKey(pe), pe)
	}
}

// setHome changes the PE's home registrar, keeping the ownership set and the
// per-owner counts and checksums in step.
func (h *Handlespace) setHome(pe *PE, home rserpool.RegistrarID) {
	old := pe.elem.Home
	if home == old {
		return
	}
	sum := pe.Checksum()
	if old != 0 {
		h.owners.remove(ownerKey(pe), pe)
		h.ownerSub(old, sum)
	}
	pe.elem.Home = home
	if home != 0 {
		h.owners.insert(ownerKey(pe), pe)
		h.ownerAdd(home, sum)
	}
}

func (h *Handlespace) ownerAdd(id rserpool.RegistrarID, c Checksum) {
	s := h.stats[id]
	s.n++
	s.sum += c
	h.stats[id] = s
}

func (h *Handlespace) ownerSub(id rserpool.RegistrarID, c Checksum) {
	s := h.stats[id]
	if s.n <= 1 {
		delete(h.stats, id)
		return
	}
	s.n--
	s.sum -= c
	h.stats[id] = s
}

// Remove deletes the PE from the handlespace (and its pool, if it was the
// last PE). It reports false if the PE was not in the handlespace.
func (h *Handlespace) Remove(pe *PE) bool {
	p := pe.pool
	if p == nil || !pe.inHandlespace() {
		return false
	}
	h.StopTimer(pe)
	sum := pe.Checksum()
	if pe.elem.Home != 0 {
		h.owners.remove(ownerKey(pe), pe)
		h.ownerSub(pe.elem.Home, sum)
	}
	if pe.assoc != 0 {
		h.conns.remove(connKey(pe), pe)
	}
	p.unlink(pe)
	p.index.Remove(pe.elem.ID)
	pe.flags &^= flagLinked
	h.n--
	h.total -= sum
	if p.index.Len() == 0 {
		h.pools.Remove(p)
		delete(h.byHandle, p.handle)
	}
	return true
}

// Deregister removes the PE (handle, id) and returns it, or nil if there is
// no such PE.
func (h *Handlespace) Deregister(handle rserpool.PoolHandle, id rserpool.PEID) *PE {
	pe := h.Find(handle, id)
	if pe != nil {
		h.Remove(pe)
	}
	return pe
}

// ReportUnreachable counts one Endpoint Unreachable report for the PE and
// returns the new count. The count lives as long as the PE entry.
func (h *Handlespace) ReportUnreachable(pe *PE) uint32 {
	pe.unreach++
	return pe.unreach
}

// SetHome changes the home registrar of one PE (ownership checksums and
// counts follow). It does nothing for a PE that is not in the handlespace.
func (h *Handlespace) SetHome(pe *PE, home rserpool.RegistrarID) {
	if pe.pool != nil && pe.inHandlespace() {
		h.setHome(pe, home)
	}
}
