package announce

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// listenUDP opens a non-blocking UDP socket with SO_REUSEADDR, bound to
// addr, on Go's poller. addr may be a multicast group: net.ListenUDP would
// bind to the wildcard address instead, and the socket would then also get
// unicast datagrams and those of any other group joined on the host for the
// same port. Bound to the group, it gets only the group's datagrams, as
// RSPLIB's input socket does. SO_REUSEADDR lets the socket share its port
// with RSPLIB programs on the same host (a PE's announce listener, another
// registrar).
func listenUDP(addr netip.AddrPort) (*net.UDPConn, error) {
	family := unix.AF_INET6
	var sa unix.Sockaddr
	if a := addr.Addr().Unmap(); a.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: a.As4()}
	} else {
		zone, err := zoneIndex(a.Zone())
		if err != nil {
			return nil, err
		}
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16(), ZoneId: zone}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("creating UDP socket for %v: %w", addr, os.NewSyscallError("socket", err))
	}
	if err := setup(fd, family, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("UDP socket for %v: %w", addr, err)
	}
	f := os.NewFile(uintptr(fd), "udp:"+addr.String())
	c, err := net.FilePacketConn(f)
	f.Close() // FilePacketConn works on a duplicate
	if err != nil {
		return nil, fmt.Errorf("UDP socket for %v: %w", addr, err)
	}
	return c.(*net.UDPConn), nil
}

// fileUDP takes over a UDP socket that another process bound to addr (port
// 0: any port of addr's family).
func fileUDP(f *os.File, addr netip.AddrPort) (*net.UDPConn, error) {
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("inherited UDP socket %s: %w", f.Name(), err)
	}
	u, ok := c.(*net.UDPConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("inherited socket %s is not a UDP socket", f.Name())
	}
	got := u.LocalAddr().(*net.UDPAddr).AddrPort()
	if got.Addr().Unmap() != addr.Addr().Unmap() || (addr.Port() != 0 && got.Port() != addr.Port()) {
		u.Close()
		return nil, fmt.Errorf("inherited UDP socket %s is bound to %v, not %v", f.Name(), got, addr)
	}
	return u, nil
}

func setup(fd, family int, sa unix.Sockaddr) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}

// zoneIndex turns an IPv6 zone (interface name or number) into an index.
func zoneIndex(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("zone %q: %w", zone, err)
	}
	return uint32(ifi.Index), nil
}

// control runs f on the socket's descriptor.
func control(c *net.UDPConn, f func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
