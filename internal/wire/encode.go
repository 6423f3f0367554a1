package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Encoding errors. Each refuses an input that RSPLIB cannot take: several of
// them would make an RSPLIB process abort (wire.md §10).
var (
	ErrPoolHandle       = errors.New("pool handle must have 1 to 32 bytes")
	ErrAddress          = errors.New("invalid address")
	ErrAddressCount     = errors.New("SCTP transports need 1 to 64 addresses, others exactly 1")
	ErrProtocol         = errors.New("transport protocol without wire encoding")
	ErrPolicy           = errors.New("policy type without wire encoding")
	ErrNoRegistrator    = errors.New("pool element needs a registrar transport here")
	ErrTooManyPEs       = errors.New("more than 128 pool elements")
	ErrRejectWithPools  = errors.New("a rejected handle table response carries no pools")
	ErrEmptyPool        = errors.New("a handle table response pool needs at least one pool element")
	ErrEmptyCookie      = errors.New("cookie must not be empty")
	ErrParameterTooLong = errors.New("parameter longer than 65535 bytes")
	ErrMessageTooLarge  = errors.New("message longer than 65532 bytes")
	ErrAnnounceTooLarge = errors.New("server announce longer than 1024 bytes")
)

func put16(b []byte, v uint16) { binary.BigEndian.PutUint16(b, v) }

func app16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }

func app32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// pad4 returns the number of zero bytes that align n to 4.
func pad4(n int) int { return (4 - n&3) & 3 }

// beginMessage appends a header whose length endMessage fills in.
func beginMessage(dst []byte, typ, flags uint8) []byte {
	return append(dst, typ, flags, 0, 0)
}

func endMessage(dst []byte, start int) ([]byte, error) {
	n := len(dst) - start
	if n > MaxMessageSize {
		return dst, ErrMessageTooLarge
	}
	put16(dst[start+2:], uint16(n))
	return dst, nil
}

func beginTLV(dst []byte, typ uint16) []byte {
	return append(dst, byte(typ>>8), byte(typ), 0, 0)
}

// endTLV writes the unpadded length and then pads, as RSPLIB's finishTLV.
func endTLV(dst []byte, start int) ([]byte, error) {
	n := len(dst) - start
	if n > 0xFFFF {
		return dst, ErrParameterTooLong
	}
	put16(dst[start+2:], uint16(n))
	for i := pad4(n); i > 0; i-- {
		dst = append(dst, 0)
	}
	return dst, nil
}

func appendPoolHandle(dst []byte, h rserpool.PoolHandle) ([]byte, error) {
	if !h.Valid() {
		return dst, ErrPoolHandle
	}
	s := len(dst)
	dst = beginTLV(dst, ParamPoolHandle)
	dst = append(dst, h...)
	return endTLV(dst, s)
}

// PoolHandleLen is the encoded size of a Pool Handle parameter, padding
// included.
func PoolHandleLen(h rserpool.PoolHandle) int { return 4 + len(h) + pad4(len(h)) }

// appendAddress writes IPv4 and IPv4-mapped IPv6 addresses as IPv4 address
// parameters, like RSPLIB's creator.
func appendAddress(dst []byte, a netip.Addr) ([]byte, error) {
	if !a.IsValid() {
		return dst, ErrAddress
	}
	a = a.Unmap()
	if a.Is4() {
		v := a.As4()
		dst = append(dst, 0, byte(ParamIPv4Address), 0, 8)
		return append(dst, v[:]...), nil
	}
	v := a.As16()
	dst = append(dst, 0, byte(ParamIPv6Address), 0, 20)
	return append(dst, v[:]...), nil
}

func addressLen(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 8
	}
	return 20
}

func appendTransport(dst []byte, t *rserpool.Transport) ([]byte, error) {
	n := len(t.Addrs)
	if n < 1 || (t.Protocol != rserpool.ProtocolSCTP && n != 1) || n > rserpool.MaxTransportAddresses {
		return dst, ErrAddressCount
	}
	use := uint16(useDataOnly)
	if t.ControlChannel {
		use = useDataPlusControl
	}
	s := len(dst)
	switch t.Protocol {
	case rserpool.ProtocolSCTP:
		dst = app16(beginTLV(dst, ParamSCTPTransport), t.Port)
		dst = app16(dst, use)
	case rserpool.ProtocolTCP:
		dst = app16(beginTLV(dst, ParamTCPTransport), t.Port)
		dst = app16(dst, use)
	case rserpool.ProtocolUDP:
		dst = app16(beginTLV(dst, ParamUDPTransport), t.Port)
		dst = app16(dst, 0)
	case rserpool.ProtocolUDPLite:
		dst = app16(beginTLV(dst, ParamUDPLiteTransport), t.Port)
		dst = app16(dst, 0)
	case rserpool.ProtocolDCCP:
		dst = app16(beginTLV(dst, ParamDCCPTransport), t.Port)
		dst = app16(dst, 0)
		dst = app32(dst, t.ServiceCode)
	default:
		return dst, ErrProtocol
	}
	for _, a := range t.Addrs {
		var err error
		if dst, err = appendAddress(dst, a); err != nil {
			return dst[:s], err
		}
	}
	return endTLV(dst, s)
}

func transportLen(t *rserpool.Transport) int {
	n := 8
	if t.Protocol == rserpool.ProtocolDCCP {
		n += 4
	}
	for _, a := range t.Addrs {
		n += addressLen(a)
	}
	return n
}

func appendPolicy(dst []byte, p *rserpool.PolicySettings) ([]byte, error) {
	if policyWords(p.Type) < 0 {
		return dst, fmt.Errorf("%w: %v", ErrPolicy, p.Type)
	}
	s := len(dst)
	dst = app32(beginTLV(dst, ParamPolicy), uint32(p.Type))
	fields, _ := policyLayout(p.Type)
	for _, f := range fields {
		dst = app32(dst, *f.in(p))
	}
	return endTLV(dst, s)
}

func appendPoolElement(dst []byte, pe *rserpool.PoolElement, withRegistrator bool) ([]byte, error) {
	if withRegistrator && !pe.HasRegistrator {
		return dst, ErrNoRegistrator
	}
	s := len(dst)
	dst = beginTLV(dst, ParamPoolElement)
	dst = app32(app32(app32(dst, uint32(pe.ID)), uint32(pe.Home)), pe.RegistrationLife)
	var err error
	if dst, err = appendTransport(dst, &pe.User); err != nil {
		return dst[:s], fmt.Errorf("user transport: %w", err)
	}
	if dst, err = appendPolicy(dst, &pe.Policy); err != nil {
		return dst[:s], err
	}
	if withRegistrator {
		if dst, err = appendTransport(dst, &pe.Registrator); err != nil {
			return dst[:s], fmt.Errorf("registrar transport: %w", err)
		}
	}
	return endTLV(dst, s)
}

// PoolElementLen is the encoded size of a Pool Element parameter, with or
// without the registrar transport. It lets the ENRP layer fill a Handle Table
// Response up to MaxMessageSize, as RSPLIB does.
func PoolElementLen(pe *rserpool.PoolElement, withRegistrator bool) int {
	n := 16 + transportLen(&pe.User) + 8 + 4*max(policyWords(pe.Policy.Type), 0)
	if withRegistrator {
		n += transportLen(&pe.Registrator)
	}
	return n
}

func appendServerInfo(dst []byte, si *ServerInfo) ([]byte, error) {
	s := len(dst)
	dst = app32(beginTLV(dst, ParamServerInfo), uint32(si.ID))
	var err error
	if dst, err = appendTransport(dst, &si.Transport); err != nil {
		return dst[:s], fmt.Errorf("server information: %w", err)
	}
	return endTLV(dst, s)
}

// ServerInfoLen is the encoded size of a Server Information parameter.
func ServerInfoLen(si *ServerInfo) int { return 8 + transportLen(&si.Transport) }

func appendOperationError(dst []byte, e *OperationError) ([]byte, error) {
	if len(e.Info) > 0xFFFF-8 {
		return dst, ErrParameterTooLong
	}
	s := len(dst)
	dst = app16(beginTLV(dst, ParamOperationError), uint16(e.Cause))
	dst = app16(dst, uint16(4+len(e.Info)))
	dst = append(dst, e.Info...)
	return endTLV(dst, s)
}

func appendPEID(dst []byte, id rserpool.PEID) []byte {
	return app32(append(dst, 0, byte(ParamPEID), 0, 8), uint32(id))
}

// appendChecksum stores the 16-bit value in little-endian order: RSPLIB
// copies it from host memory without byte-order conversion.
func appendChecksum(dst []byte, v uint16) []byte {
	return append(dst, 0, byte(ParamChecksum), 0, 6, byte(v), byte(v>>8), 0, 0)
}

func appendCookie(dst []byte, data []byte) ([]byte, error) {
	if len(data) == 0 {
		return dst, ErrEmptyCookie
	}
	s := len(dst)
	dst = append(beginTLV(dst, ParamCookie), data...)
	return endTLV(dst, s)
}

func encodeError(m Message, err error) error {
	return fmt.Errorf("wire: encode %s: %w", TypeName(m.PPID(), m.Type()), err)
}

// finishMessage ends the encoding of m that began at dst[s:] and went on in
// b: it writes the message length unless the encoding already failed (err),
// and on failure returns dst as it was with the error in context.
func finishMessage(m Message, dst, b []byte, s int, err error) ([]byte, error) {
	if err == nil {
		b, err = endMessage(b, s)
	}
	if err != nil {
		return dst[:s], encodeError(m, err)
	}
	return b, nil
}

// AppendTo implements Message.
func (m *Registration) AppendTo(dst []byte) ([]byte, error) {
	s := len(dst)
	b := beginMessage(dst, ASAPRegistration, 0)
	b, err := appendPoolHandle(b, m.Handle)
	if err == nil {
		b, err = appendPoolElement(b, &m.PE, false)
	}
	return finishMessage(m, dst, b, s, err)
}

// appendHandleID encodes the common "pool handle, PE identifier, optional
// error" body of several ASAP messages.
func appendHandleID(dst []byte, m Message, flags uint8, h rserpool.PoolHandle, id rserpool.PEID, e *OperationError) ([]byte, error) {
	s := len(dst)
	b := beginMessage(dst, m.Type(), flags)
	b, err := appendPoolHandle(b, h)
	if err == nil {
		b = appendPEID(b, id)
		if e != nil && e.Cause != 0 {
			b, err = appendOperationError(b, e)
		}
	}
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *Deregistration) AppendTo(dst []byte) ([]byte, error) {
	return appendHandleID(dst, m, 0, m.Handle, m.ID, nil)
}

// AppendTo implements Message.
func (m *RegistrationResponse) AppendTo(dst []byte) ([]byte, error) {
	var flags uint8
	if m.Error.Cause != 0 {
		flags = FlagRegistrationReject
	}
	return appendHandleID(dst, m, flags, m.Handle, m.ID, &m.Error)
}

// AppendTo implements Message.
func (m *DeregistrationResponse) AppendTo(dst []byte) ([]byte, error) {
	return appendHandleID(dst, m, 0, m.Handle, m.ID, &m.Error)
}

// AppendTo implements Message.
func (m *EndpointKeepAliveAck) AppendTo(dst []byte) ([]byte, error) {
	return appendHandleID(dst, m, 0, m.Handle, m.ID, nil)
}

// AppendTo implements Message.
func (m *EndpointUnreachable) AppendTo(dst []byte) ([]byte, error) {
	return appendHandleID(dst, m, 0, m.Handle, m.ID, nil)
}

// AppendTo implements Message.
func (m *HandleResolution) AppendTo(dst []byte) ([]byte, error) {
	s := len(dst)
	b := beginMessage(dst, ASAPHandleResolution, 0)
	b, err := appendPoolHandle(b, m.Handle)
	if err == nil && m.Items != 0 {
		b = app32(append(b, byte((ActionSkip|ParamHandleResolution)>>8), byte(ParamHandleResolution), 0, 8), m.Items)
	}
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *HandleResolutionResponse) AppendTo(dst []byte) ([]byte, error) {
	s := len(dst)
	b := beginMessage(dst, ASAPHandleResolutionResponse, 0)
	b, err := appendPoolHandle(b, m.Handle)
	if err == nil {
		if m.Error.Cause != 0 {
			b, err = appendOperationError(b, &m.Error)
		} else {
			b, err = appendPEList(b, &m.Policy, m.PEs)
		}
	}
	return finishMessage(m, dst, b, s, err)
}

func appendPEList(b []byte, pol *rserpool.PolicySettings, pes []rserpool.PoolElement) ([]byte, error) {
	if len(pes) > MaxHandleResolutionItems {
		return b, ErrTooManyPEs
	}
	b, err := appendPolicy(b, pol)
	for i := 0; err == nil && i < len(pes); i++ {
		b, err = appendPoolElement(b, &pes[i], false)
	}
	return b, err
}

// AppendTo implements Message.
func (m *EndpointKeepAlive) AppendTo(dst []byte) ([]byte, error) {
	var flags uint8
	if m.Home {
		flags = FlagKeepAliveHome
	}
	s := len(dst)
	b := app32(beginMessage(dst, ASAPEndpointKeepAlive, flags), uint32(m.ServerID))
	b, err := appendPoolHandle(b, m.Handle)
	if err == nil && m.ID != 0 {
		b = appendPEID(b, m.ID)
	}
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *ServerAnnounce) AppendTo(dst []byte) ([]byte, error) {
	s := len(dst)
	b := app32(beginMessage(dst, ASAPServerAnnounce, 0), uint32(m.ServerID))
	var err error
	for i := 0; err == nil && i < len(m.Transports); i++ {
		b, err = appendTransport(b, &m.Transports[i])
	}
	if err == nil && m.Info != nil {
		b, err = appendServerInfo(b, m.Info)
	}
	if err == nil && len(b)-s > MaxAnnounceSize {
		err = ErrAnnounceTooLarge
	}
	return finishMessage(m, dst, b, s, err)
}

func appendCookieMessage(dst []byte, m Message, data []byte) ([]byte, error) {
	s := len(dst)
	b, err := appendCookie(beginMessage(dst, m.Type(), 0), data)
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *Cookie) AppendTo(dst []byte) ([]byte, error) { return appendCookieMessage(dst, m, m.Data) }

// AppendTo implements Message.
func (m *CookieEcho) AppendTo(dst []byte) ([]byte, error) {
	return appendCookieMessage(dst, m, m.Data)
}

// AppendTo implements Message. It emits what RSPLIB's creator emits: pool
// handle, policy, pool elements.
func (m *BusinessCard) AppendTo(dst []byte) ([]byte, error) {
	s := len(dst)
	b := beginMessage(dst, ASAPBusinessCard, 0)
	b, err := appendPoolHandle(b, m.Handle)
	if err == nil {
		b, err = appendPEList(b, &m.Policy, m.PEs)
	}
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *ASAPErrorMessage) AppendTo(dst []byte) ([]byte, error) {
	s := len(dst)
	b, err := appendOperationError(beginMessage(dst, ASAPError, 0), &m.Error)
	return finishMessage(m, dst, b, s, err)
}

func beginENRP(dst []byte, typ, flags uint8, sender, receiver rserpool.RegistrarID) []byte {
	return app32(app32(beginMessage(dst, typ, flags), uint32(sender)), uint32(receiver))
}

// AppendTo implements Message.
func (m *Presence) AppendTo(dst []byte) ([]byte, error) {
	var flags uint8
	if m.ReplyRequired {
		flags = FlagPresenceReplyRequired
	}
	s := len(dst)
	b := appendChecksum(beginENRP(dst, ENRPPresence, flags, m.Sender, m.Receiver), m.Checksum)
	b, err := appendServerInfo(b, &m.Info)
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *HandleTableRequest) AppendTo(dst []byte) ([]byte, error) {
	var flags uint8
	if m.OwnChildrenOnly {
		flags = FlagOwnChildrenOnly
	}
	b := beginENRP(dst, ENRPHandleTableRequest, flags, m.Sender, m.Receiver)
	return endMessage(b, len(dst))
}

// AppendTo implements Message.
func (m *HandleTableResponse) AppendTo(dst []byte) ([]byte, error) {
	var flags uint8
	if m.Reject {
		flags |= FlagHandleTableReject
	}
	if m.MoreToSend {
		flags |= FlagHandleTableMoreToSend
	}
	s := len(dst)
	b := beginENRP(dst, ENRPHandleTableResponse, flags, m.Sender, m.Receiver)
	var err error
	if m.Reject && len(m.Pools) > 0 {
		err = ErrRejectWithPools
	}
	for i := 0; err == nil && i < len(m.Pools); i++ {
		p := &m.Pools[i]
		if len(p.PEs) == 0 {
			err = ErrEmptyPool
			break
		}
		b, err = appendPoolHandle(b, p.Handle)
		for j := 0; err == nil && j < len(p.PEs); j++ {
			b, err = appendPoolElement(b, &p.PEs[j], true)
		}
	}
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *HandleUpdate) AppendTo(dst []byte) ([]byte, error) {
	var flags uint8
	if m.TakeoverSuggested {
		flags = FlagTakeoverSuggested
	}
	s := len(dst)
	b := beginENRP(dst, ENRPHandleUpdate, flags, m.Sender, m.Receiver)
	b = app16(app16(b, m.Action), 0)
	b, err := appendPoolHandle(b, m.Handle)
	if err == nil {
		b, err = appendPoolElement(b, &m.PE, true)
	}
	return finishMessage(m, dst, b, s, err)
}

// AppendTo implements Message.
func (m *ListRequest) AppendTo(dst []byte) ([]byte, error) {
	return endMessage(beginENRP(dst, ENRPListRequest, 0, m.Sender, m.Receiver), len(dst))
}

// AppendTo implements Message. Unlike RSPLIB, which silently sends a
// truncated list when its buffer is full, an oversized list is an error; the
// caller decides what to leave out (see ServerInfoLen).
func (m *ListResponse) AppendTo(dst []byte) ([]byte, error) {
	var flags uint8
	if m.Reject {
		flags = FlagListResponseReject
	}
	s := len(dst)
	b := beginENRP(dst, ENRPListResponse, flags, m.Sender, m.Receiver)
	var err error
	for i := 0; err == nil && i < len(m.Servers); i++ {
		b, err = appendServerInfo(b, &m.Servers[i])
	}
	return finishMessage(m, dst, b, s, err)
}

func appendTarget(dst []byte, typ uint8, sender, receiver, target rserpool.RegistrarID) ([]byte, error) {
	b := app32(beginENRP(dst, typ, 0, sender, receiver), uint32(target))
	return endMessage(b, len(dst))
}

// AppendTo implements Message.
func (m *InitTakeover) AppendTo(dst []byte) ([]byte, error) {
	return appendTarget(dst, ENRPInitTakeover, m.Sender, m.Receiver, m.Target)
}

// AppendTo implements Message.
func (m *InitTakeoverAck) AppendTo(dst []byte) ([]byte, error) {
	return appendTarget(dst, ENRPInitTakeoverAck, m.Sender, m.Receiver, m.Target)
}

// AppendTo implements Message.
func (m *TakeoverServer) AppendTo(dst []byte) ([]byte, error) {
	return appendTarget(dst, ENRPTakeoverServer, m.Sender, m.Receiver, m.Target)
}

// AppendTo implements Message.
func (m *ENRPErrorMessage) AppendTo(dst []byte) ([]byte, error) {
	s := len(dst)
	b := beginENRP(dst, ENRPError, 0, m.Sender, m.Receiver)
	b, err := appendOperationError(b, &m.Error)
	return finishMessage(m, dst, b, s, err)
}
