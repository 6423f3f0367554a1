//go:build linux && amd64

package sctp

import (
	"bytes"
	"net/netip"
	"syscall"
	"testing"
	"unsafe"

	lib "github.com/ishidawataru/sctp"
)

// The layouts the package borrows from the library must match the kernel
// ABI (uapi linux/sctp.h on x86-64).
func TestLibraryLayouts(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want uintptr
	}{
		{"sctp_status", unsafe.Sizeof(lib.Status{}), 176},
		{"sctp_paddrinfo", unsafe.Sizeof(lib.PeerAddrinfo{}), paddrinfoLen},
		{"sctp_sack_info", unsafe.Sizeof(lib.SackTimer{}), 12},
		{"sctp_initmsg", unsafe.Sizeof(lib.InitMsg{}), 8},
		{"sctp_event_subscribe (first 10 fields)", unsafe.Sizeof(lib.EventSubscribe{}), 10},
		{"sctp_sndrcvinfo", unsafe.Sizeof(lib.SndRcvInfo{}), sndrcvinfoLen},
		{"sctp_paddrinfo.srtt offset", unsafe.Offsetof(lib.PeerAddrinfo{}.SRTT), 4 + sockaddrStorLen + 8},
		{"sctp_status.primary offset", unsafe.Offsetof(lib.Status{}.PrimaryPeerAddr), 24},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d bytes, kernel has %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseRcvCmsgs(t *testing.T) {
	sndrcv := `
		30000000 00000000 84000000 01000000 | cmsg len 48, IPPROTO_SCTP, SCTP_SNDRCV
		0300 0700 0100 0000                 | stream 3, ssn 7, flags UNORDERED
		0000000c                            | PPID 12 (network order)
		09000000 00000000                   | context 9, ttl
		64000000 63000000                   | tsn 100, cum tsn 99
		2a000000                            | association 42`
	rcvinfo := `
		2c000000 00000000 84000000 03000000 | cmsg len 44, SCTP_RCVINFO
		0100 0200 0000 0000 0000000b        | sid 1, ssn 2, flags, PPID 11
		05000000 04000000 00000000          | tsn 5, cum tsn 4, context
		07000000 00000000                   | association 7, padding`
	other := `
		14000000 00000000 00000000 08000000 | IPPROTO_IP, IP_PKTINFO-ish, 4 bytes
		01020304 00000000`
	tests := []struct {
		name  string
		oob   string
		found bool
		want  RcvInfo
	}{
		{"none", ``, false, RcvInfo{}},
		{"sndrcv", sndrcv, true, RcvInfo{Assoc: 42, Stream: 3, SSN: 7, Flags: FlagUnordered, PPID: 12, Context: 9, TSN: 100, CumTSN: 99}},
		{"rcvinfo", rcvinfo, true, RcvInfo{Assoc: 7, Stream: 1, SSN: 2, PPID: 11, TSN: 5, CumTSN: 4}},
		{"other then sndrcv", other + sndrcv, true, RcvInfo{Assoc: 42, Stream: 3, SSN: 7, Flags: FlagUnordered, PPID: 12, Context: 9, TSN: 100, CumTSN: 99}},
		{"other only", other, false, RcvInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got RcvInfo
			found, err := parseRcvCmsgs(hx(t, tt.oob), &got)
			if err != nil || found != tt.found || got != tt.want {
				t.Errorf("got %+v, %v, %v; want %+v, %v", got, found, err, tt.want, tt.found)
			}
		})
	}
	for _, bad := range []string{
		`08000000 00000000 84000000 01000000`,                   // length below header
		`40000000 00000000 84000000 01000000 ` + zeros(16),      // length beyond buffer
		`14000000 00000000 84000000 01000000 00000000 00000000`, // SNDRCV too short
		`14000000 00000000 84000000 03000000 00000000 00000000`, // RCVINFO too short
	} {
		var info RcvInfo
		if _, err := parseRcvCmsgs(hx(t, bad), &info); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestAppendSndInfo(t *testing.T) {
	got := appendSndInfo(nil, 42, SendInfo{PPID: 11, Stream: 2, Flags: FlagUnordered, Context: 5}, flagEOF)
	want := hx(t, `
		20000000 00000000 84000000 02000000 | len 32, IPPROTO_SCTP, SCTP_SNDINFO
		0200 0102                           | sid 2, flags UNORDERED|EOF (MSG_FIN)
		0000000b 05000000 2a000000          | PPID 11 network order, context 5, association 42`)
	if !bytes.Equal(got, want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
	var info RcvInfo
	if found, err := parseRcvCmsgs(got, &info); err != nil || found {
		t.Errorf("an SNDINFO must not parse as receive info: %v %v", found, err)
	}
}

func TestAppendDstAddr(t *testing.T) {
	v4, _ := appendSockaddr(nil, netip.MustParseAddrPort("198.18.0.2:9901"), nil)
	v6, _ := appendSockaddr(nil, netip.MustParseAddrPort("[2001:db8::1]:9901"), nil)
	got := appendDstAddr(appendDstAddr(nil, v4), v6)
	want := hx(t, `
		14000000 00000000 84000000 07000000 c6120002 00000000 | SCTP_DSTADDRV4, padded to 24
		20000000 00000000 84000000 08000000 20010db8000000000000000000000001 | SCTP_DSTADDRV6`)
	if !bytes.Equal(got, want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
	if b := appendDstAddr(nil, []byte{1, 2, 3}); len(b) != 0 {
		t.Errorf("bad sockaddr appended %x", b)
	}
}

func FuzzParseRcvCmsgs(f *testing.F) {
	f.Add(appendSndInfo(nil, 1, SendInfo{PPID: 11}, 0))
	f.Add(hx(f, `30000000 00000000 84000000 01000000 0300 0700 0100 0000 0000000c 09000000 00000000 64000000 63000000 2a000000`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var info RcvInfo
		_, _ = parseRcvCmsgs(b, &info)
	})
}

func TestFlagEOFIsMsgFin(t *testing.T) {
	if flagEOF != syscall.MSG_FIN {
		t.Errorf("SCTP_EOF must be MSG_FIN (%#x), is %#x", syscall.MSG_FIN, flagEOF)
	}
}
