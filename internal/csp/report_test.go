package csp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

const goldenCapture = "testdata/d-csp.pcapng"

// goldenReports returns the CSP datagrams of the d-csp capture: an RSPLIB
// registrar ($11111111) and an RSPLIB PE reporting to cspmonitor.
func goldenReports(t *testing.T) []udpDatagram {
	t.Helper()
	all, err := readUDP(goldenCapture)
	if err != nil {
		t.Fatal(err)
	}
	var out []udpDatagram
	for _, d := range all {
		if d.Dst.Port() == DefaultPort {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		t.Fatal("no CSP datagrams in the capture")
	}
	return out
}

// TestGoldenRoundTrip decodes every report RSPLIB sent and encodes the
// decoded values again: the bytes must be identical, which checks every
// field offset, the padding of the texts and the association layout (the PE
// reports carry one association).
func TestGoldenRoundTrip(t *testing.T) {
	var registrar, withAssoc int
	for _, d := range goldenReports(t) {
		var r Report
		if err := r.UnmarshalBinary(d.Payload); err != nil {
			t.Fatalf("frame %d: %v", d.Frame, err)
		}
		got, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("frame %d: %v", d.Frame, err)
		}
		if !bytes.Equal(got, d.Payload) {
			t.Errorf("frame %d: re-encoded report differs\n got %x\nwant %x", d.Frame, got, d.Payload)
		}
		if r.Sender.Group() == GroupRegistrar {
			registrar++
		}
		if len(r.Associations) > 0 {
			withAssoc++
		}
	}
	if registrar == 0 || withAssoc == 0 {
		t.Fatalf("capture has %d registrar reports and %d with associations; both are needed", registrar, withAssoc)
	}
}

// TestGoldenRegistrarReportsRebuilt builds the registrar's reports from the
// registrar state at the time (known from the run: no PE, then one) and
// compares them with RSPLIB's bytes. Only the timestamp is taken from the
// capture, as the reporter's clock.
func TestGoldenRegistrarReportsRebuilt(t *testing.T) {
	states := map[string]Snapshot{
		"0[0] PEs in 0 Pools, 0 Peers": {},
		"1[1] PEs in 1 Pool, 0 Peers":  {PoolElements: 1, OwnedPoolElements: 1, Pools: 1},
	}
	rep, err := NewReporter(0x11111111, time.Second, netip.MustParseAddrPort("127.0.0.1:2960"))
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Unix(1795442014, 0)
	rep.first, rep.started = epoch, true
	location := Location("uml-run", []netip.AddrPort{netip.MustParseAddrPort("198.18.0.1:3863")})
	n := 0
	for _, d := range goldenReports(t) {
		var orig Report
		if err := orig.UnmarshalBinary(d.Payload); err != nil {
			t.Fatal(err)
		}
		if orig.Sender.Group() != GroupRegistrar {
			continue
		}
		s, ok := states[orig.Status]
		if !ok {
			t.Fatalf("frame %d: unexpected status %q", d.Frame, orig.Status)
		}
		s.Location = location
		now := epoch.Add(time.Duration(orig.Timestamp) * time.Microsecond)
		built := rep.Build(now, s)
		got, err := built.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, d.Payload) {
			t.Errorf("frame %d: built report differs from RSPLIB's\n got %x\nwant %x", d.Frame, got, d.Payload)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no registrar reports compared")
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zeros(n int) string { return strings.Repeat("00", n) }

// TestEncodeLayout spells out two datagrams byte by byte: a registrar
// report with two peers (one static peer not yet identified) and the final
// report.
func TestEncodeLayout(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{
			name: "two associations",
			r: Report{
				Sender:    RegistrarComponentID(0x1A2B3C4D),
				Timestamp: 0x0102030405060708,
				Interval:  250000,
				Location:  "h: 10.0.0.1:3863",
				Status:    "0[0] PEs in 0 Pools, 2 Peers",
				Workload:  WorkloadUnknown,
				Associations: []Association{
					{Receiver: RegistrarComponentID(0), Duration: DurationUnknown, Protocol: ProtocolSCTP, PPID: PPIDENRP},
					{Receiver: RegistrarComponentID(0x22222222), Duration: DurationUnknown, Protocol: ProtocolSCTP, PPID: PPIDENRP},
				},
			},
			want: "01 00 0150 00000200 010000001a2b3c4d 0102030405060708" +
				"0003d090" +
				hex.EncodeToString([]byte("h: 10.0.0.1:3863")) + zeros(128-16) +
				hex.EncodeToString([]byte("0[0] PEs in 0 Pools, 2 Peers")) + zeros(128-28) +
				"ffff 0002" +
				"0100000000000000 ffffffffffffffff 0000 0084 0000000c" +
				"0100000022222222 ffffffffffffffff 0000 0084 0000000c",
		},
		{
			name: "final",
			r:    Report{Flags: FlagFinal, Sender: RegistrarComponentID(0x11111111), Timestamp: 5000000, Interval: 1000000},
			want: "01 01 0120 00000200 0100000011111111 00000000004c4b40 000f4240" + zeros(256) + "0000 0000",
		},
		{
			name: "texts filling their fields",
			r:    Report{Sender: 1, Location: strings.Repeat("L", 128), Status: strings.Repeat("S", 128)},
			want: "01 00 0120 00000200 0000000000000001" + zeros(8) + zeros(4) +
				strings.Repeat("4c", 128) + strings.Repeat("53", 128) + "0000 0000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if want := mustHex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("encoding\n got %x\nwant %x", got, want)
			}
			if len(got) != tt.r.Len() {
				t.Errorf("Len() = %d, encoded %d bytes", tt.r.Len(), len(got))
			}
			var back Report
			if err := back.UnmarshalBinary(got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.r) {
				t.Errorf("decoded %+v, want %+v", back, tt.r)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		r    Report
	}{
		{"long location", Report{Location: strings.Repeat("x", 129)}},
		{"long status", Report{Status: strings.Repeat("x", 129)}},
		{"NUL in status", Report{Status: "a\x00b"}},
		{"too many associations", Report{Associations: make([]Association, MaxAssociations+1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xAA}
			b, err := tt.r.AppendBinary(prefix)
			if !errors.Is(err, ErrUnencodable) {
				t.Fatalf("err = %v, want ErrUnencodable", err)
			}
			if !bytes.Equal(b, prefix) {
				t.Errorf("buffer changed on error: %x", b)
			}
		})
	}
	r := Report{Associations: make([]Association, MaxAssociations)}
	b, err := r.MarshalBinary()
	if err != nil || len(b) > 0xFFFF {
		t.Fatalf("MaxAssociations entries: %d bytes, %v", len(b), err)
	}
}

func TestDecodeErrors(t *testing.T) {
	valid, err := (&Report{Sender: 7, Associations: []Association{{Receiver: 9}}}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), valid...))
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", valid[:ReportSize-1]},
		{"type", edit(func(b []byte) []byte { b[0] = 2; return b })},
		{"version", edit(func(b []byte) []byte { b[7] = 0x01; return b })},
		{"missing association", valid[:ReportSize]},
		{"extra byte", append(append([]byte(nil), valid...), 0)},
		{"association count", edit(func(b []byte) []byte { b[ReportSize-1] = 2; return b })},
		{"length field", edit(func(b []byte) []byte { b[3]++; return b })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Report
			if err := r.UnmarshalBinary(tt.b); !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestDecodeTextStopsAtNUL(t *testing.T) {
	b, err := (&Report{Location: "abc", Status: "xyz"}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b[28+5] = 'G' // garbage after the terminating NUL, as a C sender might leave
	var r Report
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if r.Location != "abc" || r.Status != "xyz" {
		t.Errorf("texts %q %q", r.Location, r.Status)
	}
}

func TestComponentID(t *testing.T) {
	tests := []struct {
		id     ComponentID
		group  Group
		object uint64
		str    string
	}{
		{RegistrarComponentID(0x1A2B3C4D), GroupRegistrar, 0x1A2B3C4D, "PR $1a2b3c4d"},
		{RegistrarComponentID(0), GroupRegistrar, 0, "PR $00000000"},
		{NewComponentID(GroupPoolElement, 0xe001), GroupPoolElement, 0xe001, "PE $0000e001"},
		{NewComponentID(GroupPoolUser, 0xFF00000000000001), GroupPoolUser, 1, "PU $00000000000001"},
		{NewComponentID(9, 0xabc), 9, 0xabc, "ID $           abc"},
	}
	for _, tt := range tests {
		if tt.id.Group() != tt.group || tt.id.Object() != tt.object || tt.id.String() != tt.str {
			t.Errorf("%#x: group %d object %#x %q, want %d %#x %q", uint64(tt.id),
				tt.id.Group(), tt.id.Object(), tt.id.String(), tt.group, tt.object, tt.str)
		}
	}
	if got := uint64(RegistrarComponentID(rserpool.RegistrarID(0x1A2B3C4D))); got != 0x010000001A2B3C4D {
		t.Errorf("registrar component id %#x", got)
	}
}

// FuzzReport checks that decoding never panics and that whatever decodes
// encodes again to something that decodes to the same report.
func FuzzReport(f *testing.F) {
	for _, d := range mustGolden(f) {
		f.Add(d.Payload)
	}
	f.Add(make([]byte, ReportSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Report
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		enc, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded report does not encode: %v", err)
		}
		if len(enc) != len(b) {
			t.Fatalf("re-encoded %d bytes, decoded from %d", len(enc), len(b))
		}
		var again Report
		if err := again.UnmarshalBinary(enc); err != nil {
			t.Fatalf("re-encoded report does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, again) {
			t.Fatalf("round trip changed the report:\n%+v\n%+v", r, again)
		}
	})
}

func mustGolden(f *testing.F) []udpDatagram {
	all, err := readUDP(goldenCapture)
	if err != nil {
		f.Fatal(err)
	}
	return all
}
