package config

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func sctp(port uint16, addrs ...string) rserpool.Transport {
	t := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: port}
	for _, a := range addrs {
		t.Addrs = append(t.Addrs, netip.MustParseAddr(a))
	}
	return t
}

// TestBanner compares with banners printed by RSPLIB's rspregistrar
// (testdata/README.md has the command lines). Where RSPLIB took a value this
// parser rejects, the arguments here use one with the same effect.
func TestBanner(t *testing.T) {
	tests := []struct {
		file   string
		args   []string
		env    map[string]string
		facts  Facts
		prefix bool // the file holds only the start of the banner
		edit   func(string) string
	}{
		{
			file: "banner-golden-a-echo.txt",
			args: []string{"-identifier=0x11111111", "-asap=198.18.0.1:3863", "-enrp=198.18.0.1:9901",
				"-asapannounce=off", "-enrpannounce=off", "-loglevel=4", "-logcolor=off"},
			facts: Facts{ServerID: 0x11111111, ASAP: sctp(3863, "198.18.0.1"), ENRP: sctp(9901, "198.18.0.1")},
		},
		{
			file:  "banner-auto.txt",
			args:  []string{"-identifier=0x1a2b3c4d", "-loglevel=0"},
			facts: Facts{ServerID: 0x1a2b3c4d, ASAP: sctp(14621, "::"), ENRP: sctp(54902, "::")},
		},
		{
			file:  "banner-csp-env.txt",
			env:   map[string]string{"CSP_INTERVAL": "10", "CSP_SERVER": "198.18.0.7"},
			args:  []string{"-disable-ipv6", "-identifier=5", "-loglevel=0"},
			facts: Facts{ServerID: 5, ASAP: sctp(22642, "0.0.0.0"), ENRP: sctp(57685, "0.0.0.0")},
			// Deliberate difference: a CSP_SERVER without port gets 2960.
			edit: func(s string) string { return strings.Replace(s, "198.18.0.7:0", "198.18.0.7:2960", 1) },
		},
		{
			file: "banner-options.txt",
			args: []string{"-identifier=0x1a2b3c4d", "-asap=198.18.0.1:3863,198.18.0.2", "-enrp=[2001:db8::1]:9901",
				"-asapannounce=239.0.0.1", "-enrpannounce=239.0.0.2:5000", "-cspserver=198.18.0.9", "-autoclosetimeout=1",
				"-minaddressscope=loopback", "-scalar=/tmp/cfgprobe/x.sca", "-object=pr7", "-maxhrrate=12.345",
				"-maxeurate=0.5", "-supporttakeoversuggestion", "-peerheartbeatcycle=1234", "-mentordiscoverytimeout=2000",
				"-serverannouncecycle=4000000000000", "-maxincrement=7", "-distancestep=20", "-maxbadpereports=0",
				"-loglevel=0", "-maxhresitems=9", "-maxelementsperhtrequest=0", "-takeoverexpiryinterval=999999",
				"-peermaxtimelastheard=1234", "-peermaxtimenoresponse=4321", "-endpointkeepalivetransmissioninterval=1",
				"-endpointkeepalivetimeoutinterval=7777", "-daemonpidfile=/tmp/cfgprobe/pid"},
			facts: Facts{ServerID: 0x1a2b3c4d, ASAP: sctp(3863, "198.18.0.1", "198.18.0.2"), ENRP: sctp(9901, "2001:db8::1")},
		},
		{
			file: "banner-stats-head.txt",
			args: []string{"-identifier=0x1a2b3c4d", "-asap=198.18.0.1:3863,198.18.0.2", "-enrp=[2001:db8::1]:9901",
				"-asapannounce=239.0.0.1", "-enrpannounce=239.0.0.2:5000", "-cspserver=198.18.0.9", "-autoclosetimeout=1",
				"-minaddressscope=loopback", "-statsfile=/tmp/cfgprobe/s.txt",
				"-scalar=/tmp/cfgprobe/x.sca", "-object=pr7"},
			facts: Facts{ServerID: 0x1a2b3c4d, ASAP: sctp(3863, "198.18.0.1", "198.18.0.2"), ENRP: sctp(9901, "2001:db8::1"),
				StatsFileOpen: true},
			prefix: true,
			// Deliberate difference: -actionlogfile is rejected, so its
			// line never appears.
			edit: func(s string) string { return strings.Replace(s, "Action Log File:        active\n", "", 1) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			want := string(raw)
			if tt.edit != nil {
				want = tt.edit(want)
			}
			c, err := Parse(tt.args, testEnv(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			got := Banner(c, tt.facts)
			if tt.prefix {
				got = got[:min(len(got), len(want))]
			}
			if got != want {
				t.Errorf("banner differs:\n%s", lineDiff(got, want))
			}
		})
	}
}

// TestBannerOwnOptions covers what RSPLIB cannot show: an effective
// -announcettl and the line of a -statsinterval that was given.
func TestBannerOwnOptions(t *testing.T) {
	c, err := Parse([]string{"-announcettl=7", "-statsfile=s", "-statsinterval=500"}, testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	b := Banner(c, Facts{StatsFileOpen: true, ASAP: sctp(1, "::"), ENRP: sctp(2, "::")})
	for _, want := range []string{"\nASAP/ENRP Announce TTL: 7\n", "\nStatistics Interval:    500ms\n"} {
		if !strings.Contains(b, want) {
			t.Errorf("banner lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(b, "Action Log File") {
		t.Error("action log line without an action log")
	}
}

func TestFarewell(t *testing.T) {
	c := Default()
	if got := Farewell(&c); got != "\nTerminated!\n" {
		t.Errorf("got %q", got)
	}
	c.Quiet = true
	if got := Farewell(&c); got != "" {
		t.Errorf("quiet: got %q", got)
	}
}

func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d:\n  got  %q\n  want %q\n", i+1, gl, wl)
		}
	}
	return b.String()
}
