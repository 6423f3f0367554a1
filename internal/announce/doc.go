// Package announce sends and receives the UDP multicast datagrams with which
// RSerPool components find registrars: ASAP Server Announces to PEs and PUs
// (default group 239.0.0.50:3863) and ENRP Presence to other registrars
// (239.0.0.51:9901).
//
// It does what RSPLIB's registrar does with these sockets, because RSPLIB
// clients depend on it: the output socket is bound to the port number of the
// registrar's SCTP socket, since a Server Announce carries no transport
// address and clients take the datagram's source address and port as the
// registrar's ASAP endpoint; every datagram is sent once on each interface
// that is up and multicast-capable; the input socket is bound to the group
// address and joined on every interface, again whenever the registrar asks
// (at each ENRP heartbeat), so that interfaces that appear later are joined
// too. Interface enumeration is a parameter so that tests can choose it.
//
// The package knows nothing about message contents: it moves byte slices.
package announce
