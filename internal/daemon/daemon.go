// Package daemon runs a registrar core on real sockets: it binds the ASAP
// and ENRP SCTP sockets and their multicast companions the way RSPLIB does,
// reads them in one goroutine per socket, feeds the core from a single event
// loop goroutine that owns it, and carries out the core's actions (sends,
// aborts, multicasts, CSP reports).
//
// Reader goroutines only read, copy and classify; the handlespace and every
// timer belong to the loop, as in RSPLIB's single-threaded registrar.
package daemon

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"github.com/rserpool/rspregistrar/internal/announce"
	"github.com/rserpool/rspregistrar/internal/config"
	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/metrics"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/stats"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// maxPortAttempts is how often RSPLIB tries random ports for a socket pair.
const maxPortAttempts = 1024

// Daemon is a running registrar: its bound sockets and the event loop that
// owns its core. The sockets are kept here as what they are, for setting
// them up and handing them on (Sockets, Facts); the loop sees them only
// through the small interfaces of ports.go.
type Daemon struct {
	*loop
	id rserpool.RegistrarID

	asap, enrp   *sctp.Socket
	asapAnnounce *announce.Sender
	enrpAnnounce *announce.Sender
	enrpIn       *announce.Receiver
}

// Options are what the caller adds to the configuration.
type Options struct {
	// Inherit, when not nil, holds the bound sockets of the process this
	// one continues (daemon mode); they are used instead of new ones.
	Inherit *Sockets
	// Stats are counters to continue from (failure-test mode restarts),
	// nil to start at 0.
	Stats *registrar.Stats
	// Table receives a statistics line every StatsInterval (> 0), the
	// first one at once (-statsfile, -statsinterval).
	Table         *stats.Table
	StatsInterval time.Duration
	// Averages, when not nil, are kept up to date after every event
	// (-scalar).
	Averages *stats.Averages
	// Metrics, when not nil, is answered by the event loop.
	Metrics *metrics.Exporter
}

// Sockets are a daemon's bound sockets as files, to hand to a process that
// continues with them (os/exec ExtraFiles). The announce and multicast
// input files are nil when those sockets do not exist.
type Sockets struct {
	ASAP, ENRP                         *os.File
	ASAPAnnounce, ENRPAnnounce, ENRPIn *os.File
}

// Files lists the files that are not nil, in field order.
func (s *Sockets) Files() []*os.File {
	var out []*os.File
	for _, f := range []*os.File{s.ASAP, s.ENRP, s.ASAPAnnounce, s.ENRPAnnounce, s.ENRPIn} {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}

// Close closes every file.
func (s *Sockets) Close() {
	for _, f := range s.Files() {
		f.Close()
	}
}

type eventKind uint8

const (
	evMessage eventKind = iota
	evAssoc
	evMulticast
	evSendFailed // a queued send the outbox's writer gave up on
)

type event struct {
	kind       eventKind
	at         int64 // when a reader got it (metrics only)
	sock       registrar.Socket
	assoc      registrar.AssocID
	ppid       uint32
	data       *[]byte
	info       registrar.AssocInfo
	from       netip.AddrPort
	assocEvent registrar.AssocEvent
	failed     registrar.SendFailed
}

// eventQueue is how many events the readers may queue for the loop. Each
// reader hands over up to readBatch at a time; beyond that the queue only
// holds memory (128 bytes an event) while the kernel's buffers wait just
// as well.
const eventQueue = 1024

// StartError is a failure to set the daemon up; Msg is RSPLIB's wording for
// it, so that the one line an operator sees is the familiar one.
type StartError struct {
	Msg string
	Err error
}

func (e *StartError) Error() string { return e.Msg + ": " + e.Err.Error() }

func (e *StartError) Unwrap() error { return e.Err }

// Open binds every socket the configuration asks for (or takes over
// opts.Inherit) and builds the core. id is the registrar id to use (already
// chosen when -identifier was 0).
func Open(cfg *config.Config, log *logging.Logger, id rserpool.RegistrarID, opts Options) (*Daemon, error) {
	d := &Daemon{loop: &loop{cfg: cfg, log: log}, id: id}
	ok := false
	defer func() {
		if !ok {
			d.closeSockets()
		}
	}()
	var err error
	if opts.Inherit != nil {
		err = d.inherit(opts.Inherit)
	} else {
		err = d.bind()
	}
	if err != nil {
		return nil, err
	}
	for _, s := range []*sctp.Socket{d.asap, d.enrp} {
		if err := s.SetAutoClose(cfg.AutoCloseTimeout); err != nil {
			log.Errorf("Unable to set SCTP_AUTOCLOSE: %v", err)
		}
		if err := s.SetNoDelay(true); err != nil {
			log.Errorf("Unable to set SCTP_NODELAY: %v", err)
		}
	}
	// Acknowledge every packet at once, on both sockets. RSPLIB's hsdump
	// (and a peer paging a handle table) sends Presence, List Request
	// and Handle Table Request back to back without SCTP_NODELAY: its
	// kernel holds the last two until the Presence, which needs no answer,
	// is acknowledged, so with delayed SACKs every page of a dump waited
	// the 200 ms SACK delay (make test: 10,000 PEs took 83 s).
	for _, s := range []*sctp.Socket{d.asap, d.enrp} {
		if err := s.SetDelayedSack(0, 1); err != nil {
			log.Warningf("Unable to set SCTP_DELAYED_SACK: %v", err)
		}
	}
	io := ports{socks: [2]sctpSocket{registrar.SocketASAP: d.asap, registrar.SocketENRP: d.enrp}}
	// Only sockets that exist become interfaces: a nil *Sender in an
	// interface would not compare equal to nil.
	if d.asapAnnounce != nil {
		io.announce[registrar.SocketASAP] = d.asapAnnounce
	}
	if d.enrpAnnounce != nil {
		io.announce[registrar.SocketENRP] = d.enrpAnnounce
	}
	if d.enrpIn != nil {
		io.multicastIn = d.enrpIn
	}
	d.loop.init(d.coreConfig(), io, opts)
	ok = true
	return d, nil
}

// bind opens the sockets as RSPLIB does.
func (d *Daemon) bind() error {
	cfg := d.cfg
	ipv4Only := cfg.DisableIPv6
	ifaces := announce.SystemInterfaces
	var err error
	d.asap, d.asapAnnounce, err = openPair(cfg.ASAP, ipv4Only, cfg.ASAPAnnounce, cfg.AnnounceTTL, cfg.SocketBuffer, ifaces)
	if err != nil {
		return &StartError{"Unable to find suitable SCTP/UDP socket pair", err}
	}
	d.enrp, d.enrpAnnounce, err = openPair(cfg.ENRP, ipv4Only, cfg.ENRPAnnounce, cfg.AnnounceTTL, cfg.SocketBuffer, ifaces)
	if err != nil {
		return &StartError{"Unable to find suitable SCTP/UDP socket pair", err}
	}
	if cfg.ENRPAnnounce.Enabled {
		d.enrpIn, err = announce.NewReceiver(announce.ReceiverConfig{Group: cfg.ENRPAnnounce.Group, Interfaces: ifaces})
		if err != nil {
			return &StartError{fmt.Sprintf("ERROR: Unable to bind input UDP socket for ENRP to address %v", cfg.ENRPAnnounce.Group), err}
		}
	}
	return nil
}

// inherit takes over the sockets a parent process bound with the same
// configuration. The socket options set in Open are set again; that is
// harmless and keeps one code path.
func (d *Daemon) inherit(s *Sockets) error {
	cfg := d.cfg
	fail := func(what string, err error) error {
		return &StartError{"Unable to take over the " + what + " socket of the parent process", err}
	}
	var err error
	if s.ASAP == nil || s.ENRP == nil {
		return fail("SCTP", errors.New("missing"))
	}
	if d.asap, err = sctp.FileSocket(s.ASAP, 0); err != nil {
		return fail("ASAP", err)
	}
	if d.enrp, err = sctp.FileSocket(s.ENRP, 0); err != nil {
		return fail("ENRP", err)
	}
	ifaces := announce.SystemInterfaces
	if cfg.ASAPAnnounce.Enabled != (s.ASAPAnnounce != nil) || cfg.ENRPAnnounce.Enabled != (s.ENRPAnnounce != nil) ||
		cfg.ENRPAnnounce.Enabled != (s.ENRPIn != nil) {
		return fail("announce", errors.New("the sockets do not match the configuration"))
	}
	if s.ASAPAnnounce != nil {
		d.asapAnnounce, err = announce.NewSenderFromFile(s.ASAPAnnounce, announce.SenderConfig{Group: cfg.ASAPAnnounce.Group,
			Port: d.asap.Port(), TTL: cfg.AnnounceTTL, Interfaces: ifaces})
		if err != nil {
			return fail("ASAP announce", err)
		}
	}
	if s.ENRPAnnounce != nil {
		d.enrpAnnounce, err = announce.NewSenderFromFile(s.ENRPAnnounce, announce.SenderConfig{Group: cfg.ENRPAnnounce.Group,
			Port: d.enrp.Port(), TTL: cfg.AnnounceTTL, Interfaces: ifaces})
		if err != nil {
			return fail("ENRP announce", err)
		}
	}
	if s.ENRPIn != nil {
		d.enrpIn, err = announce.NewReceiverFromFile(s.ENRPIn, announce.ReceiverConfig{Group: cfg.ENRPAnnounce.Group, Interfaces: ifaces})
		if err != nil {
			return fail("ENRP multicast input", err)
		}
	}
	return nil
}

// Sockets returns duplicates of the bound sockets, for a process that
// continues in the background with them (see Options.Inherit). The caller
// closes them.
func (d *Daemon) Sockets() (*Sockets, error) {
	s := &Sockets{}
	var errs []error
	dup := func(f *os.File, err error) *os.File {
		errs = append(errs, err)
		return f
	}
	s.ASAP = dup(d.asap.File())
	s.ENRP = dup(d.enrp.File())
	if d.asapAnnounce != nil {
		s.ASAPAnnounce = dup(d.asapAnnounce.File())
	}
	if d.enrpAnnounce != nil {
		s.ENRPAnnounce = dup(d.enrpAnnounce.File())
	}
	if d.enrpIn != nil {
		s.ENRPIn = dup(d.enrpIn.File())
	}
	if err := errors.Join(errs...); err != nil {
		s.Close()
		return nil, fmt.Errorf("duplicating the registrar's sockets: %w", err)
	}
	return s, nil
}

// openPair binds an SCTP socket and, if announces are on, a UDP announce
// socket on the same port number: RSPLIB's clients take the announce's source
// port as the registrar's SCTP port. Without an explicit port both get a
// random port in [10000, 59999], retried up to 1024 times.
func openPair(local config.Local, ipv4Only bool, ann config.Announce, ttl, buffer int, ifaces announce.InterfaceLister) (*sctp.Socket, *announce.Sender, error) {
	addrs := local.Addresses(!ipv4Only)
	attempts := 1
	if local.Port == 0 {
		attempts = maxPortAttempts
	}
	var lastErr error
	for i := 0; i < attempts; i++ {
		port := local.Port
		if port == 0 {
			port = uint16(config.MinRandomPort + rand.IntN(config.MaxRandomPort-config.MinRandomPort+1))
		}
		s, err := sctp.Listen(sctp.Config{IPv4Only: ipv4Only, Addrs: addrs, Port: port,
			ReadBuffer: buffer, WriteBuffer: buffer})
		if err != nil {
			lastErr = err
			continue
		}
		if !ann.Enabled {
			return s, nil, nil
		}
		u, err := announce.NewSender(announce.SenderConfig{Group: ann.Group, Port: s.Port(), TTL: ttl, Interfaces: ifaces})
		if err != nil {
			s.Close()
			lastErr = err
			continue
		}
		return s, u, nil
	}
	return nil, nil, lastErr
}

func (d *Daemon) coreConfig() registrar.Config {
	c := d.cfg
	rc := c.Core
	rc.ID = d.id
	rc.ASAPAnnounce, rc.ENRPAnnounce = c.ASAPAnnounce.Enabled, c.ENRPAnnounce.Enabled
	rc.ENRPPort, rc.ENRPAddrs = d.enrp.Port(), d.enrpAddrs()
	rc.CSPInterval = c.CSP.Interval
	rc.StaticPeers = nil
	// A static peer that is ourselves (same port, one of our addresses) is
	// skipped, as RSPLIB does.
	for _, p := range c.Peers {
		if p.Port == d.enrp.Port() && overlapsLocal(p.Addrs, rc.ENRPAddrs) {
			continue
		}
		rc.StaticPeers = append(rc.StaticPeers, p)
	}
	return rc
}

func overlapsLocal(addrs, local []netip.Addr) bool {
	for _, a := range addrs {
		for _, l := range local {
			if a.Unmap() == l.Unmap() {
				return true
			}
		}
	}
	return false
}

// enrpAddrs are the local addresses of the ENRP socket (every address of the
// host when it is bound to the wildcard).
func (d *Daemon) enrpAddrs() []netip.Addr {
	aps, err := d.enrp.LocalAddrs()
	if err != nil {
		d.log.Errorf("Unable to obtain local ENRP socket addresses: %v", err)
		return nil
	}
	out := make([]netip.Addr, 0, len(aps))
	for _, ap := range aps {
		out = append(out, ap.Addr().Unmap())
	}
	return out
}

// ID returns the registrar id.
func (d *Daemon) ID() rserpool.RegistrarID { return d.id }

// Facts returns what the start-up banner shows about the bound sockets.
func (d *Daemon) Facts() config.Facts {
	useIPv6 := d.asap.IPv6()
	return config.Facts{
		ServerID: d.id,
		ASAP:     rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: d.asap.Port(), Addrs: d.cfg.ASAP.Addresses(useIPv6)},
		ENRP:     rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: d.enrp.Port(), Addrs: d.cfg.ENRP.Addresses(useIPv6)},
	}
}

// Core gives access to the core; only safe while Run is not running.
func (d *loop) Core() *registrar.Core { return d.core }

// Stats returns a copy of the core's counters; only safe while Run is not
// running (before, or after it returned).
func (d *loop) Stats() registrar.Stats { return copyStats(&d.core.Stats) }

func copyStats(s *registrar.Stats) registrar.Stats {
	c := *s
	c.Causes = make(map[rserpool.Cause]uint64, len(s.Causes))
	for k, v := range s.Causes {
		c.Causes[k] = v
	}
	return c
}

// Counters maps the core's counters to RSPLIB's statistics counters.
func Counters(s *registrar.Stats) stats.Counters {
	return stats.Counters{
		Registrations:      s.Registrations,
		Reregistrations:    s.Reregistrations,
		Deregistrations:    s.Deregistrations,
		HandleResolutions:  s.HandleResolutions,
		FailureReports:     s.EndpointUnreachables,
		Synchronizations:   s.Received[1][wire.ENRPHandleTableRequest],
		HandleUpdates:      s.HandleUpdatesReceived,
		EndpointKeepAlives: s.KeepAlivesSent,
	}
}

func (d *loop) sample() stats.Sample {
	st := d.core.Status()
	return stats.Sample{Peers: len(st.Peers), Pools: st.Pools, PoolElements: st.PEs, OwnedPoolElements: st.OwnedPEs,
		Counters: Counters(&d.core.Stats)}
}

func (d *loop) writeStats() {
	p, err := stats.ReadProcessTimes()
	if err != nil {
		d.log.Warningf("Unable to obtain process performance data! (%v)", err)
	}
	if err := d.table.Write(time.Now(), d.sample(), p); err != nil {
		if !d.statsWarned {
			d.log.Errorf("%v", err)
		}
		d.statsWarned = true
		return
	}
	d.statsWarned = false
}

// snapshot copies what a metrics scrape shows.
func (d *loop) snapshot() *metrics.Snapshot {
	st := d.core.Status()
	s := &metrics.Snapshot{Status: *st, Stats: copyStats(&d.core.Stats),
		Associations: [2]int{len(d.assocs[0]), len(d.assocs[1])},
		EventLatency: d.eventLatency, TimerLateness: d.timerLateness}
	for i, o := range d.out {
		if o != nil {
			s.SendQueue[i] = o.queued()
		}
	}
	s.Status.Peers = append([]rserpool.RegistrarID(nil), st.Peers...)
	return s
}

// closeSockets closes the sockets bound so far, when Open fails; once the
// loop has them, its shutdown closes them.
func (d *Daemon) closeSockets() {
	if d.enrpAnnounce != nil {
		d.enrpAnnounce.Close()
	}
	if d.enrpIn != nil {
		d.enrpIn.Close()
	}
	if d.enrp != nil {
		d.enrp.Close()
	}
	if d.asapAnnounce != nil {
		d.asapAnnounce.Close()
	}
	if d.asap != nil {
		d.asap.Close()
	}
}

// coreLog hands the core's log lines to the logger with the core's call
// site.
type coreLog struct{ l *logging.Logger }

func (c coreLog) Enabled(level int) bool { return c.l.Enabled(logging.Level(level)) }

func (c coreLog) Log(level int, msg string) { c.l.LogSkip(logging.Level(level), 2, msg) }
