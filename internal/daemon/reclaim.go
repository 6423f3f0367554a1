package daemon

// This file holds the memory reclaimer: after a burst (a registration storm,
// a handle-table sync, a takeover) it collects the burst's garbage and
// gives the free pages back, so that a quiet registrar's resident set is its
// live handlespace rather than up to twice that.

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// reclaimPeriod is how often the reclaimer looks at the heap. A look reads
// two runtime counters; it costs microseconds.
const reclaimPeriod = time.Second

// heapSample is what the reclaimer decides on, in bytes.
type heapSample struct {
	allocs uint64 // allocated since the start (cumulative)
	live   uint64 // marked live by the last collection
}

// reclaimDue reports whether to collect now: since the last reclaim the
// program allocated at least 1 MiB and a quarter of the live heap (a
// burst), and in the last period less than 1/64 of the live heap, so that
// the collector's own pacing (GOGC=100: after allocating the live heap
// again) would leave the garbage for over a minute. Under steady load that
// pacing stays in charge; a forced collection there would only cost CPU.
func reclaimDue(last, prev, cur heapSample) bool {
	burst := cur.allocs - last.allocs
	recent := cur.allocs - prev.allocs
	return burst >= 1<<20 && burst >= cur.live/4 && recent < cur.live/64
}

// reclaimMemory runs until ctx is done, reclaiming when reclaimDue says so.
func (d *loop) reclaimMemory(ctx context.Context) {
	samples := []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	read := func() heapSample {
		metrics.Read(samples)
		var v [2]uint64
		for i, s := range samples {
			if s.Value.Kind() == metrics.KindUint64 {
				v[i] = s.Value.Uint64()
			}
		}
		return heapSample{allocs: v[0], live: v[1]}
	}
	t := time.NewTicker(reclaimPeriod)
	defer t.Stop()
	prev := read()
	last := prev
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := read()
		if reclaimDue(last, prev, cur) {
			// A collection runs concurrently with the event loop but for
			// two short pauses; returning the pages is a madvise. The
			// first collection only moves the read buffers pooled during
			// the burst aside (sync.Pool's victim cache), the second frees
			// them.
			runtime.GC()
			debug.FreeOSMemory()
			cur = read()
			last = cur
		}
		prev = cur
	}
}
