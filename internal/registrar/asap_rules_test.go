package registrar

import (
	"net/netip"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func TestResolutionItems(t *testing.T) {
	tests := []struct {
		req  uint32
		max  int
		want int
	}{
		{0, 3, 3}, {1, 3, 1}, {5, 3, 5}, {0xFFFFFFFF, 3, 128}, {0, 500, 128}, {128, 3, 128}, {129, 3, 128},
	}
	for _, tt := range tests {
		if got := resolutionItems(tt.req, tt.max); got != tt.want {
			t.Errorf("resolutionItems(%d, %d) = %d, want %d", tt.req, tt.max, got, tt.want)
		}
	}
}

func TestRoundDistance(t *testing.T) {
	tests := []struct {
		srtt time.Duration
		step uint32
		want uint32
	}{
		{0, 50, 0}, {49 * time.Millisecond, 50, 0}, {50 * time.Millisecond, 50, 0},
		{51 * time.Millisecond, 50, 0}, // half is 25 ms; 25/50 = 0.5 and rint rounds half to even
		{100 * time.Millisecond, 50, 50}, {200 * time.Millisecond, 50, 100}, {160 * time.Millisecond, 50, 100},
		{30 * time.Millisecond, 1, 15},
	}
	for _, tt := range tests {
		if got := roundDistance(tt.srtt, tt.step); got != tt.want {
			t.Errorf("roundDistance(%v, %d) = %d, want %d", tt.srtt, tt.step, got, tt.want)
		}
	}
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestFilterUserTransport(t *testing.T) {
	user := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 5000, ControlChannel: true,
		Addrs: addrs("198.18.0.1", "10.0.0.1", "192.0.2.9", "127.0.0.1")}
	peers := addrs("::ffff:198.18.0.1", "10.0.0.1", "127.0.0.1")
	got := filterUserTransport(user, peers, rserpool.ScopeSiteLocal)
	if len(got.Addrs) != 2 || got.Port != 5000 || !got.ControlChannel || got.Addrs[1].String() != "10.0.0.1" {
		t.Errorf("site-local: %v", got)
	}
	if got := filterUserTransport(user, peers, rserpool.ScopeGlobal); len(got.Addrs) != 1 {
		t.Errorf("global: %v", got)
	}
	if got := filterUserTransport(user, peers, rserpool.ScopeLoopback); len(got.Addrs) != 3 {
		t.Errorf("loopback: %v", got)
	}
	if len(user.Addrs) != 4 {
		t.Error("input modified")
	}
	reg := registratorTransport(peers, 41000, rserpool.ScopeSiteLocal)
	if reg.Port != 41000 || reg.Protocol != rserpool.ProtocolSCTP || len(reg.Addrs) != 2 {
		t.Errorf("registrator: %v", reg)
	}
}
