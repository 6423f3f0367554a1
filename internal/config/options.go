package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// ErrHelp is returned by Parse when -h, -help or --help was given: print
// Usage on standard output and exit 0.
var ErrHelp = errors.New("help requested")

// ErrVersion is returned by Parse when -version or --version was given.
var ErrVersion = errors.New("version requested")

// ValueError is a bad value for a known option or environment variable.
type ValueError struct {
	Option string // "-maxbadpereports" or "CSP_INTERVAL"
	Value  string
	Err    error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("bad value %q for %s: %v", e.Value, e.Option, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// UnknownOptionError is an argument that names no option.
type UnknownOptionError struct {
	Arg string
}

func (e *UnknownOptionError) Error() string { return fmt.Sprintf("Invalid argument <%s>!", e.Arg) }

// Message is the complete text RSPLIB prints on standard error for the
// argument, with prog as the program name in the usage line.
func (e *UnknownOptionError) Message(prog string) string {
	if strings.HasPrefix(e.Arg, "-log") {
		// RSPLIB hands every -log* argument to its logging module, which
		// has its own message and prints no usage.
		return "ERROR: Invalid logging parameter " + e.Arg + "\n"
	}
	return "ERROR: " + e.Error() + "\n" + UsageLine(prog) + "\n"
}

// UnsupportedError is an option RSPLIB has that this registrar deliberately
// does not implement (docs/compatibility.md says why).
type UnsupportedError struct {
	Option string // "-actionlogfile"
	Reason string
}

func (e *UnsupportedError) Error() string {
	return e.Option + " is not supported: " + e.Reason
}

// Environment is what Parse needs from outside the argument list.
type Environment struct {
	// LookupEnv reads environment variables (os.LookupEnv); nil means none
	// are set.
	LookupEnv func(string) (string, bool)
	// Resolve looks host names up; nil means DNSResolver.
	Resolve Resolver
	// Warnings receives warnings such as the one for -enrpmulticast; nil
	// discards them.
	Warnings io.Writer
}

type parser struct {
	cfg     Config
	env     Environment
	resolve Resolver
}

// option is one row of the option table. Numeric options carry RSPLIB's clamp
// range in the unit the user writes; values outside it are clamped silently,
// as RSPLIB does.
type option struct {
	name   string
	syntax string // value placeholder for the usage; "" for a bare flag
	usage  string
	// def is the default as shown by -h; "" derives it from Default().
	def      func(c *Config) string
	min, max uint64 // clamp range; max == 0: none
	set      func(p *parser, value string) error
}

func (o *option) flag() bool { return o.syntax == "" }

// The table, in the order of RSPLIB's usage line (-peer, which it forgets,
// next to the other ENRP addresses) followed by the options it does not list.
var options = []option{
	local("asap", "ASAP (pool element and user) SCTP endpoint address(es)", func(c *Config) *Local { return &c.ASAP }),
	announce("asapannounce", "ASAP announce multicast group, or off", asapAnnounceGroup, func(c *Config) *Announce { return &c.ASAPAnnounce }),
	local("enrp", "ENRP (registrar peer) SCTP endpoint address(es)", func(c *Config) *Local { return &c.ENRP }),
	announce("enrpannounce", "ENRP presence multicast group, or off", enrpAnnounceGroup, func(c *Config) *Announce { return &c.ENRPAnnounce }),
	{
		name: "enrpmulticast", syntax: "auto|off|address:port",
		usage: "deprecated name of -enrpannounce",
		def:   func(*Config) string { return "see -enrpannounce" },
		set: func(p *parser, v string) error {
			if p.env.Warnings != nil {
				fmt.Fprintln(p.env.Warnings, "WARNING: -enrpmulticast is deprecated, use -enrpannounce!")
			}
			a, err := parseAnnounce(v, enrpAnnounceGroup, p.resolve)
			p.cfg.ENRPAnnounce = a
			return err
		},
	},
	{
		name: "peer", syntax: "address:port{,address}...",
		usage: "add a static peer registrar (repeatable; the first address's port, 9901 if none, applies to all)",
		def:   func(*Config) string { return "none" },
		set: func(p *parser, v string) error {
			t, err := parsePeer(v, p.resolve)
			if err == nil {
				p.cfg.Peers = append(p.cfg.Peers, t)
			}
			return err
		},
	},
	{
		name: "logfile", syntax: "file", usage: "write the log to file, truncating it",
		def: func(*Config) string { return "standard error" },
		set: func(p *parser, v string) error { return p.setLogFile(v, false) },
	},
	{
		name: "logappend", syntax: "file", usage: "append the log to file",
		def: func(*Config) string { return "standard error" },
		set: func(p *parser, v string) error { return p.setLogFile(v, true) },
	},
	{
		name: "logquiet", usage: "log nothing (log level 0, standard error)",
		set: func(p *parser, _ string) error {
			p.cfg.Log.Level, p.cfg.Log.File, p.cfg.Log.Append = 0, "", false
			return nil
		},
	},
	intOpt("loglevel", "0-9", "log verbosity: 0 none, 1 errors, 2 warnings, 3 notes, 4 actions, 5-9 verbose", 0, 9,
		func(c *Config) *int { return &c.Log.Level }),
	onOffOpt("logcolor", "ANSI colours in log entries", func(c *Config) *bool { return &c.Log.Color }),
	{
		name: "cspserver", syntax: "address:port",
		usage: "Component Status Protocol monitor (port 2960 if none); enables reports every 250 ms unless -cspinterval came first",
		def:   func(c *Config) string { return c.CSP.Server.String() + " or $CSP_SERVER" },
		set: func(p *parser, v string) error {
			a, err := ParseAddress(v, p.resolve)
			if err != nil {
				return err
			}
			p.cfg.CSP.Server = withDefaultPort(a, CSPPort)
			if p.cfg.CSP.Interval <= 0 {
				p.cfg.CSP.Interval = cspMinInterval
			}
			return nil
		},
	},
	{
		name: "cspinterval", syntax: "milliseconds", usage: "CSP report interval, 0 disables reports",
		def: func(*Config) string { return "0 (off) or $CSP_INTERVAL" },
		set: func(p *parser, v string) error {
			n, err := p.number(v, 0, 0)
			p.cfg.CSP.Interval = time.Duration(n) * time.Millisecond
			return err
		},
	},
	{
		name: "identifier", syntax: "id", usage: "registrar ID, decimal or 0x-prefixed hex; 0 picks a random one",
		def: func(*Config) string { return "random" },
		set: func(p *parser, v string) error {
			id, err := parseIdentifier(v)
			p.cfg.Identifier = id
			return err
		},
	},
	flagOpt("disable-ipv6", "use IPv4 sockets only", func(c *Config) *bool { return &c.DisableIPv6 }),
	flagOpt("quiet", "print no start-up banner and no final \"Terminated!\"", func(c *Config) *bool { return &c.Quiet }),
	secondsOpt("autoclosetimeout", "SCTP auto-close timeout for idle ASAP associations", 5, 0,
		func(c *Config) *time.Duration { return &c.AutoCloseTimeout }),
	msOpt("serverannouncecycle", "ASAP server announce interval", 100, 60000,
		func(c *Config) *time.Duration { return &c.Core.ServerAnnounceCycle }),
	countOpt("maxbadpereports", "reports", "Endpoint Unreachable reports before a pool element is removed", 1, 0,
		func(c *Config) *int { return &c.Core.MaxBadPEReports }),
	rateOpt("maxeurate", "Endpoint Unreachable reports per second accepted from one pool user, <= 0 unlimited",
		func(c *Config) *float64 { return &c.Core.MaxEURate }),
	rateOpt("maxhrrate", "handle resolutions per second accepted from one pool user, <= 0 unlimited",
		func(c *Config) *float64 { return &c.Core.MaxHRRate }),
	msOpt("endpointkeepalivetransmissioninterval", "idle time before an Endpoint Keep-Alive to a pool element", 300, 300000,
		func(c *Config) *time.Duration { return &c.Core.KeepAliveTransmissionInterval }),
	msOpt("endpointkeepalivetimeoutinterval", "time to wait for an Endpoint Keep-Alive Ack", 100, 60000,
		func(c *Config) *time.Duration { return &c.Core.KeepAliveTimeoutInterval }),
	{
		name: "minaddressscope", syntax: "loopback|sitelocal|global",
		usage: "narrowest address scope accepted from pool elements (site-local is accepted too)",
		def:   func(c *Config) string { return scopeName(c.Core.MinAddressScope) },
		set: func(p *parser, v string) error {
			switch v {
			case "loopback":
				p.cfg.Core.MinAddressScope = rserpool.ScopeLoopback
			case "sitelocal", "site-local":
				p.cfg.Core.MinAddressScope = rserpool.ScopeSiteLocal
			case "global":
				p.cfg.Core.MinAddressScope = rserpool.ScopeGlobal
			default:
				return errors.New(`use "loopback", "sitelocal" or "global"`)
			}
			return nil
		},
	},
	msOpt("peerheartbeatcycle", "ENRP presence interval", 1000, 300000,
		func(c *Config) *time.Duration { return &c.Core.PeerHeartbeatCycle }),
	msOpt("peermaxtimelastheard", "silence before a peer is probed", 1000, 300000,
		func(c *Config) *time.Duration { return &c.Core.PeerMaxTimeLastHeard }),
	msOpt("peermaxtimenoresponse", "time a probed peer has to answer before it is taken over", 1000, 60000,
		func(c *Config) *time.Duration { return &c.Core.PeerMaxTimeNoResponse }),
	flagOpt("supporttakeoversuggestion", "honour takeover suggestions", func(c *Config) *bool { return &c.Core.SupportTakeoverSuggestion }),
	msOpt("takeoverexpiryinterval", "time to collect Init Takeover Acks", 1000, 60000,
		func(c *Config) *time.Duration { return &c.Core.TakeoverExpiryInterval }),
	msOpt("mentordiscoverytimeout", "start-up time to find a mentor registrar", 1000, 60000,
		func(c *Config) *time.Duration { return &c.Core.MentorDiscoveryTimeout }),
	msOpt("mentorhuntinterval", "name of -mentordiscoverytimeout in RSPLIB's usage text and README", 1000, 60000,
		func(c *Config) *time.Duration { return &c.Core.MentorDiscoveryTimeout }),
	{
		name: "actionlogfile", syntax: "file", usage: "RSPLIB's per-action research log: not supported, rejected",
		def: func(*Config) string { return "none" },
		set: func(p *parser, v string) error {
			return &UnsupportedError{Option: "-actionlogfile",
				Reason: "RSPLIB's per-action research log is not implemented; use -statsfile, -scalar or -metricsaddress"}
		},
	},
	{
		name: "statsfile", syntax: "file", usage: "write a statistics line every -statsinterval to file (never compressed, also as .bz2)",
		def: func(*Config) string { return "none" },
		set: func(p *parser, v string) error {
			if v == "" {
				return errors.New("empty file name")
			}
			if strings.HasSuffix(v, ".bz2") && p.env.Warnings != nil {
				// RSPLIB compresses such a file with libbz2; Go's
				// standard library can only decompress.
				fmt.Fprintf(p.env.Warnings, "WARNING: -statsfile=%s is written uncompressed (no bzip2 encoder)\n", v)
			}
			p.cfg.Stats.File = v
			return nil
		},
	},
	{
		name: "statsinterval", syntax: "milliseconds", usage: "statistics interval", min: 10, max: 3600000,
		def: func(*Config) string { return "none" },
		set: func(p *parser, v string) error {
			n, err := p.number(v, 10, 3600000)
			p.cfg.Stats.Interval = int64(n)
			return err
		},
	},
	stringOpt("scalar", "file", "write scalar statistics to file at exit", true,
		func(c *Config) *string { return &c.Stats.ScalarFile }),
	stringOpt("object", "id", "object name in the scalar file", false,
		func(c *Config) *string { return &c.Stats.ObjectName }),
	stringOpt("daemonpidfile", "file", "run in the background and write the process ID to file", true,
		func(c *Config) *string { return &c.DaemonPIDFile }),
	countOpt("distancestep", "milliseconds", "distance rounding step of the DPF policies", 1, 0,
		func(c *Config) *uint32 { return &c.Core.DistanceStep }),
	countOpt("maxincrement", "increment", "MaxIncrement of the pool policies, 0 for the policy's default", 0, 0,
		func(c *Config) *int { return &c.Core.MaxIncrement }),
	countOpt("maxhresitems", "items", "pool elements returned when a pool user asks for none in particular", 1, 0,
		func(c *Config) *int { return &c.Core.MaxHResItems }),
	countOpt("maxelementsperhtrequest", "items", "pool elements per ENRP Handle Table Response", 1, 0,
		func(c *Config) *int { return &c.Core.MaxElementsPerHTRequest }),
	intOpt("announcettl", "ttl", "multicast TTL / hop limit of announces", 1, 255,
		func(c *Config) *int { return &c.AnnounceTTL }),
	intOpt("socketbuffer", "bytes", "SO_RCVBUF and SO_SNDBUF asked for the ASAP and ENRP sockets, 0 for the kernel's default (not in RSPLIB)", 0, 1<<30,
		func(c *Config) *int { return &c.SocketBuffer }),
	secondsFloatOpt("uptime", "failure-test mode: mean run time before an automatic restart, 0 off",
		func(c *Config) *time.Duration { return &c.Uptime }),
	secondsFloatOpt("downtime", "failure-test mode: mean pause before the restart",
		func(c *Config) *time.Duration { return &c.Downtime }),
	onOffOpt("ownercheck", "accept a re-registration or deregistration of a PE only over the association that registered it, and count Endpoint Unreachable reports about a PE once per reporting association (RFC 5355; not in RSPLIB)",
		func(c *Config) *bool { return &c.Core.OwnerCheck }),
	{
		name: "enrpallow", syntax: "peers|network,...",
		usage: "accept ENRP only from the -peer addresses and these networks (address/bits or address); \"peers\": from the -peer addresses only (RFC 5355; not in RSPLIB)",
		def:   func(*Config) string { return "everyone" },
		set: func(p *parser, v string) error {
			nets, err := parseAllowList(v)
			p.cfg.Core.ENRPAllow = nets
			return err
		},
	},
	{
		name: "metricsaddress", syntax: "address:port",
		usage: "serve Prometheus metrics over HTTP at http://address:port/metrics (not in RSPLIB; \":port\" for every address)",
		def:   func(*Config) string { return "off" },
		set: func(p *parser, v string) error {
			a, err := parseMetricsAddress(v, p.resolve)
			p.cfg.MetricsAddress = a
			return err
		},
	},
}

// parseAllowList reads -enrpallow: "peers" (an empty, non-nil list) or
// comma-separated networks and single addresses.
func parseAllowList(v string) ([]netip.Prefix, error) {
	if v == "peers" {
		return []netip.Prefix{}, nil
	}
	var nets []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if pfx, err := netip.ParsePrefix(f); err == nil {
			nets = append(nets, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a network (address/bits) nor an address", f)
		}
		a = a.Unmap()
		nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return nets, nil
}

// parseMetricsAddress takes address:port, [IPv6]:port or :port; the port is
// required, since no port is registered for this.
func parseMetricsAddress(v string, resolve Resolver) (string, error) {
	if rest, ok := strings.CutPrefix(v, ":"); ok {
		port, err := parsePort(rest)
		if err != nil {
			return "", err
		}
		if port == 0 {
			return "", errors.New("port 0")
		}
		return ":" + rest, nil
	}
	a, err := ParseAddress(v, resolve)
	if err != nil {
		return "", err
	}
	if a.Port() == 0 {
		return "", errors.New("a port is required (address:port)")
	}
	return a.String(), nil
}

// cspMinInterval is what RSPLIB uses when CSP gets enabled without an
// explicit interval (and the floor of CSP_INTERVAL).
const cspMinInterval = 250 * time.Millisecond

func lookup(name string) *option {
	for i := range options {
		if options[i].name == name {
			return &options[i]
		}
	}
	return nil
}

// Parse parses the arguments (without the program name) on top of the
// defaults and the CSP environment variables. Later options override earlier
// ones, except -peer, which accumulates. The first bad argument ends parsing
// with a *ValueError or *UnknownOptionError; -h and -version anywhere return
// ErrHelp or ErrVersion.
func Parse(args []string, env Environment) (*Config, error) {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return nil, ErrHelp
		case "-version", "--version":
			return nil, ErrVersion
		}
	}
	p := &parser{cfg: Default(), env: env, resolve: env.Resolve}
	if p.resolve == nil {
		p.resolve = DNSResolver
	}
	if err := p.environment(); err != nil {
		return nil, err
	}
	for _, a := range args {
		if err := p.arg(a); err != nil {
			return nil, err
		}
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p.cfg, nil
}

func (p *parser) arg(a string) error {
	if !strings.HasPrefix(a, "-") {
		return &UnknownOptionError{Arg: a}
	}
	name, value, hasValue := strings.Cut(a[1:], "=")
	o := lookup(name)
	if o == nil || o.flag() == hasValue {
		return &UnknownOptionError{Arg: a}
	}
	if err := o.set(p, value); err != nil {
		if ue, ok := err.(*UnsupportedError); ok {
			return ue
		}
		return &ValueError{Option: "-" + name, Value: value, Err: err}
	}
	return nil
}

// environment applies CSP_SERVER and CSP_INTERVAL the way RSPLIB does: the
// interval variable enables reports as soon as it exists (raised to 250 ms),
// the server variable alone does not.
func (p *parser) environment() error {
	if p.env.LookupEnv == nil {
		return nil
	}
	if v, ok := p.env.LookupEnv("CSP_SERVER"); ok {
		a, err := ParseAddress(v, p.resolve)
		if err != nil {
			return &ValueError{Option: "CSP_SERVER", Value: v, Err: err}
		}
		p.cfg.CSP.Server = withDefaultPort(a, CSPPort)
	}
	if v, ok := p.env.LookupEnv("CSP_INTERVAL"); ok {
		var n uint64
		if v != "" {
			var err error
			if n, err = p.number(v, 0, 0); err != nil {
				return &ValueError{Option: "CSP_INTERVAL", Value: v, Err: err}
			}
		}
		p.cfg.CSP.Interval = max(time.Duration(n)*time.Millisecond, cspMinInterval)
	}
	return nil
}

// validate checks what depends on several options.
func (p *parser) validate() error {
	if !p.cfg.DisableIPv6 {
		return nil
	}
	for _, l := range []struct {
		name string
		l    Local
	}{{"-asap", p.cfg.ASAP}, {"-enrp", p.cfg.ENRP}} {
		for _, a := range l.l.Addrs {
			if a.Unmap().Is6() {
				return &ValueError{Option: l.name, Value: a.String(), Err: errors.New("IPv6 address, but -disable-ipv6 is given")}
			}
		}
	}
	return nil
}

func (p *parser) setLogFile(v string, appendMode bool) error {
	if v == "" {
		return errors.New("empty file name")
	}
	p.cfg.Log.File, p.cfg.Log.Append = v, appendMode
	return nil
}

// number parses a non-negative decimal integer and clamps it to [lo, hi]
// (hi == 0: no upper clamp, but at most math.MaxUint32, the width of
// RSPLIB's fields). A value too large to parse counts as above any clamp.
func (p *parser) number(v string, lo, hi uint64) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		switch {
		case errors.Is(err, strconv.ErrRange):
			n = math.MaxUint64
		case strings.HasPrefix(v, "-"):
			if _, ferr := strconv.ParseFloat(v, 64); ferr == nil {
				return 0, errors.New("must not be negative")
			}
			return 0, errors.New("not a number")
		default:
			if _, ferr := strconv.ParseFloat(v, 64); ferr == nil {
				return 0, errors.New("not a whole number")
			}
			return 0, errors.New("not a number")
		}
	}
	if hi == 0 {
		if n > math.MaxUint32 {
			return 0, fmt.Errorf("larger than %d", uint64(math.MaxUint32))
		}
	} else if n > hi {
		n = hi
	}
	return max(n, lo), nil
}

func parseIdentifier(v string) (rserpool.RegistrarID, error) {
	digits, base := v, 10
	if strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X") {
		digits, base = v[2:], 16
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' {
		return 0, errors.New("not a number (decimal or 0x-prefixed hex)")
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.New("larger than 32 bits")
		}
		return 0, errors.New("not a number (decimal or 0x-prefixed hex)")
	}
	return rserpool.RegistrarID(n), nil
}

func parseFloat(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not a number")
	}
	return f, nil
}

func withDefaultPort(a netip.AddrPort, port uint16) netip.AddrPort {
	if a.Port() == 0 {
		return netip.AddrPortFrom(a.Addr(), port)
	}
	return a
}

// Row constructors.

func local(name, usage string, field func(*Config) *Local) option {
	return option{
		name: name, syntax: "auto|address:port{,address}...", usage: usage,
		def: func(*Config) string { return "auto (random port)" },
		set: func(p *parser, v string) error {
			l, err := parseLocal(v, p.resolve)
			*field(&p.cfg) = l
			return err
		},
	}
}

func announce(name, usage string, group netip.AddrPort, field func(*Config) *Announce) option {
	return option{
		name: name, syntax: "auto|off|address:port", usage: usage,
		def: func(*Config) string { return "auto (" + group.String() + ")" },
		set: func(p *parser, v string) error {
			a, err := parseAnnounce(v, group, p.resolve)
			*field(&p.cfg) = a
			return err
		},
	}
}

func countOpt[T uint32 | int](name, syntax, usage string, lo, hi uint64, field func(*Config) *T) option {
	return option{
		name: name, syntax: syntax, usage: usage, min: lo, max: hi,
		def: func(c *Config) string { return strconv.FormatUint(uint64(*field(c)), 10) },
		set: func(p *parser, v string) error {
			n, err := p.number(v, lo, hi)
			*field(&p.cfg) = T(n)
			return err
		},
	}
}

func intOpt(name, syntax, usage string, lo, hi uint64, field func(*Config) *int) option {
	return option{
		name: name, syntax: syntax, usage: usage, min: lo, max: hi,
		def: func(c *Config) string { return strconv.Itoa(*field(c)) },
		set: func(p *parser, v string) error {
			n, err := p.number(v, lo, hi)
			*field(&p.cfg) = int(n)
			return err
		},
	}
}

func msOpt(name, usage string, lo, hi uint64, field func(*Config) *time.Duration) option {
	return option{
		name: name, syntax: "milliseconds", usage: usage, min: lo, max: hi,
		def: func(c *Config) string { return formatMillis(*field(c)) },
		set: func(p *parser, v string) error {
			n, err := p.number(v, lo, hi)
			*field(&p.cfg) = time.Duration(n) * time.Millisecond
			return err
		},
	}
}

func secondsOpt(name, usage string, lo, hi uint64, field func(*Config) *time.Duration) option {
	return option{
		name: name, syntax: "seconds", usage: usage, min: lo, max: hi,
		def: func(c *Config) string { return strconv.FormatInt(int64(*field(c)/time.Second), 10) },
		set: func(p *parser, v string) error {
			n, err := p.number(v, lo, hi)
			*field(&p.cfg) = time.Duration(n) * time.Second
			return err
		},
	}
}

// secondsFloatOpt is for -uptime/-downtime, which RSPLIB reads with atof.
func secondsFloatOpt(name, usage string, field func(*Config) *time.Duration) option {
	return option{
		name: name, syntax: "seconds", usage: usage,
		def: func(c *Config) string { return strconv.FormatFloat(field(c).Seconds(), 'f', -1, 64) },
		set: func(p *parser, v string) error {
			f, err := parseFloat(v)
			switch {
			case err != nil:
				return err
			case f < 0:
				return errors.New("must not be negative")
			case f > float64(math.MaxInt64/int64(time.Second)):
				return errors.New("too large")
			}
			*field(&p.cfg) = time.Duration(f * float64(time.Second))
			return nil
		},
	}
}

// rateOpt is for -maxhrrate/-maxeurate. RSPLIB's own default is -1, meaning
// unlimited, so negative values are meaningful here and accepted.
func rateOpt(name, usage string, field func(*Config) *float64) option {
	return option{
		name: name, syntax: "rate", usage: usage,
		def: func(c *Config) string { return formatRate(*field(c)) },
		set: func(p *parser, v string) error {
			f, err := parseFloat(v)
			*field(&p.cfg) = f
			return err
		},
	}
}

// onOffOpt is an option taking "on" or "off".
func onOffOpt(name, usage string, field func(*Config) *bool) option {
	return option{
		name: name, syntax: "on|off", usage: usage,
		def: func(c *Config) string { return onOff(*field(c)) },
		set: func(p *parser, v string) error {
			switch v {
			case "on":
				*field(&p.cfg) = true
			case "off":
				*field(&p.cfg) = false
			default:
				return errors.New(`use "on" or "off"`)
			}
			return nil
		},
	}
}

func flagOpt(name, usage string, field func(*Config) *bool) option {
	return option{
		name: name, usage: usage,
		set: func(p *parser, _ string) error {
			*field(&p.cfg) = true
			return nil
		},
	}
}

func stringOpt(name, syntax, usage string, isFile bool, field func(*Config) *string) option {
	return option{
		name: name, syntax: syntax, usage: usage,
		def: func(c *Config) string {
			if *field(c) == "" {
				return "none"
			}
			return *field(c)
		},
		set: func(p *parser, v string) error {
			if isFile && v == "" {
				return errors.New("empty file name")
			}
			*field(&p.cfg) = v
			return nil
		},
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func formatMillis(d time.Duration) string {
	if d%time.Millisecond == 0 {
		return strconv.FormatInt(d.Milliseconds(), 10)
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
}

func formatRate(r float64) string {
	if r <= 0 {
		return "unlimited"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func scopeName(s rserpool.Scope) string {
	switch {
	case s <= rserpool.ScopeLoopback:
		return "loopback"
	case s <= rserpool.ScopeSiteLocal:
		return "site-local"
	}
	return "global"
}
