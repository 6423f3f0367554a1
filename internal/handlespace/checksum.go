package handlespace

import "github.com/rserpool/rspregistrar/internal/rserpool"

// Checksum is RSPLIB's unreduced handlespace checksum accumulator: a uint32
// sum, with wrap-around, of 16-bit words. Accumulators of several PEs are
// added and subtracted as plain uint32 values, which is how RSPLIB maintains
// the ownership checksum incrementally.
type Checksum uint32

// PEChecksum is the accumulator of one PE: the pool handle bytes, zero-padded
// to even length, followed by the PE identifier in network byte order, read
// as little-endian 16-bit words. Reading little-endian words reproduces
// RSPLIB on the x86 hosts it runs on, where the C code sums host-order words
// of the byte string; only handle and identifier are covered.
func PEChecksum(h rserpool.PoolHandle, id rserpool.PEID) Checksum {
	var s uint32
	n := len(h)
	for i := 0; i+1 < n; i += 2 {
		s += uint32(h[i]) | uint32(h[i+1])<<8
	}
	if n%2 == 1 {
		s += uint32(h[n-1])
	}
	v := uint32(id)
	s += v>>24 | (v>>16&0xff)<<8 // bytes 0 and 1 of the big-endian identifier
	s += v>>8&0xff | (v&0xff)<<8 // bytes 2 and 3
	return Checksum(s)
}

// Value finishes the accumulator as RSPLIB's handlespaceChecksumFinish does:
// fold the carries into 16 bits and complement. The result is the host-order
// (little-endian) value RSPLIB keeps in memory; an empty sum gives 0xFFFF.
func (c Checksum) Value() uint16 {
	s := uint32(c)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// Bytes returns the two bytes of the ENRP PE Checksum parameter. RSPLIB copies
// its in-memory value to the wire, so the low byte goes first; for sums that
// never wrapped this equals the RFC 1071 Internet checksum of the handles and
// identifiers in network byte order.
func (c Checksum) Bytes() [2]byte {
	v := c.Value()
	return [2]byte{byte(v), byte(v >> 8)}
}
