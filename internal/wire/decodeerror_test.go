package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Builders for hand-made packets. tlv pads; rawTLV writes a given length and
// no padding, for broken parameters.

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func u16b(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func u32b(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func tlv(typ uint16, value ...[]byte) []byte {
	v := cat(value...)
	b := cat(u16b(typ), u16b(uint16(4+len(v))), v)
	return append(b, make([]byte, pad4(len(v)))...)
}

func rawTLV(typ, length uint16, value ...[]byte) []byte {
	return cat(u16b(typ), u16b(length), cat(value...))
}

// msg builds a message whose length field is the total size.
func msg(typ, flags uint8, parts ...[]byte) []byte {
	body := cat(parts...)
	return cat([]byte{typ, flags}, u16b(uint16(4+len(body))), body)
}

func ip4(a, b, c, d byte) []byte { return tlv(ParamIPv4Address, []byte{a, b, c, d}) }

var (
	tPH     = tlv(ParamPoolHandle, []byte("EchoPool"))
	tPEID   = tlv(ParamPEID, u32b(0x12345678))
	tAddr   = ip4(198, 18, 0, 1)
	tUser   = tlv(ParamSCTPTransport, u16b(5000), u16b(0), tAddr)
	tReg    = tlv(ParamSCTPTransport, u16b(40000), u16b(0), tAddr)
	tRR     = tlv(ParamPolicy, u32b(uint32(rserpool.PolicyRoundRobin)))
	tSI     = tlv(ParamServerInfo, u32b(0x11111111), tlv(ParamSCTPTransport, u16b(9901), u16b(0), tAddr))
	tCks    = tlv(ParamChecksum, []byte{0xff, 0xff})
	ids     = cat(u32b(0x11111111), u32b(0x22222222))
	tHUHead = cat(ids, u16b(UpdateAddPE), u16b(0))
)

func tPE(id, home uint32, parts ...[]byte) []byte {
	return tlv(ParamPoolElement, u32b(id), u32b(home), u32b(30000), cat(parts...))
}

func htrPE(id uint32, user, pol []byte) []byte { return tPE(id, 0x11111111, user, pol, tReg) }

// wantErr is the expected failure of a decode case.
type wantErr struct {
	cause    rserpool.Cause
	info     []byte
	silent   bool
	typ      int // message type byte, or none
	sender   rserpool.RegistrarID
	receiver rserpool.RegistrarID
}

const none = -1

type decodeCase struct {
	name string
	ppid uint32
	opts DecodeOptions
	b    []byte
	want *wantErr // nil: must decode
}

// deviations name the cases on which RSPLIB's parser aborts the process or
// accepts what is refused here (see docs/compatibility.md); the sandbox
// comparison with the real rspregistrar skips them.
var deviations = map[string]bool{
	"pool handle of 33 bytes":           true,
	"TCP with two addresses":            true,
	"skip parameter inside a transport": true,
	"unknown skip transport":            true,
}

func tcpUser(addrs ...[]byte) []byte {
	return tlv(ParamTCPTransport, u16b(80), u16b(0), cat(addrs...))
}

// decodeCases is the corpus of malformed (and some borderline but valid)
// packets with what RSPLIB does about each.
func decodeCases() []decodeCase {
	type want = wantErr
	manyAddrs := func(n int) []byte {
		var b []byte
		for i := range n {
			b = append(b, ip4(198, 18, 1, byte(i))...)
		}
		return tlv(ParamSCTPTransport, u16b(5000), u16b(0), b)
	}
	return []decodeCase{
		// Message header.
		{"empty", PPIDASAP, DecodeOptions{}, nil, &want{cause: rserpool.CauseInvalidMessage, typ: 0}},
		{"three bytes", PPIDASAP, DecodeOptions{}, []byte{1, 0, 0}, &want{cause: rserpool.CauseInvalidMessage, typ: 0}},
		{"length below 4", PPIDASAP, DecodeOptions{}, []byte{1, 0, 0, 2}, &want{cause: rserpool.CauseInvalidMessage, typ: 0}},
		// The type is only read once the header is valid, so even a broken
		// Error message is answered.
		{"broken header of an Error", PPIDASAP, DecodeOptions{}, []byte{0x0e, 0, 0, 0}, &want{cause: rserpool.CauseInvalidMessage, typ: 0}},
		{"length beyond data", PPIDASAP, DecodeOptions{}, []byte{1, 0, 0, 8, 0, 0}, &want{cause: rserpool.CauseInvalidMessage, typ: 0}},
		{"unknown ASAP type", PPIDASAP, DecodeOptions{}, msg(0x0f, 0, tPH), &want{silent: true, typ: 0x0f}},
		{"unknown ENRP type", PPIDENRP, DecodeOptions{}, msg(0x0b, 0, ids), &want{silent: true, typ: 0x0b}},
		{"PPID 0", 0, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tRR)), &want{silent: true, typ: 1}},
		{"oversized", PPIDASAP, DecodeOptions{}, make([]byte, MaxReceiveSize+4), &want{cause: rserpool.CauseInvalidMessage, silent: true, typ: 0}},

		// Padding and length rules (wire.md §2.4).
		{"final pad missing", PPIDASAP, DecodeOptions{},
			cat([]byte{ASAPHandleResolution, 0, 0, 11}, rawTLV(ParamPoolHandle, 7, []byte("abc"))),
			&want{cause: rserpool.CauseInvalidTLV, info: rawTLV(ParamPoolHandle, 7, []byte("abc")), typ: 5}},
		{"unpadded length with pad present", PPIDASAP, DecodeOptions{},
			cat([]byte{ASAPHandleResolution, 0, 0, 11}, tlv(ParamPoolHandle, []byte("abc"))), nil},
		{"trailing bytes after message length", PPIDASAP, DecodeOptions{},
			cat(msg(ASAPDeregistration, 0, tPH, tPEID), make([]byte, 8)), nil},
		{"parameter length below 4", PPIDASAP, DecodeOptions{},
			msg(ASAPDeregistration, 0, rawTLV(ParamPoolHandle, 2, []byte{0, 0}), tPEID),
			&want{cause: rserpool.CauseInvalidTLV, typ: 2}},
		// A parameter running past the data: RSPLIB's pool handle parser
		// goes on with the declared length and fails to read the value.
		{"parameter beyond data", PPIDASAP, DecodeOptions{},
			msg(ASAPDeregistration, 0, rawTLV(ParamPoolHandle, 64, []byte("EchoPool"))),
			&want{cause: rserpool.CauseInvalidValue, typ: 2}},

		// Parameter order and action bits (wire.md §2.3).
		{"PE before pool handle", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPE(1, 0, tUser, tRR), tPH),
			&want{cause: rserpool.CauseUnrecognizedParameterSilent, silent: true, typ: 1}},
		{"unknown stop", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tlv(0x0020, u32b(1)), tPH, tPE(1, 0, tUser, tRR)),
			&want{cause: rserpool.CauseUnrecognizedParameterSilent, silent: true, typ: 1}},
		{"unknown stop and report", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tlv(0x4020, u32b(1)), tPH, tPE(1, 0, tUser, tRR)),
			&want{cause: rserpool.CauseUnrecognizedParameter, info: tlv(0x4020, u32b(1)), typ: 1}},
		{"unknown skip before", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tlv(0x8020, u32b(1)), tPH, tlv(0xc021), tPE(1, 0, tUser, tRR)), nil},
		{"unknown skip after last", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tRR), tlv(0x8020, u32b(1))),
			&want{cause: rserpool.CauseInvalidMessage, typ: 1}},
		{"pool handle with action bits", PPIDASAP, DecodeOptions{}, msg(ASAPDeregistration, 0, tlv(0x8009, []byte("x")), tPEID), nil},
		{"skip parameter then end", PPIDASAP, DecodeOptions{}, msg(ASAPHandleResolution, 0, tPH, tlv(0x8020, u32b(1))), nil},

		// Pool handle.
		{"empty pool handle", PPIDASAP, DecodeOptions{}, msg(ASAPDeregistration, 0, tlv(ParamPoolHandle), tPEID),
			&want{cause: rserpool.CauseInvalidTLV, info: tlv(ParamPoolHandle), typ: 2}},
		{"pool handle of 33 bytes", PPIDASAP, DecodeOptions{}, msg(ASAPDeregistration, 0, tlv(ParamPoolHandle, make([]byte, 33)), tPEID),
			&want{cause: rserpool.CauseInvalidValue, info: rawTLV(ParamPoolHandle, 37, make([]byte, 33)), typ: 2}},

		// Pool element and transports.
		{"home 0 in registration", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tRR)), nil},
		{"extra registrar transport in registration", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tRR, tReg)), nil},
		{"PE header truncated", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tlv(ParamPoolElement, u32b(1))),
			&want{cause: rserpool.CauseInvalidTLV, info: tlv(ParamPoolElement, u32b(1)), typ: 1}},
		{"loopback only", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), ip4(127, 0, 0, 1)), tRR)),
			&want{cause: rserpool.CauseInvalidValue, typ: 1}},
		{"loopback only, kept", PPIDASAP, DecodeOptions{KeepLoopback: true},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), ip4(127, 0, 0, 1)), tRR)), nil},
		{"link-local only, KeepLoopback", PPIDASAP, DecodeOptions{KeepLoopback: true},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), ip4(169, 254, 0, 1)), tRR)),
			&want{cause: rserpool.CauseInvalidValue, typ: 1}},
		{"64 addresses", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, manyAddrs(64), tRR)), nil},
		{"65 addresses", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, manyAddrs(65), tRR)),
			&want{cause: rserpool.CauseInvalidValue, typ: 1}},
		{"TCP with two addresses", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tcpUser(tAddr, tAddr), tRR)),
			&want{cause: rserpool.CauseInvalidValue, typ: 1}},
		{"SCTP with action bits and two addresses", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(0x8004, u16b(1), u16b(0), tAddr, tAddr), tRR)), nil},
		{"SCTP with action bits and three addresses", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(0x8004, u16b(1), u16b(0), tAddr, tAddr, tAddr), tRR)),
			&want{cause: rserpool.CauseInvalidValue, typ: 1}},
		{"skip parameter inside a transport", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), tAddr, tlv(0x8020, u32b(7))), tRR)),
			&want{cause: rserpool.CauseInvalidValue, info: tlv(0x8020, u32b(7)), typ: 1}},
		{"stop parameter ends the addresses", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), tAddr, tlv(0x0020, u32b(7))), tRR)), nil},
		{"short IPv4 address", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(ParamSCTPTransport, u16b(1), u16b(0), tlv(ParamIPv4Address, []byte{1, 2})), tRR)),
			&want{cause: rserpool.CauseInvalidValue, info: rawTLV(ParamIPv4Address, 6, []byte{1, 2}), typ: 1}},
		{"DCCP transport", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(ParamDCCPTransport, u16b(1), u16b(0), u32b(0), tAddr), tRR)),
			&want{cause: rserpool.CauseUnrecognizedParameterSilent, silent: true, typ: 1}},
		{"unknown skip transport", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tlv(0x8007, u16b(1), u16b(0), tAddr), tRR)),
			&want{cause: rserpool.CauseInvalidValue, info: tlv(0x8007, u16b(1), u16b(0), tAddr), typ: 1}},

		// Policy (wire.md §7).
		{"unknown policy", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(0x12345678)))),
			&want{cause: rserpool.CauseUnsupportedPoolPolicy, typ: 1}},
		{"PLU-DPF has no wire encoding", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(0xB0002004), u32b(0), u32b(0), u32b(0), u32b(0)))),
			&want{cause: rserpool.CauseUnsupportedPoolPolicy, typ: 1}},
		{"PLUD-DPF has no wire encoding", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(0xB0002005), u32b(0), u32b(0), u32b(0), u32b(0)))),
			&want{cause: rserpool.CauseUnsupportedPoolPolicy, typ: 1}},
		{"WRAND short", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(4)))),
			&want{cause: rserpool.CauseInvalidTLV, info: tlv(ParamPolicy, u32b(4)), typ: 1}},
		{"LU short", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(0x40000001)))),
			&want{cause: rserpool.CauseInvalidValue, info: tlv(ParamPolicy, u32b(0x40000001)), typ: 1}},
		{"policy with extra words", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(1), u32b(9), u32b(9)))), nil},
		{"policy too short for a type", PPIDASAP, DecodeOptions{}, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, []byte{0, 0}))),
			&want{cause: rserpool.CauseInvalidTLV, info: rawTLV(ParamPolicy, 6, []byte{0, 0}), typ: 1}},

		// Identifiers and options.
		{"PE identifier of 8 bytes", PPIDASAP, DecodeOptions{}, msg(ASAPDeregistration, 0, tPH, tlv(ParamPEID, u32b(1), u32b(2))),
			&want{cause: rserpool.CauseInvalidValue, info: tlv(ParamPEID, u32b(1), u32b(2)), typ: 2}},
		{"keep-alive ack without PE identifier", PPIDASAP, DecodeOptions{}, msg(ASAPEndpointKeepAliveAck, 0, tPH),
			&want{cause: rserpool.CauseInvalidMessage, typ: 8}},
		{"items option without action bits", PPIDASAP, DecodeOptions{}, msg(ASAPHandleResolution, 0, tPH, tlv(ParamHandleResolution, u32b(4))), nil},
		{"items option too short", PPIDASAP, DecodeOptions{}, msg(ASAPHandleResolution, 0, tPH, tlv(0x803f, u16b(4))),
			&want{cause: rserpool.CauseInvalidValue, info: rawTLV(0x803f, 6, u16b(4)), typ: 5}},
		{"keep-alive without identifier", PPIDASAP, DecodeOptions{}, msg(ASAPEndpointKeepAlive, 0, u32b(1), tPH), nil},
		{"keep-alive too short", PPIDASAP, DecodeOptions{}, msg(ASAPEndpointKeepAlive, 0, u16b(1)), &want{silent: true, typ: 7}},
		{"cookie not a multiple of 4", PPIDASAP, DecodeOptions{}, msg(ASAPCookie, 0, tlv(ParamCookie, []byte("12345"))),
			&want{cause: rserpool.CauseInvalidMessage, typ: 0x0b}},

		// Operation errors.
		{"broken ASAP Error is not answered", PPIDASAP, DecodeOptions{}, msg(ASAPError, 0, tlv(ParamOperationError, u16b(9), u16b(2))),
			&want{cause: rserpool.CauseInvalidValue, silent: true, typ: 0x0e,
				info: tlv(ParamOperationError, u16b(9), u16b(2))}},
		{"response carrying a cause", PPIDASAP, DecodeOptions{ReportCarriedCause: true},
			msg(ASAPRegistrationResponse, 1, tPH, tPEID, tlv(ParamOperationError, u16b(0xF008), u16b(4))),
			&want{cause: rserpool.CauseNoUsableUserAddresses, typ: 3}},
		{"Error carrying a cause", PPIDASAP, DecodeOptions{ReportCarriedCause: true},
			msg(ASAPError, 0, tlv(ParamOperationError, u16b(0x100B), u16b(4))),
			&want{cause: rserpool.CauseUnsupportedPoolPolicy, silent: true, typ: 0x0e}},
		{"ENRP Error carrying a cause", PPIDENRP, DecodeOptions{ReportCarriedCause: true},
			msg(ENRPError, 0, ids, tlv(ParamOperationError, u16b(0xF006), u16b(4))),
			&want{cause: rserpool.CauseInvalidRegistrator, silent: true, typ: 0x0a, sender: 0x11111111, receiver: 0x22222222}},
		{"response carrying a cause, not reported", PPIDASAP, DecodeOptions{},
			msg(ASAPRegistrationResponse, 1, tPH, tPEID, tlv(ParamOperationError, u16b(0xF008), u16b(4))), nil},

		// ENRP.
		{"presence too short for ids", PPIDENRP, DecodeOptions{}, msg(ENRPPresence, 0, u32b(5)),
			&want{cause: rserpool.CauseInvalidValue, typ: 1}},
		{"presence without server information", PPIDENRP, DecodeOptions{}, msg(ENRPPresence, 0, ids, tCks),
			&want{cause: rserpool.CauseInvalidMessage, typ: 1, sender: 0x11111111, receiver: 0x22222222}},
		{"presence with 32-bit checksum", PPIDENRP, DecodeOptions{}, msg(ENRPPresence, 0, ids, tlv(ParamChecksum, u32b(0xffff)), tSI),
			&want{cause: rserpool.CauseInvalidValue, info: tlv(ParamChecksum, u32b(0xffff)), typ: 1, sender: 0x11111111, receiver: 0x22222222}},
		{"server information with DCCP", PPIDENRP, DecodeOptions{},
			msg(ENRPPresence, 0, ids, tCks, tlv(ParamServerInfo, u32b(1), tlv(ParamDCCPTransport, u16b(1), u16b(0), u32b(0), tAddr))),
			&want{cause: rserpool.CauseInvalidValue, info: tlv(ParamDCCPTransport, u16b(1), u16b(0), u32b(0), tAddr), typ: 1,
				sender: 0x11111111, receiver: 0x22222222}},
		{"handle table request too long", PPIDENRP, DecodeOptions{}, msg(ENRPHandleTableRequest, 0, ids, u32b(0)),
			&want{cause: rserpool.CauseInvalidMessage, typ: 2, sender: 0x11111111, receiver: 0x22222222}},
		{"handle update with home 0", PPIDENRP, DecodeOptions{}, msg(ENRPHandleUpdate, 0, tHUHead, tPH, tPE(1, 0, tUser, tRR, tReg)),
			&want{cause: rserpool.CauseInvalidValue, info: tPE(1, 0, tUser, tRR, tReg), typ: 4, sender: 0x11111111, receiver: 0x22222222}},
		{"handle update without registrar transport", PPIDENRP, DecodeOptions{}, msg(ENRPHandleUpdate, 0, tHUHead, tPH, tPE(1, 5, tUser, tRR)),
			&want{cause: rserpool.CauseInvalidRegistrator, typ: 4, sender: 0x11111111, receiver: 0x22222222}},
		{"handle update too short", PPIDENRP, DecodeOptions{}, msg(ENRPHandleUpdate, 0, ids),
			&want{cause: rserpool.CauseInvalidValue, typ: 4}},
		{"init takeover too short", PPIDENRP, DecodeOptions{}, msg(ENRPInitTakeover, 0, ids),
			&want{cause: rserpool.CauseInvalidValue, typ: 7}},
		{"broken ENRP Error is not answered", PPIDENRP, DecodeOptions{}, msg(ENRPError, 0, ids),
			&want{cause: rserpool.CauseInvalidMessage, silent: true, typ: 0x0a, sender: 0x11111111, receiver: 0x22222222}},
		{"list response rejected with entries", PPIDENRP, DecodeOptions{}, msg(ENRPListResponse, 1, ids, tSI),
			&want{cause: rserpool.CauseInvalidMessage, typ: 6, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table response rejected with pools", PPIDENRP, DecodeOptions{}, msg(ENRPHandleTableResponse, 1, ids, tPH, htrPE(1, tUser, tRR)),
			&want{cause: rserpool.CauseInvalidMessage, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table pool without elements", PPIDENRP, DecodeOptions{}, msg(ENRPHandleTableResponse, 0, ids, tPH, tPH, htrPE(1, tUser, tRR)),
			&want{cause: rserpool.CauseInvalidValue, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table duplicate PE", PPIDENRP, DecodeOptions{}, msg(ENRPHandleTableResponse, 0, ids, tPH, htrPE(1, tUser, tRR), htrPE(1, tUser, tRR)), nil},
		{"handle table PE id 0", PPIDENRP, DecodeOptions{}, msg(ENRPHandleTableResponse, 0, ids, tPH, htrPE(0, tUser, tRR)),
			&want{cause: rserpool.CauseInvalidID, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table mixed protocols", PPIDENRP, DecodeOptions{},
			msg(ENRPHandleTableResponse, 0, ids, tPH, htrPE(1, tUser, tRR), tPH, htrPE(2, tcpUser(tAddr), tRR)),
			&want{cause: rserpool.CauseWrongProtocol, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table mixed policies", PPIDENRP, DecodeOptions{},
			msg(ENRPHandleTableResponse, 0, ids, tPH, htrPE(1, tUser, tRR), htrPE(2, tUser, tlv(ParamPolicy, u32b(3)))),
			&want{cause: rserpool.CauseIncompatiblePoolPolicy, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table mixed control channel", PPIDENRP, DecodeOptions{},
			msg(ENRPHandleTableResponse, 0, ids, tPH, htrPE(1, tUser, tRR), htrPE(2, tlv(ParamSCTPTransport, u16b(5000), u16b(1), tAddr), tRR)),
			&want{cause: rserpool.CauseWrongControlChannelHandling, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table user port 0", PPIDENRP, DecodeOptions{},
			msg(ENRPHandleTableResponse, 0, ids, tPH, htrPE(1, tlv(ParamSCTPTransport, u16b(0), u16b(0), tAddr), tRR)),
			&want{cause: rserpool.CauseInvalidAddresses, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table registrar port 0", PPIDENRP, DecodeOptions{},
			msg(ENRPHandleTableResponse, 0, ids, tPH, tPE(1, 9, tUser, tRR, tlv(ParamSCTPTransport, u16b(0), u16b(0), tAddr))),
			&want{cause: rserpool.CauseInvalidRegistrator, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table TCP registrar transport", PPIDENRP, DecodeOptions{},
			msg(ENRPHandleTableResponse, 0, ids, tPH, tPE(1, 9, tUser, tRR, tcpUser(tAddr))),
			&want{cause: rserpool.CauseInvalidRegistrator, typ: 3, sender: 0x11111111, receiver: 0x22222222}},
		{"handle table different pools may differ", PPIDENRP, DecodeOptions{},
			msg(ENRPHandleTableResponse, 0, ids, tPH, htrPE(1, tUser, tRR), tlv(ParamPoolHandle, []byte("Other")), htrPE(2, tcpUser(tAddr), tlv(ParamPolicy, u32b(3)))), nil},
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tt := range decodeCases() {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.ppid, tt.b, tt.opts)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v\n%x", err, tt.b)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %T %v, want a *DecodeError", m, err)
			}
			w := tt.want
			if de.Cause != w.cause || de.Silent != w.silent || !bytes.Equal(de.Info, w.info) ||
				(w.typ != none && de.Type != uint8(w.typ)) || de.Sender != w.sender || de.Receiver != w.receiver {
				t.Fatalf("got cause %#04x silent %v type %d info %x ids %v/%v (%v)\nwant cause %#04x silent %v type %d info %x ids %v/%v",
					uint16(de.Cause), de.Silent, de.Type, de.Info, de.Sender, de.Receiver, err,
					uint16(w.cause), w.silent, w.typ, w.info, w.sender, w.receiver)
			}
			if w.cause != 0 && !errors.Is(err, w.cause) {
				t.Errorf("errors.Is(err, %v) is false", w.cause)
			}
			reply := de.Reply()
			if (reply == nil) != w.silent {
				t.Fatalf("Reply() = %v, silent = %v", reply, w.silent)
			}
			if reply != nil {
				if _, err := reply.AppendTo(nil); err != nil {
					t.Fatalf("reply does not encode: %v", err)
				}
			}
		})
	}
}

// TestErrorReply checks the bytes of the replies RSPLIB sends (wire.md §8.3,
// §6.21): the offending parameter as info, ENRP ids copied unchanged.
func TestErrorReply(t *testing.T) {
	tests := []struct {
		name string
		ppid uint32
		in   []byte
		want []byte
	}{
		{"ASAP with info", PPIDASAP, msg(ASAPRegistration, 0, tlv(0x4020, []byte{1, 2, 3}), tPH),
			msg(ASAPError, 0, tlv(ParamOperationError, u16b(0x0001), u16b(11), rawTLV(0x4020, 7, []byte{1, 2, 3})))},
		{"ASAP without info", PPIDASAP, msg(ASAPRegistration, 0, tPH, tPE(1, 0, tUser, tlv(ParamPolicy, u32b(0xB0002005)))),
			msg(ASAPError, 0, tlv(ParamOperationError, u16b(0x100B), u16b(4)))},
		{"ENRP keeps the ids", PPIDENRP, msg(ENRPPresence, 0, ids, tlv(ParamChecksum, u32b(1)), tSI),
			msg(ENRPError, 0, ids, tlv(ParamOperationError, u16b(0x0011), u16b(12), tlv(ParamChecksum, u32b(1))))},
		{"ENRP before the ids", PPIDENRP, msg(ENRPListRequest, 0, u32b(1)),
			msg(ENRPError, 0, u32b(0), u32b(0), tlv(ParamOperationError, u16b(0x0011), u16b(4)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.ppid, tt.in, DecodeOptions{})
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("decoded without error")
			}
			r := de.Reply()
			if r == nil {
				t.Fatalf("no reply for %v", err)
			}
			if got := encode(t, r); !bytes.Equal(got, tt.want) {
				t.Fatalf("reply\n got %x\nwant %x", got, tt.want)
			}
		})
	}
}

func TestDecodeErrorText(t *testing.T) {
	_, err := DecodeASAP(msg(ASAPDeregistration, 0, tPH, tlv(ParamPEID, u32b(1), u32b(2))), DecodeOptions{})
	const want = "wire: decode ASAP Deregistration: PE identifier is not 4 bytes at byte 20 (cause $0011: invalid value)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
	_, err = Decode(PPIDENRP, msg(0x20, 0, ids), DecodeOptions{})
	if err == nil || err.Error() != "wire: decode ENRP type $20: unknown message type at byte 4" {
		t.Fatalf("got %q", err)
	}
}
