package config

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// testResolver knows a few names, so that no test depends on DNS.
func testResolver(host string) ([]netip.Addr, error) {
	switch host {
	case "pr1.example":
		return []netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::1")}, nil
	case "v6.example":
		return []netip.Addr{netip.MustParseAddr("2001:db8::2")}, nil
	case "empty.example":
		return nil, nil
	}
	return nil, fmt.Errorf("no such host")
}

func testEnv(vars map[string]string) Environment {
	return Environment{
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Resolve:   testResolver,
	}
}

func addr(s string) netip.Addr         { return netip.MustParseAddr(s) }
func addrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func peer(port uint16, addrs ...string) rserpool.Transport {
	t := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: port}
	for _, a := range addrs {
		t.Addrs = append(t.Addrs, addr(a))
	}
	return t
}

// TestDefaults spells RSPLIB's defaults out independently of Default().
func TestDefaults(t *testing.T) {
	c, err := Parse(nil, testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ASAP:         Local{Auto: true},
		ASAPAnnounce: Announce{Enabled: true, Group: addrPort("239.0.0.50:3863")},
		ENRP:         Local{Auto: true},
		ENRPAnnounce: Announce{Enabled: true, Group: addrPort("239.0.0.51:9901")},
		Core: registrar.Config{
			MaxBadPEReports:               3,
			DistanceStep:                  50,
			MaxHResItems:                  3,
			MaxElementsPerHTRequest:       128,
			ServerAnnounceCycle:           time.Second,
			KeepAliveTransmissionInterval: 5 * time.Second,
			KeepAliveTimeoutInterval:      5 * time.Second,
			MinAddressScope:               rserpool.ScopeSiteLocal,
			PeerHeartbeatCycle:            2444444 * time.Microsecond,
			PeerMaxTimeLastHeard:          5 * time.Second,
			PeerMaxTimeNoResponse:         5 * time.Second,
			MentorDiscoveryTimeout:        5 * time.Second,
			TakeoverExpiryInterval:        5 * time.Second,
			MaxHRRate:                     -1,
			MaxEURate:                     -1,
			// Taken from -asapannounce and -enrpannounce by the daemon.
			ASAPAnnounce: true,
			ENRPAnnounce: true,
		},
		AutoCloseTimeout:                    300 * time.Second,
		EndpointMonitoringHeartbeatInterval: time.Second,
		AnnounceTTL:                         30,
		SocketBuffer:                        4 << 20,
		Log:                                 Log{Level: 1, Color: true},
		CSP:                                 CSP{Server: addrPort("127.0.0.1:2960")},
		Stats:                               Stats{Interval: -1, ObjectName: "registrar"},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
}

type kind int

const (
	valid kind = iota
	clamp
	bad
)

type optionCase struct {
	opt  string // the option the case is about, for the coverage check
	kind kind
	args []string
	env  map[string]string
	// want edits the defaults into the expected configuration.
	want func(c *Config)
	// err is the exact error text expected instead.
	err string
}

var optionCases = []optionCase{
	// -identifier
	{opt: "identifier", args: []string{"-identifier=0x1a2B3c4D"}, want: func(c *Config) { c.Identifier = 0x1a2b3c4d }},
	{opt: "identifier", args: []string{"-identifier=0X11111111"}, want: func(c *Config) { c.Identifier = 0x11111111 }},
	{opt: "identifier", args: []string{"-identifier=0123"}, want: func(c *Config) { c.Identifier = 123 }},
	{opt: "identifier", args: []string{"-identifier=4294967295"}, want: func(c *Config) { c.Identifier = 0xffffffff }},
	{opt: "identifier", args: []string{"-identifier=0"}, want: func(c *Config) {}},
	{opt: "identifier", kind: bad, args: []string{"-identifier=12abc"},
		err: `bad value "12abc" for -identifier: not a number (decimal or 0x-prefixed hex)`},
	{opt: "identifier", kind: bad, args: []string{"-identifier=-5"},
		err: `bad value "-5" for -identifier: not a number (decimal or 0x-prefixed hex)`},
	{opt: "identifier", kind: bad, args: []string{"-identifier="},
		err: `bad value "" for -identifier: not a number (decimal or 0x-prefixed hex)`},
	{opt: "identifier", kind: bad, args: []string{"-identifier=0x"},
		err: `bad value "0x" for -identifier: not a number (decimal or 0x-prefixed hex)`},
	{opt: "identifier", kind: bad, args: []string{"-identifier=0x100000000"},
		err: `bad value "0x100000000" for -identifier: larger than 32 bits`},

	// -asap and -enrp
	{opt: "asap", args: []string{"-asap=auto"}, want: func(c *Config) {}},
	{opt: "asap", args: []string{"-asap=198.18.0.1:3863"},
		want: func(c *Config) { c.ASAP = Local{Addrs: []netip.Addr{addr("198.18.0.1")}, Port: 3863} }},
	{opt: "asap", args: []string{"-asap=198.18.0.1"},
		want: func(c *Config) { c.ASAP = Local{Addrs: []netip.Addr{addr("198.18.0.1")}} }},
	{opt: "asap", args: []string{"-asap=198.18.0.1!3863,[2001:db8::1],198.18.0.2:3863"},
		want: func(c *Config) {
			c.ASAP = Local{Addrs: []netip.Addr{addr("198.18.0.1"), addr("2001:db8::1"), addr("198.18.0.2")}, Port: 3863}
		}},
	{opt: "asap", args: []string{"-asap=pr1.example:3863"},
		want: func(c *Config) { c.ASAP = Local{Addrs: []netip.Addr{addr("198.18.0.1")}, Port: 3863} }},
	{opt: "asap", kind: bad, args: []string{"-asap=autox"},
		err: `bad value "autox" for -asap: cannot resolve "autox": no such host`},
	{opt: "asap", kind: bad, args: []string{"-asap=1.2.3.4:99999"},
		err: `bad value "1.2.3.4:99999" for -asap: port 99999 out of range 0..65535`},
	{opt: "asap", kind: bad, args: []string{"-asap=1.2.3.4:80,1.2.3.5:81"},
		err: `bad value "1.2.3.4:80,1.2.3.5:81" for -asap: port 81 of 1.2.3.5 differs from port 80 of the first address`},
	{opt: "asap", kind: bad, args: []string{"-asap=1.2.3.4,"},
		err: `bad value "1.2.3.4," for -asap: "": missing address`},
	{opt: "asap", kind: bad, args: []string{"-disable-ipv6", "-asap=[2001:db8::1]:3863"},
		err: `bad value "2001:db8::1" for -asap: IPv6 address, but -disable-ipv6 is given`},
	{opt: "enrp", args: []string{"-enrp=198.18.0.1:9901"},
		want: func(c *Config) { c.ENRP = Local{Addrs: []netip.Addr{addr("198.18.0.1")}, Port: 9901} }},
	{opt: "enrp", args: []string{"-enrp=1.2.3.4:9901,[2000::1:2:3],9.8.7.6"}, // the manual's example
		want: func(c *Config) {
			c.ENRP = Local{Addrs: []netip.Addr{addr("1.2.3.4"), addr("2000::1:2:3"), addr("9.8.7.6")}, Port: 9901}
		}},
	{opt: "enrp", kind: bad, args: []string{"-enrp=2001:db8::1"},
		err: `bad value "2001:db8::1" for -enrp: write IPv6 addresses in brackets: [2001:db8::1] or [2001:db8::1]:port`},

	// -asapannounce, -enrpannounce, -enrpmulticast
	{opt: "asapannounce", args: []string{"-asapannounce=off"}, want: func(c *Config) { c.ASAPAnnounce = Announce{} }},
	{opt: "asapannounce", args: []string{"-asapannounce=NONE"}, want: func(c *Config) { c.ASAPAnnounce = Announce{} }},
	{opt: "asapannounce", args: []string{"-asapannounce=off", "-asapannounce=auto"}, want: func(c *Config) {}},
	{opt: "asapannounce", args: []string{"-asapannounce=239.0.0.1"},
		want: func(c *Config) { c.ASAPAnnounce.Group = addrPort("239.0.0.1:3863") }},
	{opt: "asapannounce", args: []string{"-asapannounce=[ff05::1]:4000"},
		want: func(c *Config) { c.ASAPAnnounce.Group = addrPort("[ff05::1]:4000") }},
	{opt: "asapannounce", kind: bad, args: []string{"-asapannounce=239.0.0.1:x"},
		err: `bad value "239.0.0.1:x" for -asapannounce: bad port "x"`},
	{opt: "enrpannounce", args: []string{"-enrpannounce=none"}, want: func(c *Config) { c.ENRPAnnounce = Announce{} }},
	{opt: "enrpannounce", args: []string{"-enrpannounce=239.0.0.1"},
		want: func(c *Config) { c.ENRPAnnounce.Group = addrPort("239.0.0.1:9901") }},
	{opt: "enrpannounce", kind: bad, args: []string{"-enrpannounce=1.2.3"},
		err: `bad value "1.2.3" for -enrpannounce: bad IP address "1.2.3"`},
	{opt: "enrpmulticast", args: []string{"-enrpmulticast=off"}, want: func(c *Config) { c.ENRPAnnounce = Announce{} }},
	{opt: "enrpmulticast", args: []string{"-enrpmulticast=239.0.0.2:5000"},
		want: func(c *Config) { c.ENRPAnnounce.Group = addrPort("239.0.0.2:5000") }},
	{opt: "enrpmulticast", kind: bad, args: []string{"-enrpmulticast=[::1"},
		err: `bad value "[::1" for -enrpmulticast: missing "]"`},

	// -peer
	{opt: "peer", args: []string{"-peer=198.18.0.2"}, want: func(c *Config) {
		c.Peers = []rserpool.Transport{peer(9901, "198.18.0.2")}
	}},
	{opt: "peer", args: []string{"-peer=198.18.0.2:9902,198.18.0.3:7", "-peer=[2001:db8::3]", "-peer=pr1.example:0"},
		want: func(c *Config) {
			c.Peers = []rserpool.Transport{
				peer(9902, "198.18.0.2", "198.18.0.3"), peer(9901, "2001:db8::3"), peer(9901, "198.18.0.1")}
		}},
	{opt: "peer", kind: bad, args: []string{"-peer=nohost.example"},
		err: `bad value "nohost.example" for -peer: cannot resolve "nohost.example": no such host`},
	{opt: "peer", kind: bad, args: []string{"-peer=" + strings.Repeat("1.1.1.1,", 64) + "1.1.1.1"},
		err: `bad value "` + strings.Repeat("1.1.1.1,", 64) + `1.1.1.1" for -peer: more than 64 addresses`},

	// counts
	{opt: "maxbadpereports", args: []string{"-maxbadpereports=7"}, want: func(c *Config) { c.Core.MaxBadPEReports = 7 }},
	{opt: "maxbadpereports", kind: clamp, args: []string{"-maxbadpereports=0"}, want: func(c *Config) { c.Core.MaxBadPEReports = 1 }},
	{opt: "maxbadpereports", kind: bad, args: []string{"-maxbadpereports=abc"},
		err: `bad value "abc" for -maxbadpereports: not a number`},
	{opt: "maxbadpereports", kind: bad, args: []string{"-maxbadpereports=-3"},
		err: `bad value "-3" for -maxbadpereports: must not be negative`},
	{opt: "maxbadpereports", kind: bad, args: []string{"-maxbadpereports=4294967296"},
		err: `bad value "4294967296" for -maxbadpereports: larger than 4294967295`},
	{opt: "maxbadpereports", kind: bad, args: []string{"-maxbadpereports=3x"},
		err: `bad value "3x" for -maxbadpereports: not a number`},
	{opt: "distancestep", args: []string{"-distancestep=20"}, want: func(c *Config) { c.Core.DistanceStep = 20 }},
	{opt: "distancestep", kind: clamp, args: []string{"-distancestep=0"}, want: func(c *Config) { c.Core.DistanceStep = 1 }},
	{opt: "distancestep", kind: bad, args: []string{"-distancestep=1.5"},
		err: `bad value "1.5" for -distancestep: not a whole number`},
	{opt: "maxincrement", args: []string{"-maxincrement=4"}, want: func(c *Config) { c.Core.MaxIncrement = 4 }},
	{opt: "maxincrement", args: []string{"-maxincrement=0"}, want: func(c *Config) {}},
	{opt: "maxincrement", kind: bad, args: []string{"-maxincrement=foo"},
		err: `bad value "foo" for -maxincrement: not a number`},
	{opt: "maxhresitems", args: []string{"-maxhresitems=10"}, want: func(c *Config) { c.Core.MaxHResItems = 10 }},
	{opt: "maxhresitems", kind: clamp, args: []string{"-maxhresitems=0"}, want: func(c *Config) { c.Core.MaxHResItems = 1 }},
	{opt: "maxhresitems", kind: bad, args: []string{"-maxhresitems="},
		err: `bad value "" for -maxhresitems: not a number`},
	{opt: "maxelementsperhtrequest", args: []string{"-maxelementsperhtrequest=16"},
		want: func(c *Config) { c.Core.MaxElementsPerHTRequest = 16 }},
	{opt: "maxelementsperhtrequest", kind: clamp, args: []string{"-maxelementsperhtrequest=0"},
		want: func(c *Config) { c.Core.MaxElementsPerHTRequest = 1 }},
	{opt: "maxelementsperhtrequest", kind: bad, args: []string{"-maxelementsperhtrequest=-1"},
		err: `bad value "-1" for -maxelementsperhtrequest: must not be negative`},

	// durations
	{opt: "autoclosetimeout", args: []string{"-autoclosetimeout=60"}, want: func(c *Config) { c.AutoCloseTimeout = time.Minute }},
	{opt: "autoclosetimeout", kind: clamp, args: []string{"-autoclosetimeout=1"},
		want: func(c *Config) { c.AutoCloseTimeout = 5 * time.Second }},
	{opt: "autoclosetimeout", kind: bad, args: []string{"-autoclosetimeout=5m"},
		err: `bad value "5m" for -autoclosetimeout: not a number`},
	{opt: "serverannouncecycle", args: []string{"-serverannouncecycle=250"},
		want: func(c *Config) { c.Core.ServerAnnounceCycle = 250 * time.Millisecond }},
	{opt: "serverannouncecycle", kind: clamp, args: []string{"-serverannouncecycle=99"},
		want: func(c *Config) { c.Core.ServerAnnounceCycle = 100 * time.Millisecond }},
	{opt: "serverannouncecycle", kind: clamp, args: []string{"-serverannouncecycle=60001"},
		want: func(c *Config) { c.Core.ServerAnnounceCycle = time.Minute }},
	{opt: "serverannouncecycle", kind: clamp, args: []string{"-serverannouncecycle=99999999999999999999999"},
		want: func(c *Config) { c.Core.ServerAnnounceCycle = time.Minute }},
	{opt: "serverannouncecycle", kind: bad, args: []string{"-serverannouncecycle=-5"},
		err: `bad value "-5" for -serverannouncecycle: must not be negative`},
	{opt: "endpointkeepalivetransmissioninterval", args: []string{"-endpointkeepalivetransmissioninterval=1000"},
		want: func(c *Config) { c.Core.KeepAliveTransmissionInterval = time.Second }},
	{opt: "endpointkeepalivetransmissioninterval", kind: clamp, args: []string{"-endpointkeepalivetransmissioninterval=299"},
		want: func(c *Config) { c.Core.KeepAliveTransmissionInterval = 300 * time.Millisecond }},
	{opt: "endpointkeepalivetransmissioninterval", kind: clamp, args: []string{"-endpointkeepalivetransmissioninterval=300001"},
		want: func(c *Config) { c.Core.KeepAliveTransmissionInterval = 300 * time.Second }},
	{opt: "endpointkeepalivetransmissioninterval", kind: bad, args: []string{"-endpointkeepalivetransmissioninterval=x"},
		err: `bad value "x" for -endpointkeepalivetransmissioninterval: not a number`},
	{opt: "endpointkeepalivetimeoutinterval", args: []string{"-endpointkeepalivetimeoutinterval=2000"},
		want: func(c *Config) { c.Core.KeepAliveTimeoutInterval = 2 * time.Second }},
	{opt: "endpointkeepalivetimeoutinterval", kind: clamp, args: []string{"-endpointkeepalivetimeoutinterval=99"},
		want: func(c *Config) { c.Core.KeepAliveTimeoutInterval = 100 * time.Millisecond }},
	{opt: "endpointkeepalivetimeoutinterval", kind: clamp, args: []string{"-endpointkeepalivetimeoutinterval=60001"},
		want: func(c *Config) { c.Core.KeepAliveTimeoutInterval = time.Minute }},
	{opt: "endpointkeepalivetimeoutinterval", kind: bad, args: []string{"-endpointkeepalivetimeoutinterval=1e3"},
		err: `bad value "1e3" for -endpointkeepalivetimeoutinterval: not a whole number`},
	{opt: "peerheartbeatcycle", args: []string{"-peerheartbeatcycle=3000"},
		want: func(c *Config) { c.Core.PeerHeartbeatCycle = 3 * time.Second }},
	{opt: "peerheartbeatcycle", kind: clamp, args: []string{"-peerheartbeatcycle=999"},
		want: func(c *Config) { c.Core.PeerHeartbeatCycle = time.Second }},
	{opt: "peerheartbeatcycle", kind: clamp, args: []string{"-peerheartbeatcycle=300001"},
		want: func(c *Config) { c.Core.PeerHeartbeatCycle = 300 * time.Second }},
	{opt: "peerheartbeatcycle", kind: bad, args: []string{"-peerheartbeatcycle=2444.444"},
		err: `bad value "2444.444" for -peerheartbeatcycle: not a whole number`},
	{opt: "peermaxtimelastheard", args: []string{"-peermaxtimelastheard=7000"},
		want: func(c *Config) { c.Core.PeerMaxTimeLastHeard = 7 * time.Second }},
	{opt: "peermaxtimelastheard", kind: clamp, args: []string{"-peermaxtimelastheard=0"},
		want: func(c *Config) { c.Core.PeerMaxTimeLastHeard = time.Second }},
	{opt: "peermaxtimelastheard", kind: clamp, args: []string{"-peermaxtimelastheard=400000"},
		want: func(c *Config) { c.Core.PeerMaxTimeLastHeard = 300 * time.Second }},
	{opt: "peermaxtimelastheard", kind: bad, args: []string{"-peermaxtimelastheard=ten"},
		err: `bad value "ten" for -peermaxtimelastheard: not a number`},
	{opt: "peermaxtimenoresponse", args: []string{"-peermaxtimenoresponse=2000"},
		want: func(c *Config) { c.Core.PeerMaxTimeNoResponse = 2 * time.Second }},
	{opt: "peermaxtimenoresponse", kind: clamp, args: []string{"-peermaxtimenoresponse=1"},
		want: func(c *Config) { c.Core.PeerMaxTimeNoResponse = time.Second }},
	{opt: "peermaxtimenoresponse", kind: clamp, args: []string{"-peermaxtimenoresponse=60001"},
		want: func(c *Config) { c.Core.PeerMaxTimeNoResponse = time.Minute }},
	{opt: "peermaxtimenoresponse", kind: bad, args: []string{"-peermaxtimenoresponse=-1"},
		err: `bad value "-1" for -peermaxtimenoresponse: must not be negative`},
	{opt: "mentordiscoverytimeout", args: []string{"-mentordiscoverytimeout=2000"},
		want: func(c *Config) { c.Core.MentorDiscoveryTimeout = 2 * time.Second }},
	{opt: "mentordiscoverytimeout", kind: clamp, args: []string{"-mentordiscoverytimeout=10"},
		want: func(c *Config) { c.Core.MentorDiscoveryTimeout = time.Second }},
	{opt: "mentordiscoverytimeout", kind: clamp, args: []string{"-mentordiscoverytimeout=70000"},
		want: func(c *Config) { c.Core.MentorDiscoveryTimeout = time.Minute }},
	{opt: "mentordiscoverytimeout", kind: bad, args: []string{"-mentordiscoverytimeout=?"},
		err: `bad value "?" for -mentordiscoverytimeout: not a number`},
	{opt: "mentorhuntinterval", args: []string{"-mentorhuntinterval=3000"},
		want: func(c *Config) { c.Core.MentorDiscoveryTimeout = 3 * time.Second }},
	{opt: "mentorhuntinterval", kind: clamp, args: []string{"-mentorhuntinterval=0"},
		want: func(c *Config) { c.Core.MentorDiscoveryTimeout = time.Second }},
	{opt: "mentorhuntinterval", kind: clamp, args: []string{"-mentorhuntinterval=60001"},
		want: func(c *Config) { c.Core.MentorDiscoveryTimeout = time.Minute }},
	{opt: "mentorhuntinterval", kind: bad, args: []string{"-mentorhuntinterval=x"},
		err: `bad value "x" for -mentorhuntinterval: not a number`},
	{opt: "takeoverexpiryinterval", args: []string{"-takeoverexpiryinterval=1500"},
		want: func(c *Config) { c.Core.TakeoverExpiryInterval = 1500 * time.Millisecond }},
	{opt: "takeoverexpiryinterval", kind: clamp, args: []string{"-takeoverexpiryinterval=999"},
		want: func(c *Config) { c.Core.TakeoverExpiryInterval = time.Second }},
	{opt: "takeoverexpiryinterval", kind: clamp, args: []string{"-takeoverexpiryinterval=60001"},
		want: func(c *Config) { c.Core.TakeoverExpiryInterval = time.Minute }},
	{opt: "takeoverexpiryinterval", kind: bad, args: []string{"-takeoverexpiryinterval=+"},
		err: `bad value "+" for -takeoverexpiryinterval: not a number`},

	// -minaddressscope
	{opt: "minaddressscope", args: []string{"-minaddressscope=loopback"},
		want: func(c *Config) { c.Core.MinAddressScope = rserpool.ScopeLoopback }},
	{opt: "minaddressscope", args: []string{"-minaddressscope=global", "-minaddressscope=sitelocal"}, want: func(c *Config) {}},
	{opt: "minaddressscope", args: []string{"-minaddressscope=global", "-minaddressscope=site-local"}, want: func(c *Config) {}},
	{opt: "minaddressscope", args: []string{"-minaddressscope=global"},
		want: func(c *Config) { c.Core.MinAddressScope = rserpool.ScopeGlobal }},
	{opt: "minaddressscope", kind: bad, args: []string{"-minaddressscope=Global"},
		err: `bad value "Global" for -minaddressscope: use "loopback", "sitelocal" or "global"`},

	// flags
	{opt: "supporttakeoversuggestion", args: []string{"-supporttakeoversuggestion"},
		want: func(c *Config) { c.Core.SupportTakeoverSuggestion = true }},
	{opt: "supporttakeoversuggestion", kind: bad, args: []string{"-supporttakeoversuggestion=1"},
		err: `Invalid argument <-supporttakeoversuggestion=1>!`},
	{opt: "quiet", args: []string{"-quiet"}, want: func(c *Config) { c.Quiet = true }},
	{opt: "quiet", kind: bad, args: []string{"-quiet=yes"}, err: `Invalid argument <-quiet=yes>!`},
	{opt: "disable-ipv6", args: []string{"-disable-ipv6"}, want: func(c *Config) { c.DisableIPv6 = true }},
	{opt: "disable-ipv6", kind: bad, args: []string{"-disable-ipv6="}, err: `Invalid argument <-disable-ipv6=>!`},

	// rates
	{opt: "maxhrrate", args: []string{"-maxhrrate=12.5"}, want: func(c *Config) { c.Core.MaxHRRate = 12.5 }},
	{opt: "maxhrrate", args: []string{"-maxhrrate=-1"}, want: func(c *Config) { c.Core.MaxHRRate = -1 }},
	{opt: "maxhrrate", kind: bad, args: []string{"-maxhrrate=fast"}, err: `bad value "fast" for -maxhrrate: not a number`},
	{opt: "maxhrrate", kind: bad, args: []string{"-maxhrrate=NaN"}, err: `bad value "NaN" for -maxhrrate: not a number`},
	{opt: "maxeurate", args: []string{"-maxeurate=3"}, want: func(c *Config) { c.Core.MaxEURate = 3 }},
	{opt: "maxeurate", kind: bad, args: []string{"-maxeurate=inf"}, err: `bad value "inf" for -maxeurate: not a number`},

	// -announcettl
	{opt: "announcettl", args: []string{"-announcettl=5"}, want: func(c *Config) { c.AnnounceTTL = 5 }},
	{opt: "announcettl", kind: clamp, args: []string{"-announcettl=0"}, want: func(c *Config) { c.AnnounceTTL = 1 }},
	{opt: "announcettl", kind: clamp, args: []string{"-announcettl=256"}, want: func(c *Config) { c.AnnounceTTL = 255 }},
	{opt: "announcettl", kind: bad, args: []string{"-announcettl=x"}, err: `bad value "x" for -announcettl: not a number`},
	// -socketbuffer (ours)
	{opt: "socketbuffer", args: []string{"-socketbuffer=212992"}, want: func(c *Config) { c.SocketBuffer = 212992 }},
	{opt: "socketbuffer", args: []string{"-socketbuffer=0"}, want: func(c *Config) { c.SocketBuffer = 0 }},
	{opt: "socketbuffer", kind: clamp, args: []string{"-socketbuffer=2000000000"}, want: func(c *Config) { c.SocketBuffer = 1 << 30 }},
	{opt: "socketbuffer", kind: bad, args: []string{"-socketbuffer=4M"}, err: `bad value "4M" for -socketbuffer: not a number`},

	// logging
	{opt: "logfile", args: []string{"-logfile=/tmp/pr.log"}, want: func(c *Config) { c.Log.File = "/tmp/pr.log" }},
	{opt: "logfile", kind: bad, args: []string{"-logfile="}, err: `bad value "" for -logfile: empty file name`},
	{opt: "logappend", args: []string{"-logfile=/tmp/a", "-logappend=/tmp/pr.log"},
		want: func(c *Config) { c.Log.File, c.Log.Append = "/tmp/pr.log", true }},
	{opt: "logappend", args: []string{"-logappend=/tmp/a", "-logfile=/tmp/b"}, want: func(c *Config) { c.Log.File = "/tmp/b" }},
	{opt: "logappend", kind: bad, args: []string{"-logappend="}, err: `bad value "" for -logappend: empty file name`},
	{opt: "logquiet", args: []string{"-loglevel=5", "-logfile=/tmp/a", "-logquiet"}, want: func(c *Config) { c.Log.Level = 0 }},
	{opt: "logquiet", args: []string{"-logquiet", "-loglevel=3"}, want: func(c *Config) { c.Log.Level = 3 }},
	{opt: "logquiet", kind: bad, args: []string{"-logquiet=1"}, err: `Invalid argument <-logquiet=1>!`},
	{opt: "loglevel", args: []string{"-loglevel=4"}, want: func(c *Config) { c.Log.Level = 4 }},
	{opt: "loglevel", args: []string{"-loglevel=0"}, want: func(c *Config) { c.Log.Level = 0 }},
	{opt: "loglevel", kind: clamp, args: []string{"-loglevel=10"}, want: func(c *Config) { c.Log.Level = 9 }},
	{opt: "loglevel", kind: bad, args: []string{"-loglevel=-1"}, err: `bad value "-1" for -loglevel: must not be negative`},
	{opt: "logcolor", args: []string{"-logcolor=off"}, want: func(c *Config) { c.Log.Color = false }},
	{opt: "logcolor", args: []string{"-logcolor=off", "-logcolor=on"}, want: func(c *Config) {}},
	{opt: "logcolor", kind: bad, args: []string{"-logcolor=yes"}, err: `bad value "yes" for -logcolor: use "on" or "off"`},

	// files and names
	{opt: "daemonpidfile", args: []string{"-daemonpidfile=/run/pr.pid"}, want: func(c *Config) { c.DaemonPIDFile = "/run/pr.pid" }},
	{opt: "daemonpidfile", kind: bad, args: []string{"-daemonpidfile="}, err: `bad value "" for -daemonpidfile: empty file name`},
	{opt: "statsfile", args: []string{"-statsfile=s.bz2"}, want: func(c *Config) { c.Stats.File = "s.bz2" }},
	{opt: "statsfile", kind: bad, args: []string{"-statsfile="}, err: `bad value "" for -statsfile: empty file name`},
	{opt: "statsinterval", args: []string{"-statsinterval=1000"}, want: func(c *Config) { c.Stats.Interval = 1000 }},
	{opt: "statsinterval", kind: clamp, args: []string{"-statsinterval=0"}, want: func(c *Config) { c.Stats.Interval = 10 }},
	{opt: "statsinterval", kind: clamp, args: []string{"-statsinterval=3600001"}, want: func(c *Config) { c.Stats.Interval = 3600000 }},
	{opt: "statsinterval", kind: bad, args: []string{"-statsinterval=-5"}, err: `bad value "-5" for -statsinterval: must not be negative`},
	// -actionlogfile is rejected whatever its value (valid: the case that
	// would be valid in RSPLIB).
	{opt: "actionlogfile", args: []string{"-actionlogfile=a.log"},
		err: "-actionlogfile is not supported: RSPLIB's per-action research log is not implemented; use -statsfile, -scalar or -metricsaddress"},
	{opt: "actionlogfile", kind: bad, args: []string{"-actionlogfile="},
		err: "-actionlogfile is not supported: RSPLIB's per-action research log is not implemented; use -statsfile, -scalar or -metricsaddress"},
	// -metricsaddress (ours)
	{opt: "ownercheck", args: []string{"-ownercheck=on"}, want: func(c *Config) { c.Core.OwnerCheck = true }},
	{opt: "ownercheck", args: []string{"-ownercheck=on", "-ownercheck=off"}, want: func(c *Config) {}},
	{opt: "ownercheck", kind: bad, args: []string{"-ownercheck=yes"}, err: `bad value "yes" for -ownercheck: use "on" or "off"`},
	{opt: "enrpallow", args: []string{"-enrpallow=peers"}, want: func(c *Config) { c.Core.ENRPAllow = []netip.Prefix{} }},
	{opt: "enrpallow", args: []string{"-enrpallow=198.18.7.9/15,10.0.0.1,::ffff:192.0.2.1"}, want: func(c *Config) {
		c.Core.ENRPAllow = []netip.Prefix{netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("10.0.0.1/32"),
			netip.MustParsePrefix("192.0.2.1/32")}
	}},
	{opt: "enrpallow", kind: bad, args: []string{"-enrpallow=10.0.0.0/8,nonsense"},
		err: `bad value "10.0.0.0/8,nonsense" for -enrpallow: "nonsense" is neither a network (address/bits) nor an address`},
	{opt: "metricsaddress", args: []string{"-metricsaddress=127.0.0.1:9176"}, want: func(c *Config) { c.MetricsAddress = "127.0.0.1:9176" }},
	{opt: "metricsaddress", args: []string{"-metricsaddress=[::1]:9176"}, want: func(c *Config) { c.MetricsAddress = "[::1]:9176" }},
	{opt: "metricsaddress", args: []string{"-metricsaddress=:9176"}, want: func(c *Config) { c.MetricsAddress = ":9176" }},
	{opt: "metricsaddress", args: []string{"-metricsaddress=pr1.example:80"}, want: func(c *Config) { c.MetricsAddress = "198.18.0.1:80" }},
	{opt: "metricsaddress", kind: bad, args: []string{"-metricsaddress=127.0.0.1"},
		err: `bad value "127.0.0.1" for -metricsaddress: a port is required (address:port)`},
	{opt: "metricsaddress", kind: bad, args: []string{"-metricsaddress=:0"}, err: `bad value ":0" for -metricsaddress: port 0`},
	{opt: "metricsaddress", kind: bad, args: []string{"-metricsaddress=:x"}, err: `bad value ":x" for -metricsaddress: bad port "x"`},
	{opt: "metricsaddress", kind: bad, args: []string{"-metricsaddress="}, err: `bad value "" for -metricsaddress: missing address`},
	{opt: "scalar", args: []string{"-scalar=x.sca"}, want: func(c *Config) { c.Stats.ScalarFile = "x.sca" }},
	{opt: "scalar", kind: bad, args: []string{"-scalar="}, err: `bad value "" for -scalar: empty file name`},
	{opt: "object", args: []string{"-object=pr7"}, want: func(c *Config) { c.Stats.ObjectName = "pr7" }},
	{opt: "object", kind: bad, args: []string{"-object"}, err: `Invalid argument <-object>!`},

	// failure-test mode
	{opt: "uptime", args: []string{"-uptime=1.5"}, want: func(c *Config) { c.Uptime = 1500 * time.Millisecond }},
	{opt: "uptime", kind: bad, args: []string{"-uptime=-1"}, err: `bad value "-1" for -uptime: must not be negative`},
	{opt: "downtime", args: []string{"-downtime=0.25"}, want: func(c *Config) { c.Downtime = 250 * time.Millisecond }},
	{opt: "downtime", kind: bad, args: []string{"-downtime=1e300"}, err: `bad value "1e300" for -downtime: too large`},

	// CSP options and variables (csp.md §1): order and interplay.
	{opt: "cspserver", args: []string{"-cspserver=198.18.0.9"},
		want: func(c *Config) { c.CSP = CSP{Server: addrPort("198.18.0.9:2960"), Interval: 250 * time.Millisecond} }},
	{opt: "cspserver", args: []string{"-cspinterval=1000", "-cspserver=[2001:db8::9]:3000"},
		want: func(c *Config) { c.CSP = CSP{Server: addrPort("[2001:db8::9]:3000"), Interval: time.Second} }},
	{opt: "cspserver", args: []string{"-cspinterval=0", "-cspserver=198.18.0.9"},
		want: func(c *Config) { c.CSP = CSP{Server: addrPort("198.18.0.9:2960"), Interval: 250 * time.Millisecond} }},
	{opt: "cspserver", kind: bad, args: []string{"-cspserver=x:y:z"},
		err: `bad value "x:y:z" for -cspserver: bad port "z"`},
	{opt: "cspinterval", args: []string{"-cspinterval=100"}, want: func(c *Config) { c.CSP.Interval = 100 * time.Millisecond }},
	{opt: "cspinterval", args: []string{"-cspserver=198.18.0.9", "-cspinterval=0"},
		want: func(c *Config) { c.CSP.Server = addrPort("198.18.0.9:2960") }},
	{opt: "cspinterval", kind: bad, args: []string{"-cspinterval=-250"},
		err: `bad value "-250" for -cspinterval: must not be negative`},
	{opt: "CSP_INTERVAL", env: map[string]string{"CSP_INTERVAL": "1000"},
		want: func(c *Config) { c.CSP.Interval = time.Second }},
	{opt: "CSP_INTERVAL", env: map[string]string{"CSP_INTERVAL": "10"},
		want: func(c *Config) { c.CSP.Interval = 250 * time.Millisecond }},
	{opt: "CSP_INTERVAL", env: map[string]string{"CSP_INTERVAL": ""},
		want: func(c *Config) { c.CSP.Interval = 250 * time.Millisecond }},
	{opt: "CSP_INTERVAL", env: map[string]string{"CSP_INTERVAL": "1000"}, args: []string{"-cspinterval=0"},
		want: func(c *Config) {}},
	{opt: "CSP_INTERVAL", env: map[string]string{"CSP_INTERVAL": "1000"}, args: []string{"-cspinterval=100"},
		want: func(c *Config) { c.CSP.Interval = 100 * time.Millisecond }},
	{opt: "CSP_INTERVAL", env: map[string]string{"CSP_INTERVAL": "2000"}, args: []string{"-cspserver=198.18.0.9"},
		want: func(c *Config) { c.CSP = CSP{Server: addrPort("198.18.0.9:2960"), Interval: 2 * time.Second} }},
	{opt: "CSP_INTERVAL", kind: bad, env: map[string]string{"CSP_INTERVAL": "soon"},
		err: `bad value "soon" for CSP_INTERVAL: not a number`},
	{opt: "CSP_SERVER", env: map[string]string{"CSP_SERVER": "198.18.0.9:3000"},
		want: func(c *Config) { c.CSP.Server = addrPort("198.18.0.9:3000") }},
	{opt: "CSP_SERVER", env: map[string]string{"CSP_SERVER": "198.18.0.9", "CSP_INTERVAL": "500"},
		want: func(c *Config) { c.CSP = CSP{Server: addrPort("198.18.0.9:2960"), Interval: 500 * time.Millisecond} }},
	{opt: "CSP_SERVER", env: map[string]string{"CSP_SERVER": "198.18.0.9"}, args: []string{"-cspserver=198.18.0.8:1"},
		want: func(c *Config) { c.CSP = CSP{Server: addrPort("198.18.0.8:1"), Interval: 250 * time.Millisecond} }},
	{opt: "CSP_SERVER", kind: bad, env: map[string]string{"CSP_SERVER": "[::1"},
		err: `bad value "[::1" for CSP_SERVER: missing "]"`},

	// names must match exactly
	{opt: "", kind: bad, args: []string{"-maxbadpereportsX=3"}, err: `Invalid argument <-maxbadpereportsX=3>!`},
	{opt: "", kind: bad, args: []string{"-mentordiscoverytim=3"}, err: `Invalid argument <-mentordiscoverytim=3>!`},
	{opt: "", kind: bad, args: []string{"-asap"}, err: `Invalid argument <-asap>!`},
	{opt: "", kind: bad, args: []string{"asap=auto"}, err: `Invalid argument <asap=auto>!`},
	{opt: "", kind: bad, args: []string{"--asap=auto"}, err: `Invalid argument <--asap=auto>!`},
	{opt: "", kind: bad, args: []string{"-loglevel=3", "-logsomething"}, err: `Invalid argument <-logsomething>!`},
	// the first error wins
	{opt: "", kind: bad, args: []string{"-maxhresitems=x", "-bogus"}, err: `bad value "x" for -maxhresitems: not a number`},
}

func TestOptions(t *testing.T) {
	for _, tc := range optionCases {
		t.Run(strings.Join(append(envList(tc.env), tc.args...), " "), func(t *testing.T) {
			c, err := Parse(tc.args, testEnv(tc.env))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tc.err)
				}
				if err.Error() != tc.err {
					t.Fatalf("error\n got %q\nwant %q", err.Error(), tc.err)
				}
				var ve *ValueError
				var ue *UnknownOptionError
				var se *UnsupportedError
				if !errors.As(err, &ve) && !errors.As(err, &ue) && !errors.As(err, &se) {
					t.Errorf("error type %T", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := Default()
			tc.want(&want)
			if !reflect.DeepEqual(*c, want) {
				t.Errorf("\n got %+v\nwant %+v", *c, want)
			}
		})
	}
}

func envList(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// TestEveryOptionCovered makes optionCases keep up with the table: each
// option needs a valid case and, unless it is a bare flag, a bad one, and a
// clamp case for each bound it has.
func TestEveryOptionCovered(t *testing.T) {
	have := map[string]map[kind]int{}
	for _, tc := range optionCases {
		if have[tc.opt] == nil {
			have[tc.opt] = map[kind]int{}
		}
		have[tc.opt][tc.kind]++
	}
	for _, o := range options {
		h := have[o.name]
		if h[valid] == 0 {
			t.Errorf("-%s: no valid-value case", o.name)
		}
		if h[bad] == 0 {
			t.Errorf("-%s: no bad-value case", o.name)
		}
		wantClamp := 0
		if o.min > 0 {
			wantClamp++
		}
		if o.max > 0 {
			wantClamp++
		}
		if h[clamp] < wantClamp {
			t.Errorf("-%s: %d clamp cases, want %d", o.name, h[clamp], wantClamp)
		}
	}
	for _, v := range []string{"CSP_SERVER", "CSP_INTERVAL"} {
		if have[v][valid] == 0 || have[v][bad] == 0 {
			t.Errorf("%s: needs valid and bad cases", v)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		want error
	}{
		{[]string{"-h"}, ErrHelp},
		{[]string{"-help"}, ErrHelp},
		{[]string{"-loglevel=3", "--help"}, ErrHelp},
		{[]string{"-bogus", "-h"}, ErrHelp},
		{[]string{"-version"}, ErrVersion},
		{[]string{"--version"}, ErrVersion},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.args, testEnv(nil)); err != tt.want {
			t.Errorf("%v: got %v, want %v", tt.args, err, tt.want)
		}
	}
}

func TestWarnings(t *testing.T) {
	var w strings.Builder
	env := testEnv(nil)
	env.Warnings = &w
	if _, err := Parse([]string{"-enrpmulticast=auto"}, env); err != nil {
		t.Fatal(err)
	}
	if got, want := w.String(), "WARNING: -enrpmulticast is deprecated, use -enrpannounce!\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	w.Reset()
	if _, err := Parse([]string{"-statsfile=s.txt", "-statsfile=s.bz2"}, env); err != nil {
		t.Fatal(err)
	}
	if got, want := w.String(), "WARNING: -statsfile=s.bz2 is written uncompressed (no bzip2 encoder)\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnknownOptionMessage(t *testing.T) {
	_, err := Parse([]string{"-bogus=1"}, testEnv(nil))
	var ue *UnknownOptionError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v", err)
	}
	msg := ue.Message("./rspregistrar")
	lines := strings.Split(msg, "\n")
	if len(lines) != 3 || lines[0] != "ERROR: Invalid argument <-bogus=1>!" ||
		!strings.HasPrefix(lines[1], "Usage: ./rspregistrar {-asap=auto|address:port{,address}...} {") || lines[2] != "" {
		t.Errorf("message:\n%s", msg)
	}
	_, err = Parse([]string{"-logsomething"}, testEnv(nil))
	if !errors.As(err, &ue) {
		t.Fatalf("got %v", err)
	}
	if got, want := ue.Message("x"), "ERROR: Invalid logging parameter -logsomething\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// manualOptions are the options of RSPLIB's manual page, rspregistrar(8),
// synopsis and argument list (plus -identifier from registrar.md §1).
var manualOptions = []string{
	"announcettl", "asap", "asapannounce", "autoclosetimeout", "endpointkeepalivetransmissioninterval",
	"endpointkeepalivetimeoutinterval", "maxbadpereports", "maxhresitems", "maxincrement", "minaddressscope",
	"serverannouncecycle", "enrp", "enrpannounce", "maxelementsperhtrequest", "mentordiscoverytimeout", "peer",
	"peerheartbeatcycle", "peermaxtimelastheard", "peermaxtimenoresponse", "takeoverexpiryinterval",
	"cspinterval", "cspserver", "logcolor", "logappend", "logfile", "loglevel", "quiet", "identifier",
}

func TestUsageListsEveryOption(t *testing.T) {
	u := Usage("rspregistrar")
	lines := strings.Split(u, "\n")
	find := func(name string) string {
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) > 0 && (f[0] == "-"+name || strings.HasPrefix(f[0], "-"+name+"=")) {
				return l
			}
		}
		return ""
	}
	for _, name := range manualOptions {
		if find(name) == "" {
			t.Errorf("-h does not list -%s", name)
		}
	}
	for _, o := range options {
		l := find(o.name)
		if l == "" {
			t.Errorf("-h does not list -%s", o.name)
		} else if !strings.Contains(l, "(default: ") {
			t.Errorf("-h line of -%s has no default: %q", o.name, l)
		}
	}
	for name, want := range map[string]string{
		"peerheartbeatcycle": "[1000..300000] (default: 2444.444)",
		"asapannounce":       "(default: auto (239.0.0.50:3863))",
		"loglevel":           "[0..9] (default: 1)",
		"maxhrrate":          "(default: unlimited)",
		"minaddressscope":    "(default: site-local)",
		"autoclosetimeout":   "[>= 5] (default: 300)",
	} {
		if l := find(name); !strings.HasSuffix(l, want) {
			t.Errorf("-%s: %q does not end in %q", name, l, want)
		}
	}
}
