package daemon

// This file answers the metrics listener's requests (internal/metrics): the
// scrape's Snapshot and the JSON views' copies, made between two events so
// that the HTTP goroutines never read the core. A handlespace page copies at
// most metrics.MaxLimit PEs, whatever the handlespace's size.

import (
	"net/netip"

	"github.com/rserpool/rspregistrar/internal/metrics"
	"github.com/rserpool/rspregistrar/internal/registrar"
)

// answer answers one request; it changes nothing in the core.
func (d *loop) answer(req metrics.Request) {
	switch req.Kind {
	case metrics.KindHandlespace:
		req.ReplyHandlespace(metrics.CopyPage(d.core.Handlespace(), req.Page, d.now()))
	case metrics.KindPeers:
		req.ReplyPeers(metrics.CopyPeers(d.core.Peers(), d.now()))
	case metrics.KindRegistrar:
		s := &metrics.RegistrarState{Snapshot: *d.snapshot()}
		s.ASAP = d.localAddrs(registrar.SocketASAP)
		s.ENRP = d.localAddrs(registrar.SocketENRP)
		req.ReplyRegistrar(s)
	default:
		req.Reply(d.snapshot())
	}
}

// localAddrs are a socket's bound addresses (none if the kernel does not
// tell: the view then shows none rather than failing).
func (d *loop) localAddrs(sock registrar.Socket) []netip.AddrPort {
	aps, err := d.io.socks[sock].LocalAddrs()
	if err != nil {
		d.log.Warningf("Unable to obtain the local addresses for the HTTP view: %v", err)
		return nil
	}
	return aps
}
