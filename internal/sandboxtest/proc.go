package sandboxtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a program started by a sandbox test: a registrar, an RSPLIB tool.
// Its combined output is kept so the test can wait for lines to appear; when
// the test ends the process is killed and, if the test failed, its output is
// logged.
type Proc struct {
	Name string
	cmd  *exec.Cmd

	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{} // closed and replaced whenever output grows or the process exits

	done    chan struct{}
	exitErr error
}

// Start runs a program with the given arguments. stdin, if not nil, feeds the
// program's standard input.
func Start(t testing.TB, stdin io.Reader, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, changed: make(chan struct{}), done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stdout = (*procWriter)(p)
	p.cmd.Stderr = (*procWriter)(p)
	p.cmd.Stdin = stdin
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		err := p.cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		close(p.done)
		p.notifyLocked()
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- output of %s %s:\n%s", name, strings.Join(args, " "), p.Output())
		}
		keepOutput(t, name, args, p.Output())
	})
	return p
}

type procWriter Proc

func (w *procWriter) Write(b []byte) (int, error) {
	p := (*Proc)(w)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out.Write(b)
	p.notifyLocked()
	return len(b), nil
}

func (p *Proc) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Output returns everything the program printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// WaitFor waits until the output matches re and returns the first match with
// its submatches. It fails the test when the program exits first or when
// timeout passes (a bound on a liveness wait, not a performance assertion).
func (p *Proc) WaitFor(t testing.TB, re string, timeout time.Duration) []string {
	t.Helper()
	m, err := p.waitFor(regexp.MustCompile(re), timeout)
	if err != "" {
		t.Fatalf("%s: %s waiting for %q; output so far:\n%s", p.Name, err, re, p.Output())
	}
	return m
}

// Appears reports whether the output matches re within timeout, without
// failing the test.
func (p *Proc) Appears(re string, timeout time.Duration) bool {
	m, _ := p.waitFor(regexp.MustCompile(re), timeout)
	return m != nil
}

func (p *Proc) waitFor(re *regexp.Regexp, timeout time.Duration) ([]string, string) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		m := re.FindStringSubmatch(p.out.String())
		ch := p.changed
		exited := p.exited()
		p.mu.Unlock()
		if m != nil {
			return m, ""
		}
		if exited {
			return nil, "exited (" + p.exitString() + ")"
		}
		select {
		case <-ch:
		case <-deadline.C:
			return nil, "timed out after " + timeout.String()
		}
	}
}

func (p *Proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *Proc) exitString() string {
	if p.exitErr == nil {
		return "status 0"
	}
	return p.exitErr.Error()
}

// Signal sends a signal to the process.
func (p *Proc) Signal(sig os.Signal) { _ = p.cmd.Process.Signal(sig) }

// Kill ends the process and everything it started.
func (p *Proc) Kill() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Wait waits for the process to exit and returns its exit status (-1 if it
// was killed by a signal). It fails the test after timeout.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %v; output:\n%s", p.Name, timeout, p.Output())
	}
	if p.exitErr == nil {
		return 0
	}
	if ee, ok := p.exitErr.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// Until waits until f holds for the output so far, checking whenever the
// output grows and at least every 100 ms (f may act, e.g. send a probe). It
// fails the test after timeout (a liveness bound) or when the program exits
// before f holds.
func (p *Proc) Until(t testing.TB, what string, timeout time.Duration, f func(out string) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		out, ch, exited := p.out.String(), p.changed, p.exited()
		p.mu.Unlock()
		if f(out) {
			return
		}
		if exited {
			t.Fatalf("%s exited (%s) while waiting for %s; output:\n%s", p.Name, p.exitString(), what, out)
		}
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("%s: timed out after %v waiting for %s; output:\n%s", p.Name, timeout, what, out)
		}
	}
}

// EnvProcLogs names a directory that keeps every program's output, passed
// or failed, for looking into a run (RSPREG_PROC_LOGS=/tmp/logs).
const EnvProcLogs = "RSPREG_PROC_LOGS"

// keepOutput writes a program's output into $RSPREG_PROC_LOGS, if set.
func keepOutput(t testing.TB, name string, args []string, out string) {
	dir := os.Getenv(EnvProcLogs)
	if dir == "" {
		return
	}
	f, err := os.CreateTemp(dir, filepath.Base(name)+"-*.log")
	if err != nil {
		t.Logf("keeping the output of %s: %v", name, err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "# %s %s (%s)\n%s", name, strings.Join(args, " "), t.Name(), out)
}
