package csp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
)

// udpDatagram is one UDP packet read from a capture.
type udpDatagram struct {
	Frame    int
	Src, Dst netip.AddrPort
	Payload  []byte
}

// readUDP returns the UDP datagrams of a pcapng file with Ethernet link
// type, which is how the golden RSPLIB captures were taken. It is a test
// helper: only the blocks and headers those captures use are understood.
func readUDP(path string) ([]udpDatagram, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var (
		order binary.ByteOrder = binary.LittleEndian
		out   []udpDatagram
		frame int
	)
	for len(data) >= 12 {
		if binary.LittleEndian.Uint32(data) == 0x0A0D0D0A { // section header
			if binary.LittleEndian.Uint32(data[8:]) == 0x1A2B3C4D {
				order = binary.LittleEndian
			} else {
				order = binary.BigEndian
			}
		}
		typ, n := order.Uint32(data), int(order.Uint32(data[4:]))
		if n < 12 || n > len(data) || n%4 != 0 {
			return nil, fmt.Errorf("%s: bad block length %d", path, n)
		}
		if typ == 6 { // enhanced packet block
			frame++
			body := data[8 : n-4]
			caplen := int(order.Uint32(body[12:]))
			if 20+caplen > len(body) {
				return nil, fmt.Errorf("%s: frame %d truncated", path, frame)
			}
			if d, ok := parseEthernetUDP(body[20 : 20+caplen]); ok {
				d.Frame = frame
				out = append(out, d)
			}
		}
		data = data[n:]
	}
	return out, nil
}

func parseEthernetUDP(p []byte) (udpDatagram, bool) {
	if len(p) < 14 {
		return udpDatagram{}, false
	}
	var src, dst netip.Addr
	etype, p := binary.BigEndian.Uint16(p[12:]), p[14:]
	switch {
	case etype == 0x0800 && len(p) >= 20 && p[9] == 17:
		ihl := int(p[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(p[2:]))
		if total > len(p) || ihl > total {
			return udpDatagram{}, false
		}
		src, dst = netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
		p = p[ihl:total]
	case etype == 0x86DD && len(p) >= 40 && p[6] == 17:
		src, dst = netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
		p = p[40:]
	default:
		return udpDatagram{}, false
	}
	if len(p) < 8 {
		return udpDatagram{}, false
	}
	ulen := int(binary.BigEndian.Uint16(p[4:]))
	if ulen < 8 || ulen > len(p) {
		return udpDatagram{}, false
	}
	return udpDatagram{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(p[0:])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(p[2:])),
		Payload: p[8:ulen],
	}, true
}
