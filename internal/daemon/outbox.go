package daemon

import (
	"errors"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// socketWriter is what an outbox needs of an SCTP socket.
type socketWriter interface {
	Send(assoc sctp.AssocID, b []byte, info sctp.SendInfo) error
	SendToAddrs(addrs []netip.Addr, port uint16, b []byte, info sctp.SendInfo) error
	SendBatch(ms []sctp.Outgoing) (int, error)
	Abort(assoc sctp.AssocID, reason []byte) error
	SetWriteDeadline(t time.Time) error
}

// outbox sends for the event loop without ever blocking it, like RSPLIB
// (which sends with a zero timeout), but does not drop what does not fit:
// a send that finds the socket's send buffer full is queued, and a writer
// goroutine sends it once there is room. Until the queue is empty again,
// later sends and aborts of the socket join it, so that nothing overtakes.
// A takeover sends every PE of the dead registrar a Keep Alive at once; the
// buffer holds a few hundred, and RSPLIB loses the rest (and then the PEs,
// when their keep-alive timeout expires).
//
// What waits longer than maxWait (the keep-alive timeout, after which a PE
// that has not answered is gone anyway, at least 5 s), or does not fit into
// maxQueued bytes, is dropped as RSPLIB would have dropped it at once.
type outbox struct {
	s       socketWriter
	log     *logging.Logger
	maxWait time.Duration
	now     func() time.Time
	// report hands a send the writer gave up on to the event loop, which
	// tells the core (the contract in internal/registrar). It runs in the
	// writer goroutine.
	report func(registrar.SendFailed)

	mu      sync.Mutex
	queue   []outItem // queue[0] is being sent while the writer works on it
	bytes   int
	dropped uint64
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}

	batch []sctp.Outgoing // sendBatch's scratch, loop goroutine only

	// stall finds an association that holds the buffer the queue waits
	// for (nil when the socket cannot tell); the writer reports it to the
	// core, and the core's abort of it then goes out ahead of the queue:
	// it is what frees the room. stalled holds the reported ones, urgent
	// their aborts for the writer (mu). The writer does them: it holds
	// the socket's write lock while it waits for room, so an abort from
	// the loop would block the loop until the wait ends.
	stall   *stallWatch
	stalled map[sctp.AssocID]bool
	urgent  []sctp.AssocID
}

type outItem struct {
	kind     registrar.ActionKind // ActSend, ActSendTo or ActAbort
	sock     registrar.Socket
	assoc    sctp.AssocID
	to       []netip.Addr
	port     uint16
	ppid     uint32
	data     []byte
	deadline time.Time
}

const (
	// maxQueued bounds the bytes waiting in one outbox (about 250,000
	// Keep Alives).
	maxQueued = 16 << 20
	// minQueueWait is the least a message may wait for buffer space:
	// RSPLIB's default keep-alive timeout.
	minQueueWait = 5 * time.Second
)

// errQueueFull reports a send dropped because the outbox is full.
var errQueueFull = errors.New("send queue full")

func newOutbox(s socketWriter, log *logging.Logger, maxWait time.Duration, report func(registrar.SendFailed)) *outbox {
	o := &outbox{s: s, log: log, maxWait: max(maxWait, minQueueWait), now: time.Now, report: report,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	if in, ok := s.(bufferInspector); ok {
		o.stall, o.stalled = &stallWatch{in: in}, map[sctp.AssocID]bool{}
	}
	go o.run()
	return o
}

// queued is the bytes waiting in the queue.
func (o *outbox) queued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}

// close stops the writer; call it after closing the socket, so that a send
// the writer waits in returns.
func (o *outbox) close() {
	close(o.quit)
	<-o.done
}

// send sends a (kind ActSend or ActSendTo; to and data are copied if it
// waits), which the core produced at time now, and returns an error only if
// it failed at once or the queue is full; the caller handles those as
// before. An abort (ActAbort) never fails.
func (o *outbox) send(a *registrar.Action, sock registrar.Socket, now time.Time) error {
	o.mu.Lock()
	waiting := len(o.queue) > 0
	if a.Kind == registrar.ActAbort && o.stalled[sctp.AssocID(a.Assoc)] {
		delete(o.stalled, sctp.AssocID(a.Assoc))
		if waiting {
			o.urgent = append(o.urgent, sctp.AssocID(a.Assoc))
			o.mu.Unlock()
			o.wakeWriter()
			return nil
		}
	}
	o.mu.Unlock()
	if !waiting {
		// The queue only grows here, in the loop goroutine: it stays
		// empty while we try.
		err := o.direct(a)
		if a.Kind == registrar.ActAbort || !errors.Is(err, sctp.ErrWouldBlock) {
			return err
		}
	}
	return o.enqueue(a, sock, now)
}

// enqueue queues a for the writer goroutine.
func (o *outbox) enqueue(a *registrar.Action, sock registrar.Socket, now time.Time) error {
	it := outItem{kind: a.Kind, sock: sock, assoc: sctp.AssocID(a.Assoc), ppid: a.PPID,
		data: append([]byte(nil), a.Data...), deadline: now.Add(o.maxWait)}
	if a.To != nil {
		it.to, it.port = append([]netip.Addr(nil), a.To.Addrs...), a.To.Port
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.bytes+len(it.data) > maxQueued && a.Kind != registrar.ActAbort {
		o.dropped++
		return errQueueFull
	}
	o.queue = append(o.queue, it)
	o.bytes += len(it.data)
	o.wakeWriter()
	return nil
}

func (o *outbox) wakeWriter() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// abortUrgent does the aborts of stalled associations (writer only).
func (o *outbox) abortUrgent() {
	o.mu.Lock()
	urgent := o.urgent
	o.urgent = nil
	o.mu.Unlock()
	for _, assoc := range urgent {
		if err := o.s.Abort(assoc, nil); err != nil {
			o.log.Warningf("Aborting stalled assoc %d failed: %v", assoc, err)
		}
	}
}

// sendBatch sends acts (ActSend and ActSendTo of one socket, produced at
// now) in order with as few system calls as the socket allows; what finds
// the send buffer full is queued as by send. failed is called for each
// message that could not be sent, in order, before the next is tried.
func (o *outbox) sendBatch(acts []registrar.Action, sock registrar.Socket, now time.Time, failed func(a *registrar.Action, err error)) {
	o.mu.Lock()
	waiting := len(o.queue) > 0
	o.mu.Unlock()
	for len(acts) > 0 {
		if waiting {
			for i := range acts {
				if err := o.enqueue(&acts[i], sock, now); err != nil {
					failed(&acts[i], err)
				}
			}
			return
		}
		o.batch = o.batch[:0]
		for i := range acts {
			a := &acts[i]
			m := sctp.Outgoing{Assoc: sctp.AssocID(a.Assoc), Data: a.Data, Info: sctp.SendInfo{PPID: a.PPID, NoWait: true}}
			if a.Kind == registrar.ActSendTo {
				m.Assoc, m.To, m.Port = 0, a.To.Addrs, a.To.Port
			}
			o.batch = append(o.batch, m)
		}
		n, err := o.s.SendBatch(o.batch)
		clear(o.batch) // let go of the core's buffers
		if err == nil {
			return
		}
		acts = acts[n:]
		if errors.Is(err, sctp.ErrWouldBlock) {
			waiting = true // the rest waits for the writer
			continue
		}
		failed(&acts[0], err)
		acts = acts[1:]
	}
}

func (o *outbox) direct(a *registrar.Action) error {
	info := sctp.SendInfo{PPID: a.PPID, NoWait: true}
	switch a.Kind {
	case registrar.ActSend:
		return o.s.Send(sctp.AssocID(a.Assoc), a.Data, info)
	case registrar.ActSendTo:
		return o.s.SendToAddrs(a.To.Addrs, a.To.Port, a.Data, info)
	default:
		return o.s.Abort(sctp.AssocID(a.Assoc), nil)
	}
}

func (o *outbox) run() {
	defer close(o.done)
	for {
		select {
		case <-o.wake:
		case <-o.quit:
			return
		}
		o.drain()
	}
}

// writerBatch is how many queued messages the writer hands the kernel with
// one system call.
const writerBatch = 64

// drain sends the queue until it is empty: runs of queued messages with one
// sendmmsg while the buffer has room, then the first that did not fit
// waiting for room. A takeover queues thousands of Keep Alives; one system
// call each, and three when the buffer is full (the try, the waiting send
// and the retry), made the writer the takeover's cost.
func (o *outbox) drain() {
	failures := 0
	var batch []sctp.Outgoing
	var items []outItem
	for {
		o.abortUrgent()
		o.mu.Lock()
		if len(o.queue) == 0 {
			o.queue = nil
			o.mu.Unlock()
			return
		}
		// Copies: the loop appends to the queue meanwhile.
		items = items[:0]
		for _, it := range o.queue[:min(len(o.queue), writerBatch)] {
			if it.kind == registrar.ActAbort {
				break
			}
			items = append(items, it)
		}
		if len(items) == 0 {
			items = append(items, o.queue[0])
		}
		o.mu.Unlock()
		n := 0
		var err error
		if len(items) > 1 {
			batch = batch[:0]
			for i := range items {
				batch = append(batch, items[i].outgoing())
			}
			n, err = o.s.SendBatch(batch)
			clear(batch)
			if errors.Is(err, sctp.ErrWouldBlock) {
				err = o.deliver(&items[n], true) // the first that did not fit waits
			}
			if err != nil || n < len(items) {
				n++ // items[n] was sent by deliver or failed
			}
		} else {
			err = o.deliver(&items[0], false)
			n = 1
		}
		o.mu.Lock()
		for i := range n {
			o.bytes -= len(o.queue[i].data)
			o.queue[i] = outItem{}
		}
		o.queue = o.queue[n:]
		if err != nil {
			o.dropped++
		}
		o.mu.Unlock()
		if err != nil {
			o.failed(&items[n-1], err, failures)
			failures++
		}
	}
}

// outgoing is it as a message for SendBatch, without waiting.
func (it *outItem) outgoing() sctp.Outgoing {
	m := sctp.Outgoing{Assoc: it.assoc, Data: it.data, Info: sctp.SendInfo{PPID: it.ppid, NoWait: true}}
	if it.kind == registrar.ActSendTo {
		m.Assoc, m.To, m.Port = 0, it.to, it.port
	}
	return m
}

// deliver sends one queued item: at once if there is room, else waiting for
// room until its deadline (then once more without waiting). full says that
// a send has just found the buffer full: then the first try is skipped. The clock is read
// and the write deadline set only when it has to wait. Only the writer sets
// a write deadline, and only while the queue is not empty, when the loop
// does not write to the socket.
func (o *outbox) deliver(it *outItem, full bool) error {
	if it.kind == registrar.ActAbort {
		return o.s.Abort(it.assoc, nil)
	}
	err := sctp.ErrWouldBlock
	if !full {
		err = o.try(it, true)
	}
	if !errors.Is(err, sctp.ErrWouldBlock) || !o.now().Before(it.deadline) {
		if full && errors.Is(err, sctp.ErrWouldBlock) {
			err = o.try(it, true) // past its deadline: once more without waiting
		}
		return err
	}
	for {
		// With a stall watch, wait in slices and look for the association
		// that holds the buffer between them.
		until := it.deadline
		if o.stall != nil {
			o.abortUrgent()
			now := o.now()
			slice := stallInterval
			if o.lookForStall(it.sock, now) {
				slice = stallAnswer // the core's abort comes at once
			}
			if next := now.Add(slice); next.Before(until) {
				until = next
			}
		}
		if err := o.s.SetWriteDeadline(until); err != nil {
			return err
		}
		err = o.try(it, false)
		if derr := o.s.SetWriteDeadline(time.Time{}); err == nil {
			err = derr
		}
		if err == nil || errors.Is(err, sctp.ErrClosed) {
			return err
		}
		if !o.now().Before(it.deadline) || !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, sctp.ErrWouldBlock) {
			return o.try(it, true)
		}
	}
}

// lookForStall reports an association that holds the buffer without
// progress, once, to the core (which aborts it), and says whether it did.
func (o *outbox) lookForStall(sock registrar.Socket, now time.Time) bool {
	st, ok := o.stall.look(now)
	if !ok {
		return false
	}
	assoc := st.Assoc
	o.mu.Lock()
	again := o.stalled[assoc]
	o.stalled[assoc] = true
	o.mu.Unlock()
	if again || o.report == nil {
		return false
	}
	o.log.Warningf("%s assoc %d holds the send buffer and its peer acknowledges nothing: reporting it", sock, assoc)
	o.report(registrar.SendFailed{Sock: sock, Assoc: registrar.AssocID(assoc), Why: registrar.SendStalled, Peer: st.Primary.Addr})
	return true
}

func (o *outbox) try(it *outItem, noWait bool) error {
	info := sctp.SendInfo{PPID: it.ppid, NoWait: noWait}
	if it.kind == registrar.ActSend {
		return o.s.Send(it.assoc, it.data, info)
	}
	return o.s.SendToAddrs(it.to, it.port, it.data, info)
}

// failed logs a dropped message (the first of a run of failures as a
// warning) and reports it to the loop. An end by closing the socket is not
// logged: the registrar is stopping.
func (o *outbox) failed(it *outItem, err error, before int) {
	if it.kind == registrar.ActAbort {
		return
	}
	why := sendFailure(err, true)
	if why != registrar.SendSocketClosed {
		level := logging.LevelWarning
		if before > 0 {
			level = logging.LevelVerbose1
		}
		name := wire.TypeName(it.ppid, it.data[0])
		if it.kind == registrar.ActSendTo {
			o.log.Logf(level, "Sending %s to %v port %d failed after waiting for buffer space: %v", name, it.to, it.port, err)
		} else {
			o.log.Logf(level, "Sending %s on %s assoc %d failed after waiting for buffer space: %v", name, it.sock, it.assoc, err)
		}
	}
	if o.report != nil {
		o.report(registrar.SendFailed{Sock: it.sock, Assoc: registrar.AssocID(it.assoc), SendTo: it.kind == registrar.ActSendTo,
			PPID: it.ppid, Type: it.data[0], Why: why})
	}
}

// sendFailure classifies a send error for the core; waited says that the
// message waited for buffer space before this error.
func sendFailure(err error, waited bool) registrar.SendFailure {
	switch {
	case errors.Is(err, sctp.ErrClosed):
		return registrar.SendSocketClosed
	case errors.Is(err, errQueueFull):
		return registrar.SendQueueFull
	case waited && (errors.Is(err, sctp.ErrWouldBlock) || errors.Is(err, os.ErrDeadlineExceeded)):
		return registrar.SendTimedOut
	}
	return registrar.SendRefused
}
