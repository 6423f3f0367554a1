//go:build linux && !386

package sctp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

var (
	addr1 = netip.MustParseAddr("198.18.0.1")
	addr2 = netip.MustParseAddr("198.18.0.2")
	addr3 = netip.MustParseAddr("198.18.0.3")
	addr6 = netip.MustParseAddr("2001:db8::1")
)

func listen(t testing.TB, cfg Config) *Socket {
	t.Helper()
	s, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sortedAddrs(a []netip.AddrPort) []string {
	var out []string
	for _, x := range a {
		out = append(out, x.String())
	}
	slices.Sort(out)
	return out
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

func TestSandboxAvailable(t *testing.T) {
	sandboxtest.Require(t)
	for _, ipv6 := range []bool{false, true} {
		if err := Available(ipv6); err != nil {
			t.Fatal(err)
		}
	}
}

// A multi-homed server (bindx 198.18.0.1 + .2) and a client in another
// process: implicit setup by sending to an address list, messages both ways
// with PPIDs 11/12 on streams 0/1, association events, peer and local
// addresses, SCTP_STATUS, and messages far larger than the path MTU.
func TestSandboxMessagesBothWays(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{Addrs: []netip.Addr{addr1, addr2}, MaxMessageSize: 1 << 20})
	if err := srv.SetAutoClose(300 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetNoDelay(true); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetDelayedSack(0, 1); err != nil {
		t.Fatal(err)
	}
	port := srv.Port()
	if port == 0 || !srv.IPv6() {
		t.Fatalf("port %d, IPv6 %v", port, srv.IPv6())
	}
	local, err := srv.LocalAddrs()
	if err != nil {
		t.Fatal(err)
	}
	wantLocal := sortedAddrs([]netip.AddrPort{netip.AddrPortFrom(addr1, port), netip.AddrPortFrom(addr2, port)})
	if got := sortedAddrs(local); !slices.Equal(got, wantLocal) {
		t.Errorf("local addresses %v, want %v", got, wantLocal)
	}

	c := startChild(t)
	cport := atoi(t, c.do("open c %s", addr3)[1])
	cfrom := netip.AddrPortFrom(addr3, uint16(cport))
	cassoc := atoi(t, c.do("sendto c %s,%s %d 11 0 text:hello-asap", addr1, addr2, port)[1])
	if cassoc == 0 {
		t.Error("SendTo reported no association")
	}

	m := &Message{}
	readUntil(t, srv, m, "COMM_UP", isAssocChange(CommUp))
	assoc := m.Info.Assoc
	if ac := m.Notification.(AssocChange); ac.OutStreams < 2 || ac.InStreams < 2 || assoc == 0 {
		t.Errorf("COMM_UP %+v", ac)
	}
	readUntil(t, srv, m, "first message", isData)
	if string(m.Data) != "hello-asap" || m.Info.PPID != 11 || m.Info.Stream != 0 || m.Info.Assoc != assoc || m.From != cfrom {
		t.Errorf("got %s", describe(m))
	}
	c.do("send c %d 12 1 text:hello-enrp", cassoc)
	readUntil(t, srv, m, "second message", isData)
	if string(m.Data) != "hello-enrp" || m.Info.PPID != 12 || m.Info.Stream != 1 || m.Info.Assoc != assoc {
		t.Errorf("got %s", describe(m))
	}

	peers, err := srv.PeerAddrs(assoc)
	if err != nil || len(peers) != 1 || peers[0] != cfrom {
		t.Errorf("peer addresses %v, %v; want [%v]", peers, err, cfrom)
	}
	alocal, err := srv.AssocLocalAddrs(assoc)
	if err != nil || !slices.Equal(sortedAddrs(alocal), wantLocal) {
		t.Errorf("association's local addresses %v, %v; want %v", alocal, err, wantLocal)
	}
	if id, err := srv.AssocOf(cfrom); err != nil || id != assoc {
		t.Errorf("AssocOf(%v) = %d, %v; want %d", cfrom, id, err, assoc)
	}
	if _, err := srv.AssocOf(netip.AddrPortFrom(addr3, uint16(cport+1))); err == nil {
		t.Error("AssocOf of an unknown peer: no error")
	}
	st, err := srv.Status(assoc)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Established() || st.Assoc != assoc || st.Primary.Addr != cfrom || st.Primary.MTU == 0 {
		t.Errorf("status %+v", st)
	}
	pi, err := srv.PeerAddrInfo(assoc, cfrom)
	if err != nil || pi.Addr != cfrom || pi.MTU != st.Primary.MTU {
		t.Errorf("path info %+v, %v", pi, err)
	}
	t.Logf("status: state %d, primary %v SRTT %v RTO %v MTU %d, streams %d/%d",
		st.State, st.Primary.Addr, st.Primary.SRTT, st.Primary.RTO, st.Primary.MTU, st.OutStreams, st.InStreams)

	// Server to client, PPID 12 on stream 1 and PPID 11 on stream 0.
	if err := srv.Send(assoc, []byte("pong"), SendInfo{PPID: 12, Stream: 1}); err != nil {
		t.Fatal(err)
	}
	if got := c.readUntil("c", "data"); got != fmt.Sprintf("data %d 12 1 4 text:pong %s", cassoc, netip.AddrPortFrom(addr1, port)) &&
		got != fmt.Sprintf("data %d 12 1 4 text:pong %s", cassoc, netip.AddrPortFrom(addr2, port)) {
		t.Errorf("child got %q", got)
	}
	// Larger than the loopback MTU (65536), so it travels in several
	// DATA chunks and several packets.
	const big = 150000
	if err := srv.Send(assoc, pattern(big), SendInfo{PPID: 11}); err != nil {
		t.Fatal(err)
	}
	if got := c.readUntil("c", "data"); !strings.HasPrefix(got, fmt.Sprintf("data %d 11 0 %d pattern-ok ", cassoc, big)) {
		t.Errorf("child got %q", got)
	}

	// Client to server into a 1000-byte buffer: Read must join 150 parts.
	c.do("send c %d 11 0 size:%d", cassoc, big)
	small := &Message{Buf: make([]byte, 1000)}
	readUntil(t, srv, small, "big message", isData)
	if len(small.Data) != big || !isPattern(small.Data) || small.Truncated || small.Info.PPID != 11 || small.Info.Assoc != assoc {
		t.Errorf("got %s", describe(small))
	}
	c.do("send c %d 12 0 text:after-big", cassoc)
	readUntil(t, srv, small, "message after the big one", isData)
	if string(small.Data) != "after-big" {
		t.Errorf("got %s", describe(small))
	}
	if d := srv.Dropped(); d != 0 {
		t.Errorf("%d messages dropped", d)
	}
}

// A message longer than MaxMessageSize comes back truncated, and the next
// message is intact; SCTP_INITMSG sets the stream counts.
func TestSandboxTruncation(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{Addrs: []netip.Addr{addr1}, MaxMessageSize: 2048,
		InitMsg: &InitMsg{OutStreams: 4, MaxInStreams: 3}})
	c := startChild(t)
	c.do("open c %s", addr3)
	cassoc := atoi(t, c.do("sendto c %s %d 11 0 size:10000", addr1, srv.Port())[1])
	c.do("send c %d 11 0 text:next", cassoc)
	m := &Message{}
	readUntil(t, srv, m, "COMM_UP", isAssocChange(CommUp))
	if ac := m.Notification.(AssocChange); ac.OutStreams != 4 || ac.InStreams != 3 {
		t.Errorf("SCTP_INITMSG 4/3 streams, association has %d/%d", ac.OutStreams, ac.InStreams)
	}
	readUntil(t, srv, m, "long message", isData)
	if !m.Truncated || len(m.Data) != 2048 || !isPattern(m.Data) {
		t.Errorf("got %s", describe(m))
	}
	readUntil(t, srv, m, "next message", isData)
	if m.Truncated || string(m.Data) != "next" {
		t.Errorf("got %s", describe(m))
	}
}

// userAbortCause finds the User-Initiated Abort cause (code 12) among the
// ABORT chunk's causes that Linux puts into a COMM_LOST notification, and
// returns its reason.
func userAbortCause(t testing.TB, causes []byte) []byte {
	t.Helper()
	info := causes
	for len(causes) >= 4 {
		code, l := binary.BigEndian.Uint16(causes), int(binary.BigEndian.Uint16(causes[2:]))
		if l < 4 || l > len(causes) {
			break
		}
		if code == 12 {
			return causes[4:l]
		}
		causes = causes[(l+3)&^3:]
	}
	t.Fatalf("no user-initiated abort cause in %x", info)
	return nil
}

// Abort and graceful shutdown of single associations, in both directions,
// as the peer and the local side see them.
func TestSandboxAbortAndShutdown(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{Addrs: []netip.Addr{addr1}})
	port := srv.Port()
	c := startChild(t)
	m := &Message{}
	// connect makes the child open socket name and associate with the
	// server; it returns the child's and the server's association ids.
	connect := func(name string) (int, AssocID) {
		c.do("open %s %s", name, addr3)
		cid := atoi(t, c.do("sendto %s %s %d 11 0 text:%s", name, addr1, port, name)[1])
		readUntil(t, srv, m, "message of "+name, func(m *Message) bool { return string(m.Data) == name })
		return cid, m.Info.Assoc
	}
	check := func(what string, got, want AssocID) {
		t.Helper()
		if got != want {
			t.Errorf("%s: association %d, want %d", what, got, want)
		}
	}

	// Server shuts A down: the client sees SHUTDOWN_EVENT and
	// SHUTDOWN_COMP, the server SHUTDOWN_COMP.
	ca, sa := connect("a")
	if err := srv.Shutdown(sa); err != nil {
		t.Fatal(err)
	}
	c.readUntil("a", fmt.Sprintf("notif SHUTDOWN_EVENT %d", ca))
	c.readUntil("a", fmt.Sprintf("notif ASSOC_CHANGE %d SHUTDOWN_COMP", ca))
	readUntil(t, srv, m, "SHUTDOWN_COMP of a", isAssocChange(ShutdownComp))
	check("server shutdown", m.Info.Assoc, sa)

	// Server aborts B with a reason: the client sees COMM_LOST carrying
	// the reason; the server itself is told COMM_LOST as well.
	cb, sb := connect("b")
	if err := srv.Abort(sb, []byte("bye")); err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(c.readUntil("b", fmt.Sprintf("notif ASSOC_CHANGE %d COMM_LOST", cb)))
	info, _ := hex.DecodeString(got[len(got)-1])
	if reason := userAbortCause(t, info); string(reason) != "bye" {
		t.Errorf("abort reason %q", reason)
	}
	readUntil(t, srv, m, "COMM_LOST of b", isAssocChange(CommLost))
	check("server abort", m.Info.Assoc, sb)
	t.Logf("local ABORT of association %d reported as %s", sb, describe(m))

	// Client aborts C: the server sees COMM_LOST.
	cc, sc := connect("c")
	c.do("abort c %d", cc)
	readUntil(t, srv, m, "COMM_LOST of c", isAssocChange(CommLost))
	check("client abort", m.Info.Assoc, sc)

	// Client shuts D down: the server sees SHUTDOWN_EVENT, then
	// SHUTDOWN_COMP.
	cd, sd := connect("d")
	c.do("shutdown d %d", cd)
	readUntil(t, srv, m, "SHUTDOWN_EVENT of d", func(m *Message) bool { _, ok := m.Notification.(ShutdownEvent); return ok })
	check("client shutdown event", m.Info.Assoc, sd)
	readUntil(t, srv, m, "SHUTDOWN_COMP of d", isAssocChange(ShutdownComp))
	check("client shutdown", m.Info.Assoc, sd)

	// Sending on a finished association fails.
	if err := srv.Send(sa, []byte("late"), SendInfo{PPID: 11}); err == nil {
		t.Error("send on a shut down association: no error")
	}
}

// The default socket is dual stack: IPv6 and IPv4 peers on one wildcard
// socket; an IPv4-only socket works as a client.
func TestSandboxDualStack(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{})
	port := srv.Port()
	c := startChild(t)
	c6port := atoi(t, c.do("open c6 %s", addr6)[1])
	c.do("sendto c6 %s %d 12 0 text:via-ipv6", addr6, port)
	c4port := atoi(t, c.do("open4 c4 %s", addr3)[1])
	c.do("sendto c4 %s %d 12 0 text:via-ipv4", addr1, port)
	m := &Message{}
	seen := map[string]netip.AddrPort{}
	for len(seen) < 2 {
		readUntil(t, srv, m, "messages", isData)
		seen[string(m.Data)] = m.From
	}
	if got, want := seen["via-ipv6"], netip.AddrPortFrom(addr6, uint16(c6port)); got != want {
		t.Errorf("IPv6 message from %v, want %v", got, want)
	}
	if got, want := seen["via-ipv4"], netip.AddrPortFrom(addr3, uint16(c4port)); got != want {
		t.Errorf("IPv4 message from %v, want %v (unmapped)", got, want)
	}
	v4 := listen(t, Config{IPv4Only: true})
	if v4.IPv6() {
		t.Error("IPv4-only socket says IPv6")
	}
	if _, err := v4.SendTo([]netip.Addr{addr6}, port, []byte("x"), SendInfo{}); err == nil {
		t.Error("IPv6 destination on an IPv4 socket: no error")
	}
	if _, err := Listen(Config{IPv4Only: true, Addrs: []netip.Addr{addr6}}); err == nil {
		t.Error("IPv6 address on an IPv4 socket: no error")
	}
}

// Errors that do not need a peer.
func TestSandboxErrors(t *testing.T) {
	sandboxtest.Require(t)
	s := listen(t, Config{Addrs: []netip.Addr{addr1}})
	if _, err := Listen(Config{Addrs: []netip.Addr{addr1}, Port: s.Port()}); err == nil {
		t.Error("second bind to the same port: no error")
	}
	if err := s.Send(0, []byte("x"), SendInfo{}); err == nil {
		t.Error("send to association 0: no error")
	}
	if err := s.Send(12345, []byte("x"), SendInfo{}); err == nil {
		t.Error("send to an unknown association: no error")
	}
	if _, err := s.Status(12345); err == nil {
		t.Error("status of an unknown association: no error")
	}
	s.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if err := s.Read(&Message{}); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v", err)
	}
	s.SetReadDeadline(time.Time{})
	done := make(chan error)
	go func() { done <- s.Read(&Message{}) }()
	time.Sleep(10 * time.Millisecond) // let the reader park; the result does not depend on it
	s.Close()
	if err := <-done; err != ErrClosed {
		t.Errorf("read on a closed socket: %v", err)
	}
	if err := s.Close(); err != ErrClosed {
		t.Errorf("second close: %v", err)
	}
	if _, err := s.PeerAddrs(1); !errors.Is(err, ErrClosed) {
		t.Errorf("query on a closed socket: %v", err)
	}
}

// procStatus returns a field of /proc/self/status ("Threads", "VmRSS").
func procStatus(t testing.TB, field string) string {
	t.Helper()
	return procField(t, "/proc/self/status", field)
}

// procField returns a "Name: value" field of a /proc file.
func procField(t testing.TB, file, field string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in %s", field, file)
	return ""
}

func threads(t testing.TB) int { return atoi(t, procStatus(t, "Threads")) }

// sctpCounters reads the kernel's SCTP MIB counters.
func sctpCounters(t testing.TB) map[string]int {
	t.Helper()
	c, err := sandboxtest.SCTPCounters()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// envAssocs overrides the number of associations of
// TestSandboxManyAssociations, for measurements with 10,000 and more.
const envAssocs = "RSPREG_SCTP_ASSOCS"

// One server socket serves many concurrent associations from many client
// sockets of another process, with one reader goroutine and no thread or
// goroutine per association: the OS thread count stays where it was.
func TestSandboxManyAssociations(t *testing.T) {
	sandboxtest.Require(t)
	n := 1000
	if v := os.Getenv(envAssocs); v != "" {
		n = atoi(t, v)
	}
	srv := listen(t, Config{Addrs: []netip.Addr{addr1}})
	c := startChild(t)
	threadsBefore, rssBefore := threads(t), procStatus(t, "VmRSS")
	slabBefore := procField(t, "/proc/meminfo", "Slab")
	countersBefore := sctpCounters(t)
	if v := os.Getenv("RSPREG_SCTP_RCVBUF"); v != "" {
		if err := srv.SetReadBuffer(atoi(t, v)); err != nil {
			t.Fatal(err)
		}
	}

	type result struct {
		up, pings, ended, peakThreads int
		err                           error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() { done <- r }()
		m := &Message{}
		ids := map[AssocID]bool{}
		reply := make([]byte, 0, 32)
		for r.ended < n {
			srv.SetReadDeadline(time.Now().Add(5 * ioTimeout))
			if err := srv.Read(m); err != nil {
				r.err = err
				return
			}
			switch nt := m.Notification.(type) {
			case nil:
				i, ok := strings.CutPrefix(string(m.Data), "ping ")
				if !ok || m.Info.PPID != 11 || !ids[m.Info.Assoc] {
					r.err = fmt.Errorf("unexpected %s", describe(m))
					return
				}
				reply = append(append(reply[:0], "pong "...), i...)
				if err := srv.Send(m.Info.Assoc, reply, SendInfo{PPID: 11}); err != nil {
					r.err = err
					return
				}
				r.pings++
			case AssocChange:
				switch {
				case nt.State == CommUp:
					if ids[nt.Assoc] {
						r.err = fmt.Errorf("association %d up twice", nt.Assoc)
						return
					}
					ids[nt.Assoc] = true
					r.up++
				case nt.Ended():
					r.ended++
				}
			}
			if (r.up+r.pings+r.ended)%100 == 0 {
				if th, err := os.ReadFile("/proc/self/status"); err == nil {
					for _, line := range strings.Split(string(th), "\n") {
						if v, ok := strings.CutPrefix(line, "Threads:"); ok {
							if k, _ := strconv.Atoi(strings.TrimSpace(v)); k > r.peakThreads {
								r.peakThreads = k
							}
						}
					}
				}
			}
		}
	}()

	locals := addr3.String()
	if n > 20000 {
		// The ephemeral port range has 28,232 ports, and an SCTP port
		// taken on one address is taken on all: the child then binds
		// chosen ports on three addresses.
		locals = "198.18.0.2,198.18.0.3,198.18.0.4"
	}
	start := time.Now()
	ans := c.do("many %d %s %s %d", n, locals, addr1, srv.Port())
	served := time.Since(start)
	rssServing := procStatus(t, "VmRSS")
	slabServing := procField(t, "/proc/meminfo", "Slab")
	counters := sandboxtest.CounterDelta(countersBefore, sctpCounters(t))
	threadsServing := threads(t)
	c.do("closemany")
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.up != n || r.pings != n || r.ended != n {
		t.Errorf("%d up, %d pings, %d ended; want %d each", r.up, r.pings, r.ended, n)
	}
	r.peakThreads = max(r.peakThreads, threadsServing)
	t.Logf("%d associations: child %s; server: %v until all answered, threads %d before, %d peak, VmRSS %s before, %s serving; kernel Slab %s before, %s serving; %s",
		n, strings.Join(ans[1:], " "), served.Round(time.Millisecond), threadsBefore, r.peakThreads, rssBefore, rssServing, slabBefore, slabServing, counters)
	// A thread (or goroutine) per association would show up as hundreds.
	if r.peakThreads > threadsBefore+2 {
		t.Errorf("OS threads grew from %d to %d while serving %d associations", threadsBefore, r.peakThreads, n)
	}
}

// Steady-state reads and sends allocate nothing.
func TestSandboxNoAllocations(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{Addrs: []netip.Addr{addr1}})
	c := startChild(t)
	c.do("open c %s", addr3)
	const runs = 200
	cassoc := atoi(t, c.do("sendto c %s %d 11 0 text:first", addr1, srv.Port())[1])
	c.do("send c %d 12 1 text:0123456789abcdef %d", cassoc, runs+1)
	m := &Message{}
	readUntil(t, srv, m, "first message", func(m *Message) bool { return string(m.Data) == "first" })
	assoc := m.Info.Assoc
	var bad error
	reads := testing.AllocsPerRun(runs, func() {
		if err := srv.Read(m); err != nil || string(m.Data) != "0123456789abcdef" || m.Info.PPID != 12 {
			bad = fmt.Errorf("read %s, %v", describe(m), err)
		}
	})
	payload := []byte("reply")
	sends := testing.AllocsPerRun(runs, func() {
		if err := srv.Send(assoc, payload, SendInfo{PPID: 12, Stream: 1}); err != nil {
			bad = err
		}
	})
	if bad != nil {
		t.Fatal(bad)
	}
	t.Logf("allocations per Read %v, per Send %v", reads, sends)
	if reads != 0 || sends != 0 {
		t.Errorf("allocations per Read %v, per Send %v; want 0", reads, sends)
	}
}

// waitListening waits until a local SCTP endpoint listens on port, from
// /proc/net/sctp/eps.
func waitListening(t testing.TB, port int) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/net/sctp/eps")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if f := strings.Fields(line); len(f) > 5 && f[5] == strconv.Itoa(port) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on SCTP port %d", port)
}

// RSPLIB's registrar talks to our one-to-many socket: a Handle Resolution
// sent to its ASAP port with implicit association setup is answered on the
// same association, byte for byte as RSPLIB's own message creator builds it;
// and a PPID 11 message on its ENRP port makes it ABORT the association.
func TestSandboxRSPLIBRegistrar(t *testing.T) {
	sandboxtest.Require(t)
	prog := sandboxtest.Program(t, "rspregistrar")
	const asapPort, enrpPort = 23863, 29901
	host := netip.MustParseAddr("198.18.0.4")
	cmd := exec.Command(prog, fmt.Sprintf("-asap=%s:%d", host, asapPort), fmt.Sprintf("-enrp=%s:%d", host, enrpPort),
		"-asapannounce=off", "-enrpannounce=off", "-quiet", "-logquiet")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("rspregistrar output:\n%s", out.String())
		}
	})
	waitListening(t, asapPort)
	waitListening(t, enrpPort)

	s := listen(t, Config{Addrs: []netip.Addr{addr1}})
	hr := []byte{0x05, 0x00, 0x00, 0x18, 0x00, 0x09, 0x00, 0x0c, 'E', 'c', 'h', 'o', 'P', 'o', 'o', 'l',
		0x80, 0x3f, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05}
	id, err := s.SendTo([]netip.Addr{host}, asapPort, hr, SendInfo{PPID: 11})
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{}
	readUntil(t, s, m, "COMM_UP from RSPLIB", isAssocChange(CommUp))
	if m.Info.Assoc != id {
		t.Errorf("COMM_UP for association %d, SendTo said %d", m.Info.Assoc, id)
	}
	peers, err := s.PeerAddrs(id)
	if want := netip.AddrPortFrom(host, asapPort); err != nil || len(peers) != 1 || peers[0] != want {
		t.Errorf("RSPLIB's addresses %v, %v; want [%v]", peers, err, want)
	}
	if st, err := s.Status(id); err != nil || !st.Established() {
		t.Errorf("status %+v, %v", st, err)
	}
	readUntil(t, s, m, "Handle Resolution Response", isData)
	want := []byte{0x06, 0x00, 0x00, 0x18, 0x00, 0x09, 0x00, 0x0c, 'E', 'c', 'h', 'o', 'P', 'o', 'o', 'l',
		0x00, 0x0c, 0x00, 0x08, 0x00, 0x09, 0x00, 0x04}
	if m.Info.Assoc != id || m.Info.PPID != 11 || m.Info.Stream != 0 || !bytes.Equal(m.Data, want) {
		t.Errorf("RSPLIB answered %s: %x", describe(m), m.Data)
	}

	id, err = s.SendTo([]netip.Addr{host}, enrpPort, hr, SendInfo{PPID: 11})
	if err != nil {
		t.Fatal(err)
	}
	// RSPLIB may abort so fast that SendTo's lookup of the new association
	// already finds nothing (id 0); its COMM_UP names it in any case.
	readUntil(t, s, m, "COMM_UP from RSPLIB's ENRP socket", isAssocChange(CommUp))
	up := m.Info.Assoc
	if id != 0 && id != up {
		t.Errorf("COMM_UP for association %d, SendTo said %d", up, id)
	}
	readUntil(t, s, m, "COMM_LOST from RSPLIB", isAssocChange(CommLost))
	if m.Info.Assoc != up {
		t.Errorf("COMM_LOST for association %d, want %d", m.Info.Assoc, up)
	}
}

// When a peer stops reading, the socket's send buffer fills: a NoWait send
// fails with ErrWouldBlock, a waiting send ends at the write deadline.
func TestSandboxSendBufferFull(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{Addrs: []netip.Addr{addr1}})
	c := startChild(t)
	c.do("open c %s", addr3)
	c.do("sendto c %s %d 11 0 text:hello", addr1, srv.Port())
	m := &Message{}
	readUntil(t, srv, m, "hello", isData)
	chunk := pattern(8192)
	// The first ErrWouldBlock comes while the peer's kernel still accepts
	// data into its receive window, which frees our send buffer again. Keep
	// filling until nothing has gone out for a while: then the peer's window
	// is full too and the buffer stays full.
	sent, stuck := 0, 0
	for sent < 100000 && stuck < 20 {
		err := srv.Send(m.Info.Assoc, chunk, SendInfo{PPID: 11, NoWait: true})
		switch {
		case err == nil:
			sent++
			stuck = 0
		case errors.Is(err, ErrWouldBlock):
			stuck++
			time.Sleep(20 * time.Millisecond)
		default:
			t.Fatalf("after %d messages: %v, want ErrWouldBlock", sent, err)
		}
	}
	if stuck < 20 {
		t.Fatalf("the send buffer never filled (%d messages sent)", sent)
	}
	srv.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	if err := srv.Send(m.Info.Assoc, chunk, SendInfo{PPID: 11}); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("waiting send: %v, want deadline exceeded", err)
	}
	// What the ENRP outbox reads to find the association that holds the
	// buffer: the list of associations and each one's queued chunks.
	ids, err := srv.AssocIDs()
	if err != nil || !slices.Contains(ids, m.Info.Assoc) {
		t.Errorf("AssocIDs = %v, %v; want a list with %d", ids, err, m.Info.Assoc)
	}
	st, err := srv.Status(m.Info.Assoc)
	if err != nil || st.UnackedData+st.PendingData == 0 {
		t.Errorf("status of the full association: %+v, %v; want chunks queued", st, err)
	}
	if c, err := srv.Counters(m.Info.Assoc); err != nil || c.PacketsIn == 0 || c.SACKsIn == 0 || c.PacketsOut == 0 {
		t.Errorf("counters of the full association: %+v, %v; want packets both ways and SACKs", c, err)
	}
	t.Logf("send buffer full after %d messages of %d bytes (%d chunks unacknowledged, %d pending)",
		sent, len(chunk), st.UnackedData, st.PendingData)
}

// SCTP_AUTOCLOSE shuts an idle association down gracefully.
func TestSandboxAutoClose(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{Addrs: []netip.Addr{addr1}})
	if err := srv.SetAutoClose(time.Second); err != nil {
		t.Fatal(err)
	}
	c := startChild(t)
	c.do("open c %s", addr3)
	cassoc := atoi(t, c.do("sendto c %s %d 11 0 text:idle", addr1, srv.Port())[1])
	m := &Message{}
	readUntil(t, srv, m, "COMM_UP", isAssocChange(CommUp))
	assoc := m.Info.Assoc
	readUntil(t, srv, m, "SHUTDOWN_COMP", isAssocChange(ShutdownComp))
	if m.Info.Assoc != assoc {
		t.Errorf("association %d closed, want %d", m.Info.Assoc, assoc)
	}
	c.readUntil("c", fmt.Sprintf("notif SHUTDOWN_EVENT %d", cassoc))
}

// Config's buffer sizes are set before binding; as root (the sandbox) past
// net.core.rmem_max and wmem_max. The kernel keeps twice what was asked.
func TestSandboxBuffers(t *testing.T) {
	sandboxtest.Require(t)
	def := listen(t, Config{Addrs: []netip.Addr{addr1}})
	r0, w0, err := def.Buffers()
	if err != nil {
		t.Fatal(err)
	}
	const want = 3 << 20
	s := listen(t, Config{Addrs: []netip.Addr{addr1}, ReadBuffer: want, WriteBuffer: want})
	r, w, err := s.Buffers()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("default %d/%d bytes, asked %d: %d/%d", r0, w0, want, r, w)
	if r != 2*want || w != 2*want {
		t.Errorf("SO_RCVBUF %d, SO_SNDBUF %d; want %d each", r, w, 2*want)
	}
}
