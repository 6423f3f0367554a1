// Command rspregistrar is an RSerPool Pool Registrar, a drop-in replacement for
// RSPLIB's rspregistrar.
//
// main parses the command line, starts logging, checks that the kernel has
// SCTP, binds the sockets (internal/daemon), prints RSPLIB's banner and runs
// the registrar until SIGINT or SIGTERM.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rserpool/rspregistrar/internal/config"
	"github.com/rserpool/rspregistrar/internal/daemon"
	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/rserpool"
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
	open      func(*config.Config, *logging.Logger, rserpool.RegistrarID) (registrarRunner, error)
}

// registrarRunner is a registrar with bound sockets (*daemon.Daemon).
type registrarRunner interface {
	Facts() config.Facts
	Run(ctx context.Context, hup <-chan struct{}) error
}

func realSystem() system {
	return system{probeSCTP: probeSCTP, resolve: config.DNSResolver, randomID: randomID, open: openDaemon}
}

func openDaemon(cfg *config.Config, log *logging.Logger, id rserpool.RegistrarID) (registrarRunner, error) {
	return daemon.Open(cfg, log, id)
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

	log, err := logging.New(logging.Options{
		Level: logging.Level(cfg.Log.Level), File: cfg.Log.File, Append: cfg.Log.Append,
		Color: cfg.Log.Color, Stderr: stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "rspregistrar: %v\n", err)
		return 1
	}
	defer log.Close()

	useIPv6 := !cfg.DisableIPv6
	if err := sys.probeSCTP(useIPv6); err != nil {
		reset := ""
		if cfg.Log.Color && cfg.Log.File == "" && log.Enabled(logging.LevelNote) {
			// RSPLIB ends each coloured entry by switching to black, which
			// would hide this line on a dark terminal.
			reset = "\x1b[0m"
		}
		fmt.Fprintf(stderr, "%srspregistrar: %v\n", reset, err)
		return 1
	}

	id := cfg.Identifier
	if id == 0 {
		id = sys.randomID()
	}
	d, err := sys.open(cfg, log, id)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	if !cfg.Quiet {
		fmt.Fprint(stdout, config.Banner(cfg, d.Facts()))
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	hup := make(chan struct{}, 1)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	breakSignal := make(chan os.Signal, 1)
	go func() {
		var first time.Time
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				select {
				case hup <- struct{}{}:
				default:
				}
				continue
			}
			if first.IsZero() {
				first = time.Now()
				breakSignal <- sig
				stop()
				continue
			}
			if time.Since(first) >= 2*time.Second {
				// RSPLIB's break detector: a second signal after two
				// seconds kills the process at once.
				fmt.Fprint(stderr, "\x1b[0m\n*** Kill ***\n\n")
				os.Exit(1)
			}
		}
	}()
	if err := d.Run(ctx, hup); err != nil {
		log.Errorf("%v", err)
	}
	select {
	case sig := <-breakSignal:
		if s, ok := sig.(syscall.Signal); ok {
			fmt.Fprintf(stderr, "\x1b[0m\n*** Break ***    Signal #%d\n\n", int(s))
		}
	default:
	}
	fmt.Fprint(stdout, config.Farewell(cfg))
	return 0
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

// probeSCTP creates and closes an SCTP socket of the family the registrar
// will use, so that a kernel without SCTP is reported before anything else
// happens.
func probeSCTP(ipv6 bool) error {
	family := syscall.AF_INET
	if ipv6 {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_SEQPACKET, syscall.IPPROTO_SCTP)
	if err == syscall.EAFNOSUPPORT && ipv6 {
		// A kernel without IPv6: the sockets will be IPv4 ones.
		fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_SEQPACKET, syscall.IPPROTO_SCTP)
	}
	if err == nil {
		return syscall.Close(fd)
	}
	switch err {
	case syscall.EPROTONOSUPPORT, syscall.ESOCKTNOSUPPORT, syscall.EAFNOSUPPORT, syscall.EPROTOTYPE:
		return errNoSCTP{err}
	}
	return fmt.Errorf("cannot create an SCTP socket: %w", err)
}

// randomID picks a non-zero registrar ID, as RSPLIB does when -identifier
// is absent or 0.
func randomID() rserpool.RegistrarID {
	var b [4]byte
	for {
		rand.Read(b[:]) // never fails: crypto/rand aborts the program instead
		if id := binary.BigEndian.Uint32(b[:]); id != 0 {
			return rserpool.RegistrarID(id)
		}
	}
}
