package sctp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	lib "github.com/ishidawataru/sctp"
)

// The notification and sockaddr layouts below are Linux's (uapi
// linux/sctp.h, linux/in.h, linux/in6.h): host byte order except ports,
// addresses, PPIDs and sre_error, which are in network order.

// NotificationType is sn_type of a notification.
type NotificationType uint16

// Notification types (enum sctp_sn_type).
const (
	TypeAssocChange     = NotificationType(lib.SCTP_ASSOC_CHANGE)
	TypePeerAddrChange  = NotificationType(lib.SCTP_PEER_ADDR_CHANGE)
	TypeSendFailed      = NotificationType(lib.SCTP_SEND_FAILED)
	TypeRemoteError     = NotificationType(lib.SCTP_REMOTE_ERROR)
	TypeShutdownEvent   = NotificationType(lib.SCTP_SHUTDOWN_EVENT)
	TypePartialDelivery = NotificationType(lib.SCTP_PARTIAL_DELIVERY_EVENT)
	TypeAdaptation      = NotificationType(lib.SCTP_ADAPTATION_INDICATION)
	TypeAuthentication  = NotificationType(lib.SCTP_AUTHENTICATION_INDICATION)
	TypeSenderDry       = NotificationType(lib.SCTP_SENDER_DRY_EVENT)
	// The library stops at SENDER_DRY; these follow it in the kernel's enum.
	TypeStreamReset     NotificationType = 0x800a
	TypeAssocReset      NotificationType = 0x800b
	TypeStreamChange    NotificationType = 0x800c
	TypeSendFailedEvent NotificationType = 0x800d
)

var typeNames = map[NotificationType]string{
	TypeAssocChange: "ASSOC_CHANGE", TypePeerAddrChange: "PEER_ADDR_CHANGE",
	TypeSendFailed: "SEND_FAILED", TypeRemoteError: "REMOTE_ERROR",
	TypeShutdownEvent: "SHUTDOWN_EVENT", TypePartialDelivery: "PARTIAL_DELIVERY_EVENT",
	TypeAdaptation: "ADAPTATION_INDICATION", TypeAuthentication: "AUTHENTICATION_EVENT",
	TypeSenderDry: "SENDER_DRY_EVENT", TypeStreamReset: "STREAM_RESET_EVENT",
	TypeAssocReset: "ASSOC_RESET_EVENT", TypeStreamChange: "STREAM_CHANGE_EVENT",
	TypeSendFailedEvent: "SEND_FAILED_EVENT",
}

func (t NotificationType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("notification $%04x", uint16(t))
}

// Notification is a decoded SCTP notification. Byte slices in notifications
// alias the buffer they were decoded from.
type Notification interface {
	Type() NotificationType
	// Association is the association the notification is about (0 if the
	// notification does not say).
	Association() AssocID
}

// AssocState is sac_state of an ASSOC_CHANGE notification.
type AssocState uint16

// Association states.
const (
	CommUp         = AssocState(lib.SCTP_COMM_UP)
	CommLost       = AssocState(lib.SCTP_COMM_LOST)
	Restart        = AssocState(lib.SCTP_RESTART)
	ShutdownComp   = AssocState(lib.SCTP_SHUTDOWN_COMP)
	CantStartAssoc = AssocState(lib.SCTP_CANT_STR_ASSOC)
)

func (s AssocState) String() string {
	switch s {
	case CommUp:
		return "COMM_UP"
	case CommLost:
		return "COMM_LOST"
	case Restart:
		return "RESTART"
	case ShutdownComp:
		return "SHUTDOWN_COMP"
	case CantStartAssoc:
		return "CANT_STR_ASSOC"
	}
	return "state " + strconv.Itoa(int(s))
}

// AssocChange reports an association coming up, going away or restarting.
type AssocChange struct {
	Assoc      AssocID
	State      AssocState
	Error      uint16
	OutStreams uint16
	InStreams  uint16
	// Info is sac_info. On Linux: the supported features on
	// COMM_UP/RESTART; the error causes of the ABORT chunk (without the
	// chunk header) on COMM_LOST/CANT_STR_ASSOC caused by an ABORT.
	Info []byte
}

// Type implements Notification.
func (AssocChange) Type() NotificationType { return TypeAssocChange }

// Association implements Notification.
func (n AssocChange) Association() AssocID { return n.Assoc }

// Ended reports whether the association is gone: the states on which RSPLIB's
// registrar drops the PEs registered over it are COMM_LOST and SHUTDOWN_COMP
// (plus SHUTDOWN_EVENT); CANT_STR_ASSOC means it never came up.
func (n AssocChange) Ended() bool {
	return n.State == CommLost || n.State == ShutdownComp || n.State == CantStartAssoc
}

// PeerAddrState is spc_state of a PEER_ADDR_CHANGE notification.
type PeerAddrState int32

// Peer address states.
const (
	AddrAvailable PeerAddrState = iota
	AddrUnreachable
	AddrRemoved
	AddrAdded
	AddrMadePrimary
	AddrConfirmed
	AddrPotentiallyFailed
)

func (s PeerAddrState) String() string {
	names := [...]string{"ADDR_AVAILABLE", "ADDR_UNREACHABLE", "ADDR_REMOVED", "ADDR_ADDED",
		"ADDR_MADE_PRIM", "ADDR_CONFIRMED", "ADDR_POTENTIALLY_FAILED"}
	if s >= 0 && int(s) < len(names) {
		return names[s]
	}
	return "state " + strconv.Itoa(int(s))
}

// PeerAddrChange reports a change of one peer address (path).
type PeerAddrChange struct {
	Assoc AssocID
	Addr  netip.AddrPort
	State PeerAddrState
	Error int32
}

// Type implements Notification.
func (PeerAddrChange) Type() NotificationType { return TypePeerAddrChange }

// Association implements Notification.
func (n PeerAddrChange) Association() AssocID { return n.Assoc }

// SendFailed returns a message the kernel could not deliver (SEND_FAILED or,
// with the newer subscription, SEND_FAILED_EVENT).
type SendFailed struct {
	Assoc AssocID
	// Sent is true for SCTP_DATA_SENT (put on the wire, not acknowledged),
	// false for SCTP_DATA_UNSENT.
	Sent  bool
	Error uint32
	Info  SendInfo
	Data  []byte
	// Event is true for the SEND_FAILED_EVENT layout.
	Event bool
}

// Type implements Notification.
func (n SendFailed) Type() NotificationType {
	if n.Event {
		return TypeSendFailedEvent
	}
	return TypeSendFailed
}

// Association implements Notification.
func (n SendFailed) Association() AssocID { return n.Assoc }

// RemoteError carries an Operation Error chunk received from the peer.
type RemoteError struct {
	Assoc AssocID
	Error uint16 // the first cause code, host order
	Data  []byte // the chunk's causes
}

// Type implements Notification.
func (RemoteError) Type() NotificationType { return TypeRemoteError }

// Association implements Notification.
func (n RemoteError) Association() AssocID { return n.Assoc }

// ShutdownEvent says the peer started a graceful shutdown.
type ShutdownEvent struct{ Assoc AssocID }

// Type implements Notification.
func (ShutdownEvent) Type() NotificationType { return TypeShutdownEvent }

// Association implements Notification.
func (n ShutdownEvent) Association() AssocID { return n.Assoc }

// PartialDeliveryEvent reports an aborted partial delivery.
type PartialDeliveryEvent struct {
	Assoc      AssocID
	Indication uint32 // SCTP_PARTIAL_DELIVERY_ABORTED = 0
	Stream     uint32
	Seq        uint32
}

// Type implements Notification.
func (PartialDeliveryEvent) Type() NotificationType { return TypePartialDelivery }

// Association implements Notification.
func (n PartialDeliveryEvent) Association() AssocID { return n.Assoc }

// AdaptationIndication carries the peer's adaptation layer indication.
type AdaptationIndication struct {
	Assoc      AssocID
	Indication uint32
}

// Type implements Notification.
func (AdaptationIndication) Type() NotificationType { return TypeAdaptation }

// Association implements Notification.
func (n AdaptationIndication) Association() AssocID { return n.Assoc }

// AuthenticationEvent reports SCTP-AUTH key events.
type AuthenticationEvent struct {
	Assoc        AssocID
	KeyNumber    uint16
	AltKeyNumber uint16
	Indication   uint32
}

// Type implements Notification.
func (AuthenticationEvent) Type() NotificationType { return TypeAuthentication }

// Association implements Notification.
func (n AuthenticationEvent) Association() AssocID { return n.Assoc }

// SenderDry says all sent data has been acknowledged.
type SenderDry struct{ Assoc AssocID }

// Type implements Notification.
func (SenderDry) Type() NotificationType { return TypeSenderDry }

// Association implements Notification.
func (n SenderDry) Association() AssocID { return n.Assoc }

// OtherNotification is a notification this package does not decode.
type OtherNotification struct {
	Kind  NotificationType
	Flags uint16
	Data  []byte // the whole notification
}

// Type implements Notification.
func (n OtherNotification) Type() NotificationType { return n.Kind }

// Association implements Notification.
func (OtherNotification) Association() AssocID { return 0 }

var ne = binary.NativeEndian

// Linux struct sizes.
const (
	notifHeaderLen   = 8
	sndrcvinfoLen    = 32
	sndinfoLen       = 16
	rcvinfoLen       = 28
	sockaddrStorLen  = 128
	sockaddrInLen    = 16
	sockaddrIn6Len   = 28
	linuxAFInet      = 2
	linuxAFInet6     = 10
	assocChangeLen   = 20
	paddrChangeLen   = 8 + sockaddrStorLen + 12
	sendFailedLen    = 12 + sndrcvinfoLen + 4
	sendFailedEvLen  = 12 + sndinfoLen + 4
	remoteErrorLen   = 16
	pdapiMinLen      = 16 // older kernels end after the association id
	pdapiLen         = 24
	adaptationLen    = 16
	authkeyLen       = 20
	assocOnlyEventLn = 12
)

// ErrShortNotification is returned for a notification shorter than its type
// requires or than its own length field says.
var ErrShortNotification = errors.New("sctp: short notification")

// ParseNotification decodes one notification as read from a socket with
// MSG_NOTIFICATION set. Unknown types decode to OtherNotification. The result
// aliases b.
func ParseNotification(b []byte) (Notification, error) {
	if len(b) < notifHeaderLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrShortNotification, len(b))
	}
	typ := NotificationType(ne.Uint16(b[0:]))
	flags := ne.Uint16(b[2:])
	length := ne.Uint32(b[4:])
	if uint64(length) > uint64(len(b)) || length < notifHeaderLen {
		return nil, fmt.Errorf("%w: %s says %d bytes, have %d", ErrShortNotification, typ, length, len(b))
	}
	b = b[:length]
	need := func(n int) error {
		if len(b) < n {
			return fmt.Errorf("%w: %s needs %d bytes, have %d", ErrShortNotification, typ, n, len(b))
		}
		return nil
	}
	assocAt := func(off int) AssocID { return AssocID(int32(ne.Uint32(b[off:]))) }
	switch typ {
	case TypeAssocChange:
		if err := need(assocChangeLen); err != nil {
			return nil, err
		}
		return AssocChange{
			State:      AssocState(ne.Uint16(b[8:])),
			Error:      ne.Uint16(b[10:]),
			OutStreams: ne.Uint16(b[12:]),
			InStreams:  ne.Uint16(b[14:]),
			Assoc:      assocAt(16),
			Info:       b[assocChangeLen:],
		}, nil
	case TypePeerAddrChange:
		if err := need(paddrChangeLen); err != nil {
			return nil, err
		}
		addr, _, err := decodeSockaddr(b[8 : 8+sockaddrStorLen])
		if err != nil {
			return nil, fmt.Errorf("sctp: PEER_ADDR_CHANGE address: %w", err)
		}
		return PeerAddrChange{
			Addr:  addr,
			State: PeerAddrState(int32(ne.Uint32(b[136:]))),
			Error: int32(ne.Uint32(b[140:])),
			Assoc: assocAt(144),
		}, nil
	case TypeSendFailed:
		if err := need(sendFailedLen); err != nil {
			return nil, err
		}
		info := decodeSndRcvInfo(b[12 : 12+sndrcvinfoLen])
		return SendFailed{
			Sent:  flags == 1,
			Error: ne.Uint32(b[8:]),
			Info:  SendInfo{PPID: info.PPID, Stream: info.Stream, Flags: info.Flags, Context: info.Context},
			Assoc: assocAt(44),
			Data:  b[sendFailedLen:],
		}, nil
	case TypeSendFailedEvent:
		if err := need(sendFailedEvLen); err != nil {
			return nil, err
		}
		return SendFailed{
			Sent:  flags == 1,
			Error: ne.Uint32(b[8:]),
			Info: SendInfo{
				Stream:  ne.Uint16(b[12:]),
				Flags:   ne.Uint16(b[14:]),
				PPID:    binary.BigEndian.Uint32(b[16:]),
				Context: ne.Uint32(b[20:]),
			},
			Assoc: assocAt(28),
			Data:  b[sendFailedEvLen:],
			Event: true,
		}, nil
	case TypeRemoteError:
		if err := need(remoteErrorLen); err != nil {
			return nil, err
		}
		return RemoteError{
			Error: binary.BigEndian.Uint16(b[8:]),
			Assoc: assocAt(12),
			Data:  b[remoteErrorLen:],
		}, nil
	case TypeShutdownEvent:
		if err := need(assocOnlyEventLn); err != nil {
			return nil, err
		}
		return ShutdownEvent{Assoc: assocAt(8)}, nil
	case TypePartialDelivery:
		if err := need(pdapiMinLen); err != nil {
			return nil, err
		}
		n := PartialDeliveryEvent{Indication: ne.Uint32(b[8:]), Assoc: assocAt(12)}
		if len(b) >= pdapiLen {
			n.Stream = ne.Uint32(b[16:])
			n.Seq = ne.Uint32(b[20:])
		}
		return n, nil
	case TypeAdaptation:
		if err := need(adaptationLen); err != nil {
			return nil, err
		}
		return AdaptationIndication{Indication: ne.Uint32(b[8:]), Assoc: assocAt(12)}, nil
	case TypeAuthentication:
		if err := need(authkeyLen); err != nil {
			return nil, err
		}
		return AuthenticationEvent{
			KeyNumber:    ne.Uint16(b[8:]),
			AltKeyNumber: ne.Uint16(b[10:]),
			Indication:   ne.Uint32(b[12:]),
			Assoc:        assocAt(16),
		}, nil
	case TypeSenderDry:
		if err := need(assocOnlyEventLn); err != nil {
			return nil, err
		}
		return SenderDry{Assoc: assocAt(8)}, nil
	}
	return OtherNotification{Kind: typ, Flags: flags, Data: b}, nil
}

// decodeSndRcvInfo reads a struct sctp_sndrcvinfo (len(b) >= sndrcvinfoLen).
func decodeSndRcvInfo(b []byte) RcvInfo {
	return RcvInfo{
		Stream:  ne.Uint16(b[0:]),
		SSN:     ne.Uint16(b[2:]),
		Flags:   ne.Uint16(b[4:]),
		PPID:    binary.BigEndian.Uint32(b[8:]),
		Context: ne.Uint32(b[12:]),
		// b[16:20] is sinfo_timetolive, meaningless on receive.
		TSN:    ne.Uint32(b[20:]),
		CumTSN: ne.Uint32(b[24:]),
		Assoc:  AssocID(int32(ne.Uint32(b[28:]))),
	}
}

// decodeRcvInfo reads a struct sctp_rcvinfo (len(b) >= rcvinfoLen).
func decodeRcvInfo(b []byte) RcvInfo {
	return RcvInfo{
		Stream:  ne.Uint16(b[0:]),
		SSN:     ne.Uint16(b[2:]),
		Flags:   ne.Uint16(b[4:]),
		PPID:    binary.BigEndian.Uint32(b[8:]),
		TSN:     ne.Uint32(b[12:]),
		CumTSN:  ne.Uint32(b[16:]),
		Context: ne.Uint32(b[20:]),
		Assoc:   AssocID(int32(ne.Uint32(b[24:]))),
	}
}

// errBadSockaddr is returned for an address of unknown family or short size.
var errBadSockaddr = errors.New("sctp: bad socket address")

// decodeSockaddr reads one sockaddr_in or sockaddr_in6 at the start of b and
// returns it with IPv4-mapped addresses unmapped, and its size.
func decodeSockaddr(b []byte) (netip.AddrPort, int, error) {
	if len(b) < 2 {
		return netip.AddrPort{}, 0, errBadSockaddr
	}
	switch ne.Uint16(b) {
	case linuxAFInet:
		if len(b) < sockaddrInLen {
			return netip.AddrPort{}, 0, errBadSockaddr
		}
		a := netip.AddrFrom4([4]byte(b[4:8]))
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b[2:])), sockaddrInLen, nil
	case linuxAFInet6:
		if len(b) < sockaddrIn6Len {
			return netip.AddrPort{}, 0, errBadSockaddr
		}
		a := netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		if scope := ne.Uint32(b[24:]); scope != 0 && a.Is6() {
			a = a.WithZone(strconv.FormatUint(uint64(scope), 10))
		}
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b[2:])), sockaddrIn6Len, nil
	}
	return netip.AddrPort{}, 0, fmt.Errorf("%w: family %d", errBadSockaddr, ne.Uint16(b))
}

// decodeSockaddrs reads n packed addresses as returned by SCTP_GET_PEER_ADDRS
// and SCTP_GET_LOCAL_ADDRS (each entry as long as its family's sockaddr).
func decodeSockaddrs(b []byte, n int) ([]netip.AddrPort, error) {
	if n < 0 || n > len(b)/sockaddrInLen {
		return nil, fmt.Errorf("%w: %d addresses in %d bytes", errBadSockaddr, n, len(b))
	}
	out := make([]netip.AddrPort, 0, n)
	for i := 0; i < n; i++ {
		a, size, err := decodeSockaddr(b)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		b = b[size:]
	}
	return out, nil
}

// appendSockaddr appends a as sockaddr_in (IPv4 and IPv4-mapped) or
// sockaddr_in6. A numeric zone becomes the scope id; a zone naming an
// interface is resolved by the caller's resolver (nil: error).
func appendSockaddr(b []byte, a netip.AddrPort, zoneIndex func(string) (uint32, error)) ([]byte, error) {
	ip := a.Addr().Unmap()
	switch {
	case ip.Is4():
		var s [sockaddrInLen]byte
		ne.PutUint16(s[0:], linuxAFInet)
		binary.BigEndian.PutUint16(s[2:], a.Port())
		v4 := ip.As4()
		copy(s[4:], v4[:])
		return append(b, s[:]...), nil
	case ip.Is6():
		var s [sockaddrIn6Len]byte
		ne.PutUint16(s[0:], linuxAFInet6)
		binary.BigEndian.PutUint16(s[2:], a.Port())
		v6 := ip.As16()
		copy(s[8:], v6[:])
		if z := ip.Zone(); z != "" {
			idx, err := strconv.ParseUint(z, 10, 32)
			if err != nil {
				if zoneIndex == nil {
					return b, fmt.Errorf("sctp: address %v: unknown zone", a)
				}
				i, err := zoneIndex(z)
				if err != nil {
					return b, fmt.Errorf("sctp: address %v: %w", a, err)
				}
				idx = uint64(i)
			}
			ne.PutUint32(s[24:], uint32(idx))
		}
		return append(b, s[:]...), nil
	}
	return b, fmt.Errorf("sctp: invalid address %v", a)
}
