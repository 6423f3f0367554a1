package btree

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The benchmarks run the handlespace's access patterns on trees of 1,000
// and 1,000,000 entries.

var benchSizes = []int{1000, 1000000}

// BenchmarkRoundRobin takes the first entry and puts it behind all others.
func BenchmarkRoundRobin(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var s Set[uint64, *val]
			for i := range n {
				s.Insert(0, uint32(i), &val{i})
			}
			tie := uint32(n)
			b.ReportAllocs()
			for b.Loop() {
				c := s.First()
				k, t := c.Key(), c.Extra()
				v, _ := s.Remove(k, t)
				s.Insert(k, tie, v)
				tie++
			}
		})
	}
}

// BenchmarkLeastUsed takes the first entry and puts it behind the others
// of the same key, with 100 different keys.
func BenchmarkLeastUsed(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var s Set[uint64, *val]
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range n {
				s.Insert(rng.Uint64N(100), uint32(i), &val{i})
			}
			tie := uint32(n)
			b.ReportAllocs()
			for b.Loop() {
				c := s.First()
				k, t := c.Key(), c.Extra()
				v, _ := s.Remove(k, t)
				s.Insert(k, tie, v)
				tie++
			}
		})
	}
}

func randomWeighted(n int) (*Weighted[uint32, *val], []uint32) {
	var w Weighted[uint32, *val]
	rng := rand.New(rand.NewPCG(3, 4))
	keys := make([]uint32, 0, n)
	for len(keys) < n {
		k := rng.Uint32()
		if w.Insert(k, 1+rng.Uint32N(100), &val{len(keys)}) {
			keys = append(keys, k)
		}
	}
	return &w, keys
}

// BenchmarkPick draws one entry from a tree with random keys.
func BenchmarkPick(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			w, _ := randomWeighted(n)
			rng := rand.New(rand.NewPCG(5, 6))
			sum := w.Sum()
			var x int
			for b.Loop() {
				c, _ := w.Pick(rng.Uint64N(sum))
				x += int(c.Extra())
			}
		})
	}
}

// BenchmarkFind looks up a random existing key.
func BenchmarkFind(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			w, keys := randomWeighted(n)
			rng := rand.New(rand.NewPCG(5, 6))
			for b.Loop() {
				if _, ok := w.Find(keys[rng.IntN(len(keys))]); !ok {
					b.Fatal("missing")
				}
			}
		})
	}
}

// BenchmarkInsertRemove removes a random entry and inserts it again.
func BenchmarkInsertRemove(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			w, keys := randomWeighted(n)
			rng := rand.New(rand.NewPCG(5, 6))
			b.ReportAllocs()
			for b.Loop() {
				k := keys[rng.IntN(len(keys))]
				v, wt, _ := w.Remove(k)
				w.Insert(k, wt, v)
			}
		})
	}
}
