package btree

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// mEntry is one mEntry of the naive model: a slice kept sorted.
type mEntry struct {
	k   uint64
	a   uint32 // tie or weight
	val int
}

type model struct {
	weighted bool
	es       []mEntry
}

func (m *model) cmp(e mEntry, k uint64, a uint32) int {
	if c := cmp.Compare(e.k, k); c != 0 || m.weighted {
		return c
	}
	return cmp.Compare(e.a, a)
}

func (m *model) search(k uint64, a uint32) (int, bool) {
	return slices.BinarySearchFunc(m.es, mEntry{}, func(e, _ mEntry) int { return m.cmp(e, k, a) })
}

func (m *model) insert(k uint64, a uint32, v int) bool {
	i, found := m.search(k, a)
	if found {
		return false
	}
	m.es = slices.Insert(m.es, i, mEntry{k, a, v})
	return true
}

func (m *model) remove(k uint64, a uint32) (mEntry, bool) {
	i, found := m.search(k, a)
	if !found {
		return mEntry{}, false
	}
	e := m.es[i]
	m.es = slices.Delete(m.es, i, i+1)
	return e, true
}

func (m *model) sum() (s uint64) {
	for _, e := range m.es {
		s += uint64(e.a)
	}
	return s
}

// val is the value type of the tests: a pointer, as in the handlespace.
type val struct{ n int }

// subject wraps either tree type behind the model's interface.
type subject struct {
	weighted bool
	s        Set[uint64, *val]
	w        Weighted[uint64, *val]
}

func (s *subject) insert(k uint64, a uint32, v int) bool {
	if s.weighted {
		return s.w.Insert(k, a, &val{v})
	}
	return s.s.Insert(k, a, &val{v})
}

func (s *subject) remove(k uint64, a uint32) (int, uint32, bool) {
	if s.weighted {
		v, w, ok := s.w.Remove(k)
		if !ok {
			return 0, 0, false
		}
		return v.n, w, true
	}
	v, ok := s.s.Remove(k, a)
	if !ok {
		return 0, 0, false
	}
	return v.n, a, true
}

func (s *subject) find(k uint64, a uint32) (int, bool) {
	var v *val
	var ok bool
	if s.weighted {
		v, ok = s.w.Find(k)
	} else {
		v, ok = s.s.Find(k, a)
	}
	if !ok {
		return 0, false
	}
	return v.n, true
}

func (s *subject) first() Cursor[uint64, *val] {
	if s.weighted {
		return s.w.First()
	}
	return s.s.First()
}

func (s *subject) after(k uint64, a uint32) Cursor[uint64, *val] {
	if s.weighted {
		return s.w.After(k)
	}
	return s.s.After(k, a)
}

func (s *subject) len() int {
	if s.weighted {
		return s.w.Len()
	}
	return s.s.Len()
}

func (s *subject) check() error {
	if s.weighted {
		return s.w.Check()
	}
	return s.s.Check()
}

func collect(c Cursor[uint64, *val], limit int) []mEntry {
	var out []mEntry
	for ; c.Valid() && len(out) < limit; c.Next() {
		out = append(out, mEntry{c.Key(), c.Extra(), c.Value().n})
	}
	return out
}

// compare checks the complete contents and the invariants.
func compare(s *subject, m *model) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.len() != len(m.es) {
		return fmt.Errorf("Len %d, model %d", s.len(), len(m.es))
	}
	if got := collect(s.first(), len(m.es)+1); !slices.Equal(got, m.es) {
		return fmt.Errorf("contents differ:\n got  %v\n want %v", got, m.es)
	}
	if s.weighted && s.w.Sum() != m.sum() {
		return fmt.Errorf("Sum %d, model %d", s.w.Sum(), m.sum())
	}
	return nil
}

// keyGen chooses the keys of one test: the access patterns of the
// handlespace's sets and plain random ones.
type keyGen struct {
	name string
	// next returns the key and tie of a new mEntry; step counts the
	// operations so far.
	next func(rng *rand.Rand, step int) (uint64, uint32)
}

var keyGens = []keyGen{
	{"random", func(rng *rand.Rand, _ int) (uint64, uint32) { return rng.Uint64N(1 << 20), rng.Uint32N(4) }},
	{"dense", func(rng *rand.Rand, _ int) (uint64, uint32) { return rng.Uint64N(3000), 0 }},
	// Round robin: every new mEntry goes behind all others.
	{"ascending", func(_ *rand.Rand, step int) (uint64, uint32) { return 0, uint32(step) }},
	{"descending", func(_ *rand.Rand, step int) (uint64, uint32) { return uint64(1<<40 - step), 0 }},
	// Least used: a few keys, new entries at the end of their key's group.
	{"groups", func(rng *rand.Rand, step int) (uint64, uint32) { return rng.Uint64N(5), uint32(step) }},
}

// run drives a tree and the model with random operations, checking the
// complete state every checkEvery steps. Most removals take the smallest
// mEntry, as selections do.
func run(t *testing.T, rng *rand.Rand, weighted bool, gen keyGen, target, steps, checkEvery int) {
	s := &subject{weighted: weighted}
	m := &model{weighted: weighted}
	weight := func() uint32 {
		switch rng.IntN(10) {
		case 0:
			return 0
		case 1:
			return ^uint32(0)
		}
		return rng.Uint32N(1000)
	}
	// Weighted trees order by key alone: fold the tie into the key.
	newKey := func(step int) (uint64, uint32) {
		k, a := gen.next(rng, step)
		if weighted {
			return k<<32 | uint64(a), weight()
		}
		return k, a
	}
	for step := range steps {
		var op string
		switch r := rng.IntN(100); {
		case r < 45 && len(m.es) < 2*target || len(m.es) < target/2: // insert
			k, a := newKey(step)
			op = fmt.Sprintf("insert %d/%d", k, a)
			if got, want := s.insert(k, a, step), m.insert(k, a, step); got != want {
				t.Fatalf("step %d %s: %v, model %v", step, op, got, want)
			}
		case r < 75: // remove an existing mEntry, mostly the first
			if len(m.es) == 0 {
				continue
			}
			e := m.es[0]
			if rng.IntN(3) == 0 {
				e = m.es[rng.IntN(len(m.es))]
			}
			op = fmt.Sprintf("remove %d/%d", e.k, e.a)
			v, a, ok := s.remove(e.k, e.a)
			m.remove(e.k, e.a)
			if !ok || v != e.val || a != e.a {
				t.Fatalf("step %d %s: got %d/%d/%v", step, op, v, a, ok)
			}
		case r < 80: // remove a missing mEntry
			k, a := newKey(step)
			op = fmt.Sprintf("remove missing %d/%d", k, a)
			if _, found := m.search(k, a); found {
				continue
			}
			if _, _, ok := s.remove(k, a); ok {
				t.Fatalf("step %d %s: removed", step, op)
			}
		case r < 88: // find and after
			k, a := newKey(step)
			if len(m.es) > 0 && rng.IntN(2) == 0 {
				e := m.es[rng.IntN(len(m.es))]
				k, a = e.k, e.a
			}
			op = fmt.Sprintf("find %d/%d", k, a)
			i, found := m.search(k, a)
			v, ok := s.find(k, a)
			if ok != found || found && v != m.es[i].val {
				t.Fatalf("step %d %s: got %d/%v, model %v", step, op, v, ok, found)
			}
			if !weighted {
				if got, want := collect(s.s.Seek(k, a), 3), m.es[i:min(i+3, len(m.es))]; !slices.Equal(got, want) {
					t.Fatalf("step %d seek %d/%d: %v, model %v", step, k, a, got, want)
				}
			}
			if found {
				i++
			}
			if got, want := collect(s.after(k, a), 3), m.es[i:min(i+3, len(m.es))]; !slices.Equal(got, want) {
				t.Fatalf("step %d after %d/%d: %v, model %v", step, k, a, got, want)
			}
		case r < 96 && weighted: // pick
			sum := m.sum()
			if sum == 0 {
				if c, _ := s.w.Pick(0); c.Valid() {
					t.Fatalf("step %d: pick in an empty weight space", step)
				}
				continue
			}
			r := rng.Uint64N(sum)
			if rng.IntN(4) == 0 {
				r = sum - 1
			}
			op = fmt.Sprintf("pick %d of %d", r, sum)
			c, start := s.w.Pick(r)
			var pos uint64
			want := -1
			for j, e := range m.es {
				if r < pos+uint64(e.a) {
					want = j
					break
				}
				pos += uint64(e.a)
			}
			if !c.Valid() || c.Value().n != m.es[want].val || start != pos || c.Extra() != m.es[want].a {
				t.Fatalf("step %d %s: wrong mEntry or start %d (want %v at %d)", step, op, start, m.es[want], pos)
			}
			if c, _ := s.w.Pick(sum); c.Valid() {
				t.Fatalf("step %d: pick at the total weight", step)
			}
		case r < 99 && weighted: // set weight
			if k, _ := newKey(step); rng.IntN(5) == 0 {
				if _, found := m.search(k, 0); !found {
					if _, ok := s.w.SetWeight(k, 1); ok {
						t.Fatalf("step %d: set the weight of missing key %d", step, k)
					}
				}
			}
			if len(m.es) == 0 {
				continue
			}
			i := rng.IntN(len(m.es))
			w := weight()
			op = fmt.Sprintf("set weight %d to %d", m.es[i].k, w)
			old, ok := s.w.SetWeight(m.es[i].k, w)
			if !ok || old != m.es[i].a {
				t.Fatalf("step %d %s: old %d ok %v", step, op, old, ok)
			}
			m.es[i].a = w
		case r < 99: // rewrite: renumber the ties, as resequencing does
			op = "rewrite"
			var prevK uint64
			var tie uint32
			s.s.Rewrite(func(k uint64, _ uint32, _ *val) (uint64, uint32) {
				if k != prevK {
					prevK, tie = k, 0
				}
				tie += 2
				return k, tie
			})
			prevK, tie = 0, 0
			for i := range m.es {
				if m.es[i].k != prevK {
					prevK, tie = m.es[i].k, 0
				}
				tie += 2
				m.es[i].a = tie
			}
		default:
			if _, ok := s.find(1<<63, 0); ok {
				t.Fatalf("step %d: found a missing key", step)
			}
		}
		if step%checkEvery == 0 || step == steps-1 {
			if err := compare(s, m); err != nil {
				t.Fatalf("step %d (%s): %v", step, op, err)
			}
		}
	}
}

// TestAgainstModel runs random operations in the access patterns of the
// handlespace on both tree types, at sizes that give trees of one to three
// inner levels, checking every invariant as it goes.
func TestAgainstModel(t *testing.T) {
	for _, weighted := range []bool{false, true} {
		for gi, gen := range keyGens {
			// 60 makes the tree cross the 63 entries of a single leaf
			// both ways many times.
			for _, size := range []int{10, 60, 200, 5000} {
				if size > 1000 && (gen.name == "dense" || gen.name == "descending") {
					continue // covered by the smaller sizes and TestLarge
				}
				t.Run(fmt.Sprintf("weighted=%v/%s/%d", weighted, gen.name, size), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(gi), uint64(size)))
					every := 1 + size/50
					if size > 1000 {
						every = size / 5
					}
					run(t, rng, weighted, gen, size, 3*size+2000, every)
				})
			}
		}
	}
}

// TestLarge builds trees of three inner levels and empties them again,
// checking the invariants at intervals, for ascending, descending and
// random insertion and removal orders.
func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large tree")
	}
	const n = 150000
	orders := []struct {
		name string
		keys func(rng *rand.Rand) []uint64
	}{
		{"ascending", func(*rand.Rand) []uint64 {
			k := make([]uint64, n)
			for i := range k {
				k[i] = uint64(i)
			}
			return k
		}},
		{"random", func(rng *rand.Rand) []uint64 {
			k := make([]uint64, n)
			for i := range k {
				k[i] = rng.Uint64()
			}
			return k
		}},
	}
	for _, o := range orders {
		for _, removeOrder := range []string{"same", "reverse", "shuffled"} {
			if o.name == "random" && removeOrder == "reverse" {
				continue // like same for random keys
			}
			t.Run(o.name+"/"+removeOrder, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				keys := o.keys(rng)
				var w Weighted[uint64, *val]
				var sum uint64
				for i, k := range keys {
					if !w.Insert(k, uint32(i%7), &val{i}) {
						t.Fatal("duplicate")
					}
					sum += uint64(i % 7)
				}
				if err := w.Check(); err != nil {
					t.Fatal(err)
				}
				if w.t.height < 3 {
					t.Fatalf("height %d", w.t.height)
				}
				if w.Sum() != sum {
					t.Fatal("sum")
				}
				idx := make([]int, n)
				for i := range idx {
					idx[i] = i
				}
				switch removeOrder {
				case "reverse":
					slices.Reverse(idx)
				case "shuffled":
					rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
				}
				for c, i := range idx {
					v, wt, ok := w.Remove(keys[i])
					if !ok || v.n != i || wt != uint32(i%7) {
						t.Fatalf("remove %d: %v %d %v", i, v, wt, ok)
					}
					if c%20011 == 0 {
						if err := w.Check(); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := w.Check(); err != nil || w.Len() != 0 || w.t.height != 0 {
					t.Fatalf("emptied tree: %v, len %d, height %d", err, w.Len(), w.t.height)
				}
			})
		}
	}
}

// TestAppendFill: ascending insertion fills leaves completely.
func TestAppendFill(t *testing.T) {
	var s Set[uint64, *val]
	const n = 10 * maxEntries
	for i := range n {
		s.Insert(0, uint32(i), &val{i})
	}
	leaves := 0
	for l := s.t.first; l != nil; l = l.next {
		leaves++
	}
	if leaves != n/maxEntries {
		t.Fatalf("%d leaves for %d entries", leaves, n)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSmallTrees: trees of up to 63 entries use memory in proportion to
// their size, also after shrinking.
func TestSmallTrees(t *testing.T) {
	var w Weighted[uint32, *val]
	w.Insert(1, 5, &val{1})
	if c := cap(w.t.small); c != 1 {
		t.Fatalf("capacity %d for one entry", c)
	}
	for k := range uint32(200) {
		w.Insert(k+2, 1, &val{int(k)})
	}
	if w.t.height != 1 {
		t.Fatalf("height %d", w.t.height)
	}
	for k := range uint32(198) {
		w.Remove(k + 2)
	}
	if w.t.height != 0 || w.Len() != 3 || cap(w.t.small) > 16 {
		t.Fatalf("height %d, %d entries, capacity %d", w.t.height, w.Len(), cap(w.t.small))
	}
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckDetects: Check reports broken invariants.
func TestCheckDetects(t *testing.T) {
	build := func(n int) *Weighted[uint32, *val] {
		var w Weighted[uint32, *val]
		for k := range n {
			w.Insert(uint32(2*k), 1, &val{k})
		}
		return &w
	}
	tests := []struct {
		name   string
		n      int
		break_ func(w *Weighted[uint32, *val])
	}{
		{"small order", 10, func(w *Weighted[uint32, *val]) { w.t.small[3].key = 100 }},
		{"small sum", 10, func(w *Weighted[uint32, *val]) { w.t.sum++ }},
		{"small count", 10, func(w *Weighted[uint32, *val]) { w.t.n++ }},
		{"leaf order", 5000, func(w *Weighted[uint32, *val]) { w.t.first.keys[0] = 1 << 30 }},
		{"separator", 5000, func(w *Weighted[uint32, *val]) { w.t.root.keys[1]++ }},
		{"child sum", 5000, func(w *Weighted[uint32, *val]) { w.t.root.word[0]++ }},
		{"leaf weight", 5000, func(w *Weighted[uint32, *val]) { w.t.first.aux[0]++ }},
		{"chain", 5000, func(w *Weighted[uint32, *val]) { w.t.first.next = w.t.first.next.next }},
		{"fill", 5000, func(w *Weighted[uint32, *val]) {
			l := w.t.first
			for l.n > 1 {
				l.removeAt(l.n - 1)
			}
		}},
		{"stale value", 5000, func(w *Weighted[uint32, *val]) {
			l := w.t.first
			for l.next != nil {
				l = l.next
			}
			l.vals[l.n] = &val{}
		}},
		{"count", 5000, func(w *Weighted[uint32, *val]) { w.t.n-- }},
	}
	for _, tt := range tests {
		w := build(tt.n)
		if err := w.Check(); err != nil {
			t.Fatalf("%s: intact tree: %v", tt.name, err)
		}
		tt.break_(w)
		if err := w.Check(); err == nil {
			t.Errorf("%s: not detected", tt.name)
		}
	}
}

// FuzzAgainstModel explores further operation sequences.
func FuzzAgainstModel(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint16(100), false)
	f.Add(uint64(2), uint8(2), uint16(3000), true)
	f.Fuzz(func(t *testing.T, seed uint64, g uint8, size uint16, weighted bool) {
		gen := keyGens[int(g)%len(keyGens)]
		target := 1 + int(size)%4000
		rng := rand.New(rand.NewPCG(seed, 99))
		run(t, rng, weighted, gen, target, 2*target+500, 1+target/20)
	})
}
