package simnet

import (
	"fmt"
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// Registrar is a registrar core attached to the network.
type Registrar struct {
	Core     *registrar.Core
	Addr     netip.Addr
	ASAPPort uint16
	ENRPPort uint16
	Alive    bool
	// CSP collects the CSP reports the core asked to send.
	CSP []registrar.Status
	net *Network
}

// AddRegistrar creates a registrar with the given configuration (its id,
// ports and ENRP addresses are filled in if zero) and starts it now.
func (n *Network) AddRegistrar(cfg registrar.Config) *Registrar {
	r := &Registrar{Addr: n.newAddr(), ASAPPort: 3863, ENRPPort: 9901, Alive: true, net: n}
	if cfg.ID == 0 {
		cfg.ID = rserpool.RegistrarID(n.rnd.Uint32() | 1)
	}
	if cfg.MinAddressScope == 0 {
		cfg.MinAddressScope = rserpool.ScopeSiteLocal
	}
	cfg.ENRPPort = r.ENRPPort
	cfg.ENRPAddrs = []netip.Addr{r.Addr}
	r.Core = registrar.New(cfg, n.Now, n.rnd, nil)
	n.registrars = append(n.registrars, r)
	return r
}

// ENRPTransport is where the registrar's ENRP socket listens (for -peer).
func (r *Registrar) ENRPTransport() rserpool.Transport {
	return rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: r.ENRPPort, Addrs: []netip.Addr{r.Addr}}
}

// Kill stops the registrar as a crash does: its associations break and it
// answers nothing any more.
func (r *Registrar) Kill() {
	r.Alive = false
	for _, x := range r.net.assocs {
		if x.a.reg == r || x.b.reg == r {
			r.net.close(x)
		}
	}
}

func (r *Registrar) sock(s registrar.Socket) socket { return socket{reg: r, sock: s} }

// apply carries out the core's actions, then reports the sends that failed
// back to the core and carries out what it makes of them, as the daemon
// does.
func (r *Registrar) apply(acts []registrar.Action) {
	var failed []registrar.SendFailed
	n := r.net
	for i := range acts {
		a := &acts[i]
		src := r.sock(a.Sock)
		switch a.Kind {
		case registrar.ActSend:
			x := n.lookup(src, a.Assoc)
			if x == nil || (a.PPID == wire.PPIDASAP && n.Faults.RefuseASAP[a.Data[0]]) {
				failed = append(failed, registrar.FailureOf(a, registrar.SendRefused))
				continue
			}
			n.transmit(src, x, a.PPID, a.Data)
		case registrar.ActSendTo:
			dst, ok := n.findListener(a.To, a.Sock == registrar.SocketENRP)
			if !ok || !dst.alive() {
				continue
			}
			n.transmit(src, n.connect(src, dst), a.PPID, a.Data)
		case registrar.ActAbort:
			if x := n.lookup(src, a.Assoc); x != nil {
				n.close(x)
			}
		case registrar.ActMulticastENRP:
			for _, o := range n.registrars {
				if o.Alive {
					n.push(&event{at: n.Now + int64(n.Latency), kind: evMulticast, dst: o.sock(registrar.SocketENRP),
						data: append([]byte(nil), a.Data...), src: r.sock(registrar.SocketENRP)})
				}
			}
		case registrar.ActMulticastASAP:
			for _, c := range n.clients {
				if !c.Dead {
					n.push(&event{at: n.Now + int64(n.Latency), kind: evMulticast, dst: socket{cli: c},
						data: append([]byte(nil), a.Data...), src: r.sock(registrar.SocketASAP)})
				}
			}
		case registrar.ActCSP:
			s := *a.CSP
			s.Peers = append([]rserpool.RegistrarID(nil), s.Peers...)
			r.CSP = append(r.CSP, s)
		}
	}
	for _, f := range failed {
		r.apply(r.Core.HandleSendFailed(n.Now, f))
	}
}

// Client is a simulated RSPLIB pool element or pool user: it talks ASAP to
// one registrar (its home), acknowledges keep-alives like RSPLIB's PE, follows
// a Keep Alive with the H flag to a new home, and records what it receives.
type Client struct {
	Addr netip.Addr
	Port uint16
	// Home is the registrar the client talks to.
	Home *Registrar
	// Dead clients receive nothing; Hung clients receive but do not answer.
	Dead, Hung bool
	// Received lists the messages received, decoded.
	Received []wire.Message
	// Announced collects registrar ids heard in Server Announces.
	Announced map[rserpool.RegistrarID]bool
	// PEs registered by this client, for keep-alive acknowledgements.
	PEs []PE
	// Life is the registration life sent, in milliseconds (default 90000,
	// as rspserver).
	Life uint32

	net   *Network
	assoc *assoc
}

// PE is a pool element registered by a client.
type PE struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
	Policy rserpool.PolicySettings
}

// AddClient creates a client homed at the registrar.
func (n *Network) AddClient(home *Registrar) *Client {
	c := &Client{Addr: n.newAddr(), Port: 40000, Home: home, net: n, Announced: map[rserpool.RegistrarID]bool{}}
	n.clients = append(n.clients, c)
	return c
}

func (c *Client) sock() socket { return socket{cli: c} }

func (c *Client) send(m wire.Message) {
	b, err := m.AppendTo(nil)
	if err != nil {
		panic(fmt.Sprintf("simnet: client cannot encode %T: %v", m, err))
	}
	c.SendRaw(wire.PPIDASAP, b)
}

// SendRaw sends raw bytes to the home registrar's ASAP socket.
func (c *Client) SendRaw(ppid uint32, b []byte) {
	if c.Dead || c.Home == nil || !c.Home.Alive {
		return
	}
	if c.assoc == nil || c.assoc.closed {
		c.assoc = c.net.connect(c.sock(), c.Home.sock(registrar.SocketASAP))
	}
	c.net.transmit(c.sock(), c.assoc, ppid, b)
}

// Transport returns the client's user transport.
func (c *Client) Transport() rserpool.Transport {
	return rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: c.Port, ControlChannel: true, Addrs: []netip.Addr{c.Addr}}
}

// Register registers (or re-registers) a PE at the home registrar.
func (c *Client) Register(handle rserpool.PoolHandle, id rserpool.PEID, pol rserpool.PolicySettings) {
	found := false
	for i := range c.PEs {
		if c.PEs[i].Handle == handle && c.PEs[i].ID == id {
			c.PEs[i].Policy, found = pol, true
		}
	}
	if !found {
		c.PEs = append(c.PEs, PE{Handle: handle, ID: id, Policy: pol})
	}
	life := c.Life
	if life == 0 {
		life = 90000
	}
	c.send(&wire.Registration{Handle: handle, PE: rserpool.PoolElement{ID: id, RegistrationLife: life,
		User: c.Transport(), Policy: pol}})
}

// Reregister re-registers every PE of the client (RSPLIB PEs do this every
// 30 s, at whatever registrar is their home).
func (c *Client) Reregister() {
	for _, pe := range c.PEs {
		c.Register(pe.Handle, pe.ID, pe.Policy)
	}
}

// Deregister deregisters a PE.
func (c *Client) Deregister(handle rserpool.PoolHandle, id rserpool.PEID) {
	for i := range c.PEs {
		if c.PEs[i].Handle == handle && c.PEs[i].ID == id {
			c.PEs = append(c.PEs[:i], c.PEs[i+1:]...)
			break
		}
	}
	c.send(&wire.Deregistration{Handle: handle, ID: id})
}

// Resolve sends a Handle Resolution (items 0 = registrar default).
func (c *Client) Resolve(handle rserpool.PoolHandle, items uint32) {
	c.send(&wire.HandleResolution{Handle: handle, Items: items})
}

// Unreachable reports a PE as unreachable.
func (c *Client) Unreachable(handle rserpool.PoolHandle, id rserpool.PEID) {
	c.send(&wire.EndpointUnreachable{Handle: handle, ID: id})
}

// Close shuts the client's association down (the registrar sees it go).
func (c *Client) Close() {
	if c.assoc != nil {
		c.net.close(c.assoc)
		c.assoc = nil
	}
}

// Kill makes the client disappear without a word (power failure): its
// associations stay up until the registrar gives up on them.
func (c *Client) Kill() { c.Dead = true }

// Last returns the last message received, or nil.
func (c *Client) Last() wire.Message {
	if len(c.Received) == 0 {
		return nil
	}
	return c.Received[len(c.Received)-1]
}

// Connected tells whether the client has an association with its home.
func (c *Client) Connected() bool { return c.assoc != nil && !c.assoc.closed }

func (c *Client) assocLost(id registrar.AssocID) {
	if c.assoc != nil && c.assoc.idAt(c.sock()) == id {
		c.assoc = nil
	}
}

func (c *Client) announce(ev *event) {
	if m, err := wire.DecodeASAP(ev.data, wire.DecodeOptions{}); err == nil {
		if a, ok := m.(*wire.ServerAnnounce); ok {
			c.Announced[a.ServerID] = true
		}
	}
}

func (c *Client) receive(ev *event) {
	m, err := wire.Decode(ev.ppid, ev.data, wire.DecodeOptions{KeepAllAddresses: true})
	if err != nil {
		panic(fmt.Sprintf("simnet: client got an undecodable message: %v", err))
	}
	c.Received = append(c.Received, m)
	if c.Hung {
		return
	}
	ka, ok := m.(*wire.EndpointKeepAlive)
	if !ok {
		return
	}
	if ev.x != c.assoc {
		// A Keep Alive from another registrar: only with the H flag does
		// the PE move there (RSPLIB's asapInstanceHandleEndpointKeepAlive).
		if !ka.Home {
			return
		}
		if c.assoc != nil {
			c.net.close(c.assoc)
		}
		c.assoc = ev.x
		c.Home = ev.src.reg
	}
	c.send(&wire.EndpointKeepAliveAck{Handle: ka.Handle, ID: ka.ID})
}
