package daemon

// The event loop over fake sockets: these tests run Run, its readers, its
// timer, the outboxes and the send-failure path without a kernel. The
// timer tests run in a synctest bubble, so that keep-alive rounds and
// timeouts pass on a fake clock.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rserpool/rspregistrar/internal/config"
	"github.com/rserpool/rspregistrar/internal/csp"
	"github.com/rserpool/rspregistrar/internal/metrics"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/stats"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// sent is one thing a fake socket was asked to do.
type sent struct {
	abort bool
	assoc sctp.AssocID
	to    netip.AddrPort // for a send to an address list
	ppid  uint32
	msg   wire.Message // decoded
}

// fakeSocket is an SCTP socket in memory: the test queues what ReadBatch
// returns and reads what was sent, decoded, from out.
type fakeSocket struct {
	in     chan sctp.Message
	out    chan sent
	closed chan struct{}
	once   sync.Once

	mu sync.Mutex
	// refuse makes sends of these message types fail as the kernel
	// refuses a send on a broken association.
	refuse    map[uint8]bool
	peerCalls int
	peers     map[sctp.AssocID][]netip.AddrPort
}

func newFakeSocket() *fakeSocket {
	return &fakeSocket{in: make(chan sctp.Message, 64), out: make(chan sent, 256), closed: make(chan struct{}),
		refuse: map[uint8]bool{}, peers: map[sctp.AssocID][]netip.AddrPort{}}
}

var errRefused = errors.New("fake: association broken")

func (f *fakeSocket) ReadBatch(ms []sctp.Message) (int, error) {
	select {
	case m := <-f.in:
		ms[0] = m
		n := 1
		for n < len(ms) {
			select {
			case m := <-f.in:
				ms[n] = m
				n++
				continue
			default:
			}
			break
		}
		return n, nil
	case <-f.closed:
		return 0, sctp.ErrClosed
	}
}

func (f *fakeSocket) record(assoc sctp.AssocID, to netip.AddrPort, b []byte, info sctp.SendInfo) error {
	f.mu.Lock()
	refused := len(b) > 0 && f.refuse[b[0]]
	f.mu.Unlock()
	if refused {
		return errRefused
	}
	m, err := wire.Decode(info.PPID, b, wire.DecodeOptions{})
	if err != nil {
		return fmt.Errorf("fake: the loop sent an undecodable message: %w", err)
	}
	f.out <- sent{assoc: assoc, to: to, ppid: info.PPID, msg: m}
	return nil
}

func (f *fakeSocket) Send(assoc sctp.AssocID, b []byte, info sctp.SendInfo) error {
	return f.record(assoc, netip.AddrPort{}, b, info)
}

func (f *fakeSocket) SendToAddrs(addrs []netip.Addr, port uint16, b []byte, info sctp.SendInfo) error {
	return f.record(0, netip.AddrPortFrom(addrs[0], port), b, info)
}

func (f *fakeSocket) SendBatch(ms []sctp.Outgoing) (int, error) {
	for i, m := range ms {
		var err error
		if m.Assoc != 0 {
			err = f.Send(m.Assoc, m.Data, m.Info)
		} else {
			err = f.SendToAddrs(m.To, m.Port, m.Data, m.Info)
		}
		if err != nil {
			return i, err
		}
	}
	return len(ms), nil
}

func (f *fakeSocket) Abort(assoc sctp.AssocID, _ []byte) error {
	f.out <- sent{abort: true, assoc: assoc}
	return nil
}

func (f *fakeSocket) SetWriteDeadline(time.Time) error { return nil }

func (f *fakeSocket) PeerAddrs(assoc sctp.AssocID) ([]netip.AddrPort, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.peerCalls++
	if aps, ok := f.peers[assoc]; ok {
		return aps, nil
	}
	return nil, errors.New("fake: no such association")
}

func (f *fakeSocket) Status(sctp.AssocID) (sctp.Status, error) {
	return sctp.Status{Primary: sctp.PeerAddrInfo{SRTT: 10 * time.Millisecond}}, nil
}

func (f *fakeSocket) LocalAddrs() ([]netip.AddrPort, error) {
	return []netip.AddrPort{netip.MustParseAddrPort("198.18.0.1:3863")}, nil
}

func (f *fakeSocket) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeSocket) isClosed() bool {
	select {
	case <-f.closed:
		return true
	default:
		return false
	}
}

// fakeAnnouncer records the announces sent.
type fakeAnnouncer struct {
	out    chan []byte
	closed bool
}

func (a *fakeAnnouncer) Send(b []byte) (int, error) {
	a.out <- append([]byte(nil), b...)
	return len(b), nil
}

func (a *fakeAnnouncer) Close() error { a.closed = true; return nil }

// fakeMulticastIn delivers what the test puts into in, as the ENRP
// multicast receiver does.
type fakeMulticastIn struct {
	in      chan datagram
	closed  chan struct{}
	once    sync.Once
	rejoins int
}

type datagram struct {
	b    []byte
	from netip.AddrPort
}

func (m *fakeMulticastIn) Run(deliver func([]byte, netip.AddrPort)) error {
	for {
		select {
		case d := <-m.in:
			deliver(d.b, d.from)
		case <-m.closed:
			return nil
		}
	}
}

func (m *fakeMulticastIn) Rejoin() (int, error) { m.rejoins++; return 1, nil }

func (m *fakeMulticastIn) Close() error {
	m.once.Do(func() { close(m.closed) })
	return nil
}

// testLoop is a loop over fake sockets, running until stop.
type testLoop struct {
	*loop
	asap, enrp *fakeSocket
	done       chan error
	cancel     context.CancelFunc
	hup        chan struct{}
}

const peAssoc = sctp.AssocID(7)

var peAddr = netip.MustParseAddrPort("198.18.0.2:40000")

// startLoop runs a loop with core configuration rc; edit changes the ports
// (announces, multicast input) before it starts.
func startLoop(t *testing.T, cfg *config.Config, rc registrar.Config, opts Options, edit func(*ports)) *testLoop {
	t.Helper()
	log, _ := testLogger(t)
	tl := &testLoop{asap: newFakeSocket(), enrp: newFakeSocket(), done: make(chan error, 1), hup: make(chan struct{})}
	tl.asap.peers[peAssoc] = []netip.AddrPort{peAddr}
	io := ports{socks: [2]sctpSocket{registrar.SocketASAP: tl.asap, registrar.SocketENRP: tl.enrp}}
	if edit != nil {
		edit(&io)
	}
	tl.loop = &loop{cfg: cfg, log: log}
	tl.loop.init(rc, io, opts)
	ctx, cancel := context.WithCancel(context.Background())
	tl.cancel = cancel
	go func() { tl.done <- tl.Run(ctx, tl.hup) }()
	return tl
}

// stop ends Run and returns its error.
func (tl *testLoop) stop(t *testing.T) {
	t.Helper()
	tl.cancel()
	if err := <-tl.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !tl.asap.isClosed() || !tl.enrp.isClosed() {
		t.Fatal("Run returned with a socket open")
	}
}

func encode(t *testing.T, m wire.Message) []byte {
	t.Helper()
	b, err := m.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asapMessage(t *testing.T, assoc sctp.AssocID, m wire.Message) sctp.Message {
	return sctp.Message{Data: encode(t, m), Info: sctp.RcvInfo{Assoc: assoc, PPID: wire.PPIDASAP}}
}

// request sends m over peAssoc and fails the test unless the loop answers
// with a message of type T.
func request[T wire.Message](t *testing.T, tl *testLoop, m wire.Message) {
	t.Helper()
	tl.asap.in <- asapMessage(t, peAssoc, m)
	if out := next(t, tl.asap); !isA[T](out.msg) {
		t.Fatalf("answer %+v (%T) to %T, want a %T", out, out.msg, m, *new(T))
	}
}

func isA[T any](v any) bool { _, ok := v.(T); return ok }

func registration(id rserpool.PEID) *wire.Registration {
	return &wire.Registration{Handle: "EchoPool", PE: rserpool.PoolElement{ID: id, RegistrationLife: 90000,
		User:   rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: peAddr.Port(), Addrs: []netip.Addr{peAddr.Addr()}},
		Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}}}
}

func assocUp(assoc sctp.AssocID) sctp.Message {
	return sctp.Message{Notification: sctp.AssocChange{Assoc: assoc, State: sctp.CommUp}}
}

func next(t *testing.T, s *fakeSocket) sent {
	t.Helper()
	select {
	case out := <-s.out:
		return out
	case <-time.After(10 * time.Second): // liveness bound only
		t.Fatal("the loop sent nothing")
		return sent{}
	}
}

func testConfigs() (*config.Config, registrar.Config) {
	cfg := config.Default()
	rc := cfg.Core
	rc.ID = 0x01020304
	rc.ENRPPort, rc.ENRPAddrs = 3864, []netip.Addr{netip.MustParseAddr("198.18.0.1")}
	return &cfg, rc
}

// A Registration read from the ASAP socket is answered on its association;
// the peer addresses are asked of the socket once per association (the
// contract's NeedAddrs), and a notification about the association makes
// the reader ask again.
func TestLoopAnswersRegistrations(t *testing.T) {
	cfg, rc := testConfigs()
	tl := startLoop(t, cfg, rc, Options{}, nil)
	tl.asap.in <- assocUp(peAssoc)
	for _, id := range []rserpool.PEID{1, 2} {
		tl.asap.in <- asapMessage(t, peAssoc, registration(id))
		out := next(t, tl.asap)
		resp, ok := out.msg.(*wire.RegistrationResponse)
		if !ok || out.assoc != peAssoc || resp.ID != id || resp.Error.Cause != rserpool.CauseOkay {
			t.Fatalf("answer %+v (%T), want an accepting Registration Response for PE %d on assoc %d", out, out.msg, id, peAssoc)
		}
	}
	tl.asap.in <- sctp.Message{Notification: sctp.PeerAddrChange{Assoc: peAssoc}}
	tl.asap.in <- asapMessage(t, peAssoc, registration(3))
	next(t, tl.asap)
	tl.stop(t)
	if tl.asap.peerCalls != 2 {
		t.Errorf("peer addresses asked %d times, want 2 (once, then after the address change)", tl.asap.peerCalls)
	}
	if n := tl.Core().Handlespace().PEs(); n != 3 {
		t.Errorf("%d PEs registered, want 3", n)
	}
}

// What a reader cannot hand on whole is dropped with a warning, and the loop
// goes on.
func TestLoopDropsBrokenInput(t *testing.T) {
	cfg, rc := testConfigs()
	log, logged := testLogger(t)
	tl := startLoop(t, cfg, rc, Options{}, nil)
	tl.log = log
	big := asapMessage(t, peAssoc, registration(1))
	big.Truncated = true
	tl.asap.in <- big
	tl.asap.in <- sctp.Message{Err: errors.New("fake: bad notification")}
	tl.asap.in <- asapMessage(t, peAssoc, registration(2))
	if out := next(t, tl.asap); out.msg.(*wire.RegistrationResponse).ID != 2 {
		t.Fatalf("answer %+v, want the one for PE 2 only", out)
	}
	tl.stop(t)
	for _, want := range []string{"Dropping a message of more than", "fake: bad notification"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logged)
		}
	}
}

// A reply the kernel refuses goes back to the core, which aborts the
// association (RSPLIB's rule) and counts it; the daemon decides nothing.
func TestLoopReportsSendFailures(t *testing.T) {
	cfg, rc := testConfigs()
	tl := startLoop(t, cfg, rc, Options{}, nil)
	tl.asap.mu.Lock()
	tl.asap.refuse[wire.ASAPRegistrationResponse] = true
	tl.asap.mu.Unlock()
	tl.asap.in <- asapMessage(t, peAssoc, registration(1))
	if out := next(t, tl.asap); !out.abort || out.assoc != peAssoc {
		t.Fatalf("did %+v, want assoc %d aborted", out, peAssoc)
	}
	// The kernel then reports the association lost: its PE goes. The
	// answer to a registration over another association, read after it,
	// shows that the loop has handled it.
	tl.asap.in <- sctp.Message{Notification: sctp.AssocChange{Assoc: peAssoc, State: sctp.CommLost}}
	tl.asap.mu.Lock()
	tl.asap.peers[peAssoc+1] = []netip.AddrPort{peAddr}
	tl.asap.refuse = nil
	tl.asap.mu.Unlock()
	tl.asap.in <- asapMessage(t, peAssoc+1, registration(2))
	next(t, tl.asap)
	tl.stop(t)
	if f := tl.Stats().SendFailures; f != [2]uint64{1, 0} {
		t.Errorf("send failures %v, want one on ASAP", f)
	}
	if hs := tl.Core().Handlespace(); hs.PEs() != 1 || hs.Find("EchoPool", 1) != nil {
		t.Errorf("%d PEs left, PE 1 there: %v; want only PE 2, PE 1 gone with its association", hs.PEs(), hs.Find("EchoPool", 1) != nil)
	}
}

// Keep-alive rounds and the timeout of a PE that does not answer run on
// the loop's timer (fake clock).
func TestLoopKeepAliveTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, rc := testConfigs()
		rc.KeepAliveTransmissionInterval = time.Second
		rc.KeepAliveTimeoutInterval = time.Second
		tl := startLoop(t, cfg, rc, Options{}, nil)
		request[*wire.RegistrationResponse](t, tl, registration(1))
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		out := next(t, tl.asap)
		if ka, ok := out.msg.(*wire.EndpointKeepAlive); !ok || out.assoc != peAssoc || ka.ID != 1 {
			t.Fatalf("after the interval: %+v (%T), want a Keep Alive for PE 1", out, out.msg)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		tl.stop(t)
		if n, to := tl.Core().Handlespace().PEs(), tl.Stats().KeepAliveTimeouts; n != 0 || to != 1 {
			t.Errorf("%d PEs left, %d keep-alive timeouts; want the silent PE removed", n, to)
		}
	})
}

// With announces on, the loop multicasts ASAP Server Announces and ENRP
// Presences through its announcers, joins the group, and hands what the
// multicast input receives to the core; shutdown closes them all.
func TestLoopMulticast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, rc := testConfigs()
		cfg.ASAPAnnounce.Enabled, cfg.ENRPAnnounce.Enabled = true, true
		rc.ASAPAnnounce, rc.ENRPAnnounce = true, true
		asapAnn, enrpAnn := &fakeAnnouncer{out: make(chan []byte, 64)}, &fakeAnnouncer{out: make(chan []byte, 64)}
		in := &fakeMulticastIn{in: make(chan datagram, 4), closed: make(chan struct{})}
		tl := startLoop(t, cfg, rc, Options{}, func(p *ports) {
			p.announce = [2]datagramSender{registrar.SocketASAP: asapAnn, registrar.SocketENRP: enrpAnn}
			p.multicastIn = in
		})
		peer := &wire.Presence{Sender: 0x0a0b0c0d, Info: wire.ServerInfo{ID: 0x0a0b0c0d, Transport: rserpool.Transport{
			Protocol: rserpool.ProtocolSCTP, Port: 9901, Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.3")}}}}
		in.in <- datagram{b: encode(t, peer), from: netip.MustParseAddrPort("198.18.0.3:9901")}
		// Past the mentor discovery and a heartbeat (with its jitter).
		time.Sleep(rc.MentorDiscoveryTimeout + 2*rc.PeerHeartbeatCycle)
		synctest.Wait()
		tl.stop(t)
		if len(asapAnn.out) == 0 || len(enrpAnn.out) == 0 {
			t.Fatalf("%d Server Announces and %d Presences multicast", len(asapAnn.out), len(enrpAnn.out))
		}
		if m, err := wire.DecodeASAP(<-asapAnn.out, wire.DecodeOptions{}); err != nil || m.Type() != wire.ASAPServerAnnounce {
			t.Errorf("ASAP multicast %v, %v; want a Server Announce", m, err)
		}
		if m, err := wire.DecodeENRP(<-enrpAnn.out, wire.DecodeOptions{}); err != nil || m.Type() != wire.ENRPPresence {
			t.Errorf("ENRP multicast %v, %v; want a Presence", m, err)
		}
		if n := tl.Core().Peers().Len(); n != 1 {
			t.Errorf("%d peers after a multicast Presence, want 1", n)
		}
		if in.rejoins == 0 {
			t.Error("the multicast group was never joined")
		}
		if !asapAnn.closed || !enrpAnn.closed {
			t.Error("an announcer is still open after shutdown")
		}
	})
}

// With -statsfile the loop writes a statistics line at once and every
// interval, and keeps the -scalar averages up to date.
func TestLoopStatistics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, rc := testConfigs()
		var table strings.Builder
		avg := &stats.Averages{}
		avg.Start(time.Now())
		tl := startLoop(t, cfg, rc, Options{Table: stats.NewTable(&table), StatsInterval: time.Second, Averages: avg}, nil)
		tl.asap.in <- asapMessage(t, peAssoc, registration(1))
		next(t, tl.asap)
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		tl.stop(t)
		if lines := strings.Count(table.String(), "\n"); lines < 3 {
			t.Errorf("%d statistics lines in 2.5 s at 1 s, want 3 or more (one at once):\n%s", lines, table.String())
		}
	})
}

// A metrics scrape is answered by the loop, with the core's state and the
// associations the loop saw come up; SIGHUP reopens the log.
func TestLoopMetricsAndHangup(t *testing.T) {
	cfg, rc := testConfigs()
	exp := metrics.New("test", 5*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go exp.Serve(ln)
	defer exp.Close()
	tl := startLoop(t, cfg, rc, Options{Metrics: exp}, nil)
	tl.asap.in <- assocUp(peAssoc)
	tl.asap.in <- asapMessage(t, peAssoc, registration(1))
	next(t, tl.asap)
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	found := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		found[sc.Text()] = true
	}
	for _, want := range []string{"rspregistrar_pool_elements 1", `rspregistrar_associations{socket="asap"} 1`,
		`rspregistrar_send_queue_bytes{socket="asap"} 0`} {
		if !found[want] {
			t.Errorf("scrape lacks %q:\n%s", want, body)
		}
	}
	tl.hup <- struct{}{}
	tl.stop(t)
}

// With -cspinterval the loop sends Component Status reports to the
// monitor, and a final one when it stops.
func TestLoopCSPReports(t *testing.T) {
	mon, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	cfg, rc := testConfigs()
	cfg.CSP.Interval, rc.CSPInterval = 50*time.Millisecond, 50*time.Millisecond
	cfg.CSP.Server = mon.LocalAddr().(*net.UDPAddr).AddrPort()
	tl := startLoop(t, cfg, rc, Options{}, nil)
	buf := make([]byte, 65536)
	read := func() (*csp.Report, error) {
		n, err := mon.Read(buf)
		if err != nil {
			return nil, err
		}
		var r csp.Report
		return &r, r.UnmarshalBinary(buf[:n])
	}
	mon.SetReadDeadline(time.Now().Add(10 * time.Second)) // liveness bound only
	first, err := read()
	if err != nil || first.Final() {
		t.Fatalf("first CSP report %+v, %v; want a periodic one", first, err)
	}
	tl.stop(t)
	var last *csp.Report
	mon.SetReadDeadline(time.Now().Add(time.Second))
	for {
		r, err := read()
		if err != nil {
			break
		}
		last = r
	}
	if last == nil || !last.Final() {
		t.Errorf("last CSP report %+v, want the final one", last)
	}
}

// A queued send that the outbox's writer gives up on reaches the core
// through the loop's event queue.
func TestLoopReportsWriterFailures(t *testing.T) {
	cfg, rc := testConfigs()
	tl := startLoop(t, cfg, rc, Options{}, nil)
	tl.reportSendFailure(registrar.SendFailed{Sock: registrar.SocketASAP, Assoc: registrar.AssocID(peAssoc), PPID: wire.PPIDASAP,
		Type: wire.ASAPEndpointKeepAlive, Why: registrar.SendTimedOut})
	if out := next(t, tl.asap); !out.abort || out.assoc != peAssoc {
		t.Fatalf("did %+v, want assoc %d aborted", out, peAssoc)
	}
	tl.stop(t)
}

// A Keep Alive Ack the readers queued before the loop woke for the PE's
// keep-alive timeout is taken first, as RSPLIB's dispatcher takes socket
// events before timers: the PE stays. (Run's select would pick the timer
// or the queue at random when both are ready after a late wake-up.)
func TestLoopTakesQueuedInputBeforeTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, rc := testConfigs()
		rc.KeepAliveTransmissionInterval = time.Second
		rc.KeepAliveTimeoutInterval = time.Second
		log, _ := testLogger(t)
		asap, enrp := newFakeSocket(), newFakeSocket()
		asap.peers[peAssoc] = []netip.AddrPort{peAddr}
		d := &loop{cfg: cfg, log: log}
		d.init(rc, ports{socks: [2]sctpSocket{registrar.SocketASAP: asap, registrar.SocketENRP: enrp}}, Options{})
		defer func() {
			for _, o := range d.out {
				o.close()
			}
		}()
		msg := func(m wire.Message) event {
			b := encode(t, m)
			return event{kind: evMessage, sock: registrar.SocketASAP, assoc: registrar.AssocID(peAssoc), ppid: wire.PPIDASAP,
				data: &b, info: registrar.AssocInfo{OK: true, Addrs: []netip.Addr{peAddr.Addr()}, Port: peAddr.Port()}}
		}
		d.handle(d.now(), msg(registration(1)))
		if _, ok := next(t, asap).msg.(*wire.RegistrationResponse); !ok {
			t.Fatal("no Registration Response")
		}
		time.Sleep(1500 * time.Millisecond)
		d.fireTimers()
		if ka, ok := next(t, asap).msg.(*wire.EndpointKeepAlive); !ok || ka.ID != 1 {
			t.Fatal("no Keep Alive for PE 1")
		}
		// The loop wakes only after the timeout, with the answer queued.
		time.Sleep(1500 * time.Millisecond)
		d.events <- msg(&wire.EndpointKeepAliveAck{Handle: "EchoPool", ID: 1})
		d.fireTimers()
		if n, to := d.core.Handlespace().PEs(), d.core.Stats.KeepAliveTimeouts; n != 1 || to != 0 {
			t.Errorf("%d PEs, %d keep-alive timeouts; want the answering PE kept", n, to)
		}
	})
}

// When the PE with the earliest timer goes, the loop's timer must follow to
// the next PE's keep-alive and send it on time.
func TestLoopKeepAliveAfterEarliestPEGoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, rc := testConfigs()
		rc.KeepAliveTransmissionInterval = time.Second
		rc.KeepAliveTimeoutInterval = time.Second
		tl := startLoop(t, cfg, rc, Options{}, nil)
		start := time.Now()
		request[*wire.RegistrationResponse](t, tl, registration(1))
		time.Sleep(400 * time.Millisecond)
		request[*wire.RegistrationResponse](t, tl, registration(2))
		request[*wire.DeregistrationResponse](t, tl, &wire.Deregistration{Handle: "EchoPool", ID: 1})
		out := next(t, tl.asap)
		ka, ok := out.msg.(*wire.EndpointKeepAlive)
		if !ok || ka.ID != 2 {
			t.Fatalf("got %+v (%T), want a Keep Alive for PE 2", out, out.msg)
		}
		// PE 2 registered at 0.4 s; its keep-alive is due at 1.4 s, sent
		// within the loop's timer slack.
		if d := time.Since(start); d < 1400*time.Millisecond || d > 1400*time.Millisecond+timerSlack {
			t.Errorf("Keep Alive for PE 2 sent at %v, want at 1.4 s (+%v slack)", d, timerSlack)
		}
		tl.stop(t)
	})
}
