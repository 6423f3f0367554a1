package handlespace

// The timer queue is a 4-ary min-heap ordered like RSPLIB's timer set, by
// (due time, PE identifier, pool handle), so due timers come out in the same
// order. A heap needs no per-PE tree links and reschedules in place; the due
// time is kept in the heap entries so that comparisons rarely touch the PEs.
// Four children per node halve the depth of a binary heap: a million timers
// take ten levels, and each level moved updates one PE's queue position,
// which is a cache miss.

type timerEntry struct {
	ts int64
	pe *PE
}

func timerLess(a, b *timerEntry) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if a.pe.elem.ID != b.pe.elem.ID {
		return a.pe.elem.ID < b.pe.elem.ID
	}
	return a.pe.pool.handle.Compare(b.pe.pool.handle) < 0
}

// SetTimer starts the PE's timer (replacing a running one) with the code,
// due at time ts. It does nothing for a PE that is not in the handlespace.
func (h *Handlespace) SetTimer(pe *PE, code TimerCode, ts int64) {
	if code == TimerNone {
		h.StopTimer(pe)
		return
	}
	if pe.pool == nil || !pe.inHandlespace() {
		return
	}
	pe.timer = code
	if pe.timerPos != 0 {
		i := int(pe.timerPos - 1)
		h.timers[i].ts = ts
		if !h.siftUp(i) {
			h.siftDown(i)
		}
		return
	}
	h.timers = append(h.timers, timerEntry{ts: ts, pe: pe})
	i := len(h.timers) - 1
	pe.timerPos = uint32(i + 1)
	h.siftUp(i)
}

// StopTimer stops the PE's timer, if any.
func (h *Handlespace) StopTimer(pe *PE) {
	if pe.timerPos == 0 {
		return
	}
	h.removeTimer(int(pe.timerPos - 1))
}

func (h *Handlespace) removeTimer(i int) {
	pe := h.timers[i].pe
	pe.timerPos, pe.timer = 0, TimerNone
	last := len(h.timers) - 1
	if i != last {
		h.timers[i] = h.timers[last]
		h.timers[i].pe.timerPos = uint32(i + 1)
	}
	h.timers[last] = timerEntry{}
	h.timers = h.timers[:last]
	if i != last && !h.siftUp(i) {
		h.siftDown(i)
	}
}

// NextTimer returns the due time of the earliest timer.
func (h *Handlespace) NextTimer() (ts int64, ok bool) {
	if len(h.timers) == 0 {
		return 0, false
	}
	return h.timers[0].ts, true
}

// PopDue stops and returns the earliest timer if it is due at now (due time
// <= now), with its code and due time. Calling it until ok is false handles
// the due timers in RSPLIB's order.
func (h *Handlespace) PopDue(now int64) (pe *PE, code TimerCode, ts int64, ok bool) {
	if len(h.timers) == 0 || h.timers[0].ts > now {
		return nil, TimerNone, 0, false
	}
	pe, ts = h.timers[0].pe, h.timers[0].ts
	code = pe.timer
	h.removeTimer(0)
	return pe, code, ts, true
}

// Timers returns the number of running timers.
func (h *Handlespace) Timers() int { return len(h.timers) }

// siftUp moves entry i up while it is smaller than its parent and reports
// whether it moved.
func (h *Handlespace) siftUp(i int) bool {
	t := h.timers
	e := t[i]
	start := i
	for i > 0 {
		parent := (i - 1) / 4
		if !timerLess(&e, &t[parent]) {
			break
		}
		t[i] = t[parent]
		t[i].pe.timerPos = uint32(i + 1)
		i = parent
	}
	t[i] = e
	e.pe.timerPos = uint32(i + 1)
	return i != start
}

func (h *Handlespace) siftDown(i int) {
	t := h.timers
	n := len(t)
	e := t[i]
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		m := first
		for c := first + 1; c < min(first+4, n); c++ {
			if timerLess(&t[c], &t[m]) {
				m = c
			}
		}
		if !timerLess(&t[m], &e) {
			break
		}
		t[i] = t[m]
		t[i].pe.timerPos = uint32(i + 1)
		i = m
	}
	t[i] = e
	e.pe.timerPos = uint32(i + 1)
}
