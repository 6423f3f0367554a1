package asap

import (
	"net/netip"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func TestItems(t *testing.T) {
	tests := []struct {
		req  uint32
		max  int
		want int
	}{
		{0, 3, 3}, {1, 3, 1}, {5, 3, 5}, {0xFFFFFFFF, 3, 128}, {0, 500, 128}, {128, 3, 128}, {129, 3, 128},
	}
	for _, tt := range tests {
		if got := Items(tt.req, tt.max); got != tt.want {
			t.Errorf("Items(%d, %d) = %d, want %d", tt.req, tt.max, got, tt.want)
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
		if got := RoundDistance(tt.srtt, tt.step); got != tt.want {
			t.Errorf("RoundDistance(%v, %d) = %d, want %d", tt.srtt, tt.step, got, tt.want)
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
	got := FilterUserTransport(user, peers, rserpool.ScopeSiteLocal)
	if len(got.Addrs) != 2 || got.Port != 5000 || !got.ControlChannel || got.Addrs[1].String() != "10.0.0.1" {
		t.Errorf("site-local: %v", got)
	}
	if got := FilterUserTransport(user, peers, rserpool.ScopeGlobal); len(got.Addrs) != 1 {
		t.Errorf("global: %v", got)
	}
	if got := FilterUserTransport(user, peers, rserpool.ScopeLoopback); len(got.Addrs) != 3 {
		t.Errorf("loopback: %v", got)
	}
	if len(user.Addrs) != 4 {
		t.Error("input modified")
	}
	reg := RegistratorTransport(peers, 41000, rserpool.ScopeSiteLocal)
	if reg.Port != 41000 || reg.Protocol != rserpool.ProtocolSCTP || len(reg.Addrs) != 2 {
		t.Errorf("registrator: %v", reg)
	}
}

func TestHash(t *testing.T) {
	// "Echo" little-endian = 0x6f686345; "Pool" = 0x6c6f6f50; handle "EchoPool".
	if got, want := Hash("EchoPool", 0), uint32(0x6f686345^0x6c6f6f50); got != want {
		t.Errorf("Hash = %#x, want %#x", got, want)
	}
	if got, want := Hash("Odd", 7), uint32(0x0064644f^7); got != want {
		t.Errorf("Hash = %#x, want %#x", got, want)
	}
}

func TestRateLimiter(t *testing.T) {
	r := NewRateLimiter()
	sec := int64(time.Second)
	// One request per second is within 2.5/s: RSPLIB divides n stamps by the
	// span of n-1 intervals, so two requests a second apart count as 2/s.
	for i := int64(0); i < 20; i++ {
		if !r.AllowHandleResolution(1, "EchoPool", i*sec, 2.5) {
			t.Fatalf("request %d refused at 1/s", i)
		}
	}
	// ... ten per second is not, once the bucket has a span.
	refused := false
	for i := int64(0); i < 20; i++ {
		if !r.AllowHandleResolution(2, "EchoPool", i*sec/10, 1.5) {
			refused = true
		}
	}
	if !refused {
		t.Fatal("10/s never refused with a 2.5/s limit")
	}
	// Connections and kinds are independent.
	if !r.AllowEndpointUnreachable(2, "EchoPool", 0, 1.5) || !r.AllowHandleResolution(3, "EchoPool", 0, 1.5) {
		t.Fatal("independent state shared")
	}
	r.Forget(2)
	if r.Len() != 2 {
		t.Fatalf("Len = %d", r.Len())
	}
	// Rate of a bucket: 16 stamps over 1.5 s = 10.67/s.
	var b bucket
	for i := int64(0); i < 20; i++ {
		b.add(i * sec / 10)
	}
	if got := b.rate(); got < 10.6 || got > 10.7 {
		t.Errorf("rate = %v", got)
	}
}
