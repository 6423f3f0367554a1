package csp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func benchSnapshot() Snapshot {
	return Snapshot{PoolElements: 1000, OwnedPoolElements: 400, Pools: 10,
		Peers:    []rserpool.RegistrarID{0x22222222, 0x33333333},
		Location: "prhost: 198.18.0.1:3863, 198.18.0.2, 2001:db8::1"}
}

// BenchmarkBuildEncode is the CPU cost of one periodic report.
func BenchmarkBuildEncode(b *testing.B) {
	r, _ := NewReporter(0x11111111, time.Second, netip.MustParseAddrPort("127.0.0.1:2960"))
	s, now := benchSnapshot(), time.Now()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		rep := r.Build(now, s)
		buf, _ = rep.AppendBinary(buf[:0])
	}
}

func BenchmarkLocation(b *testing.B) {
	addrs := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:3863"), netip.MustParseAddrPort("198.18.0.1:3863"),
		netip.MustParseAddrPort("[fe80::1]:3863"), netip.MustParseAddrPort("[2001:db8::1]:3863")}
	b.ReportAllocs()
	for b.Loop() {
		Location("prhost", addrs)
	}
}

// BenchmarkSend is one report over loopback UDP with the kept socket.
func BenchmarkSend(b *testing.B) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 2000)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	r, _ := NewReporter(0x11111111, time.Second, pc.LocalAddr().(*net.UDPAddr).AddrPort())
	defer r.Close()
	rep := r.Build(time.Now(), benchSnapshot())
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Send(&rep); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendFreshSocket is RSPLIB's way, for comparison: a new socket
// for every report.
func BenchmarkSendFreshSocket(b *testing.B) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 2000)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	dst := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	r, _ := NewReporter(0x11111111, time.Second, dst)
	rep := r.Build(time.Now(), benchSnapshot())
	msg, _ := rep.MarshalBinary()
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.ListenUDP("udp4", nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.WriteToUDPAddrPort(msg, dst); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
