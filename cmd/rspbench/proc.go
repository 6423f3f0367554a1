package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a registrar process under test: its output lines are kept with the
// time they were read, so that a phase can be timed by a log line.
type proc struct {
	name  string
	cmd   *exec.Cmd
	start time.Time

	mu      sync.Mutex
	lines   []logLine
	changed chan struct{} // closed and replaced when a line arrives or the process ends
	done    chan struct{}
	exitErr error
}

type logLine struct {
	at   time.Time
	text string
}

func startProc(name, path string, args ...string) (*proc, error) {
	p := &proc{name: name, changed: make(chan struct{}), done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, path, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, logLine{time.Now(), sc.Text()})
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		err := p.cmd.Wait()
		pw.Close()
		p.mu.Lock()
		p.exitErr = err
		close(p.done)
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitLine waits for the first output line matching re and returns when it
// was read. A zero timeout only looks at what is there.
func (p *proc) waitLine(re *regexp.Regexp, timeout time.Duration) (time.Time, string, error) {
	if timeout <= 0 {
		timeout = time.Nanosecond
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.lines); seen++ {
			if re.MatchString(p.lines[seen].text) {
				l := p.lines[seen]
				p.mu.Unlock()
				return l.at, l.text, nil
			}
		}
		ch := p.changed
		exited := p.exited()
		p.mu.Unlock()
		if exited {
			return time.Time{}, "", fmt.Errorf("%s exited (%v) before printing %q", p.name, p.exitErr, re)
		}
		select {
		case <-ch:
		case <-deadline.C:
			return time.Time{}, "", fmt.Errorf("%s did not print %q within %v", p.name, re, timeout)
		}
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail returns the last n output lines.
func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.lines[max(0, len(p.lines)-n):] {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// stop ends the process with SIGTERM, as an operator would (a profiling
// build writes its profile then), and with SIGKILL if it is still there
// after five seconds.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.kill()
	}
}

// kill ends the process at once (SIGKILL) and waits for it.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.done
}

// usage is a process's resource use as /proc shows it.
type usage struct {
	CPU  time.Duration // user + system
	User time.Duration
	RSS  int64 // bytes
	// RSSAnon is the anonymous part of RSS (heap, stacks, data written),
	// RSSFile the file-backed part (the pages of the program and its
	// libraries, clean and reclaimable; a library's are shared with every
	// process using it).
	RSSAnon, RSSFile int64
}

func (p *proc) usage() (usage, error) { return readUsage(p.pid()) }

// clockTick is USER_HZ, 100 on every Linux ABI Go supports.
const clockTick = 10 * time.Millisecond

func readUsage(pid int) (usage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return usage{}, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return usage{}, err
	}
	var u usage
	if u.User, u.CPU, err = parseStatCPU(stat); err != nil {
		return usage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	for _, f := range []struct {
		name string
		v    *int64
	}{{"VmRSS", &u.RSS}, {"RssAnon", &u.RSSAnon}, {"RssFile", &u.RSSFile}} {
		if *f.v, err = parseStatusKB(status, f.name); err != nil {
			return usage{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
		}
	}
	return u, nil
}

// parseStatCPU returns utime and utime + stime of a /proc/PID/stat line.
// The command name in parentheses may contain spaces, so fields are counted
// after the last ')'.
func parseStatCPU(b []byte) (user, total time.Duration, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state is field 3 of the line, utime 14, stime 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%d fields after the command name", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, err
	}
	return time.Duration(ut) * clockTick, time.Duration(ut+st) * clockTick, nil
}

// parseStatusKB returns the field name (VmRSS, RssAnon, ...) of
// /proc/PID/status, a size in kB, in bytes.
func parseStatusKB(b []byte, name string) (int64, error) {
	for line := range strings.SplitSeq(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, name+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s line %q", name, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}
