package daemon

// This file holds the input side: the reader goroutines that turn socket
// reads into events for the loop.

import (
	"errors"
	"net/netip"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/sctp"
)

// stamp is the reader's time of an event, for the latency metric.
func (d *loop) stamp() int64 {
	if d.measure {
		return d.now()
	}
	return 0
}

// deliver hands an event to the loop; false once the loop has stopped.
func (d *loop) deliver(ev event) bool {
	select {
	case d.events <- ev:
		return true
	case <-d.quit:
		return false
	}
}

// reportSendFailure hands a send an outbox's writer gave up on to the loop.
func (d *loop) reportSendFailure(f registrar.SendFailed) {
	d.deliver(event{kind: evSendFailed, at: d.stamp(), failed: f})
}

func (d *loop) getBuf(b []byte) *[]byte {
	p := d.bufs.Get().(*[]byte)
	*p = append((*p)[:0], b...)
	return p
}

func (d *loop) putBuf(p *[]byte) {
	if cap(*p) <= 1<<16 {
		d.bufs.Put(p)
	}
}

// readSCTP is the reader goroutine of one SCTP socket.
func (d *loop) readSCTP(s sctpSocket, which registrar.Socket) {
	defer d.readers.Done()
	ms := make([]sctp.Message, readBatch)
	cache := newAssocCache()
	for {
		n, err := s.ReadBatch(ms)
		for i := range ms[:n] {
			if !d.input(s, which, &ms[i], cache) {
				return
			}
		}
		if errors.Is(err, sctp.ErrClosed) {
			return
		}
		if err != nil {
			d.log.Warningf("Unable to read from registrar socket: %v", err)
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// readBatch is how many messages a reader takes from its socket with one
// system call.
const readBatch = 32

// input hands one message or notification read from s to the loop; false
// once the loop has stopped.
func (d *loop) input(s sctpSocket, which registrar.Socket, m *sctp.Message, cache *assocCache) bool {
	if m.Err != nil {
		d.log.Warningf("Unable to read from registrar socket: %v", m.Err)
		return true
	}
	if m.Notification != nil {
		cache.forget(m.Notification)
		if ev, ok := assocEvent(m.Notification); ok {
			return d.deliver(event{kind: evAssoc, at: d.stamp(), sock: which,
				assoc: registrar.AssocID(m.Notification.Association()), assocEvent: ev})
		}
		return true
	}
	if m.Truncated {
		d.log.Warningf("Dropping a message of more than %d bytes from assoc %d", len(m.Data), m.Info.Assoc)
		return true
	}
	ev := event{kind: evMessage, at: d.stamp(), sock: which, assoc: registrar.AssocID(m.Info.Assoc), ppid: m.Info.PPID,
		data: d.getBuf(m.Data)}
	if need := registrar.MessageNeeds(m.Info.PPID, m.Data); need&registrar.NeedAddrs != 0 {
		ev.info = cache.info(s, m.Info.Assoc, need&registrar.NeedSRTT != 0)
	}
	return d.deliver(ev)
}

func assocEvent(n sctp.Notification) (registrar.AssocEvent, bool) {
	switch n := n.(type) {
	case sctp.AssocChange:
		switch n.State {
		case sctp.CommLost:
			return registrar.AssocCommLost, true
		case sctp.ShutdownComp:
			return registrar.AssocShutdownComplete, true
		case sctp.CommUp:
			return registrar.AssocUp, true
		case sctp.Restart:
			return registrar.AssocRestart, true
		case sctp.CantStartAssoc:
			return registrar.AssocCantStart, true
		}
	case sctp.ShutdownEvent:
		return registrar.AssocShutdownEvent, true
	}
	return 0, false
}

func (d *loop) readMulticast() {
	defer d.readers.Done()
	err := d.io.multicastIn.Run(func(payload []byte, from netip.AddrPort) {
		d.deliver(event{kind: evMulticast, at: d.stamp(), data: d.getBuf(payload), from: from})
	})
	if err != nil {
		d.log.Warningf("ENRP multicast input stopped: %v", err)
	}
}
