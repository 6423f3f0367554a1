package policy

import (
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

const maxV = rserpool.PolicyValueMax

// TestTable checks the policy table of policies.md §1 against RSPLIB.
func TestTable(t *testing.T) {
	tests := []struct {
		typ    rserpool.PolicyType
		kind   Kind
		maxInc int
		rounds bool
	}{
		{rserpool.PolicyRoundRobin, Sorted, 1, false},
		{rserpool.PolicyWeightedRoundRobin, Sorted, 1, true},
		{rserpool.PolicyRandom, Weighted, 0, false},
		{rserpool.PolicyWeightedRandom, Weighted, 0, false},
		{rserpool.PolicyPriority, Sorted, 1, false},
		{rserpool.PolicyLeastUsed, Sorted, 1, false},
		{rserpool.PolicyLeastUsedDegradation, Sorted, 1, false},
		{rserpool.PolicyPriorityLeastUsed, Sorted, 1, false},
		{rserpool.PolicyRandomizedLeastUsed, Weighted, 1, false},
		{rserpool.PolicyRandomizedPriorityLeastUsed, Weighted, 1, false},
		{rserpool.PolicyRandomizedLeastUsedDegradation, Weighted, 1, false},
		{rserpool.PolicyPriorityLeastUsedDegradation, Sorted, 1, false},
		{rserpool.PolicyRandomizedPriorityLeastUsedDegradation, Weighted, 1, false},
		{rserpool.PolicyWeightedRandomDPF, Weighted, 0, false},
		{rserpool.PolicyLeastUsedDPF, Sorted, 1, false},
		{rserpool.PolicyLeastUsedDegradationDPF, Sorted, 1, false},
		{rserpool.PolicyPriorityLeastUsedDPF, Sorted, 1, false},
		{rserpool.PolicyPriorityLeastUsedDegradationDPF, Sorted, 1, false},
	}
	if len(tests) != len(rserpool.PolicyTypes()) || len(table) != len(tests) {
		t.Fatal("table and rserpool.PolicyTypes disagree")
	}
	for _, tt := range tests {
		p := Get(tt.typ)
		if p == nil {
			t.Fatalf("%v missing", tt.typ)
		}
		if p.Type() != tt.typ || p.Kind() != tt.kind || p.DefaultMaxIncrement() != tt.maxInc ||
			p.UsesRounds() != tt.rounds || p.String() != tt.typ.String() {
			t.Errorf("%v: kind %d maxInc %d rounds %v", tt.typ, p.Kind(), p.DefaultMaxIncrement(), p.UsesRounds())
		}
	}
	for _, bad := range []rserpool.PolicyType{0, 6, 0x40000005, 0xb0002006} {
		if Get(bad) != nil {
			t.Errorf("%v must be unknown", bad)
		}
	}
}

// TestKeys checks the sort keys of policies.md §3.1.
func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		ps   rserpool.PolicySettings
		st   State
		want uint64
	}{
		{"RR", rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin, Load: 5}, State{Seq: 9}, 0},
		{"WRR", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRoundRobin}, State{Round: 3, Virtual: 7}, 3<<32 | 7},
		{"Priority descending", rserpool.PolicySettings{Type: rserpool.PolicyPriority, Weight: 9}, State{}, maxV - 9},
		{"LU", rserpool.PolicySettings{Type: rserpool.PolicyLeastUsed, Load: 77, LoadDegradation: 5}, State{Degradation: 3}, 77},
		{"LUD", rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDegradation, Load: 100, LoadDegradation: 5},
			State{Degradation: 50}, 150},
		{"LUD clamp", rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDegradation, Load: maxV - 1},
			State{Degradation: 50}, maxV},
		{"PLU", rserpool.PolicySettings{Type: rserpool.PolicyPriorityLeastUsed, Load: 100, LoadDegradation: 50},
			State{Degradation: 1000}, 150},
		{"PLUD", rserpool.PolicySettings{Type: rserpool.PolicyPriorityLeastUsedDegradation, Load: 100, LoadDegradation: 50},
			State{Degradation: 1000}, 1150},
		{"PLUD clamp", rserpool.PolicySettings{Type: rserpool.PolicyPriorityLeastUsedDegradation, Load: maxV, LoadDegradation: maxV},
			State{Degradation: maxV}, maxV},
		{"LUDPF no distance", rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDPF, Load: 100000000, LoadDPF: 1 << 24},
			State{}, 100000000},
		// 50 ms * 2^24/(2^32-1) per ms = 0.1953125… of MAX, plus the load.
		{"LUDPF distance", rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDPF, Load: 50000000, LoadDPF: 1 << 24, Distance: 50},
			State{}, 50000000 + 838860800},
		{"LUDPF clamp", rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDPF, Load: maxV, LoadDPF: maxV, Distance: maxV},
			State{}, maxV},
		{"LUDDPF", rserpool.PolicySettings{Type: rserpool.PolicyLeastUsedDegradationDPF, Load: 10, LoadDPF: 1 << 24, Distance: 50},
			State{Degradation: 5}, 15 + 838860800},
		{"PLUDPF", rserpool.PolicySettings{Type: rserpool.PolicyPriorityLeastUsedDPF, Load: 10, LoadDegradation: 7, LoadDPF: 1 << 24, Distance: 50},
			State{Degradation: 5}, 17 + 838860800},
		{"PLUDDPF", rserpool.PolicySettings{Type: rserpool.PolicyPriorityLeastUsedDegradationDPF, Load: 10, LoadDegradation: 7, LoadDPF: 1 << 24, Distance: 50},
			State{Degradation: 5}, 22 + 838860800},
	}
	for _, tt := range tests {
		p := Get(tt.ps.Type)
		if got := p.Key(&tt.ps, &tt.st); got != tt.want {
			t.Errorf("%s: key %d want %d", tt.name, got, tt.want)
		}
		if p.Value(&tt.ps, &tt.st) != 0 {
			t.Errorf("%s: sorted policy has a value", tt.name)
		}
	}
}

// TestValues checks the selection weights of policies.md §3.2 and §6.
func TestValues(t *testing.T) {
	tests := []struct {
		name string
		ps   rserpool.PolicySettings
		st   State
		want uint64
	}{
		{"Random", rserpool.PolicySettings{Type: rserpool.PolicyRandom, Weight: 5}, State{}, 1},
		{"WRAND", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandom, Weight: 5}, State{}, 5},
		{"WRAND max", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandom, Weight: maxV}, State{}, maxV},
		{"WRDPF 219", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000, WeightDPF: 1 << 26, Distance: 50}, State{}, 219},
		{"WRDPF exactly 0 stays 0", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000, WeightDPF: 85899346, Distance: 50}, State{}, 0},
		{"WRDPF negative is 1", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: 1000, WeightDPF: 171798692, Distance: 50}, State{}, 1},
		{"WRDPF huge penalty", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: maxV, WeightDPF: maxV, Distance: maxV}, State{}, 1},
		{"WRDPF no distance", rserpool.PolicySettings{Type: rserpool.PolicyWeightedRandomDPF, Weight: maxV, WeightDPF: maxV}, State{}, maxV},
		{"RLU", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedLeastUsed, Load: 5, LoadDegradation: 9}, State{Degradation: 9}, maxV - 5},
		{"RLU full", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedLeastUsed, Load: maxV}, State{}, 1},
		{"RLUD", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedLeastUsedDegradation, Load: 5, LoadDegradation: 9}, State{Degradation: 10}, maxV - 15},
		{"RPLU", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedPriorityLeastUsed, Load: 5, LoadDegradation: 9}, State{Degradation: 10}, maxV - 14},
		{"RPLUD", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedPriorityLeastUsedDegradation, Load: 5, LoadDegradation: 9}, State{Degradation: 10}, maxV - 24},
		{"RPLUD clamp", rserpool.PolicySettings{Type: rserpool.PolicyRandomizedPriorityLeastUsedDegradation, Load: maxV, LoadDegradation: maxV}, State{Degradation: maxV}, 1},
	}
	for _, tt := range tests {
		p := Get(tt.ps.Type)
		if got := p.Value(&tt.ps, &tt.st); got != tt.want {
			t.Errorf("%s: value %d want %d", tt.name, got, tt.want)
		}
		if p.Key(&tt.ps, &tt.st) != 0 {
			t.Errorf("%s: weighted policy has a key", tt.name)
		}
	}
}

// TestHooks checks Initialize, OnLink, OnSelect and NeedsRebase.
func TestHooks(t *testing.T) {
	wrr := Get(rserpool.PolicyWeightedRoundRobin)
	ps := rserpool.PolicySettings{Type: rserpool.PolicyWeightedRoundRobin, Weight: 3}
	var st State
	wrr.Initialize(&ps, &st, nil)
	if st.Round != SeqStart || st.Virtual != 3 {
		t.Fatalf("WRR initialize in an empty pool: %+v", st)
	}
	wrr.Initialize(&ps, &st, &State{Round: 42, Virtual: 1})
	if st.Round != 42 || st.Virtual != 3 {
		t.Fatalf("WRR initialize joins the first PE's round: %+v", st)
	}
	for i, want := range []State{{Round: 42, Virtual: 2}, {Round: 42, Virtual: 1}, {Round: 43, Virtual: 3}} {
		wrr.OnLink(&ps, &st)
		if st != want {
			t.Fatalf("WRR update %d: %+v want %+v", i, st, want)
		}
	}
	zero := rserpool.PolicySettings{Type: rserpool.PolicyWeightedRoundRobin}
	st = State{Round: 1}
	wrr.OnSelect(&zero, &st)
	if st.Round != 2 || st.Virtual != 0 {
		t.Fatalf("WRR weight 0 acts like 1: %+v", st)
	}
	for _, tt := range []struct {
		first *State
		want  bool
	}{{nil, false}, {&State{Round: 0xFFFFFFFD}, false}, {&State{Round: 0xFFFFFFFE}, true}, {&State{Round: 0xFFFFFFFF}, true}} {
		if wrr.NeedsRebase(tt.first) != tt.want {
			t.Errorf("NeedsRebase(%+v) != %v", tt.first, tt.want)
		}
	}

	lud := Get(rserpool.PolicyLeastUsedDegradation)
	lps := rserpool.PolicySettings{LoadDegradation: 50}
	st = State{}
	lud.OnLink(&lps, &st)
	lud.OnSelect(&lps, &st)
	if st.Degradation != 100 {
		t.Fatalf("LUD degradation %d", st.Degradation)
	}
	st.Degradation = maxV - 10
	lud.OnSelect(&lps, &st)
	if st.Degradation != maxV {
		t.Fatalf("LUD degradation must saturate: %d", st.Degradation)
	}

	// RLUD/RPLUD degrade on selection only (deliberate fix), not on link.
	for _, typ := range []rserpool.PolicyType{rserpool.PolicyRandomizedLeastUsedDegradation,
		rserpool.PolicyRandomizedPriorityLeastUsedDegradation} {
		p := Get(typ)
		st = State{}
		p.OnLink(&lps, &st)
		if st.Degradation != 0 {
			t.Errorf("%v: degraded on link", typ)
		}
		p.OnSelect(&lps, &st)
		if st.Degradation != 50 {
			t.Errorf("%v: selection degradation %d", typ, st.Degradation)
		}
	}
	// Policies without state leave it alone.
	for _, typ := range []rserpool.PolicyType{rserpool.PolicyRoundRobin, rserpool.PolicyRandom,
		rserpool.PolicyRandomizedLeastUsed, rserpool.PolicyLeastUsed, rserpool.PolicyPriorityLeastUsedDPF} {
		p := Get(typ)
		st = State{Seq: 1, Round: 2, Virtual: 3, Degradation: 4}
		before := st
		p.Initialize(&lps, &st, nil)
		p.OnLink(&lps, &st)
		p.OnSelect(&lps, &st)
		if st != before || p.NeedsRebase(&State{Round: maxV}) {
			t.Errorf("%v changed stateless state", typ)
		}
	}
}

// FuzzKeys checks that keys and values never leave their ranges and never
// panic, whatever the settings.
func FuzzKeys(f *testing.F) {
	f.Add(uint32(1000), uint32(5), uint32(7), uint32(1<<24), uint32(1<<26), uint32(50), uint32(9))
	f.Add(uint32(maxV), uint32(maxV), uint32(maxV), uint32(maxV), uint32(maxV), uint32(maxV), uint32(maxV))
	f.Fuzz(func(t *testing.T, w, l, ld, ldpf, wdpf, d, deg uint32) {
		for _, typ := range rserpool.PolicyTypes() {
			p := Get(typ)
			ps := rserpool.PolicySettings{Type: typ, Weight: w, Load: l, LoadDegradation: ld, LoadDPF: ldpf, WeightDPF: wdpf, Distance: d}
			st := State{Degradation: deg}
			if k := p.Key(&ps, &st); p.Kind() == Sorted && typ != rserpool.PolicyWeightedRoundRobin && k > maxV {
				t.Fatalf("%v: key %d out of range", typ, k)
			}
			if v := p.Value(&ps, &st); v > maxV {
				t.Fatalf("%v: value %d out of range", typ, v)
			}
		}
	})
}
