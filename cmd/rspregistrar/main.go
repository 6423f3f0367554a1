// Command rspregistrar is an RSerPool Pool Registrar, a drop-in replacement for
// RSPLIB's rspregistrar.
//
// main parses the command line, starts logging, checks that the kernel has
// SCTP, binds the sockets (internal/daemon), prints RSPLIB's banner and runs
// the registrar until SIGINT or SIGTERM. It also does what RSPLIB's main
// does around that: daemon mode (-daemonpidfile, daemon.go here), the
// failure-test mode's restarts (-uptime/-downtime), the research statistics
// files, and, not in RSPLIB, the metrics server and log reopening on SIGHUP.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rserpool/rspregistrar/internal/config"
	"github.com/rserpool/rspregistrar/internal/daemon"
	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/metrics"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/stats"
)

// version is set by the Makefile with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Environ(), os.Stdout, os.Stderr))
}

// system is what the daemon takes from the machine; tests replace it.
type system struct {
	probeSCTP func(ipv6 bool) error
	resolve   config.Resolver
	randomID  func() rserpool.RegistrarID
	open      func(*config.Config, *logging.Logger, rserpool.RegistrarID, daemon.Options) (registrarRunner, error)
	// startBackground starts the background copy of this program for
	// daemon mode (see daemon.go) and returns its process id.
	startBackground func(args, env []string, files []*os.File) (pid int, err error)
	// signals delivers SIGINT, SIGTERM and SIGHUP; stop undoes it.
	signals func(chan<- os.Signal) (stop func())
	// kill ends the process at once (the second break signal).
	kill func()
	// sleep waits for d or until stop is closed.
	sleep func(d time.Duration, stop <-chan struct{})
	// expRand returns an exponentially distributed number with mean 1.
	expRand func() float64
	// now is the clock of the break detector.
	now func() time.Time
}

// registrarRunner is a registrar with bound sockets (*daemon.Daemon).
type registrarRunner interface {
	Facts() config.Facts
	Run(ctx context.Context, hup <-chan struct{}) error
	Stats() registrar.Stats
	Sockets() (*daemon.Sockets, error)
}

func realSystem() system {
	return system{
		probeSCTP: probeSCTP, resolve: config.DNSResolver, randomID: randomID,
		open: func(cfg *config.Config, log *logging.Logger, id rserpool.RegistrarID, o daemon.Options) (registrarRunner, error) {
			return daemon.Open(cfg, log, id, o)
		},
		startBackground: startBackground,
		signals: func(c chan<- os.Signal) func() {
			signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
			return func() { signal.Stop(c) }
		},
		kill: func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) },
		sleep: func(d time.Duration, stop <-chan struct{}) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-stop:
			}
		},
		expRand: mrand.ExpFloat64,
		now:     time.Now,
	}
}

// run is the whole program: args as os.Args, env as os.Environ; it returns
// the exit status.
func run(args, env []string, stdout, stderr io.Writer) int {
	return runWith(realSystem(), args, env, stdout, stderr)
}

func runWith(sys system, args, env []string, stdout, stderr io.Writer) int {
	prog := "rspregistrar"
	if len(args) > 0 {
		prog, args = args[0], args[1:]
	}
	cfg, err := config.Parse(args, config.Environment{
		LookupEnv: lookupIn(env),
		Resolve:   sys.resolve,
		Warnings:  stderr,
	})
	var unknown *config.UnknownOptionError
	switch {
	case errors.Is(err, config.ErrHelp):
		fmt.Fprint(stdout, config.Usage(filepath.Base(prog)))
		return 0
	case errors.Is(err, config.ErrVersion):
		fmt.Fprintf(stdout, "rspregistrar %s\n", version)
		return 0
	case errors.As(err, &unknown):
		fmt.Fprint(stderr, unknown.Message(prog))
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "rspregistrar: %v\n", err)
		return 1
	}

	// In the background copy of daemon mode, the parent has done the
	// visible part of the start-up already.
	var bg *background
	if spec, ok := lookupIn(env)(envBackground); ok {
		if bg, err = parseBackground(spec); err != nil {
			fmt.Fprintf(stderr, "rspregistrar: %v\n", err)
			return 1
		}
		defer bg.close()
	}
	p := &program{sys: sys, cfg: cfg, prog: prog, args: args, env: env, stdout: stdout, stderr: stderr, bg: bg}
	return p.main()
}

// program is one execution of the registrar, with all its runs.
type program struct {
	sys            system
	cfg            *config.Config
	prog           string
	args, env      []string
	stdout, stderr io.Writer
	bg             *background // nil unless this is daemon mode's background copy

	log      *logging.Logger
	table    *stats.Table
	averages *stats.Averages
	listener net.Listener
	exporter *metrics.Exporter
	// counts carries the core's counters from one run to the next.
	counts *registrar.Stats
}

func (p *program) main() int {
	cfg := p.cfg
	if cfg.Uptime > 0 && p.bg == nil {
		p.printRun()
	}

	var err error
	p.log, err = logging.New(logging.Options{
		Level: logging.Level(cfg.Log.Level), File: cfg.Log.File, Append: cfg.Log.Append,
		Color: cfg.Log.Color, Stderr: p.stderr, Continue: p.bg.logFile(),
	})
	if err != nil {
		fmt.Fprintf(p.stderr, "rspregistrar: %v\n", err)
		return 1
	}
	closeLog := true
	defer func() {
		if closeLog {
			p.log.Close()
		}
	}()

	useIPv6 := !cfg.DisableIPv6
	if err := p.sys.probeSCTP(useIPv6); err != nil {
		reset := ""
		if cfg.Log.Color && cfg.Log.File == "" && p.log.Enabled(logging.LevelNote) {
			// RSPLIB ends each coloured entry by switching to black, which
			// would hide this line on a dark terminal.
			reset = "\x1b[0m"
		}
		fmt.Fprintf(p.stderr, "%srspregistrar: %v\n", reset, err)
		return 1
	}
	if err := p.openExtras(); err != nil {
		fmt.Fprintf(p.stderr, "rspregistrar: %v\n", err)
		return 1
	}
	defer p.closeExtras()

	// RSPLIB's break detector is installed before the banner.
	sigs := make(chan os.Signal, 4)
	stopSignals := p.sys.signals(sigs)
	defer func() {
		stopSignals() // no delivery after this, so closing ends the goroutine
		close(sigs)
	}()
	brk := newBreakDetector(p.sys.now)
	hup := make(chan struct{}, 1)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				select {
				case hup <- struct{}{}:
				default:
				}
				continue
			}
			if brk.signal(sig) {
				// RSPLIB's break detector: a second signal two seconds
				// or more after the first kills the process at once.
				fmt.Fprint(p.stderr, "\x1b[0m\n*** Kill ***\n\n")
				p.sys.kill()
			}
		}
	}()

	code := 0
	for runNo := 1; ; runNo++ {
		background, c := p.runOnce(runNo, brk, hup)
		if background {
			// Daemon mode's parent: the background copy carries on with
			// the log; the parent writes nothing more to it.
			closeLog = false
			return c
		}
		if c != 0 || cfg.Uptime <= 0 || brk.broken() {
			code = c
			break
		}
		t := max(cfg.Downtime.Seconds(), 0.000001) * p.sys.expRand()
		fmt.Fprintf(p.stdout, "\nWaiting for %1.3fs ...\n", t)
		p.sys.sleep(time.Duration(t*float64(time.Second)), brk.done)
		if brk.broken() {
			break
		}
		p.printRun()
	}
	if sig := brk.caught(); sig != nil {
		if s, ok := sig.(syscall.Signal); ok {
			fmt.Fprintf(p.stderr, "\x1b[0m\n*** Break ***    Signal #%d\n\n", int(s))
		}
	}
	if p.bg != nil {
		removePIDFile(cfg.DaemonPIDFile)
	}
	if code == 0 {
		fmt.Fprint(p.stdout, config.Farewell(cfg))
	}
	return code
}

// printRun prints RSPLIB's failure-test mode lines before a run.
func (p *program) printRun() {
	fmt.Fprintf(p.stdout, "Uptime   = %1.3f [s]\n", p.cfg.Uptime.Seconds())
	fmt.Fprintf(p.stdout, "Downtime = %1.3f [s]\n", max(p.cfg.Downtime.Seconds(), 0.000001))
}

// runOnce opens the registrar, prints the banner and runs it until a break
// signal or, in failure-test mode, the end of its uptime. background is true
// when this was daemon mode's parent, which only starts the background copy;
// code is the exit status.
func (p *program) runOnce(runNo int, brk *breakDetector, hup <-chan struct{}) (background bool, code int) {
	cfg := p.cfg
	continuing := p.bg != nil && runNo == 1
	var uptime time.Duration
	if cfg.Uptime > 0 {
		t := cfg.Uptime.Seconds() * p.sys.expRand()
		if !continuing {
			fmt.Fprintf(p.stdout, "\nRun #%d: Running registrar for %1.3fs ...\n\n", runNo, t)
		}
		uptime = time.Duration(t * float64(time.Second))
	}

	id := cfg.Identifier
	opts := daemon.Options{Stats: p.counts, Table: p.table, Averages: p.averages, Metrics: p.exporter}
	if cfg.Stats.Interval > 0 {
		opts.StatsInterval = time.Duration(cfg.Stats.Interval) * time.Millisecond
	}
	if continuing {
		id, opts.Inherit = p.bg.id, p.bg.sockets()
	} else if id == 0 {
		id = p.sys.randomID()
	}
	d, err := p.sys.open(cfg, p.log, id, opts)
	if opts.Inherit != nil {
		opts.Inherit.Close()
	}
	if err != nil {
		fmt.Fprintf(p.stderr, "%v\n", err)
		return false, 1
	}
	if !continuing {
		if !cfg.Quiet {
			facts := d.Facts()
			facts.StatsFileOpen = p.table != nil
			fmt.Fprint(p.stdout, config.Banner(cfg, facts))
		}
		p.log.Notef("Registrar started. Going into initialization phase...")
	}
	if cfg.DaemonPIDFile != "" && p.bg == nil {
		return true, p.startDaemon(d)
	}
	if continuing {
		if err := p.bg.ready(); err != nil {
			fmt.Fprintf(p.stderr, "rspregistrar: %v\n", err)
			return false, 1
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		var timeUp <-chan time.Time
		if uptime > 0 {
			t := time.NewTimer(uptime)
			defer t.Stop()
			timeUp = t.C
		}
		select {
		case <-brk.done:
		case <-timeUp:
			fmt.Fprintln(p.stdout, "Shutdown by timer!")
		case <-ctx.Done():
		}
		stop()
	}()
	if err := d.Run(ctx, hup); err != nil {
		p.log.Errorf("%v", err)
	}
	counts := d.Stats()
	p.counts = &counts
	p.writeScalars()
	return false, 0
}

// openExtras opens what lives across runs: the statistics file, the
// averages of the scalar file, the metrics server.
func (p *program) openExtras() error {
	cfg := p.cfg
	var err error
	if cfg.Stats.File != "" {
		// The background copy truncates the file again: the parent has
		// written nothing to it.
		if p.table, err = stats.Create(cfg.Stats.File); err != nil {
			return err
		}
	}
	if cfg.Stats.ScalarFile != "" {
		p.averages = &stats.Averages{}
		p.averages.Start(time.Now())
	}
	if cfg.MetricsAddress != "" {
		if f := p.bg.metricsFile(); f != nil {
			p.listener, err = net.FileListener(f)
		} else {
			p.listener, err = net.Listen("tcp", cfg.MetricsAddress)
		}
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		if cfg.DaemonPIDFile == "" || p.bg != nil {
			// Daemon mode's parent only binds the port for its
			// background copy.
			p.exporter = metrics.New(version, 0)
			p.exporter.Serve(p.listener)
		}
	}
	return nil
}

func (p *program) closeExtras() {
	if p.exporter != nil {
		p.exporter.Close()
	} else if p.listener != nil {
		p.listener.Close()
	}
	if err := p.table.Close(); err != nil {
		fmt.Fprintf(p.stderr, "rspregistrar: closing statistics file: %v\n", err)
	}
}

// writeScalars writes the scalar file at the end of a run, as RSPLIB does
// (its averages count the time after the run as zero).
func (p *program) writeScalars() {
	if p.averages == nil {
		return
	}
	now := time.Now()
	p.averages.Update(now, &stats.Sample{})
	if err := stats.WriteScalarFile(p.cfg.Stats.ScalarFile, p.cfg.Stats.ObjectName, daemon.Counters(p.counts), p.averages, now); err != nil {
		fmt.Fprintf(p.stderr, "ERROR: Unable to create scalar file \"%s\"! (%v)\n", p.cfg.Stats.ScalarFile, err)
	}
}

// breakDetector is RSPLIB's break handling: the first SIGINT or SIGTERM
// asks for a clean stop; a second one at least two seconds later asks for an
// immediate kill (one within two seconds is ignored).
type breakDetector struct {
	now   func() time.Time
	done  chan struct{} // closed by the first break signal
	first time.Time
	sig   os.Signal
}

func newBreakDetector(now func() time.Time) *breakDetector {
	return &breakDetector{now: now, done: make(chan struct{})}
}

// signal records a break signal; it reports whether to kill the process.
// Signals come from one goroutine.
func (b *breakDetector) signal(sig os.Signal) (kill bool) {
	if b.sig == nil {
		b.sig, b.first = sig, b.now()
		close(b.done)
		return false
	}
	return b.now().Sub(b.first) >= 2*time.Second
}

func (b *breakDetector) broken() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// caught returns the first break signal, nil if none came.
func (b *breakDetector) caught() os.Signal {
	if !b.broken() {
		return nil
	}
	return b.sig
}

func lookupIn(env []string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		// The last definition wins, as with getenv on a duplicated entry
		// in exec'd environments built by appending.
		val, found := "", false
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok && k == key {
				val, found = v, true
			}
		}
		return val, found
	}
}

// errNoSCTP tells the operator what to do, in one line.
type errNoSCTP struct{ err error }

func (e errNoSCTP) Error() string {
	return fmt.Sprintf("this kernel has no SCTP (socket: %v); load the SCTP module (modprobe sctp) and start again", e.err)
}

// probeSCTP reports a kernel without SCTP before anything else happens,
// in the registrar's one line.
func probeSCTP(ipv6 bool) error {
	err := sctp.Available(ipv6)
	if u, ok := errors.AsType[*sctp.UnavailableError](err); ok {
		return errNoSCTP{u.Err}
	}
	return err
}

// randomID picks a non-zero registrar ID, as RSPLIB does when -identifier
// is absent or 0.
func randomID() rserpool.RegistrarID {
	for {
		// math/rand/v2's global generator is seeded by the runtime from
		// the system's randomness.
		if id := mrand.Uint32(); id != 0 {
			return rserpool.RegistrarID(id)
		}
	}
}
