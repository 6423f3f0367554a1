package sctp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// hx decodes a hex fixture; spaces, newlines and |-comments are ignored.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '|'); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatalf("bad fixture: %v", err)
	}
	return b
}

func zeros(n int) string { return strings.Repeat("00", n) }

// The fixtures are Linux notifications as a little-endian host receives
// them; the decoder reads host order, so they only apply to such hosts.
func requireLittleEndian(t testing.TB) {
	t.Helper()
	var x [2]byte
	binary.NativeEndian.PutUint16(x[:], 1)
	if x[0] != 1 {
		t.Skip("fixtures are little-endian")
	}
}

func TestParseNotification(t *testing.T) {
	requireLittleEndian(t)
	tests := []struct {
		name    string
		fixture string
		want    Notification
	}{
		{"assoc change comm up", `
			01 80 0000 16000000 | type ASSOC_CHANGE, flags, length 22
			0000 0000           | state COMM_UP, error 0
			0a00 0500           | 10 outbound, 5 inbound streams
			03000000            | association 3
			0102                | sac_info`,
			AssocChange{Assoc: 3, State: CommUp, OutStreams: 10, InStreams: 5, Info: []byte{1, 2}}},
		{"assoc change comm lost with abort causes", `
			01 80 0000 1b000000
			0100 0000 0a00 0a00 | COMM_LOST
			07000000            | association 7
			000c 0007 627965    | the ABORT's user-initiated abort cause "bye", as Linux 6.1 sent it`,
			AssocChange{Assoc: 7, State: CommLost, OutStreams: 10, InStreams: 10,
				Info: []byte{0, 0x0c, 0, 7, 'b', 'y', 'e'}}},
		{"assoc change trailing bytes beyond length are ignored", `
			01 80 0000 14000000
			0300 0000 0a00 0a00 | SHUTDOWN_COMP
			02000000
			ffff`,
			AssocChange{Assoc: 2, State: ShutdownComp, OutStreams: 10, InStreams: 10, Info: []byte{}}},
		{"peer address change, IPv4-mapped", `
			02 80 0000 94000000                  | PEER_ADDR_CHANGE, 148 bytes
			0a00 1388 00000000                   | AF_INET6, port 5000, flow info
			00000000000000000000ffffc6120002     | ::ffff:198.18.0.2
			00000000                             | scope
			` + zeros(128-28) + `
			05000000 00000000                    | ADDR_CONFIRMED, error 0
			07000000                             | association 7`,
			PeerAddrChange{Assoc: 7, Addr: netip.MustParseAddrPort("198.18.0.2:5000"), State: AddrConfirmed}},
		{"peer address change, IPv6", `
			02 80 0000 94000000
			0a00 0050 00000000
			20010db8000000000000000000000001
			00000000
			` + zeros(100) + `
			01000000 6f000000 | ADDR_UNREACHABLE, error 111
			09000000`,
			PeerAddrChange{Assoc: 9, Addr: netip.MustParseAddrPort("[2001:db8::1]:80"), State: AddrUnreachable, Error: 111}},
		{"send failed, old layout", `
			03 80 0000 34000000     | SEND_FAILED, flags DATA_UNSENT, 52 bytes
			02000000                | error
			0100 0000 0100 0000     | stream 1, ssn, flags UNORDERED, padding
			0000000b                | PPID 11, network order
			2a000000                | context 42
			00000000 00000000 00000000 | ttl, tsn, cum tsn
			05000000                | sinfo association
			05000000                | ssf association
			61626364                | "abcd"`,
			SendFailed{Assoc: 5, Error: 2, Info: SendInfo{PPID: 11, Stream: 1, Flags: FlagUnordered, Context: 42},
				Data: []byte("abcd")}},
		{"send failed event", `
			0d 80 0100 23000000     | SEND_FAILED_EVENT, flags DATA_SENT, 35 bytes
			00000000                | error
			0200 0000 0000000c      | sid 2, flags, PPID 12
			07000000 08000000       | context 7, association 8
			08000000                | ssf association
			78797a`,
			SendFailed{Assoc: 8, Sent: true, Info: SendInfo{PPID: 12, Stream: 2, Context: 7}, Data: []byte("xyz"), Event: true}},
		{"remote error", `
			04 80 0000 18000000
			0001 0000               | cause 1 (network order), padding
			09000000
			0001000800000000`,
			RemoteError{Assoc: 9, Error: 1, Data: []byte{0, 1, 0, 8, 0, 0, 0, 0}}},
		{"shutdown event", `05 80 0000 0c000000 04000000`, ShutdownEvent{Assoc: 4}},
		{"partial delivery aborted", `
			06 80 0000 18000000
			00000000 06000000 01000000 02000000`,
			PartialDeliveryEvent{Assoc: 6, Stream: 1, Seq: 2}},
		{"partial delivery, short old layout", `06 80 0000 10000000 00000000 06000000`,
			PartialDeliveryEvent{Assoc: 6}},
		{"adaptation indication", `07 80 0000 10000000 04030201 02000000`,
			AdaptationIndication{Assoc: 2, Indication: 0x01020304}},
		{"authentication", `08 80 0000 14000000 0100 0200 02000000 03000000`,
			AuthenticationEvent{Assoc: 3, KeyNumber: 1, AltKeyNumber: 2, Indication: 2}},
		{"sender dry", `09 80 0000 0c000000 01000000`, SenderDry{Assoc: 1}},
		{"stream reset is passed through", `0a 80 0100 0c000000 01000000`,
			OtherNotification{Kind: TypeStreamReset, Flags: 1, Data: []byte{0x0a, 0x80, 1, 0, 0x0c, 0, 0, 0, 1, 0, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNotification(hx(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
			if got.Type() != tt.want.Type() || got.Association() != tt.want.Association() {
				t.Errorf("type/association %v/%d", got.Type(), got.Association())
			}
		})
	}
}

func TestParseNotificationErrors(t *testing.T) {
	requireLittleEndian(t)
	tests := []struct {
		name, fixture string
	}{
		{"empty", ``},
		{"short header", `01 80 0000 14`},
		{"length beyond buffer", `05 80 0000 10000000 04000000`},
		{"length below header", `05 80 0000 04000000 04000000`},
		{"assoc change too short", `01 80 0000 10000000 0000 0000 0a00 0a00`},
		{"peer address change too short", `02 80 0000 0c000000 0a000000`},
		{"peer address change, bad family", `02 80 0000 94000000 ` + zeros(140)},
		{"send failed too short", `03 80 0000 0c000000 00000000`},
		{"send failed event too short", `0d 80 0000 0c000000 00000000`},
		{"remote error too short", `04 80 0000 0c000000 00010000`},
		{"shutdown too short", `05 80 0000 08000000`},
		{"partial delivery too short", `06 80 0000 0c000000 00000000`},
		{"adaptation too short", `07 80 0000 0c000000 00000000`},
		{"authentication too short", `08 80 0000 10000000 00000000 00000000`},
		{"sender dry too short", `09 80 0000 08000000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNotification(hx(t, tt.fixture))
			if err == nil {
				t.Fatalf("no error, got %#v", n)
			}
			if !strings.Contains(tt.name, "bad family") && !errors.Is(err, ErrShortNotification) {
				t.Errorf("error %v is not ErrShortNotification", err)
			}
		})
	}
}

func TestAssocChangeEnded(t *testing.T) {
	for _, tt := range []struct {
		s    AssocState
		want bool
	}{{CommUp, false}, {Restart, false}, {CommLost, true}, {ShutdownComp, true}, {CantStartAssoc, true}} {
		if got := (AssocChange{State: tt.s}).Ended(); got != tt.want {
			t.Errorf("%v: Ended = %v", tt.s, got)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{TypeAssocChange.String(), "ASSOC_CHANGE"},
		{TypeSendFailedEvent.String(), "SEND_FAILED_EVENT"},
		{NotificationType(0x8fff).String(), "notification $8fff"},
		{CommLost.String(), "COMM_LOST"},
		{AssocState(9).String(), "state 9"},
		{AddrMadePrimary.String(), "ADDR_MADE_PRIM"},
		{PeerAddrState(-1).String(), "state -1"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q want %q", tt.got, tt.want)
		}
	}
}

func TestSockaddrCodec(t *testing.T) {
	requireLittleEndian(t)
	tests := []struct {
		in      string
		fixture string
		out     string
	}{
		{"198.18.0.1:9901", `0200 26ad c6120001 0000000000000000`, "198.18.0.1:9901"},
		{"[::ffff:198.18.0.1]:3863", `0200 0f17 c6120001 0000000000000000`, "198.18.0.1:3863"},
		{"[2001:db8::1]:1", `0a00 0001 00000000 20010db8000000000000000000000001 00000000`, "[2001:db8::1]:1"},
		{"[fe80::1%3]:7", `0a00 0007 00000000 fe800000000000000000000000000001 03000000`, "[fe80::1%3]:7"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			b, err := appendSockaddr(nil, netip.MustParseAddrPort(tt.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := hx(t, tt.fixture); !bytes.Equal(b, want) {
				t.Errorf("encoded %x, want %x", b, want)
			}
			got, n, err := decodeSockaddr(b)
			if err != nil || n != len(b) || got.String() != tt.out {
				t.Errorf("decoded %v, %d, %v; want %s, %d", got, n, err, tt.out, len(b))
			}
		})
	}
	if _, err := appendSockaddr(nil, netip.MustParseAddrPort("[fe80::1%eth0]:1"), nil); err == nil {
		t.Error("named zone without resolver: no error")
	}
	b, err := appendSockaddr(nil, netip.MustParseAddrPort("[fe80::1%eth0]:1"), func(string) (uint32, error) { return 5, nil })
	if err != nil || binary.NativeEndian.Uint32(b[24:]) != 5 {
		t.Errorf("named zone: %x, %v", b, err)
	}
	if _, err := appendSockaddr(nil, netip.AddrPort{}, nil); err == nil {
		t.Error("invalid address: no error")
	}
}

func TestDecodeSockaddrs(t *testing.T) {
	requireLittleEndian(t)
	// As SCTP_GET_PEER_ADDRS packs them: each entry as long as its family's
	// sockaddr.
	packed := hx(t, `
		0200 26ad c6120001 0000000000000000
		0a00 26ad 00000000 20010db8000000000000000000000001 00000000
		0200 26ad c6120002 0000000000000000`)
	got, err := decodeSockaddrs(packed, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.AddrPort{
		netip.MustParseAddrPort("198.18.0.1:9901"),
		netip.MustParseAddrPort("[2001:db8::1]:9901"),
		netip.MustParseAddrPort("198.18.0.2:9901"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	for _, tt := range []struct {
		name string
		b    []byte
		n    int
	}{
		{"count beyond buffer", packed, 5},
		{"negative count", packed, -1},
		{"truncated IPv6 entry", packed[:16+20], 2},
		{"unknown family", hx(t, `0100`+zeros(14)), 1},
	} {
		if _, err := decodeSockaddrs(tt.b, tt.n); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func FuzzParseNotification(f *testing.F) {
	f.Add(hx(f, `01 80 0000 16000000 0000 0000 0a00 0500 03000000 0102`))
	f.Add(hx(f, `02 80 0000 94000000 0a00 1388 00000000 00000000000000000000ffffc6120002 00000000`+zeros(100)+`05000000 00000000 07000000`))
	f.Add(hx(f, `03 80 0000 34000000 02000000 0100 0000 0100 0000 0000000b 2a000000`+zeros(12)+`05000000 05000000 61626364`))
	f.Add(hx(f, `06 80 0000 18000000 00000000 06000000 01000000 02000000`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNotification(b)
		if err != nil {
			return
		}
		if n.Type() != NotificationType(binary.NativeEndian.Uint16(b)) {
			t.Fatalf("type %v from %x", n.Type(), b[:2])
		}
	})
}

func FuzzDecodeSockaddrs(f *testing.F) {
	f.Add([]byte{2, 0, 0x26, 0xad, 198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		addrs, err := decodeSockaddrs(b, n)
		if err == nil && len(addrs) != n {
			t.Fatalf("%d addresses for count %d", len(addrs), n)
		}
	})
}
