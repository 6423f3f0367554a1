// Package pcapng reads and writes packet captures in the pcapng format and
// takes apart the few protocols the registrar's tests meet in them
// (Ethernet, Linux cooked capture, raw IP; IPv4, IPv6; SCTP, UDP). It exists
// so that tests can replay captures of real RSPLIB traffic and can hand
// synthetic traffic to tshark, without a dependency on a capture library.
//
// Only what those tests need is implemented: section header, interface
// description, enhanced, simple and obsolete packet blocks; other blocks are
// skipped.
package pcapng

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Link types (LINKTYPE_* values of the tcpdump registry).
const (
	LinkTypeNull     uint16 = 0
	LinkTypeEthernet uint16 = 1
	LinkTypeRaw      uint16 = 101
	LinkTypeLinuxSLL uint16 = 113
	LinkTypeIPv4     uint16 = 228
	LinkTypeIPv6     uint16 = 229
	LinkTypeLinuxSL2 uint16 = 276
)

const (
	blockSHB       = 0x0A0D0D0A
	blockIDB       = 0x00000001
	blockPacketOld = 0x00000002
	blockSPB       = 0x00000003
	blockEPB       = 0x00000006
	byteOrderMagic = 0x1A2B3C4D
	// maxBlock bounds what a corrupt length field can make the reader
	// allocate.
	maxBlock = 16 << 20
)

// ErrFormat reports input that is not a pcapng file this reader understands.
var ErrFormat = errors.New("pcapng: malformed file")

// Interface is an interface description block.
type Interface struct {
	LinkType uint16
	SnapLen  uint32
}

// Packet is one captured packet. Data aliases the reader's buffer and is only
// valid until the next call to Next.
type Packet struct {
	Interface int
	LinkType  uint16
	// Timestamp is in the interface's units (microseconds unless the
	// capture says otherwise; this reader does not interpret if_tsresol).
	Timestamp uint64
	Data      []byte
	OrigLen   uint32
}

// Reader reads packets from a pcapng stream.
type Reader struct {
	r      io.Reader
	order  binary.ByteOrder
	ifaces []Interface
	buf    []byte
	seen   bool
}

// NewReader returns a reader for r, which must start with a section header
// block.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: r}
	typ, body, err := rd.block()
	if err != nil {
		return nil, err
	}
	if typ != blockSHB {
		return nil, fmt.Errorf("%w: does not start with a section header", ErrFormat)
	}
	_ = body
	return rd, nil
}

// Interfaces returns the interfaces described so far.
func (r *Reader) Interfaces() []Interface { return r.ifaces }

// block reads one block and returns its type and body (without the type and
// the two length fields). A section header switches the byte order.
func (r *Reader) block() (uint32, []byte, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r.r, hdr[:8]); err != nil {
		if err == io.EOF && r.seen {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	r.seen = true
	if binary.LittleEndian.Uint32(hdr[:4]) == blockSHB {
		if _, err := io.ReadFull(r.r, hdr[8:12]); err != nil {
			return 0, nil, fmt.Errorf("%w: section header: %v", ErrFormat, err)
		}
		switch {
		case binary.LittleEndian.Uint32(hdr[8:]) == byteOrderMagic:
			r.order = binary.LittleEndian
		case binary.BigEndian.Uint32(hdr[8:]) == byteOrderMagic:
			r.order = binary.BigEndian
		default:
			return 0, nil, fmt.Errorf("%w: bad byte-order magic", ErrFormat)
		}
		r.ifaces = r.ifaces[:0]
		n := r.order.Uint32(hdr[4:])
		if n < 28 || n > maxBlock || n%4 != 0 {
			return 0, nil, fmt.Errorf("%w: section header length %d", ErrFormat, n)
		}
		body, err := r.read(int(n) - 12)
		if err != nil {
			return 0, nil, err
		}
		return blockSHB, body[:len(body)-4], nil
	}
	if r.order == nil {
		return 0, nil, fmt.Errorf("%w: block before section header", ErrFormat)
	}
	typ, n := r.order.Uint32(hdr[:]), r.order.Uint32(hdr[4:])
	if n < 12 || n > maxBlock || n%4 != 0 {
		return 0, nil, fmt.Errorf("%w: block length %d", ErrFormat, n)
	}
	body, err := r.read(int(n) - 8)
	if err != nil {
		return 0, nil, err
	}
	if r.order.Uint32(body[len(body)-4:]) != n {
		return 0, nil, fmt.Errorf("%w: trailing block length mismatch", ErrFormat)
	}
	return typ, body[:len(body)-4], nil
}

// read reads n bytes, growing the buffer in steps so that a corrupt length
// costs memory only in proportion to the data actually present.
func (r *Reader) read(n int) ([]byte, error) {
	b := r.buf[:0]
	for len(b) < n {
		step := min(n-len(b), 1<<16)
		b = slices.Grow(b, step)
		got, err := io.ReadFull(r.r, b[len(b):len(b)+step])
		b = b[:len(b)+got]
		if err != nil {
			return nil, fmt.Errorf("%w: truncated block: %v", ErrFormat, err)
		}
	}
	r.buf = b
	return b, nil
}

// Next returns the next packet, or io.EOF at the end of the stream.
func (r *Reader) Next() (Packet, error) {
	for {
		typ, body, err := r.block()
		if err != nil {
			return Packet{}, err
		}
		switch typ {
		case blockIDB:
			if len(body) < 8 {
				return Packet{}, fmt.Errorf("%w: short interface block", ErrFormat)
			}
			r.ifaces = append(r.ifaces, Interface{LinkType: r.order.Uint16(body), SnapLen: r.order.Uint32(body[4:])})
		case blockEPB:
			if len(body) < 20 {
				return Packet{}, fmt.Errorf("%w: short packet block", ErrFormat)
			}
			p := Packet{
				Interface: int(r.order.Uint32(body)),
				Timestamp: uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:])),
				OrigLen:   r.order.Uint32(body[16:]),
			}
			return r.packet(p, body[20:], r.order.Uint32(body[12:]))
		case blockSPB:
			if len(body) < 4 {
				return Packet{}, fmt.Errorf("%w: short simple packet block", ErrFormat)
			}
			p := Packet{OrigLen: r.order.Uint32(body)}
			n := min(p.OrigLen, uint32(len(body)-4))
			if len(r.ifaces) > 0 && r.ifaces[0].SnapLen > 0 {
				n = min(n, r.ifaces[0].SnapLen)
			}
			return r.packet(p, body[4:], n)
		case blockPacketOld:
			if len(body) < 20 {
				return Packet{}, fmt.Errorf("%w: short packet block", ErrFormat)
			}
			p := Packet{
				Interface: int(r.order.Uint16(body)),
				Timestamp: uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:])),
				OrigLen:   r.order.Uint32(body[16:]),
			}
			return r.packet(p, body[20:], r.order.Uint32(body[12:]))
		}
	}
}

func (r *Reader) packet(p Packet, data []byte, capLen uint32) (Packet, error) {
	if p.Interface < 0 || p.Interface >= len(r.ifaces) {
		return Packet{}, fmt.Errorf("%w: packet on undescribed interface %d", ErrFormat, p.Interface)
	}
	if uint64(capLen) > uint64(len(data)) {
		return Packet{}, fmt.Errorf("%w: captured length %d exceeds block", ErrFormat, capLen)
	}
	p.LinkType = r.ifaces[p.Interface].LinkType
	p.Data = data[:capLen]
	return p, nil
}

// Writer writes a little-endian pcapng stream.
type Writer struct {
	w      io.Writer
	ifaces int
	buf    []byte
}

// NewWriter writes a section header block to w.
func NewWriter(w io.Writer) (*Writer, error) {
	wr := &Writer{w: w}
	b := make([]byte, 0, 28)
	b = binary.LittleEndian.AppendUint32(b, blockSHB)
	b = binary.LittleEndian.AppendUint32(b, 28)
	b = binary.LittleEndian.AppendUint32(b, byteOrderMagic)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0))
	b = binary.LittleEndian.AppendUint32(b, 28)
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("pcapng: write section header: %w", err)
	}
	return wr, nil
}

// AddInterface describes an interface and returns its index.
func (w *Writer) AddInterface(linkType uint16, snapLen uint32) (int, error) {
	b := make([]byte, 0, 20)
	b = binary.LittleEndian.AppendUint32(b, blockIDB)
	b = binary.LittleEndian.AppendUint32(b, 20)
	b = binary.LittleEndian.AppendUint16(b, linkType)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, snapLen)
	b = binary.LittleEndian.AppendUint32(b, 20)
	if _, err := w.w.Write(b); err != nil {
		return 0, fmt.Errorf("pcapng: write interface: %w", err)
	}
	w.ifaces++
	return w.ifaces - 1, nil
}

// WritePacket writes an enhanced packet block; ts is in microseconds.
func (w *Writer) WritePacket(iface int, ts uint64, data []byte) error {
	if iface < 0 || iface >= w.ifaces {
		return fmt.Errorf("pcapng: no interface %d", iface)
	}
	padded := len(data) + (4-len(data)%4)%4
	n := uint32(32 + padded)
	b := w.buf[:0]
	b = binary.LittleEndian.AppendUint32(b, blockEPB)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = binary.LittleEndian.AppendUint32(b, uint32(iface))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	for len(b) < 28+padded {
		b = append(b, 0)
	}
	b = binary.LittleEndian.AppendUint32(b, n)
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("pcapng: write packet: %w", err)
	}
	return nil
}
