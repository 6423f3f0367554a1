package announce

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// DefaultTTL is RSPLIB's announce TTL (IPv4 TTL and IPv6 hop limit).
const DefaultTTL = 30

// ErrNoInterface is returned by Send when no interface is up, multicast-
// capable and, for an IPv4 group, has an IPv4 address. RSPLIB then logs
// "Unable to send announce".
var ErrNoInterface = errors.New("no interface to send multicast on")

// SenderConfig describes a multicast output socket.
type SenderConfig struct {
	// Group is the destination group and port.
	Group netip.AddrPort
	// Port is the local port, which must be the port of the registrar's SCTP
	// socket for the same protocol: receivers take the datagram's source
	// port as the registrar's port. 0 lets the kernel choose.
	Port uint16
	// TTL is the IPv4 TTL or IPv6 hop limit; 0 means DefaultTTL.
	TTL int
	// Interfaces lists the interfaces; nil means SystemInterfaces.
	Interfaces InterfaceLister
}

// Sender sends datagrams to a multicast group on every suitable interface.
// Its methods may be called from several goroutines.
type Sender struct {
	group netip.AddrPort
	v4    bool
	ifs   InterfaceLister
	conn  *net.UDPConn

	mu sync.Mutex // the outgoing interface is socket state: one Send at a time
	p4 *ipv4.PacketConn
	p6 *ipv6.PacketConn
}

// NewSender opens the output socket: UDP, SO_REUSEADDR, bound to the
// wildcard address of the group's family with cfg.Port, multicast loopback
// on (a registrar receives, and ignores, its own ENRP Presence), TTL set.
// Failing to bind the port is returned wrapping the system error (for
// example EADDRINUSE), so that a caller picking random ports can retry.
func NewSender(cfg SenderConfig) (*Sender, error) {
	return newSender(cfg, nil)
}

// NewSenderFromFile is NewSender for an output socket opened by another
// process with the same configuration and handed over as f (see File). It
// works on a duplicate of f's descriptor; the caller closes f.
func NewSenderFromFile(f *os.File, cfg SenderConfig) (*Sender, error) {
	return newSender(cfg, f)
}

// groupAddr returns the group of an address configured as what (for the
// error message), IPv4-mapped addresses unmapped, or an error if it is not a
// multicast group.
func groupAddr(group netip.AddrPort, what string) (netip.Addr, error) {
	g := group.Addr()
	if g.Is4In6() {
		g = g.Unmap()
	}
	if !g.IsMulticast() {
		return g, fmt.Errorf("%s %v is not a multicast group", what, group)
	}
	return g, nil
}

func newSender(cfg SenderConfig, f *os.File) (*Sender, error) {
	g, err := groupAddr(cfg.Group, "announce address")
	if err != nil {
		return nil, err
	}
	if cfg.Group.Port() == 0 {
		return nil, fmt.Errorf("announce address %v has no port", cfg.Group)
	}
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < 1 || ttl > 255 {
		return nil, fmt.Errorf("announce TTL %d is not in 1..255", cfg.TTL)
	}
	s := &Sender{group: netip.AddrPortFrom(g, cfg.Group.Port()), v4: g.Is4(), ifs: cfg.Interfaces}
	if s.ifs == nil {
		s.ifs = SystemInterfaces
	}
	local := netip.AddrPortFrom(netip.IPv6Unspecified(), cfg.Port)
	if s.v4 {
		local = netip.AddrPortFrom(netip.IPv4Unspecified(), cfg.Port)
	}
	if f != nil {
		s.conn, err = fileUDP(f, local)
	} else {
		s.conn, err = listenUDP(local)
	}
	if err != nil {
		return nil, fmt.Errorf("announce output socket: %w", err)
	}
	if s.v4 {
		s.p4 = ipv4.NewPacketConn(s.conn)
		err = errors.Join(s.p4.SetMulticastTTL(ttl), s.p4.SetMulticastLoopback(true))
	} else {
		s.p6 = ipv6.NewPacketConn(s.conn)
		err = errors.Join(s.p6.SetMulticastHopLimit(ttl), s.p6.SetMulticastLoopback(true))
	}
	if err != nil {
		s.conn.Close()
		return nil, fmt.Errorf("announce output socket for %v: %w", cfg.Group, err)
	}
	_ = receiveOnlyJoinedGroups(s.conn, s.v4) // an optimisation only
	return s, nil
}

// Group is the destination.
func (s *Sender) Group() netip.AddrPort { return s.group }

// LocalAddr is the bound address; its port is the datagrams' source port.
func (s *Sender) LocalAddr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Send sends b once on every interface that is up and multicast-capable
// (for an IPv4 group, also having an IPv4 address), selecting each in turn
// with IP_MULTICAST_IF / IPV6_MULTICAST_IF. It returns how many copies went
// out and the failures, one *InterfaceError per interface, joined; copies
// may have gone out even when the error is not nil. With no interface to
// use it returns ErrNoInterface.
func (s *Sender) Send(b []byte) (int, error) {
	ifs, err := s.ifs()
	if err != nil {
		return 0, fmt.Errorf("sending to %v: %w", s.group, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sent, tried := 0, 0
	var errs []error
	for i := range ifs {
		ifi := &ifs[i]
		if !ifi.CanSend() {
			continue
		}
		if _, ok := ifi.IPv4(); s.v4 && !ok {
			continue
		}
		tried++
		var err error
		if s.v4 {
			err = s.p4.SetMulticastInterface(ifi.netInterface())
		} else {
			err = s.p6.SetMulticastInterface(ifi.netInterface())
		}
		if err != nil {
			errs = append(errs, &InterfaceError{Interface: ifi.Name, Op: "selecting multicast interface", Err: err})
			continue
		}
		if _, err := s.conn.WriteToUDPAddrPort(b, s.group); err != nil {
			errs = append(errs, &InterfaceError{Interface: ifi.Name, Op: "sending to " + s.group.String(), Err: err})
			continue
		}
		sent++
	}
	if tried == 0 {
		return 0, fmt.Errorf("sending to %v: %w", s.group, ErrNoInterface)
	}
	return sent, errors.Join(errs...)
}

// File returns a duplicate of the socket's descriptor, for handing the
// bound socket to another process (NewSenderFromFile).
func (s *Sender) File() (*os.File, error) { return s.conn.File() }

// Close closes the socket.
func (s *Sender) Close() error { return s.conn.Close() }
