package asap

import "github.com/rserpool/rspregistrar/internal/rserpool"

// Rate-limiter dimensions as in RSPLIB (TSHT_BUCKETS, TSHT_ENTRIES).
const (
	rateBuckets = 64
	rateEntries = 16
)

// bucket keeps the last rateEntries time stamps (nanoseconds), oldest first.
type bucket struct {
	n  uint8
	ts [rateEntries]int64
}

func (b *bucket) add(now int64) {
	if b.n > 0 && b.ts[b.n-1] > now {
		return // RSPLIB refuses non-monotonic time stamps
	}
	if int(b.n) < rateEntries {
		b.ts[b.n] = now
		b.n++
		return
	}
	copy(b.ts[:], b.ts[1:])
	b.ts[rateEntries-1] = now
}

// rate is entries per second over the span of the kept time stamps.
func (b *bucket) rate() float64 {
	if b.n < 2 {
		return 0
	}
	span := float64(b.ts[b.n-1]-b.ts[0]) / 1e9
	return float64(b.n) / span // +Inf for a zero span, as in C
}

type table [rateBuckets]bucket

func (t *table) note(hash uint32, now int64) float64 {
	b := &t[hash%rateBuckets]
	b.add(now)
	return b.rate()
}

type poolUser struct {
	hr, eu *table
}

// RateLimiter is RSPLIB's per-pool-user request accounting: for every PU
// association a table of 64 buckets of 16 time stamps per request kind,
// hashed by pool handle (and PE id, always 0 in RSPLIB). A request is refused
// when its bucket's rate exceeds the configured maximum.
type RateLimiter struct {
	users map[uint64]*poolUser
}

// NewRateLimiter returns an empty limiter.
func NewRateLimiter() *RateLimiter { return &RateLimiter{users: map[uint64]*poolUser{}} }

func (r *RateLimiter) user(conn uint64) *poolUser {
	u := r.users[conn]
	if u == nil {
		u = &poolUser{}
		r.users[conn] = u
	}
	return u
}

// AllowHandleResolution notes a Handle Resolution from conn and reports
// whether its rate is within max requests per second.
func (r *RateLimiter) AllowHandleResolution(conn uint64, h rserpool.PoolHandle, now int64, max float64) bool {
	u := r.user(conn)
	if u.hr == nil {
		u.hr = new(table)
	}
	return u.hr.note(Hash(h, 0), now) <= max
}

// AllowEndpointUnreachable notes an Endpoint Unreachable report from conn and
// reports whether its rate is within max reports per second. Like RSPLIB the
// accounting is per pool, not per PE.
func (r *RateLimiter) AllowEndpointUnreachable(conn uint64, h rserpool.PoolHandle, now int64, max float64) bool {
	u := r.user(conn)
	if u.eu == nil {
		u.eu = new(table)
	}
	return u.eu.note(Hash(h, 0), now) <= max
}

// Forget drops the state of a connection that went away. (RSPLIB keeps it
// forever; dropping it bounds memory and changes nothing for live PUs.)
func (r *RateLimiter) Forget(conn uint64) { delete(r.users, conn) }

// Len returns the number of tracked connections.
func (r *RateLimiter) Len() int { return len(r.users) }
