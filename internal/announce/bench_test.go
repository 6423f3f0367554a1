package announce

import (
	"net"
	"net/netip"
	"testing"
)

// BenchmarkSendLoopback is one announce sent on one interface (loopback,
// claimed multicast-capable as in TestLoopbackRoundTrip), interface
// enumeration included.
func BenchmarkSendLoopback(b *testing.B) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		b.Skip("no lo")
	}
	ifs := lister(Interface{Index: lo.Index, Name: "lo", Flags: net.FlagUp | net.FlagMulticast,
		Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	s, err := NewSender(SenderConfig{Group: netip.MustParseAddrPort("239.0.0.50:3863"), Interfaces: ifs})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	msg := []byte{0x0a, 0, 0, 8, 0x11, 0x11, 0x11, 0x11}
	b.ReportAllocs()
	for b.Loop() {
		if n, err := s.Send(msg); n != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkSystemInterfaces is the enumeration done on every Send and
// Rejoin with the default lister.
func BenchmarkSystemInterfaces(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SystemInterfaces(); err != nil {
			b.Fatal(err)
		}
	}
}
