package interop

// Operating the daemon (issue 7): CSP reports to RSPLIB's cspmonitor,
// signals and shutdown, daemon mode, log reopening, the failure-test mode
// and statistics files, metrics. Each test runs our real binary.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/csp"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
	"github.com/rserpool/rspregistrar/internal/sctp"
)

// liveness bounds waits for things that should happen; it is a hang guard,
// not a performance assertion.
const liveness = 30 * time.Second

// daemonProc is our binary with standard output and error kept apart.
type daemonProc struct {
	cmd            *exec.Cmd
	stdout, stderr sandboxtest.SyncBuffer
	done           chan struct{}
	err            error
}

// startOurs starts our registrar with env added to the environment.
func startOurs(t *testing.T, env []string, args ...string) *daemonProc {
	t.Helper()
	p := &daemonProc{cmd: exec.Command(sandboxtest.Registrar(t), args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			t.Logf("our registrar %v:\nstdout:\n%s\nstderr:\n%s", args, p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

// wait waits for the exit and returns the status.
func (p *daemonProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(liveness):
		t.Fatal("the registrar did not exit")
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// cspListener collects the CSP reports sent to it.
type cspListener struct {
	conn *net.UDPConn
	ch   chan csp.Report
}

func listenCSP(t *testing.T) *cspListener {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	l := &cspListener{conn: c, ch: make(chan csp.Report, 1000)}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			var r csp.Report
			if err := r.UnmarshalBinary(buf[:n]); err != nil {
				t.Errorf("bad CSP datagram: %v", err)
				continue
			}
			l.ch <- r
		}
	}()
	t.Cleanup(func() { c.Close() })
	return l
}

func (l *cspListener) addr() string { return l.conn.LocalAddr().String() }

// next returns the next report matching f, failing after liveness.
func (l *cspListener) next(t *testing.T, what string, f func(*csp.Report) bool) csp.Report {
	t.Helper()
	deadline := time.After(liveness)
	for {
		select {
		case r := <-l.ch:
			if f(&r) {
				return r
			}
		case <-deadline:
			t.Fatalf("no CSP report: %s", what)
		}
	}
}

// TestSandboxSignals stops our registrar with SIGINT and SIGTERM as
// RSPLIB's stops: the Break line, the final CSP report, associations shut
// down gracefully (no ABORT), "Terminated!" unless -quiet, exit status 0.
func TestSandboxSignals(t *testing.T) {
	sandboxtest.Require(t)
	for i, tt := range []struct {
		sig   syscall.Signal
		quiet bool
	}{{syscall.SIGINT, false}, {syscall.SIGTERM, false}, {syscall.SIGTERM, true}} {
		t.Run(fmt.Sprintf("%v quiet=%v", tt.sig, tt.quiet), func(t *testing.T) {
			port := 4100 + 2*i
			l := listenCSP(t)
			args := []string{fmt.Sprintf("-asap=%s:%d", addr1, port), fmt.Sprintf("-enrp=%s:%d", addr1, port+1),
				"-asapannounce=off", "-enrpannounce=off", "-identifier=0x5151510" + strconv.Itoa(i),
				"-cspserver=" + l.addr(), "-cspinterval=600000", "-loglevel=0"}
			if tt.quiet {
				args = append(args, "-quiet")
			}
			p := startOurs(t, nil, args...)
			sender := csp.RegistrarComponentID(rserpool.RegistrarID(0x51515100 + i))
			// The first report comes at once; the next one would take ten
			// minutes.
			l.next(t, "first report", func(r *csp.Report) bool { return r.Sender == sender && !r.Final() })

			c := newASAPClient(t, addr1, port)
			if r, _ := c.resolve("NoSuchPool", 1); r.Error.Cause != rserpool.CauseNotFound {
				t.Fatalf("resolution answered %+v", r)
			}
			p.cmd.Process.Signal(tt.sig)
			final := l.next(t, "final report", func(r *csp.Report) bool { return r.Sender == sender })
			if !final.Final() || final.Len() != csp.ReportSize || final.Status != "" || final.Location != "" {
				t.Errorf("last report %+v is not RSPLIB's final one", final)
			}
			// The kernel shuts the client's association down gracefully.
			var m sctp.Message
			_ = c.s.SetReadDeadline(time.Now().Add(liveness))
			for {
				if err := c.s.Read(&m); err != nil {
					t.Fatalf("reading the client socket: %v", err)
				}
				if ac, ok := m.Notification.(sctp.AssocChange); ok {
					if ac.State != sctp.ShutdownComp {
						t.Errorf("association ended with %v, want SHUTDOWN_COMP", ac.State)
					}
					break
				}
			}
			if code := p.wait(t); code != 0 {
				t.Errorf("exit status %d", code)
			}
			if got, want := p.stderr.String(), fmt.Sprintf("\x1b[0m\n*** Break ***    Signal #%d\n\n", int(tt.sig)); got != want {
				t.Errorf("stderr %q, want %q", got, want)
			}
			out := p.stdout.String()
			if tt.quiet != (out == "") || !tt.quiet && (!strings.HasPrefix(out, "The rsplib Registrar") || !strings.HasSuffix(out, "\n\nTerminated!\n")) {
				t.Errorf("stdout %q", out)
			}
		})
	}
}

// TestSandboxLogReopen rotates the log file by renaming it and sends SIGHUP:
// the registrar continues in a new file of the same name.
func TestSandboxLogReopen(t *testing.T) {
	sandboxtest.Require(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "pr.log")
	p := startOurs(t, nil, "-asap="+addr1+":4110", "-enrp="+addr1+":4111", "-asapannounce=off", "-enrpannounce=off",
		"-loglevel=4", "-logcolor=off", "-logfile="+logPath, "-quiet")
	waitFile(t, logPath, "Registrar started")
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFile(t, logPath, "Log file reopened \\(SIGHUP\\), log level is 4\\.")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit status %d", code)
	}
	old, _ := os.ReadFile(logPath + ".1")
	cur, _ := os.ReadFile(logPath)
	if !strings.Contains(string(old), "Logging started") || strings.Contains(string(old), "Logging finished") {
		t.Errorf("rotated file:\n%s", old)
	}
	if strings.Contains(string(cur), "Logging started") || !strings.Contains(string(cur), "Logging finished.") {
		t.Errorf("new file:\n%s", cur)
	}
}

// waitFile waits until the file's content matches re.
func waitFile(t *testing.T, path, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(liveness)
	for {
		b, _ := os.ReadFile(path)
		if rx.Match(b) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never matched %q:\n%s", path, re, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSandboxDaemonMode starts our registrar with -daemonpidfile: the
// parent exits 0 at once and the pid file names the background copy, which
// serves on the sockets the parent bound (hsdump asks it over ENRP), goes on
// with the parent's log, sends CSP reports, and on SIGTERM sends the final
// report and removes the pid file.
func TestSandboxDaemonMode(t *testing.T) {
	sandboxtest.Require(t)
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "pr.pid")
	logPath := filepath.Join(dir, "pr.log")
	l := listenCSP(t)
	// Regular files, not pipes, for the standard output and error: the
	// background copy inherits them and keeps them open.
	outPath, errPath := filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")
	stdout, _ := os.Create(outPath)
	stderr, _ := os.Create(errPath)
	defer stdout.Close()
	defer stderr.Close()
	cmd := exec.Command(sandboxtest.Registrar(t), "-asap="+addr1+":4120", "-enrp="+addr1+":4121", "-asapannounce=off",
		"-enrpannounce=auto", "-identifier=0x0d0d0d0d", "-loglevel=4", "-logcolor=off", "-logfile="+logPath,
		"-daemonpidfile="+pidPath, "-cspserver="+l.addr(), "-cspinterval=100")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(errPath)
		t.Fatalf("parent: %v\n%s", err, b)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	b, err := os.ReadFile(pidPath)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSuffix(string(b), "\n"))
	if err != nil || pid == cmd.Process.Pid || syscall.Kill(pid, 0) != nil {
		t.Fatalf("pid file %q (parent %d)", b, cmd.Process.Pid)
	}
	out, _ := os.ReadFile(outPath)
	if !strings.Contains(string(out), "Daemon Mode:            "+pidPath+"\n") || strings.Contains(string(out), "Terminated!") {
		t.Errorf("parent's stdout:\n%s", out)
	}

	sender := csp.RegistrarComponentID(0x0d0d0d0d)
	l.next(t, "a report from the background copy", func(r *csp.Report) bool { return r.Sender == sender })
	// A real server registers on the inherited ASAP socket, hsdump finds
	// its PE through the inherited ENRP socket.
	server(t, "-echo", "-registrar="+addr1+":4120")
	waitFile(t, logPath, `Successfully registered EchoPool/\$`)
	waitDump(t, addr1+":4121", liveness, "the PE at the background copy", func(d *sandboxtest.Dump) bool {
		return len(d.Pools["EchoPool"]) == 1 && d.Pools["EchoPool"][0].Home == 0x0d0d0d0d
	})
	syscall.Kill(pid, syscall.SIGTERM)
	l.next(t, "the final report", func(r *csp.Report) bool { return r.Sender == sender && r.Final() })
	deadline := time.Now().Add(liveness)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the background copy did not exit")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	out, _ = os.ReadFile(outPath)
	if !strings.HasSuffix(string(out), "\n\nTerminated!\n") {
		t.Errorf("stdout:\n%s", out)
	}
	log, _ := os.ReadFile(logPath)
	s := string(log)
	parent := fmt.Sprintf("P%d.", cmd.Process.Pid)
	child := fmt.Sprintf("P%d.", pid)
	if strings.Count(s, "Logging started") != 1 || !strings.Contains(s, "Logging finished.") ||
		!strings.Contains(s, parent) || !strings.Contains(s, child) || strings.Contains(s, "#####") {
		t.Errorf("log (parent %s, child %s):\n%s", parent, child, s)
	}
}

// TestSandboxFailureTestModeAndStatistics runs -uptime/-downtime restarts
// with a statistics file and a scalar file while an RSPLIB server
// registers: runs with their own random ids, one header line and
// consecutive numbered lines whose counters carry on across runs, and a
// scalar file with RSPLIB's names.
func TestSandboxFailureTestModeAndStatistics(t *testing.T) {
	sandboxtest.Require(t)
	dir := t.TempDir()
	statsPath, scalarPath := filepath.Join(dir, "s.txt"), filepath.Join(dir, "x.sca")
	p := startOurs(t, nil, "-asap="+addr1+":4130", "-enrp="+addr1+":4131", "-asapannounce=off", "-enrpannounce=off",
		"-loglevel=0", "-uptime=1", "-downtime=0.2", "-statsfile="+statsPath, "-statsinterval=100",
		"-scalar="+scalarPath, "-object=pr-under-test")
	server(t, "-echo", "-registrar="+addr1+":4130")
	// Once the server has registered, wait for a restart and a few lines
	// after it: the counters must not start again at 0.
	lastRegistrations := func() int {
		b, _ := os.ReadFile(statsPath)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		f := strings.Fields(lines[len(lines)-1])
		if len(f) < 11 {
			return 0
		}
		n, _ := strconv.Atoi(f[10])
		return n
	}
	// The registrar is down for 0.2 s of every 1.2 s. When the server's
	// first attempt falls into a down window, RSPLIB's ASAP instance hunts
	// for about 15 s and then waits its re-registration interval before trying
	// again, so the first registration may take well over a minute.
	untilWithin(t, "a registration", 3*time.Minute, func() bool { return lastRegistrations() >= 1 })
	runs := strings.Count(p.stdout.String(), "Run #")
	until(t, "a restart", func() bool { return strings.Count(p.stdout.String(), "Run #") > runs })
	size := func() int { b, _ := os.ReadFile(statsPath); return len(b) }
	grown := size()
	until(t, "statistics lines after the restart", func() bool { return size() > grown+500 })
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit status %d", code)
	}
	out := p.stdout.String()
	ids := regexp.MustCompile(`Server ID: +(\$[0-9a-f]{8})`).FindAllStringSubmatch(out, -1)
	if len(ids) < 2 || ids[0][1] == ids[1][1] {
		t.Errorf("server ids %v", ids)
	}
	for _, want := range []string{"Uptime   = 1.000 [s]\nDowntime = 0.200 [s]\n\nRun #1: Running registrar for ",
		"Shutdown by timer!\n", "\nWaiting for ", "\nRun #2: ", "\n\nTerminated!\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}

	b, _ := os.ReadFile(statsPath)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if lines[0]+"\n" != "AbsTime RelTime Runtime UserTime SystemTime   Peers Pools PoolElements OwnedPoolElements   Registrations Reregistrations Deregistrations HandleResolutions FailureReports Synchronizations HandleUpdates EndpointKeepAlives\n" || len(lines) < 10 {
		t.Fatalf("statistics file:\n%s", b)
	}
	lineRe := regexp.MustCompile(`^(\d{6}) \d+\.\d{6} (\d+\.\d{6})   \d+\.\d{6} \d+\.\d{6} \d+\.\d{6}   (\d+) (\d+) (\d+) (\d+)   (\d+)( \d+){7}$`)
	lastRegs := 0
	for i, l := range lines[1:] {
		m := lineRe.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %d: %q", i+2, l)
		}
		if n, _ := strconv.Atoi(m[1]); n != i+1 {
			t.Errorf("line %d numbered %s", i+2, m[1])
		}
		regs, _ := strconv.Atoi(m[7])
		if regs < lastRegs {
			t.Errorf("line %d: registrations went down from %d to %d", i+2, lastRegs, regs)
		}
		lastRegs = regs
	}
	if lastRegs < 1 {
		t.Errorf("the server registered %d times", lastRegs)
	}
	sca, _ := os.ReadFile(scalarPath)
	if !regexp.MustCompile(`^run 1 "scenario"\nscalar "pr-under-test" "Registrar Total Registrations" +` + strconv.Itoa(lastRegs) + `\n(scalar "pr-under-test" "Registrar [A-Za-z ]+" +[0-9.]+\n){11}$`).Match(sca) {
		t.Errorf("scalar file (last statistics line has %d registrations):\n%s", lastRegs, sca)
	}
}

// TestSandboxCSPMonitor runs two of our registrars, peered, next to
// RSPLIB's cspmonitor: one configured with -cspserver/-cspinterval, the
// other with CSP_SERVER/CSP_INTERVAL. The monitor shows both with their
// status text and, with -full, each other as association; the first one's
// final report on SIGTERM removes it. dumpcap captures the reports and
// tshark decodes every one without a malformed field or expert note.
func TestSandboxCSPMonitor(t *testing.T) {
	sandboxtest.Require(t)
	capFile := filepath.Join(t.TempDir(), "csp.pcapng")
	capture := sandboxtest.Start(t, nil, sandboxtest.Program(t, "dumpcap"), "-i", "lo", "-f", "udp port 2960 or udp port 2961", "-w", capFile)
	probe, err := net.ListenUDP("udp4", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	// dumpcap passes packets on in batches and loses the last one when
	// stopped; its packet counter shows what it has. Probes to port 2961
	// wait for it to start and, at the end, push everything through.
	sendProbe := func() {
		if _, err := probe.WriteToUDPAddrPort([]byte("probe"), netip.MustParseAddrPort("127.0.0.1:2961")); err != nil {
			t.Fatal(err)
		}
	}
	counted := func() int {
		m := regexp.MustCompile(`Packets: (\d+)`).FindAllStringSubmatch(capture.Output(), -1)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(m[len(m)-1][1])
		return n
	}
	until(t, "dumpcap to capture", func() bool { sendProbe(); return counted() > 0 })

	monitor := sandboxtest.Start(t, nil, sandboxtest.Program(t, "cspmonitor"), "-full", "-updateinterval=200")
	host, _ := os.Hostname()
	a := registrar(t, addr1, 4140, "-identifier=0x0e0e0e01", "-peer="+addr2+":4141", "-cspserver=127.0.0.1", "-cspinterval=300")
	b := sandboxtest.Start(t, nil, "/usr/bin/env", "CSP_SERVER=127.0.0.1", "CSP_INTERVAL=400", sandboxtest.Registrar(t),
		"-asap="+addr2+":4140", "-enrp="+addr2+":4141", "-asapannounce=off", "-enrpannounce=off", "-loglevel=4",
		"-logcolor=off", "-identifier=0x0e0e0e02", "-peer="+addr1+":4141")
	b.WaitFor(t, `CSP Report Interval:    400ms`, liveness)
	server(t, "-echo", "-registrar="+addr1+":4140")
	registered(t, a, "EchoPool", liveness)

	want := []string{
		"PR $0e0e0e01 [" + host + ": 198.18.0.1:4140]",
		`"1[1] PEs in 1 Pool, 1 Peer"`,
		"   -> PR $0e0e0e02 ENRP/SCTP",
		"PR $0e0e0e02 [" + host + ": 198.18.0.2:4140]",
		`"1[0] PEs in 1 Pool, 1 Peer"`,
		"   -> PR $0e0e0e01 ENRP/SCTP",
	}
	until(t, "cspmonitor to show both registrars, the PE and the peers", func() bool {
		screen := sandboxtest.CSPMonitorScreen(monitor.Output())
		for _, w := range want {
			if !strings.Contains(screen, w) {
				return false
			}
		}
		return true
	})
	t.Logf("cspmonitor:\n%s", sandboxtest.CSPMonitorScreen(monitor.Output()))

	mark := len(monitor.Output())
	a.Signal(syscall.SIGTERM)
	if code := a.Wait(t, liveness); code != 0 {
		t.Errorf("exit status %d", code)
	}
	a.WaitFor(t, `\*\*\* Break \*\*\*    Signal #15\n\n(.|\n)*\nTerminated!\n$`, time.Second)
	until(t, "cspmonitor to drop the stopped registrar", func() bool {
		s := monitor.Output()[mark:]
		i := strings.LastIndex(s, "Current Component Status")
		return i >= 0 && strings.Contains(s[i:], "\x1b[31;1m1 PRs") && !strings.Contains(sandboxtest.CSPMonitorScreen(s), "PR $0e0e0e01 [")
	})
	b.Signal(syscall.SIGTERM)
	if code := b.Wait(t, liveness); code != 0 {
		t.Errorf("second registrar: exit status %d", code)
	}

	// Nothing sends reports any more: once a probe sent now is counted,
	// every report before it is in the file.
	base := counted()
	until(t, "dumpcap to count the last probe", func() bool { sendProbe(); return counted() > base })
	capture.Signal(syscall.SIGINT)
	capture.Wait(t, liveness)
	fields := []string{
		"componentstatusprotocol.message_sender_id",
		"componentstatusprotocol.message_flags",
		"componentstatusprotocol.message_length",
		"componentstatusprotocol.componentstatusreport_status",
		"componentstatusprotocol.componentassociation_receiver_id",
		"_ws.malformed",
		"_ws.expert",
	}
	targs := []string{"-r", capFile, "-Y", "udp.dstport == 2960", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range fields {
		targs = append(targs, "-e", f)
	}
	out, err := exec.Command(sandboxtest.Program(t, "tshark"), targs...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := map[string]string{}
	periodic := map[string]int{}
	for _, l := range lines {
		f := strings.Split(l, "|")
		if len(f) != len(fields) || f[5] != "" || f[6] != "" {
			t.Errorf("tshark: %q", l)
			continue
		}
		if f[1] == "0" {
			periodic[f[0]]++
		}
		last[f[0]] = l
	}
	for _, id := range []string{"0x010000000e0e0e01", "0x010000000e0e0e02"} {
		if periodic[id] < 2 || last[id] != id+"|1|288||||" {
			t.Errorf("%s: %d periodic reports, last %q", id, periodic[id], last[id])
		}
	}
	t.Logf("tshark decoded %d reports", len(lines))
}

// until polls f every 100 ms, failing after liveness.
func until(t *testing.T, what string, f func() bool) {
	t.Helper()
	untilWithin(t, what, liveness, f)
}

// untilWithin polls f until it holds or limit passes.
func untilWithin(t *testing.T, what string, limit time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSandboxMetrics scrapes -metricsaddress while real RSPLIB servers
// register, a pool user resolves and one server is killed: the gauges and
// counters follow.
func TestSandboxMetrics(t *testing.T) {
	sandboxtest.Require(t)
	reg := registrar(t, addr1, 4150, "-metricsaddress=127.0.0.1:9176", "-identifier=0x0f0f0f0f")
	scrape := func() map[string]float64 {
		t.Helper()
		return scrapeMetrics(t, "http://127.0.0.1:9176/metrics")
	}
	m := scrape()
	for name, want := range map[string]float64{
		"rspregistrar_up": 1, `rspregistrar_info{id="$0f0f0f0f",version="` + versionOf(t) + `"}`: 1,
		"rspregistrar_pool_elements": 0, "rspregistrar_registrations_total": 0,
		`rspregistrar_associations{socket="asap"}`: 0,
	} {
		if m[name] != want {
			t.Errorf("before: %s = %v, want %v", name, m[name], want)
		}
	}
	s1 := server(t, "-echo", "-registrar="+addr1+":4150")
	server(t, "-echo", "-registrar="+addr1+":4150")
	until(t, "two pool elements", func() bool { return scrape()["rspregistrar_pool_elements"] == 2 })
	m = scrape()
	for name, want := range map[string]float64{
		"rspregistrar_pools": 1, "rspregistrar_owned_pool_elements": 2, `rspregistrar_associations{socket="asap"}`: 2,
		`rspregistrar_messages_received_total{protocol="asap",type="Registration"}`:     m["rspregistrar_registrations_total"],
		`rspregistrar_messages_sent_total{protocol="asap",type="RegistrationResponse"}`: m["rspregistrar_registrations_total"],
	} {
		if m[name] != want {
			t.Errorf("registered: %s = %v, want %v", name, m[name], want)
		}
	}
	if m["rspregistrar_registrations_total"] < 2 || m["rspregistrar_event_latency_seconds_count"] < 2 {
		t.Errorf("registered: %v registrations, %v events measured", m["rspregistrar_registrations_total"],
			m["rspregistrar_event_latency_seconds_count"])
	}

	before := m["rspregistrar_handle_resolutions_total"]
	c := newASAPClient(t, addr1, 4150)
	c.resolve("EchoPool", 1)
	c.resolve("NoSuchPool", 1)
	m = scrape()
	if got := m["rspregistrar_handle_resolutions_total"]; got != before+2 {
		t.Errorf("handle resolutions %v, want %v", got, before+2)
	}
	if got := m[`rspregistrar_error_causes_total{cause="0x0009",name="not found"}`]; got != 1 {
		t.Errorf("not-found causes %v, want 1", got)
	}

	s1.Kill()
	until(t, "the killed server's PE to go", func() bool { return scrape()["rspregistrar_pool_elements"] == 1 })
	m = scrape()
	if m[`rspregistrar_associations{socket="asap"}`] != 2 { // the other server and our pool user
		t.Errorf("associations %v", m[`rspregistrar_associations{socket="asap"}`])
	}
	reg.Signal(syscall.SIGTERM)
	reg.Wait(t, liveness)
}

// versionOf asks the binary for its version.
func versionOf(t *testing.T) string {
	out, err := exec.Command(sandboxtest.Registrar(t), "-version").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(strings.TrimPrefix(string(out), "rspregistrar "))
}

// scrapeMetrics reads the text format into name{labels} -> value (labels
// as printed, sorted by the exporter).
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := httpGet(url)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{}
	for _, l := range strings.Split(resp, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q", l)
		}
		m[l[:i]] = v
	}
	return m
}

func httpGet(url string) (string, error) {
	c := &http.Client{Timeout: liveness}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
