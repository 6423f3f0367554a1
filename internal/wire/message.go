package wire

import "github.com/rserpool/rspregistrar/internal/rserpool"

// Message is a decoded or to-be-encoded ASAP or ENRP message.
type Message interface {
	// PPID is the SCTP payload protocol identifier the message travels with.
	PPID() uint32
	// Type is the message type byte.
	Type() uint8
	// AppendTo appends the encoded message to dst. On error dst is returned
	// unchanged.
	AppendTo(dst []byte) ([]byte, error)
}

// OperationError is the single error cause an Operation Error parameter
// carries. A zero Cause means "no Operation Error parameter".
type OperationError struct {
	Cause rserpool.Cause
	// Info is the cause-specific information; RSPLIB fills it only for causes
	// 0x0001, 0x0003 and 0x0011, with the offending parameter as received.
	Info []byte
}

// ServerInfo is a Server Information parameter: a registrar's identifier and
// its ENRP transport.
type ServerInfo struct {
	ID        rserpool.RegistrarID
	Transport rserpool.Transport
}

// PoolEntries is one group of a Handle Table Response: a pool handle followed
// by pool elements of that pool.
type PoolEntries struct {
	Handle rserpool.PoolHandle
	PEs    []rserpool.PoolElement
}

// Registration (ASAP 0x01) is sent by a pool element to its home registrar.
// The registrar transport of PE is never encoded.
type Registration struct {
	Handle rserpool.PoolHandle
	PE     rserpool.PoolElement
}

// Deregistration (ASAP 0x02).
type Deregistration struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
}

// RegistrationResponse (ASAP 0x03). The reject flag is set exactly when an
// error cause is present, as RSPLIB's registrar does.
type RegistrationResponse struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
	Error  OperationError
}

// DeregistrationResponse (ASAP 0x04).
type DeregistrationResponse struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
	Error  OperationError
}

// HandleResolution (ASAP 0x05). Items is RSPLIB's optional "items" parameter
// (0x803F): 0 means absent, ItemsAll means as many as possible.
type HandleResolution struct {
	Handle rserpool.PoolHandle
	Items  uint32
}

// HandleResolutionResponse (ASAP 0x06). With a zero Error.Cause it carries the
// overall policy (RSPLIB copies the first selected PE's settings) and the
// selected pool elements; otherwise only the error.
type HandleResolutionResponse struct {
	Handle rserpool.PoolHandle
	Policy rserpool.PolicySettings
	PEs    []rserpool.PoolElement
	Error  OperationError
}

// EndpointKeepAlive (ASAP 0x07). ID is RSPLIB's extension naming the one PE
// to acknowledge; 0 omits it.
type EndpointKeepAlive struct {
	ServerID rserpool.RegistrarID
	Home     bool
	Handle   rserpool.PoolHandle
	ID       rserpool.PEID
}

// EndpointKeepAliveAck (ASAP 0x08).
type EndpointKeepAliveAck struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
}

// EndpointUnreachable (ASAP 0x09).
type EndpointUnreachable struct {
	Handle rserpool.PoolHandle
	ID     rserpool.PEID
}

// ServerAnnounce (ASAP 0x0A), sent by UDP multicast. RSPLIB sends only the
// server id; receivers then take the registrar's address and port from the
// datagram's source. Transports and Info are decoded when present.
type ServerAnnounce struct {
	ServerID   rserpool.RegistrarID
	Transports []rserpool.Transport
	Info       *ServerInfo
}

// Cookie (ASAP 0x0B), between pool element and pool user.
type Cookie struct{ Data []byte }

// CookieEcho (ASAP 0x0C), between pool user and pool element.
type CookieEcho struct{ Data []byte }

// BusinessCard (ASAP 0x0D), between pool element and pool user. RSPLIB's
// parser reads the pool handle twice, so it cannot parse the messages its own
// creator emits (handle, policy, elements): those decode as a silent failure.
type BusinessCard struct {
	Handle rserpool.PoolHandle
	Policy rserpool.PolicySettings
	PEs    []rserpool.PoolElement
}

// ASAPErrorMessage (ASAP 0x0E).
type ASAPErrorMessage struct {
	Error OperationError
}

// Presence (ENRP 0x01). Checksum is RSPLIB's 16-bit handlespace checksum as
// computed on a little-endian host; it is carried in host (little-endian)
// byte order, as every x86 RSPLIB registrar does.
type Presence struct {
	Sender, Receiver rserpool.RegistrarID
	ReplyRequired    bool
	Checksum         uint16
	Info             ServerInfo
}

// HandleTableRequest (ENRP 0x02).
type HandleTableRequest struct {
	Sender, Receiver rserpool.RegistrarID
	OwnChildrenOnly  bool
}

// HandleTableResponse (ENRP 0x03). Every pool element carries its registrar
// transport. A rejected response has no pools.
type HandleTableResponse struct {
	Sender, Receiver rserpool.RegistrarID
	Reject           bool
	MoreToSend       bool
	Pools            []PoolEntries
}

// HandleUpdate (ENRP 0x04). PE must carry its registrar transport.
type HandleUpdate struct {
	Sender, Receiver  rserpool.RegistrarID
	TakeoverSuggested bool
	Action            uint16
	Handle            rserpool.PoolHandle
	PE                rserpool.PoolElement
}

// ListRequest (ENRP 0x05).
type ListRequest struct {
	Sender, Receiver rserpool.RegistrarID
}

// ListResponse (ENRP 0x06).
type ListResponse struct {
	Sender, Receiver rserpool.RegistrarID
	Reject           bool
	Servers          []ServerInfo
}

// InitTakeover (ENRP 0x07).
type InitTakeover struct {
	Sender, Receiver, Target rserpool.RegistrarID
}

// InitTakeoverAck (ENRP 0x08).
type InitTakeoverAck struct {
	Sender, Receiver, Target rserpool.RegistrarID
}

// TakeoverServer (ENRP 0x09).
type TakeoverServer struct {
	Sender, Receiver, Target rserpool.RegistrarID
}

// ENRPErrorMessage (ENRP 0x0A).
type ENRPErrorMessage struct {
	Sender, Receiver rserpool.RegistrarID
	Error            OperationError
}

func (*Registration) PPID() uint32             { return PPIDASAP }
func (*Deregistration) PPID() uint32           { return PPIDASAP }
func (*RegistrationResponse) PPID() uint32     { return PPIDASAP }
func (*DeregistrationResponse) PPID() uint32   { return PPIDASAP }
func (*HandleResolution) PPID() uint32         { return PPIDASAP }
func (*HandleResolutionResponse) PPID() uint32 { return PPIDASAP }
func (*EndpointKeepAlive) PPID() uint32        { return PPIDASAP }
func (*EndpointKeepAliveAck) PPID() uint32     { return PPIDASAP }
func (*EndpointUnreachable) PPID() uint32      { return PPIDASAP }
func (*ServerAnnounce) PPID() uint32           { return PPIDASAP }
func (*Cookie) PPID() uint32                   { return PPIDASAP }
func (*CookieEcho) PPID() uint32               { return PPIDASAP }
func (*BusinessCard) PPID() uint32             { return PPIDASAP }
func (*ASAPErrorMessage) PPID() uint32         { return PPIDASAP }
func (*Presence) PPID() uint32                 { return PPIDENRP }
func (*HandleTableRequest) PPID() uint32       { return PPIDENRP }
func (*HandleTableResponse) PPID() uint32      { return PPIDENRP }
func (*HandleUpdate) PPID() uint32             { return PPIDENRP }
func (*ListRequest) PPID() uint32              { return PPIDENRP }
func (*ListResponse) PPID() uint32             { return PPIDENRP }
func (*InitTakeover) PPID() uint32             { return PPIDENRP }
func (*InitTakeoverAck) PPID() uint32          { return PPIDENRP }
func (*TakeoverServer) PPID() uint32           { return PPIDENRP }
func (*ENRPErrorMessage) PPID() uint32         { return PPIDENRP }

func (*Registration) Type() uint8             { return ASAPRegistration }
func (*Deregistration) Type() uint8           { return ASAPDeregistration }
func (*RegistrationResponse) Type() uint8     { return ASAPRegistrationResponse }
func (*DeregistrationResponse) Type() uint8   { return ASAPDeregistrationResponse }
func (*HandleResolution) Type() uint8         { return ASAPHandleResolution }
func (*HandleResolutionResponse) Type() uint8 { return ASAPHandleResolutionResponse }
func (*EndpointKeepAlive) Type() uint8        { return ASAPEndpointKeepAlive }
func (*EndpointKeepAliveAck) Type() uint8     { return ASAPEndpointKeepAliveAck }
func (*EndpointUnreachable) Type() uint8      { return ASAPEndpointUnreachable }
func (*ServerAnnounce) Type() uint8           { return ASAPServerAnnounce }
func (*Cookie) Type() uint8                   { return ASAPCookie }
func (*CookieEcho) Type() uint8               { return ASAPCookieEcho }
func (*BusinessCard) Type() uint8             { return ASAPBusinessCard }
func (*ASAPErrorMessage) Type() uint8         { return ASAPError }
func (*Presence) Type() uint8                 { return ENRPPresence }
func (*HandleTableRequest) Type() uint8       { return ENRPHandleTableRequest }
func (*HandleTableResponse) Type() uint8      { return ENRPHandleTableResponse }
func (*HandleUpdate) Type() uint8             { return ENRPHandleUpdate }
func (*ListRequest) Type() uint8              { return ENRPListRequest }
func (*ListResponse) Type() uint8             { return ENRPListResponse }
func (*InitTakeover) Type() uint8             { return ENRPInitTakeover }
func (*InitTakeoverAck) Type() uint8          { return ENRPInitTakeoverAck }
func (*TakeoverServer) Type() uint8           { return ENRPTakeoverServer }
func (*ENRPErrorMessage) Type() uint8         { return ENRPError }
