package handlespace

// The timer queue is a binary min-heap ordered like RSPLIB's timer set, by
// (due time, PE identifier, pool handle), so due timers come out in the same
// order. A heap needs no per-PE tree links and reschedules in place; the due
// time is kept in the heap entries so that comparisons rarely touch the PEs.

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
	if pe.pool == nil || !pe.pool.contains(pe) {
		return
	}
	pe.timer, pe.timerTS = code, ts
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
	pe.timerPos, pe.timer, pe.timerTS = 0, TimerNone, 0
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
	pe = h.timers[0].pe
	code, ts = pe.timer, pe.timerTS
	h.removeTimer(0)
	return pe, code, ts, true
}

// Timers returns the number of running timers.
func (h *Handlespace) Timers() int { return len(h.timers) }

func (h *Handlespace) swapTimers(i, j int) {
	t := h.timers
	t[i], t[j] = t[j], t[i]
	t[i].pe.timerPos = uint32(i + 1)
	t[j].pe.timerPos = uint32(j + 1)
}

// siftUp moves entry i up while it is smaller than its parent and reports
// whether it moved.
func (h *Handlespace) siftUp(i int) bool {
	moved := false
	for i > 0 {
		parent := (i - 1) / 2
		if !timerLess(&h.timers[i], &h.timers[parent]) {
			break
		}
		h.swapTimers(i, parent)
		i, moved = parent, true
	}
	return moved
}

func (h *Handlespace) siftDown(i int) {
	n := len(h.timers)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && timerLess(&h.timers[r], &h.timers[l]) {
			m = r
		}
		if !timerLess(&h.timers[m], &h.timers[i]) {
			return
		}
		h.swapTimers(i, m)
		i = m
	}
}
