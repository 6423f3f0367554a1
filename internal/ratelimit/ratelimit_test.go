package ratelimit

import (
	"testing"
	"time"
)

func TestPoolHash(t *testing.T) {
	// "Echo" little-endian = 0x6f686345; "Pool" = 0x6c6f6f50; handle "EchoPool".
	if got, want := poolHash("EchoPool", 0), uint32(0x6f686345^0x6c6f6f50); got != want {
		t.Errorf("Hash = %#x, want %#x", got, want)
	}
	if got, want := poolHash("Odd", 7), uint32(0x0064644f^7); got != want {
		t.Errorf("Hash = %#x, want %#x", got, want)
	}
}

func TestRateLimiter(t *testing.T) {
	r := New()
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
