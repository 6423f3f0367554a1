package daemon

// This file holds the output side: carrying out the core's actions.

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/rserpool/rspregistrar/internal/csp"
	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// execute carries out the core's actions, produced at time now, then
// reports the sends that failed back to the core (after the batch, as the
// actions are only valid until the next call into it) and carries out what
// it makes of them.
func (d *loop) execute(now int64, acts []registrar.Action) {
	d.carryOut(now, acts)
	// The core's answer to a failure may fail in turn and append.
	for i := 0; i < len(d.failures); i++ {
		d.carryOut(now, d.core.HandleSendFailed(now, d.failures[i]))
	}
	d.failures = d.failures[:0]
}

// carryOut does the actions. Runs of sends on one socket (a keep-alive
// round, the answers to a batch of requests) go out together.
func (d *loop) carryOut(now int64, acts []registrar.Action) {
	at := d.start.Add(time.Duration(now))
	for i := 0; i < len(acts); {
		a := &acts[i]
		if a.Kind == registrar.ActSend || a.Kind == registrar.ActSendTo {
			j := i + 1
			for j < len(acts) && (acts[j].Kind == registrar.ActSend || acts[j].Kind == registrar.ActSendTo) && acts[j].Sock == a.Sock {
				j++
			}
			d.out[a.Sock].sendBatch(acts[i:j], a.Sock, at, d.sendFailed)
			i = j
			continue
		}
		i++
		switch a.Kind {
		case registrar.ActAbort:
			_ = d.out[a.Sock].send(a, a.Sock, at)
		case registrar.ActMulticastASAP:
			if an := d.io.announce[registrar.SocketASAP]; an != nil {
				if _, err := an.Send(a.Data); err != nil {
					d.log.Warningf("Unable to send announce: %v", err)
				}
			}
		case registrar.ActMulticastENRP:
			if an := d.io.announce[registrar.SocketENRP]; an != nil {
				if _, err := an.Send(a.Data); err != nil {
					d.log.Warningf("Sending Presence via multicast failed: %v", err)
				}
			}
		case registrar.ActRejoin:
			d.rejoin()
		case registrar.ActCSP:
			d.sendCSP(a.CSP, false)
		}
	}
}

// sendFailed logs a send that failed at once (or found the queue full) and
// keeps it for the core.
func (d *loop) sendFailed(a *registrar.Action, err error) {
	d.failures = append(d.failures, registrar.FailureOf(a, sendFailure(err, false)))
	if a.Kind == registrar.ActSend {
		d.log.Warningf("Sending %s on %s assoc %d failed: %v", wire.TypeName(a.PPID, a.Data[0]), a.Sock, a.Assoc, err)
		return
	}
	key := fmt.Sprintf("%s %v", wire.TypeName(a.PPID, a.Data[0]), a.To)
	level := logging.LevelWarning
	if d.sendErrorLogged[key] {
		level = logging.LevelVerbose1
	}
	d.sendErrorLogged[key] = true
	d.log.Logf(level, "Sending %s to %v failed: %v", wire.TypeName(a.PPID, a.Data[0]), a.To, err)
}

func (d *loop) rejoin() {
	if d.io.multicastIn == nil {
		return
	}
	n, err := d.io.multicastIn.Rejoin()
	if n == 0 {
		if !d.lastRejoinWarn || d.log.Enabled(logging.LevelVerbose1) {
			d.log.Warningf("Unable to join multicast group %v. Registrar will probably be unable to detect peers! (%v)", d.cfg.ENRPAnnounce.Group, err)
		}
		d.lastRejoinWarn = true
		return
	}
	d.lastRejoinWarn = false
}

// asapLocalAddrs are the ASAP socket's addresses for the CSP location,
// read at every report as RSPLIB does, so that a wildcard socket shows the
// interfaces of the moment.
func (d *loop) asapLocalAddrs() []netip.AddrPort {
	addrs, err := d.io.socks[registrar.SocketASAP].LocalAddrs()
	if err != nil {
		return nil
	}
	return addrs
}

func (d *loop) sendCSP(st *registrar.Status, final bool) {
	if d.reporter == nil {
		return
	}
	var r csp.Report
	if final {
		r = d.reporter.BuildFinal(time.Now())
	} else {
		d.log.Logf(logging.LevelVerbose4, "Sending a Component Status Protocol report...")
		r = d.reporter.Build(time.Now(), csp.Snapshot{PoolElements: st.PEs, OwnedPoolElements: st.OwnedPEs,
			Pools: st.Pools, Peers: st.Peers, Location: csp.Location(d.host, d.asapLocalAddrs())})
	}
	if err := d.reporter.Send(&r); err != nil {
		if !d.cspWarned {
			d.log.Warningf("Unable to send CSP report: %v", err)
		}
		d.cspWarned = true
		return
	}
	d.cspWarned = false
}
