package config

import (
	"net/netip"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Well-known ports and announce groups (RSPLIB rserpool.h).
const (
	ASAPPort = 3863
	ENRPPort = 9901
	CSPPort  = 2960
)

// RSPLIB's announce groups for "auto" and its default CSP monitor. Not
// exported: a package variable could be changed by anyone; Default() has them.
var (
	asapAnnounceGroup = netip.MustParseAddrPort("239.0.0.50:3863")
	enrpAnnounceGroup = netip.MustParseAddrPort("239.0.0.51:9901")
	defaultCSPServer  = netip.MustParseAddrPort("127.0.0.1:2960")
)

// MinRandomPort and MaxRandomPort bound the port RSPLIB picks for an SCTP
// endpoint configured without a port (always the case for "auto").
const (
	MinRandomPort = 10000
	MaxRandomPort = 59999
)

// Local is the configuration of one of the registrar's own SCTP endpoints
// (-asap, -enrp).
type Local struct {
	// Auto means "auto": bind the wildcard address of the socket family.
	Auto bool
	// Addrs are the explicit addresses (empty when Auto), in order.
	Addrs []netip.Addr
	// Port is the port of the first address. 0 makes the socket layer pick a
	// random port in [MinRandomPort, MaxRandomPort], as RSPLIB does, and not
	// the well-known port.
	Port uint16
}

// Addresses returns the addresses to bind: the explicit ones, or for Auto the
// IPv6 wildcard (dual stack) or, without IPv6, the IPv4 wildcard.
func (l Local) Addresses(useIPv6 bool) []netip.Addr {
	if !l.Auto {
		return append([]netip.Addr(nil), l.Addrs...)
	}
	if useIPv6 {
		return []netip.Addr{netip.IPv6Unspecified()}
	}
	return []netip.Addr{netip.IPv4Unspecified()}
}

// Announce is the configuration of one multicast announce channel
// (-asapannounce, -enrpannounce).
type Announce struct {
	Enabled bool
	// Group is the destination (ASAP) or the group to send to and listen on
	// (ENRP); a missing port has been replaced by the protocol's port. RSPLIB
	// does not insist on a multicast address and neither does this.
	Group netip.AddrPort
}

// Transport returns the announce address as RSPLIB prints it in the banner.
func (a Announce) Transport() rserpool.Transport {
	return rserpool.Transport{Protocol: rserpool.ProtocolUDP, Port: a.Group.Port(), Addrs: []netip.Addr{a.Group.Addr()}}
}

// Log holds the logging options. File == "" means standard error.
type Log struct {
	Level  int
	File   string
	Append bool
	Color  bool
}

// CSP holds the Component Status Protocol reporting options. Reports are
// sent iff Interval > 0.
type CSP struct {
	Server   netip.AddrPort
	Interval time.Duration
}

// Stats holds RSPLIB's research statistics options (-statsfile and friends).
type Stats struct {
	File string
	// Interval is in milliseconds; -1 (the default) means "not given", which
	// RSPLIB prints as 4294967295ms when a statistics file is open.
	Interval   int64
	ScalarFile string
	ObjectName string
}

// Config is the registrar's complete configuration. Durations are RSPLIB's
// microsecond values; options given in milliseconds or seconds are converted.
type Config struct {
	// Identifier is the registrar ID; 0 means "pick a random one".
	Identifier rserpool.RegistrarID

	ASAP         Local
	ASAPAnnounce Announce
	ENRP         Local
	ENRPAnnounce Announce
	// Peers are the static peers (-peer), one transport per option, each with
	// the port of its first address (ENRPPort when none was given).
	Peers []rserpool.Transport

	// Core holds the protocol settings that the registrar core takes as
	// they are, with RSPLIB's defaults from registrar.DefaultConfig (the
	// one place they are written). The daemon adds what only the bound
	// sockets and the rest of this configuration tell: the id, the ENRP
	// port and addresses, the static peers, announces and CSP.
	Core registrar.Config

	AutoCloseTimeout                    time.Duration
	EndpointMonitoringHeartbeatInterval time.Duration // fixed, printed only
	// AnnounceTTL is the multicast TTL / hop limit of announces (1..255).
	AnnounceTTL int
	// SocketBuffer is what the registrar asks for SO_RCVBUF and SO_SNDBUF
	// of its ASAP and ENRP sockets, in bytes; 0 leaves the kernel's
	// default.
	SocketBuffer int

	Log           Log
	Quiet         bool
	DisableIPv6   bool
	DaemonPIDFile string
	// Uptime > 0 selects RSPLIB's failure-test mode; both are the means of
	// exponential distributions.
	Uptime   time.Duration
	Downtime time.Duration

	CSP   CSP
	Stats Stats

	// MetricsAddress is where to serve Prometheus metrics ("" off): a
	// host:port for net.Listen, ":port" for every address.
	MetricsAddress string
}

// DefaultSocketBuffer is -socketbuffer's default. One socket carries the
// associations of every PE (and every peer), and Linux's default of 208 KiB
// is shared by all of them: a small message costs a kilobyte of it, and
// packets that arrive while the socket is locked wait in a backlog bounded
// by the two buffers. On a loaded machine (make soak, a CPU shared with
// 10,000 PEs) both overflowed and the kernel discarded packets; their
// retransmission timers (at least 1 s, doubling) then held Keep Alive Acks
// back past the 5 s timeout and whole associations were aborted
// (docs/performance.md). Without CAP_NET_ADMIN the kernel caps it at
// net.core.rmem_max and wmem_max.
const DefaultSocketBuffer = 4 << 20

// Default returns RSPLIB's defaults, with no CSP environment variables set.
func Default() Config {
	return Config{
		ASAP:                                Local{Auto: true},
		ASAPAnnounce:                        Announce{Enabled: true, Group: asapAnnounceGroup},
		ENRP:                                Local{Auto: true},
		ENRPAnnounce:                        Announce{Enabled: true, Group: enrpAnnounceGroup},
		Core:                                registrar.DefaultConfig(),
		AutoCloseTimeout:                    300 * time.Second,
		EndpointMonitoringHeartbeatInterval: 1000 * time.Millisecond,
		AnnounceTTL:                         30,
		SocketBuffer:                        DefaultSocketBuffer,
		Log:                                 Log{Level: 1, Color: true},
		CSP:                                 CSP{Server: defaultCSPServer},
		Stats:                               Stats{Interval: -1, ObjectName: "registrar"},
	}
}
