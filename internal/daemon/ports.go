package daemon

// This file holds the loop's view of the outside world: small interfaces
// that the real sockets satisfy and that the unit tests fake
// (loop_test.go), so that the loop runs without a kernel.

import (
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/sctp"
)

// sctpSocket is what the loop, its readers and its outboxes use of an SCTP
// socket (*sctp.Socket).
type sctpSocket interface {
	socketWriter
	assocQuerier
	ReadBatch(ms []sctp.Message) (int, error)
	LocalAddrs() ([]netip.AddrPort, error)
	Close() error
}

// assocQuerier answers what a message's association facts are (the
// contract's NeedAddrs and NeedSRTT).
type assocQuerier interface {
	PeerAddrs(assoc sctp.AssocID) ([]netip.AddrPort, error)
	Status(assoc sctp.AssocID) (sctp.Status, error)
}

// datagramSender sends multicast announces (*announce.Sender).
type datagramSender interface {
	Send(b []byte) (int, error)
	Close() error
}

// multicastInput receives ENRP multicast (*announce.Receiver).
type multicastInput interface {
	Run(deliver func(payload []byte, from netip.AddrPort)) error
	Rejoin() (int, error)
	Close() error
}

// ports are the loop's sockets.
type ports struct {
	socks [2]sctpSocket // by registrar.Socket
	// announce sends ASAP Server Announces and ENRP Presences, by
	// registrar.Socket; nil when off.
	announce [2]datagramSender
	// multicastIn receives ENRP multicast; nil when off.
	multicastIn multicastInput
}

// close closes every socket.
func (p *ports) close() {
	for _, a := range p.announce {
		if a != nil {
			a.Close()
		}
	}
	if p.multicastIn != nil {
		p.multicastIn.Close()
	}
	for _, s := range p.socks {
		if s != nil {
			s.Close()
		}
	}
}
