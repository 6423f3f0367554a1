// Command rspbench measures registrars side by side: it starts each
// implementation in turn (ours, RSPLIB's rspregistrar) with the same options,
// drives it with the same load (internal/loadgen) and prints a table of the
// numbers and their ratios. It needs kernel SCTP and the sandbox's addresses
// 198.18.0.1-4, so `make bench` runs it inside test/sandbox/run.
//
// Per implementation:
//
//  1. registrar A alone: N PEs register over M associations (W requests in
//     flight on each), rest, K pool-user associations resolve handles for
//     a while, the PEs re-register, deregister and register again; the
//     registrar's CPU time (/proc/PID/stat) is taken around every phase and
//     its RSS at rest with and without the PEs;
//  2. registrars B and C start and discover A by ENRP multicast; the time
//     until their CSP reports show all N PEs is the synchronisation time;
//  3. A is killed; B or C takes its PEs over and sends each a keep-alive
//     with the home flag: the time from the kill until the first and the
//     last PE is told (the first is mostly the peer timeouts, 5 + 5 s), and
//     the share of PEs told, are the takeover's numbers.
//
// Keep-alives are sent by the registrar every -ka interval (default 300 s,
// RSPLIB's maximum, so that they do not mix with the timed phases); the PEs
// acknowledge every one. A second, shorter run (-karun) registers -kapes PEs
// (at most 10000 by default) at a registrar with RSPLIB's default 5 s
// keep-alive interval and measures how many keep-alives it manages a second
// and the CPU time it needs for them; then, with the keep-alives still
// going, RSPLIB's hsdump lists the handlespace over ENRP, timed, and the PEs
// it lists and the PE associations lost are counted.
//
// A failed phase ends that implementation's run (noted below the table). The
// first implementation is the one under test: its failure makes the exit
// status 1. A failure of a later one (the reference, RSPLIB's registrar,
// which sometimes misses a phase's deadline under keep-alive load) is a
// result to record, not a broken benchmark, so the status stays 0.
// Anomalies (rejected requests, PEs not told of a takeover) are noted
// without failing.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/rserpool/rspregistrar/internal/loadgen"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

type options struct {
	impls      []impl
	pes        int
	assocs     int
	window     int
	pools      int
	pus        int
	puWindow   int
	hrTime     time.Duration
	rest       time.Duration
	ka         time.Duration
	kaRun      time.Duration
	kaPEs      int
	enrp       bool
	timeout    time.Duration
	jsonOut    string
	mdOut      string
	cspPort    int
	logLevel   int
	cpuProfile string
	verbose    bool
	registrarA netip.Addr
	locals     []netip.Addr
}

type impl struct {
	name, path string
	port       int // A's ASAP port; ENRP +1, multicast +2, B +10, C +20
}

type implFlag struct{ impls *[]impl }

func (f implFlag) String() string { return "" }

func (f implFlag) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME=PATH, got %q", s)
	}
	*f.impls = append(*f.impls, impl{name: name, path: path, port: 5000 + 1000*len(*f.impls)})
	return nil
}

func main() {
	var o options
	flag.Var(implFlag{&o.impls}, "impl", "NAME=PATH of a registrar to measure (repeat; the first two are compared)")
	flag.IntVar(&o.pes, "pes", 10000, "pool elements")
	flag.IntVar(&o.assocs, "assocs", 100, "associations the PEs share")
	flag.IntVar(&o.window, "window", 8, "requests in flight per PE association")
	flag.IntVar(&o.pools, "pools", 100, "pools the PEs are spread over")
	flag.IntVar(&o.pus, "pus", 10, "pool-user associations for handle resolutions")
	flag.IntVar(&o.puWindow, "puwindow", 8, "handle resolutions in flight per pool-user association")
	flag.DurationVar(&o.hrTime, "hrtime", 5*time.Second, "duration of the handle resolution load")
	flag.DurationVar(&o.rest, "rest", 5*time.Second, "length of each of the two rests after the registrations (the CPU of both, then RSS, is read)")
	flag.DurationVar(&o.ka, "ka", 300*time.Second, "keep-alive transmission interval of the main run")
	flag.DurationVar(&o.kaRun, "karun", 10*time.Second, "length of the keep-alive run (0: no keep-alive run)")
	flag.IntVar(&o.kaPEs, "kapes", 0, "PEs of the keep-alive run (0: -pes, at most 10000: 2000 keep-alives a second)")
	flag.BoolVar(&o.enrp, "enrp", true, "measure ENRP synchronisation and takeover")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "limit of each phase")
	flag.StringVar(&o.jsonOut, "json", "", "also write the reports as JSON to this file")
	flag.StringVar(&o.mdOut, "md", "", "also write the table (Markdown) to this file")
	flag.IntVar(&o.cspPort, "cspport", 2960, "UDP port (on 127.0.0.1) for the registrars' CSP reports")
	flag.IntVar(&o.logLevel, "loglevel", 3, "log level of the registrars (at least 3: the start is seen in the log)")
	flag.BoolVar(&o.verbose, "v", false, "print the last lines of every registrar's output when it stops")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator to this file")
	flag.Parse()
	if len(o.impls) == 0 {
		fmt.Fprintln(os.Stderr, "rspbench: no -impl=NAME=PATH given")
		os.Exit(2)
	}
	if o.kaPEs == 0 {
		o.kaPEs = min(o.pes, 10000)
	}
	o.registrarA = netip.MustParseAddr("198.18.0.1")
	for _, a := range []string{"198.18.0.2", "198.18.0.3", "198.18.0.4"} {
		o.locals = append(o.locals, netip.MustParseAddr(a))
	}
	fmt.Printf("rspbench: %d PEs in %d pools over %d associations (window %d); %d PU associations (window %d) for %v; GOMAXPROCS %d, %d CPUs\n",
		o.pes, o.pools, o.assocs, o.window, o.pus, o.puWindow, o.hrTime, runtime.GOMAXPROCS(0), runtime.NumCPU())

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "rspbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	watch, err := listenCSP(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(o.cspPort)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "rspbench:", err)
		os.Exit(1)
	}
	defer watch.close()
	var reports []*report
	for _, im := range o.impls {
		fmt.Printf("\n== %s (%s)\n", im.name, im.path)
		r := &report{Impl: im.name}
		b := &bench{o: o, im: im, r: r, csp: watch}
		b.run()
		reports = append(reports, r)
	}
	tab := table(reports)
	fmt.Printf("\n%s\n", tab)
	data, _ := json.MarshalIndent(reports, "", "  ")
	for _, out := range []struct {
		path string
		data []byte
	}{{o.jsonOut, append(data, '\n')}, {o.mdOut, []byte(tab)}} {
		if out.path == "" {
			continue
		}
		if err := os.WriteFile(out.path, out.data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "rspbench:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
	}
	for _, r := range reports[1:] {
		if r.Failed {
			fmt.Printf("rspbench: the reference %s failed a phase (recorded in its notes)\n", r.Impl)
		}
	}
	pprof.StopCPUProfile()
	os.Exit(exitStatus(reports))
}

// exitStatus is 1 when the implementation under test (the first) failed a
// phase; a reference's failure is a measured result and leaves it 0.
func exitStatus(reports []*report) int {
	if len(reports) > 0 && reports[0].Failed {
		return 1
	}
	return 0
}

// Registrar identifiers: B's is lower than C's, so B wins the takeover.
const (
	idA rserpool.RegistrarID = 0x0a0a0a0a
	idB rserpool.RegistrarID = 0x0b0b0b0b
	idC rserpool.RegistrarID = 0x0c0c0c0c
)

type bench struct {
	o     options
	im    impl
	r     *report
	csp   *cspWatch
	procs []*proc
}

var reStarted = regexp.MustCompile(`Registrar started`)

// start runs registrar n (0 A, 1 B, 2 C) of the implementation with the
// given keep-alive interval. The peer heartbeat is 1 s (RSPLIB: 2.4 s) so
// that a new registrar hears from its mentor soon; the peer timeouts keep
// RSPLIB's 5 s: a registrar that is busy sending thousands of keep-alives
// must not be taken for dead.
func (b *bench) start(n int, id rserpool.RegistrarID, ka time.Duration) (*proc, error) {
	port := b.im.port + 10*n
	// B and C report often: their reports time the synchronisation and
	// the takeover. A reports once a second, which its rest shows.
	csp := 100
	if n == 0 {
		csp = 1000
	}
	args := []string{
		fmt.Sprintf("-identifier=%#x", uint32(id)),
		fmt.Sprintf("-asap=%s:%d", b.o.registrarA, port),
		fmt.Sprintf("-enrp=%s:%d", b.o.registrarA, port+1),
		"-asapannounce=off",
		fmt.Sprintf("-enrpannounce=239.0.0.51:%d", b.im.port+2),
		fmt.Sprintf("-loglevel=%d", max(3, b.o.logLevel)), "-logcolor=off",
		fmt.Sprintf("-cspserver=127.0.0.1:%d", b.o.cspPort), fmt.Sprintf("-cspinterval=%d", csp),
		fmt.Sprintf("-endpointkeepalivetransmissioninterval=%d", ka.Milliseconds()),
		"-endpointkeepalivetimeoutinterval=60000",
		"-peerheartbeatcycle=1000",
	}
	p, err := startProc(fmt.Sprintf("%s-%c", b.im.name, 'A'+n), b.im.path, args...)
	if err != nil {
		return nil, err
	}
	b.procs = append(b.procs, p)
	if _, _, err := p.waitLine(reStarted, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%w; output:\n%s", err, p.tail(20))
	}
	return p, nil
}

func (b *bench) stopAll() {
	for _, p := range b.procs {
		p.stop()
		if b.o.verbose {
			fmt.Printf("  --- last output of %s:\n%s", p.name, p.tail(30))
		}
	}
	b.procs = nil
}

func (b *bench) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), b.o.timeout)
}

func (b *bench) fleetConfig(port int) loadgen.Config {
	return loadgen.Config{
		Registrar: netip.AddrPortFrom(b.o.registrarA, uint16(port)),
		Locals:    b.o.locals,
		PEs:       b.o.pes, Assocs: b.o.assocs, Window: b.o.window, Pools: b.o.pools,
		FirstID: 0x10000000, Life: 600000,
		Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin},
	}
}

func (b *bench) run() {
	defer b.stopAll()
	if err := b.runMain(); err != nil {
		b.r.Failed = true
		b.r.note("%v", err)
		fmt.Println("  FAILED:", err)
		for _, p := range b.procs {
			fmt.Printf("  --- last output of %s:\n%s", p.name, p.tail(40))
		}
	}
	b.stopAll()
	if b.o.kaRun > 0 {
		if err := b.runKeepAlive(); err != nil {
			b.r.Failed = true
			b.r.note("keep-alive run: %v", err)
			fmt.Println("  FAILED:", err)
		}
	}
}

// phase runs one timed load phase against p and records its rate, latency
// and the registrar's CPU time per request.
func (b *bench) phase(p *proc, key, name string, run func(context.Context) (*loadgen.Result, error)) (*loadgen.Result, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	u0, err := p.usage()
	if err != nil {
		return nil, err
	}
	res, err := run(ctx)
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	u1, err := p.usage()
	if err != nil {
		return nil, err
	}
	fmt.Printf("  %-18s %v; registrar CPU %v (user %v, system %v)\n", name, res, u1.CPU-u0.CPU, u1.User-u0.User, (u1.CPU-u1.User)-(u0.CPU-u0.User))
	if res.Failed > 0 {
		b.r.note("%s: %d requests failed (causes %v)", name, res.Failed, res.Causes)
	}
	b.r.add(key+".rate", name+" rate", "1/s", false, res.Rate())
	b.r.add(key+".p50", name+" latency p50", "ms", true, ms(res.Percentile(0.5)))
	b.r.add(key+".p99", name+" latency p99", "ms", true, ms(res.Percentile(0.99)))
	if n := res.OK + res.Failed; n > 0 {
		b.r.add(key+".cpu", name+" registrar CPU per request", "µs", true, float64((u1.CPU-u0.CPU).Microseconds())/float64(n))
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// expectPEs waits (briefly) until the registrar's CSP report shows n PEs;
// a mismatch is noted, not fatal.
func (b *bench) expectPEs(id rserpool.RegistrarID, n int, what string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := b.csp.waitFor(ctx, id, func(c hsCounts) bool { return c.PEs == n }); err != nil {
		b.r.note("%s: registrar reports %d PEs, want %d", what, c.PEs, n)
	}
}

func (b *bench) runMain() error {
	o := b.o
	a, err := b.start(0, idA, o.ka)
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	idle, err := a.usage()
	if err != nil {
		return err
	}
	fleet, err := loadgen.NewFleet(b.fleetConfig(b.im.port))
	if err != nil {
		return err
	}
	defer fleet.Close()

	if _, err := b.phase(a, "reg", "registration", fleet.Register); err != nil {
		return err
	}
	b.expectPEs(idA, o.pes, "after registration")
	before, err := a.usage()
	if err != nil {
		return err
	}
	// Two windows: the first holds what a registrar does once after a
	// burst (ours collects the burst's garbage and returns the pages),
	// the second the steady state that "at rest" means.
	time.Sleep(o.rest)
	settled, err := a.usage()
	if err != nil {
		return err
	}
	time.Sleep(o.rest)
	loaded, err := a.usage()
	if err != nil {
		return err
	}
	b.r.add("rss.idle", "RSS without PEs", "MiB", true, float64(idle.RSS)/(1<<20))
	b.r.add("rss.pes", fmt.Sprintf("RSS with %d PEs", o.pes), "MiB", true, float64(loaded.RSS)/(1<<20))
	b.r.add("rss.perpe", "RSS per PE", "bytes", true, float64(loaded.RSS-idle.RSS)/float64(o.pes))
	b.r.add("rss.idle.anon", "RSS without PEs: anonymous (heap, stacks)", "MiB", true, float64(idle.RSSAnon)/(1<<20))
	b.r.add("rss.idle.file", "RSS without PEs: file-backed (program, libraries)", "MiB", true, float64(idle.RSSFile)/(1<<20))
	b.r.add("settle.cpu", fmt.Sprintf("CPU in the %v after the registrations", o.rest), "ms/s", true,
		float64((settled.CPU-before.CPU).Milliseconds())/o.rest.Seconds())
	b.r.add("idle.cpu", fmt.Sprintf("CPU at rest with %d PEs (the %v after that)", o.pes, o.rest), "ms/s", true,
		float64((loaded.CPU-settled.CPU).Milliseconds())/o.rest.Seconds())
	fmt.Printf("  RSS %.1f MiB idle, %.1f MiB with %d PEs\n", float64(idle.RSS)/(1<<20), float64(loaded.RSS)/(1<<20), o.pes)

	hr := loadgen.ResolveConfig{
		Registrar: netip.AddrPortFrom(o.registrarA, uint16(b.im.port)), Locals: o.locals,
		Assocs: o.pus, Window: o.puWindow, Handles: loadgen.Handles(o.pools), Duration: o.hrTime,
	}
	if _, err := b.phase(a, "hr", "handle resolution", func(ctx context.Context) (*loadgen.Result, error) {
		return loadgen.Resolve(ctx, hr)
	}); err != nil {
		return err
	}
	if _, err := b.phase(a, "rereg", "re-registration", fleet.Register); err != nil {
		return err
	}
	if _, err := b.phase(a, "dereg", "deregistration", fleet.Deregister); err != nil {
		return err
	}
	b.expectPEs(idA, 0, "after deregistration")
	if !o.enrp {
		return nil
	}
	ctx, cancel := b.ctx()
	defer cancel()
	if res, err := fleet.Register(ctx); err != nil {
		return fmt.Errorf("registration for ENRP: %w", err)
	} else if res.Failed > 0 {
		b.r.note("registration for ENRP: %d failed", res.Failed)
	}
	b.expectPEs(idA, o.pes, "before ENRP")
	return b.runENRP(ctx, a, fleet)
}

var reMentor = regexp.MustCompile(`Initialization phase ended`)

func (b *bench) runENRP(ctx context.Context, a *proc, fleet *loadgen.Fleet) error {
	o := b.o
	t0 := time.Now()
	peers := map[rserpool.RegistrarID]*proc{}
	for i, id := range []rserpool.RegistrarID{idB, idC} {
		p, err := b.start(i+1, id, o.ka)
		if err != nil {
			return err
		}
		peers[id] = p
	}
	// Before the first report with some PEs, the newcomer waits for its
	// mentor's Presence (up to a heartbeat, 1 s); a registrar busy with
	// the transfer may not report in between, so only the total is
	// tabulated.
	var synced time.Duration
	for _, id := range []rserpool.RegistrarID{idB, idC} {
		first, err := b.csp.waitFor(ctx, id, func(c hsCounts) bool { return c.PEs > 0 })
		if err != nil {
			return fmt.Errorf("synchronisation: %w", err)
		}
		c, err := b.csp.waitFor(ctx, id, func(c hsCounts) bool { return c.PEs >= o.pes })
		if err != nil {
			return fmt.Errorf("synchronisation: %w", err)
		}
		synced = max(synced, c.At.Sub(t0))
		p := peers[id]
		_, line, _ := p.waitLine(reMentor, time.Second)
		fmt.Printf("  %s has %d PEs after %v, %v after its first (%s)\n", p.name, c.PEs, c.At.Sub(t0).Round(time.Millisecond),
			c.At.Sub(first.At).Round(time.Millisecond), strings.TrimSpace(line))
	}
	b.r.add("sync", fmt.Sprintf("ENRP: start of two registrars until both have all %d PEs", o.pes), "s", true, synced.Seconds())
	u, err := peers[idB].usage()
	if err == nil {
		b.r.add("rss.peer", fmt.Sprintf("RSS of a peer with %d PEs", o.pes), "MiB", true, float64(u.RSS)/(1<<20))
	}
	// Everybody must know everybody before the takeover can be agreed.
	for id := range peers {
		if _, err := b.csp.waitFor(ctx, id, func(c hsCounts) bool { return c.Peers >= 2 }); err != nil {
			return fmt.Errorf("peering: %w", err)
		}
	}
	time.Sleep(2 * time.Second)
	cpu0 := sampleCPU(peers[idB], peers[idC])
	killed := time.Now()
	a.kill()
	// Both implementations log the end of a takeover as a warning.
	done, winner, err := firstLine(ctx, reTakeoverDone, peers[idB], peers[idC])
	if err != nil {
		return fmt.Errorf("takeover: %w", err)
	}
	owner := idB
	if winner == peers[idC] {
		owner = idC
	}
	// The new home's keep-alives may wait for buffer space or (RSPLIB) be
	// dropped; a PE that gets none is not told. The completion log line
	// comes when the registrar has sent (or queued) them all.
	kctx, kcancel := context.WithTimeout(ctx, 60*time.Second)
	defer kcancel()
	t, err := fleet.WaitTakeover(kctx, 5*time.Second)
	if err != nil {
		b.r.note("takeover: only %d of %d PEs got a keep-alive with the home flag", t.Count, o.pes)
	}
	fmt.Printf("  takeover by %v logged as completed after %v; home keep-alives for %d PEs from %v after %v .. %v\n", owner,
		done.Sub(killed).Round(time.Millisecond), t.Count, t.Server, t.First.Sub(killed).Round(time.Millisecond), t.Last.Sub(killed).Round(time.Millisecond))
	// Who had the CPU between the kill and the end of the wait: the
	// spread of the home keep-alives is bound by the one CPU that the new
	// home, the other registrar and the PEs share.
	if cpu1 := sampleCPU(peers[idB], peers[idC]); cpu0.err == nil && cpu1.err == nil {
		fmt.Printf("  takeover CPU in the %v after the kill: B %v, C %v, load generator %v, idle %v\n",
			cpu1.at.Sub(cpu0.at).Round(time.Millisecond), cpu1.procs[0]-cpu0.procs[0], cpu1.procs[1]-cpu0.procs[1],
			cpu1.procs[2]-cpu0.procs[2], cpu1.idle-cpu0.idle)
	}
	if t.Count > 0 {
		b.r.add("takeover.first", "takeover: kill of A until the first PE is told its new home", "s", true, t.First.Sub(killed).Seconds())
		b.r.add("takeover.last", "takeover: kill of A until the last PE is told", "s", true, t.Last.Sub(killed).Seconds())
		// The detection (RSPLIB's peer timeouts, 5 s + 5 s) is the same
		// for both; telling the PEs is the registrar's own part.
		b.r.add("takeover.spread", "takeover: first to last PE told", "s", true, t.Last.Sub(t.First).Seconds())
		if t.Server != owner {
			b.r.note("takeover: home keep-alives from %v, but %v took over", t.Server, owner)
		}
	}
	b.r.add("takeover.told", "takeover: PEs told their new home", "%", false, 100*float64(t.Count)/float64(o.pes))
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if c, err := b.csp.waitFor(wctx, owner, func(c hsCounts) bool { return c.Owned == o.pes }); err != nil {
		b.r.note("takeover: %v reports owning %d of %d PEs", owner, c.Owned, o.pes)
	}
	return nil
}

// cpuSample is the CPU time of some registrars and of the load generator
// (last) and the machine's idle time, at one moment.
type cpuSample struct {
	at    time.Time
	procs []time.Duration
	idle  time.Duration
	err   error
}

func sampleCPU(ps ...*proc) cpuSample {
	s := cpuSample{at: time.Now()}
	pids := []int{}
	for _, p := range ps {
		pids = append(pids, p.pid())
	}
	for _, pid := range append(pids, os.Getpid()) {
		u, err := readUsage(pid)
		if err != nil {
			s.err = err
			return s
		}
		s.procs = append(s.procs, u.CPU)
	}
	_, idle, err := sandboxtest.CPUTimes()
	s.idle, s.err = time.Duration(idle)*clockTick, err
	return s
}

var reTakeoverDone = regexp.MustCompile(`Takeover of peer \$0a0a0a0a completed`)

// firstLine waits until one of the processes prints a line matching re and
// returns when, and which.
func firstLine(ctx context.Context, re *regexp.Regexp, procs ...*proc) (time.Time, *proc, error) {
	for {
		for _, p := range procs {
			if at, _, err := p.waitLine(re, 0); err == nil {
				return at, p, nil
			}
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return time.Time{}, nil, fmt.Errorf("no line %q: %w", re, ctx.Err())
		}
	}
}

// runKeepAlive measures the steady state at RSPLIB's default keep-alive
// interval: the registrar sends every PE a keep-alive every 5 s, the PEs
// answer.
func (b *bench) runKeepAlive() error {
	o := b.o
	const ka = 5 * time.Second
	a, err := b.start(0, idA, ka)
	if err != nil {
		return err
	}
	cfg := b.fleetConfig(b.im.port)
	cfg.PEs = o.kaPEs
	// Registrations spread over one keep-alive interval spread the
	// keep-alives evenly: PEs/5 are due every second.
	cfg.Rate = float64(cfg.PEs) / ka.Seconds()
	fleet, err := loadgen.NewFleet(cfg)
	if err != nil {
		return err
	}
	defer fleet.Close()
	ctx, cancel := b.ctx()
	defer cancel()
	if res, err := fleet.Register(ctx); err != nil {
		return err
	} else if res.Failed > 0 {
		b.r.note("keep-alive run: %d registrations failed", res.Failed)
	}
	// Let the first keep-alives fall due, then measure whole intervals.
	time.Sleep(ka + time.Second)
	u0, err := a.usage()
	if err != nil {
		return err
	}
	k0 := fleet.KeepAlives()
	time.Sleep(o.kaRun)
	u1, err := a.usage()
	if err != nil {
		return err
	}
	k1 := fleet.KeepAlives()
	kas := k1.Received - k0.Received
	fmt.Printf("  keep-alives: %d in %v (%d PEs, %v interval); registrar CPU %v; %d associations lost\n",
		kas, o.kaRun, cfg.PEs, ka, u1.CPU-u0.CPU, k1.Lost)
	b.r.add("ka.rate", fmt.Sprintf("keep-alives of %d PEs at 5 s (%d due a second)", cfg.PEs, cfg.PEs/5), "1/s", false, float64(kas)/o.kaRun.Seconds())
	b.r.add("ka.cpu", "keep-alives: registrar CPU", "ms/s", true, float64((u1.CPU-u0.CPU).Milliseconds())/o.kaRun.Seconds())
	if kas > 0 {
		b.r.add("ka.cpuper", "keep-alives: registrar CPU per keep-alive and ack", "µs", true, float64((u1.CPU-u0.CPU).Microseconds())/float64(kas))
	}
	b.dumpUnderKeepAlives(cfg, fleet, k1)
	k2 := fleet.KeepAlives()
	if k2.Lost > 0 {
		b.r.note("keep-alive run: %d PE associations lost (%d before the dump)", k2.Lost, k1.Lost)
	}
	b.r.add("ka.lost", "keep-alive run and dump: PE associations lost", "", true, float64(k2.Lost))
	b.expectPEs(idA, cfg.PEs, "keep-alive run")
	return nil
}

// dumpUnderKeepAlives runs RSPLIB's hsdump against A's ENRP port while the
// keep-alives go on and notes how long it took and how many distinct PEs it
// listed (hsdump pages through the handlespace as a fake peer would).
func (b *bench) dumpUnderKeepAlives(cfg loadgen.Config, fleet *loadgen.Fleet, before loadgen.KeepAliveStats) {
	path, err := exec.LookPath("hsdump")
	if err != nil {
		b.r.note("no hsdump (rsplib-tools): %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dumpLimit)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, path, fmt.Sprintf("%s:%d", b.o.registrarA, b.im.port+1)).CombinedOutput()
	took := time.Since(start)
	d := sandboxtest.ParseDump(string(out))
	ids := map[uint32]bool{}
	for _, pool := range d.Pools {
		for _, pe := range pool {
			ids[pe.ID] = true
		}
	}
	after := fleet.KeepAlives()
	fmt.Printf("  hsdump under keep-alives: %d of %d PEs in %v (%v); %d keep-alives meanwhile, %d associations lost\n",
		len(ids), cfg.PEs, took.Round(time.Millisecond), err, after.Received-before.Received, after.Lost-before.Lost)
	if err != nil {
		b.r.note("hsdump under keep-alives: %v after %v, %d of %d PEs", err, took.Round(time.Millisecond), len(ids), cfg.PEs)
	}
	b.r.add("dump.time", fmt.Sprintf("hsdump of %d PEs under their keep-alives", cfg.PEs), "s", true, took.Seconds())
	b.r.add("dump.share", "hsdump: PEs listed", "%", false, 100*float64(len(ids))/float64(cfg.PEs))
}

// dumpLimit bounds one hsdump run.
const dumpLimit = 3 * time.Minute
