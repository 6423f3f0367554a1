package rserpool

import (
	"net/netip"
	"testing"
)

func TestAddrScope(t *testing.T) {
	tests := []struct {
		addr string
		want Scope
	}{
		{"0.0.0.0", ScopeUnspecified},
		{"127.0.0.1", ScopeLoopback},
		{"127.255.0.9", ScopeLoopback},
		{"10.1.2.3", ScopeSiteLocal},
		{"172.16.0.1", ScopeSiteLocal},
		{"172.31.255.255", ScopeSiteLocal},
		{"172.32.0.1", ScopeGlobal},
		{"192.168.7.7", ScopeSiteLocal},
		{"169.254.1.1", ScopeLinkLocal},
		{"239.0.0.50", ScopeMulticastGlobal},
		{"198.18.0.1", ScopeGlobal},
		{"100.64.0.1", ScopeGlobal},
		{"::", ScopeUnspecified},
		{"::1", ScopeLoopback},
		{"fe80::1", ScopeLinkLocal},
		{"fe80::1%eth0", ScopeLinkLocal},
		{"fec0::1", ScopeSiteLocal},
		{"fd00::1", ScopeGlobal},
		{"2001:db8::1", ScopeGlobal},
		{"::ffff:10.0.0.1", ScopeSiteLocal},
		{"::ffff:127.0.0.1", ScopeLoopback},
		{"255.255.255.255", ScopeLoopback},
		{"255.1.2.3", ScopeLoopback},
		{"224.0.0.1", ScopeMulticastGlobal},
		{"ff01::1", ScopeMulticastNodeLocal},
		{"ff02::1", ScopeMulticastLinkLocal},
		{"ff05::1", ScopeMulticastSiteLocal},
		{"ff08::1", ScopeMulticastOrgLocal},
		{"ff0e::1", ScopeMulticastGlobal},
		{"ff03::1", ScopeGlobal},
		{"ff04::1", ScopeGlobal},
		{"ff00::1", ScopeGlobal},
		{"ff0f::1", ScopeGlobal},
		{"ff12::1", ScopeMulticastLinkLocal},
		{"::1.2.3.4", ScopeGlobal},
	}
	for _, tt := range tests {
		if got := AddrScope(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("AddrScope(%s) = %d, want %d", tt.addr, got, tt.want)
		}
	}
}

func TestPoolHandleOrderAndString(t *testing.T) {
	tests := []struct {
		a, b PoolHandle
		want int
	}{
		{"B", "AA", -1},
		{"AA", "B", 1},
		{"AB", "AA", 1},
		{"EchoPool", "EchoPool", 0},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%q.Compare(%q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := PoolHandle("A\x01b").String(); got != "A{01}b" {
		t.Errorf("String = %q", got)
	}
	if PoolHandle("").Valid() || !PoolHandle("x").Valid() || PoolHandle(make([]byte, 33)).Valid() {
		t.Error("Valid is wrong")
	}
}

func TestPolicyNames(t *testing.T) {
	for _, p := range PolicyTypes() {
		got, ok := PolicyByName(p.String())
		if !ok || got != p {
			t.Errorf("round trip of %v failed", p)
		}
	}
	if PolicyType(0).Known() {
		t.Error("type 0 must be unknown")
	}
}

func TestTransportString(t *testing.T) {
	tr := Transport{Protocol: ProtocolSCTP, Port: 3863, Addrs: []netip.Addr{
		netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("2001:db8::1")}}
	if got, want := tr.String(), "{198.18.0.1, 10.0.0.1, 2001:db8::1} 3863/SCTP"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	c := tr.Clone()
	c.Addrs[0] = netip.MustParseAddr("1.2.3.4")
	if tr.Equal(&c) || tr.Addrs[0] == c.Addrs[0] {
		t.Error("Clone must copy addresses")
	}
}

func TestFilterAddresses(t *testing.T) {
	block := []netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("10.0.0.1"),
		netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("2001:db8::1")}
	among := []netip.Addr{netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("127.0.0.1"),
		netip.MustParseAddr("2001:db8::1")}
	tests := []struct {
		name  string
		among []netip.Addr
		min   Scope
		want  int
	}{
		{"site-local among association", among, ScopeSiteLocal, 2},
		{"global among association", among, ScopeGlobal, 1},
		{"loopback among association", among, ScopeLoopback, 3},
		{"no association filter", nil, ScopeSiteLocal, 3},
	}
	for _, tt := range tests {
		if got := FilterAddresses(block, tt.among, tt.min); len(got) != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}
