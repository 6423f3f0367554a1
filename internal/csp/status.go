package csp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// localOnly is the location of a component without any address worth showing.
const localOnly = "(local only)"

// RegistrarStatus is the registrar's status text, exactly RSPLIB's
// "%u[%u] PEs in %u Pool%s, %u Peer%s": all pool elements, those owned by
// this registrar, pools and ENRP peers. Only a count of exactly one drops the
// plural "s" ("PEs" stays plural). Counts are printed as C's unsigned int, so
// impossible negative counts wrap as they would there.
func RegistrarStatus(poolElements, ownedPoolElements, pools, peers int) string {
	return fmt.Sprintf("%d[%d] PEs in %d Pool%s, %d Peer%s",
		uint32(poolElements), uint32(ownedPoolElements),
		uint32(pools), plural(pools), uint32(peers), plural(peers))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Location is the location text RSPLIB reports for a component: the host
// name, then ": " and the addresses worth showing, separated by ", ". addrs
// are the local addresses of the component's ASAP socket in kernel order
// (sctp_getladdrs with association 0). When the socket is bound to the
// wildcard address and the kernel reports only that, the caller passes all
// local addresses of the host instead, as RSPLIB does.
//
// Only addresses of global scope are shown; if there are none, those of at
// least site-local scope; loopback and link-local addresses never. The first
// address shown carries its port, the others do not, and IPv4-mapped IPv6
// addresses appear as plain IPv4. The text is cut to TextSize-1 bytes, the
// most RSPLIB's C string buffer holds; an empty result becomes "(local only)".
func Location(hostname string, addrs []netip.AddrPort) string {
	var b strings.Builder
	b.WriteString(hostname)
	for _, minScope := range []rserpool.Scope{rserpool.ScopeGlobal, rserpool.ScopeSiteLocal} {
		shown := 0
		for _, ap := range addrs {
			if rserpool.AddrScope(ap.Addr()) < minScope {
				continue
			}
			if b.Len() > 0 {
				if shown > 0 {
					b.WriteString(", ")
				} else {
					b.WriteString(": ")
				}
			}
			b.WriteString(formatAddr(ap, shown == 0))
			shown++
		}
		if shown > 0 {
			break
		}
	}
	s := b.String()
	if len(s) > TextSize-1 {
		s = s[:TextSize-1]
	}
	if s == "" {
		return localOnly
	}
	return s
}

// formatAddr prints an address as RSPLIB's address2string does (glibc
// inet_ntop), with the IPv4-mapped prefix removed.
func formatAddr(ap netip.AddrPort, withPort bool) string {
	a := ap.Addr().WithZone("")
	if a.Is4In6() {
		a = a.Unmap()
	}
	var s string
	if a.Is4() {
		s = a.String()
		if withPort {
			s += ":" + strconv.Itoa(int(ap.Port()))
		}
		return s
	}
	s = ntop6(a)
	if withPort {
		s = "[" + s + "]:" + strconv.Itoa(int(ap.Port()))
	}
	return s
}

// ntop6 differs from netip's formatting in one case: glibc prints the
// deprecated IPv4-compatible form ::a.b.c.d (first 96 bits zero, then a
// non-zero 16-bit word) with the IPv4 part dotted.
func ntop6(a netip.Addr) string {
	b := a.As16()
	for _, x := range b[:12] {
		if x != 0 {
			return a.String()
		}
	}
	if b[12] == 0 && b[13] == 0 {
		return a.String()
	}
	return "::" + netip.AddrFrom4([4]byte(b[12:])).String()
}
