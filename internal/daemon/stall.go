package daemon

import (
	"time"

	"github.com/rserpool/rspregistrar/internal/sctp"
)

// bufferInspector is what finding a stalled association needs of a socket:
// its associations and how many chunks each holds in the send buffer. The
// kernel's sockets have it; test fakes may leave it out.
type bufferInspector interface {
	AssocIDs() ([]sctp.AssocID, error)
	Status(assoc sctp.AssocID) (sctp.Status, error)
	Counters(assoc sctp.AssocID) (sctp.Counters, error)
}

const (
	// stallInterval is how often a writer waiting for buffer space looks
	// for the association that holds it, and how long an association must
	// hold it without progress to count as stalled.
	stallInterval = time.Second
	// stallMinChunks is the least an association must hold to be blamed:
	// a share of a small queue is no stall.
	stallMinChunks = 32
	// stallClosed is how long a peer's receive window must stay shut,
	// with its association holding the buffer, to count as not reading.
	stallClosed = 3 * time.Second
	// stallAnswer is how long a writer waits for room after reporting a
	// stall before it looks for the core's abort of it.
	stallAnswer = 20 * time.Millisecond
)

// stallWatch finds an association that holds most of a socket's shared
// send buffer (net.sctp.sndbuf_policy 0) and delivers none of it: a peer
// behind a partition, or a client that stops reading, while the messages
// for every other association wait for room. It runs in the outbox's
// writer goroutine, only while the buffer is full, at most once per
// stallInterval, so it costs nothing in normal operation.
type stallWatch struct {
	in   bufferInspector
	last time.Time
	// suspect held most of the buffer at the last look; packets is how
	// many packets had come from its peer then, and closedSince since when
	// its peer's receive window has been zero at every look (zero: open).
	suspect     sctp.AssocID
	packets     uint64
	closedSince time.Time
}

// look reads the associations' queued chunks at time now and returns the
// status of an association that held at least half of them, and at least
// stallMinChunks, at this look and at the one before (stallInterval or
// more ago), while its peer sent nothing at all in between (not even a
// SACK: cut off) or kept its receive window shut for stallClosed (not
// reading; a reader that is only slow, or briefly starved of CPU, opens it
// again). A peer that delivers, however slowly, acknowledges something
// every round trip.
// ok is false when no association is to blame (a full buffer shared by
// many, as in a takeover's keep-alive burst) or when it is too soon to
// tell.
func (w *stallWatch) look(now time.Time) (st sctp.Status, ok bool) {
	if now.Sub(w.last) < stallInterval {
		return sctp.Status{}, false
	}
	w.last = now
	suspect := w.suspect
	w.suspect = 0
	ids, err := w.in.AssocIDs()
	if err != nil {
		return sctp.Status{}, false
	}
	total, top, topLoad := 0, sctp.AssocID(0), 0
	var topStatus sctp.Status
	for _, id := range ids {
		st, err := w.in.Status(id)
		if err != nil {
			continue // ended meanwhile
		}
		load := int(st.UnackedData) + int(st.PendingData)
		total += load
		if load > topLoad {
			top, topLoad, topStatus = id, load, st
		}
	}
	if topLoad < stallMinChunks || 2*topLoad < total {
		return sctp.Status{}, false
	}
	c, err := w.in.Counters(top)
	if err != nil {
		return sctp.Status{}, false
	}
	closedSince := time.Time{}
	if topStatus.RWND == 0 {
		closedSince = now
		if top == suspect && !w.closedSince.IsZero() {
			closedSince = w.closedSince
		}
	}
	if top == suspect && (c.PacketsIn == w.packets || !closedSince.IsZero() && now.Sub(closedSince) >= stallClosed) {
		return topStatus, true
	}
	w.suspect, w.packets, w.closedSince = top, c.PacketsIn, closedSince
	return sctp.Status{}, false
}
