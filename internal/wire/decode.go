package wire

import (
	"encoding/binary"
	"net/netip"
	"slices"

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

const (
	addrFail = iota
	addrOK
	addrSkipped
)

// address parses one address parameter inside a transport parameter.
func (p *parser) address() (netip.Addr, int) {
	at, l := p.beginTLV(0, false)
	if l == 0 {
		p.fail(rserpool.CauseBufferSizeExceeded, "missing address")
		return netip.Addr{}, addrFail
	}
	v := l - 4 // negative: RSPLIB's unsigned value wrapped around
	typ := p.u16at(at)
	var a netip.Addr
	switch typ &^ ActionMask {
	case ParamIPv4Address:
		if v >= 0 && v < 4 {
			p.fail(rserpool.CauseInvalidValue, "IPv4 address too short")
			return a, addrFail
		}
		s, ok := p.space(4)
		if !ok {
			p.fail(rserpool.CauseInvalidValue, "IPv4 address truncated")
			return a, addrFail
		}
		a = netip.AddrFrom4([4]byte(p.b[s : s+4]))
	case ParamIPv6Address:
		if v >= 0 && v < 16 {
			p.fail(rserpool.CauseInvalidValue, "IPv6 address too short")
			return a, addrFail
		}
		s, ok := p.space(16)
		if !ok {
			p.fail(rserpool.CauseInvalidValue, "IPv6 address truncated")
			return a, addrFail
		}
		a = netip.AddrFrom16([16]byte(p.b[s : s+16])).Unmap()
	default:
		// RSPLIB passes the value length here, so a skipped parameter is
		// consumed only up to 4 bytes before its end; finishTLV takes the
		// rest.
		if !p.unknownTLV(typ, v) || !p.finishTLV(at) {
			return a, addrFail
		}
		return a, addrSkipped
	}
	if !p.finishTLV(at) {
		return a, addrFail
	}
	return a, addrOK
}

// usable applies the parser's scope rule: RSPLIB keeps only addresses wider
// than link-local, since it could not tell the interface of the others.
func (p *parser) usable(a netip.Addr) bool {
	if p.opts.KeepAllAddresses {
		return true
	}
	s := rserpool.AddrScope(a)
	return s > rserpool.ScopeLinkLocal || (p.opts.KeepLoopback && s == rserpool.ScopeLoopback)
}

func (p *parser) transport(t *rserpool.Transport) bool {
	at, l := p.beginTLV(0, false)
	if l < 4 {
		p.fail(rserpool.CauseInvalidTLV, "transport parameter too short")
		return false
	}
	end := p.pos + l - 4
	typ := p.u16at(at)
	var (
		proto rserpool.Protocol
		port  uint16
		cc    bool
	)
	switch typ &^ ActionMask {
	case ParamSCTPTransport, ParamTCPTransport:
		s, ok := p.space(4)
		if !ok {
			p.fail(rserpool.CauseInvalidTLV, "transport parameter truncated")
			return false
		}
		port, cc = p.u16at(s), p.u16at(s+2) == useDataPlusControl
		proto = rserpool.ProtocolSCTP
		if typ&^ActionMask == ParamTCPTransport {
			proto = rserpool.ProtocolTCP
		}
	case ParamUDPTransport:
		s, ok := p.space(4)
		if !ok {
			p.fail(rserpool.CauseInvalidTLV, "transport parameter truncated")
			return false
		}
		port, proto = p.u16at(s), rserpool.ProtocolUDP
	default:
		if typ&ActionSkip == 0 {
			// DCCP and UDP-Lite included: RSPLIB does not know them.
			p.unknownTLV(typ, l-4)
			return false
		}
		// RSPLIB skips into such a parameter and goes on with a transport
		// of protocol 0, which it later fails to encode; refuse it instead.
		p.deviate("transport parameter of unknown type")
		p.fail(rserpool.CauseInvalidValue, "transport parameter of unknown type")
		return false
	}
	// Most transports have a few addresses: collect them on the stack and
	// allocate exactly what is kept.
	var local [4]netip.Addr
	list := local[:0]
	n := 0
	for p.pos < end {
		if n >= rserpool.MaxTransportAddresses {
			p.fail(rserpool.CauseInvalidValue, "more than 64 addresses")
			return false
		}
		// RSPLIB compares the raw type, action bits included, and refuses
		// only the third address (off by one). A TCP or UDP transport with
		// two addresses passes its parser but makes it abort when it
		// encodes the transport again, so the second one is refused here.
		if typ != ParamSCTPTransport && (n > 1 || (n > 0 && proto != rserpool.ProtocolSCTP)) {
			if n == 1 {
				p.deviate("second address of a single-homed transport")
			}
			p.fail(rserpool.CauseInvalidValue, "several addresses for a single-homed protocol")
			return false
		}
		addrAt, addrLen := p.pos, int(p.u16at(p.pos+2))
		a, r := p.address()
		if r == addrFail {
			p.cause, p.why = 0, ""
			break
		}
		if r == addrSkipped {
			// RSPLIB aborts on this (the parameter becomes an address of
			// family 0); report it as an invalid value instead.
			p.deviate("skip parameter inside a transport")
			p.fail(rserpool.CauseInvalidValue, "unknown parameter inside a transport parameter")
			p.offAt, p.offLen = addrAt, addrLen
			return false
		}
		if p.usable(a) {
			list = append(list, a)
			n++
		}
	}
	if n < 1 {
		p.fail(rserpool.CauseInvalidValue, "no usable transport address")
		return false
	}
	*t = rserpool.Transport{Protocol: proto, ControlChannel: cc, Port: port, Addrs: slices.Clone(list)}
	return p.finishTLV(at)
}

// policyShortCause is what RSPLIB reports for a policy parameter too short
// for its type: mostly invalid value, but invalid TLV for two types.
func policyShortCause(t rserpool.PolicyType) rserpool.Cause {
	if t == rserpool.PolicyWeightedRandom || t == rserpool.PolicyRandomizedLeastUsed {
		return rserpool.CauseInvalidTLV
	}
	return rserpool.CauseInvalidValue
}

func (p *parser) policy(ps *rserpool.PolicySettings) bool {
	at, l := p.beginTLV(ParamPolicy, true)
	if l < 4 {
		p.fail(rserpool.CauseInvalidTLV, "policy parameter missing")
		return false
	}
	v := l - 4
	if v < 4 {
		p.fail(rserpool.CauseInvalidTLV, "policy parameter too short")
		return false
	}
	t := rserpool.PolicyType(p.u32at(p.pos))
	if p.pos+4 > len(p.b) {
		// RSPLIB reads the type past the received bytes, from whatever its
		// buffer held before. Any known type then fails to read its
		// fields: answer that way when the bytes present fit a known type.
		p.deviate("policy type cut off")
		if policyPrefixKnown(p.b[p.pos:]) {
			p.fail(rserpool.CauseInvalidValue, "policy parameter truncated")
			return false
		}
	}
	words := policyWords(t)
	if words < 0 {
		p.fail(rserpool.CauseUnsupportedPoolPolicy, "unsupported policy type")
		return false
	}
	need := 4 + 4*words
	if v < need {
		p.fail(policyShortCause(t), "policy parameter too short for its type")
		return false
	}
	s, ok := p.space(need)
	if !ok {
		switch t {
		case rserpool.PolicyRandomizedLeastUsed, rserpool.PolicyRandomizedLeastUsedDegradation,
			rserpool.PolicyRandomizedPriorityLeastUsed, rserpool.PolicyRandomizedPriorityLeastUsedDegradation:
			// RSPLIB returns without setting a cause for these.
		default:
			p.fail(rserpool.CauseInvalidValue, "policy parameter truncated")
		}
		return false
	}
	w := func(i int) uint32 { return binary.BigEndian.Uint32(p.b[s+4+4*i:]) }
	*ps = rserpool.PolicySettings{Type: t}
	switch t {
	case rserpool.PolicyWeightedRoundRobin, rserpool.PolicyWeightedRandom, rserpool.PolicyPriority:
		ps.Weight = w(0)
	case rserpool.PolicyLeastUsed, rserpool.PolicyRandomizedLeastUsed:
		ps.Load = w(0)
	case rserpool.PolicyLeastUsedDegradation, rserpool.PolicyPriorityLeastUsed,
		rserpool.PolicyRandomizedPriorityLeastUsed, rserpool.PolicyRandomizedLeastUsedDegradation,
		rserpool.PolicyPriorityLeastUsedDegradation, rserpool.PolicyRandomizedPriorityLeastUsedDegradation:
		ps.Load, ps.LoadDegradation = w(0), w(1)
	case rserpool.PolicyWeightedRandomDPF:
		ps.Weight, ps.WeightDPF, ps.Distance = w(0), w(1), w(2)
	case rserpool.PolicyLeastUsedDPF:
		ps.Load, ps.LoadDPF, ps.Distance = w(0), w(1), w(2)
	case rserpool.PolicyLeastUsedDegradationDPF:
		ps.Load, ps.LoadDegradation, ps.LoadDPF, ps.Distance = w(0), w(1), w(2), w(3)
	}
	return p.finishTLV(at)
}

// policyPrefixKnown reports whether some policy type with a wire encoding
// starts with the bytes b.
func policyPrefixKnown(b []byte) bool {
	for _, t := range rserpool.PolicyTypes() {
		v := binary.BigEndian.AppendUint32(nil, uint32(t))
		if policyWords(t) >= 0 && len(b) <= 4 && string(v[:len(b)]) == string(b) {
			return true
		}
	}
	return false
}

func (p *parser) poolElement(pe *rserpool.PoolElement, withRegistrator, needHome bool) bool {
	at, l := p.beginTLV(ParamPoolElement, true)
	if l < 4 {
		p.fail(rserpool.CauseInvalidTLV, "pool element parameter missing")
		return false
	}
	s, ok := p.space(12)
	if !ok {
		p.fail(rserpool.CauseInvalidTLV, "pool element parameter truncated")
		return false
	}
	*pe = rserpool.PoolElement{
		ID:               rserpool.PEID(p.u32at(s)),
		Home:             rserpool.RegistrarID(p.u32at(s + 4)),
		RegistrationLife: p.u32at(s + 8),
	}
	if needHome && pe.Home == 0 {
		p.fail(rserpool.CauseInvalidValue, "pool element without home registrar")
		return false
	}
	if !p.transport(&pe.User) || !p.policy(&pe.Policy) {
		return false
	}
	// A missing or broken registrar transport is not an error here; the
	// callers that need one check for it.
	if withRegistrator && p.transport(&pe.Registrator) {
		pe.HasRegistrator = true
	}
	return p.finishTLV(at)
}

func (p *parser) poolHandle(h *rserpool.PoolHandle) bool {
	at, l := p.beginTLV(ParamPoolHandle, true)
	if l < 4 {
		return false
	}
	v := l - 4
	if v < 1 {
		p.fail(rserpool.CauseInvalidTLV, "empty pool handle")
		return false
	}
	s, ok := p.space(v)
	if !ok {
		p.fail(rserpool.CauseInvalidValue, "pool handle truncated")
		return false
	}
	if v > rserpool.MaxPoolHandleSize {
		// RSPLIB records this cause and then aborts the process.
		p.deviate("pool handle longer than 32 bytes")
		p.fail(rserpool.CauseInvalidValue, "pool handle longer than 32 bytes")
		return false
	}
	*h = rserpool.PoolHandle(p.b[s : s+v])
	return p.finishTLV(at)
}

func (p *parser) peid(id *rserpool.PEID) bool {
	at, l := p.beginTLV(ParamPEID, true)
	if l < 4 {
		return false
	}
	if l-4 != 4 {
		p.fail(rserpool.CauseInvalidValue, "PE identifier is not 4 bytes")
		return false
	}
	s, ok := p.space(4)
	if !ok {
		return false
	}
	*id = rserpool.PEID(p.u32at(s))
	return p.finishTLV(at)
}

func (p *parser) checksum(v *uint16) bool {
	at, l := p.beginTLV(ParamChecksum, true)
	if l < 4 {
		return false
	}
	if l-4 != 2 {
		p.fail(rserpool.CauseInvalidValue, "PE checksum is not 2 bytes")
		return false
	}
	s, ok := p.space(2)
	if !ok {
		return false
	}
	*v = uint16(p.b[s]) | uint16(p.b[s+1])<<8
	return p.finishTLV(at)
}

func (p *parser) operationError(e *OperationError) bool {
	at, l := p.beginTLV(ParamOperationError, true)
	if l < 4 {
		return false
	}
	if l-4 < 4 {
		p.fail(rserpool.CauseInvalidValue, "operation error too short")
		return false
	}
	c := p.pos
	if c+4 > len(p.b) {
		// RSPLIB reads the cause header past the received bytes, from
		// stale buffer contents; a large stale length then fails to be
		// read without a new error cause, which is what happens here.
		p.deviate("operation error cut off")
		return false
	}
	p.opCause = rserpool.Cause(p.u16at(c))
	clen := int(p.u16at(c + 2))
	if clen < 4 {
		p.fail(rserpool.CauseInvalidValue, "error cause length below 4")
		return false
	}
	// RSPLIB consumes the cause length minus 4 from the start of the cause
	// (its info pointer is off by the 4-byte cause header); finishTLV then
	// skips the rest. The info handed out is the real one, clipped to the
	// parameter.
	if _, ok := p.space(clen - 4); !ok {
		return false
	}
	end := min(c+clen, at+l, len(p.b))
	e.Cause, e.Info = p.opCause, nil
	if e.Cause != 0 && end > c+4 {
		e.Info = append([]byte(nil), p.b[c+4:end]...)
	}
	return p.finishTLV(at)
}

// cookie parses a Cookie parameter. RSPLIB does not finish it: its padding
// stays unread, so a cookie whose length is not a multiple of 4 makes the
// message fail its final length check.
func (p *parser) cookie(data *[]byte) bool {
	_, l := p.beginTLV(ParamCookie, true)
	if l < 4 {
		return false
	}
	v := l - 4
	if v < 1 {
		p.fail(rserpool.CauseInvalidValue, "empty cookie")
		return false
	}
	s, ok := p.space(v)
	if !ok {
		return false
	}
	*data = append([]byte(nil), p.b[s:s+v]...)
	return true
}

func (p *parser) serverInfo(si *ServerInfo) bool {
	at, l := p.beginTLV(ParamServerInfo, true)
	if l < 4 {
		return false
	}
	if l-4 < 1 {
		p.fail(rserpool.CauseInvalidValue, "server information too short")
		return false
	}
	s, ok := p.space(4)
	if !ok {
		p.fail(rserpool.CauseInvalidValue, "server information truncated")
		return false
	}
	si.ID = rserpool.RegistrarID(p.u32at(s))
	if !p.transport(&si.Transport) {
		p.cause = rserpool.CauseInvalidValue
		return false
	}
	return p.finishTLV(at)
}

func (p *parser) items(n *uint32) bool {
	at, l := p.beginTLV(ParamHandleResolution, true)
	if l < 4 {
		return false
	}
	if l-4 < 4 {
		p.fail(rserpool.CauseInvalidValue, "handle resolution option too short")
		return false
	}
	s, ok := p.space(4)
	if !ok {
		return false
	}
	*n = p.u32at(s)
	return p.finishTLV(at)
}

// servers reads the sender and receiver ids (and, for n = 12, a third
// word) that start every ENRP message.
func (p *parser) servers(n int) (int, bool) {
	s, ok := p.space(n)
	if !ok {
		p.fail(rserpool.CauseInvalidValue, "ENRP message too short for its server ids")
		return 0, false
	}
	p.sender = rserpool.RegistrarID(p.u32at(s))
	p.receiver = rserpool.RegistrarID(p.u32at(s + 4))
	return s, true
}

func (p *parser) message(ppid uint32) (Message, bool) {
	if p.beginMessage() < 4 {
		return nil, false
	}
	p.typ = p.b[0]
	var (
		m  Message
		ok bool
	)
	switch ppid {
	case PPIDASAP:
		m, ok = p.asap()
	case PPIDENRP:
		m, ok = p.enrp()
	default:
		p.why = "unsupported PPID"
		return nil, false
	}
	if !ok || !p.finishMessage() {
		return nil, false
	}
	return m, true
}

func (p *parser) asap() (Message, bool) {
	switch p.typ {
	case ASAPRegistration:
		m := &Registration{}
		return m, p.poolHandle(&m.Handle) && p.poolElement(&m.PE, false, false)
	case ASAPDeregistration:
		m := &Deregistration{}
		return m, p.poolHandle(&m.Handle) && p.peid(&m.ID)
	case ASAPRegistrationResponse:
		m := &RegistrationResponse{}
		ok := p.poolHandle(&m.Handle) && p.peid(&m.ID) && (p.pos >= len(p.b) || p.operationError(&m.Error))
		return m, ok
	case ASAPDeregistrationResponse:
		m := &DeregistrationResponse{}
		ok := p.poolHandle(&m.Handle) && p.peid(&m.ID) && (p.pos >= len(p.b) || p.operationError(&m.Error))
		return m, ok
	case ASAPHandleResolution:
		m := &HandleResolution{}
		if !p.poolHandle(&m.Handle) {
			return nil, false
		}
		if !p.items(&m.Items) {
			m.Items = 0
		}
		return m, true
	case ASAPHandleResolutionResponse:
		return p.handleResolutionResponse()
	case ASAPEndpointKeepAlive:
		s, ok := p.space(4)
		if !ok {
			p.why = "keep-alive too short"
			return nil, false
		}
		m := &EndpointKeepAlive{ServerID: rserpool.RegistrarID(p.u32at(s)), Home: p.flags&FlagKeepAliveHome != 0}
		if !p.poolHandle(&m.Handle) {
			return nil, false
		}
		if !p.peid(&m.ID) {
			m.ID = 0
		}
		return m, true
	case ASAPEndpointKeepAliveAck:
		m := &EndpointKeepAliveAck{}
		return m, p.poolHandle(&m.Handle) && p.peid(&m.ID)
	case ASAPEndpointUnreachable:
		m := &EndpointUnreachable{}
		return m, p.poolHandle(&m.Handle) && p.peid(&m.ID)
	case ASAPServerAnnounce:
		return p.serverAnnounce()
	case ASAPCookie:
		m := &Cookie{}
		return m, p.cookie(&m.Data)
	case ASAPCookieEcho:
		m := &CookieEcho{}
		return m, p.cookie(&m.Data)
	case ASAPBusinessCard:
		return p.businessCard()
	case ASAPError:
		m := &ASAPErrorMessage{}
		return m, p.operationError(&m.Error)
	}
	p.why = "unknown message type"
	return nil, false
}

func (p *parser) handleResolutionResponse() (Message, bool) {
	m := &HandleResolutionResponse{}
	if !p.poolHandle(&m.Handle) {
		return nil, false
	}
	if !p.operationError(&m.Error) {
		if !p.policy(&m.Policy) {
			return nil, false
		}
		for p.pos < len(p.b) {
			if len(m.PEs) >= MaxHandleResolutionItems {
				p.why = "more than 128 pool elements"
				return nil, false
			}
			var pe rserpool.PoolElement
			if !p.poolElement(&pe, false, false) {
				break
			}
			m.PEs = append(m.PEs, pe)
		}
	}
	if m.Error.Cause = p.opCause; m.Error.Cause != 0 {
		m.Policy, m.PEs = rserpool.PolicySettings{}, nil
	}
	return m, true
}

func (p *parser) serverAnnounce() (Message, bool) {
	s, ok := p.space(4)
	if !ok {
		p.why = "server announce too short"
		return nil, false
	}
	m := &ServerAnnounce{ServerID: rserpool.RegistrarID(p.u32at(s))}
	for {
		var t rserpool.Transport
		if !p.transport(&t) {
			break
		}
		m.Transports = append(m.Transports, t)
		if t.Protocol == rserpool.ProtocolSCTP {
			break
		}
	}
	var si ServerInfo
	if p.serverInfo(&si) {
		m.Info = &si
	}
	return m, true
}

// businessCard follows RSPLIB's parser, which expects the pool handle twice
// and counts failed pool element parameters too.
func (p *parser) businessCard() (Message, bool) {
	m := &BusinessCard{}
	for range 2 {
		if !p.poolHandle(&m.Handle) {
			return nil, false
		}
	}
	if !p.policy(&m.Policy) {
		return nil, false
	}
	n := 0
	for p.pos < len(p.b) {
		if n >= MaxHandleResolutionItems {
			p.why = "more than 128 pool elements"
			return nil, false
		}
		var pe rserpool.PoolElement
		if p.poolElement(&pe, false, false) {
			m.PEs = append(m.PEs, pe)
		}
		n++
	}
	if n < 1 {
		p.fail(rserpool.CauseInvalidValue, "business card without pool elements")
		return nil, false
	}
	return m, true
}

func (p *parser) enrp() (Message, bool) {
	switch p.typ {
	case ENRPPresence:
		m := &Presence{ReplyRequired: p.flags&FlagPresenceReplyRequired != 0}
		if _, ok := p.servers(8); !ok {
			return nil, false
		}
		m.Sender, m.Receiver = p.sender, p.receiver
		return m, p.checksum(&m.Checksum) && p.serverInfo(&m.Info)
	case ENRPHandleTableRequest:
		if _, ok := p.servers(8); !ok {
			return nil, false
		}
		return &HandleTableRequest{Sender: p.sender, Receiver: p.receiver,
			OwnChildrenOnly: p.flags&FlagOwnChildrenOnly != 0}, true
	case ENRPHandleTableResponse:
		return p.handleTableResponse()
	case ENRPHandleUpdate:
		s, ok := p.servers(12)
		if !ok {
			return nil, false
		}
		m := &HandleUpdate{Sender: p.sender, Receiver: p.receiver, Action: p.u16at(s + 8),
			TakeoverSuggested: p.flags&FlagTakeoverSuggested != 0}
		if !p.poolHandle(&m.Handle) || !p.poolElement(&m.PE, true, true) {
			return nil, false
		}
		if !m.PE.HasRegistrator {
			p.fail(rserpool.CauseInvalidRegistrator, "pool element without registrar transport")
			return nil, false
		}
		return m, true
	case ENRPListRequest:
		if _, ok := p.servers(8); !ok {
			return nil, false
		}
		return &ListRequest{Sender: p.sender, Receiver: p.receiver}, true
	case ENRPListResponse:
		if _, ok := p.servers(8); !ok {
			return nil, false
		}
		m := &ListResponse{Sender: p.sender, Receiver: p.receiver, Reject: p.flags&FlagListResponseReject != 0}
		for !m.Reject && p.pos < len(p.b) {
			var si ServerInfo
			if !p.serverInfo(&si) {
				break
			}
			m.Servers = append(m.Servers, si)
		}
		return m, true
	case ENRPInitTakeover, ENRPInitTakeoverAck, ENRPTakeoverServer:
		s, ok := p.servers(12)
		if !ok {
			return nil, false
		}
		target := rserpool.RegistrarID(p.u32at(s + 8))
		switch p.typ {
		case ENRPInitTakeover:
			return &InitTakeover{Sender: p.sender, Receiver: p.receiver, Target: target}, true
		case ENRPInitTakeoverAck:
			return &InitTakeoverAck{Sender: p.sender, Receiver: p.receiver, Target: target}, true
		}
		return &TakeoverServer{Sender: p.sender, Receiver: p.receiver, Target: target}, true
	case ENRPError:
		if _, ok := p.servers(8); !ok {
			return nil, false
		}
		m := &ENRPErrorMessage{Sender: p.sender, Receiver: p.receiver}
		return m, p.operationError(&m.Error)
	}
	p.why = "unknown message type"
	return nil, false
}

// poolTraits are what RSPLIB's handlespace fixes when a pool gets its first
// element; later elements must match.
type poolTraits struct {
	proto  rserpool.Protocol
	cc     bool
	policy rserpool.PolicyType
}

// handleTableResponse also applies the checks RSPLIB's parser makes by
// registering every element into a scratch handlespace: an inconsistent
// response is rejected as a whole.
func (p *parser) handleTableResponse() (Message, bool) {
	if _, ok := p.servers(8); !ok {
		return nil, false
	}
	m := &HandleTableResponse{Sender: p.sender, Receiver: p.receiver,
		Reject: p.flags&FlagHandleTableReject != 0, MoreToSend: p.flags&FlagHandleTableMoreToSend != 0}
	if m.Reject {
		return m, true
	}
	var pools map[rserpool.PoolHandle]poolTraits
	for p.cause == 0 && p.peekType() == ParamPoolHandle {
		entry := PoolEntries{}
		if !p.poolHandle(&entry.Handle) {
			break
		}
		for p.cause == 0 && p.peekType() == ParamPoolElement {
			var pe rserpool.PoolElement
			if !p.poolElement(&pe, true, true) {
				break
			}
			if !pe.HasRegistrator {
				p.fail(rserpool.CauseInvalidRegistrator, "pool element without registrar transport")
				return nil, false
			}
			if pools == nil {
				pools = make(map[rserpool.PoolHandle]poolTraits)
			}
			tr, known := pools[entry.Handle]
			if !known {
				tr = poolTraits{pe.User.Protocol, pe.User.ControlChannel, pe.Policy.Type}
			}
			if c := compatible(tr, &pe); c != 0 {
				p.fail(c, "inconsistent handle table entry")
				return nil, false
			}
			pools[entry.Handle] = tr
			p.cause, p.why = 0, ""
			entry.PEs = append(entry.PEs, pe)
		}
		if p.cause != 0 {
			return nil, false
		}
		if len(entry.PEs) == 0 {
			p.fail(rserpool.CauseInvalidValue, "pool without pool elements")
			return nil, false
		}
		m.Pools = append(m.Pools, entry)
	}
	return m, true
}

// compatible is RSPLIB's check of a pool element against its pool, in
// RSPLIB's order (poolNodeCheckPoolElementNodeCompatibility).
func compatible(tr poolTraits, pe *rserpool.PoolElement) rserpool.Cause {
	switch {
	case pe.ID == 0:
		return rserpool.CauseInvalidID
	case tr.proto != pe.User.Protocol:
		return rserpool.CauseWrongProtocol
	}
	if pe.HasRegistrator {
		r := &pe.Registrator
		if r.Protocol != rserpool.ProtocolSCTP || r.ControlChannel || len(r.Addrs) < 1 ||
			len(r.Addrs) > rserpool.MaxTransportAddresses || r.Port == 0 {
			return rserpool.CauseInvalidRegistrator
		}
	}
	u := &pe.User
	switch {
	case len(u.Addrs) < 1 || len(u.Addrs) > rserpool.MaxTransportAddresses || u.Port == 0:
		return rserpool.CauseInvalidAddresses
	case tr.cc != u.ControlChannel:
		return rserpool.CauseWrongControlChannelHandling
	case tr.policy != pe.Policy.Type:
		return rserpool.CauseIncompatiblePoolPolicy
	}
	return 0
}
