package rbtree

import (
	"math/rand/v2"
	"slices"
	"testing"
)

type item struct {
	key   int
	color uint8
	links Links[*item]
}

type plainOps struct{}

func (plainOps) Links(x *item) *Links[*item]   { return &x.links }
func (plainOps) Color(x *item) (*uint8, uint8) { return &x.color, 1 }
func (plainOps) Compare(a, b *item) int        { return cmpInt(a.key, b.key) }

func cmpInt(a, b int) int                          { return a - b }
func probeFor(k int) func(*item) int               { return func(x *item) int { return cmpInt(k, x.key) } }
func keysOf[O Ops[*item]](t *Tree[*item, O]) []int { return collect(t, t.First(), t.Next) }

func collect[O Ops[*item]](t *Tree[*item, O], start *item, step func(*item) *item) []int {
	var out []int
	for x := start; x != nil; x = step(x) {
		out = append(out, x.key)
	}
	return out
}

// model is the naive reference: a sorted slice.
type model []*item

func (m model) find(k int) int {
	i, _ := slices.BinarySearchFunc(m, k, func(x *item, k int) int { return cmpInt(x.key, k) })
	return i
}

// TestTreeAgainstModel drives a tree and the model with the same random
// operations and checks every invariant after each step.
func TestTreeAgainstModel(t *testing.T) {
	tests := []struct {
		name  string
		keys  int
		steps int
	}{
		{"small", 16, 3000},
		{"medium", 300, 6000},
		{"dense", 200, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tt.keys), uint64(tt.steps)))
			var pt Tree[*item, plainOps]
			pt.Init(plainOps{})
			var m model
			for step := 0; step < tt.steps; step++ {
				k := rng.IntN(tt.keys)
				i := m.find(k)
				present := i < len(m) && m[i].key == k
				switch op := rng.IntN(10); {
				case op < 5: // insert
					x := &item{key: k}
					got, ok := pt.Insert(x)
					if ok == present {
						t.Fatalf("step %d: Insert(%d) ok=%v, present=%v", step, k, ok, present)
					}
					if ok {
						m = slices.Insert(m, i, x)
					} else if got != m[i] {
						t.Fatalf("step %d: Insert returned the wrong duplicate", step)
					}
				default: // remove
					if present {
						pt.Remove(m[i])
						if pt.Contains(m[i]) {
							t.Fatalf("step %d: removed element still contained", step)
						}
						m = slices.Delete(m, i, i+1)
					}
				}
				if err := pt.Check(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
			}
			keys, rev := keysOf(&pt), collect(&pt, pt.Last(), pt.Prev)
			var want []int
			for _, x := range m {
				want = append(want, x.key)
			}
			if !slices.Equal(keys, want) {
				t.Fatalf("keys %v want %v", keys, want)
			}
			slices.Reverse(rev)
			if !slices.Equal(rev, want) {
				t.Fatalf("reverse iteration %v want %v", rev, want)
			}
		})
	}
}

func TestFindAndAfter(t *testing.T) {
	var tr Tree[*item, plainOps]
	tr.Init(plainOps{})
	for _, k := range []int{10, 20, 30, 40} {
		tr.Insert(&item{key: k})
	}
	tests := []struct {
		key         int
		find, after int // -1 = none
	}{
		{5, -1, 10}, {10, 10, 20}, {15, -1, 20}, {40, 40, -1}, {45, -1, -1},
	}
	key := func(x *item) int {
		if x == nil {
			return -1
		}
		return x.key
	}
	for _, tt := range tests {
		if got := key(tr.Find(probeFor(tt.key))); got != tt.find {
			t.Errorf("Find(%d) = %d want %d", tt.key, got, tt.find)
		}
		if got := key(tr.After(probeFor(tt.key))); got != tt.after {
			t.Errorf("After(%d) = %d want %d", tt.key, got, tt.after)
		}
	}
	var empty Tree[*item, plainOps]
	empty.Init(plainOps{})
	if empty.First() != nil || empty.Last() != nil || empty.Find(probeFor(1)) != nil || empty.Check() != nil {
		t.Error("empty tree misbehaves")
	}
}

// TestSequentialPatterns covers the insertion patterns the handlespace
// produces most: always appending at the end (round robin) and removing the
// front.
func TestSequentialPatterns(t *testing.T) {
	var tr Tree[*item, plainOps]
	tr.Init(plainOps{})
	items := make([]*item, 0, 1000)
	for k := range 1000 {
		x := &item{key: k}
		items = append(items, x)
		tr.Insert(x)
	}
	if err := tr.Check(); err != nil {
		t.Fatal(err)
	}
	// Rotate: remove the first, re-insert with a larger key.
	next := 1000
	for range 5000 {
		x := tr.First()
		tr.Remove(x)
		x.key = next
		next++
		tr.Insert(x)
	}
	if err := tr.Check(); err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 1000 {
		t.Fatalf("Len=%d", tr.Len())
	}
	for _, x := range items {
		tr.Remove(x)
	}
	if tr.Len() != 0 || tr.Root() != nil || tr.Check() != nil {
		t.Fatal("tree not empty after removing everything")
	}
}

func BenchmarkInsertRemove(b *testing.B) {
	var tr Tree[*item, plainOps]
	tr.Init(plainOps{})
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	items := make([]*item, n)
	for i := range items {
		items[i] = &item{key: rng.Int()}
		tr.Insert(items[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := items[i%n]
		tr.Remove(x)
		tr.Insert(x)
	}
}
