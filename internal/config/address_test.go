package config

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in   string
		want string // netip.AddrPort text
		err  string
	}{
		{in: "198.18.0.1", want: "198.18.0.1:0"},
		{in: "198.18.0.1:3863", want: "198.18.0.1:3863"},
		{in: "198.18.0.1!3863", want: "198.18.0.1:3863"},
		{in: "[2001:db8::1]", want: "[2001:db8::1]:0"},
		{in: "[2001:db8::1]:9901", want: "[2001:db8::1]:9901"},
		{in: "[2001:db8::1]!9901", want: "[2001:db8::1]:9901"},
		{in: "[::]", want: "[::]:0"},
		{in: "[fe80::1%eth0]:5", want: "[fe80::1%eth0]:5"},
		{in: "[198.18.0.1]:7", want: "198.18.0.1:7"},
		{in: "::1:80", want: "[::1]:80"}, // RSPLIB takes the last ":" as separator
		{in: "0.0.0.0:65535", want: "0.0.0.0:65535"},
		{in: "pr1.example", want: "198.18.0.1:0"}, // the first address of the answer
		{in: "[v6.example]:3", want: "[2001:db8::2]:3"},
		{in: "v6.example!4", want: "[2001:db8::2]:4"},

		{in: "2001:db8::1", err: "write IPv6 addresses in brackets: [2001:db8::1] or [2001:db8::1]:port"},
		{in: "::", err: "write IPv6 addresses in brackets: [::] or [::]:port"},
		{in: "198.18.0.1:", err: "missing port number"},
		{in: "198.18.0.1:65536", err: "port 65536 out of range 0..65535"},
		{in: "198.18.0.1:+80", err: `bad port "+80"`},
		{in: "198.18.0.1:80x", err: `bad port "80x"`},
		{in: "[2001:db8::1]x", err: `unexpected "x" after "]"`},
		{in: "[2001:db8::1", err: `missing "]"`},
		{in: "", err: "missing address"},
		{in: ":80", err: "missing address"},
		{in: "1.2.3", err: `bad IP address "1.2.3"`},
		{in: "010.0.0.1", err: `bad IP address "010.0.0.1"`},
		{in: "[zz::1]", err: `bad IP address "zz::1"`},
		{in: "nohost.example", err: `cannot resolve "nohost.example": no such host`},
		{in: "empty.example", err: `cannot resolve "empty.example": no address`},
		{in: strings.Repeat("a", 129), err: "address longer than 128 characters"},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.in, testResolver)
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("%q: got %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != netip.MustParseAddrPort(tt.want) {
			t.Errorf("%q: got %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseAddressNoResolver(t *testing.T) {
	if _, err := ParseAddress("host.example", nil); err == nil {
		t.Error("a host name without resolver must fail")
	}
	if a, err := ParseAddress("198.18.0.1:1", nil); err != nil || a.Port() != 1 {
		t.Errorf("numeric address without resolver: %v %v", a, err)
	}
}

func TestLocalAddresses(t *testing.T) {
	auto := Local{Auto: true}
	if got := auto.Addresses(true); len(got) != 1 || got[0] != netip.IPv6Unspecified() {
		t.Errorf("auto, IPv6: %v", got)
	}
	if got := auto.Addresses(false); len(got) != 1 || got[0] != netip.IPv4Unspecified() {
		t.Errorf("auto, IPv4: %v", got)
	}
	l := Local{Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.1")}, Port: 5}
	got := l.Addresses(true)
	got[0] = netip.Addr{}
	if l.Addrs[0] != netip.MustParseAddr("198.18.0.1") {
		t.Error("Addresses must return a copy")
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"198.18.0.1:3863", "[2001:db8::1]!9901", "::1:80", "[", "host:1", "1.2.3.4,5.6.7.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s, testResolver)
		if err == nil && !a.Addr().IsValid() {
			t.Fatalf("%q: no error but invalid address", s)
		}
		_, _ = ParseAddressList(s, testResolver)
		_, _ = parseLocal(s, testResolver)
	})
}

func FuzzParse(f *testing.F) {
	f.Add("-maxbadpereports=3", "-asap=198.18.0.1:3863")
	f.Add("-identifier=0x10", "-peer=1.2.3.4,5.6.7.8")
	f.Add("-cspserver=[::1]", "-cspinterval=-1")
	f.Fuzz(func(t *testing.T, a, b string) {
		c, err := Parse([]string{a, b}, testEnv(nil))
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
		if err == nil && !c.Quiet {
			_ = Banner(c, Facts{})
		}
	})
}
