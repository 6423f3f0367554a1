package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// conn is one local SCTP socket with (normally) one association to the
// registrar under test: a sender goroutine per phase issues requests, the
// reader goroutine matches the answers and answers keep-alives.
type conn struct {
	s      *sctp.Socket
	base   time.Time // latencies are measured on the monotonic clock from here
	seq    uint64    // requests sent, owned by the phase's sender
	local  netip.Addr
	locals []netip.Addr // {local}, shared by every message built on it
	to     netip.AddrPort
	assoc  atomic.Int32 // association to the registrar, 0 before the first send
	lost   atomic.Uint64
	// lastLoss describes how the last lost association ended.
	lastLoss atomic.Pointer[string]

	// slots is the window: a send puts a token in, an answer takes one out.
	slots chan struct{}

	mu      sync.Mutex
	pending []pending // FIFO of requests in flight, head at pending[0]
	t       tally     // this phase's count, guarded by mu

	// keepAlive, if set, handles an Endpoint Keep Alive and appends its
	// answer to buf, which the reader sends back on the association the
	// keep-alive came over. now is the read batch's clock reading (0
	// until one of its messages needs it).
	keepAlive func(c *conn, m *wire.EndpointKeepAlive, buf []byte, now *int64) []byte
	readers   sync.WaitGroup
	readErrs  atomic.Uint64
	ackFailed atomic.Uint64
	other     atomic.Uint64 // unexpected messages
}

type pending struct {
	typ  uint8 // expected answer type
	id   rserpool.PEID
	sent time.Duration // since base; 0 if the request is not timed
}

// sampleEvery is how many requests there are per timed one. Reading the
// clock is a system call in the sandbox (no vDSO there), and the load
// generator shares the CPU with the registrar under test.
const sampleEvery = 4

// connBuffer is SO_RCVBUF and SO_SNDBUF of a connection's socket.
const connBuffer = 2 << 20

func dial(local netip.Addr, to netip.AddrPort, window int) (*conn, error) {
	// One association carries the traffic of hundreds of PEs, each of
	// which would have a socket of its own: buffers to match.
	s, err := sctp.Listen(sctp.Config{IPv4Only: local.Is4(), Addrs: []netip.Addr{local},
		ReadBuffer: connBuffer, WriteBuffer: connBuffer})
	if err != nil {
		return nil, fmt.Errorf("loadgen: socket on %v: %w", local, err)
	}
	// RSPLIB's PEs and PUs acknowledge every packet at once on their
	// registrar socket (asapinstance.c: SCTP_DELAYED_SACK 0, frequency
	// 1), also on the associations a new home registrar opens to them in
	// a takeover; with the kernel's 200 ms delayed SACKs the registrar's
	// send buffer would drain at the fleet's pace, not the PEs'.
	if err := s.SetDelayedSack(0, 1); err != nil {
		s.Close()
		return nil, fmt.Errorf("loadgen: socket on %v: %w", local, err)
	}
	c := &conn{s: s, base: time.Now(), local: local, locals: []netip.Addr{local}, to: to, slots: make(chan struct{}, window)}
	return c, nil
}

func (c *conn) start() {
	c.readers.Add(1)
	go c.read()
}

func (c *conn) close() {
	c.s.Close()
	c.readers.Wait()
}

// request waits for a free slot in the window, then sends b, an ASAP
// request whose answer is of type typ for PE id (0: any).
func (c *conn) request(ctx context.Context, typ uint8, id rserpool.PEID, b []byte) error {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	p := pending{typ: typ, id: id}
	if c.seq%sampleEvery == 0 {
		p.sent = max(1, time.Since(c.base))
	}
	c.seq++
	c.mu.Lock()
	c.pending = append(c.pending, p)
	c.mu.Unlock()
	return c.send(b)
}

// send sends on the association to the registrar, setting it up first.
func (c *conn) send(b []byte) error {
	info := sctp.SendInfo{PPID: wire.PPIDASAP}
	if a := c.assoc.Load(); a != 0 {
		err := c.s.Send(sctp.AssocID(a), b, info)
		if err == nil {
			return nil
		}
		if errors.Is(err, sctp.ErrClosed) {
			return err
		}
		// The association may have gone: set up a new one.
		c.assoc.CompareAndSwap(a, 0)
	}
	a, err := c.s.SendTo([]netip.Addr{c.to.Addr()}, c.to.Port(), b, info)
	if err != nil {
		return fmt.Errorf("loadgen: send to %v: %w", c.to, err)
	}
	c.assoc.Store(int32(a))
	return nil
}

// drain waits until every request in flight is answered.
func (c *conn) drain(ctx context.Context) error {
	n := cap(c.slots)
	for i := 0; i < n; i++ {
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			c.mu.Lock()
			left := len(c.pending)
			c.mu.Unlock()
			return fmt.Errorf("loadgen: %d requests on %v unanswered: %w", left, c.local, ctx.Err())
		}
	}
	for i := 0; i < n; i++ {
		<-c.slots
	}
	return nil
}

// answer matches an answer of type typ for PE id with the oldest request.
func (c *conn) answer(typ uint8, id rserpool.PEID, ok bool, cause uint16) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		c.other.Add(1)
		return
	}
	p := c.pending[0]
	c.pending = c.pending[1:]
	switch {
	case p.typ != typ || (p.id != 0 && p.id != id):
		c.t.fail(0)
	case ok:
		c.t.ok++
		if p.sent != 0 {
			c.t.lat = append(c.t.lat, time.Since(c.base)-p.sent)
		}
	default:
		c.t.fail(cause)
	}
	c.mu.Unlock()
	<-c.slots
}

// abandon fails every request in flight: their association is gone, and
// with it the answers.
func (c *conn) abandon() {
	c.mu.Lock()
	n := len(c.pending)
	for range n {
		c.t.fail(CauseAssocLost)
	}
	c.pending = c.pending[:0]
	c.mu.Unlock()
	for range n {
		<-c.slots
	}
}

// CauseAssocLost is the failure cause (a key of Result.Causes) of
// requests whose association ended before they were answered (not an
// RSerPool cause).
const CauseAssocLost = 0xffff

func (c *conn) read() {
	defer c.readers.Done()
	ms := make([]sctp.Message, 32)
	var acks []sctp.Outgoing
	var buf []byte
	opts := wire.DecodeOptions{KeepAllAddresses: true}
	for {
		n, err := c.s.ReadBatch(ms)
		acks, buf = acks[:0], buf[:0]
		// One clock reading per batch at most: in the sandbox (no vDSO)
		// it is a system call, and a takeover brings thousands of home
		// keep-alives, all read at the same moment anyway.
		var now int64
		for i := range ms[:n] {
			m := &ms[i]
			if m.Notification != nil || m.Err != nil {
				if ac, ok := m.Notification.(sctp.AssocChange); ok && ac.Ended() {
					if c.assoc.CompareAndSwap(int32(ac.Assoc), 0) {
						c.lost.Add(1)
						why := fmt.Sprintf("assoc %d on %v: %v, error %d, info %x", ac.Assoc, c.local, ac.State, ac.Error, ac.Info)
						c.lastLoss.Store(&why)
						c.abandon()
					}
				}
				continue
			}
			if m.Info.PPID != wire.PPIDASAP || len(m.Data) == 0 {
				c.other.Add(1)
				continue
			}
			msg, err := wire.DecodeASAP(m.Data, opts)
			if err != nil {
				// An undecodable answer still answers the oldest request.
				c.answer(m.Data[0], 0, false, 0)
				continue
			}
			switch msg := msg.(type) {
			case *wire.RegistrationResponse:
				c.answer(wire.ASAPRegistrationResponse, msg.ID, msg.Error.Cause == 0, uint16(msg.Error.Cause))
			case *wire.DeregistrationResponse:
				c.answer(wire.ASAPDeregistrationResponse, msg.ID, msg.Error.Cause == 0, uint16(msg.Error.Cause))
			case *wire.HandleResolutionResponse:
				c.answer(wire.ASAPHandleResolutionResponse, 0, msg.Error.Cause == 0 && len(msg.PEs) > 0, uint16(msg.Error.Cause))
			case *wire.EndpointKeepAlive:
				if c.keepAlive != nil {
					start := len(buf)
					buf = c.keepAlive(c, msg, buf, &now)
					acks = append(acks, sctp.Outgoing{Assoc: m.Info.Assoc, Data: buf[start:len(buf):len(buf)], Info: sctp.SendInfo{PPID: wire.PPIDASAP}})
				}
			case *wire.ASAPErrorMessage:
				c.answer(wire.ASAPError, 0, false, uint16(msg.Error.Cause))
			default:
				c.other.Add(1)
			}
		}
		if len(acks) > 0 {
			c.sendAcks(acks)
		}
		if errors.Is(err, sctp.ErrClosed) {
			return
		}
		if err != nil {
			c.readErrs.Add(1)
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// sendAcks sends the keep-alive acknowledgements of one read batch, waiting
// for buffer space as a PE would.
func (c *conn) sendAcks(acks []sctp.Outgoing) {
	for len(acks) > 0 {
		n, err := c.s.SendBatch(acks)
		acks = acks[n:]
		switch {
		case err == nil:
		case errors.Is(err, sctp.ErrWouldBlock):
			// Send the first blocking, so that the poller waits for room.
			if c.s.Send(acks[0].Assoc, acks[0].Data, acks[0].Info) != nil {
				c.ackFailed.Add(1)
			}
			acks = acks[1:]
		default:
			c.ackFailed.Add(1)
			acks = acks[1:]
		}
	}
}

// phase runs send on every connection at once (one goroutine each) and
// waits until all their requests are answered.
func phase(ctx context.Context, conns []*conn, expect func(i int) int, send func(ctx context.Context, i int, c *conn) error) (*Result, error) {
	for i, c := range conns {
		c.mu.Lock()
		c.t.reset(expect(i))
		c.mu.Unlock()
	}
	start := time.Now()
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := send(ctx, i, c)
			if derr := c.drain(ctx); err == nil {
				err = derr
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	r := &Result{}
	for _, c := range conns {
		c.mu.Lock()
		r.merge(&c.t)
		c.t = tally{}
		c.mu.Unlock()
	}
	r.finish(time.Since(start))
	return r, errors.Join(errs...)
}
