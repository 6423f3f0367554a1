package pcapng

import (
	"bytes"
	"encoding/binary"
	"errors"

	"net/netip"
	"os"
	"testing"
)

var (
	srcAddr = netip.MustParseAddr("198.18.0.1")
	dstAddr = netip.MustParseAddr("198.18.0.2")
)

func sctpFrame(vtag uint32, d DataChunk) []byte {
	s := AppendSCTPData(nil, 5000, 3863, vtag, d)
	return AppendEthernet(nil, 0x0800, AppendIPv4(nil, srcAddr, dstAddr, ProtoSCTP, s))
}

// TestWriteRead writes packets with the writer and reads them back,
// including DATA chunk reassembly with a retransmission and fragments that
// arrive out of order.
func TestWriteRead(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	eth, _ := w.AddInterface(LinkTypeEthernet, 65535)
	raw, _ := w.AddInterface(LinkTypeRaw, 65535)
	frames := []struct {
		iface int
		data  []byte
	}{
		{eth, sctpFrame(7, DataChunk{Flags: DataFlagBegin | DataFlagEnd, TSN: 1, PPID: 11, Data: []byte("whole")})},
		{eth, sctpFrame(7, DataChunk{Flags: DataFlagBegin | DataFlagEnd, TSN: 1, PPID: 11, Data: []byte("whole")})},
		{eth, sctpFrame(7, DataChunk{Flags: DataFlagEnd, TSN: 4, PPID: 12, Data: []byte("-c")})},
		{eth, sctpFrame(7, DataChunk{Flags: DataFlagBegin, TSN: 2, PPID: 12, Data: []byte("a")})},
		{raw, AppendIPv4(nil, srcAddr, dstAddr, ProtoUDP, AppendUDP(nil, 1000, 9901, []byte("udp")))},
		{eth, sctpFrame(7, DataChunk{TSN: 3, PPID: 12, Data: []byte("-b")})},
		{eth, AppendEthernet(nil, 0x0806, make([]byte, 28))},
	}
	for i, f := range frames {
		if err := w.WritePacket(f.iface, uint64(i), f.data); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := Extract(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		frame int
		proto uint8
		ppid  uint32
		data  string
	}{
		{1, ProtoSCTP, 11, "whole"},
		{5, ProtoUDP, 0, "udp"},
		{6, ProtoSCTP, 12, "a-b-c"},
	}
	if len(msgs) != len(want) {
		t.Fatalf("got %d messages, want %d: %+v", len(msgs), len(want), msgs)
	}
	for i, m := range msgs {
		if m.Frame != want[i].frame || m.Protocol != want[i].proto || m.PPID != want[i].ppid || string(m.Data) != want[i].data {
			t.Errorf("message %d = %+v, want %+v", i, m, want[i])
		}
	}
	if msgs[1].Src != netip.AddrPortFrom(srcAddr, 1000) || msgs[1].Dst != netip.AddrPortFrom(dstAddr, 9901) {
		t.Errorf("UDP endpoints %v -> %v", msgs[1].Src, msgs[1].Dst)
	}
}

// TestChecksum checks the SCTP CRC32c against RFC 3720's test vector (32
// zero bytes) and checks that a packet built here verifies.
func TestChecksum(t *testing.T) {
	if got := SCTPChecksum(make([]byte, 32)); got != 0x8a9136aa {
		t.Fatalf("CRC32c of 32 zero bytes = %08x", got)
	}
	p := AppendSCTPData(nil, 1, 2, 3, DataChunk{Flags: 3, PPID: 11, Data: []byte{1, 2, 3}})
	if len(p)%4 != 0 {
		t.Fatalf("packet not padded: %d bytes", len(p))
	}
	stored := binary.LittleEndian.Uint32(p[8:])
	binary.LittleEndian.PutUint32(p[8:], 0)
	if SCTPChecksum(p) != stored {
		t.Fatal("checksum does not verify")
	}
}

// TestRealCapture reads a capture of real RSPLIB traffic (Ethernet link type
// on lo and dummy0, pcapng written by dumpcap).
func TestRealCapture(t *testing.T) {
	f, err := os.Open("testdata/a-echo.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msgs, err := Extract(f)
	if err != nil {
		t.Fatal(err)
	}
	count := map[uint32]int{}
	for _, m := range msgs {
		if m.Protocol == ProtoSCTP {
			count[m.PPID]++
		}
	}
	// As counted by tshark: 16 ASAP messages and 2 PPID-0 echo payloads.
	if count[11] != 16 || count[0] != 2 || len(count) != 2 {
		t.Fatalf("messages per PPID: %v", count)
	}
}

func TestMalformed(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	_, _ = w.AddInterface(LinkTypeEthernet, 65535)
	_ = w.WritePacket(0, 0, sctpFrame(1, DataChunk{Flags: 3, Data: []byte("x")}))
	good := buf.Bytes()
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not pcapng", []byte("hello world, this is no capture")},
		{"truncated", good[:len(good)-3]},
		{"huge block", func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint32(b[28+20+4:], 0x7ffffff0)
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract(bytes.NewReader(tt.data))
			if err == nil || !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
		})
	}
	if _, err := Extract(bytes.NewReader(good)); err != nil {
		t.Fatalf("good file: %v", err)
	}
}

func FuzzExtract(f *testing.F) {
	if b, err := os.ReadFile("testdata/a-echo.pcapng"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Extract(bytes.NewReader(b))
	})
}

// TestLinkTypes checks that each supported link layer yields the IP packet,
// and that IPv6 extension headers are skipped.
func TestLinkTypes(t *testing.T) {
	udp := AppendUDP(nil, 1, 2, []byte("x"))
	v4 := AppendIPv4(nil, srcAddr, dstAddr, ProtoUDP, udp)
	// IPv6 with a hop-by-hop options header before UDP.
	v6 := []byte{0x60, 0, 0, 0, 0, byte(8 + len(udp)), 0, 64}
	v6 = append(v6, netip.MustParseAddr("2001:db8::1").AsSlice()...)
	v6 = append(v6, netip.MustParseAddr("2001:db8::2").AsSlice()...)
	v6 = append(v6, ProtoUDP, 0, 1, 4, 0, 0, 0, 0)
	v6 = append(v6, udp...)
	sll := append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd}, v6...)
	sll2 := append([]byte{0x08, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}, v4...)
	null := append([]byte{2, 0, 0, 0}, v4...)
	vlan := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0, 0, 5, 0x08, 0}, v4...)
	tests := []struct {
		name     string
		linkType uint16
		frame    []byte
		src      string
	}{
		{"Ethernet", LinkTypeEthernet, AppendEthernet(nil, 0x0800, v4), "198.18.0.1"},
		{"Ethernet VLAN", LinkTypeEthernet, vlan, "198.18.0.1"},
		{"Linux cooked, IPv6", LinkTypeLinuxSLL, sll, "2001:db8::1"},
		{"Linux cooked v2", LinkTypeLinuxSL2, sll2, "198.18.0.1"},
		{"raw", LinkTypeRaw, v4, "198.18.0.1"},
		{"raw IPv6", LinkTypeIPv6, v6, "2001:db8::1"},
		{"loopback", LinkTypeNull, null, "198.18.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip, err := LinkPayload(tt.linkType, tt.frame)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseIP(ip)
			if err != nil {
				t.Fatal(err)
			}
			u, err := ParseUDP(p.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if p.Src.String() != tt.src || p.Protocol != ProtoUDP || string(u.Payload) != "x" {
				t.Fatalf("got %+v / %+v", p, u)
			}
		})
	}
	if _, err := LinkPayload(LinkTypeEthernet, AppendEthernet(nil, 0x0806, nil)); !errors.Is(err, ErrNotIP) {
		t.Errorf("ARP: err = %v", err)
	}
	frag := AppendIPv4(nil, srcAddr, dstAddr, ProtoUDP, udp)
	frag[6] |= 0x20 // more fragments
	if _, err := ParseIP(frag); !errors.Is(err, ErrIPFragment) {
		t.Errorf("fragment: err = %v", err)
	}
}
