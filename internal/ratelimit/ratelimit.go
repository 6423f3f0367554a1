// Package ratelimit is RSPLIB's per-pool-user accounting of Handle
// Resolutions and Endpoint Unreachable reports (-maxhrrate, -maxeurate): for
// every pool user association a table of time-stamp buckets per request
// kind, hashed by pool handle. It keeps no clock; the caller passes the time.
package ratelimit

import (
	"encoding/binary"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

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

// Limiter is RSPLIB's per-pool-user request accounting: for every PU
// association a table of 64 buckets of 16 time stamps per request kind,
// hashed by pool handle (and PE id, always 0 in RSPLIB). A request is refused
// when its bucket's rate exceeds the configured maximum.
type Limiter struct {
	users map[uint64]*poolUser
}

// New returns an empty limiter.
func New() *Limiter { return &Limiter{users: map[uint64]*poolUser{}} }

func (r *Limiter) user(conn uint64) *poolUser {
	u := r.users[conn]
	if u == nil {
		u = &poolUser{}
		r.users[conn] = u
	}
	return u
}

// AllowHandleResolution notes a Handle Resolution from conn and reports
// whether its rate is within max requests per second.
func (r *Limiter) AllowHandleResolution(conn uint64, h rserpool.PoolHandle, now int64, max float64) bool {
	u := r.user(conn)
	if u.hr == nil {
		u.hr = new(table)
	}
	return u.hr.note(poolHash(h, 0), now) <= max
}

// AllowEndpointUnreachable notes an Endpoint Unreachable report from conn and
// reports whether its rate is within max reports per second. Like RSPLIB the
// accounting is per pool, not per PE.
func (r *Limiter) AllowEndpointUnreachable(conn uint64, h rserpool.PoolHandle, now int64, max float64) bool {
	u := r.user(conn)
	if u.eu == nil {
		u.eu = new(table)
	}
	return u.eu.note(poolHash(h, 0), now) <= max
}

// Forget drops the state of a connection that went away. (RSPLIB keeps it
// forever; dropping it bounds memory and changes nothing for live PUs.)
func (r *Limiter) Forget(conn uint64) { delete(r.users, conn) }

// Len returns the number of tracked connections.
func (r *Limiter) Len() int { return len(r.users) }

// poolHash is RSPLIB's computePHPEHash: the XOR of the pool handle read as 32-bit
// words in (little-endian) host order, the last partial word zero-padded,
// and the PE id.
func poolHash(h rserpool.PoolHandle, id rserpool.PEID) uint32 {
	var hash uint32
	i := 0
	for ; i+4 <= len(h); i += 4 {
		hash ^= binary.LittleEndian.Uint32([]byte(h[i : i+4]))
	}
	if i < len(h) {
		var rest [4]byte
		copy(rest[:], h[i:])
		hash ^= binary.LittleEndian.Uint32(rest[:])
	}
	return hash ^ uint32(id)
}
