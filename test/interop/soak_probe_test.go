package interop

import (
	"sync"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// soakProbe watches what the soak's registrar metrics cannot see: the
// sandbox's CPU, the kernel's SCTP retransmission timers, and whether this
// process (the load generator, which shares the one CPU with the registrar)
// was kept from running. A PE whose Keep Alive Ack comes after the
// registrar's 5 s timeout loses its association; these say whether the
// machine, the kernel's retransmissions or the load generator held it up.
type soakProbe struct {
	t         *testing.T
	quit      chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	late      time.Duration // longest lateness of the tick since the last read
	busy, idl uint64
}

// probeTick is the period of the lateness tick.
const probeTick = 50 * time.Millisecond

func newSoakProbe(t *testing.T) *soakProbe {
	p := &soakProbe{t: t, quit: make(chan struct{}), done: make(chan struct{})}
	p.busy, p.idl, _ = sandboxtest.CPUTimes()
	go p.tick()
	return p
}

func (p *soakProbe) tick() {
	defer close(p.done)
	last := time.Now()
	for {
		select {
		case <-p.quit:
			return
		case <-time.After(probeTick):
		}
		now := time.Now()
		if late := now.Sub(last) - probeTick; late > 0 {
			p.mu.Lock()
			p.late = max(p.late, late)
			p.mu.Unlock()
		}
		last = now
	}
}

func (p *soakProbe) stop() {
	close(p.quit)
	<-p.done
}

// probeSample is what the probe saw since the last sample.
type probeSample struct {
	cpuBusy    float64       // share of the CPU busy, 0-1
	late       time.Duration // this process's longest delay past a tick
	t3, fast   float64       // SCTP retransmission timeouts and fast retransmits (totals)
	discards   float64       // SCTP packets and DATA chunks discarded (total)
	counterErr error
}

func (p *soakProbe) sample() probeSample {
	var s probeSample
	busy, idl, err := sandboxtest.CPUTimes()
	if err == nil {
		if d := (busy - p.busy) + (idl - p.idl); d > 0 {
			s.cpuBusy = float64(busy-p.busy) / float64(d)
		}
		p.busy, p.idl = busy, idl
	}
	p.mu.Lock()
	s.late, p.late = p.late, 0
	p.mu.Unlock()
	c, err := sandboxtest.SCTPCounters()
	s.counterErr = err
	s.t3 = float64(c["SctpT3RtxExpireds"])
	s.fast = float64(c["SctpFastRetransmits"])
	s.discards = float64(c["SctpInPktDiscards"] + c["SctpInDataChunkDiscards"])
	return s
}
