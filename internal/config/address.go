package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Resolver looks a host name up. Like getaddrinfo in RSPLIB, only the first
// address returned is used.
type Resolver func(host string) ([]netip.Addr, error)

// maxAddressLength is the longest address string RSPLIB's string2address
// accepts (the size of its host buffer).
const maxAddressLength = 128

// DNSResolver resolves with the system resolver. The timeout keeps a dead
// name server from hanging the start-up forever.
func DNSResolver(host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// ParseAddress parses one address in RSPLIB's syntax: "host", "host:port",
// "[ipv6]", "[ipv6]:port", with "!" also accepted as the port separator. A
// missing port is 0. Numeric addresses are taken as they are; anything else
// is a host name and goes to resolve. Without brackets the last ":" separates
// the port, so "::1:80" is [::1]:80 exactly as in RSPLIB; an IPv6 address
// that can only be read without a port must be written in brackets.
func ParseAddress(s string, resolve Resolver) (netip.AddrPort, error) {
	if len(s) > maxAddressLength {
		return netip.AddrPort{}, fmt.Errorf("address longer than %d characters", maxAddressLength)
	}
	host, port := s, ""
	hasPort := false
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.AddrPort{}, errors.New(`missing "]"`)
		}
		host = s[1:end]
		switch rest := s[end+1:]; {
		case rest == "":
		case rest[0] == ':' || rest[0] == '!':
			port, hasPort = rest[1:], true
		default:
			return netip.AddrPort{}, fmt.Errorf(`unexpected %q after "]"`, rest)
		}
	} else {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			i = strings.LastIndexByte(s, '!')
		}
		if i >= 0 {
			host, port, hasPort = s[:i], s[i+1:], true
		}
		if strings.Contains(host, ":") {
			if _, err := netip.ParseAddr(host); err != nil {
				if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
					return netip.AddrPort{}, fmt.Errorf("write IPv6 addresses in brackets: [%s] or [%s]:port", s, s)
				}
			}
		}
	}
	var portNum uint16
	if hasPort {
		p, err := parsePort(port)
		if err != nil {
			return netip.AddrPort{}, err
		}
		portNum = p
	}
	addr, err := parseHost(host, resolve)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(addr, portNum), nil
}

func parsePort(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New("missing port number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad port %q", s)
		}
	}
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %s out of range 0..65535", s)
	}
	return uint16(p), nil
}

// parseHost follows RSPLIB's rule for telling numbers from names: a ":"
// means IPv6, only digits and dots mean IPv4, anything else is a name.
func parseHost(host string, resolve Resolver) (netip.Addr, error) {
	if host == "" {
		return netip.Addr{}, errors.New("missing address")
	}
	numeric := true
	if !strings.Contains(host, ":") {
		for _, c := range host {
			if (c < '0' || c > '9') && c != '.' {
				numeric = false
				break
			}
		}
	}
	if numeric {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("bad IP address %q", host)
		}
		return a, nil
	}
	if resolve == nil {
		return netip.Addr{}, fmt.Errorf("cannot resolve %q: no resolver", host)
	}
	addrs, err := resolve(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("cannot resolve %q: %w", host, err)
	}
	if len(addrs) == 0 || !addrs[0].IsValid() {
		return netip.Addr{}, fmt.Errorf("cannot resolve %q: no address", host)
	}
	return addrs[0].Unmap(), nil
}

// ParseAddressList parses a comma-separated list of up to
// rserpool.MaxTransportAddresses addresses.
func ParseAddressList(s string, resolve Resolver) ([]netip.AddrPort, error) {
	parts := strings.Split(s, ",")
	if len(parts) > rserpool.MaxTransportAddresses {
		return nil, fmt.Errorf("more than %d addresses", rserpool.MaxTransportAddresses)
	}
	out := make([]netip.AddrPort, 0, len(parts))
	for _, p := range parts {
		a, err := ParseAddress(p, resolve)
		if err != nil {
			if len(parts) > 1 {
				return nil, fmt.Errorf("%q: %w", p, err)
			}
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseLocal parses -asap/-enrp. Only the first address's port is used for
// binding (sctp_bindx binds all addresses to one port), so a different port
// on a later address is an error rather than silently ignored.
func parseLocal(s string, resolve Resolver) (Local, error) {
	if s == "auto" {
		return Local{Auto: true}, nil
	}
	list, err := ParseAddressList(s, resolve)
	if err != nil {
		return Local{}, err
	}
	l := Local{Port: list[0].Port()}
	for i, a := range list {
		if i > 0 && a.Port() != 0 && a.Port() != l.Port {
			return Local{}, fmt.Errorf("port %d of %s differs from port %d of the first address", a.Port(), a.Addr(), l.Port)
		}
		l.Addrs = append(l.Addrs, a.Addr())
	}
	return l, nil
}

// parseAnnounce parses -asapannounce/-enrpannounce: "auto", "off" or "none"
// (case-insensitive, as RSPLIB) or one address whose missing port becomes
// defaultGroup's port.
func parseAnnounce(s string, defaultGroup netip.AddrPort, resolve Resolver) (Announce, error) {
	switch {
	case s == "auto":
		return Announce{Enabled: true, Group: defaultGroup}, nil
	case strings.EqualFold(s, "off") || strings.EqualFold(s, "none"):
		return Announce{}, nil
	}
	a, err := ParseAddress(s, resolve)
	if err != nil {
		return Announce{}, err
	}
	if a.Port() == 0 {
		a = netip.AddrPortFrom(a.Addr(), defaultGroup.Port())
	}
	return Announce{Enabled: true, Group: a}, nil
}

// parsePeer parses one -peer: the port of the first address applies to all
// of them (RSPLIB ignores the others'), ENRPPort when it has none.
func parsePeer(s string, resolve Resolver) (rserpool.Transport, error) {
	list, err := ParseAddressList(s, resolve)
	if err != nil {
		return rserpool.Transport{}, err
	}
	t := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: list[0].Port()}
	if t.Port == 0 {
		t.Port = ENRPPort
	}
	for _, a := range list {
		t.Addrs = append(t.Addrs, a.Addr())
	}
	return t, nil
}
