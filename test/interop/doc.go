// Package interop holds the sandbox tests that run the rspregistrar binary
// against the real RSPLIB programs (rspserver, rspterminal, hsdump,
// rspregistrar, cspmonitor) from Debian's rsplib-tools and rsplib-registrar
// packages. They run inside the SCTP sandbox: test/sandbox/gotest.
package interop
