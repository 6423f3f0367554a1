package handlespace

import (
	"flag"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// The 1,000,000-PE benchmarks take minutes and a few hundred MB; they run
// only with -hs.big, e.g.
//
//	go test -run '^$' -bench . -benchtime 200000x ./internal/handlespace/ -args -hs.big
var benchBig = flag.Bool("hs.big", false, "include the 1,000,000-PE handlespace benchmarks")

func benchSizes() []int {
	if *benchBig {
		return []int{1000, 100000, 1000000}
	}
	return []int{1000, 100000}
}

type benchSetup struct {
	h       *Handlespace
	pes     []*rserpool.PoolElement // registration data, index = PE number
	handles []rserpool.PoolHandle
	ptype   rserpool.PolicyType
}

func (s *benchSetup) handle(i int) rserpool.PoolHandle { return s.handles[i%len(s.handles)] }

// newBenchSetup builds a handlespace of n PEs spread over pools pools, every
// PE with its own association and a keep-alive timer, as the home registrar
// of rspserver-style PEs (random identifiers) would hold it.
func newBenchSetup(tb testing.TB, ptype rserpool.PolicyType, n, pools int, registrator bool) *benchSetup {
	s := &benchSetup{h: New(own, newRand(1)), ptype: ptype}
	for i := range pools {
		s.handles = append(s.handles, rserpool.PoolHandle(fmt.Sprintf("pool-%04d", i)))
	}
	rng := newRand(uint64(n + pools))
	seen := make(map[uint32]bool, n)
	s.pes = make([]*rserpool.PoolElement, n)
	for i := range s.pes {
		id := rng.Uint32()
		for id == 0 || seen[id] {
			id = rng.Uint32()
		}
		seen[id] = true
		e := testPE(id, rserpool.PolicySettings{Type: ptype, Weight: 1 + rng.Uint32N(100), Load: rng.Uint32N(100) * 42949672})
		e.User.Addrs = []netip.Addr{netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		e.HasRegistrator = registrator
		if registrator {
			e.Registrator.Addrs = e.User.Addrs
		} else {
			e.Registrator = rserpool.Transport{}
		}
		s.pes[i] = e
		pe, _, err := s.h.Register(s.handle(i), e, AssocID(i+1))
		if err != nil {
			tb.Fatal(err)
		}
		s.h.SetTimer(pe, TimerKeepAliveTransmission, int64(i))
	}
	return s
}

// BenchmarkHandlespace measures the operations of the ASAP hot path for
// RoundRobin, WeightedRandom and LeastUsed pools of 1,000 and 100,000 (and
// with -hs.big 1,000,000) PEs, in one pool and spread over 1,000 pools.
func BenchmarkHandlespace(b *testing.B) {
	policies := []rserpool.PolicyType{rserpool.PolicyRoundRobin, rserpool.PolicyWeightedRandom, rserpool.PolicyLeastUsed}
	for _, ptype := range policies {
		for _, pools := range []int{1, 1000} {
			for _, n := range benchSizes() {
				b.Run(fmt.Sprintf("%v/pools=%d/pes=%d", ptype, pools, n), func(b *testing.B) {
					s := newBenchSetup(b, ptype, n, pools, true)
					b.Run("resolve3", s.benchResolve)
					b.Run("register", s.benchRegister)
					b.Run("reregister", s.benchReregister)
					b.Run("deregister", s.benchDeregister)
					b.Run("keepalive", s.benchKeepAlive)
				})
			}
		}
	}
}

// reportRate adds operations per second to a benchmark's output (the issue's
// unit; ns/op is its inverse).
func reportRate(b *testing.B) {
	if d := b.Elapsed(); d > 0 {
		b.ReportMetric(float64(b.N)/d.Seconds(), "ops/s")
	}
}

func (s *benchSetup) benchResolve(b *testing.B) {
	dst := make([]*PE, 0, 8)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var err error
		if dst, err = s.h.Resolve(dst[:0], s.handle(i), 3, 0); err != nil || len(dst) == 0 {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func (s *benchSetup) benchReregister(b *testing.B) {
	n := len(s.pes)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % n
		if _, isNew, err := s.h.Register(s.handle(k), s.pes[k], AssocID(k+1)); err != nil || isNew {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// chunk is how many PEs the register and deregister benchmarks take out and
// put back per round, so that the handlespace stays between 90 and 100 % of
// its size.
func (s *benchSetup) chunk() int { return max(len(s.pes)/10, 1) }

func (s *benchSetup) benchRegister(b *testing.B) {
	s.churn(b, true)
}

func (s *benchSetup) benchDeregister(b *testing.B) {
	s.churn(b, false)
}

// churn removes and re-adds chunks of PEs, timing only the additions
// (register) or only the removals (deregister).
func (s *benchSetup) churn(b *testing.B, timeRegister bool) {
	n, c := len(s.pes), s.chunk()
	next := 0
	b.ReportAllocs()
	done := 0
	b.ResetTimer()
	for done < b.N {
		m := min(c, b.N-done)
		start := next
		if timeRegister {
			b.StopTimer()
		}
		for j := range m {
			k := (start + j) % n
			if s.h.Deregister(s.handle(k), s.pes[k].ID) == nil {
				b.Fatal("missing PE")
			}
		}
		if timeRegister {
			b.StartTimer()
		} else {
			b.StopTimer()
		}
		for j := range m {
			k := (start + j) % n
			if _, _, err := s.h.Register(s.handle(k), s.pes[k], AssocID(k+1)); err != nil {
				b.Fatal(err)
			}
		}
		if !timeRegister {
			b.StartTimer()
		}
		next = (start + m) % n
		done += m
	}
	b.StopTimer()
	reportRate(b)
	// Registrations above do not start timers; restore them for the
	// keep-alive benchmark.
	for i, e := range s.pes {
		if pe := s.h.Find(s.handle(i), e.ID); pe.timer == TimerNone {
			s.h.SetTimer(pe, TimerKeepAliveTransmission, int64(i))
		}
	}
}

// benchKeepAlive takes the earliest keep-alive timer and re-arms it behind
// all others, as the core does for each keep-alive transmission and ack.
func (s *benchSetup) benchKeepAlive(b *testing.B) {
	ts := int64(len(s.pes))
	b.ReportAllocs()
	for b.Loop() {
		pe, _, _, ok := s.h.PopDue(math.MaxInt64)
		if !ok {
			b.Fatal("no timer")
		}
		ts++
		s.h.SetTimer(pe, TimerKeepAliveTimeout, ts)
	}
	reportRate(b)
}

func heapInUse() (alloc, inuse uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.HeapInuse
}

// BenchmarkMemory reports the heap per PE (live heap after GC, and heap
// spans in use) of a handlespace whose PEs each have one user transport
// address, with and without one registrator transport address, its own
// association and a running timer, for the three policies of the resolve
// benchmarks (their pools keep different selection structures). The
// registration data the benchmark keeps for itself is measured before and
// subtracted. The handlespace is built once whatever b.N is; ns/op is the
// build time per PE (registration into a growing handlespace plus starting
// its timer).
func BenchmarkMemory(b *testing.B) {
	policies := []rserpool.PolicyType{rserpool.PolicyRoundRobin, rserpool.PolicyWeightedRandom, rserpool.PolicyLeastUsed}
	for _, ptype := range policies {
		for _, registrator := range []bool{false, true} {
			for _, pools := range []int{1, 1000} {
				for _, n := range benchSizes() {
					b.Run(fmt.Sprintf("%v/registrator=%v/pools=%d/pes=%d", ptype, registrator, pools, n), func(b *testing.B) {
						start := time.Now()
						s := newBenchSetup(b, ptype, n, pools, registrator)
						build := time.Since(start)
						if s.h.PEs() != n {
							b.Fatal("size")
						}
						a0, i0 := heapInUse()
						s.h = nil // the registration data in s.pes stays live
						a1, i1 := heapInUse()
						runtime.KeepAlive(s)
						b.ReportMetric(float64(build.Nanoseconds())/float64(n), "ns/op")
						b.ReportMetric(float64(a0-a1)/float64(n), "alloc-B/PE")
						b.ReportMetric(float64(i0-i1)/float64(n), "inuse-B/PE")
					})
				}
			}
		}
	}
}

// BenchmarkRandomSource is the cost of the default crypto-seeded source, for
// comparison with the weighted resolutions.
func BenchmarkRandomSource(b *testing.B) {
	r := New(own, nil).rnd
	var x uint64
	for b.Loop() {
		x += r.Uint64()
	}
	_ = x
}
