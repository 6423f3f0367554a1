// Package loadgen drives a registrar over real SCTP the way many RSPLIB pool
// elements and pool users would, to measure it: a Fleet of pool elements
// registers, re-registers and deregisters over a number of associations and
// acknowledges every Endpoint Keep Alive (so the registrar keeps them, and a
// takeover by another registrar can be timed); Resolve sends Handle
// Resolutions from a number of pool-user associations.
//
// Requests are pipelined: each association keeps up to Window requests in
// flight. A registrar answers the requests of one association in order
// (RSPLIB's clients rely on it), so the answers are matched first in, first
// out; an answer of the wrong type or for the wrong PE counts as a failure.
// Latency is measured from just before the send to the receipt of the answer,
// by the load generator's clock.
//
// The package is used by cmd/rspbench inside the SCTP sandbox; it needs kernel
// SCTP and non-loopback local addresses (RSPLIB's registrar drops loopback
// user addresses).
package loadgen
