package sctp

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	lib "github.com/ishidawataru/sctp"
)

// AssocID names an association on a one-to-many socket (sctp_assoc_t). The
// kernel never hands out 0, which therefore means "none" here.
type AssocID int32

// Message flags of sends and receives (sinfo_flags / snd_flags / rcv_flags).
const (
	// FlagUnordered marks a message sent or received unordered.
	FlagUnordered uint16 = lib.SCTP_UNORDERED
	// FlagSackImmediately asks the peer to acknowledge at once.
	FlagSackImmediately uint16 = lib.SCTP_SACK_IMMEDIATELY

	// Internal to Abort and Shutdown; callers use those methods. The
	// library's SCTP_EOF is 1<<4, a PR-SCTP policy bit on Linux, where
	// SCTP_EOF is MSG_FIN (uapi linux/sctp.h).
	flagAbort uint16 = lib.SCTP_ABORT
	flagEOF   uint16 = 0x200
)

// RcvInfo is what the kernel says about a received user message
// (struct sctp_sndrcvinfo or struct sctp_rcvinfo).
type RcvInfo struct {
	Assoc   AssocID
	Stream  uint16
	SSN     uint16
	Flags   uint16
	PPID    uint32 // in host order; the wire carries it big-endian
	Context uint32
	TSN     uint32
	CumTSN  uint32
}

// SendInfo selects how a message is sent (the useful part of struct
// sctp_sndinfo). RSPLIB sends everything on stream 0, ordered.
type SendInfo struct {
	PPID    uint32 // in host order
	Stream  uint16
	Flags   uint16 // FlagUnordered, FlagSackImmediately
	Context uint32 // returned in SendFailed notifications
	// NoWait makes a send fail with ErrWouldBlock when the socket's send
	// buffer is full, instead of waiting in the poller for space. RSPLIB's
	// registrar sends this way (timeout 0) and drops the message.
	NoWait bool
}

// Events selects the notifications a socket subscribes to (SCTP_EVENTS).
// Data I/O information is always subscribed because Read needs it.
type Events uint16

// Notification classes.
const (
	EventAssociation     Events = lib.SCTP_EVENT_ASSOCIATION
	EventAddress         Events = lib.SCTP_EVENT_ADDRESS
	EventSendFailure     Events = lib.SCTP_EVENT_SEND_FAILURE
	EventPeerError       Events = lib.SCTP_EVENT_PEER_ERROR
	EventShutdown        Events = lib.SCTP_EVENT_SHUTDOWN
	EventPartialDelivery Events = lib.SCTP_EVENT_PARTIAL_DELIVERY
	EventAdaptation      Events = lib.SCTP_EVENT_ADAPTATION_LAYER
	EventAuthentication  Events = lib.SCTP_EVENT_AUTHENTICATION
	EventSenderDry       Events = lib.SCTP_EVENT_SENDER_DRY

	// DefaultEvents is RSPLIB's subscription (rspregistrar.c): data I/O,
	// association, address, send failure, peer error, shutdown and partial
	// delivery; not adaptation layer.
	DefaultEvents = EventAssociation | EventAddress | EventSendFailure | EventPeerError |
		EventShutdown | EventPartialDelivery
)

// InitMsg sets the parameters of the INIT this socket sends (SCTP_INITMSG);
// zero fields keep the kernel's defaults.
type InitMsg struct {
	OutStreams     uint16
	MaxInStreams   uint16
	MaxAttempts    uint16
	MaxInitTimeout time.Duration // whole milliseconds
}

// DefaultMaxMessageSize is the largest user message Read returns whole;
// RSPLIB's receive buffers are 65536 bytes as well.
const DefaultMaxMessageSize = 65536

// DefaultBacklog is RSPLIB's listen backlog.
const DefaultBacklog = 10

// Config describes a socket to open with Listen.
type Config struct {
	// IPv4Only makes an AF_INET socket. Otherwise the socket is AF_INET6 with
	// IPV6_V6ONLY off, so it also carries IPv4, as RSPLIB does when IPv6 is
	// available.
	IPv4Only bool
	// Addrs are the local addresses to bind; empty means the wildcard of the
	// socket's family. One address is bound with bind(), several with
	// sctp_bindx(SCTP_BINDX_ADD_ADDR), mirroring RSPLIB's bindplus.
	Addrs []netip.Addr
	// Port is the local port; 0 lets the kernel pick one (see Socket.Port).
	Port uint16
	// Backlog for listen(); 0 means DefaultBacklog.
	Backlog int
	// Events to subscribe; 0 means DefaultEvents.
	Events Events
	// InitMsg, when not nil, is applied before binding.
	InitMsg *InitMsg
	// MaxMessageSize bounds reassembly in Read; 0 means DefaultMaxMessageSize.
	MaxMessageSize int
	// ReadBuffer and WriteBuffer, when not 0, size SO_RCVBUF and SO_SNDBUF
	// before binding, so that every association starts with the receive
	// window they allow. Both are shared by all associations of the
	// socket. With CAP_NET_ADMIN the size is taken as asked
	// (SO_RCVBUFFORCE, SO_SNDBUFFORCE); without, the kernel caps it at
	// net.core.rmem_max and wmem_max.
	ReadBuffer, WriteBuffer int
}

// Message is one received user message or notification. Reuse a Message for
// every Read on a socket: its buffer is kept and grown, so steady-state reads
// do not allocate.
type Message struct {
	// Buf is the read buffer. Read allocates DefaultReadBuffer bytes when it
	// is empty and grows it up to the socket's MaxMessageSize when a message
	// does not fit.
	Buf []byte
	// Data is the message (Buf[:n]); for a notification, its raw bytes.
	Data []byte
	// Info describes a user message. For a notification only Assoc is set.
	Info RcvInfo
	// From is the peer transport address the kernel reports for the message
	// (msg_name), IPv4-mapped addresses unmapped.
	From netip.AddrPort
	// Notification is the decoded notification, nil for a user message.
	Notification Notification
	// Truncated reports a user message longer than MaxMessageSize (or than
	// a caller's larger Buf): Data holds its first len(Buf) bytes, the rest
	// was read and dropped.
	Truncated bool
	// Err is set by ReadBatch for a notification it could not decode
	// (Notification is then nil, Data its raw bytes).
	Err error
}

// DefaultReadBuffer is the buffer Read allocates for an empty Message.
const DefaultReadBuffer = 65536

// IsNotification reports whether the message is a notification.
func (m *Message) IsNotification() bool { return m.Notification != nil }

// PathState is spinfo_state (Linux enum sctp_spinfo_state).
type PathState int32

// Path states.
const (
	PathInactive    PathState = 0
	PathPF          PathState = 1 // potentially failed
	PathActive      PathState = 2
	PathUnconfirmed PathState = 3
)

// PeerAddrInfo is the state of one path (struct sctp_paddrinfo).
type PeerAddrInfo struct {
	Addr  netip.AddrPort
	State PathState
	CWND  uint32
	SRTT  time.Duration // the kernel reports whole milliseconds
	RTO   time.Duration
	MTU   uint32
}

// AssocStatusState is sstat_state (Linux enum sctp_sstat_state). The
// library's StatusState constants follow RFC 6458's list, whose numbers are
// not Linux's.
type AssocStatusState int32

// Association states as SCTP_STATUS reports them.
const (
	StateEmpty            AssocStatusState = 0
	StateClosed           AssocStatusState = 1
	StateCookieWait       AssocStatusState = 2
	StateCookieEchoed     AssocStatusState = 3
	StateEstablished      AssocStatusState = 4
	StateShutdownPending  AssocStatusState = 5
	StateShutdownSent     AssocStatusState = 6
	StateShutdownReceived AssocStatusState = 7
	StateShutdownAckSent  AssocStatusState = 8
)

// Status is the state of an association (SCTP_STATUS).
type Status struct {
	Assoc         AssocID
	State         AssocStatusState
	RWND          uint32
	UnackedData   uint16
	PendingData   uint16
	InStreams     uint16
	OutStreams    uint16
	FragmentPoint uint32
	Primary       PeerAddrInfo
}

// Counters are an association's cumulative packet counters
// (SCTP_GET_ASSOC_STATS).
type Counters struct {
	PacketsIn, PacketsOut, SACKsIn, Retransmitted uint64
}

// Established reports whether the association is in state ESTABLISHED.
func (s Status) Established() bool { return s.State == StateEstablished }

// ErrWouldBlock is returned by a NoWait send when the send buffer is full.
var ErrWouldBlock = errors.New("sctp: send buffer full")

// ErrClosed is returned by operations on a closed socket.
var ErrClosed = errors.New("sctp: use of closed socket")

// UnavailableError says that the kernel lacks SCTP and how to fix that.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("kernel SCTP is not available (%v): load the sctp kernel module (modprobe sctp) "+
		"or run inside the SCTP sandbox (test/sandbox/run)", e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Outgoing is one user message of a SendBatch: on association Assoc, or, if
// Assoc is 0, to the peer at To (addresses, the first the primary) and Port,
// as SendToAddrs.
type Outgoing struct {
	Assoc AssocID
	To    []netip.Addr
	Port  uint16
	Data  []byte
	Info  SendInfo
}
