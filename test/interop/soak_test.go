package interop

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/loadgen"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// The soak: our registrar at RSPLIB's default timers with 10,000 PEs in
// ten fleets of 1,000 and continuous churn, one step every two seconds in
// turn: a fleet re-registers, deregisters and registers again, or is
// killed (its associations shut down, the registrar drops its PEs) and
// replaced by a new one with the same PEs; a pool user resolves all the
// while. Every 5 s the registrar's RSS, goroutines, open descriptors, send
// queues and PEs are sampled from its metrics. Over the second half none
// may grow: the mean of the last sixth of the samples may exceed the mean
// of the sixth before the second half by at most 10 % plus a small
// constant (memory limits, not timing); at most 1 % of the churn's requests
// may fail and at most 1 % of the PEs time out.
//
// RSPREG_SOAK sets the duration (default 2m, `make soak` 30m),
// RSPREG_SOAK_PES the PEs (default 10000), RSPREG_SOAK_OUT a CSV file for
// the series (cmd/rspplot draws it).
func TestSandboxSoak(t *testing.T) {
	sandboxtest.Require(t)
	dur := 2 * time.Minute
	if v := os.Getenv("RSPREG_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("RSPREG_SOAK: %v", err)
		}
		dur = d
	}
	pes := 10000
	if v := os.Getenv("RSPREG_SOAK_PES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			t.Fatalf("RSPREG_SOAK_PES=%q", v)
		}
		pes = n
	}
	const fleets, port, metricsAddr = 10, 4400, "127.0.0.1:9190"
	registrar(t, addr1, port, "-identifier=0x0f0f5a5a", "-metricsaddress="+metricsAddr, "-loglevel=3")
	scrape := func() map[string]float64 { return scrapeMetrics(t, "http://"+metricsAddr+"/metrics") }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	probe := newSoakProbe(port)
	defer probe.stop()
	config := func(i int) loadgen.Config {
		return loadgen.Config{
			Registrar: netip.AddrPortFrom(netip.MustParseAddr(addr1), port),
			Locals:    []netip.Addr{netip.MustParseAddr(addr2), netip.MustParseAddr(addr3)},
			PEs:       pes / fleets, Assocs: 4, Window: 8, Pools: 10,
			FirstID: rserpool.PEID(0x40000000 + i*0x100000), Life: 90000,
			Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin},
		}
	}
	// Requests of the churn and how many failed. A failure is logged
	// with its causes; on a loaded machine an association whose receiver
	// starves for longer than the keep-alive timeout is aborted (RSPLIB's
	// rule) and its requests in flight fail, so a few are tolerated.
	requests, failed := 0, 0
	check := func(step int, what string, r *loadgen.Result, err error) {
		if err != nil {
			t.Fatalf("step %d: %s: %v", step, what, err)
		}
		requests += r.OK + r.Failed
		if r.Failed > 0 {
			failed += r.Failed
			t.Logf("step %d: %s: %v, causes %v", step, what, r, r.Causes)
		}
	}
	type sample struct {
		at                      time.Duration
		rss, goroutines, fds    float64
		queueASAP, queueENRP    float64
		pes, keepAliveTimeouts  float64
		registrations, resolves float64
		registrarCPU            float64 // share of the CPU
		probeSample
	}
	var series []sample
	t0 := time.Now()
	lastCPU, lastAt := 0.0, time.Duration(0)
	take := func() {
		m := scrape()
		at := time.Since(t0)
		cpu := m["process_cpu_seconds_total"]
		share := 0.0
		if at > lastAt {
			share = (cpu - lastCPU) / (at - lastAt).Seconds()
		}
		lastCPU, lastAt = cpu, at
		series = append(series, sample{at: at, registrarCPU: share,
			rss: m["process_resident_memory_bytes"], goroutines: m["go_goroutines"], fds: m["process_open_fds"],
			queueASAP: m[`rspregistrar_send_queue_bytes{socket="asap"}`], queueENRP: m[`rspregistrar_send_queue_bytes{socket="enrp"}`],
			pes: m["rspregistrar_pool_elements"], keepAliveTimeouts: m["rspregistrar_keepalive_timeouts_total"],
			registrations: m["rspregistrar_registrations_total"], resolves: m["rspregistrar_handle_resolutions_total"],
			probeSample: probe.sample()})
	}
	// The series is printed however the test ends: a failure is read
	// against it.
	steps := 0
	defer func() {
		var csv strings.Builder
		csv.WriteString("seconds,rss_mib,goroutines,open_fds,send_queue_asap_bytes,send_queue_enrp_bytes,pool_elements,keepalive_timeouts,registrations,resolutions," +
			"cpu_busy,registrar_cpu,loadgen_cpu,loadgen_faults,loadgen_late_ms,sctp_t3_expired,sctp_fast_rtx,sctp_pkt_discards,sctp_chunk_discards,softnet_drops," +
			"rtx_registrar,rtx_loadgen,rx_max_registrar,rx_max_loadgen,rcvbuf_registrar\n")
		for _, s := range series {
			fmt.Fprintf(&csv, "%.0f,%.2f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.2f,%.2f,%.2f,%.0f,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n",
				s.at.Seconds(), s.rss/(1<<20), s.goroutines, s.fds,
				s.queueASAP, s.queueENRP, s.pes, s.keepAliveTimeouts, s.registrations, s.resolves,
				s.cpuBusy, s.registrarCPU, s.loadgenCPU, s.faults, s.late.Milliseconds(), s.t3, s.fast, s.pktDiscards, s.chunkDisc, s.netDrops,
				s.rtxRegistrar, s.rtxLoadgen, s.rxRegistrar, s.rxLoadgen, s.rcvbufRegistrar)
		}
		if len(series) > 0 && series[0].counterErr != nil {
			t.Logf("SCTP counters: %v", series[0].counterErr)
		}
		t.Logf("%d churn steps, %d requests (%d failed) in %v; series:\n%s", steps, requests, failed,
			time.Since(t0).Round(time.Second), csv.String())
		if out := os.Getenv("RSPREG_SOAK_OUT"); out != "" {
			if err := os.WriteFile(out, []byte(csv.String()), 0o644); err != nil {
				t.Error(err)
			}
		}
	}()
	take()
	fleet := make([]*loadgen.Fleet, fleets)
	// start sets fleet i up, a new one with the same PEs: its
	// registrations count as the churn's.
	start := func(step, i int) {
		f, err := loadgen.NewFleet(config(i))
		if err != nil {
			t.Fatal(err)
		}
		fleet[i] = f
		rctx, rcancel := context.WithTimeout(ctx, time.Minute)
		defer rcancel()
		r, err := f.Register(rctx)
		check(step, fmt.Sprintf("registration of new fleet %d", i), r, err)
	}
	for i := range fleet {
		start(-1, i)
		take()
	}
	defer func() {
		for _, f := range fleet {
			if f != nil {
				f.Close()
			}
		}
	}()

	// A pool user resolving throughout.
	resolved := make(chan error, 1)
	go func() {
		_, err := loadgen.Resolve(ctx, loadgen.ResolveConfig{
			Registrar: netip.AddrPortFrom(netip.MustParseAddr(addr1), port),
			Locals:    []netip.Addr{netip.MustParseAddr(addr3)}, Assocs: 1, Window: 1,
			Handles: loadgen.Handles(10), Duration: dur, Items: 3,
		})
		resolved <- err
	}()

	churnStart := time.Since(t0)
	take()
	step, nextSample := 0, time.Now().Add(5*time.Second)
	for time.Since(t0) < dur {
		i := step % fleets
		sctx, scancel := context.WithTimeout(ctx, time.Minute)
		switch (step / fleets) % 3 {
		case 0: // re-register
			r, err := fleet[i].Register(sctx)
			check(step, fmt.Sprintf("re-registration of fleet %d", i), r, err)
		case 1: // deregister and register again
			r, err := fleet[i].Deregister(sctx)
			check(step, fmt.Sprintf("deregistration of fleet %d", i), r, err)
			r, err = fleet[i].Register(sctx)
			check(step, fmt.Sprintf("registration of fleet %d", i), r, err)
		case 2: // kill and replace
			fleet[i].Close()
			fleet[i] = nil
			start(step, i)
		}
		scancel()
		step++
		steps = step
		time.Sleep(2 * time.Second)
		if time.Now().After(nextSample) {
			take()
			nextSample = nextSample.Add(5 * time.Second)
		}
	}
	take()
	cancel()
	if err := <-resolved; err != nil && ctx.Err() == nil {
		t.Errorf("pool user: %v", err)
	}

	// Bounded: compare the last sixth of the churn's samples with the
	// sixth before the second half began.
	for len(series) > 0 && series[0].at < churnStart {
		series = series[1:]
	}
	n := len(series)
	if n < 12 {
		t.Fatalf("only %d samples", n)
	}
	k := n / 6
	mean := func(from, to int, f func(sample) float64) float64 {
		sum := 0.0
		for _, s := range series[from:to] {
			sum += f(s)
		}
		return sum / float64(to-from)
	}
	for _, c := range []struct {
		name  string
		f     func(sample) float64
		slack float64
	}{
		{"RSS (bytes)", func(s sample) float64 { return s.rss }, 2 << 20},
		{"goroutines", func(s sample) float64 { return s.goroutines }, 4},
		{"open descriptors", func(s sample) float64 { return s.fds }, 8},
		{"ASAP send queue (bytes)", func(s sample) float64 { return s.queueASAP }, 64 << 10},
		{"ENRP send queue (bytes)", func(s sample) float64 { return s.queueENRP }, 64 << 10},
	} {
		mid, end := mean(n/2-k, n/2, c.f), mean(n-k, n, c.f)
		if end > mid*1.1+c.slack {
			t.Errorf("%s grew over the second half: %.0f -> %.0f", c.name, mid, end)
		}
	}
	if failed*100 > requests {
		t.Errorf("%d of %d churn requests failed", failed, requests)
	}
	if last := series[n-1]; last.keepAliveTimeouts*100 > float64(pes) {
		t.Errorf("%v PEs timed out although every PE answers its keep-alives", last.keepAliveTimeouts)
	}
}
