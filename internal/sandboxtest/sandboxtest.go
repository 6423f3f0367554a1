// Package sandboxtest lets a test declare that it needs kernel SCTP and the
// real RSPLIB programs, which exist only inside the user-mode-Linux sandbox
// (test/sandbox/run) on hosts like CI's.
//
// Outside the sandbox such tests skip with a message pointing at
// `make sandbox-test`. Inside it (RSPREG_SANDBOX=1, set by test/sandbox/gotest)
// a missing prerequisite is a failure, never a skip, so an interop test can
// not pass by not running.
package sandboxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// EnvSandbox is set to 1 by the sandbox test driver.
const EnvSandbox = "RSPREG_SANDBOX"

// EnvBinary names the rspregistrar binary under test.
const EnvBinary = "RSPREG_BIN"

// Active reports whether the test runs under the sandbox driver.
func Active() bool { return os.Getenv(EnvSandbox) == "1" }

// Require skips the test outside the sandbox and fails it inside the sandbox
// when kernel SCTP is not usable.
func Require(t testing.TB) {
	t.Helper()
	if !Active() {
		t.Skip("needs kernel SCTP: runs inside the sandbox (make sandbox-test)")
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_SEQPACKET, syscall.IPPROTO_SCTP)
	if err != nil {
		t.Fatalf("sandbox without kernel SCTP: %v", err)
	}
	syscall.Close(fd)
}

// Program returns the path of an external program the test needs (an RSPLIB
// tool such as rspserver), failing the test if it is missing.
func Program(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not installed (make sandbox-deps): %v", name, err)
	}
	return p
}

// Registrar returns the path of the rspregistrar binary under test.
func Registrar(t testing.TB) string {
	t.Helper()
	p := os.Getenv(EnvBinary)
	if p == "" {
		t.Fatalf("%s not set: run through make sandbox-test", EnvBinary)
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("registrar binary: %v", err)
	}
	return p
}
