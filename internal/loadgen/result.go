package loadgen

import (
	"fmt"
	"slices"
	"time"
)

// Result is the outcome of one load phase.
type Result struct {
	// OK counts requests answered as expected, Failed the others (rejected,
	// wrong answer type or PE, undecodable answer).
	OK, Failed int
	// Elapsed is the wall time from the first send to the last answer.
	Elapsed time.Duration
	// Latencies of a sample of the OK requests (every few), sorted
	// ascending.
	Latencies []time.Duration
	// Causes counts the error causes of rejected requests.
	Causes map[uint16]int
}

// Rate returns the answered requests per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK+r.Failed) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which the fraction p (0..1) of the
// OK requests lie (nearest rank), or 0 without any.
func (r *Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(p*float64(n)+0.5) - 1
	return r.Latencies[max(0, min(i, n-1))]
}

// String summarises the result in one line.
func (r *Result) String() string {
	return fmt.Sprintf("%d ok, %d failed in %v (%.0f/s), latency p50 %v p99 %v max %v",
		r.OK, r.Failed, r.Elapsed.Round(time.Millisecond), r.Rate(),
		r.Percentile(0.5), r.Percentile(0.99), r.Percentile(1))
}

// merge adds a connection's tallies; finish sorts the latencies.
func (r *Result) merge(c *tally) {
	r.OK += c.ok
	r.Failed += c.failed
	r.Latencies = append(r.Latencies, c.lat...)
	for k, v := range c.causes {
		if r.Causes == nil {
			r.Causes = map[uint16]int{}
		}
		r.Causes[k] += v
	}
}

func (r *Result) finish(elapsed time.Duration) {
	r.Elapsed = elapsed
	slices.Sort(r.Latencies)
}

// tally is one connection's count of a phase, written by its reader only.
type tally struct {
	ok, failed int
	lat        []time.Duration
	causes     map[uint16]int
}

func (t *tally) reset(capacity int) {
	t.ok, t.failed = 0, 0
	t.lat = make([]time.Duration, 0, capacity)
	t.causes = nil
}

func (t *tally) fail(cause uint16) {
	t.failed++
	if cause != 0 {
		if t.causes == nil {
			t.causes = map[uint16]int{}
		}
		t.causes[cause]++
	}
}
