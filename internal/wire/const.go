package wire

import "fmt"

// Payload protocol identifiers. The PPID decides whether the type byte of a
// message is read as an ASAP or an ENRP type.
const (
	PPIDASAP uint32 = 11
	PPIDENRP uint32 = 12
)

// Size limits.
const (
	// MaxMessageSize is the largest message the encoder emits: the length
	// field has 16 bits and every message is a multiple of 4 bytes long.
	MaxMessageSize = 65532
	// MaxReceiveSize is RSPLIB's receive buffer size; longer messages are
	// never decoded.
	MaxReceiveSize = 65536
	// MaxAnnounceSize is the receive buffer of RSPLIB pool users and pool
	// elements for Server Announces.
	MaxAnnounceSize = 1024
	// MaxHandleResolutionItems is the most pool elements an RSPLIB pool user
	// accepts in one Handle Resolution Response.
	MaxHandleResolutionItems = 128
	// ItemsAll in a Handle Resolution asks for as many pool elements as
	// possible.
	ItemsAll uint32 = 0xFFFFFFFF
)

// ASAP message types (PPID 11).
const (
	ASAPRegistration             uint8 = 0x01
	ASAPDeregistration           uint8 = 0x02
	ASAPRegistrationResponse     uint8 = 0x03
	ASAPDeregistrationResponse   uint8 = 0x04
	ASAPHandleResolution         uint8 = 0x05
	ASAPHandleResolutionResponse uint8 = 0x06
	ASAPEndpointKeepAlive        uint8 = 0x07
	ASAPEndpointKeepAliveAck     uint8 = 0x08
	ASAPEndpointUnreachable      uint8 = 0x09
	ASAPServerAnnounce           uint8 = 0x0A
	ASAPCookie                   uint8 = 0x0B
	ASAPCookieEcho               uint8 = 0x0C
	ASAPBusinessCard             uint8 = 0x0D
	ASAPError                    uint8 = 0x0E
)

// ENRP message types (PPID 12).
const (
	ENRPPresence            uint8 = 0x01
	ENRPHandleTableRequest  uint8 = 0x02
	ENRPHandleTableResponse uint8 = 0x03
	ENRPHandleUpdate        uint8 = 0x04
	ENRPListRequest         uint8 = 0x05
	ENRPListResponse        uint8 = 0x06
	ENRPInitTakeover        uint8 = 0x07
	ENRPInitTakeoverAck     uint8 = 0x08
	ENRPTakeoverServer      uint8 = 0x09
	ENRPError               uint8 = 0x0A
)

// Message flag bits.
const (
	FlagRegistrationReject    uint8 = 0x01
	FlagKeepAliveHome         uint8 = 0x01
	FlagPresenceReplyRequired uint8 = 0x01
	FlagOwnChildrenOnly       uint8 = 0x01
	FlagHandleTableReject     uint8 = 0x01
	FlagHandleTableMoreToSend uint8 = 0x02
	FlagListResponseReject    uint8 = 0x01
	FlagTakeoverSuggested     uint8 = 0x01
)

// Parameter types (without action bits).
const (
	ParamIPv4Address      uint16 = 0x0001
	ParamIPv6Address      uint16 = 0x0002
	ParamDCCPTransport    uint16 = 0x0003
	ParamSCTPTransport    uint16 = 0x0004
	ParamTCPTransport     uint16 = 0x0005
	ParamUDPTransport     uint16 = 0x0006
	ParamUDPLiteTransport uint16 = 0x0007
	ParamPolicy           uint16 = 0x0008
	ParamPoolHandle       uint16 = 0x0009
	ParamPoolElement      uint16 = 0x000A
	ParamServerInfo       uint16 = 0x000B
	ParamOperationError   uint16 = 0x000C
	ParamCookie           uint16 = 0x000D
	ParamPEID             uint16 = 0x000E
	ParamChecksum         uint16 = 0x000F
	// ParamHandleResolution is RSPLIB's "items" option; it is sent with the
	// skip action bits, i.e. as 0x803F.
	ParamHandleResolution uint16 = 0x003F
)

// Action bits in the top two bits of a parameter type: what a receiver does
// with a parameter it does not know.
const (
	ActionMask       uint16 = 0xC000
	ActionStop       uint16 = 0x0000
	ActionStopReport uint16 = 0x4000
	ActionSkip       uint16 = 0x8000
	ActionSkipReport uint16 = 0xC000
)

// Handle Update actions.
const (
	UpdateAddPE uint16 = 0x0000
	UpdateDelPE uint16 = 0x0001
)

// transport-use values of SCTP and TCP transport parameters.
const (
	useDataOnly        = 0x0000
	useDataPlusControl = 0x0001
)

var asapNames = [...]string{
	ASAPRegistration:             "Registration",
	ASAPDeregistration:           "Deregistration",
	ASAPRegistrationResponse:     "RegistrationResponse",
	ASAPDeregistrationResponse:   "DeregistrationResponse",
	ASAPHandleResolution:         "HandleResolution",
	ASAPHandleResolutionResponse: "HandleResolutionResponse",
	ASAPEndpointKeepAlive:        "EndpointKeepAlive",
	ASAPEndpointKeepAliveAck:     "EndpointKeepAliveAck",
	ASAPEndpointUnreachable:      "EndpointUnreachable",
	ASAPServerAnnounce:           "ServerAnnounce",
	ASAPCookie:                   "Cookie",
	ASAPCookieEcho:               "CookieEcho",
	ASAPBusinessCard:             "BusinessCard",
	ASAPError:                    "Error",
}

var enrpNames = [...]string{
	ENRPPresence:            "Presence",
	ENRPHandleTableRequest:  "HandleTableRequest",
	ENRPHandleTableResponse: "HandleTableResponse",
	ENRPHandleUpdate:        "HandleUpdate",
	ENRPListRequest:         "ListRequest",
	ENRPListResponse:        "ListResponse",
	ENRPInitTakeover:        "InitTakeover",
	ENRPInitTakeoverAck:     "InitTakeoverAck",
	ENRPTakeoverServer:      "TakeoverServer",
	ENRPError:               "Error",
}

// TypeName names a message type, e.g. "ASAP Registration".
func TypeName(ppid uint32, typ uint8) string {
	switch ppid {
	case PPIDASAP:
		if int(typ) < len(asapNames) && asapNames[typ] != "" {
			return "ASAP " + asapNames[typ]
		}
		return fmt.Sprintf("ASAP type $%02x", typ)
	case PPIDENRP:
		if int(typ) < len(enrpNames) && enrpNames[typ] != "" {
			return "ENRP " + enrpNames[typ]
		}
		return fmt.Sprintf("ENRP type $%02x", typ)
	}
	return fmt.Sprintf("PPID %d type $%02x", ppid, typ)
}

// isErrorType reports whether typ is the Error message of the protocol; RSPLIB
// never answers those.
func isErrorType(ppid uint32, typ uint8) bool {
	return (ppid == PPIDASAP && typ == ASAPError) || (ppid == PPIDENRP && typ == ENRPError)
}
