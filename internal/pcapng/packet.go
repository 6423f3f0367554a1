package pcapng

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/netip"
)

// IP protocol numbers handled here.
const (
	ProtoUDP  uint8 = 17
	ProtoSCTP uint8 = 132
)

// ErrNotIP reports a frame that carries no IP packet (ARP, say); callers
// skip those.
var ErrNotIP = errors.New("pcapng: not an IP packet")

// ErrIPFragment reports an IP fragment, which this package does not
// reassemble.
var ErrIPFragment = errors.New("pcapng: IP fragment")

// IPPacket is the transport part of an IPv4 or IPv6 packet.
type IPPacket struct {
	Src, Dst netip.Addr
	Protocol uint8
	Payload  []byte
}

// LinkPayload strips the link-layer header and returns the IP packet.
func LinkPayload(linkType uint16, frame []byte) ([]byte, error) {
	var etherType uint16
	switch linkType {
	case LinkTypeEthernet:
		if len(frame) < 14 {
			return nil, fmt.Errorf("pcapng: short Ethernet frame")
		}
		etherType, frame = binary.BigEndian.Uint16(frame[12:]), frame[14:]
		for etherType == 0x8100 || etherType == 0x88A8 {
			if len(frame) < 4 {
				return nil, fmt.Errorf("pcapng: short VLAN tag")
			}
			etherType, frame = binary.BigEndian.Uint16(frame[2:]), frame[4:]
		}
	case LinkTypeLinuxSLL:
		if len(frame) < 16 {
			return nil, fmt.Errorf("pcapng: short Linux cooked header")
		}
		etherType, frame = binary.BigEndian.Uint16(frame[14:]), frame[16:]
	case LinkTypeLinuxSL2:
		if len(frame) < 20 {
			return nil, fmt.Errorf("pcapng: short Linux cooked v2 header")
		}
		etherType, frame = binary.BigEndian.Uint16(frame), frame[20:]
	case LinkTypeNull:
		if len(frame) < 4 {
			return nil, fmt.Errorf("pcapng: short loopback header")
		}
		frame = frame[4:]
		return frame, nil
	case LinkTypeRaw, LinkTypeIPv4, LinkTypeIPv6:
		return frame, nil
	default:
		return nil, fmt.Errorf("pcapng: unsupported link type %d", linkType)
	}
	if etherType != 0x0800 && etherType != 0x86DD {
		return nil, ErrNotIP
	}
	return frame, nil
}

// ParseIP takes apart an IPv4 or IPv6 packet, skipping IPv6 extension
// headers.
func ParseIP(b []byte) (IPPacket, error) {
	if len(b) < 1 {
		return IPPacket{}, ErrNotIP
	}
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return IPPacket{}, fmt.Errorf("pcapng: short IPv4 header")
		}
		ihl, total := int(b[0]&0x0f)*4, int(binary.BigEndian.Uint16(b[2:]))
		if ihl < 20 || total < ihl || total > len(b) {
			return IPPacket{}, fmt.Errorf("pcapng: bad IPv4 lengths")
		}
		if binary.BigEndian.Uint16(b[6:])&0x3fff != 0 {
			return IPPacket{}, ErrIPFragment
		}
		return IPPacket{Src: netip.AddrFrom4([4]byte(b[12:16])), Dst: netip.AddrFrom4([4]byte(b[16:20])),
			Protocol: b[9], Payload: b[ihl:total]}, nil
	case 6:
		if len(b) < 40 {
			return IPPacket{}, fmt.Errorf("pcapng: short IPv6 header")
		}
		plen := int(binary.BigEndian.Uint16(b[4:]))
		if 40+plen > len(b) {
			return IPPacket{}, fmt.Errorf("pcapng: bad IPv6 payload length")
		}
		p := IPPacket{Src: netip.AddrFrom16([16]byte(b[8:24])), Dst: netip.AddrFrom16([16]byte(b[24:40]))}
		next, rest := b[6], b[40:40+plen]
		for {
			switch next {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if len(rest) < 8 || len(rest) < 8+int(rest[1])*8 {
					return IPPacket{}, fmt.Errorf("pcapng: bad IPv6 extension header")
				}
				next, rest = rest[0], rest[8+int(rest[1])*8:]
				continue
			case 44:
				return IPPacket{}, ErrIPFragment
			}
			p.Protocol, p.Payload = next, rest
			return p, nil
		}
	}
	return IPPacket{}, ErrNotIP
}

// UDP is a UDP datagram.
type UDP struct {
	SrcPort, DstPort uint16
	Payload          []byte
}

// ParseUDP takes apart a UDP datagram.
func ParseUDP(b []byte) (UDP, error) {
	if len(b) < 8 {
		return UDP{}, fmt.Errorf("pcapng: short UDP header")
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if n < 8 || n > len(b) {
		return UDP{}, fmt.Errorf("pcapng: bad UDP length")
	}
	return UDP{SrcPort: binary.BigEndian.Uint16(b), DstPort: binary.BigEndian.Uint16(b[2:]), Payload: b[8:n]}, nil
}

// SCTP chunk types and DATA chunk flags used here.
const (
	ChunkData      uint8 = 0
	DataFlagEnd    uint8 = 0x01
	DataFlagBegin  uint8 = 0x02
	DataFlagUnord  uint8 = 0x04
	sctpHeaderSize       = 12
)

// SCTP is an SCTP packet: common header and chunks.
type SCTP struct {
	SrcPort, DstPort uint16
	VerificationTag  uint32
	Checksum         uint32
	Chunks           []Chunk
}

// Chunk is one SCTP chunk; Value excludes the 4-byte chunk header and the
// padding.
type Chunk struct {
	Type, Flags uint8
	Value       []byte
}

// DataChunk is the content of a DATA chunk.
type DataChunk struct {
	Flags  uint8
	TSN    uint32
	Stream uint16
	SSN    uint16
	PPID   uint32
	Data   []byte
}

// ParseSCTP takes apart an SCTP packet.
func ParseSCTP(b []byte) (SCTP, error) {
	if len(b) < sctpHeaderSize {
		return SCTP{}, fmt.Errorf("pcapng: short SCTP header")
	}
	s := SCTP{SrcPort: binary.BigEndian.Uint16(b), DstPort: binary.BigEndian.Uint16(b[2:]),
		VerificationTag: binary.BigEndian.Uint32(b[4:]), Checksum: binary.LittleEndian.Uint32(b[8:])}
	for rest := b[sctpHeaderSize:]; len(rest) > 0; {
		if len(rest) < 4 {
			return SCTP{}, fmt.Errorf("pcapng: short SCTP chunk header")
		}
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if n < 4 || n > len(rest) {
			return SCTP{}, fmt.Errorf("pcapng: bad SCTP chunk length %d", n)
		}
		s.Chunks = append(s.Chunks, Chunk{Type: rest[0], Flags: rest[1], Value: rest[4:n]})
		rest = rest[min(n+(4-n%4)%4, len(rest)):]
	}
	return s, nil
}

// Data interprets a DATA chunk.
func (c Chunk) Data() (DataChunk, error) {
	if c.Type != ChunkData || len(c.Value) < 12 {
		return DataChunk{}, fmt.Errorf("pcapng: not a DATA chunk")
	}
	v := c.Value
	return DataChunk{Flags: c.Flags, TSN: binary.BigEndian.Uint32(v), Stream: binary.BigEndian.Uint16(v[4:]),
		SSN: binary.BigEndian.Uint16(v[6:]), PPID: binary.BigEndian.Uint32(v[8:]), Data: v[12:]}, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SCTPChecksum computes the CRC32c of an SCTP packet whose checksum field
// is zero; it is stored little-endian (RFC 4960 appendix B as implemented
// by Linux and Wireshark).
func SCTPChecksum(pkt []byte) uint32 { return crc32.Checksum(pkt, castagnoli) }

// AppendSCTPData appends an SCTP packet holding one DATA chunk, with a valid
// checksum.
func AppendSCTPData(dst []byte, srcPort, dstPort uint16, vtag uint32, d DataChunk) []byte {
	s := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, srcPort)
	dst = binary.BigEndian.AppendUint16(dst, dstPort)
	dst = binary.BigEndian.AppendUint32(dst, vtag)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = append(dst, ChunkData, d.Flags)
	dst = binary.BigEndian.AppendUint16(dst, uint16(16+len(d.Data)))
	dst = binary.BigEndian.AppendUint32(dst, d.TSN)
	dst = binary.BigEndian.AppendUint16(dst, d.Stream)
	dst = binary.BigEndian.AppendUint16(dst, d.SSN)
	dst = binary.BigEndian.AppendUint32(dst, d.PPID)
	dst = append(dst, d.Data...)
	for (len(dst)-s)%4 != 0 {
		dst = append(dst, 0)
	}
	binary.LittleEndian.PutUint32(dst[s+8:], SCTPChecksum(dst[s:]))
	return dst
}

// AppendUDP appends a UDP datagram; the checksum is left 0 (none), which
// IPv4 allows.
func AppendUDP(dst []byte, srcPort, dstPort uint16, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, srcPort)
	dst = binary.BigEndian.AppendUint16(dst, dstPort)
	dst = binary.BigEndian.AppendUint16(dst, uint16(8+len(payload)))
	dst = binary.BigEndian.AppendUint16(dst, 0)
	return append(dst, payload...)
}

// AppendIPv4 appends an IPv4 header (with checksum) and the payload.
func AppendIPv4(dst []byte, src, dstAddr netip.Addr, proto uint8, payload []byte) []byte {
	s := len(dst)
	dst = append(dst, 0x45, 0)
	dst = binary.BigEndian.AppendUint16(dst, uint16(20+len(payload)))
	dst = append(dst, 0, 0, 0x40, 0, 64, proto, 0, 0)
	s4, d4 := src.As4(), dstAddr.As4()
	dst = append(dst, s4[:]...)
	dst = append(dst, d4[:]...)
	var sum uint32
	for i := s; i < s+20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(dst[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(dst[s+10:], ^uint16(sum))
	return append(dst, payload...)
}

// AppendEthernet appends an Ethernet header with locally administered
// addresses and the payload.
func AppendEthernet(dst []byte, etherType uint16, payload []byte) []byte {
	dst = append(dst, 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1)
	dst = binary.BigEndian.AppendUint16(dst, etherType)
	return append(dst, payload...)
}
