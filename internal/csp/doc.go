// Package csp builds and sends Component Status Protocol reports, RSPLIB's
// private one-way UDP status protocol that cspmonitor displays.
//
// The package is split the same way as the registrar: Report and its
// encoding, the component identifiers and the registrar's status and location
// texts are pure values and functions, so they are tested byte for byte
// against captures of RSPLIB; Reporter adds the two pieces of state RSPLIB
// keeps (the time of the first report, from which sender timestamps count, and
// the socket) and the datagram send. The report timer belongs to the registrar
// core, which decides when a report or the final report is due.
package csp
