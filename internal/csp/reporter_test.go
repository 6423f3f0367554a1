package csp

import (
	"errors"
	"net"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func TestNewReporterRejects(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		server   netip.AddrPort
	}{
		{"no address", time.Second, netip.AddrPort{}},
		{"zero interval", 0, netip.MustParseAddrPort("127.0.0.1:2960")},
		{"negative interval", -time.Second, netip.MustParseAddrPort("127.0.0.1:2960")},
	}
	for _, tt := range tests {
		if _, err := NewReporter(1, tt.interval, tt.server); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// TestBuild checks the timestamp rule (microseconds since the first report,
// final report included) and the content of periodic and final reports.
func TestBuild(t *testing.T) {
	r, err := NewReporter(0x1A2B3C4D, 250*time.Millisecond, netip.MustParseAddrPort("127.0.0.1:2960"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	snap := Snapshot{PoolElements: 5, OwnedPoolElements: 2, Pools: 1, Peers: []rserpool.RegistrarID{0, 0x22222222}, Location: "h: 198.18.0.1:3863"}
	assoc := func(id rserpool.RegistrarID) Association {
		return Association{Receiver: RegistrarComponentID(id), Duration: DurationUnknown, Protocol: ProtocolSCTP, PPID: PPIDENRP}
	}
	steps := []struct {
		name  string
		now   time.Time
		final bool
		want  Report
	}{
		{"first", t0, false, Report{
			Sender: 0x010000001A2B3C4D, Timestamp: 0, Interval: 250000,
			Location: "h: 198.18.0.1:3863", Status: "5[2] PEs in 1 Pool, 2 Peers", Workload: WorkloadUnknown,
			Associations: []Association{assoc(0), assoc(0x22222222)},
		}},
		{"later", t0.Add(1234567891 * time.Nanosecond), false, Report{
			Sender: 0x010000001A2B3C4D, Timestamp: 1234567, Interval: 250000,
			Location: "h: 198.18.0.1:3863", Status: "5[2] PEs in 1 Pool, 2 Peers", Workload: WorkloadUnknown,
			Associations: []Association{assoc(0), assoc(0x22222222)},
		}},
		{"clock before first", t0.Add(-time.Second), false, Report{
			Sender: 0x010000001A2B3C4D, Timestamp: 0, Interval: 250000,
			Location: "h: 198.18.0.1:3863", Status: "5[2] PEs in 1 Pool, 2 Peers", Workload: WorkloadUnknown,
			Associations: []Association{assoc(0), assoc(0x22222222)},
		}},
		{"final", t0.Add(3 * time.Second), true, Report{
			Flags: FlagFinal, Sender: 0x010000001A2B3C4D, Timestamp: 3000000, Interval: 250000,
		}},
	}
	for _, st := range steps {
		var got Report
		if st.final {
			got = r.BuildFinal(st.now)
		} else {
			got = r.Build(st.now, snap)
		}
		if !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", st.name, got, st.want)
		}
		if b, err := got.MarshalBinary(); err != nil || len(b) != ReportSize+AssociationSize*len(st.want.Associations) {
			t.Errorf("%s: encoded %d bytes, %v", st.name, len(b), err)
		}
	}

	// The first report may be the final one (a registrar stopped before its
	// first report): its timestamp is then 0.
	r2, _ := NewReporter(1, time.Second, netip.MustParseAddrPort("127.0.0.1:2960"))
	if got := r2.BuildFinal(t0); got.Timestamp != 0 || got.Len() != ReportSize {
		t.Errorf("first final report: %+v", got)
	}
}

func TestBuildClipsAndLimits(t *testing.T) {
	r, _ := NewReporter(1, time.Second, netip.MustParseAddrPort("127.0.0.1:2960"))
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'x'
	}
	peers := make([]rserpool.RegistrarID, MaxAssociations+5)
	rep := r.Build(time.Now(), Snapshot{Peers: peers, Location: string(long)})
	if len(rep.Location) != TextSize-1 {
		t.Errorf("location %d bytes", len(rep.Location))
	}
	if len(rep.Associations) != MaxAssociations {
		t.Errorf("%d associations", len(rep.Associations))
	}
	if rep.Status != "0[0] PEs in 0 Pools, 2722 Peers" {
		t.Errorf("status %q", rep.Status)
	}
	if _, err := rep.MarshalBinary(); err != nil {
		t.Error(err)
	}
	if rep := r.Build(time.Now(), Snapshot{Location: "ab\x00cd"}); rep.Location != "ab" {
		t.Errorf("location %q", rep.Location)
	}
}

// TestSendUnicast sends reports over loopback UDP, which needs no sandbox:
// they arrive intact, all from the one socket the reporter keeps.
func TestSendUnicast(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		t.Run(network, func(t *testing.T) {
			laddr := "127.0.0.1:0"
			if network == "udp6" {
				laddr = "[::1]:0"
			}
			pc, err := net.ListenPacket(network, laddr)
			if err != nil {
				t.Skipf("no %s loopback: %v", network, err)
			}
			defer pc.Close()
			server := pc.LocalAddr().(*net.UDPAddr).AddrPort()
			r, err := NewReporter(0x11111111, time.Second, server)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			t0 := time.Now()
			reports := []Report{
				r.Build(t0, Snapshot{Location: "h: 198.18.0.1:3863", Peers: []rserpool.RegistrarID{7}}),
				r.Build(t0.Add(time.Second), Snapshot{Location: "h: 198.18.0.1:3863"}),
				r.BuildFinal(t0.Add(2 * time.Second)),
			}
			var src netip.AddrPort
			buf := make([]byte, 70000)
			for i := range reports {
				if err := r.Send(&reports[i]); err != nil {
					t.Fatal(err)
				}
				pc.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					t.Fatal(err)
				}
				var got Report
				if err := got.UnmarshalBinary(buf[:n]); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, reports[i]) {
					t.Errorf("report %d: got %+v, want %+v", i, got, reports[i])
				}
				ap := from.(*net.UDPAddr).AddrPort()
				if i == 0 {
					src = ap
					if r.LocalAddr().Port() != src.Port() {
						t.Errorf("LocalAddr %v, datagram from %v", r.LocalAddr(), src)
					}
				} else if ap != src {
					t.Errorf("report %d from %v, first from %v", i, ap, src)
				}
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	// Port 0 is what an environment CSP_SERVER without a port yields; the
	// kernel refuses it, the reporter says so and recovers afterwards.
	r, err := NewReporter(1, time.Second, netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep := r.Build(time.Now(), Snapshot{})
	if err := r.Send(&rep); err == nil {
		t.Error("sending to port 0 succeeded")
	}
	if r.LocalAddr().IsValid() {
		t.Error("socket kept after a failed send")
	}

	bad := Report{Sender: 1, Status: string(make([]byte, 200))}
	if err := r.Send(&bad); !errors.Is(err, ErrUnencodable) {
		t.Errorf("unencodable report: %v", err)
	}

	// Object 0: nothing is sent, as in RSPLIB.
	zero := Report{Sender: RegistrarComponentID(0)}
	if err := r.Send(&zero); err != nil || r.LocalAddr().IsValid() {
		t.Errorf("object 0: %v, socket %v", err, r.LocalAddr())
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

// TestSendLargest sends a report with the most associations over IPv4:
// it must still fit in one datagram.
func TestSendLargest(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r, err := NewReporter(1, time.Second, pc.LocalAddr().(*net.UDPAddr).AddrPort())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep := r.Build(time.Now(), Snapshot{Peers: make([]rserpool.RegistrarID, MaxAssociations+1)})
	if err := r.Send(&rep); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 70000)
	pc.SetReadDeadline(time.Now().Add(liveness))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := got.UnmarshalBinary(buf[:n]); err != nil || len(got.Associations) != MaxAssociations {
		t.Fatalf("%d bytes, %d associations, %v", n, len(got.Associations), err)
	}
}
