// Command profregistrar is the registrar with profiling: it runs like
// rspregistrar (same options, same daemon) and writes a CPU profile of its
// whole run to $RSPREG_CPUPROFILE and a heap profile at exit to
// $RSPREG_MEMPROFILE. `make bench-profile` runs it under cmd/rspbench's load
// inside the sandbox, where the registrar needs kernel SCTP.
//
// A "%p" in a profile's path is replaced by the process id, so that several
// registrars of one run keep their own profiles. It stops on SIGINT or
// SIGTERM (rspbench stops registrars with SIGTERM). With
// $RSPREG_CPUPROFILE_SLICE (a duration) the CPU profile is cut into slices.
package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rserpool/rspregistrar/internal/config"
	"github.com/rserpool/rspregistrar/internal/daemon"
	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "profregistrar:", err)
		os.Exit(1)
	}
}

func profilePath(env string) string {
	return strings.ReplaceAll(os.Getenv(env), "%p", strconv.Itoa(os.Getpid()))
}

func run() error {
	cfg, err := config.Parse(os.Args[1:], config.Environment{LookupEnv: os.LookupEnv, Resolve: config.DNSResolver, Warnings: os.Stderr})
	if err != nil {
		return err
	}
	log, err := logging.New(logging.Options{Level: logging.Level(cfg.Log.Level), File: cfg.Log.File,
		Append: cfg.Log.Append, Color: cfg.Log.Color, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	defer log.Close()
	id := cfg.Identifier
	for id == 0 {
		id = rserpool.RegistrarID(rand.Uint32())
	}
	d, err := daemon.Open(cfg, log, id, daemon.Options{})
	if err != nil {
		return err
	}
	if path := profilePath("RSPREG_CPUPROFILE"); path != "" {
		slice, _ := time.ParseDuration(os.Getenv("RSPREG_CPUPROFILE_SLICE"))
		stopProfile, err := profileCPU(path, slice)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// rspbench and the tests wait for rspregistrar's start line.
	log.Notef("Registrar started. Going into initialization phase...")
	if err := d.Run(ctx, nil); err != nil {
		return err
	}
	if path := profilePath("RSPREG_MEMPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		runtime.GC()
		return pprof.WriteHeapProfile(f)
	}
	return nil
}

// profileCPU writes a CPU profile to path until the returned function is
// called. With a slice > 0 it writes one profile per slice instead, to
// path.1, path.2, ...: a registrar killed with SIGKILL (the takeover) keeps
// all but its last slice, and a phase of a run can be looked at alone.
func profileCPU(path string, slice time.Duration) (func(), error) {
	start := func(name string) (*os.File, error) {
		f, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	if slice <= 0 {
		f, err := start(path)
		if err != nil {
			return nil, err
		}
		return func() { pprof.StopCPUProfile(); f.Close() }, nil
	}
	var mu sync.Mutex
	n := 1
	f, err := start(fmt.Sprintf("%s.%d", path, n))
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(slice)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			mu.Lock()
			pprof.StopCPUProfile()
			f.Close()
			n++
			if f, err = start(fmt.Sprintf("%s.%d", path, n)); err != nil {
				f = nil
			}
			mu.Unlock()
			if f == nil {
				return
			}
		}
	}()
	return func() {
		close(done)
		mu.Lock()
		defer mu.Unlock()
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
	}, nil
}
