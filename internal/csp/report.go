package csp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Wire constants (RSPLIB componentstatuspackets.h).
const (
	// Version is the only protocol version cspmonitor accepts.
	Version uint32 = 0x00000200
	// TypeReport is the only message type.
	TypeReport uint8 = 0x01
	// FlagFinal marks the last report of a component; the monitor then drops it.
	FlagFinal uint8 = 0x01

	// DefaultPort is cspmonitor's UDP port.
	DefaultPort = 2960

	// HeaderSize is the common header: type, flags, length, version, sender
	// ID and sender timestamp.
	HeaderSize = 24
	// ReportSize is the length of a report without associations.
	ReportSize = HeaderSize + 4 + TextSize + TextSize + 2 + 2
	// AssociationSize is the length of one association entry.
	AssociationSize = 24
	// TextSize is the size of the location and of the status field. Texts are
	// NUL-padded and may fill the field completely (no terminating NUL).
	TextSize = 128
	// MaxAssociations is the most association entries a report can carry:
	// with more, the report would not fit in an IPv4 UDP datagram (65507
	// bytes of payload) and soon after not in the 16-bit length field.
	MaxAssociations = (65507 - ReportSize) / AssociationSize

	// WorkloadUnknown is the workload value of components without one (the
	// registrar); cspmonitor then shows no load.
	WorkloadUnknown uint16 = 0xFFFF
	// DurationUnknown is the association duration cspmonitor does not print.
	DurationUnknown uint64 = math.MaxUint64

	// PPIDENRP and PPIDASAP are the SCTP payload protocol identifiers that
	// cspmonitor names in association lines.
	PPIDENRP uint32 = 12
	PPIDASAP uint32 = 11
	// ProtocolSCTP is IPPROTO_SCTP, the association protocol number.
	ProtocolSCTP uint16 = 132
)

// Errors returned by the decoder and the encoder; the returned errors wrap
// one of them.
var (
	ErrMalformed   = errors.New("malformed CSP report")
	ErrUnencodable = errors.New("CSP report cannot be encoded")
)

// Association is one entry of a report's association array: a connection of
// the reporting component to another component.
type Association struct {
	Receiver ComponentID
	// Duration is in microseconds; DurationUnknown if not known.
	Duration uint64
	Flags    uint16
	Protocol uint16
	PPID     uint32
}

// Report is one CSP report datagram.
type Report struct {
	Flags  uint8
	Sender ComponentID
	// Timestamp is the sender's clock in microseconds; cspmonitor shows it as
	// the component's uptime.
	Timestamp uint64
	// Interval is the report interval in microseconds.
	Interval uint32
	// Location and Status are at most TextSize bytes and contain no NUL.
	Location string
	Status   string
	// Workload is the encoded load: WorkloadUnknown or EncodeWorkload(w).
	Workload     uint16
	Associations []Association
}

// Final reports whether this is a component's final report.
func (r *Report) Final() bool { return r.Flags&FlagFinal != 0 }

// Len is the encoded length in bytes.
func (r *Report) Len() int { return ReportSize + len(r.Associations)*AssociationSize }

func checkText(name, s string) error {
	if len(s) > TextSize {
		return fmt.Errorf("%w: %s is %d bytes, at most %d fit", ErrUnencodable, name, len(s), TextSize)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %s contains a NUL byte", ErrUnencodable, name)
	}
	return nil
}

// AppendBinary appends the encoded report to b. It fails, leaving b as it
// was, if a text does not fit or there are too many associations.
func (r *Report) AppendBinary(b []byte) ([]byte, error) {
	if err := checkText("location", r.Location); err != nil {
		return b, err
	}
	if err := checkText("status", r.Status); err != nil {
		return b, err
	}
	if len(r.Associations) > MaxAssociations {
		return b, fmt.Errorf("%w: %d associations, at most %d fit", ErrUnencodable, len(r.Associations), MaxAssociations)
	}
	n := r.Len()
	b = append(b, TypeReport, r.Flags)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = binary.BigEndian.AppendUint32(b, Version)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Sender))
	b = binary.BigEndian.AppendUint64(b, r.Timestamp)
	b = binary.BigEndian.AppendUint32(b, r.Interval)
	b = appendText(b, r.Location)
	b = appendText(b, r.Status)
	b = binary.BigEndian.AppendUint16(b, r.Workload)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Associations)))
	for _, a := range r.Associations {
		b = binary.BigEndian.AppendUint64(b, uint64(a.Receiver))
		b = binary.BigEndian.AppendUint64(b, a.Duration)
		b = binary.BigEndian.AppendUint16(b, a.Flags)
		b = binary.BigEndian.AppendUint16(b, a.Protocol)
		b = binary.BigEndian.AppendUint32(b, a.PPID)
	}
	return b, nil
}

// appendText writes s NUL-padded to TextSize, like C's strncpy.
func appendText(b []byte, s string) []byte {
	b = append(b, s...)
	return append(b, make([]byte, TextSize-len(s))...)
}

// MarshalBinary returns the encoded report.
func (r *Report) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(make([]byte, 0, r.Len()))
}

// UnmarshalBinary decodes one report datagram. It accepts what cspmonitor
// accepts (type, version, and a datagram length that matches the
// association count) and in addition requires the length field to be right.
// Texts end at their first NUL; bytes after it are not kept.
func (r *Report) UnmarshalBinary(b []byte) error {
	if len(b) < ReportSize {
		return fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformed, len(b), ReportSize)
	}
	if b[0] != TypeReport {
		return fmt.Errorf("%w: type %#02x", ErrMalformed, b[0])
	}
	if v := binary.BigEndian.Uint32(b[4:]); v != Version {
		return fmt.Errorf("%w: version %#08x", ErrMalformed, v)
	}
	n := int(binary.BigEndian.Uint16(b[ReportSize-2:]))
	if want := ReportSize + n*AssociationSize; len(b) != want {
		return fmt.Errorf("%w: %d bytes for %d associations, want %d", ErrMalformed, len(b), n, want)
	}
	if l := int(binary.BigEndian.Uint16(b[2:])); l != len(b) {
		return fmt.Errorf("%w: length field %d, datagram %d bytes", ErrMalformed, l, len(b))
	}
	*r = Report{
		Flags:     b[1],
		Sender:    ComponentID(binary.BigEndian.Uint64(b[8:])),
		Timestamp: binary.BigEndian.Uint64(b[16:]),
		Interval:  binary.BigEndian.Uint32(b[24:]),
		Location:  text(b[28 : 28+TextSize]),
		Status:    text(b[28+TextSize : 28+2*TextSize]),
		Workload:  binary.BigEndian.Uint16(b[ReportSize-4:]),
	}
	if n > 0 {
		r.Associations = make([]Association, n)
		for i := range r.Associations {
			e := b[ReportSize+i*AssociationSize:]
			r.Associations[i] = Association{
				Receiver: ComponentID(binary.BigEndian.Uint64(e)),
				Duration: binary.BigEndian.Uint64(e[8:]),
				Flags:    binary.BigEndian.Uint16(e[16:]),
				Protocol: binary.BigEndian.Uint16(e[18:]),
				PPID:     binary.BigEndian.Uint32(e[20:]),
			}
		}
	}
	return nil
}

func text(field []byte) string {
	if i := bytes.IndexByte(field, 0); i >= 0 {
		field = field[:i]
	}
	return string(field)
}
