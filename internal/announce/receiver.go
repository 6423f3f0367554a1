package announce

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"

	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// maxDatagram is the largest UDP payload; one buffer of this size is reused
// for every datagram.
const maxDatagram = 65535

// ReceiverConfig describes a multicast input socket.
type ReceiverConfig struct {
	// Group is the group and port to receive.
	Group netip.AddrPort
	// Interfaces lists the interfaces to join on; nil means
	// SystemInterfaces.
	Interfaces InterfaceLister
}

// Receiver receives the datagrams sent to one multicast group. Rejoin may be
// called while Run is reading.
type Receiver struct {
	group netip.AddrPort
	v4    bool
	ifs   InterfaceLister
	conn  *net.UDPConn
	p6    *ipv6.PacketConn

	mu sync.Mutex // serialises Rejoin
}

// NewReceiver opens the input socket: UDP, SO_REUSEADDR, bound to the group
// address and port, so that it gets that group's datagrams only. It joins
// no group yet: call Rejoin right away and then whenever interfaces may have
// changed (RSPLIB does at every ENRP heartbeat), and warn when it joined
// none.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	return newReceiver(cfg, nil)
}

// NewReceiverFromFile is NewReceiver for an input socket opened by another
// process with the same configuration and handed over as f (see File); the
// group memberships it holds are kept. It works on a duplicate of f's
// descriptor; the caller closes f.
func NewReceiverFromFile(f *os.File, cfg ReceiverConfig) (*Receiver, error) {
	return newReceiver(cfg, f)
}

func newReceiver(cfg ReceiverConfig, f *os.File) (*Receiver, error) {
	g, err := groupAddr(cfg.Group, "multicast input address")
	if err != nil {
		return nil, err
	}
	r := &Receiver{group: netip.AddrPortFrom(g, cfg.Group.Port()), v4: g.Is4(), ifs: cfg.Interfaces}
	if r.ifs == nil {
		r.ifs = SystemInterfaces
	}
	if f != nil {
		r.conn, err = fileUDP(f, r.group)
	} else {
		r.conn, err = listenUDP(r.group)
	}
	if err != nil {
		return nil, fmt.Errorf("multicast input socket: %w", err)
	}
	if !r.v4 {
		r.p6 = ipv6.NewPacketConn(r.conn)
	}
	return r, nil
}

// Group is the group received.
func (r *Receiver) Group() netip.AddrPort { return r.group }

// Rejoin joins the group on every interface: an IPv4 group by the
// interface's IPv4 address (interfaces without one are skipped), an IPv6
// group by interface index. Joining where the socket is already a member
// (EADDRINUSE) counts as joined, so calling it repeatedly is cheap and
// picks up new interfaces; the kernel drops memberships of interfaces that
// disappear. It returns the number of interfaces the socket is now a member
// on and the failures, one *InterfaceError per interface, joined.
func (r *Receiver) Rejoin() (int, error) {
	ifs, err := r.ifs()
	if err != nil {
		return 0, fmt.Errorf("joining %v: %w", r.group.Addr(), err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	joined := 0
	var errs []error
	for i := range ifs {
		ifi := &ifs[i]
		var err error
		if r.v4 {
			a, ok := ifi.IPv4()
			if !ok {
				continue
			}
			err = control(r.conn, func(fd int) error {
				return os.NewSyscallError("setsockopt IP_ADD_MEMBERSHIP", unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP,
					&unix.IPMreq{Multiaddr: r.group.Addr().As4(), Interface: a.As4()}))
			})
		} else {
			err = r.p6.JoinGroup(ifi.netInterface(), &net.UDPAddr{IP: r.group.Addr().AsSlice()})
		}
		if err != nil && !errors.Is(err, unix.EADDRINUSE) {
			errs = append(errs, &InterfaceError{Interface: ifi.Name, Op: "joining " + r.group.Addr().String(), Err: err})
			continue
		}
		joined++
	}
	return joined, errors.Join(errs...)
}

// Run reads datagrams until the receiver is closed, calling deliver for
// each with the payload and the sender's address and port, in the reading
// goroutine. The payload is only valid during the call: the buffer is
// reused, so deliver must copy what it keeps. Run returns nil after Close,
// otherwise the read error.
func (r *Receiver) Run(deliver func(payload []byte, from netip.AddrPort)) error {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("reading from %v: %w", r.group, err)
		}
		deliver(buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
	}
}

// File returns a duplicate of the socket's descriptor, for handing the
// bound socket to another process (NewReceiverFromFile).
func (r *Receiver) File() (*os.File, error) { return r.conn.File() }

// Close closes the socket, which ends Run and leaves the group.
func (r *Receiver) Close() error { return r.conn.Close() }
