// Command profregistrar is the registrar with profiling: it runs like
// rspregistrar (same options, same daemon) and writes a CPU profile of its
// whole run to $RSPREG_CPUPROFILE and a heap profile at exit to
// $RSPREG_MEMPROFILE. `make bench-profile` runs it under cmd/rspbench's load
// inside the sandbox, where the registrar needs kernel SCTP.
//
// A "%p" in a profile's path is replaced by the process id, so that several
// registrars of one run keep their own profiles. It stops on SIGINT or
// SIGTERM (rspbench stops registrars with SIGTERM).
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
	"syscall"

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
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
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
