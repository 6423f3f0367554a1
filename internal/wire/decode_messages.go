package wire

import "github.com/rserpool/rspregistrar/internal/rserpool"

// message decodes one message of the protocol that ppid names: the common
// header here, the body in the per-protocol switch below; parameters are
// read by the methods in decode_params.go.
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
	var pools map[rserpool.PoolHandle]rserpool.PoolTraits
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
				pools = make(map[rserpool.PoolHandle]rserpool.PoolTraits)
			}
			tr, known := pools[entry.Handle]
			if !known {
				tr = pe.Traits()
			}
			if c := pe.CheckAgainst(tr); c != 0 {
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
