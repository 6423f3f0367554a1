package wire

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Parameter decoders: each reads one TLV at the cursor and reports whether
// the message may go on; the message decoders are in decode_messages.go.

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
	fields, _ := policyLayout(t)
	for i, f := range fields {
		*f.in(ps) = w(i)
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
