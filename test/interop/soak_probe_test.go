package interop

import (
	"sync"
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
	quit      chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	late      time.Duration // longest lateness of the tick since the last read
	busy, idl uint64
	port      int // the registrar's ASAP port
	self      sandboxtest.ProcessStat
	at        time.Time
}

// clockTicks is the unit of /proc's CPU times (USER_HZ).
const clockTicks = 100

// probeTick is the period of the lateness tick.
const probeTick = 50 * time.Millisecond

func newSoakProbe(port int) *soakProbe {
	p := &soakProbe{quit: make(chan struct{}), done: make(chan struct{}), port: port, at: time.Now()}
	p.busy, p.idl, _ = sandboxtest.CPUTimes()
	p.self, _ = sandboxtest.SelfStat()
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
	cpuBusy     float64       // share of the CPU busy, 0-1
	loadgenCPU  float64       // share of the CPU this process used
	faults      float64       // this process's minor page faults since the last sample
	late        time.Duration // this process's longest delay past a tick
	t3, fast    float64       // SCTP retransmission timeouts and fast retransmits (totals)
	pktDiscards float64       // SCTP packets discarded (total)
	chunkDisc   float64       // SCTP DATA chunks discarded (total)
	netDrops    float64       // packets dropped at a full input queue (total)
	// Of the live associations, on the registrar's side and on the load
	// generator's: chunks retransmitted (the other side discarded them
	// or was slow to acknowledge) and the most bytes waiting to be read.
	rtxRegistrar, rtxLoadgen float64
	rxRegistrar, rxLoadgen   float64
	rcvbufRegistrar          float64
	counterErr               error
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
	now := time.Now()
	if self, err := sandboxtest.SelfStat(); err == nil {
		if wall := now.Sub(p.at).Seconds(); wall > 0 {
			s.loadgenCPU = float64(self.CPU-p.self.CPU) / clockTicks / wall
		}
		s.faults = float64(self.MinorFaults - p.self.MinorFaults)
		p.self = self
	}
	p.at = now
	p.mu.Lock()
	s.late, p.late = p.late, 0
	p.mu.Unlock()
	if as, err := sandboxtest.SCTPAssocs(); err == nil {
		for _, a := range as {
			switch {
			case a.LocalPort == p.port:
				s.rtxRegistrar += float64(a.Retransmits)
				s.rxRegistrar = max(s.rxRegistrar, float64(a.RxQueue))
				s.rcvbufRegistrar = float64(a.RcvBuf)
			case a.RemotePort == p.port:
				s.rtxLoadgen += float64(a.Retransmits)
				s.rxLoadgen = max(s.rxLoadgen, float64(a.RxQueue))
			}
		}
	}
	c, err := sandboxtest.SCTPCounters()
	s.counterErr = err
	s.t3 = float64(c["SctpT3RtxExpireds"])
	s.fast = float64(c["SctpFastRetransmits"])
	if d, err := sandboxtest.SoftnetDrops(); err == nil {
		s.netDrops = float64(d)
	}
	s.pktDiscards = float64(c["SctpInPktDiscards"])
	s.chunkDisc = float64(c["SctpInDataChunkDiscards"])
	return s
}
