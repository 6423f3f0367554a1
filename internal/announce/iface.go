package announce

import (
	"fmt"
	"net"
	"net/netip"
)

// Interface is a network interface as the multicast code needs it.
type Interface struct {
	Index int
	Name  string
	Flags net.Flags
	// Addrs are the interface's addresses in kernel order. The first IPv4
	// address names the interface in IPv4 group joins, as the primary
	// address does in RSPLIB; an interface without one takes no part in
	// IPv4 multicast.
	Addrs []netip.Addr
}

// InterfaceLister enumerates the interfaces. SystemInterfaces is the real
// one; tests pass their own.
type InterfaceLister func() ([]Interface, error)

// SystemInterfaces returns the host's interfaces. An interface whose
// addresses cannot be read (it may just have disappeared) is listed without
// addresses.
func SystemInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing network interfaces: %w", err)
	}
	out := make([]Interface, 0, len(ifs))
	for _, ifi := range ifs {
		i := Interface{Index: ifi.Index, Name: ifi.Name, Flags: ifi.Flags}
		if addrs, err := ifi.Addrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					if ip, ok := netip.AddrFromSlice(n.IP); ok {
						i.Addrs = append(i.Addrs, ip.Unmap())
					}
				}
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// IPv4 returns the address used to name the interface in IPv4 multicast
// socket options.
func (i *Interface) IPv4() (netip.Addr, bool) {
	for _, a := range i.Addrs {
		if a.Is4() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// CanSend reports whether announces go out on the interface: it must be up
// and multicast-capable (Linux's loopback is not).
func (i *Interface) CanSend() bool {
	return i.Flags&net.FlagUp != 0 && i.Flags&net.FlagMulticast != 0
}

func (i *Interface) netInterface() *net.Interface {
	return &net.Interface{Index: i.Index, Name: i.Name, Flags: i.Flags}
}

// InterfaceError is the failure of one operation on one interface. Send and
// Rejoin return them joined (errors.Join), so each can be logged.
type InterfaceError struct {
	Interface string
	Op        string
	Err       error
}

func (e *InterfaceError) Error() string {
	return fmt.Sprintf("%s on interface %s: %v", e.Op, e.Interface, e.Err)
}

func (e *InterfaceError) Unwrap() error { return e.Err }
