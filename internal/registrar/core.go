// Package registrar is the registrar's protocol core: a deterministic state
// machine that owns the handlespace, the ENRP peer list and every timer, and
// turns events (a message on an association, an association change, a
// multicast datagram, the passing of time) into actions (send a message on an
// association or to an address list, abort an association, multicast an
// announce, send a CSP report).
//
// The core does no I/O and reads no clock: the caller passes the time in as
// int64 nanoseconds of a monotonic clock of its choice, asks NextDeadline
// when to call HandleTimers, and carries out the returned actions before the
// next call (the actions' byte slices are reused). The daemon runs one core in
// one goroutine; tests run many cores with a fake clock and an in-memory
// network (see Network).
//
// Behaviour follows RSPLIB's rspregistrar (the references under
// shared/reference: asap.md, enrp.md); deliberate differences are listed in
// docs/compatibility.md.
package registrar

import (
	"fmt"
	"github.com/rserpool/rspregistrar/internal/ratelimit"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/peerlist"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// Config is what the core needs of the daemon's configuration.
type Config struct {
	ID rserpool.RegistrarID

	// ASAP.
	MaxBadPEReports               int
	MaxHResItems                  int
	MaxIncrement                  int
	MinAddressScope               rserpool.Scope
	DistanceStep                  uint32
	ServerAnnounceCycle           time.Duration
	KeepAliveTransmissionInterval time.Duration
	KeepAliveTimeoutInterval      time.Duration
	MaxHRRate, MaxEURate          float64 // requests per second; <= 0: unlimited
	// OwnerCheck (RFC 5355, -ownercheck) accepts a re-registration or
	// deregistration of a PE registered here only over its association,
	// and counts Endpoint Unreachable reports about a PE once per
	// reporting association.
	OwnerCheck bool
	// ASAPAnnounce enables Server Announces by multicast.
	ASAPAnnounce bool

	// ENRP.
	ENRPAnnounce              bool // Presence by multicast
	PeerHeartbeatCycle        time.Duration
	PeerMaxTimeLastHeard      time.Duration
	PeerMaxTimeNoResponse     time.Duration
	MentorDiscoveryTimeout    time.Duration
	TakeoverExpiryInterval    time.Duration
	MaxElementsPerHTRequest   int
	SupportTakeoverSuggestion bool
	StaticPeers               []rserpool.Transport
	// ENRPAllow, when not nil, limits ENRP to the static peers' addresses
	// and these networks (RFC 5355, -enrpallow): Presence, Handle Updates
	// and Handle Table Responses from other addresses, and other messages
	// from registrars not in the peer list, are ignored and counted.
	ENRPAllow []netip.Prefix
	// ENRPPort and ENRPAddrs are the bound port and local addresses of the
	// ENRP socket, advertised in Presence.
	ENRPPort  uint16
	ENRPAddrs []netip.Addr

	// CSPInterval enables CSP reports when > 0.
	CSPInterval time.Duration
}

// DefaultConfig returns RSPLIB's defaults.
func DefaultConfig() Config {
	return Config{
		MaxBadPEReports:               3,
		MaxHResItems:                  3,
		MinAddressScope:               rserpool.ScopeSiteLocal,
		DistanceStep:                  50,
		ServerAnnounceCycle:           time.Second,
		KeepAliveTransmissionInterval: 5 * time.Second,
		KeepAliveTimeoutInterval:      5 * time.Second,
		MaxHRRate:                     -1,
		MaxEURate:                     -1,
		ASAPAnnounce:                  true,
		ENRPAnnounce:                  true,
		PeerHeartbeatCycle:            2444444 * time.Microsecond,
		PeerMaxTimeLastHeard:          5 * time.Second,
		PeerMaxTimeNoResponse:         5 * time.Second,
		MentorDiscoveryTimeout:        5 * time.Second,
		TakeoverExpiryInterval:        5 * time.Second,
		MaxElementsPerHTRequest:       128,
	}
}

// Socket names one of the registrar's two SCTP sockets.
type Socket uint8

// The registrar's SCTP sockets.
const (
	SocketASAP Socket = iota
	SocketENRP
)

func (s Socket) String() string {
	if s == SocketASAP {
		return "ASAP"
	}
	return "ENRP"
}

// AssocID is an SCTP association identifier on one socket.
type AssocID = handlespace.AssocID

// AssocInfo is what the I/O layer knows about the association a message came
// over: the peer's addresses and port and the primary path's smoothed RTT.
// MessageNeeds says which of it a message needs (contract.go); the I/O
// layer may fill more, but the core must not rely on more.
type AssocInfo struct {
	OK    bool // false if the addresses could not be read
	Addrs []netip.Addr
	Port  uint16
	SRTT  time.Duration
}

// AssocEvent is an association notification.
type AssocEvent uint8

// Association notifications the core reacts to.
const (
	AssocUp AssocEvent = iota
	AssocCommLost
	AssocShutdownComplete
	AssocShutdownEvent
	AssocRestart
	AssocCantStart
)

// ActionKind says what an Action asks the I/O layer to do.
type ActionKind uint8

// Actions.
const (
	// ActSend sends Data with PPID on association Assoc of socket Sock.
	ActSend ActionKind = iota
	// ActSendTo sends Data with PPID from socket Sock to the address list
	// To (setting up an association if there is none).
	ActSendTo
	// ActAbort aborts association Assoc of socket Sock.
	ActAbort
	// ActMulticastASAP sends Data (a Server Announce) to the ASAP announce
	// group from the ASAP port.
	ActMulticastASAP
	// ActMulticastENRP sends Data (a Presence) to the ENRP group from the
	// ENRP port.
	ActMulticastENRP
	// ActRejoin asks to join the ENRP multicast group again on every
	// interface (RSPLIB does this at every heartbeat).
	ActRejoin
	// ActCSP sends a CSP report with the status in CSP.
	ActCSP
)

// Action is one thing for the I/O layer to do. Data and To are only valid
// until the next call into the core.
type Action struct {
	Kind  ActionKind
	Sock  Socket
	Assoc AssocID
	To    *rserpool.Transport
	PPID  uint32
	Data  []byte
	CSP   *Status
}

// Status is the registrar's state as reported by CSP and metrics.
type Status struct {
	ID       rserpool.RegistrarID
	PEs      int
	OwnedPEs int
	Pools    int
	// Peers lists the peer list's registrar ids in index order (0 for static
	// peers not heard from yet).
	Peers []rserpool.RegistrarID
}

// Core is the registrar state machine. Create it with New.
type Core struct {
	cfg   Config
	id    rserpool.RegistrarID
	log   Logger
	rnd   *rand.Rand
	hs    *handlespace.Handlespace
	peers *peerlist.List
	rate  *ratelimit.Limiter
	// reports are the Endpoint Unreachable reporters of -ownercheck.
	reports reporters
	opts    wire.DecodeOptions

	startup bool
	mentor  rserpool.RegistrarID

	// Due times of the core's own timers; 0 means stopped.
	announceAt, heartbeatAt, cspAt int64
	// helloAt is when the starting registrar introduces itself (0: done).
	helloAt int64

	out     []Action
	buf     []byte
	scratch []*handlespace.PE
	hrBuf   []rserpool.PoolElement // PEs of the Handle Resolution Response being built
	// replies are the messages of the ASAP hot path, reused: each is
	// encoded as soon as it is built, and passing it as a wire.Message
	// would otherwise cost an allocation per request.
	replies struct {
		reg   wire.RegistrationResponse
		dereg wire.DeregistrationResponse
		hr    wire.HandleResolutionResponse
		ka    wire.EndpointKeepAlive
		// ht is the Handle Table Response page being built; its pool
		// groups keep their PE slices from page to page.
		ht wire.HandleTableResponse
	}
	status Status

	// Stats counts what happened, for metrics and tests.
	Stats Stats
}

// Stats are cumulative counters.
type Stats struct {
	Registrations, Reregistrations, RegistrationsRejected uint64
	Deregistrations                                       uint64
	HandleResolutions, HandleResolutionsRefused           uint64
	EndpointUnreachables                                  uint64
	KeepAlivesSent, KeepAliveTimeouts, Expiries           uint64
	HandleUpdatesSent, HandleUpdatesReceived              uint64
	Synchronizations                                      uint64
	TakeoversStarted, TakeoversCompleted                  uint64
	// TakeoversRefused counts Init Takeovers not acknowledged and Takeover
	// Servers ignored because we heard the target recently.
	TakeoversRefused uint64
	ErrorsSent       uint64
	// OwnerRejections counts requests refused by OwnerCheck; ENRPRefused
	// ENRP messages ignored by ENRPAllow.
	OwnerRejections, ENRPRefused uint64
	// SendFailures counts sends the I/O layer reported as failed, by
	// socket (0 ASAP, 1 ENRP).
	SendFailures [2]uint64
	// StalledAssocs counts associations aborted because they held the
	// shared send buffer of their socket without progress.
	StalledAssocs uint64
	// HandleUpdatesHeld counts Handle Updates not sent to a peer whose
	// association stalled (it synchronises when it is heard again).
	HandleUpdatesHeld uint64
	// Received and Sent count messages by protocol (0 ASAP, 1 ENRP) and type.
	Received, Sent [2][16]uint64
	// Causes counts error causes sent, by cause.
	Causes map[rserpool.Cause]uint64
}

// New returns a core that starts at time now. rnd drives the announce jitter
// and the random policies; log receives RSPLIB-style log lines.
func New(cfg Config, now int64, rnd *rand.Rand, log Logger) *Core {
	if log == nil {
		log = NopLogger{}
	}
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(uint64(now), uint64(cfg.ID)))
	}
	c := &Core{
		cfg:     cfg,
		id:      cfg.ID,
		log:     log,
		rnd:     rnd,
		hs:      handlespace.New(cfg.ID, rnd),
		peers:   peerlist.New(cfg.ID),
		rate:    ratelimit.New(),
		startup: true,
	}
	c.Stats.Causes = map[rserpool.Cause]uint64{}
	c.opts.ReportCarriedCause = true
	c.opts.KeepLoopback = cfg.MinAddressScope <= rserpool.ScopeLoopback
	for _, p := range cfg.StaticPeers {
		c.peers.AddStatic(p, now)
	}
	// The first heartbeat ends the initialization phase.
	c.heartbeatAt = now + int64(cfg.MentorDiscoveryTimeout)
	if cfg.ENRPAnnounce || len(cfg.StaticPeers) > 0 {
		c.helloAt = max(now, 1)
	}
	if cfg.CSPInterval > 0 {
		c.cspAt = now
	}
	return c
}

// ID returns the registrar identifier.
func (c *Core) ID() rserpool.RegistrarID { return c.id }

// Handlespace gives read access to the handlespace (for tests, dumps and
// metrics; do not modify it).
func (c *Core) Handlespace() *handlespace.Handlespace { return c.hs }

// Peers gives read access to the peer list.
func (c *Core) Peers() *peerlist.List { return c.peers }

// InStartup reports whether the registrar is still in its initialization
// phase.
func (c *Core) InStartup() bool { return c.startup }

// Status returns the current status (valid until the next call).
func (c *Core) Status() *Status {
	s := &c.status
	s.ID = c.id
	s.PEs, s.OwnedPEs, s.Pools = c.hs.PEs(), c.hs.OwnedPEs(), c.hs.Pools()
	s.Peers = s.Peers[:0]
	for _, p := range c.peers.All() {
		s.Peers = append(s.Peers, p.ID)
	}
	return s
}

// SetENRPAddrs updates the local ENRP addresses advertised in Presence
// (interfaces may change while the daemon runs).
func (c *Core) SetENRPAddrs(addrs []netip.Addr) { c.cfg.ENRPAddrs = addrs }

func (c *Core) begin() {
	c.out = c.out[:0]
	c.buf = c.buf[:0]
}

// NextDeadline returns when HandleTimers must be called next.
func (c *Core) NextDeadline() (int64, bool) {
	t, ok := c.hs.NextTimer()
	consider := func(at int64) {
		if at != 0 && (!ok || at < t) {
			t, ok = at, true
		}
	}
	consider(c.announceAt)
	consider(c.heartbeatAt)
	consider(c.helloAt)
	consider(c.cspAt)
	if p := c.peers.NextTimer(); p != nil {
		consider(p.TimerAt)
	}
	return t, ok
}

// HandleTimers runs every timer that is due at now, earliest first.
func (c *Core) HandleTimers(now int64) []Action {
	c.begin()
	for i := 0; i < 1<<20; i++ { // bound: a timer that re-arms itself in the past must not loop forever
		next, ok := c.NextDeadline()
		if !ok || next > now {
			break
		}
		switch {
		case c.helloAt != 0 && c.helloAt == next:
			c.hello()
		case c.heartbeatAt != 0 && c.heartbeatAt == next:
			c.heartbeat(now)
		case c.announceAt != 0 && c.announceAt == next:
			c.serverAnnounce(now)
		case c.cspAt != 0 && c.cspAt == next:
			c.cspReport(now)
		default:
			if ts, ok := c.hs.NextTimer(); ok && ts == next {
				pe, code, _, _ := c.hs.PopDue(now)
				c.peTimer(now, pe, code)
				continue
			}
			if p := c.peers.NextTimer(); p != nil && p.TimerAt == next {
				c.peerTimer(now, p)
				continue
			}
		}
	}
	return c.out
}

// jitter returns RSPLIB's randomised cycle: uniform in [0.875 T, 1.125 T].
func (c *Core) jitter(d time.Duration) int64 {
	v := float64(d)
	return int64(v - v/8 + v/4*c.rnd.Float64())
}

func (c *Core) endStartup(now int64, fromMentor bool) {
	if fromMentor {
		c.logf(LogNote, "Initialization phase ended after obtaining handlespace from mentor server. The registrar is ready!")
	} else {
		c.logf(LogNote, "Initialization phase ended after ENRP mentor discovery timeout. The registrar is ready!")
	}
	c.startup = false
	if c.cfg.ASAPAnnounce {
		c.logf(LogAction, "Starting to send ASAP announcements")
		c.announceAt = now
		if c.announceAt == 0 {
			c.announceAt = 1
		}
	}
}

func (c *Core) serverAnnounce(now int64) {
	c.emitMulticast(ActMulticastASAP, &wire.ServerAnnounce{ServerID: c.id})
	c.announceAt = now + c.jitter(c.cfg.ServerAnnounceCycle)
}

func (c *Core) cspReport(now int64) {
	c.out = append(c.out, Action{Kind: ActCSP, CSP: c.Status()})
	c.cspAt = now + int64(c.cfg.CSPInterval)
}

// Shutdown returns the actions of a clean stop: RSPLIB sends no RSerPool
// message then, only the final CSP report (the I/O layer marks it final).
func (c *Core) Shutdown(now int64) []Action {
	c.begin()
	if c.cfg.CSPInterval > 0 {
		c.out = append(c.out, Action{Kind: ActCSP, CSP: c.Status()})
	}
	return c.out
}

// encode appends m to the arena and returns its bytes, or nil (logged) if m
// cannot be encoded.
func (c *Core) encode(m wire.Message) []byte {
	start := len(c.buf)
	b, err := m.AppendTo(c.buf)
	if err != nil {
		c.logf(LogError, "Unable to encode %s: %v", wire.TypeName(m.PPID(), m.Type()), err)
		return nil
	}
	c.buf = b
	count(&c.Stats.Sent, m)
	return b[start:len(b):len(b)]
}

// count adds a message to a per-protocol, per-type counter table.
func count(table *[2][16]uint64, m wire.Message) {
	i := 0
	if m.PPID() == wire.PPIDENRP {
		i = 1
	}
	table[i][m.Type()&15]++
}

// send replies on an association.
func (c *Core) send(sock Socket, assoc AssocID, m wire.Message) bool {
	data := c.encode(m)
	if data == nil {
		return false
	}
	c.out = append(c.out, Action{Kind: ActSend, Sock: sock, Assoc: assoc, PPID: m.PPID(), Data: data})
	return true
}

// sendTo sends to an address list from a socket.
func (c *Core) sendTo(sock Socket, to *rserpool.Transport, m wire.Message) bool {
	if to == nil || len(to.Addrs) == 0 {
		return false
	}
	data := c.encode(m)
	if data == nil {
		return false
	}
	c.out = append(c.out, Action{Kind: ActSendTo, Sock: sock, To: to, PPID: m.PPID(), Data: data})
	return true
}

func (c *Core) abort(sock Socket, assoc AssocID) {
	if assoc != 0 {
		c.out = append(c.out, Action{Kind: ActAbort, Sock: sock, Assoc: assoc})
	}
}

func (c *Core) emitMulticast(kind ActionKind, m wire.Message) {
	if data := c.encode(m); data != nil {
		c.out = append(c.out, Action{Kind: kind, PPID: m.PPID(), Data: data})
	}
}

// HandleMessage processes one message received on an SCTP socket.
func (c *Core) HandleMessage(now int64, sock Socket, assoc AssocID, ppid uint32, data []byte, info *AssocInfo) []Action {
	c.begin()
	if info == nil {
		info = &AssocInfo{}
	}
	switch {
	case ppid == wire.PPIDENRP && sock != SocketENRP, ppid == wire.PPIDASAP && sock != SocketASAP:
		c.logf(LogWarning, "Received PPID $%08x on wrong socket -> Sending ABORT to assoc %d!", ppid, assoc)
		c.abort(sock, assoc)
		return c.out
	}
	m, err := wire.Decode(ppid, data, c.opts)
	if err != nil {
		c.decodeFailed(sock, assoc, ppid, err)
		return c.out
	}
	count(&c.Stats.Received, m)
	if sock == SocketASAP {
		switch m := m.(type) {
		case *wire.Registration:
			c.handleRegistration(now, assoc, m, info)
		case *wire.Deregistration:
			c.handleDeregistration(now, assoc, m)
		case *wire.HandleResolution:
			c.handleHandleResolution(now, assoc, m)
		case *wire.EndpointKeepAliveAck:
			c.handleKeepAliveAck(now, m)
		case *wire.EndpointUnreachable:
			c.handleEndpointUnreachable(now, assoc, m)
		default:
			c.logf(LogWarning, "Got unsupported message type $%02x on ASAP unicast socket", m.Type())
		}
		return c.out
	}
	if c.enrpRefused(m, info.Addrs) {
		return c.out
	}
	switch m := m.(type) {
	case *wire.Presence:
		c.handlePresence(now, assoc, m, info, netip.AddrPort{})
	case *wire.HandleUpdate:
		c.handleHandleUpdate(now, assoc, m, info)
	case *wire.ListRequest:
		c.handleListRequest(now, assoc, m)
	case *wire.ListResponse:
		c.handleListResponse(now, m)
	case *wire.HandleTableRequest:
		c.handleHandleTableRequest(now, assoc, m)
	case *wire.HandleTableResponse:
		c.handleHandleTableResponse(now, assoc, m, info)
	case *wire.InitTakeover:
		c.handleInitTakeover(now, assoc, m)
	case *wire.InitTakeoverAck:
		c.handleInitTakeoverAck(now, m)
	case *wire.TakeoverServer:
		c.handleTakeoverServer(now, m)
	default:
		c.logf(LogWarning, "Got unsupported message type $%02x on ENRP unicast socket", m.Type())
	}
	return c.out
}

// HandleMulticast processes a datagram from the ENRP multicast group.
func (c *Core) HandleMulticast(now int64, data []byte, from netip.AddrPort) []Action {
	c.begin()
	m, err := wire.DecodeENRP(data, c.opts)
	if err != nil {
		c.logf(LogVerbose1, "Ignoring undecodable ENRP multicast datagram from %v: %v", from, err)
		return c.out
	}
	count(&c.Stats.Received, m)
	if c.enrpRefused(m, []netip.Addr{from.Addr().Unmap()}) {
		return c.out
	}
	if p, ok := m.(*wire.Presence); ok {
		c.handlePresence(now, 0, p, nil, from)
	} else {
		c.logf(LogWarning, "Got unsupported message type $%02x on ENRP multicast socket", m.Type())
	}
	return c.out
}

// decodeFailed answers an unparsable message as RSPLIB does: with an ASAP or
// ENRP Error on the same association, unless the failure is silent.
func (c *Core) decodeFailed(sock Socket, assoc AssocID, ppid uint32, err error) {
	de, ok := err.(*wire.DecodeError)
	if !ok {
		c.logf(LogWarning, "Unable to decode message on %s socket, assoc %d: %v", sock, assoc, err)
		return
	}
	reply := de.Reply()
	if reply == nil {
		c.logf(LogVerbose1, "Dropping message on %s socket, assoc %d: %v", sock, assoc, err)
		return
	}
	proto := "ASAP"
	if ppid == wire.PPIDENRP {
		proto = "ENRP"
	}
	c.logf(LogWarning, "Sending %s Error message in reply to message type $%02x: %s (%s)", proto, de.Type, de.Cause, de.Reason)
	c.Stats.ErrorsSent++
	c.Stats.Causes[de.Cause]++
	c.send(sock, assoc, reply)
}

// HandleAssocChange processes an association notification.
func (c *Core) HandleAssocChange(now int64, sock Socket, assoc AssocID, ev AssocEvent) []Action {
	c.begin()
	switch ev {
	case AssocCommLost:
		c.logf(LogAction, "Association communication lost for %s socket, assoc %d", sock, assoc)
	case AssocShutdownComplete:
		c.logf(LogAction, "Association shutdown completed for %s socket, assoc %d", sock, assoc)
	case AssocShutdownEvent:
		c.logf(LogAction, "Shutdown event for %s socket, assoc %d", sock, assoc)
	default:
		return c.out
	}
	if sock == SocketASAP {
		c.removePEsOfAssoc(now, assoc)
		c.rate.Forget(uint64(assoc))
	} else if ev == AssocCommLost || ev == AssocShutdownComplete {
		c.peerAssocLost(now, assoc)
	}
	return c.out
}

func (c *Core) removePEsOfAssoc(now int64, assoc AssocID) {
	c.scratch = c.hs.OfAssoc(c.scratch[:0], assoc)
	for _, pe := range c.scratch {
		c.logf(LogAction, "Removing pool element $%08x of pool %s (association %d is gone)", uint32(pe.ID()), pe.Handle(), assoc)
		if pe.Home() == c.id {
			c.sendHandleUpdate(pe.Handle(), pe.Element(), wire.UpdateDelPE)
		}
		c.hs.Remove(pe)
	}
}

// String describes the core for logs.
func (c *Core) String() string {
	return fmt.Sprintf("registrar %s: %d pools, %d PEs (%d owned), %d peers", c.id, c.hs.Pools(), c.hs.PEs(), c.hs.OwnedPEs(), c.peers.Len())
}
