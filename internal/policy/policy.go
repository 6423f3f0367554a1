// Package policy defines the pool member selection policies of RSPLIB: for
// every policy type its selection method (sorted order or weighted random),
// its sort key or selection weight, its state hooks and its default
// maxIncrement, reproducing RSPLIB's registrar bit for bit where that is
// observable and sensible (see docs/compatibility.md, "Handlespace and pool
// policies", for the deliberate differences).
//
// The package holds pure functions over a PE's policy settings and its
// per-PE selection State; the selection drivers that walk a pool's trees live
// in the handlespace package, which calls the hooks here in RSPLIB's order:
//
//   - a new PE: Seq from the pool counter, counters zeroed, Initialize, then
//     it is linked (OnLink runs, then its Key or Value is computed);
//   - a sorted selection: for each of the first min(returned, maxIncrement)
//     PEs: unlink, new Seq, Selections++, OnSelect, link (OnLink again);
//   - a weighted selection: each pick gets a new Seq and Selections++, the
//     first maxIncrement picks get OnSelect; picks are excluded until the end
//     of the selection and then linked again (OnLink, Value recomputed);
//   - a re-registration that changes a policy value or finds a non-zero
//     Degradation: settings copied, Degradation = 0, Virtual clipped to the
//     new weight, unlink and link (OnLink).
//
// RSPLIB calls one Update function both on link and on selection, which makes
// the degradation and round-robin counters advance twice per selection; OnLink
// and OnSelect are separate here only so that the two randomised degradation
// policies, where RSPLIB's missing update is a bug, can advance once.
package policy

import (
	"math"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Rand is the random source of the weighted random policies. Tests inject a
// deterministic source; the daemon uses a crypto-seeded one.
type Rand interface{ Uint64() uint64 }

// Kind is a policy's selection method.
type Kind uint8

// Selection methods.
const (
	// Sorted policies return the first PEs of the pool in Key order (ties by
	// Seq) and move the returned ones back.
	Sorted Kind = iota + 1
	// Weighted policies draw PEs with probability proportional to Value, in a
	// tree ordered by PE identifier, without repetition within one answer.
	Weighted
)

// SeqStart is the first sequence number of a new pool. RSPLIB starts close to
// the wrap on purpose so that resequencing is exercised early.
const SeqStart uint32 = 0xFFFFFFF0

// State is a PE's selection state (RSPLIB PoolElementNode fields).
type State struct {
	// Seq is the tie-breaker: the pool counter at insertion or at the last
	// selection of this PE. Unique within a pool.
	Seq uint32
	// Round and Virtual are the weighted round robin counters.
	Round   uint32
	Virtual uint32
	// Degradation is the load degradation accumulated by selections.
	Degradation uint32
	// Selections counts how often the PE was returned (statistics only).
	Selections uint64
}

// Policy describes one policy type.
type Policy struct {
	typ       rserpool.PolicyType
	kind      Kind
	defaultMI int
	key       func(ps *rserpool.PolicySettings, st *State) uint64
	value     func(ps *rserpool.PolicySettings, st *State) uint64
	onLink    func(ps *rserpool.PolicySettings, st *State)
	onSelect  func(ps *rserpool.PolicySettings, st *State)
	wrr       bool
}

// Get returns the policy of a type, or nil if the handlespace does not know
// the type (RSPLIB then answers CauseInvalidPoolPolicy).
func Get(t rserpool.PolicyType) *Policy {
	i, ok := index[t]
	if !ok {
		return nil
	}
	return &table[i]
}

// Type returns the policy type code.
func (p *Policy) Type() rserpool.PolicyType { return p.typ }

// Kind returns the selection method.
func (p *Policy) Kind() Kind { return p.kind }

// DefaultMaxIncrement applies when the registrar's maxIncrement is 0: the
// number of returned PEs whose state advances per selection (0 for the
// purely random policies: none).
func (p *Policy) DefaultMaxIncrement() int { return p.defaultMI }

// Key returns a sorted policy's primary sort key: PEs are ordered by
// (Key, Seq) ascending. Only meaningful for Kind Sorted.
func (p *Policy) Key(ps *rserpool.PolicySettings, st *State) uint64 {
	if p.key == nil {
		return 0
	}
	return p.key(ps, st)
}

// Value returns a weighted policy's selection weight. Only meaningful for
// Kind Weighted.
func (p *Policy) Value(ps *rserpool.PolicySettings, st *State) uint64 {
	if p.value == nil {
		return 0
	}
	return p.value(ps, st)
}

// Initialize sets up the state of a PE that is about to be linked into its
// pool for the first time. first is the state of the pool's current first PE
// in selection order, nil if the pool has no other PE.
func (p *Policy) Initialize(ps *rserpool.PolicySettings, st *State, first *State) {
	if !p.wrr {
		return
	}
	// A newcomer joins the current round so that it neither starves nor
	// takes over the pool.
	st.Round = SeqStart
	if first != nil {
		st.Round = first.Round
	}
	st.Virtual = ps.Weight
}

// OnLink runs whenever the PE is linked into the pool's selection set
// (RSPLIB's Update call in poolNodeLinkPoolElementNodeToSelection).
func (p *Policy) OnLink(ps *rserpool.PolicySettings, st *State) {
	if p.onLink != nil {
		p.onLink(ps, st)
	}
}

// OnSelect runs for each of the first maxIncrement selected PEs.
func (p *Policy) OnSelect(ps *rserpool.PolicySettings, st *State) {
	if p.onSelect != nil {
		p.onSelect(ps, st)
	}
}

// NeedsRebase is weighted round robin's PrepareSelection test: given the
// Round of the pool's first PE in selection order (or nil for an empty
// pool), it reports whether every PE's Round must be reduced by the first
// PE's Round before selecting, because the next two increments could wrap.
func (p *Policy) NeedsRebase(first *State) bool {
	if !p.wrr {
		return false
	}
	cur := SeqStart
	if first != nil {
		cur = first.Round
	}
	return cur+2 < cur
}

// UsesRounds reports whether the policy keeps WRR round counters (and so has
// Initialize and NeedsRebase behaviour).
func (p *Policy) UsesRounds() bool { return p.wrr }

// String returns RSPLIB's name of the policy.
func (p *Policy) String() string { return p.typ.String() }

const maxValue = rserpool.PolicyValueMax

// sum3 is RSPLIB's getSum: a 64-bit sum clamped to [0, MAX].
func sum3(a, b, c uint32) uint64 {
	return min(uint64(a)+uint64(b)+uint64(c), maxValue)
}

// fraction is RSPLIB's getValueFraction: MAX minus the parts, computed in
// signed 64 bits and clamped to [1, MAX] so that a fully loaded PE keeps a
// tiny chance instead of none.
func fraction(a, b, c uint32) uint64 {
	v := int64(maxValue) - int64(a) - int64(b) - int64(c)
	return uint64(max(v, 1)) // v can never exceed MAX
}

// dpfKey is the sort key of the distance-penalty-factor policies:
// rint(base + Distance*LoadDPF/MAX*MAX) clamped to MAX, in double precision.
// base is the sum of the load terms, already added left to right in double
// precision as RSPLIB does. The explicit float64 conversions keep the Go
// compiler from fusing the multiply and add on architectures with FMA, which
// could change the last bit.
func dpfKey(base float64, ps *rserpool.PolicySettings) uint64 {
	dpf := float64(float64(ps.Distance) * float64(float64(ps.LoadDPF)/float64(maxValue)))
	v := math.RoundToEven(base + float64(dpf*float64(maxValue)))
	if v >= float64(maxValue) {
		return maxValue
	}
	return uint64(v)
}

// wrdpfValue is WeightedRandomDPF's weight: Weight minus the distance
// penalty. A negative result becomes 1 but an exact 0 stays 0, as in RSPLIB.
func wrdpfValue(ps *rserpool.PolicySettings, _ *State) uint64 {
	dpf := float64(float64(ps.Distance) * float64(float64(ps.WeightDPF)/float64(maxValue)))
	penalty := math.RoundToEven(float64(float64(ps.Weight) * dpf))
	if penalty > float64(ps.Weight) {
		return 1
	}
	return uint64(ps.Weight) - uint64(penalty)
}

// wrrUpdate spends one virtual slot of the current round, or starts the PE's
// next round. A weight of 0 therefore behaves like 1.
func wrrUpdate(ps *rserpool.PolicySettings, st *State) {
	if st.Virtual > 1 {
		st.Virtual--
	} else {
		st.Round++
		st.Virtual = ps.Weight
	}
}

func degrade(ps *rserpool.PolicySettings, st *State) {
	st.Degradation = uint32(sum3(st.Degradation, ps.LoadDegradation, 0))
}

var table = []Policy{
	{typ: rserpool.PolicyRoundRobin, kind: Sorted, defaultMI: 1,
		key: func(*rserpool.PolicySettings, *State) uint64 { return 0 }},
	{typ: rserpool.PolicyWeightedRoundRobin, kind: Sorted, defaultMI: 1, wrr: true,
		key: func(_ *rserpool.PolicySettings, st *State) uint64 {
			return uint64(st.Round)<<32 | uint64(st.Virtual)
		},
		onLink: wrrUpdate, onSelect: wrrUpdate},
	{typ: rserpool.PolicyRandom, kind: Weighted, defaultMI: 0,
		value: func(*rserpool.PolicySettings, *State) uint64 { return 1 }},
	{typ: rserpool.PolicyWeightedRandom, kind: Weighted, defaultMI: 0,
		value: func(ps *rserpool.PolicySettings, _ *State) uint64 { return uint64(ps.Weight) }},
	{typ: rserpool.PolicyPriority, kind: Sorted, defaultMI: 1,
		// Higher priority first.
		key: func(ps *rserpool.PolicySettings, _ *State) uint64 { return uint64(^ps.Weight) }},
	{typ: rserpool.PolicyLeastUsed, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, _ *State) uint64 { return uint64(ps.Load) }},
	{typ: rserpool.PolicyLeastUsedDegradation, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, st *State) uint64 {
			return sum3(ps.Load, st.Degradation, 0)
		},
		onLink: degrade, onSelect: degrade},
	{typ: rserpool.PolicyPriorityLeastUsed, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, _ *State) uint64 {
			return sum3(ps.Load, ps.LoadDegradation, 0)
		}},
	{typ: rserpool.PolicyRandomizedLeastUsed, kind: Weighted, defaultMI: 1,
		value: func(ps *rserpool.PolicySettings, _ *State) uint64 { return fraction(ps.Load, 0, 0) }},
	{typ: rserpool.PolicyRandomizedPriorityLeastUsed, kind: Weighted, defaultMI: 1,
		value: func(ps *rserpool.PolicySettings, _ *State) uint64 {
			return fraction(ps.Load, ps.LoadDegradation, 0)
		}},
	// RSPLIB never advances Degradation for the two randomised degradation
	// policies, so they collapse into their non-degrading variants; here a
	// selection degrades the PE once (compatibility.md).
	{typ: rserpool.PolicyRandomizedLeastUsedDegradation, kind: Weighted, defaultMI: 1,
		value: func(ps *rserpool.PolicySettings, st *State) uint64 {
			return fraction(ps.Load, st.Degradation, 0)
		},
		onSelect: degrade},
	{typ: rserpool.PolicyPriorityLeastUsedDegradation, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, st *State) uint64 {
			return sum3(ps.Load, ps.LoadDegradation, st.Degradation)
		},
		onLink: degrade, onSelect: degrade},
	{typ: rserpool.PolicyRandomizedPriorityLeastUsedDegradation, kind: Weighted, defaultMI: 1,
		value: func(ps *rserpool.PolicySettings, st *State) uint64 {
			return fraction(ps.Load, ps.LoadDegradation, st.Degradation)
		},
		onSelect: degrade},
	{typ: rserpool.PolicyWeightedRandomDPF, kind: Weighted, defaultMI: 0,
		value: wrdpfValue},
	{typ: rserpool.PolicyLeastUsedDPF, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, _ *State) uint64 {
			return dpfKey(float64(ps.Load), ps)
		}},
	{typ: rserpool.PolicyLeastUsedDegradationDPF, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, st *State) uint64 {
			return dpfKey(float64(float64(ps.Load)+float64(st.Degradation)), ps)
		},
		onLink: degrade, onSelect: degrade},
	{typ: rserpool.PolicyPriorityLeastUsedDPF, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, _ *State) uint64 {
			return dpfKey(float64(float64(ps.Load)+float64(ps.LoadDegradation)), ps)
		}},
	{typ: rserpool.PolicyPriorityLeastUsedDegradationDPF, kind: Sorted, defaultMI: 1,
		key: func(ps *rserpool.PolicySettings, st *State) uint64 {
			return dpfKey(float64(float64(float64(ps.Load)+float64(ps.LoadDegradation))+float64(st.Degradation)), ps)
		},
		onLink: degrade, onSelect: degrade},
}

var index = func() map[rserpool.PolicyType]int {
	m := make(map[rserpool.PolicyType]int, len(table))
	for i, p := range table {
		m[p.typ] = i
	}
	return m
}()
