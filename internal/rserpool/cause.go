package rserpool

import "fmt"

// Cause is an error cause code as carried in an Operation Error parameter.
// RSPLIB puts its internal error numbers on the wire unchanged, so several
// codes are outside the RFC 5354 registry.
type Cause uint16

// Error causes (RSPLIB's RSPERR_* numbering).
const (
	CauseOkay                        Cause = 0x0000
	CauseUnrecognizedParameter       Cause = 0x0001
	CauseUnrecognizedMessage         Cause = 0x0002
	CauseInvalidTLV                  Cause = 0x0003
	CauseNonUniquePEID               Cause = 0x0004
	CauseIncompatiblePoolPolicy      Cause = 0x0005
	CauseOutOfResources              Cause = 0x0006
	CauseInconsistentTransport       Cause = 0x0007
	CauseWrongControlChannelHandling Cause = 0x0008
	CauseNotFound                    Cause = 0x0009
	CauseSecurity                    Cause = 0x000A
	CauseInvalidMessage              Cause = 0x0010
	CauseInvalidValue                Cause = 0x0011
	CauseBufferSizeExceeded          Cause = 0x1001
	CauseUnrecognizedParameterSilent Cause = 0x1009
	CauseWrongProtocol               Cause = 0x100A
	CauseUnsupportedPoolPolicy       Cause = 0x100B
	CauseInvalidID                   Cause = 0xF000
	CauseOwnID                       Cause = 0xF001
	CauseDuplicateID                 Cause = 0xF002
	CauseInvalidPoolPolicy           Cause = 0xF003
	CauseInvalidPoolHandle           Cause = 0xF004
	CauseInvalidAddresses            Cause = 0xF005
	CauseInvalidRegistrator          Cause = 0xF006
	CauseNoUsableASAPAddresses       Cause = 0xF007
	CauseNoUsableUserAddresses       Cause = 0xF008
)

var causeNames = map[Cause]string{
	CauseOkay:                        "okay",
	CauseUnrecognizedParameter:       "unrecognized parameter",
	CauseUnrecognizedMessage:         "unrecognized message",
	CauseInvalidTLV:                  "invalid TLV",
	CauseNonUniquePEID:               "non-unique PE identifier",
	CauseIncompatiblePoolPolicy:      "incompatible pool policy",
	CauseOutOfResources:              "out of resources",
	CauseInconsistentTransport:       "inconsistent transport type",
	CauseWrongControlChannelHandling: "wrong control channel handling",
	CauseNotFound:                    "not found",
	CauseSecurity:                    "rejected due to security considerations",
	CauseInvalidMessage:              "invalid message",
	CauseInvalidValue:                "invalid value",
	CauseBufferSizeExceeded:          "buffer size exceeded",
	CauseUnrecognizedParameterSilent: "unrecognized parameter (silent)",
	CauseWrongProtocol:               "wrong protocol",
	CauseUnsupportedPoolPolicy:       "unsupported pool policy",
	CauseInvalidID:                   "invalid ID",
	CauseOwnID:                       "own ID",
	CauseDuplicateID:                 "duplicate ID",
	CauseInvalidPoolPolicy:           "invalid pool policy",
	CauseInvalidPoolHandle:           "invalid pool handle",
	CauseInvalidAddresses:            "invalid addresses",
	CauseInvalidRegistrator:          "invalid registrator",
	CauseNoUsableASAPAddresses:       "no usable ASAP addresses",
	CauseNoUsableUserAddresses:       "no usable user addresses",
}

func (c Cause) String() string {
	if n, ok := causeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("cause $%04x", uint16(c))
}

// Error makes a Cause usable as a Go error.
func (c Cause) Error() string { return c.String() }

// Silent reports whether RSPLIB drops a message failing with this cause
// without sending an Error message back.
func (c Cause) Silent() bool { return c == CauseUnrecognizedParameterSilent }
