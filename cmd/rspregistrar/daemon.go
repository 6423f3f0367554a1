package main

// Daemon mode (-daemonpidfile). RSPLIB forks once its sockets are bound and
// its banner is out; the parent writes the child's process id to the file
// and exits 0. A Go program cannot fork, so the parent re-executes itself
// with the same arguments and hands the bound sockets (and the open log file
// and metrics listener) over as inherited descriptors, described by the
// environment variable envBackground. The background copy parses the same
// arguments, takes the sockets over instead of binding new ones, skips what
// the parent already printed and tells the parent through a pipe that it
// runs; only then does the parent exit 0. Unlike RSPLIB's child it removes
// the process id file when it ends cleanly.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/rserpool/rspregistrar/internal/daemon"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// envBackground marks the background copy and lists what it inherits:
// "id=0x1a2b3c4d asap=3 enrp=4 ... ready=9" (descriptor numbers; keys
// without a descriptor are left out).
const envBackground = "RSPREGISTRAR_BACKGROUND"

// background is what the background copy got from its parent.
type background struct {
	id rserpool.RegistrarID
	// Descriptor numbers; -1 for none.
	asapFD, enrpFD, asapAnnFD, enrpAnnFD, enrpInFD, logFD, metricsFD, readyFD int
	files                                                                     map[int]*os.File
}

// backgroundKeys are the descriptor keys of envBackground in ExtraFiles
// order.
var backgroundKeys = []string{"asap", "enrp", "asapann", "enrpann", "enrpin", "log", "metrics", "ready"}

func (b *background) fields() []*int {
	return []*int{&b.asapFD, &b.enrpFD, &b.asapAnnFD, &b.enrpAnnFD, &b.enrpInFD, &b.logFD, &b.metricsFD, &b.readyFD}
}

func parseBackground(spec string) (*background, error) {
	b := &background{files: map[int]*os.File{}}
	fds := b.fields()
	for _, p := range fds {
		*p = -1
	}
	seenID := false
	for _, kv := range strings.Fields(spec) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%s: bad entry %q", envBackground, kv)
		}
		if k == "id" {
			n, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 32)
			if err != nil || n == 0 || !strings.HasPrefix(v, "0x") {
				return nil, fmt.Errorf("%s: bad registrar id %q", envBackground, v)
			}
			b.id, seenID = rserpool.RegistrarID(n), true
			continue
		}
		i := indexOf(backgroundKeys, k)
		if i < 0 {
			return nil, fmt.Errorf("%s: unknown entry %q", envBackground, kv)
		}
		fd, err := strconv.Atoi(v)
		if err != nil || fd < 3 {
			return nil, fmt.Errorf("%s: bad descriptor %q", envBackground, kv)
		}
		*fds[i] = fd
	}
	if !seenID || b.asapFD < 0 || b.enrpFD < 0 || b.readyFD < 0 {
		return nil, fmt.Errorf("%s: incomplete (%q)", envBackground, spec)
	}
	for i, p := range fds {
		if *p >= 0 {
			b.files[*p] = os.NewFile(uintptr(*p), "inherited-"+backgroundKeys[i])
		}
	}
	return b, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// file returns the inherited file with descriptor fd, nil for none.
func (b *background) file(fd int) *os.File {
	if fd < 0 {
		return nil
	}
	return b.files[fd]
}

// logFile is the inherited log file, nil for none (also on a nil
// background).
func (b *background) logFile() *os.File {
	if b == nil {
		return nil
	}
	return b.file(b.logFD)
}

// metricsFile is the inherited metrics listener, nil for none.
func (b *background) metricsFile() *os.File {
	if b == nil {
		return nil
	}
	return b.file(b.metricsFD)
}

// sockets hands the inherited sockets to daemon.Open, which duplicates
// them; the caller closes them afterwards.
func (b *background) sockets() *daemon.Sockets {
	s := &daemon.Sockets{ASAP: b.file(b.asapFD), ENRP: b.file(b.enrpFD), ASAPAnnounce: b.file(b.asapAnnFD),
		ENRPAnnounce: b.file(b.enrpAnnFD), ENRPIn: b.file(b.enrpInFD)}
	for _, fd := range []int{b.asapFD, b.enrpFD, b.asapAnnFD, b.enrpAnnFD, b.enrpInFD} {
		delete(b.files, fd)
	}
	return s
}

// ready tells the parent that the registrar runs.
func (b *background) ready() error {
	f := b.file(b.readyFD)
	delete(b.files, b.readyFD)
	if f == nil {
		return nil
	}
	_, err := io.WriteString(f, "ready\n")
	return errors.Join(err, f.Close())
}

// close closes what was not handed on (the log file belongs to the logger
// and the metrics listener to the exporter, which have their own copies or
// take ownership).
func (b *background) close() {
	for fd, f := range b.files {
		if fd != b.logFD {
			f.Close()
		}
	}
}

// startDaemon is daemon mode's parent: it starts the background copy with
// the bound sockets, writes its process id to the file and returns the exit
// status. The parent's own copies of the sockets are left to the exit.
func (p *program) startDaemon(d registrarRunner) int {
	path := p.cfg.DaemonPIDFile
	pidFile, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		// RSPLIB prints this line too, but after starting the child,
		// which it then kills, and exits 0.
		fmt.Fprintf(p.stderr, "ERROR: Unable to create PID file \"%s\"!\n", path)
		return 1
	}
	socks, err := d.Sockets()
	if err != nil {
		pidFile.Close()
		os.Remove(path)
		fmt.Fprintf(p.stderr, "rspregistrar: %v\n", err)
		return 1
	}
	defer socks.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		pidFile.Close()
		os.Remove(path)
		fmt.Fprintf(p.stderr, "rspregistrar: %v\n", err)
		return 1
	}
	defer readyR.Close()

	var files []*os.File
	spec := []string{fmt.Sprintf("id=0x%08x", uint32(d.Facts().ServerID))}
	add := func(key string, f *os.File) {
		if f != nil {
			spec = append(spec, fmt.Sprintf("%s=%d", key, 3+len(files)))
			files = append(files, f)
		}
	}
	add("asap", socks.ASAP)
	add("enrp", socks.ENRP)
	add("asapann", socks.ASAPAnnounce)
	add("enrpann", socks.ENRPAnnounce)
	add("enrpin", socks.ENRPIn)
	add("log", p.log.File())
	if p.listener != nil {
		lf, err := p.listener.(interface{ File() (*os.File, error) }).File()
		if err != nil {
			pidFile.Close()
			os.Remove(path)
			readyW.Close()
			fmt.Fprintf(p.stderr, "rspregistrar: metrics: %v\n", err)
			return 1
		}
		defer lf.Close()
		add("metrics", lf)
	}
	add("ready", readyW)
	env := append(append([]string(nil), p.env...), envBackground+"="+strings.Join(spec, " "))
	pid, err := p.sys.startBackground(append([]string{p.prog}, p.args...), env, files)
	readyW.Close()
	if err != nil {
		pidFile.Close()
		os.Remove(path)
		fmt.Fprintf(p.stderr, "rspregistrar: starting the background process: %v\n", err)
		return 1
	}
	_, werr := fmt.Fprintf(pidFile, "%d\n", pid)
	if err := errors.Join(werr, pidFile.Close()); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		os.Remove(path)
		fmt.Fprintf(p.stderr, "ERROR: Unable to create PID file \"%s\"! (%v)\n", path, err)
		return 1
	}
	// The background copy writes "ready" once it runs; EOF means it died
	// (it has said why on the inherited standard error).
	line := make([]byte, 6)
	if n, _ := io.ReadFull(readyR, line); n != len(line) || string(line) != "ready\n" {
		os.Remove(path)
		fmt.Fprintln(p.stderr, "rspregistrar: the background process did not start")
		return 1
	}
	return 0
}

// startBackground runs this program again with the given arguments,
// environment and extra descriptors (3, 4, ...), with the same standard
// input, output and error; it does not wait for it.
func startBackground(args, env []string, files []*os.File) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := &exec.Cmd{Path: exe, Args: args, Env: env, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		ExtraFiles: files}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	// Nobody waits for it: it outlives this process.
	_ = cmd.Process.Release()
	return pid, nil
}

// removePIDFile removes the process id file if it still names this
// process, so that a file rewritten by a newer instance is left alone.
func removePIDFile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		os.Remove(path)
	}
}
