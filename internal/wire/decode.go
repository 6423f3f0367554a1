package wire

import (
	"encoding/binary"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// DecodeOptions adjust the decoder. The zero value decodes exactly like
// RSPLIB's parser.
type DecodeOptions struct {
	// KeepLoopback keeps loopback addresses in transport parameters. RSPLIB
	// drops every address of link-local scope or narrower (loopback
	// included); the registrar sets this for -minaddressscope=loopback and
	// then filters by its configured minimum scope itself.
	KeepLoopback bool
	// KeepAllAddresses turns the scope filter off, for tools and tests that
	// need every address a message carries. RSPLIB never does this.
	KeepAllAddresses bool
	// ReportCarriedCause makes a message that parses but carries a non-zero
	// Operation Error cause (a response, or an Error message) fail with a
	// *DecodeError holding that cause and no info. RSPLIB's registrar treats
	// such a message like a parse failure: it answers with an Error message
	// carrying the same cause, unless the message is itself an Error.
	ReportCarriedCause bool
}

// DecodeASAP decodes a message that arrived with PPID 11.
func DecodeASAP(b []byte, opts DecodeOptions) (Message, error) { return Decode(PPIDASAP, b, opts) }

// DecodeENRP decodes a message that arrived with PPID 12, or over the ENRP
// multicast UDP socket.
func DecodeENRP(b []byte, opts DecodeOptions) (Message, error) { return Decode(PPIDENRP, b, opts) }

// Decode decodes one ASAP or ENRP message as RSPLIB's parser does. The
// result does not alias b. On failure the error is a *DecodeError.
func Decode(ppid uint32, b []byte, opts DecodeOptions) (Message, error) {
	m, _, err := decode(ppid, b, opts)
	return m, err
}

// decode also says where the result departs from RSPLIB, which aborts on
// some inputs (tests use it to know what cannot be compared with RSPLIB).
func decode(ppid uint32, b []byte, opts DecodeOptions) (Message, string, error) {
	if len(b) > MaxReceiveSize {
		return nil, "oversized", &DecodeError{PPID: ppid, Cause: rserpool.CauseInvalidMessage, Silent: true,
			Reason: "message longer than RSPLIB's 65536-byte receive buffer"}
	}
	p := parser{b: b, opts: opts, offAt: -1}
	m, ok := p.message(ppid)
	if !ok {
		return nil, p.deviation, p.decodeError(ppid)
	}
	if opts.ReportCarriedCause && p.opCause != 0 {
		return nil, p.deviation, &DecodeError{PPID: ppid, Type: p.typ, Cause: p.opCause,
			Silent: isErrorType(ppid, p.typ), Sender: p.sender, Receiver: p.receiver,
			Offset: p.pos, Reason: "message carries an operation error"}
	}
	return m, p.deviation, nil
}

// parser mirrors the state RSPLIB's parser keeps while it scans a message:
// the read position, the error code (which later steps may overwrite or
// reset, exactly as RSPLIB's do), and the last parameter header read, which
// becomes the info of the Error reply.
type parser struct {
	b    []byte
	pos  int
	opts DecodeOptions

	cause rserpool.Cause
	why   string

	typ   uint8
	flags uint8

	// offAt is the start of the parameter RSPLIB would report as offending
	// (-1: none); offLen is its declared length, 0 if that was not valid.
	offAt, offLen int

	opCause          rserpool.Cause
	sender, receiver rserpool.RegistrarID

	// deviation names the first place where RSPLIB would have aborted or
	// accepted what is refused here.
	deviation string
}

func (p *parser) deviate(what string) {
	if p.deviation == "" {
		p.deviation = what
	}
}

func (p *parser) fail(c rserpool.Cause, why string) {
	p.cause, p.why = c, why
}

// space consumes n bytes and returns their start. A negative n stands for
// the huge value RSPLIB's unsigned arithmetic produces when a length is
// smaller than what is subtracted from it: RSPLIB's bounds check then wraps
// around too and succeeds, moving the read position back by -n bytes, as
// long as that does not go below the start of the message.
func (p *parser) space(n int) (int, bool) {
	if p.pos+n < 0 || p.pos+n > len(p.b) {
		return 0, false
	}
	s := p.pos
	p.pos += n
	return s, true
}

// u16at and u32at read without bounds checks in RSPLIB, sometimes past the
// received bytes into stale buffer contents; bytes past the end read as zero
// here.
func (p *parser) u16at(i int) uint16 {
	if i >= 0 && i+2 <= len(p.b) {
		return binary.BigEndian.Uint16(p.b[i:])
	}
	var v [2]byte
	for k := range v {
		if i+k >= 0 && i+k < len(p.b) {
			v[k] = p.b[i+k]
		}
	}
	return binary.BigEndian.Uint16(v[:])
}

func (p *parser) u32at(i int) uint32 {
	return uint32(p.u16at(i))<<16 | uint32(p.u16at(i+2))
}

func (p *parser) peekType() uint16 {
	if p.pos+4 <= len(p.b) {
		return p.u16at(p.pos)
	}
	return 0
}

// nextTLV reads a parameter header. length is only updated once the header
// could be read; the caller keeps the previous value otherwise, and uses the
// declared length even when the checks fail, as RSPLIB does.
func (p *parser) nextTLV(length *int) (at int, typ uint16, ok bool) {
	at = p.pos
	p.offAt, p.offLen = at, 0
	if _, ok := p.space(4); !ok {
		p.fail(rserpool.CauseInvalidMessage, "truncated parameter header")
		return at, 0, false
	}
	typ = p.u16at(at)
	*length = int(p.u16at(at + 2))
	if p.pos+*length-4 > len(p.b) {
		p.fail(rserpool.CauseInvalidTLV, "parameter exceeds the message")
		return at, typ, false
	}
	if *length < 4 {
		p.fail(rserpool.CauseInvalidTLV, "parameter length below 4")
		return at, typ, false
	}
	p.offLen = *length
	return at, typ, true
}

// unknownTLV applies the action bits of a parameter the parser did not
// expect. length is whatever the caller passes; some RSPLIB callers pass the
// value length instead of the parameter length, which skips 4 bytes too few.
func (p *parser) unknownTLV(typ uint16, length int) bool {
	switch typ & ActionMask {
	case ActionSkip, ActionSkipReport:
		_, ok := p.space(length - 4)
		return ok
	case ActionStop:
		p.pos -= 4
		p.fail(rserpool.CauseUnrecognizedParameterSilent, "unknown parameter (stop silently)")
	default:
		p.pos -= 4
		p.fail(rserpool.CauseUnrecognizedParameter, "unknown parameter (stop and report)")
	}
	return false
}

// beginTLV finds the next parameter, skipping unexpected ones whose action
// bits allow it when check is set. It returns the parameter's start and its
// declared length, which is below 4 when nothing usable was found.
func (p *parser) beginTLV(want uint16, check bool) (at, length int) {
	for {
		a, typ, ok := p.nextTLV(&length)
		at = a
		if !ok {
			return at, length
		}
		if !check || typ&^ActionMask == want {
			return at, length
		}
		if !p.unknownTLV(typ, length) {
			return at, 0
		}
	}
}

// finishTLV skips unread bytes up to the padded end of the parameter at at.
func (p *parser) finishTLV(at int) bool {
	length := int(p.u16at(at + 2))
	end := at + length + pad4(length)
	if p.pos > end {
		p.fail(rserpool.CauseInvalidTLV, "parameter content exceeds its length")
		return false
	}
	if p.pos < end {
		if _, ok := p.space(end - p.pos); !ok {
			p.fail(rserpool.CauseInvalidTLV, "parameter padding missing")
			return false
		}
	}
	p.offAt, p.offLen = -1, 0
	return true
}

func (p *parser) beginMessage() int {
	if _, ok := p.space(4); !ok {
		p.fail(rserpool.CauseInvalidMessage, "truncated message header")
		return 0
	}
	length := int(p.u16at(2))
	if p.pos+length-4 > len(p.b) {
		p.fail(rserpool.CauseInvalidMessage, "message length exceeds the received bytes")
		return 0
	}
	if length < 4 {
		p.fail(rserpool.CauseInvalidMessage, "message length below 4")
		return 0
	}
	p.flags = p.b[1]
	return length
}

func (p *parser) finishMessage() bool {
	length := int(p.u16at(2))
	if p.pos != length+pad4(length) {
		if p.cause == 0 {
			p.fail(rserpool.CauseInvalidMessage, "message length does not match its content")
		}
		return false
	}
	p.offAt, p.offLen = -1, 0
	return true
}
