package handlespace

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rserpool/rspregistrar/internal/policy"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func settings(t rserpool.PolicyType, f func(i int, ps *rserpool.PolicySettings), n int) []rserpool.PolicySettings {
	out := make([]rserpool.PolicySettings, n)
	for i := range out {
		out[i].Type = t
		if f != nil {
			f(i, &out[i])
		}
	}
	return out
}

func weights(t rserpool.PolicyType, w ...uint32) []rserpool.PolicySettings {
	return settings(t, func(i int, ps *rserpool.PolicySettings) { ps.Weight = w[i] }, len(w))
}

func loads(t rserpool.PolicyType, l ...uint32) []rserpool.PolicySettings {
	return settings(t, func(i int, ps *rserpool.PolicySettings) { ps.Load = l[i] }, len(l))
}

// TestPolicyVectors reproduces every deterministic test vector of
// policies.md §6, observed with RSPLIB's own handlespace code.
func TestPolicyVectors(t *testing.T) {
	rr, wrr, prio := rserpool.PolicyRoundRobin, rserpool.PolicyWeightedRoundRobin, rserpool.PolicyPriority
	tests := []struct {
		name     string
		pes      []rserpool.PolicySettings
		items    int
		maxInc   int
		want     [][]uint32
		repeated int // repeat want this many times (0 = once)
	}{
		{"RR 3 PEs items=1", settings(rr, nil, 3), 1, 0, [][]uint32{{1}, {2}, {3}, {1}, {2}}, 0},
		{"RR 3 PEs items=3", settings(rr, nil, 3), 3, 0, [][]uint32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}}, 0},
		{"RR 4 PEs items=3 maxInc=2", settings(rr, nil, 4), 3, 2, [][]uint32{{1, 2, 3}, {3, 4, 1}, {1, 2, 3}}, 0},
		{"RR 4 PEs items=3 maxInc=5", settings(rr, nil, 4), 3, 5, [][]uint32{{1, 2, 3}, {4, 1, 2}, {3, 4, 1}}, 0},
		{"RR 4 PEs items=3 asap.md", settings(rr, nil, 4), 3, 0, [][]uint32{{1, 2, 3}, {2, 3, 4}, {3, 4, 1}, {4, 1, 2}}, 0},
		{"RR 4 PEs items=3 maxInc=3 asap.md", settings(rr, nil, 4), 3, 3, [][]uint32{{1, 2, 3}, {4, 1, 2}, {3, 4, 1}}, 0},
		{"WRR 1,2,3", weights(wrr, 1, 2, 3), 1, 0,
			[][]uint32{{1}, {2}, {3}, {2}, {3}, {3}, {1}, {2}, {3}, {2}, {3}, {3}}, 0},
		{"WRR 3,1", weights(wrr, 3, 1), 1, 0, [][]uint32{{1}, {2}, {1}, {1}, {1}, {2}, {1}, {1}}, 0},
		{"WRR 1,4", weights(wrr, 1, 4), 1, 0, [][]uint32{{1}, {2}, {2}, {2}, {2}}, 5},
		{"WRR 2,5", weights(wrr, 2, 5), 1, 0, [][]uint32{{1}, {2}, {2}, {1}, {2}, {2}, {2}}, 5},
		{"WRR 0,2", weights(wrr, 0, 2), 1, 0, [][]uint32{{1}, {2}, {2}}, 5},
		{"WRR 1,2,3 items=2", weights(wrr, 1, 2, 3), 2, 0,
			[][]uint32{{1, 2}, {2, 3}, {3, 2}, {2, 3}, {3, 1}, {3, 1}}, 0},
		{"Priority 5,5,9", weights(prio, 5, 5, 9), 1, 0, [][]uint32{{3}}, 10},
		{"Priority 5,5,1", weights(prio, 5, 5, 1), 1, 0, [][]uint32{{1}, {2}}, 5},
		{"Priority 1,5,9 items=3", weights(prio, 1, 5, 9), 3, 0, [][]uint32{{3, 2, 1}}, 5},
		{"LeastUsed 100,100,300", loads(rserpool.PolicyLeastUsed, 100, 100, 300), 1, 0, [][]uint32{{1}, {2}}, 5},
		{"LUD 100,200,300 deg 50", settings(rserpool.PolicyLeastUsedDegradation, func(i int, ps *rserpool.PolicySettings) {
			ps.Load, ps.LoadDegradation = uint32(100*(i+1)), 50
		}, 3), 1, 0, [][]uint32{{1}, {2}, {1}, {3}, {2}, {1}, {3}, {2}, {1}}, 0},
		{"PLU (100,50) vs (120,0)", []rserpool.PolicySettings{
			{Type: rserpool.PolicyPriorityLeastUsed, Load: 100, LoadDegradation: 50},
			{Type: rserpool.PolicyPriorityLeastUsed, Load: 120}}, 1, 0, [][]uint32{{2}}, 10},
		{"PLUD (100,50) vs (200,10)", []rserpool.PolicySettings{
			{Type: rserpool.PolicyPriorityLeastUsedDegradation, Load: 100, LoadDegradation: 50},
			{Type: rserpool.PolicyPriorityLeastUsedDegradation, Load: 200, LoadDegradation: 10}},
			1, 0, [][]uint32{{1}, {2}, {2}, {2}, {2}, {1}}, 0},
		{"LUDPF distance penalty", []rserpool.PolicySettings{
			{Type: rserpool.PolicyLeastUsedDPF, Load: 100000000, LoadDPF: 1 << 24},
			{Type: rserpool.PolicyLeastUsedDPF, Load: 50000000, LoadDPF: 1 << 24, Distance: 50}},
			1, 0, [][]uint32{{1}}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(own, newRand(1))
			mustRegister(t, h, "P", tt.pes...)
			want := tt.want
			for range tt.repeated {
				want = append(want, tt.want...)
			}
			var got [][]uint32
			for range want {
				sel, err := h.Resolve(nil, "P", tt.items, tt.maxInc)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(sel))
				if err := h.Check(); err != nil {
					t.Fatal(err)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}

func degradationOf(h *Handlespace, id uint32) uint32 {
	return h.Find("P", rserpool.PEID(id)).State().Degradation
}

// TestLeastUsedDegradationState checks the degradation values and the
// re-registration reset of policies.md §6 (the double Update of §2.1).
func TestLeastUsedDegradationState(t *testing.T) {
	h := New(own, nil)
	mustRegister(t, h, "P", settings(rserpool.PolicyLeastUsedDegradation, func(i int, ps *rserpool.PolicySettings) {
		ps.Load, ps.LoadDegradation = uint32(100*(i+1)), 50
	}, 3)...)
	for id := uint32(1); id <= 3; id++ {
		if d := degradationOf(h, id); d != 50 {
			t.Fatalf("PE %d: degradation after registration %d, want 50", id, d)
		}
	}
	// Sequence 1|2|1|3|2|1: PE 1 is picked 1st, 3rd and 6th.
	wantAfter := map[int]uint32{0: 150, 2: 250, 5: 350}
	for i := range 6 {
		sel, _ := h.Resolve(nil, "P", 1, 0)
		if w, ok := wantAfter[i]; ok {
			if sel[0].ID() != 1 || degradationOf(h, 1) != w {
				t.Fatalf("selection %d: got PE %d with degradation %d, want PE 1 with %d", i+1, sel[0].ID(), degradationOf(h, 1), w)
			}
		}
	}
	// Re-registration with unchanged parameters: 350 -> 50, sequence number kept.
	pe := h.Find("P", 1)
	seq := pe.State().Seq
	e := testPE(1, pe.Element().Policy)
	if _, isNew, err := h.Register("P", e, 1); err != nil || isNew {
		t.Fatalf("re-register: new=%v err=%v", isNew, err)
	}
	if d := degradationOf(h, 1); d != 50 || pe.State().Seq != seq {
		t.Fatalf("after re-registration: degradation %d seq %d, want 50 and %d", d, pe.State().Seq, seq)
	}
	// A second identical re-registration finds Degradation 50 != 0 and
	// resets again: it stays 50.
	h.Register("P", e, 1)
	if d := degradationOf(h, 1); d != 50 {
		t.Fatalf("second re-registration: degradation %d", d)
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSequenceNumbers checks the start value and the resequencing rule of
// policies.md §2.2.
func TestSequenceNumbers(t *testing.T) {
	h := New(own, nil)
	mustRegister(t, h, "P", settings(rserpool.PolicyRoundRobin, nil, 2)...)
	if s := h.Find("P", 1).State().Seq; s != 4294967280 {
		t.Fatalf("first PE seq %d, want 4294967280", s)
	}
	if s := h.Find("P", 2).State().Seq; s != 4294967281 {
		t.Fatalf("second PE seq %d", s)
	}
	// 20 selections (items=1) from the 2 PEs: the counter starts at
	// 0xFFFFFFF2, is renumbered when it would wrap, and the rotation is
	// preserved throughout.
	var got []uint32
	for range 20 {
		sel, _ := h.Resolve(nil, "P", 1, 0)
		got = append(got, ids(sel)...)
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("round robin did not rotate at %d: %v", i, got)
		}
	}
	seqs := []uint32{h.Find("P", 1).State().Seq, h.Find("P", 2).State().Seq}
	slices.Sort(seqs)
	if !slices.Equal(seqs, []uint32{7, 8}) {
		t.Fatalf("seqs after 20 selections %v, want [7 8]", seqs)
	}
}

// TestWRRRoundRebase runs weighted round robin long enough for the round
// counters, which start at 0xFFFFFFF0, to be rebased, and checks that the
// 1:2:3 ratio and the period hold throughout.
func TestWRRRoundRebase(t *testing.T) {
	h := New(own, nil)
	mustRegister(t, h, "P", weights(rserpool.PolicyWeightedRoundRobin, 1, 2, 3)...)
	period := []uint32{1, 2, 3, 2, 3, 3}
	for round := range 50 {
		for i, want := range period {
			sel, _ := h.Resolve(nil, "P", 1, 0)
			if sel[0].ID() != rserpool.PEID(want) {
				t.Fatalf("round %d step %d: got %d want %d", round, i, sel[0].ID(), want)
			}
		}
	}
	if r := h.Find("P", 1).State().Round; r > 200 {
		t.Fatalf("round counters were not rebased (PE 1 round %d)", r)
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestWeightedValues checks the selection weights of policies.md §6.
func TestWeightedValues(t *testing.T) {
	tests := []struct {
		name string
		ps   rserpool.PolicySettings
		want uint64
	}{
		{"WRDPF 2^26", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000, WeightDPF: 1 << 26, Distance: 50}, 219},
		{"WRDPF 2%", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000, WeightDPF: 85899346, Distance: 50}, 0},
		{"WRDPF 4%", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000, WeightDPF: 2 * 85899346, Distance: 50}, 1},
		{"RLU load 0", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedLeastUsed}, rserpool.PolicyValueMax},
		{"RLU load MAX", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedLeastUsed, Load: rserpool.PolicyValueMax}, 1},
		{"WRAND 0", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandom}, 0},
		{"Random", rserpool.PolicySettings{Type: rserpool.PolicyRandom, Weight: 7}, 1},
	}
	for _, tt := range tests {
		h := New(own, nil)
		pe, _, err := h.Register("P", testPE(1, tt.ps), 1)
		if err != nil {
			t.Fatal(err)
		}
		if pe.Weight() != tt.want {
			t.Errorf("%s: weight %d want %d", tt.name, pe.Weight(), tt.want)
		}
	}
}

// TestWeightedRandomAllZero: weights (0,0) select nothing, without error.
func TestWeightedRandomAllZero(t *testing.T) {
	h := New(own, newRand(3))
	mustRegister(t, h, "P", weights(rserpool.PolicyWeightedRandom, 0, 0)...)
	for _, items := range []int{1, 2, 3} {
		sel, err := h.Resolve(nil, "P", items, 0)
		if err != nil || len(sel) != 0 {
			t.Fatalf("items %d: %v %v", items, ids(sel), err)
		}
	}
	// A zero-weight PE is never picked while others have weight.
	h = New(own, newRand(3))
	mustRegister(t, h, "P", weights(rserpool.PolicyWeightedRandom, 0, 5, 0)...)
	for range 100 {
		sel, _ := h.Resolve(nil, "P", 3, 0)
		if !slices.Equal(ids(sel), []uint32{2}) {
			t.Fatalf("got %v", ids(sel))
		}
	}
}

// chiSquare returns the statistic of observed counts against expected
// probabilities.
func chiSquare(counts []int, probs []float64) float64 {
	n := 0
	for _, c := range counts {
		n += c
	}
	var x float64
	for i, c := range counts {
		e := probs[i] * float64(n)
		x += (float64(c) - e) * (float64(c) - e) / e
	}
	return x
}

// Critical values of the chi-square distribution at p = 0.001.
var chiCritical = map[int]float64{1: 10.83, 2: 13.82, 3: 16.27, 5: 20.52, 15: 37.70}

// TestRandomPolicyDistributions tests the weighted random policies
// statistically with an injected source (the sources are seeded, so the
// test is deterministic; the threshold is p = 0.001).
func TestRandomPolicyDistributions(t *testing.T) {
	tests := []struct {
		name  string
		pes   []rserpool.PolicySettings
		draws int
		probs []float64
	}{
		{"WeightedRandom 1,3", weights(rserpool.PolicyWeightedRandom, 1, 3), 4000, []float64{0.25, 0.75}},
		{"Random 3 PEs", settings(rserpool.PolicyRandom, nil, 3), 3000, []float64{1. / 3, 1. / 3, 1. / 3}},
		{"WeightedRandom 1,2,3,4", weights(rserpool.PolicyWeightedRandom, 1, 2, 3, 4), 20000, []float64{.1, .2, .3, .4}},
		{"RandomizedLeastUsed 3/4,1/4 load", loads(rserpool.PolicyRandomizedLeastUsed, 0xC0000000, 0x40000000), 8000,
			[]float64{0.25, 0.75}},
		{"RandomizedPriorityLeastUsed", []rserpool.PolicySettings{
			{Type: rserpool.PolicyRandomizedPriorityLeastUsed, Load: 0x40000000, LoadDegradation: 0x40000000},
			{Type: rserpool.PolicyRandomizedPriorityLeastUsed}}, 8000, []float64{1. / 3, 2. / 3}},
		{"WeightedRandomDPF 219 vs 1000", []rserpool.PolicySettings{
			{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000, WeightDPF: 1 << 26, Distance: 50},
			{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000}}, 8000, []float64{219. / 1219, 1000. / 1219}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(own, newRand(uint64(100+i)))
			mustRegister(t, h, "P", tt.pes...)
			counts := make([]int, len(tt.pes))
			for range tt.draws {
				sel, err := h.Resolve(nil, "P", 1, 0)
				if err != nil || len(sel) != 1 {
					t.Fatalf("%v %v", ids(sel), err)
				}
				counts[sel[0].ID()-1]++
			}
			if x := chiSquare(counts, tt.probs); x > chiCritical[len(counts)-1] {
				t.Errorf("counts %v: chi-square %.2f exceeds %.2f", counts, x, chiCritical[len(counts)-1])
			}
			if err := h.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRandomNoRepetition: several items per answer never repeat a PE and
// follow sampling without replacement: P(i then j) = wi/W * wj/(W-wi).
func TestRandomNoRepetition(t *testing.T) {
	h := New(own, newRand(7))
	w := []uint32{1, 2, 3}
	mustRegister(t, h, "P", weights(rserpool.PolicyWeightedRandom, w...)...)
	counts := make([]int, 6)
	var probs []float64
	var cell [3][3]int
	for i := range 3 {
		for j := range 3 {
			if i != j {
				cell[i][j] = len(probs)
				probs = append(probs, float64(w[i])/6*float64(w[j])/float64(6-w[i]))
			}
		}
	}
	for range 12000 {
		sel, _ := h.Resolve(nil, "P", 2, 0)
		if len(sel) != 2 || sel[0] == sel[1] {
			t.Fatalf("bad answer %v", ids(sel))
		}
		counts[cell[sel[0].ID()-1][sel[1].ID()-1]]++
	}
	if x := chiSquare(counts, probs); x > chiCritical[5] {
		t.Errorf("pair counts %v: chi-square %.2f", counts, x)
	}
	// Asking for more than the pool holds returns every PE once.
	sel, _ := h.Resolve(nil, "P", 10, 0)
	got := ids(sel)
	slices.Sort(got)
	if !slices.Equal(got, []uint32{1, 2, 3}) {
		t.Fatalf("items 10: %v", ids(sel))
	}
}

// TestWeightedRandomLargePool tests selection without replacement in a pool
// of 500 PEs, whose index is a B+ tree of several nodes, for a resolution of
// 3 items and one of 40 (beyond the picks that are stepped over instead of
// zeroed in the tree): the classes of the first and second pick must follow
// P(c1, c2) = n1*w1/W * (n2*w2 - [c1 = c2]*w1) / (W - w1) for classes of n
// PEs of weight w.
func TestWeightedRandomLargePool(t *testing.T) {
	classW := []uint32{1, 2, 5, 10}
	const perClass = 125
	var pes []rserpool.PolicySettings
	for i := range 4 * perClass {
		pes = append(pes, rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandom, Weight: classW[i%4]})
	}
	var total float64
	for _, w := range classW {
		total += perClass * float64(w)
	}
	var probs []float64
	for _, w1 := range classW {
		for _, w2 := range classW {
			same := 0.
			if w1 == w2 {
				same = float64(w1)
			}
			probs = append(probs, perClass*float64(w1)/total*(perClass*float64(w2)-same)/(total-float64(w1)))
		}
	}
	for _, items := range []int{3, 40} {
		t.Run(fmt.Sprint(items), func(t *testing.T) {
			h := New(own, newRand(uint64(items)))
			mustRegister(t, h, "P", pes...)
			counts := make([]int, 16)
			var sel []*PE
			for range 20000 {
				var err error
				if sel, err = h.Resolve(sel[:0], "P", items, 0); err != nil || len(sel) != items {
					t.Fatalf("%d PEs, %v", len(sel), err)
				}
				seen := map[*PE]bool{}
				for _, x := range sel {
					if seen[x] {
						t.Fatalf("PE %d picked twice", x.ID())
					}
					seen[x] = true
				}
				c1, c2 := (sel[0].ID()-1)%4, (sel[1].ID()-1)%4
				counts[c1*4+c2]++
			}
			if x := chiSquare(counts, probs); x > chiCritical[15] {
				t.Errorf("counts %v: chi-square %.2f exceeds %.2f", counts, x, chiCritical[15])
			}
			if err := h.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRandomizedLeastUsedExtreme: load (0, MAX) gives values (MAX, 1): PE 2
// is practically never chosen.
func TestRandomizedLeastUsedExtreme(t *testing.T) {
	h := New(own, newRand(11))
	mustRegister(t, h, "P", loads(rserpool.PolicyRandomizedLeastUsed, 0, rserpool.PolicyValueMax)...)
	for range 10000 {
		if sel, _ := h.Resolve(nil, "P", 1, 0); sel[0].ID() != 1 {
			t.Fatal("PE 2 chosen")
		}
	}
}

// TestRandomizedDegradation checks the deliberate fix for RLUD and RPLUD:
// each selection degrades the picked PE once, and re-registration resets it.
func TestRandomizedDegradation(t *testing.T) {
	for _, typ := range []rserpool.PolicyType{rserpool.PolicyRandomizedLeastUsedDegradation,
		rserpool.PolicyRandomizedPriorityLeastUsedDegradation} {
		h := New(own, newRand(5))
		ps := rserpool.PolicySettings{Type: typ, Load: 1000, LoadDegradation: 0x10000000}
		mustRegister(t, h, "P", ps)
		pe := h.Find("P", 1)
		if pe.State().Degradation != 0 {
			t.Fatalf("%v: new PE degraded", typ)
		}
		for i := uint32(1); i <= 3; i++ {
			h.Resolve(nil, "P", 1, 0)
			if d := pe.State().Degradation; d != i*0x10000000 {
				t.Fatalf("%v: degradation after %d selections %#x", typ, i, d)
			}
		}
		if want := policy.Get(typ).Value(&pe.Element().Policy, &policy.State{Degradation: 0x30000000}); pe.Weight() != want {
			t.Fatalf("%v: weight %d want %d", typ, pe.Weight(), want)
		}
		h.Register("P", testPE(1, ps), 1)
		if pe.State().Degradation != 0 {
			t.Fatalf("%v: re-registration did not reset the degradation", typ)
		}
		if err := h.Check(); err != nil {
			t.Fatal(err)
		}
	}
}
