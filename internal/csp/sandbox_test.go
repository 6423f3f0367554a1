package csp

import (
	"net"
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

	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// liveness bounds how long a sandbox test waits for something that should
// happen; it is a hang guard, not a performance assertion.
const liveness = 60 * time.Second

// TestSandboxCSPMonitor sends our registrar reports to RSPLIB's cspmonitor
// and checks that it lists the registrar with our identifier, location,
// status and both associations, and that the final report removes it. The
// datagrams are captured with dumpcap; tshark's CSP dissector must decode
// them without complaint and see the values we sent.
func TestSandboxCSPMonitor(t *testing.T) {
	sandboxtest.Require(t)
	cspmonitor := sandboxtest.Program(t, "cspmonitor")
	tshark := sandboxtest.Program(t, "tshark")
	dumpcap := sandboxtest.Program(t, "dumpcap")

	// dumpcap, not tshark -i: tshark's live capture sees no packets in the
	// sandbox kernel, dumpcap (which the golden captures were taken with)
	// does. It passes packets on in batches and loses the last batch when
	// stopped, so the test follows its packet counter instead, sending
	// probes to port 2961: before the reports until it counts one, after
	// them until it has counted every report.
	capFile := filepath.Join(t.TempDir(), "csp.pcapng")
	capture := sandboxtest.Start(t, nil, dumpcap, "-i", "lo", "-f", "udp port 2960 or udp port 2961", "-w", capFile)
	// Unconnected, so that ICMP port-unreachable does not fail the next write.
	probe, err := net.ListenUDP("udp4", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	probeDst := netip.MustParseAddrPort("127.0.0.1:2961")
	captured := 0
	capture.Until(t, "dumpcap to capture", liveness, func(out string) bool {
		if packetsCounted(out) > 0 {
			return true
		}
		if _, err := probe.WriteToUDPAddrPort([]byte("probe"), probeDst); err != nil {
			t.Fatal(err)
		}
		captured++
		return false
	})

	monitor := sandboxtest.Start(t, nil, cspmonitor, "-full", "-updateinterval=100")

	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	const id = rserpool.RegistrarID(0x5eedc0de)
	rep, err := NewReporter(id, 100*time.Millisecond, netip.MustParseAddrPort("127.0.0.1:2960"))
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	snap := Snapshot{
		PoolElements: 3, OwnedPoolElements: 2, Pools: 1,
		Peers:    []rserpool.RegistrarID{0x22222222, 0x33333333},
		Location: Location(host, []netip.AddrPort{netip.MustParseAddrPort("198.18.0.1:3863")}),
	}
	want := []string{
		"PR $5eedc0de [" + host + ": 198.18.0.1:3863]",
		`A=2 "3[2] PEs in 1 Pool, 2 Peers"`,
		"   -> PR $22222222 ENRP/SCTP       \x1b[0K", // %-16s
		"   -> PR $33333333 ENRP/SCTP       \x1b[0K",
	}
	sent := 0
	monitor.Until(t, "cspmonitor to show our registrar", liveness, func(out string) bool {
		for _, w := range want {
			if !strings.Contains(out, w) {
				r := rep.Build(time.Now(), snap)
				if err := rep.Send(&r); err != nil {
					t.Fatal(err)
				}
				sent++
				return false
			}
		}
		return true
	})

	final := rep.BuildFinal(time.Now())
	mark := len(monitor.Output())
	if err := rep.Send(&final); err != nil {
		t.Fatal(err)
	}
	sent++
	monitor.Until(t, "cspmonitor to drop our registrar", liveness, func(out string) bool {
		return strings.Contains(out[mark:], "Current Component Status -- \x1b[31;1m0 PRs")
	})

	// Stop the capture once dumpcap has counted as many packets as were
	// sent up to the final report (more probes push them through its
	// buffering), then read it back: one line per report with the fields of
	// tshark's CSP dissector, plus any malformed-packet or expert markers.
	captured += sent
	capture.Until(t, "dumpcap to count all datagrams", liveness, func(out string) bool {
		if packetsCounted(out) >= captured {
			return true
		}
		if _, err := probe.WriteToUDPAddrPort([]byte("probe"), probeDst); err != nil {
			t.Fatal(err)
		}
		return false
	})
	capture.Signal(syscall.SIGINT)
	capture.Wait(t, liveness)
	fields := []string{
		"componentstatusprotocol.message_flags",
		"componentstatusprotocol.message_length",
		"componentstatusprotocol.message_version",
		"componentstatusprotocol.message_sender_id",
		"componentstatusprotocol.componentstatusreport_location",
		"componentstatusprotocol.componentstatusreport_status",
		"componentstatusprotocol.componentstatusreport_associations",
		"componentstatusprotocol.componentassociation_receiver_id",
		"componentstatusprotocol.componentassociation_ppid",
		"_ws.malformed",
		"_ws.expert",
	}
	args := []string{"-r", capFile, "-Y", "udp.dstport == 2960", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark -r: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != sent {
		t.Fatalf("tshark shows %d datagrams, we sent %d:\n%s", len(lines), sent, out)
	}
	periodic := strings.Join([]string{"0", "336", "0x00000200", "0x010000005eedc0de", snap.Location,
		"3[2] PEs in 1 Pool, 2 Peers", "2", "0x0100000022222222,0x0100000033333333", "12,12", "", ""}, "|")
	finalLine := strings.Join([]string{"1", "288", "0x00000200", "0x010000005eedc0de", "", "", "0", "", "", "", ""}, "|")
	for i, l := range lines {
		want := periodic
		if i == len(lines)-1 {
			want = finalLine
		}
		if l != want {
			t.Errorf("tshark datagram %d:\n got %q\nwant %q", i+1, l, want)
		}
	}
	t.Logf("%d reports sent; cspmonitor showed them and tshark decoded them; last monitor screen:\n%s",
		sent, sandboxtest.CSPMonitorScreen(monitor.Output()[:mark]))
}

// packetsCounted is the last "Packets: N" progress count dumpcap printed.
func packetsCounted(out string) int {
	m := regexp.MustCompile(`Packets: (\d+)`).FindAllStringSubmatch(out, -1)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}
