package pcapng

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
)

// Message is one SCTP user message (reassembled from its DATA chunks) or one
// UDP payload found in a capture.
type Message struct {
	// Frame is the 1-based number of the packet that completed the message.
	Frame    int
	Src, Dst netip.AddrPort
	Protocol uint8
	// PPID and Stream are set for SCTP messages.
	PPID   uint32
	Stream uint16
	Data   []byte
}

// Extract reads a capture and returns its SCTP user messages and UDP
// payloads in the order they were completed. Retransmitted DATA chunks are
// dropped; fragmented user messages are reassembled. Frames that are not IP
// or are IP fragments are skipped.
func Extract(r io.Reader) ([]Message, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var (
		out   []Message
		asm   = newReassembler()
		frame int
	)
	for {
		p, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		frame++
		ip, err := LinkPayload(p.LinkType, p.Data)
		if err == nil {
			var pkt IPPacket
			if pkt, err = ParseIP(ip); err == nil {
				out, err = extractIP(out, frame, pkt, asm)
			}
		}
		if err != nil && !errors.Is(err, ErrNotIP) && !errors.Is(err, ErrIPFragment) {
			return out, fmt.Errorf("frame %d: %w", frame, err)
		}
	}
}

func extractIP(out []Message, frame int, pkt IPPacket, asm *reassembler) ([]Message, error) {
	switch pkt.Protocol {
	case ProtoUDP:
		u, err := ParseUDP(pkt.Payload)
		if err != nil {
			return out, err
		}
		return append(out, Message{Frame: frame, Protocol: ProtoUDP,
			Src: netip.AddrPortFrom(pkt.Src, u.SrcPort), Dst: netip.AddrPortFrom(pkt.Dst, u.DstPort),
			Data: append([]byte(nil), u.Payload...)}), nil
	case ProtoSCTP:
		s, err := ParseSCTP(pkt.Payload)
		if err != nil {
			return out, err
		}
		for _, c := range s.Chunks {
			if c.Type != ChunkData {
				continue
			}
			d, err := c.Data()
			if err != nil {
				return out, err
			}
			if data, ok := asm.add(s, d); ok {
				out = append(out, Message{Frame: frame, Protocol: ProtoSCTP,
					Src: netip.AddrPortFrom(pkt.Src, s.SrcPort), Dst: netip.AddrPortFrom(pkt.Dst, s.DstPort),
					PPID: d.PPID, Stream: d.Stream, Data: data})
			}
		}
	}
	return out, nil
}

// direction identifies one direction of an association independently of the
// path (address pair) a packet took.
type direction struct {
	srcPort, dstPort uint16
	vtag             uint32
}

type fragment struct {
	flags uint8
	data  []byte
}

type reassembler struct {
	seen    map[direction]map[uint32]bool
	pending map[direction]map[uint32]fragment
}

func newReassembler() *reassembler {
	return &reassembler{seen: map[direction]map[uint32]bool{}, pending: map[direction]map[uint32]fragment{}}
}

// add records a DATA chunk and returns a user message once all of its
// fragments (consecutive TSNs from a B chunk to an E chunk) are present.
func (a *reassembler) add(s SCTP, d DataChunk) ([]byte, bool) {
	dir := direction{s.SrcPort, s.DstPort, s.VerificationTag}
	if a.seen[dir] == nil {
		a.seen[dir] = map[uint32]bool{}
		a.pending[dir] = map[uint32]fragment{}
	}
	if a.seen[dir][d.TSN] {
		return nil, false
	}
	a.seen[dir][d.TSN] = true
	if d.Flags&(DataFlagBegin|DataFlagEnd) == DataFlagBegin|DataFlagEnd {
		return append([]byte(nil), d.Data...), true
	}
	frags := a.pending[dir]
	frags[d.TSN] = fragment{d.Flags, append([]byte(nil), d.Data...)}
	first := d.TSN
	for frags[first].flags&DataFlagBegin == 0 {
		if _, ok := frags[first-1]; !ok {
			return nil, false
		}
		first--
	}
	last := d.TSN
	for frags[last].flags&DataFlagEnd == 0 {
		if _, ok := frags[last+1]; !ok {
			return nil, false
		}
		last++
	}
	var msg []byte
	for tsn := first; ; tsn++ {
		msg = append(msg, frags[tsn].data...)
		delete(frags, tsn)
		if tsn == last {
			break
		}
	}
	return msg, true
}
