package rserpool

import "net/netip"

// Scope is RSPLIB's address scope value; larger is wider. The numbers are
// RSPLIB's and are compared numerically.
type Scope uint8

// Address scopes (RSPLIB netutilities.h).
const (
	ScopeUnspecified        Scope = 0
	ScopeMulticastNodeLocal Scope = 1
	ScopeLoopback           Scope = 2
	ScopeMulticastLinkLocal Scope = 3
	ScopeLinkLocal          Scope = 4
	ScopeMulticastSiteLocal Scope = 5
	ScopeSiteLocal          Scope = 6
	ScopeMulticastOrgLocal  Scope = 7
	ScopeMulticastGlobal    Scope = 8
	ScopeGlobal             Scope = 10
)

func (s Scope) String() string {
	switch s {
	case ScopeLoopback:
		return "loopback"
	case ScopeSiteLocal:
		return "site-local"
	case ScopeGlobal:
		return "global"
	case ScopeLinkLocal:
		return "link-local"
	case ScopeUnspecified:
		return "unspecified"
	}
	return "multicast"
}

var (
	v6SiteLocal = netip.MustParsePrefix("fec0::/10")
	v6LinkLocal = netip.MustParsePrefix("fe80::/10")
	v4Private   = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
	v4LinkLocal = netip.MustParsePrefix("169.254.0.0/16")
)

// AddrScope classifies an address exactly as RSPLIB's getScope does. Note that
// IPv6 unique-local addresses (fc00::/7) count as global there, that RSPLIB's
// loopback test masks the first byte with 0x7f (so 255.0.0.0/8 counts as
// loopback too), and that IPv6 multicast with a scope nibble other than 1, 2,
// 5, 8 or 14 falls through to unicast global.
func AddrScope(a netip.Addr) Scope {
	// Prefix.Contains never matches an address with a zone, and
	// sockets report link-local addresses with one.
	a = a.Unmap().WithZone("")
	if a.Is4() {
		switch {
		case a == netip.IPv4Unspecified():
			return ScopeUnspecified
		case a.As4()[0]&0x7f == 0x7f:
			return ScopeLoopback
		case a.IsMulticast():
			return ScopeMulticastGlobal
		case v4LinkLocal.Contains(a):
			return ScopeLinkLocal
		}
		for _, p := range v4Private {
			if p.Contains(a) {
				return ScopeSiteLocal
			}
		}
		return ScopeGlobal
	}
	if !a.Is6() {
		return ScopeUnspecified
	}
	switch {
	case a == netip.IPv6Unspecified():
		return ScopeUnspecified
	case a == netip.IPv6Loopback():
		return ScopeLoopback
	case a.IsMulticast():
		switch a.As16()[1] & 0x0f {
		case 1:
			return ScopeMulticastNodeLocal
		case 2:
			return ScopeMulticastLinkLocal
		case 5:
			return ScopeMulticastSiteLocal
		case 8:
			return ScopeMulticastOrgLocal
		case 14:
			return ScopeMulticastGlobal
		}
		return ScopeGlobal
	case v6LinkLocal.Contains(a):
		return ScopeLinkLocal
	case v6SiteLocal.Contains(a):
		return ScopeSiteLocal
	}
	return ScopeGlobal
}

// FilterAddresses returns the addresses of block that also appear in among
// (compared without port; IPv4-mapped equal to IPv4) and whose scope is at
// least min, in block's order. A nil among keeps every address of enough
// scope. This is RSPLIB's transportAddressBlockFilter, the one address rule for
// ENRP peer addresses and PE registrations.
func FilterAddresses(block []netip.Addr, among []netip.Addr, min Scope) []netip.Addr {
	var out []netip.Addr
	for _, a := range block {
		if AddrScope(a) < min {
			continue
		}
		if among != nil && !containsAddr(among, a) {
			continue
		}
		out = append(out, a)
	}
	return out
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	a = a.Unmap()
	for _, b := range list {
		if b.Unmap() == a {
			return true
		}
	}
	return false
}
