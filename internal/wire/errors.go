package wire

import (
	"fmt"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// DecodeError describes a message RSPLIB's parser would not accept, with what
// RSPLIB's registrar does about it.
type DecodeError struct {
	// PPID the message arrived with; it selects ASAP or ENRP for the reply.
	PPID uint32
	// Type is the message type byte read, 0 when the header itself was
	// unusable.
	Type uint8
	// Cause is the error cause RSPLIB answers with; 0 when its parser gave up
	// without one (unknown message type, wrong PPID, some truncations).
	Cause rserpool.Cause
	// Info is the offending parameter as received (header and value, its
	// declared length, no padding). RSPLIB sends it only for causes 0x0001,
	// 0x0003 and 0x0011 and only when it had read a valid parameter header;
	// it is nil otherwise.
	Info []byte
	// Silent is set when RSPLIB's registrar sends no Error message: the
	// cause is 0 or 0x1009 (unknown parameter with action "stop silently",
	// or parameters out of order), the message is itself an Error, or the
	// PPID is neither ASAP nor ENRP. Messages received by UDP multicast are
	// never answered either; that is the caller's business.
	Silent bool
	// Sender and Receiver are the ENRP server ids as far as they were
	// parsed (0 otherwise); RSPLIB copies them unchanged into its reply.
	Sender, Receiver rserpool.RegistrarID
	// Offset is the read position at which parsing stopped.
	Offset int
	// Reason says in words what was wrong.
	Reason string
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("wire: decode %s: %s at byte %d", TypeName(e.PPID, e.Type), e.Reason, e.Offset)
	if e.Cause != 0 {
		s += fmt.Sprintf(" (cause $%04x: %v)", uint16(e.Cause), e.Cause)
	}
	return s
}

// Unwrap returns the cause, so that errors.Is(err, rserpool.CauseInvalidValue)
// works.
func (e *DecodeError) Unwrap() error {
	if e.Cause == 0 {
		return nil
	}
	return e.Cause
}

// Reply returns the Error message RSPLIB's registrar sends back on the same
// association, or nil when it stays silent.
func (e *DecodeError) Reply() Message {
	if e.Silent {
		return nil
	}
	oe := OperationError{Cause: e.Cause, Info: e.Info}
	switch e.PPID {
	case PPIDASAP:
		return &ASAPErrorMessage{Error: oe}
	case PPIDENRP:
		return &ENRPErrorMessage{Sender: e.Sender, Receiver: e.Receiver, Error: oe}
	}
	return nil
}

func (p *parser) decodeError(ppid uint32) *DecodeError {
	e := &DecodeError{PPID: ppid, Type: p.typ, Cause: p.cause, Sender: p.sender, Receiver: p.receiver,
		Offset: p.pos, Reason: p.why}
	if e.Reason == "" {
		e.Reason = "malformed message"
	}
	switch p.cause {
	case rserpool.CauseUnrecognizedParameter, rserpool.CauseInvalidTLV, rserpool.CauseInvalidValue:
		if p.offAt >= 0 && p.offLen > 0 {
			e.Info = append([]byte(nil), p.b[p.offAt:p.offAt+p.offLen]...)
		}
	}
	e.Silent = p.cause == 0 || p.cause == rserpool.CauseUnrecognizedParameterSilent ||
		(ppid != PPIDASAP && ppid != PPIDENRP) || isErrorType(ppid, p.typ)
	return e
}
