// Package simnet connects registrar cores, simulated pool elements and pool
// users through an in-memory SCTP-like network driven by a fake clock: no
// sockets, no goroutines, fully deterministic for a given seed. Tests use it
// to run several registrars and thousands of PEs in one process, and to drop,
// delay and reorder ENRP traffic at random.
//
// The model: every registrar has one address, an ASAP and an ENRP port;
// every client (PE or PU) one address and one port. An association connects
// two sockets and delivers messages in order (per direction) after the
// network latency plus random jitter. Sending to an address list finds the
// socket listening there and reuses or sets up the association. Multicast
// reaches every live registrar (ENRP) or every client (ASAP announces).
package simnet

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// Faults makes the network misbehave, for ENRP traffic only (ASAP between a
// PE and its registrar stays reliable, as SCTP is).
type Faults struct {
	// DropENRP is the probability that an ENRP message is lost.
	DropENRP float64
	// Jitter is the maximum extra delay of an ENRP message. Messages of
	// different associations overtake each other; one association stays in
	// order unless Reorder is set.
	Jitter time.Duration
	// Reorder lets ENRP messages of one association overtake each other.
	Reorder bool
	// DropTypes drops every ENRP message of these types.
	DropTypes map[uint8]bool
	// RefuseASAP makes every ASAP send of these types by a registrar fail
	// as the kernel refuses a send on a broken association; the failure is
	// reported to the core, as the daemon does.
	RefuseASAP map[uint8]bool
}

// Network is the simulated network.
type Network struct {
	Now     int64
	Latency time.Duration
	Faults  Faults
	// Trace, when set, receives one line per delivered message.
	Trace func(string)
	// Needs decides which association facts a registrar gets with a
	// message, as the daemon does; nil means the real contract,
	// registrar.MessageNeeds. Tests replace it to show that a handler
	// depends on a fact.
	Needs func(ppid uint32, b []byte) registrar.Need

	rnd        *rand.Rand
	registrars []*Registrar
	clients    []*Client
	assocs     map[assocKey]*assoc
	byID       map[sockAssoc]*assoc
	nextAssoc  uint32
	queue      events
	seq        uint64
	nextAddr   uint32
}

// New returns an empty network at time 0 whose randomness comes from seed.
func New(seed uint64) *Network {
	return &Network{
		Now:      1,
		Latency:  time.Millisecond,
		rnd:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		assocs:   map[assocKey]*assoc{},
		byID:     map[sockAssoc]*assoc{},
		nextAddr: 1,
	}
}

// Rand returns the network's random source (for building cores).
func (n *Network) Rand() *rand.Rand { return n.rnd }

func (n *Network) newAddr() netip.Addr {
	a := n.nextAddr
	n.nextAddr++
	return netip.AddrFrom4([4]byte{198, 18, byte(a >> 8), byte(a)})
}

// socket is one end point: a registrar's ASAP or ENRP socket or a client.
type socket struct {
	reg  *Registrar
	cli  *Client
	sock registrar.Socket
}

func (s socket) addr() netip.Addr {
	if s.reg != nil {
		return s.reg.Addr
	}
	return s.cli.Addr
}

func (s socket) port() uint16 {
	if s.reg != nil {
		if s.sock == registrar.SocketASAP {
			return s.reg.ASAPPort
		}
		return s.reg.ENRPPort
	}
	return s.cli.Port
}

func (s socket) alive() bool {
	if s.reg != nil {
		return s.reg.Alive
	}
	return !s.cli.Dead
}

type assocKey struct{ a, b socket }

type sockAssoc struct {
	s  socket
	id registrar.AssocID
}

// assoc is an association between two sockets, with each side's id.
type assoc struct {
	a, b     socket
	idA, idB registrar.AssocID
	lastA    int64 // latest delivery time towards a, for in-order delivery
	lastB    int64
	closed   bool
}

func (x *assoc) idAt(s socket) registrar.AssocID {
	if s == x.a {
		return x.idA
	}
	return x.idB
}

func (x *assoc) other(s socket) socket {
	if s == x.a {
		return x.b
	}
	return x.a
}

// connect returns the association between two sockets, setting one up.
func (n *Network) connect(from, to socket) *assoc {
	if x := n.assocs[assocKey{from, to}]; x != nil && !x.closed {
		return x
	}
	if x := n.assocs[assocKey{to, from}]; x != nil && !x.closed {
		return x
	}
	n.nextAssoc++
	ida := registrar.AssocID(n.nextAssoc)
	n.nextAssoc++
	idb := registrar.AssocID(n.nextAssoc)
	x := &assoc{a: from, b: to, idA: ida, idB: idb}
	n.assocs[assocKey{from, to}] = x
	n.byID[sockAssoc{from, ida}] = x
	n.byID[sockAssoc{to, idb}] = x
	return x
}

func (n *Network) lookup(s socket, id registrar.AssocID) *assoc {
	x := n.byID[sockAssoc{s, id}]
	if x == nil || x.closed {
		return nil
	}
	return x
}

// close ends an association and tells both sides (COMM_LOST).
func (n *Network) close(x *assoc) {
	if x.closed {
		return
	}
	x.closed = true
	delete(n.assocs, assocKey{x.a, x.b})
	delete(n.byID, sockAssoc{x.a, x.idA})
	delete(n.byID, sockAssoc{x.b, x.idB})
	for _, s := range []socket{x.a, x.b} {
		n.push(&event{at: n.Now, kind: evAssocLost, dst: s, assoc: x.idAt(s)})
	}
}

type eventKind uint8

const (
	evMessage eventKind = iota
	evMulticast
	evAssocLost
)

type event struct {
	at    int64
	seq   uint64
	kind  eventKind
	dst   socket
	assoc registrar.AssocID
	ppid  uint32
	data  []byte
	src   socket
	x     *assoc
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if e[i].at != e[j].at {
		return e[i].at < e[j].at
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(*event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

func (n *Network) push(ev *event) {
	n.seq++
	ev.seq = n.seq
	heap.Push(&n.queue, ev)
}

// transmit schedules a message on an association from src.
func (n *Network) transmit(src socket, x *assoc, ppid uint32, data []byte) {
	dst := x.other(src)
	at := n.Now + int64(n.Latency)
	if ppid == wire.PPIDENRP {
		if n.Faults.DropENRP > 0 && n.rnd.Float64() < n.Faults.DropENRP {
			return
		}
		if len(data) > 0 && n.Faults.DropTypes[data[0]] {
			return
		}
		if n.Faults.Jitter > 0 {
			at += n.rnd.Int64N(int64(n.Faults.Jitter))
		}
	}
	inOrder := ppid != wire.PPIDENRP || !n.Faults.Reorder
	last := &x.lastB
	if dst == x.a {
		last = &x.lastA
	}
	if inOrder && at < *last {
		at = *last
	}
	if at > *last {
		*last = at
	}
	n.push(&event{at: at, kind: evMessage, dst: dst, assoc: x.idAt(dst), ppid: ppid,
		data: append([]byte(nil), data...), src: src, x: x})
}

// findListener returns the socket listening on one of the addresses at port.
func (n *Network) findListener(to *rserpool.Transport, enrp bool) (socket, bool) {
	for _, a := range to.Addrs {
		a = a.Unmap()
		for _, r := range n.registrars {
			if r.Addr != a {
				continue
			}
			if enrp && r.ENRPPort == to.Port {
				return socket{reg: r, sock: registrar.SocketENRP}, true
			}
			if !enrp && r.ASAPPort == to.Port {
				return socket{reg: r, sock: registrar.SocketASAP}, true
			}
		}
		if !enrp {
			for _, c := range n.clients {
				if c.Addr == a && c.Port == to.Port {
					return socket{cli: c}, true
				}
			}
		}
	}
	return socket{}, false
}

// Run processes events and timers until time until.
func (n *Network) Run(until time.Duration) { n.RunUntil(int64(until)) }

// RunFor advances the clock by d.
func (n *Network) RunFor(d time.Duration) { n.RunUntil(n.Now + int64(d)) }

// RunUntil processes everything due up to the absolute time t.
func (n *Network) RunUntil(t int64) {
	for {
		next, kind := n.nextDue()
		if kind == 0 || next > t {
			break
		}
		if next > n.Now {
			n.Now = next
		}
		switch kind {
		case 1:
			ev := heap.Pop(&n.queue).(*event)
			n.deliver(ev)
		case 2:
			for _, r := range n.registrars {
				if d, ok := r.Core.NextDeadline(); r.Alive && ok && d <= n.Now {
					r.apply(r.Core.HandleTimers(n.Now))
				}
			}
		}
	}
	if t > n.Now {
		n.Now = t
	}
}

// nextDue returns the earliest pending thing: 1 an event, 2 a core timer.
func (n *Network) nextDue() (int64, int) {
	best, kind := int64(0), 0
	if len(n.queue) > 0 {
		best, kind = n.queue[0].at, 1
	}
	for _, r := range n.registrars {
		if !r.Alive {
			continue
		}
		if d, ok := r.Core.NextDeadline(); ok && (kind == 0 || d < best) {
			best, kind = d, 2
		}
	}
	return best, kind
}

func (n *Network) deliver(ev *event) {
	if !ev.dst.alive() {
		return
	}
	switch ev.kind {
	case evAssocLost:
		if ev.dst.reg != nil {
			ev.dst.reg.apply(ev.dst.reg.Core.HandleAssocChange(n.Now, ev.dst.sock, ev.assoc, registrar.AssocCommLost))
		} else {
			ev.dst.cli.assocLost(ev.assoc)
		}
	case evMulticast:
		if ev.dst.reg != nil {
			from := netip.AddrPortFrom(ev.src.addr(), ev.src.port())
			ev.dst.reg.apply(ev.dst.reg.Core.HandleMulticast(n.Now, ev.data, from))
		} else {
			ev.dst.cli.announce(ev)
		}
	case evMessage:
		if ev.x != nil && ev.x.closed {
			return
		}
		if n.Trace != nil {
			n.Trace(fmt.Sprintf("%8.3fs %s:%d -> %s:%d %s", float64(n.Now)/1e9, ev.src.addr(), ev.src.port(),
				ev.dst.addr(), ev.dst.port(), describe(ev.ppid, ev.data)))
		}
		if ev.dst.reg != nil {
			ev.dst.reg.apply(ev.dst.reg.Core.HandleMessage(n.Now, ev.dst.sock, ev.assoc, ev.ppid, ev.data, n.info(ev)))
		} else {
			ev.dst.cli.receive(ev)
		}
	}
}

// info gives a registrar what the contract says the message needs, as the
// daemon does, and nothing more: a handler reading a fact outside the
// contract finds it missing here too.
func (n *Network) info(ev *event) *registrar.AssocInfo {
	needs := n.Needs
	if needs == nil {
		needs = registrar.MessageNeeds
	}
	need := needs(ev.ppid, ev.data)
	if need&registrar.NeedAddrs == 0 {
		return nil
	}
	info := &registrar.AssocInfo{OK: true, Addrs: []netip.Addr{ev.src.addr()}, Port: ev.src.port()}
	if need&registrar.NeedSRTT != 0 {
		info.SRTT = 2 * n.Latency
	}
	return info
}

func describe(ppid uint32, data []byte) string {
	if len(data) == 0 {
		return "empty"
	}
	return wire.TypeName(ppid, data[0])
}
