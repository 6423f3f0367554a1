package handlespace

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/rserpool/rspregistrar/internal/policy"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// The model is a naive transcription of RSPLIB's handlespace code
// (poolhandlespacenode, poolnode, poolelementnode, poolpolicy templates):
// plain maps and slices, sort orders recomputed from the policy functions on
// every use, PEs really unlinked during weighted selections. It shares only
// the per-PE policy functions with the real implementation, so it checks the
// trees, the cached keys, the selection drivers and all the bookkeeping.

type mPE struct {
	handle   rserpool.PoolHandle
	elem     rserpool.PoolElement
	st       policy.State
	value    uint64 // weighted policies: stored on link
	assoc    AssocID
	marked   bool
	unreach  uint32
	timer    TimerCode
	timerTS  int64
	linked   bool
	checksum Checksum
}

type mPool struct {
	handle   rserpool.PoolHandle
	pol      *policy.Policy
	protocol rserpool.Protocol
	cc       bool
	seq      uint32
	pes      map[rserpool.PEID]*mPE
}

type model struct {
	own   rserpool.RegistrarID
	rnd   policy.Rand
	pools map[rserpool.PoolHandle]*mPool
}

func newModel(own rserpool.RegistrarID, rnd policy.Rand) *model {
	return &model{own: own, rnd: rnd, pools: map[rserpool.PoolHandle]*mPool{}}
}

// selection returns the linked PEs in selection order, computed afresh.
func (p *mPool) selection() []*mPE {
	var out []*mPE
	for _, x := range p.pes {
		if x.linked {
			out = append(out, x)
		}
	}
	if p.pol.Kind() == policy.Weighted {
		slices.SortFunc(out, func(a, b *mPE) int { return cmpID(a.elem.ID, b.elem.ID) })
		return out
	}
	slices.SortFunc(out, func(a, b *mPE) int {
		ka, kb := p.pol.Key(&a.elem.Policy, &a.st), p.pol.Key(&b.elem.Policy, &b.st)
		if ka != kb {
			return cmpU64(ka, kb)
		}
		return cmpU64(uint64(a.st.Seq), uint64(b.st.Seq))
	})
	return out
}

func (p *mPool) link(x *mPE) {
	p.pol.OnLink(&x.elem.Policy, &x.st)
	x.value = p.pol.Value(&x.elem.Policy, &x.st)
	x.linked = true
}

func (p *mPool) resequence() {
	p.seq = 0
	for _, x := range p.selection() {
		x.st.Seq = p.seq
		p.seq++
	}
}

func (m *model) register(handle rserpool.PoolHandle, e *rserpool.PoolElement, assoc AssocID) (*mPE, bool, rserpool.Cause) {
	if !handle.Valid() {
		return nil, false, rserpool.CauseInvalidPoolHandle
	}
	pol := policy.Get(e.Policy.Type)
	if pol == nil {
		return nil, false, rserpool.CauseInvalidPoolPolicy
	}
	p := m.pools[handle]
	if p == nil {
		p = &mPool{handle: handle, pol: pol, protocol: e.User.Protocol, cc: e.User.ControlChannel,
			seq: policy.SeqStart, pes: map[rserpool.PEID]*mPE{}}
	}
	if c := e.CheckAgainst(rserpool.PoolTraits{Protocol: p.protocol, ControlChannel: p.cc, Policy: p.pol.Type()}); c != rserpool.CauseOkay {
		return nil, false, c
	}
	m.pools[handle] = p
	if x := p.pes[e.ID]; x != nil {
		x.marked = false
		if settingsDiffer(&x.elem.Policy, &e.Policy) || x.st.Degradation != 0 {
			x.elem.Policy = e.Policy
			x.st.Degradation = 0
			if x.st.Virtual > e.Policy.Weight {
				x.st.Virtual = e.Policy.Weight
			}
			x.linked = false
			p.link(x)
		}
		x.assoc = assoc
		x.elem.Home = e.Home
		x.elem.User = e.User.Clone()
		x.elem.HasRegistrator = e.HasRegistrator
		x.elem.Registrator = rserpool.Transport{}
		if e.HasRegistrator {
			x.elem.Registrator = e.Registrator.Clone()
		}
		return x, false, rserpool.CauseOkay
	}
	x := &mPE{handle: handle, elem: *e, assoc: assoc, checksum: PEChecksum(handle, e.ID)}
	x.elem.User = e.User.Clone()
	x.elem.Registrator = rserpool.Transport{}
	if e.HasRegistrator {
		x.elem.Registrator = e.Registrator.Clone()
	}
	p.pes[e.ID] = x
	if p.seq+1 < p.seq {
		p.resequence()
	}
	x.st.Seq = p.seq
	p.seq++
	var first *policy.State
	if sel := p.selection(); len(sel) > 0 {
		first = &sel[0].st
	}
	p.pol.Initialize(&x.elem.Policy, &x.st, first)
	p.link(x)
	return x, true, rserpool.CauseOkay
}

func (m *model) remove(x *mPE) {
	p := m.pools[x.handle]
	delete(p.pes, x.elem.ID)
	if len(p.pes) == 0 {
		delete(m.pools, x.handle)
	}
}

func (m *model) resolve(handle rserpool.PoolHandle, items, maxInc int) ([]*mPE, rserpool.Cause) {
	p := m.pools[handle]
	if p == nil {
		return nil, rserpool.CauseNotFound
	}
	if maxInc == 0 {
		maxInc = p.pol.DefaultMaxIncrement()
	}
	if p.seq+uint32(items) < p.seq {
		p.resequence()
	}
	var out []*mPE
	if p.pol.Kind() == policy.Sorted {
		if sel := p.selection(); p.pol.UsesRounds() && len(sel) > 0 && p.pol.NeedsRebase(&sel[0].st) {
			low := sel[0].st.Round
			for _, x := range sel {
				x.st.Round -= low
			}
		}
		sel := p.selection()
		out = sel[:min(items, len(sel))]
		for i := 0; i < len(out) && i < maxInc; i++ {
			x := out[i]
			x.linked = false
			x.st.Seq = p.seq
			p.seq++
			x.st.Selections++
			p.pol.OnSelect(&x.elem.Policy, &x.st)
			p.link(x)
		}
		return out, rserpool.CauseOkay
	}
	n := len(p.selection())
	for i := 0; i < min(n, items); i++ {
		sel := p.selection()
		var sum uint64
		for _, x := range sel {
			sum += x.value
		}
		if sum < 1 {
			break
		}
		r := m.rnd.Uint64() % sum
		var pick *mPE
		for _, x := range sel {
			if r < x.value {
				pick = x
				break
			}
			r -= x.value
		}
		pick.st.Seq = p.seq
		p.seq++
		pick.st.Selections++
		if len(out) < maxInc {
			p.pol.OnSelect(&pick.elem.Policy, &pick.st)
		}
		pick.linked = false
		out = append(out, pick)
	}
	for _, x := range out {
		p.link(x)
	}
	return out, rserpool.CauseOkay
}

func (m *model) all() []*mPE {
	var out []*mPE
	for _, p := range m.pools {
		for _, x := range p.pes {
			out = append(out, x)
		}
	}
	return out
}

func cmpGlobal(a, b *mPE) int {
	if c := a.handle.Compare(b.handle); c != 0 {
		return c
	}
	return cmpID(a.elem.ID, b.elem.ID)
}

func cmpOwnership(a, b *mPE) int {
	if a.elem.Home != b.elem.Home {
		return cmpU64(uint64(a.elem.Home), uint64(b.elem.Home))
	}
	if a.elem.ID != b.elem.ID {
		return cmpID(a.elem.ID, b.elem.ID)
	}
	return a.handle.Compare(b.handle)
}

func peString(handle rserpool.PoolHandle, e *rserpool.PoolElement, st policy.State, assoc AssocID, marked bool,
	unreach uint32, timer TimerCode, ts int64, weight uint64) string {
	return fmt.Sprintf("%s/%d home=%s life=%d assoc=%d marked=%v ur=%d timer=%d@%d st=%+v w=%d user=%v reg=%v/%v pol=%+v",
		handle, e.ID, e.Home, e.RegistrationLife, assoc, marked, unreach, timer, ts, st, weight,
		e.User, e.HasRegistrator, e.Registrator, e.Policy)
}

func (x *mPE) String() string {
	w := uint64(0)
	if policy.Get(x.elem.Policy.Type).Kind() == policy.Weighted {
		w = x.value
	}
	return peString(x.handle, &x.elem, x.st, x.assoc, x.marked, x.unreach, x.timer, x.timerTS, w)
}

func describe(e *PE) string {
	if e == nil {
		return "<nil>"
	}
	code, ts := e.Timer()
	return peString(e.Handle(), e.Element(), e.State(), e.assoc, e.Marked(), e.unreach, code, ts, e.Weight())
}

func strs[T any](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		switch v := any(x).(type) {
		case *PE:
			out[i] = describe(v)
		case *mPE:
			out[i] = v.String()
		}
	}
	return out
}

// compare checks that the handlespace and the model hold the same state.
func compare(h *Handlespace, m *model) error {
	if err := h.Check(); err != nil {
		return err
	}
	want := m.all()
	slices.SortFunc(want, cmpGlobal)
	var got []*PE
	for x := range h.All(Cursor{}) {
		got = append(got, x)
	}
	if !samePEs(got, want) {
		return fmt.Errorf("handlespace differs:\n got  %v\n want %v", strs(got), strs(want))
	}
	for handle, p := range m.pools {
		if g, w := ids(h.Selection(nil, handle)), p.selection(); fmt.Sprint(g) != fmt.Sprint(mIDs(w)) {
			return fmt.Errorf("pool %s selection order %v, model %v", handle, g, mIDs(w))
		}
	}
	slices.SortFunc(want, cmpOwnership)
	var owned []*PE
	for _, id := range []rserpool.RegistrarID{own, other, third} {
		owned = h.OwnedBy(owned, id)
		var sum Checksum
		n := 0
		for _, x := range want {
			if x.elem.Home == id {
				sum += x.checksum
				n++
			}
		}
		if h.OwnershipChecksum(id) != sum || h.PEsOwnedBy(id) != n {
			return fmt.Errorf("owner %s: checksum/count %08x/%d, model %08x/%d", id,
				uint32(h.OwnershipChecksum(id)), h.PEsOwnedBy(id), uint32(sum), n)
		}
	}
	var wantOwned []*mPE
	for _, x := range want {
		if x.elem.Home == own || x.elem.Home == other || x.elem.Home == third {
			wantOwned = append(wantOwned, x)
		}
	}
	if !samePEs(owned, wantOwned) {
		return fmt.Errorf("ownership order differs:\n got  %v\n want %v", strs(owned), strs(wantOwned))
	}
	if h.Pools() != len(m.pools) || h.PEs() != len(want) || h.OwnedPEs() != h.PEsOwnedBy(own) {
		return fmt.Errorf("counts: pools %d/%d PEs %d/%d", h.Pools(), len(m.pools), h.PEs(), len(want))
	}
	return nil
}

// samePEs compares without formatting, which would dominate the run time.
func samePEs(got []*PE, want []*mPE) bool {
	if len(got) != len(want) {
		return false
	}
	for i, e := range got {
		x := want[i]
		code, ts := e.Timer()
		a, b := e.Element(), &x.elem
		w := uint64(0)
		if e.pool.isWeighted() {
			w = x.value
		}
		if e.Handle() != x.handle || a.ID != b.ID || a.Home != b.Home || a.RegistrationLife != b.RegistrationLife ||
			a.Policy != b.Policy || !a.User.Equal(&b.User) || a.HasRegistrator != b.HasRegistrator ||
			!a.Registrator.Equal(&b.Registrator) || e.State() != x.st || e.Weight() != w ||
			e.assoc != x.assoc || e.Marked() != x.marked || e.unreach != x.unreach ||
			code != x.timer || ts != x.timerTS {
			return false
		}
	}
	return true
}

func mIDs(xs []*mPE) []uint32 {
	out := make([]uint32, len(xs))
	for i, x := range xs {
		out[i] = uint32(x.elem.ID)
	}
	return out
}

// TestAgainstModel runs long random operation sequences on the handlespace
// and the model, comparing their complete state after every operation.
func TestAgainstModel(t *testing.T) {
	types := rserpool.PolicyTypes()
	for seed := range uint64(len(types)) {
		// Each run concentrates on two policy types, so that pools of those
		// types live long enough for counters to wrap.
		ptypes := []rserpool.PolicyType{types[seed%uint64(len(types))], types[(seed*7+3)%uint64(len(types))]}
		t.Run(fmt.Sprintf("seed%d-%v-%v", seed, ptypes[0], ptypes[1]), func(t *testing.T) {
			runModel(t, seed, ptypes, 1500)
		})
	}
}

func runModel(t *testing.T, seed uint64, ptypes []rserpool.PolicyType, steps int) {
	rng := rand.New(rand.NewPCG(seed, 42))
	h := New(own, rand.New(rand.NewPCG(seed, 7)))
	m := newModel(own, rand.New(rand.NewPCG(seed, 7)))
	handles := []rserpool.PoolHandle{"A", "BB", "B", "pool-\x00\x01"}
	homes := []rserpool.RegistrarID{own, own, other, third}
	small := func(n int) uint32 { return uint32(rng.IntN(n)) }
	randSettings := func(t rserpool.PolicyType) rserpool.PolicySettings {
		ps := rserpool.PolicySettings{Type: t, Weight: small(4), Load: small(3) * 1000,
			LoadDegradation: small(3) * 500, LoadDPF: small(2) << 24, WeightDPF: small(2) << 24, Distance: small(3) * 50}
		if rng.IntN(20) == 0 {
			ps.Load = rserpool.PolicyValueMax - small(2)
			ps.Weight = rserpool.PolicyValueMax
		}
		return ps
	}
	var now int64
	for step := range steps {
		handle := handles[rng.IntN(len(handles))]
		id := rserpool.PEID(rng.IntN(8) + 1)
		var op string
		switch r := rng.IntN(100); {
		case r < 30: // register or re-register
			ptype := ptypes[rng.IntN(len(ptypes))]
			ps := randSettings(ptype)
			if x := m.pools[handle]; x != nil && x.pes[id] != nil && rng.IntN(2) == 0 {
				ps = x.pes[id].elem.Policy // unchanged settings
			}
			e := testPE(uint32(id), ps)
			e.Home = homes[rng.IntN(len(homes))]
			e.RegistrationLife = small(1000)
			e.User.Port = uint16(5000 + small(2))
			if rng.IntN(4) == 0 {
				e.User.Addrs = []netip.Addr{addrB, addrA}
			}
			e.HasRegistrator = rng.IntN(3) != 0
			if rng.IntN(40) == 0 {
				e.User.Protocol = rserpool.ProtocolTCP
			}
			if rng.IntN(40) == 0 {
				e.User.ControlChannel = true
			}
			if rng.IntN(60) == 0 {
				e.ID = 0
			}
			assoc := AssocID(small(3))
			op = fmt.Sprintf("register %s/%d %+v assoc %d", handle, e.ID, ps, assoc)
			pe, isNew, err := h.Register(handle, e, assoc)
			mx, mNew, mc := m.register(handle, e, assoc)
			var cause rserpool.Cause
			if err != nil {
				cause = err.(rserpool.Cause)
			}
			if cause != mc || isNew != mNew || (pe == nil) != (mx == nil) {
				t.Fatalf("step %d %s: got %v/%v, model %v/%v", step, op, isNew, err, mNew, mc)
			}
		case r < 40: // deregister
			op = fmt.Sprintf("deregister %s/%d", handle, id)
			pe := h.Deregister(handle, id)
			var mx *mPE
			if p := m.pools[handle]; p != nil {
				mx = p.pes[id]
			}
			if (pe == nil) != (mx == nil) {
				t.Fatalf("step %d %s: mismatch", step, op)
			}
			if mx != nil {
				m.remove(mx)
			}
		case r < 75: // resolve
			items := rng.IntN(5) + 1
			if rng.IntN(10) == 0 {
				items = 128
			}
			maxInc := rng.IntN(4)
			op = fmt.Sprintf("resolve %s items %d maxInc %d", handle, items, maxInc)
			sel, err := h.Resolve(nil, handle, items, maxInc)
			msel, mc := m.resolve(handle, items, maxInc)
			if (err == nil) != (mc == rserpool.CauseOkay) || fmt.Sprint(ids(sel)) != fmt.Sprint(mIDs(msel)) {
				t.Fatalf("step %d %s: got %v %v, model %v %v", step, op, ids(sel), err, mIDs(msel), mc)
			}
		case r < 82: // timers
			now += int64(rng.IntN(3))
			pe := h.Find(handle, id)
			var mx *mPE
			if p := m.pools[handle]; p != nil {
				mx = p.pes[id]
			}
			if pe != nil {
				code := []TimerCode{TimerNone, TimerExpiry, TimerKeepAliveTransmission, TimerKeepAliveTimeout}[rng.IntN(4)]
				ts := now + int64(rng.IntN(4))
				op = fmt.Sprintf("timer %s/%d %d@%d", handle, id, code, ts)
				h.SetTimer(pe, code, ts)
				mx.timer, mx.timerTS = code, ts
				if code == TimerNone {
					mx.timerTS = 0
				}
			}
			// Pop everything due, in (time, id, handle) order.
			var due []*mPE
			for _, x := range m.all() {
				if x.timer != TimerNone && x.timerTS <= now {
					due = append(due, x)
				}
			}
			slices.SortFunc(due, func(a, b *mPE) int {
				if a.timerTS != b.timerTS {
					return cmpU64(uint64(a.timerTS), uint64(b.timerTS))
				}
				return cmpIDHandle(a, b)
			})
			for _, x := range due {
				pe, code, ts, ok := h.PopDue(now)
				if !ok || pe.ID() != x.elem.ID || pe.Handle() != x.handle || code != x.timer || ts != x.timerTS {
					t.Fatalf("step %d: popped %s, want %v", step, describe(pe), x)
				}
				x.timer, x.timerTS = TimerNone, 0
			}
			if _, _, _, ok := h.PopDue(now); ok {
				t.Fatalf("step %d: extra due timer", step)
			}
		case r < 86: // ownership change
			from, to := homes[rng.IntN(len(homes))], homes[rng.IntN(len(homes))]
			op = fmt.Sprintf("change owner %s -> %s", from, to)
			moved := h.ChangeOwner(nil, from, to)
			var want []*mPE
			for _, x := range m.all() {
				if x.elem.Home == from {
					want = append(want, x)
				}
			}
			slices.SortFunc(want, cmpOwnership)
			if fmt.Sprint(ids(moved)) != fmt.Sprint(mIDs(want)) {
				t.Fatalf("step %d %s: moved %v want %v", step, op, ids(moved), mIDs(want))
			}
			for _, x := range want {
				x.elem.Home = to
			}
		case r < 90: // mark
			owner := homes[rng.IntN(len(homes))]
			op = fmt.Sprintf("mark %s", owner)
			h.Mark(owner)
			for _, x := range m.all() {
				if x.elem.Home == owner {
					x.marked = true
				}
			}
		case r < 93: // purge
			owner := homes[rng.IntN(len(homes))]
			op = fmt.Sprintf("purge %s", owner)
			purged := h.PurgeMarked(nil, owner)
			var want []*mPE
			for _, x := range m.all() {
				if x.elem.Home == owner && x.marked {
					want = append(want, x)
				}
			}
			slices.SortFunc(want, cmpOwnership)
			if fmt.Sprint(ids(purged)) != fmt.Sprint(mIDs(want)) {
				t.Fatalf("step %d %s: purged %v want %v", step, op, ids(purged), mIDs(want))
			}
			for _, x := range want {
				m.remove(x)
			}
		case r < 96: // association lost
			assoc := AssocID(small(3) + 1)
			op = fmt.Sprintf("assoc %d lost", assoc)
			pes := h.OfAssoc(nil, assoc)
			var want []*mPE
			for _, x := range m.all() {
				if x.assoc == assoc {
					want = append(want, x)
				}
			}
			slices.SortFunc(want, cmpIDHandle)
			if !samePEs(pes, want) {
				t.Fatalf("step %d %s: got %v want %v", step, op, strs(pes), strs(want))
			}
			for _, x := range pes {
				h.Remove(x)
			}
			for _, x := range want {
				m.remove(x)
			}
		default: // unreachable report
			op = fmt.Sprintf("unreachable %s/%d", handle, id)
			if pe := h.Find(handle, id); pe != nil {
				mx := m.pools[handle].pes[id]
				mx.unreach++
				if h.ReportUnreachable(pe) != mx.unreach {
					t.Fatalf("step %d %s: counter", step, op)
				}
			}
		}
		if err := compare(h, m); err != nil {
			t.Fatalf("step %d (%s): %v", step, op, err)
		}
	}
}

func cmpIDHandle(a, b *mPE) int {
	if a.elem.ID != b.elem.ID {
		return cmpID(a.elem.ID, b.elem.ID)
	}
	return a.handle.Compare(b.handle)
}

// FuzzAgainstModel explores further operation sequences against the model.
func FuzzAgainstModel(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(1))
	f.Add(uint64(99), uint8(1), uint8(13))
	f.Fuzz(func(t *testing.T, seed uint64, a, b uint8) {
		types := rserpool.PolicyTypes()
		ptypes := []rserpool.PolicyType{types[int(a)%len(types)], types[int(b)%len(types)]}
		runModel(t, seed, ptypes, 300)
	})
}

// TestLargePools compares the handlespace with the model on pools of a few
// hundred PEs, whose sets are B+ trees of several levels: resolutions of up
// to 200 items (beyond the picks that selectWeighted steps over), updates
// and churn, round counters that reach their wrap, and sequence numbers
// renumbered in a large pool.
func TestLargePools(t *testing.T) {
	types := []rserpool.PolicyType{rserpool.PolicyRoundRobin, rserpool.PolicyWeightedRoundRobin,
		rserpool.PolicyWeightedRandom, rserpool.PolicyLeastUsed, rserpool.PolicyLeastUsedDegradation,
		rserpool.PolicyRandomizedLeastUsedDegradation, rserpool.PolicyRandom}
	for i, ptype := range types {
		t.Run(ptype.String(), func(t *testing.T) {
			seed := uint64(i)
			rng := rand.New(rand.NewPCG(seed, 1))
			h := New(own, rand.New(rand.NewPCG(seed, 2)))
			m := newModel(own, rand.New(rand.NewPCG(seed, 2)))
			const handle = rserpool.PoolHandle("large")
			settings := func() rserpool.PolicySettings {
				return rserpool.PolicySettings{Type: ptype, Weight: rng.Uint32N(5),
					Load: rng.Uint32N(4) * 1000, LoadDegradation: rng.Uint32N(3) * 100}
			}
			register := func(id uint32, ps rserpool.PolicySettings) {
				e := testPE(id, ps)
				_, isNew, err := h.Register(handle, e, 0)
				_, mNew, mc := m.register(handle, e, 0)
				if err != nil || mc != rserpool.CauseOkay || isNew != mNew {
					t.Fatalf("register %d: %v %v / %v %v", id, isNew, err, mNew, mc)
				}
			}
			peIDs := rng.Perm(1000)[:400]
			for _, id := range peIDs[:300] {
				register(uint32(id+1), settings())
			}
			for step := range 1000 {
				switch r := rng.IntN(100); {
				case r < 5: // re-registration with new settings
					register(uint32(peIDs[rng.IntN(300)]+1), settings())
				case r < 10: // churn: deregister one, register another
					a, b := rng.IntN(400), rng.IntN(400)
					pe := h.Deregister(handle, rserpool.PEID(peIDs[a]+1))
					if mx := m.pools[handle].pes[rserpool.PEID(peIDs[a]+1)]; (pe == nil) != (mx == nil) {
						t.Fatalf("step %d: deregister mismatch", step)
					} else if mx != nil {
						m.remove(mx)
					}
					register(uint32(peIDs[b]+1), settings())
				case r < 14 && ptype == rserpool.PolicyWeightedRoundRobin:
					// Move all round counters up to their wrap, keeping
					// their order, so that the next selections rebase them.
					top, low := uint32(0), ^uint32(0)
					for _, x := range m.pools[handle].pes {
						top, low = max(top, x.st.Round), min(low, x.st.Round)
					}
					d := ^uint32(0) - top
					if top-low <= 2 {
						d = ^uint32(0) - 2 - low
					}
					for _, x := range m.pools[handle].pes {
						x.st.Round += d
					}
					p := h.findPool(handle)
					p.sorted.Rewrite(func(_ uint64, seq uint32, x *PE) (uint64, uint32) {
						x.state.Round += d
						return p.pol.Key(&x.elem.Policy, &x.state), seq
					})
				case r < 12: // sequence numbers close to their wrap (never back:
					// that could give two PEs the same number)
					if s := ^uint32(0) - rng.Uint32N(20); s > m.pools[handle].seq {
						h.findPool(handle).seq, m.pools[handle].seq = s, s
					}
				default:
					items := 1 + rng.IntN(5)
					if rng.IntN(40) == 0 {
						items = 30 + rng.IntN(170)
					}
					maxInc := rng.IntN(3)
					if ptype == rserpool.PolicyWeightedRoundRobin {
						// A second PE advanced per selection can wrap
						// its round before the first reaches the rebase.
						maxInc = rng.IntN(2)
					}
					sel, err := h.Resolve(nil, handle, items, maxInc)
					msel, _ := m.resolve(handle, items, maxInc)
					if err != nil || !slices.Equal(ids(sel), mIDs(msel)) {
						t.Fatalf("step %d: resolve %d items: %v %v, model %v", step, items, ids(sel), err, mIDs(msel))
					}
				}
				if step%100 == 0 || step == 999 {
					if err := compare(h, m); err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
				}
			}
		})
	}
}
