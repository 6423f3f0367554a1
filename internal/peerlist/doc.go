// Package peerlist holds the registrar's view of its ENRP peers: the peer list
// with RSPLIB's identity rules (static entries from -peer that learn their id,
// dynamic entries keyed by id), per-peer synchronisation state, liveness
// timers, takeover processes and Handle Table paging positions.
//
// It is plain data with no I/O and no clock of its own: the registrar core
// (internal/registrar) owns one List, passes the current time in, and
// turns the decisions made here into ENRP messages.
package peerlist
