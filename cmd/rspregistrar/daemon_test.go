package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

func TestBreakDetector(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newBreakDetector(func() time.Time { return now })
	if b.broken() || b.caught() != nil {
		t.Fatal("broken before any signal")
	}
	if b.signal(syscall.SIGTERM) {
		t.Error("first signal kills")
	}
	if !b.broken() || b.caught() != syscall.SIGTERM {
		t.Errorf("after SIGTERM: broken %v, caught %v", b.broken(), b.caught())
	}
	now = now.Add(1999 * time.Millisecond)
	if b.signal(syscall.SIGINT) {
		t.Error("a second signal within 2 s kills")
	}
	now = now.Add(time.Millisecond)
	if !b.signal(syscall.SIGINT) {
		t.Error("a second signal 2 s later does not kill")
	}
	if b.caught() != syscall.SIGTERM {
		t.Errorf("caught %v, want the first signal", b.caught())
	}
}

// dupFD returns a new descriptor for f's file, for code under test that
// takes ownership of descriptor numbers (and closes them).
func dupFD(t *testing.T, f *os.File) int {
	t.Helper()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestParseBackground(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	asap, enrp, log, ready := dupFD(t, r), dupFD(t, r), dupFD(t, w), dupFD(t, w)
	b, err := parseBackground(fmt.Sprintf("id=0x1a2b3c4d asap=%d enrp=%d log=%d ready=%d", asap, enrp, log, ready))
	if err != nil {
		t.Fatal(err)
	}
	if b.id != 0x1a2b3c4d || b.asapFD != asap || b.enrpFD != enrp || b.logFD != log || b.readyFD != ready ||
		b.asapAnnFD != -1 || b.metricsFD != -1 {
		t.Errorf("parsed %+v", b)
	}
	if b.logFile() == nil || b.metricsFile() != nil {
		t.Error("log or metrics file")
	}
	b.logFile().Close() // the logger's, which close leaves alone
	b.close()
	var none *background
	if none.logFile() != nil || none.metricsFile() != nil {
		t.Error("files of no background")
	}
	for _, bad := range []string{
		"", "asap=3 enrp=4 ready=5", "id=0x0 asap=3 enrp=4 ready=5", "id=12 asap=3 enrp=4 ready=5",
		"id=0x1 asap=3 ready=5", "id=0x1 asap=3 enrp=4", "id=0x1 asap=2 enrp=4 ready=5",
		"id=0x1 asap=x enrp=4 ready=5", "id=0x1 asap=3 enrp=4 ready=5 other=6", "id=0x1 asap",
	} {
		if _, err := parseBackground(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// daemonSystem is fakeSystem whose background starts are recorded.
type startRecord struct {
	args, env []string
	files     []*os.File
}

func daemonSystem(rec *startRecord, ready bool) system {
	sys := fakeSystem(nil)
	sys.startBackground = func(args, env []string, files []*os.File) (int, error) {
		rec.args, rec.env, rec.files = args, env, files
		if ready {
			if _, err := files[len(files)-1].WriteString("ready\n"); err != nil {
				return 0, err
			}
		}
		return 4242, nil
	}
	return sys
}

// TestDaemonModeParent: the parent prints the banner, starts the
// background copy with the sockets, writes its pid and exits 0 without
// "Terminated!"; the background copy must say it runs.
func TestDaemonModeParent(t *testing.T) {
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "pr.pid")
	logPath := filepath.Join(dir, "pr.log")
	var rec startRecord
	var stdout, stderr bytes.Buffer
	args := []string{"/usr/sbin/rspregistrar", "-identifier=0x11111111", "-daemonpidfile=" + pidPath, "-logfile=" + logPath, "-loglevel=3"}
	code := runWith(daemonSystem(&rec, true), args, []string{"CSP_INTERVAL=1000"}, &stdout, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Daemon Mode:            "+pidPath+"\n") || strings.Contains(stdout.String(), "Terminated!") {
		t.Errorf("stdout %q", stdout.String())
	}
	if b, err := os.ReadFile(pidPath); err != nil || string(b) != "4242\n" {
		t.Errorf("pid file %q, %v", b, err)
	}
	if strings.Join(rec.args, " ") != strings.Join(args, " ") {
		t.Errorf("background arguments %q", rec.args)
	}
	if rec.env[0] != "CSP_INTERVAL=1000" || rec.env[len(rec.env)-1] != envBackground+"=id=0x11111111 asap=3 enrp=4 log=5 ready=6" {
		t.Errorf("background environment %q", rec.env)
	}
	if len(rec.files) != 4 || rec.files[2].Name() != logPath {
		t.Errorf("background files %v", rec.files)
	}
	// The log goes on in the background: the parent does not finish it.
	log, _ := os.ReadFile(logPath)
	if !strings.Contains(string(log), "Registrar started.") || strings.Contains(string(log), "Logging finished.") {
		t.Errorf("log %q", log)
	}
}

func TestDaemonModeParentFailures(t *testing.T) {
	dir := t.TempDir()
	t.Run("pid file", func(t *testing.T) {
		var rec startRecord
		var stdout, stderr bytes.Buffer
		path := filepath.Join(dir, "missing", "pr.pid")
		code := runWith(daemonSystem(&rec, true), []string{"x", "-daemonpidfile=" + path}, nil, &stdout, &stderr)
		if code != 1 || stderr.String() != "ERROR: Unable to create PID file \""+path+"\"!\n" || rec.args != nil {
			t.Errorf("code %d, stderr %q, started %v", code, stderr.String(), rec.args != nil)
		}
	})
	t.Run("not ready", func(t *testing.T) {
		var rec startRecord
		var stdout, stderr bytes.Buffer
		path := filepath.Join(dir, "pr.pid")
		code := runWith(daemonSystem(&rec, false), []string{"x", "-daemonpidfile=" + path}, nil, &stdout, &stderr)
		if code != 1 || stderr.String() != "rspregistrar: the background process did not start\n" {
			t.Errorf("code %d, stderr %q", code, stderr.String())
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("pid file left behind: %v", err)
		}
	})
}

// recordingRunner is a registrar that runs until it is stopped and
// remembers how it was opened.
type recordingRunner struct {
	fakeRunner
	opts  daemon.Options
	stats registrar.Stats
}

func (r *recordingRunner) Run(ctx context.Context, _ <-chan struct{}) error {
	<-ctx.Done()
	return nil
}

func (r *recordingRunner) Stats() registrar.Stats { return r.stats }

// TestDaemonModeBackground runs the background copy's side in-process: it
// takes the inherited sockets and id, prints no banner, reports that it
// runs, and on a break signal removes its pid file and says
// "Terminated!".
func TestDaemonModeBackground(t *testing.T) {
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "pr.pid")
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sockR, sockW, _ := os.Pipe()
	defer sockR.Close()
	defer sockW.Close()
	readyR, readyW, _ := os.Pipe()
	defer readyR.Close()
	defer readyW.Close()
	// The background copy owns the descriptors it is given.
	asapFD, enrpFD, readyFD := dupFD(t, sockR), dupFD(t, sockW), dupFD(t, readyW)
	sys := fakeSystem(nil)
	var sigs chan<- os.Signal
	sys.signals = func(c chan<- os.Signal) func() { sigs = c; return func() {} }
	var opened *recordingRunner
	sys.open = func(cfg *config.Config, _ *logging.Logger, id rserpool.RegistrarID, o daemon.Options) (registrarRunner, error) {
		opened = &recordingRunner{fakeRunner: fakeRunner{cfg: cfg, id: id}, opts: o}
		if o.Inherit == nil || o.Inherit.ASAP.Fd() != uintptr(asapFD) || o.Inherit.ENRP.Fd() != uintptr(enrpFD) {
			t.Errorf("inherited sockets %+v", o.Inherit)
		}
		return opened, nil
	}
	env := []string{envBackground + fmt.Sprintf("=id=0x1a2b3c4d asap=%d enrp=%d ready=%d", asapFD, enrpFD, readyFD)}
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- runWith(sys, []string{"x", "-daemonpidfile=" + pidPath, "-logquiet"}, env, &stdout, &stderr)
	}()
	line := make([]byte, 6)
	if _, err := readyR.Read(line); err != nil || string(line) != "ready\n" {
		t.Fatalf("ready pipe: %q %v", line, err)
	}
	sigs <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Errorf("code %d, stderr %q", code, stderr.String())
	}
	if opened.id != 0x1a2b3c4d {
		t.Errorf("id %v", opened.id)
	}
	if stdout.String() != "\nTerminated!\n" {
		t.Errorf("stdout %q", stdout.String())
	}
	if stderr.String() != "\x1b[0m\n*** Break ***    Signal #15\n\n" {
		t.Errorf("stderr %q", stderr.String())
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("pid file not removed: %v", err)
	}
}

// TestFailureTestMode runs -uptime restarts with a fake registrar: the
// lines RSPLIB prints, a new random id and banner per run, counters
// carried over, and the scalar file written with them; a break signal in
// the third run ends it.
func TestFailureTestMode(t *testing.T) {
	dir := t.TempDir()
	scalar := filepath.Join(dir, "x.sca")
	sys := fakeSystem(nil)
	var sigs chan<- os.Signal
	sys.signals = func(c chan<- os.Signal) func() { sigs = c; return func() {} }
	// The third run would last 10 s: the break signal, not the timer, ends
	// it.
	draws := []float64{1, 1, 1, 1, 1000}
	sys.expRand = func() float64 { d := draws[0]; draws = draws[1:]; return d }
	ids := []rserpool.RegistrarID{0x101, 0x202, 0x303}
	sys.randomID = func() rserpool.RegistrarID { id := ids[0]; ids = ids[1:]; return id }
	var runs []*recordingRunner
	sys.open = func(cfg *config.Config, _ *logging.Logger, id rserpool.RegistrarID, o daemon.Options) (registrarRunner, error) {
		r := &recordingRunner{fakeRunner: fakeRunner{cfg: cfg, id: id}, opts: o}
		if o.Stats != nil {
			r.stats = *o.Stats
		}
		r.stats.Registrations += 10
		runs = append(runs, r)
		if len(runs) == 3 {
			sigs <- syscall.SIGINT
		}
		return r, nil
	}
	var stdout, stderr bytes.Buffer
	code := runWith(sys, []string{"x", "-uptime=0.01", "-downtime=0", "-logquiet", "-scalar=" + scalar}, nil, &stdout, &stderr)
	if code != 0 || len(runs) != 3 {
		t.Fatalf("code %d, %d runs, stderr %q", code, len(runs), stderr.String())
	}
	if runs[0].opts.Stats != nil || runs[1].opts.Stats.Registrations != 10 || runs[2].opts.Stats.Registrations != 20 {
		t.Error("counters not carried over")
	}
	out := stdout.String()
	run := "Uptime   = 0.010 [s]\nDowntime = 0.000 [s]\n\nRun #%d: Running registrar for %s ...\n\n"
	re := regexp.MustCompile(`(?s)^` + regexp.QuoteMeta(fmt.Sprintf(run, 1, "0.010s")) + `The rsplib Registrar.*Server ID: +\$00000101\n.*` +
		regexp.QuoteMeta("Shutdown by timer!\n\nWaiting for 0.000s ...\n"+fmt.Sprintf(run, 2, "0.010s")) + `.*\$00000202.*` +
		regexp.QuoteMeta("Shutdown by timer!\n\nWaiting for 0.000s ...\n"+fmt.Sprintf(run, 3, "10.000s")) + `.*\$00000303.*\n\nTerminated!\n$`)
	if !re.MatchString(out) {
		t.Errorf("stdout:\n%s", out)
	}
	if strings.Count(out, "Shutdown by timer!") != 2 || stderr.String() != "\x1b[0m\n*** Break ***    Signal #2\n\n" {
		t.Errorf("stderr %q, stdout:\n%s", stderr.String(), out)
	}
	sca, err := os.ReadFile(scalar)
	if err != nil || !strings.Contains(string(sca), `"registrar" "Registrar Total Registrations"              30`) {
		t.Errorf("scalar file %q %v", sca, err)
	}
}

// stuckRunner is a registrar whose shutdown never ends.
type stuckRunner struct {
	fakeRunner
	running chan struct{}
	release chan struct{}
}

func (r *stuckRunner) Run(ctx context.Context, _ <-chan struct{}) error {
	close(r.running)
	<-r.release
	return nil
}

// TestSecondSignalKills: a second break signal within two seconds of the
// first is ignored; one two seconds or more later prints the Kill line
// and kills the process.
func TestSecondSignalKills(t *testing.T) {
	sys := fakeSystem(nil)
	var sigs chan<- os.Signal
	sys.signals = func(c chan<- os.Signal) func() { sigs = c; return func() {} }
	// The detector reads the clock once per signal: at the first, 1.999 s
	// later at the second, 2 s after the first at the third.
	var mu sync.Mutex
	t0 := time.Unix(1000, 0)
	clock := []time.Time{t0, t0.Add(1999 * time.Millisecond), t0.Add(2 * time.Second)}
	reads := 0
	sys.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		reads++
		return clock[min(reads, len(clock))-1]
	}
	r := &stuckRunner{running: make(chan struct{}), release: make(chan struct{})}
	sys.open = func(cfg *config.Config, _ *logging.Logger, id rserpool.RegistrarID, _ daemon.Options) (registrarRunner, error) {
		r.fakeRunner = fakeRunner{cfg: cfg, id: id}
		return r, nil
	}
	killed := make(chan struct{})
	sys.kill = func() { close(killed); close(r.release) }
	var stdout, stderr sandboxtest.SyncBuffer
	done := make(chan int)
	go func() { done <- runWith(sys, []string{"x", "-logquiet", "-quiet"}, nil, &stdout, &stderr) }()
	<-r.running
	sigs <- syscall.SIGTERM
	sigs <- syscall.SIGINT
	sigs <- syscall.SIGINT
	<-killed
	mu.Lock()
	if reads != 3 {
		t.Errorf("killed after %d signals, want 3", reads)
	}
	mu.Unlock()
	<-done
	if !strings.Contains(stderr.String(), "\x1b[0m\n*** Kill ***\n\n") {
		t.Errorf("stderr %q", stderr.String())
	}
}
