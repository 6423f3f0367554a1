package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/config"
	"github.com/rserpool/rspregistrar/internal/daemon"
	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// binPath is the rspregistrar built once by TestMain (inside the sandbox: the
// one the sandbox driver built).
var binPath string

const testVersion = "test-1.2.3"

func TestMain(m *testing.M) {
	if sandboxtest.Active() {
		binPath = os.Getenv(sandboxtest.EnvBinary)
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "rspregistrar-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "rspregistrar")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building rspregistrar: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBinary runs the built program with a clean environment plus env.
func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("running %s: %v", binPath, err)
	}
	return o.String(), e.String(), code
}

func hostHasSCTP() bool {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_SEQPACKET, syscall.IPPROTO_SCTP)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
}

// badValues has a bad argument for every option; TestBinaryBadValues checks
// that the list covers everything -h shows.
var badValues = map[string]string{
	"asap":                                  "-asap=1.2.3.4:x",
	"asapannounce":                          "-asapannounce=[ff05::1",
	"enrp":                                  "-enrp=auto,1.2.3.4",
	"enrpannounce":                          "-enrpannounce=1.2.3",
	"enrpmulticast":                         "-enrpmulticast=239.0.0.1:70000",
	"peer":                                  "-peer=",
	"logfile":                               "-logfile=",
	"logappend":                             "-logappend=",
	"logquiet":                              "-logquiet=1",
	"loglevel":                              "-loglevel=high",
	"logcolor":                              "-logcolor=auto",
	"cspserver":                             "-cspserver=:2960",
	"cspinterval":                           "-cspinterval=-1",
	"identifier":                            "-identifier=0xz",
	"disable-ipv6":                          "-disable-ipv6=1",
	"quiet":                                 "-quiet=0",
	"autoclosetimeout":                      "-autoclosetimeout=1h",
	"serverannouncecycle":                   "-serverannouncecycle=-5",
	"maxbadpereports":                       "-maxbadpereports=abc",
	"maxeurate":                             "-maxeurate=many",
	"maxhrrate":                             "-maxhrrate=",
	"endpointkeepalivetransmissioninterval": "-endpointkeepalivetransmissioninterval=5s",
	"endpointkeepalivetimeoutinterval":      "-endpointkeepalivetimeoutinterval=1.5",
	"minaddressscope":                       "-minaddressscope=local",
	"peerheartbeatcycle":                    "-peerheartbeatcycle=2444.444",
	"peermaxtimelastheard":                  "-peermaxtimelastheard=x",
	"peermaxtimenoresponse":                 "-peermaxtimenoresponse=-1",
	"supporttakeoversuggestion":             "-supporttakeoversuggestion=on",
	"takeoverexpiryinterval":                "-takeoverexpiryinterval=",
	"mentordiscoverytimeout":                "-mentordiscoverytimeout=5e3",
	"mentorhuntinterval":                    "-mentorhuntinterval=0x10",
	"actionlogfile":                         "-actionlogfile=a.log",
	"metricsaddress":                        "-metricsaddress=127.0.0.1",
	"ownercheck":                            "-ownercheck=maybe",
	"enrpallow":                             "-enrpallow=10.0.0.0/99",
	"statsfile":                             "-statsfile=",
	"statsinterval":                         "-statsinterval=-1",
	"scalar":                                "-scalar=",
	"object":                                "-object",
	"daemonpidfile":                         "-daemonpidfile=",
	"distancestep":                          "-distancestep=-50",
	"maxincrement":                          "-maxincrement=foo",
	"maxhresitems":                          "-maxhresitems=3items",
	"maxelementsperhtrequest":               "-maxelementsperhtrequest=99999999999",
	"announcettl":                           "-announcettl=-1",
	"socketbuffer":                          "-socketbuffer=4M",
	"uptime":                                "-uptime=-3",
	"downtime":                              "-downtime=x",
}

// helpOptions reads the option names from the binPath's -h output.
func helpOptions(t *testing.T, help string) []string {
	t.Helper()
	var names []string
	for _, l := range strings.Split(help, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !strings.HasPrefix(f[0], "-") || strings.HasSuffix(f[0], ",") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(f[0], "-"), "=")
		if name != "version" {
			names = append(names, name)
		}
	}
	return names
}

func TestBinaryHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		stdout, stderr, code := runBinary(t, nil, "-loglevel=3", arg)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage: rspregistrar ") {
			t.Errorf("%s: code %d, stderr %q, stdout %.60q", arg, code, stderr, stdout)
		}
	}
	stdout, _, _ := runBinary(t, nil, "-h")
	names := helpOptions(t, stdout)
	// The options of RSPLIB's manual page, rspregistrar(8).
	for _, want := range []string{"announcettl", "asap", "asapannounce", "autoclosetimeout",
		"endpointkeepalivetransmissioninterval", "endpointkeepalivetimeoutinterval", "maxbadpereports",
		"maxhresitems", "maxincrement", "minaddressscope", "serverannouncecycle", "enrp", "enrpannounce",
		"maxelementsperhtrequest", "mentordiscoverytimeout", "peer", "peerheartbeatcycle", "peermaxtimelastheard",
		"peermaxtimenoresponse", "takeoverexpiryinterval", "cspinterval", "cspserver", "logcolor", "logappend",
		"logfile", "loglevel", "quiet"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("-h does not list -%s", want)
		}
	}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "  -") && !strings.HasPrefix(l, "  -h,") && !strings.HasPrefix(l, "  -version,") &&
			!strings.Contains(l, "(default: ") {
			t.Errorf("-h line without default: %q", l)
		}
	}

	for _, arg := range []string{"-version", "--version"} {
		stdout, stderr, code := runBinary(t, nil, arg)
		if code != 0 || stderr != "" || stdout != "rspregistrar "+testVersion+"\n" {
			t.Errorf("%s: code %d, stdout %q, stderr %q", arg, code, stdout, stderr)
		}
	}
}

// TestBinaryBadValues runs the binPath with a bad value for every option: exit
// status 1, nothing on stdout, one line on stderr naming the option (bare
// flags given a value are unknown arguments: RSPLIB's two-line message).
func TestBinaryBadValues(t *testing.T) {
	help, _, _ := runBinary(t, nil, "-h")
	for _, name := range helpOptions(t, help) {
		if _, ok := badValues[name]; !ok {
			t.Errorf("no bad value for -%s", name)
		}
	}
	for name, arg := range badValues {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, nil, arg)
			if code != 1 || stdout != "" {
				t.Fatalf("code %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			// The deprecation warning comes first, as in RSPLIB.
			stderr = strings.TrimPrefix(stderr, "WARNING: -enrpmulticast is deprecated, use -enrpannounce!\n")
			lines := strings.SplitAfter(stderr, "\n")
			switch {
			case strings.HasPrefix(stderr, "rspregistrar: bad value "):
				if len(lines) != 2 || lines[1] != "" || !strings.Contains(stderr, " for -"+name+": ") {
					t.Errorf("stderr %q", stderr)
				}
			case strings.HasPrefix(stderr, "ERROR: Invalid argument <"+arg+">!\n"):
				if len(lines) != 3 || !strings.HasPrefix(lines[1], "Usage: "+binPath+" {-asap=") {
					t.Errorf("stderr %q", stderr)
				}
			case strings.HasPrefix(stderr, "rspregistrar: -"+name+" is not supported: "):
				if len(lines) != 2 || lines[1] != "" {
					t.Errorf("stderr %q", stderr)
				}
			case strings.HasPrefix(stderr, "ERROR: Invalid logging parameter "+arg+"\n"):
				if len(lines) != 2 {
					t.Errorf("stderr %q", stderr)
				}
			default:
				t.Errorf("stderr %q", stderr)
			}
		})
	}
}

func TestBinaryErrors(t *testing.T) {
	noSCTP := `rspregistrar: this kernel has no SCTP \(socket: [a-z ]+\); load the SCTP module \(modprobe sctp\) and start again\n$`
	type errCase struct {
		name   string
		env    []string
		args   []string
		stderr string // exact, or
		re     string // a regular expression
	}
	tests := []errCase{
		{name: "unknown", args: []string{"-bogus"},
			re: `^ERROR: Invalid argument <-bogus>!\nUsage: \S+ \{-asap=auto\|address:port\{,address\}\.\.\.\}( \{[^{}]+(\{,address\}\.\.\.)?\})+\n$`},
		{name: "prefix", args: []string{"-maxbadpereportsX=1"},
			re: `^ERROR: Invalid argument <-maxbadpereportsX=1>!\nUsage: [^\n]+\n$`},
		{name: "positional", args: []string{"auto"}, re: `^ERROR: Invalid argument <auto>!\nUsage: [^\n]+\n$`},
		{name: "logging", args: []string{"-logfoo=1"}, stderr: "ERROR: Invalid logging parameter -logfoo=1\n"},
		{name: "CSP_INTERVAL", env: []string{"CSP_INTERVAL=soon"},
			stderr: "rspregistrar: bad value \"soon\" for CSP_INTERVAL: not a number\n"},
		{name: "CSP_SERVER", env: []string{"CSP_SERVER=1.2.3.4:x"},
			stderr: "rspregistrar: bad value \"1.2.3.4:x\" for CSP_SERVER: bad port \"x\"\n"},
		{name: "log file", args: []string{"-logfile=/nonexistent/dir/pr.log"},
			stderr: "rspregistrar: opening log file: open /nonexistent/dir/pr.log: no such file or directory\n"},
		{name: "first error wins", args: []string{"-loglevel=x", "-bogus"},
			stderr: "rspregistrar: bad value \"x\" for -loglevel: not a number\n"},
	}
	if !hostHasSCTP() {
		tests = append(tests,
			errCase{name: "no SCTP", re: "^" + noSCTP},
			errCase{name: "no SCTP, deprecated option", args: []string{"-enrpmulticast=off", "-disable-ipv6"},
				re: "^WARNING: -enrpmulticast is deprecated, use -enrpannounce!\n" + noSCTP})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, tt.env, tt.args...)
			if code != 1 || stdout != "" {
				t.Errorf("code %d, stdout %q", code, stdout)
			}
			if tt.re != "" {
				if !regexp.MustCompile(tt.re).MatchString(stderr) {
					t.Errorf("stderr %q does not match %s", stderr, tt.re)
				}
			} else if stderr != tt.stderr {
				t.Errorf("stderr\n got %q\nwant %q", stderr, tt.stderr)
			}
		})
	}
}

func fakeSystem(probeErr error) system {
	return system{
		probeSCTP: func(bool) error { return probeErr },
		resolve: func(host string) ([]netip.Addr, error) {
			if host == "pr1.example" {
				return []netip.Addr{netip.MustParseAddr("198.18.0.1")}, nil
			}
			return nil, errors.New("no such host")
		},
		randomID: func() rserpool.RegistrarID { return 0x12345678 },
		open: func(cfg *config.Config, _ *logging.Logger, id rserpool.RegistrarID, _ daemon.Options) (registrarRunner, error) {
			return fakeRunner{cfg: cfg, id: id}, nil
		},
		signals: func(chan<- os.Signal) func() { return func() {} },
		kill:    func() { panic("kill") },
		sleep:   func(time.Duration, <-chan struct{}) {},
		expRand: func() float64 { return 1 },
		now:     time.Now,
		// A background copy that reports at once that it runs.
		startBackground: func(_ []string, _ []string, files []*os.File) (int, error) {
			if _, err := files[len(files)-1].WriteString("ready\n"); err != nil {
				return 0, err
			}
			return 4242, nil
		},
	}
}

// fakeRunner stands for the daemon: it "binds" the configured addresses and
// ports (0 for a random port) and stops at once.
type fakeRunner struct {
	cfg *config.Config
	id  rserpool.RegistrarID
}

func (f fakeRunner) Facts() config.Facts {
	useIPv6 := !f.cfg.DisableIPv6
	return config.Facts{ServerID: f.id,
		ASAP: rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: f.cfg.ASAP.Port, Addrs: f.cfg.ASAP.Addresses(useIPv6)},
		ENRP: rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: f.cfg.ENRP.Port, Addrs: f.cfg.ENRP.Addresses(useIPv6)},
	}
}

func (fakeRunner) Run(context.Context, <-chan struct{}) error { return nil }

func (fakeRunner) Stats() registrar.Stats { return registrar.Stats{} }

// Sockets returns pipes standing for the SCTP sockets.
func (fakeRunner) Sockets() (*daemon.Sockets, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &daemon.Sockets{ASAP: r, ENRP: w}, nil
}

var stamp = `\d\d-[A-Z][a-z][a-z]-\d{4} \d\d:\d\d:\d\d\.\d{4}: `

// TestStartup runs main in-process with a fake SCTP probe and a fake daemon
// that stops at once: banner and farewell on stdout, the log start on
// stderr, status 0.
func TestStartup(t *testing.T) {
	golden, err := os.ReadFile("../../internal/config/testdata/banner-golden-a-echo.txt")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runWith(fakeSystem(nil), []string{"rspregistrar", "-identifier=0x11111111", "-asap=198.18.0.1:3863",
		"-enrp=198.18.0.1:9901", "-asapannounce=off", "-enrpannounce=off", "-loglevel=4", "-logcolor=off"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Errorf("code %d", code)
	}
	if stdout.String() != string(golden)+"\nTerminated!\n" {
		t.Errorf("banner:\n%s\nwant\n%s", stdout.String(), golden)
	}
	re := regexp.MustCompile(`^` + stamp + `P\d+\.[0-9a-f]+@\S+ logging/logging.go:\d+ New\(\)\n` +
		stamp + `Logging started, log level is 4\.\n` +
		stamp + `P\d+\.[0-9a-f]+@\S+ rspregistrar/main.go:\d+ \(\*program\).runOnce\(\)\n` +
		stamp + `Registrar started. Going into initialization phase...\n$`)
	if !re.MatchString(stderr.String()) {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestStartupBanner checks banner lines that options and start-up facts
// produce, clamps included.
func TestStartupBanner(t *testing.T) {
	tests := []struct {
		args []string
		env  []string
		line string
	}{
		{nil, nil, "Server ID:              $12345678"},
		{[]string{"-identifier=0"}, nil, "Server ID:              $12345678"},
		{[]string{"-identifier=4294967295"}, nil, "Server ID:              $ffffffff"},
		{nil, nil, "ASAP Address:           {::} 0/SCTP"},
		{[]string{"-disable-ipv6"}, nil, "ENRP Address:           {0.0.0.0} 0/SCTP"},
		{[]string{"-asap=pr1.example:3863,[2001:db8::1]"}, nil, "ASAP Address:           {198.18.0.1, 2001:db8::1} 3863/SCTP"},
		{nil, nil, "ASAP Announce Address:  {239.0.0.50} 3863/UDP"},
		{[]string{"-enrpannounce=239.1.1.1"}, nil, "ENRP Announce Address:  {239.1.1.1} 9901/UDP"},
		{[]string{"-enrpmulticast=off"}, nil, "ENRP Announce Address:  (none)"},
		{[]string{"-announcettl=300"}, nil, "ASAP/ENRP Announce TTL: 255"},
		{nil, []string{"CSP_INTERVAL=1"}, "CSP Report Interval:    250ms"},
		{nil, []string{"CSP_SERVER=[2001:db8::9]", "CSP_INTERVAL=700"}, "CSP Report Address:     [2001:db8::9]:2960"},
		{[]string{"-autoclosetimeout=0"}, nil, "Auto-Close Timeout:     5s"},
		{[]string{"-minaddressscope=site-local"}, nil, "Min Address Scope:      site-local"},
		{[]string{"-daemonpidfile=/run/pr.pid"}, nil, "Daemon Mode:            /run/pr.pid"},
		{[]string{"-distancestep=0"}, nil, "   Distance Step:                               1ms"},
		{[]string{"-maxbadpereports=0"}, nil, "   Max Bad PE Reports:                          1"},
		{[]string{"-serverannouncecycle=1"}, nil, "   Server Announce Cycle:                       100ms"},
		{[]string{"-endpointkeepalivetransmissioninterval=999999"}, nil, "   Endpoint Keep Alive Transmission Interval:   300000ms"},
		{[]string{"-endpointkeepalivetimeoutinterval=1"}, nil, "   Endpoint Keep Alive Timeout Interval:        100ms"},
		{[]string{"-maxincrement=9"}, nil, "   Max Increment:                               9"},
		{[]string{"-maxhresitems=0"}, nil, "   Max Handle Resolution Items (MaxHResItems):  1"},
		{[]string{"-peerheartbeatcycle=0"}, nil, "   Peer Heartbeat Cylce:                        1000ms"},
		{[]string{"-peermaxtimelastheard=400000"}, nil, "   Peer Max Time Last Heard:                    300000ms"},
		{[]string{"-peermaxtimenoresponse=70000"}, nil, "   Peer Max Time No Response:                   60000ms"},
		{[]string{"-maxelementsperhtrequest=0"}, nil, "   Max Elements per Handle Table Request:       1"},
		{[]string{"-mentordiscoverytimeout=1"}, nil, "   Mentor Hunt Timeout:                         1000ms"},
		{[]string{"-takeoverexpiryinterval=70000"}, nil, "   Takeover Expiry Interval:                    60000ms"},
		{[]string{"-supporttakeoversuggestion"}, nil, "   Support for Takeover Suggestion:             on"},
		{[]string{"-maxhrrate=2.5"}, nil, "   Max Handle Resolution Rate:                  2.50 requests/s"},
		{[]string{"-maxeurate=0"}, nil, "   Max Endpoint Unreachable Rate:               unlimited"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append(tt.env, tt.args...), " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			// Daemon mode writes its file for real.
			dir := t.TempDir()
			line := strings.ReplaceAll(tt.line, "/run/", dir+"/")
			args := []string{"rspregistrar", "-logquiet"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "/run/", dir+"/"))
			}
			if code := runWith(fakeSystem(nil), args, tt.env, &stdout, &stderr); code != 0 {
				t.Errorf("code %d, stderr %q", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "\n"+line+"\n") {
				t.Errorf("banner lacks %q:\n%s", line, stdout.String())
			}
		})
	}
}

func TestStartupQuietAndProbe(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runWith(fakeSystem(nil), []string{"x", "-quiet"}, nil, &stdout, &stderr); code != 0 || stdout.Len() != 0 {
		t.Errorf("-quiet: code %d, stdout %q", code, stdout.String())
	}

	probe := errNoSCTP{syscall.EPROTONOSUPPORT}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "rspregistrar: this kernel has no SCTP (socket: protocol not supported); load the SCTP module (modprobe sctp) and start again\n"},
		{[]string{"-loglevel=3", "-logcolor=off"}, "Logging started, log level is 3.\nrspregistrar: this kernel"},
		// After a coloured entry on stderr the line restores the colours.
		{[]string{"-loglevel=3"}, "Logging started, log level is 3.\n\x1b[30m\x1b[0mrspregistrar: this kernel"},
	} {
		stdout.Reset()
		stderr.Reset()
		code := runWith(fakeSystem(probe), append([]string{"x"}, tt.args...), nil, &stdout, &stderr)
		if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: code %d, stdout %q, stderr %q", tt.args, code, stdout.String(), stderr.String())
		}
	}
}

func TestLookupIn(t *testing.T) {
	look := lookupIn([]string{"A=1", "B=", "A=2", "C"})
	for _, tt := range []struct {
		key, val string
		ok       bool
	}{{"A", "2", true}, {"B", "", true}, {"C", "", false}, {"D", "", false}} {
		if v, ok := look(tt.key); v != tt.val || ok != tt.ok {
			t.Errorf("%s: %q %v", tt.key, v, ok)
		}
	}
}

func TestRandomID(t *testing.T) {
	if randomID() == 0 {
		t.Error("zero ID")
	}
}

// TestSandboxStartup runs the real binPath where the kernel has SCTP: no
// complaint about a missing module, and RSPLIB's banner with the given
// identity. It stops the registrar once the banner is out, so it keeps
// working when the registrar core runs for real.
func TestSandboxStartup(t *testing.T) {
	sandboxtest.Require(t)
	reg := sandboxtest.Registrar(t)
	cmd := exec.Command(reg, "-identifier=0x11111111", "-asap=198.18.0.1:3863", "-enrp=198.18.0.1:9901",
		"-asapannounce=off", "-enrpannounce=off", "-loglevel=3", "-logcolor=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	buf := make([]byte, 4096)
	for !strings.Contains(stdout.String(), "Max Endpoint Unreachable Rate:") {
		n, err := out.Read(buf)
		stdout.Write(buf[:n])
		if err != nil {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if strings.Contains(stderr.String(), "modprobe") {
		t.Errorf("SCTP reported missing in the sandbox: %q", stderr.String())
	}
	for _, want := range []string{
		"The rsplib Registrar - Version 1.00\n===================================\n\n",
		"\nServer ID:              $11111111\n",
		"\nASAP Address:           {198.18.0.1} 3863/SCTP\n",
		"\nENRP Address:           {198.18.0.1} 9901/SCTP\n",
		"\n   Max Endpoint Unreachable Rate:               unlimited\n",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, stdout.String(), stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "Logging started, log level is 3.\n") {
		t.Errorf("stderr: %q", stderr.String())
	}
}
