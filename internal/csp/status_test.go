package csp

import (
	"net/netip"
	"strings"
	"testing"
)

func TestRegistrarStatus(t *testing.T) {
	tests := []struct {
		pes, owned, pools, peers int
		want                     string
	}{
		{0, 0, 0, 0, "0[0] PEs in 0 Pools, 0 Peers"},
		{1, 1, 1, 0, "1[1] PEs in 1 Pool, 0 Peers"},
		{5, 2, 1, 1, "5[2] PEs in 1 Pool, 1 Peer"},
		{1, 0, 1, 2, "1[0] PEs in 1 Pool, 2 Peers"},
		{100000, 99999, 2, 17, "100000[99999] PEs in 2 Pools, 17 Peers"},
		{-1, 0, 0, 0, "4294967295[0] PEs in 0 Pools, 0 Peers"},
	}
	for _, tt := range tests {
		if got := RegistrarStatus(tt.pes, tt.owned, tt.pools, tt.peers); got != tt.want {
			t.Errorf("RegistrarStatus(%d, %d, %d, %d) = %q, want %q", tt.pes, tt.owned, tt.pools, tt.peers, got, tt.want)
		}
	}
}

func addrs(s ...string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range s {
		out = append(out, netip.MustParseAddrPort(a))
	}
	return out
}

func TestLocation(t *testing.T) {
	long := strings.Repeat("h", 64)
	tests := []struct {
		name  string
		host  string
		addrs []netip.AddrPort
		want  string
	}{
		{"golden", "uml-run", addrs("198.18.0.1:3863"), "uml-run: 198.18.0.1:3863"},
		{"only first has port", "prhost", addrs("10.1.1.5:41234", "198.51.100.7:41234", "[2001:db8::5]:41234", "192.168.0.7:41234"),
			"prhost: 198.51.100.7:41234, 2001:db8::5"},
		{"site-local when no global", "prhost", addrs("127.0.0.1:9", "10.1.1.5:41234", "[fe80::1%eth0]:41234", "192.168.0.7:41234"),
			"prhost: 10.1.1.5:41234, 192.168.0.7"},
		{"IPv6 first with port", "h", addrs("[2001:db8::5]:3863", "198.18.0.1:3863"), "h: [2001:db8::5]:3863, 198.18.0.1"},
		{"IPv4-mapped first", "h", addrs("[::ffff:198.18.0.1]:3863", "[::ffff:198.18.0.2]:3863"), "h: 198.18.0.1:3863, 198.18.0.2"},
		{"IPv6 site-local", "h", addrs("[fec0::1]:1", "[::1]:1"), "h: [fec0::1]:1"},
		{"unique local counts as global", "h", addrs("10.0.0.1:5", "[fd00::2]:5"), "h: [fd00::2]:5"},
		{"IPv4-compatible printed like glibc", "h", addrs("[::1.2.3.4]:7", "[::5]:7", "[::102:304]:7"), "h: [::1.2.3.4]:7, ::5, ::1.2.3.4"},
		{"loopback and link-local only", "h", addrs("127.0.0.1:1", "[::1]:1", "169.254.0.1:1", "[fe80::1]:1"), "h"},
		{"unspecified is not shown", "h", addrs("0.0.0.0:3863"), "h"},
		{"no host name", "", addrs("198.18.0.1:3863", "198.18.0.2:3863"), "198.18.0.1:3863, 198.18.0.2"},
		{"nothing at all", "", addrs("127.0.0.1:1"), "(local only)"},
		{"no addresses", "", nil, "(local only)"},
		{"cut at 127 bytes", long, addrs("198.18.0.1:3863", "198.18.0.2:1", "198.18.0.3:1", "198.18.0.4:1", "198.18.0.5:1"),
			(long + ": 198.18.0.1:3863, 198.18.0.2, 198.18.0.3, 198.18.0.4, 198.18.0.5")[:127]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Location(tt.host, tt.addrs); got != tt.want {
				t.Errorf("Location = %q, want %q", got, tt.want)
			}
		})
	}
}
