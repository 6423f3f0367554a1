package daemon

import (
	"context"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestReclaimDue(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name            string
		last, prev, cur heapSample
		want            bool
	}{
		{"quiet after a burst", heapSample{}, heapSample{allocs: 100 * mib}, heapSample{allocs: 100 * mib, live: 8 * mib}, true},
		{"a trickle after a burst", heapSample{}, heapSample{allocs: 100 * mib}, heapSample{allocs: 100*mib + 64<<10, live: 8 * mib}, true},
		{"still allocating", heapSample{}, heapSample{allocs: 100 * mib}, heapSample{allocs: 101 * mib, live: 8 * mib}, false},
		{"small burst for the heap", heapSample{allocs: 90 * mib}, heapSample{allocs: 100 * mib}, heapSample{allocs: 100 * mib, live: 48 * mib}, false},
		{"under a MiB", heapSample{allocs: 100 * mib}, heapSample{allocs: 100*mib + 900<<10}, heapSample{allocs: 100*mib + 900<<10, live: 100 << 10}, false},
		{"reclaimed already", heapSample{allocs: 100 * mib}, heapSample{allocs: 100 * mib}, heapSample{allocs: 100 * mib, live: 8 * mib}, false},
	} {
		if got := reclaimDue(c.last, c.prev, c.cur); got != c.want {
			t.Errorf("%s: reclaimDue = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestReclaimMemory leaves garbage behind and expects the reclaimer to
// collect it within a few periods, long before the collector's own pacing
// would (nothing else allocates).
func TestReclaimMemory(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	d := &Daemon{}
	go d.reclaimMemory(ctx)
	keep := make([][]byte, 0, 4096)
	for i := 0; i < 4096; i++ {
		b := make([]byte, 4096)
		if i%8 == 0 {
			keep = append(keep, b)
		}
	}
	deadline := time.Now().Add(10 * reclaimPeriod)
	for {
		metrics.Read(s)
		if s[0].Value.Uint64() > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no collection after %v after 16 MiB allocated", 10*reclaimPeriod)
		}
		time.Sleep(50 * time.Millisecond)
	}
	runtime.KeepAlive(keep)
}
