package announce

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// receiveOnlyJoinedGroups clears IP_MULTICAST_ALL (IPV6_MULTICAST_ALL), by
// default set on Linux, under which a socket bound to the wildcard address
// gets the datagrams of every group any socket on the host has joined. The
// output socket is never read, so such datagrams would only fill its
// buffer. Kernels older than 4.20 lack the IPv6 option; the error is
// ignored by the caller.
func receiveOnlyJoinedGroups(c *net.UDPConn, v4 bool) error {
	return control(c, func(fd int) error {
		if v4 {
			return os.NewSyscallError("setsockopt IP_MULTICAST_ALL", unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0))
		}
		return os.NewSyscallError("setsockopt IPV6_MULTICAST_ALL", unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0))
	})
}
