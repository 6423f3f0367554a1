package registrar

import (
	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// handleRegistration follows RSPLIB's registrarHandleASAPRegistration
// (asap.md §4.2): filter the user and ASAP addresses by the association,
// set the DPF distance, store, arm the keep-alive timer, tell the peers and
// answer.
func (c *Core) handleRegistration(now int64, assoc AssocID, m *wire.Registration, info *AssocInfo) {
	pe := &m.PE
	if c.log.Enabled(LogAction) {
		c.logf(LogAction, "Registration request for %s/$%08x", m.Handle, uint32(pe.ID))
	}
	resp := &c.replies.reg
	*resp = wire.RegistrationResponse{Handle: m.Handle, ID: pe.ID}
	cause := c.register(now, assoc, m.Handle, pe, info)
	if cause != rserpool.CauseOkay {
		resp.Error.Cause = cause
		c.Stats.RegistrationsRejected++
		c.Stats.Causes[cause]++
	}
	if !c.send(SocketASAP, assoc, resp) {
		c.abort(SocketASAP, assoc)
	}
}

func (c *Core) register(now int64, assoc AssocID, handle rserpool.PoolHandle, pe *rserpool.PoolElement, info *AssocInfo) rserpool.Cause {
	if !info.OK {
		// RSPLIB sends no reply at all here, which leaves the PE waiting;
		// answering is better for the PE.
		c.logf(LogError, "Unable to obtain peer addresses of assoc %d", assoc)
		return rserpool.CauseNoUsableASAPAddresses
	}
	user := filterUserTransport(pe.User, info.Addrs, c.cfg.MinAddressScope)
	if len(user.Addrs) == 0 {
		c.logf(LogWarning, "Registration request to pool %s of pool element $%08x was not possible, since no usable user transport addresses are available. Addresses from message: %s; addresses from association: %v",
			handle, uint32(pe.ID), pe.User, info.Addrs)
		return rserpool.CauseNoUsableUserAddresses
	}
	if user.Protocol != rserpool.ProtocolSCTP && len(user.Addrs) > 1 {
		// RSPLIB stores such a PE and then cannot encode it (it aborts).
		// Only the first address is kept.
		user.Addrs = user.Addrs[:1]
	}
	reg := registratorTransport(info.Addrs, info.Port, c.cfg.MinAddressScope)
	if len(reg.Addrs) == 0 {
		c.logf(LogWarning, "Registration request for %s of pool element $%08x was not possible, since no usable ASAP transport addresses are available. Addresses from association: %v",
			handle, uint32(pe.ID), info.Addrs)
		return rserpool.CauseNoUsableASAPAddresses
	}
	if old := c.ownerCheckFind(handle, pe.ID); old != nil && c.ownedElsewhere(old, assoc) {
		c.Stats.OwnerRejections++
		c.logf(LogWarning, "Refusing re-registration of %s/$%08x over assoc %d: it was registered over assoc %d (-ownercheck)",
			handle, uint32(pe.ID), assoc, old.Assoc())
		return rserpool.CauseSecurity
	}
	stored := *pe
	stored.Home = c.id
	stored.User = user
	stored.HasRegistrator = true
	stored.Registrator = reg
	if usesDistance(stored.Policy.Type) {
		stored.Policy.Distance = roundDistance(info.SRTT, c.cfg.DistanceStep)
	}
	node, isNew, err := c.hs.Register(handle, &stored, assoc)
	if err != nil {
		cause, _ := err.(rserpool.Cause)
		if cause == rserpool.CauseOkay {
			cause = rserpool.CauseOutOfResources
		}
		c.logf(LogWarning, "Failed to register to pool %s pool element $%08x: %s", handle, uint32(pe.ID), cause)
		return cause
	}
	c.Stats.Registrations++
	if !isNew {
		c.Stats.Reregistrations++
	}
	if c.log.Enabled(LogAction) {
		c.logf(LogAction, "Successfully registered %s/$%08x", handle, uint32(node.ID()))
	}
	c.hs.SetTimer(node, handlespace.TimerKeepAliveTransmission, now+int64(c.cfg.KeepAliveTransmissionInterval))
	c.sendHandleUpdate(handle, node.Element(), wire.UpdateAddPE)
	return rserpool.CauseOkay
}

// handleDeregistration: RSPLIB checks neither the association nor the owner;
// an unknown PE is reported as success.
func (c *Core) handleDeregistration(now int64, assoc AssocID, m *wire.Deregistration) {
	if c.log.Enabled(LogAction) {
		c.logf(LogAction, "Deregistration request for %s/$%08x", m.Handle, uint32(m.ID))
	}
	c.replies.dereg = wire.DeregistrationResponse{Handle: m.Handle, ID: m.ID}
	if pe := c.hs.Find(m.Handle, m.ID); pe != nil && c.cfg.OwnerCheck && pe.Assoc() != assoc {
		// Only the registering association may deregister; a PE learned
		// from a peer deregisters at its home.
		c.Stats.OwnerRejections++
		c.logf(LogWarning, "Refusing deregistration of %s/$%08x over assoc %d: not the association it was registered over (-ownercheck)",
			m.Handle, uint32(m.ID), assoc)
		c.replies.dereg.Error = wire.OperationError{Cause: rserpool.CauseSecurity}
	} else if pe != nil {
		// The Handle Update carries the PE as it was, with our id as home
		// (RSPLIB does so even for a PE owned elsewhere).
		del := *pe.Element()
		del.Home = c.id
		c.hs.Remove(pe)
		c.Stats.Deregistrations++
		c.sendHandleUpdate(m.Handle, &del, wire.UpdateDelPE)
		c.logf(LogAction, "Deregistration successfully completed")
	} else {
		c.logf(LogWarning, "Deregistration request for non-existing pool element $%08x of pool %s. Reporting success, since it seems to be already gone.", uint32(m.ID), m.Handle)
	}
	if !c.send(SocketASAP, assoc, &c.replies.dereg) {
		c.abort(SocketASAP, assoc)
	}
}

func (c *Core) handleHandleResolution(now int64, assoc AssocID, m *wire.HandleResolution) {
	items := resolutionItems(m.Items, c.cfg.MaxHResItems)
	if c.log.Enabled(LogAction) {
		c.logf(LogAction, "Handle Resolution request for pool %s for %d items (%d requested)", m.Handle, items, m.Items)
	}
	c.Stats.HandleResolutions++
	resp := &c.replies.hr
	*resp = wire.HandleResolutionResponse{Handle: m.Handle}
	var err error
	c.scratch = c.scratch[:0]
	if c.cfg.MaxHRRate > 0 && !c.rate.AllowHandleResolution(uint64(assoc), m.Handle, now, c.cfg.MaxHRRate) {
		c.logf(LogWarning, "Refusing handle resolution for assoc %d", assoc)
		c.Stats.HandleResolutionsRefused++
		err = rserpool.CauseNotFound
	} else {
		c.scratch, err = c.hs.Resolve(c.scratch, m.Handle, items, c.cfg.MaxIncrement)
		if err == nil && len(c.scratch) == 0 {
			// A weighted random pool whose PEs all have weight 0: RSPLIB
			// aborts here; "nothing found" is the honest answer.
			err = rserpool.CauseNotFound
		}
	}
	if err != nil {
		cause, _ := err.(rserpool.Cause)
		c.logf(LogWarning, "Handle Resolution request for pool %s failed: %s", m.Handle, cause)
		resp.Error.Cause = cause
		c.Stats.Causes[cause]++
	} else {
		resp.Policy = c.scratch[0].Element().Policy
		// The response is encoded before the next call: its PE list can
		// live in the core.
		c.hrBuf = c.hrPEs(c.hrBuf[:0], c.scratch)
		resp.PEs = c.hrBuf
		if c.log.Enabled(LogVerbose1) {
			c.logf(LogVerbose1, "Selected %d element%s", len(resp.PEs), plural(len(resp.PEs)))
		}
	}
	if !c.send(SocketASAP, assoc, resp) {
		c.abort(SocketASAP, assoc)
	}
}

// hrPEs copies the selected PEs without their registrator transports, as
// many as fit into one message.
func (c *Core) hrPEs(dst []rserpool.PoolElement, sel []*handlespace.PE) []rserpool.PoolElement {
	size := 4 + wire.PoolHandleLen(sel[0].Handle()) + 16 + 4
	for _, pe := range sel {
		e := pe.Element()
		size += wire.PoolElementLen(e, false)
		if size > wire.MaxMessageSize {
			break // RSPLIB aborts the association; fewer PEs is better
		}
		x := *e
		x.HasRegistrator = false
		x.Registrator = rserpool.Transport{}
		dst = append(dst, x)
	}
	return dst
}

func (c *Core) handleKeepAliveAck(now int64, m *wire.EndpointKeepAliveAck) {
	pe := c.hs.Find(m.Handle, m.ID)
	if pe == nil {
		c.logf(LogWarning, "EndpointKeepAliveAck for not-existing pool element $%08x of pool %s", uint32(m.ID), m.Handle)
		return
	}
	if c.log.Enabled(LogVerbose2) {
		c.logf(LogVerbose2, "Got EndpointKeepAliveAck for pool element $%08x of pool %s", uint32(m.ID), m.Handle)
	}
	c.hs.SetTimer(pe, handlespace.TimerKeepAliveTransmission, now+int64(c.cfg.KeepAliveTransmissionInterval))
}

func (c *Core) handleEndpointUnreachable(now int64, assoc AssocID, m *wire.EndpointUnreachable) {
	c.logf(LogAction, "Got EndpointUnreachable for pool element $%08x of pool %s", uint32(m.ID), m.Handle)
	if c.cfg.MaxEURate > 0 && !c.rate.AllowEndpointUnreachable(uint64(assoc), m.Handle, now, c.cfg.MaxEURate) {
		c.logf(LogWarning, "Refusing EndpointUnreachable for pool element $%08x of pool %s from assoc %d", uint32(m.ID), m.Handle, assoc)
		return
	}
	c.Stats.EndpointUnreachables++
	pe := c.hs.Find(m.Handle, m.ID)
	if pe == nil {
		c.logf(LogWarning, "EndpointUnreachable for non-existing pool element $%08x of pool %s", uint32(m.ID), m.Handle)
		return
	}
	if c.cfg.OwnerCheck && !c.reports.firstReport(m.Handle, m.ID, assoc) {
		c.Stats.OwnerRejections++
		c.logf(LogAction, "Not counting another EndpointUnreachable for pool element $%08x of pool %s from assoc %d (-ownercheck)", uint32(m.ID), m.Handle, assoc)
		return
	}
	n := c.hs.ReportUnreachable(pe)
	if int(n) < c.cfg.MaxBadPEReports {
		return
	}
	c.reports.forget(m.Handle, m.ID)
	c.logf(LogWarning, "%d unreachability reports for pool element $%08x of pool %s -> limit reached, removing it", n, uint32(m.ID), m.Handle)
	if pe.Home() == c.id {
		c.sendHandleUpdate(pe.Handle(), pe.Element(), wire.UpdateDelPE)
	}
	c.hs.Remove(pe)
}

// peTimer handles a PE's due timer (registrarHandlePoolElementEvent).
func (c *Core) peTimer(now int64, pe *handlespace.PE, code handlespace.TimerCode) {
	switch code {
	case handlespace.TimerKeepAliveTransmission:
		c.sendKeepAlive(pe, false)
		c.hs.SetTimer(pe, handlespace.TimerKeepAliveTimeout, now+int64(c.cfg.KeepAliveTimeoutInterval))
	case handlespace.TimerTakeoverKeepAliveTimeout:
		// The first Keep Alive to a taken-over PE needs a new
		// association, whose setup alone takes longer than the timeout
		// when a packet of it is lost (SCTP's initial RTO is 3 s): under
		// 5 % loss a fifth of the PEs of a takeover were removed while
		// they answered. They get a second Keep Alive before they go.
		// RSPLIB removes them at the first timeout.
		c.logf(LogAction, "No Keep-Alive Ack yet from taken-over pool element $%08x of pool %s -> asking again", uint32(pe.ID()), pe.Handle())
		c.sendKeepAlive(pe, true)
		c.hs.SetTimer(pe, handlespace.TimerKeepAliveTimeout, now+int64(c.cfg.KeepAliveTimeoutInterval))
	case handlespace.TimerKeepAliveTimeout, handlespace.TimerExpiry:
		if code == handlespace.TimerKeepAliveTimeout {
			c.logf(LogAction, "Keep-alive timeout expired for pool element $%08x of pool %s -> removing it", uint32(pe.ID()), pe.Handle())
			c.Stats.KeepAliveTimeouts++
			c.abort(SocketASAP, pe.Assoc())
		} else {
			c.logf(LogAction, "Expiry timeout expired for pool element $%08x of pool %s -> removing it", uint32(pe.ID()), pe.Handle())
			c.Stats.Expiries++
		}
		if pe.Home() == c.id {
			c.sendHandleUpdate(pe.Handle(), pe.Element(), wire.UpdateDelPE)
		}
		c.hs.Remove(pe)
		c.logf(LogAction, "Deregistration successfully completed")
	}
}

// sendKeepAlive sends an Endpoint Keep Alive over the PE's association, or
// to its registrator transport when it is bound to none (taken over, or
// learned by ENRP). home asks the PE to make us its home registrar.
func (c *Core) sendKeepAlive(pe *handlespace.PE, home bool) {
	m := &c.replies.ka
	*m = wire.EndpointKeepAlive{ServerID: c.id, Home: home, Handle: pe.Handle(), ID: pe.ID()}
	if c.log.Enabled(LogVerbose2) {
		c.logf(LogVerbose2, "Sending EndpointKeepAlive for pool element $%08x in pool %s", uint32(pe.ID()), pe.Handle())
	}
	c.Stats.KeepAlivesSent++
	if a := pe.Assoc(); a != 0 {
		c.send(SocketASAP, a, m)
		return
	}
	e := pe.Element()
	if !e.HasRegistrator || !c.sendTo(SocketASAP, &e.Registrator, m) {
		c.logf(LogWarning, "Sending EndpointKeepAlive for pool element $%08x in pool %s failed", uint32(pe.ID()), pe.Handle())
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
