package daemon

// This file holds the event loop: the one goroutine that owns the core,
// its timer and the handling of events.

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/rserpool/rspregistrar/internal/config"
	"github.com/rserpool/rspregistrar/internal/csp"
	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/metrics"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/stats"
)

// loop is the event loop and everything it owns: the core, the outboxes,
// the reader goroutines' queue, statistics and metrics. It reaches the
// outside world only through io.
type loop struct {
	cfg   *config.Config
	log   *logging.Logger
	start time.Time
	host  string

	io              ports
	out             [2]*outbox // by registrar.Socket
	reporter        *csp.Reporter
	core            *registrar.Core
	events          chan event
	readers         sync.WaitGroup
	bufs            sync.Pool
	lastRejoinWarn  bool
	cspWarned       bool
	sendErrorLogged map[string]bool
	// failures are the sends of the actions being carried out that
	// failed, for the core once they are done.
	failures []registrar.SendFailed
	// quit tells readers blocked on a full event queue that the loop is
	// gone.
	quit chan struct{}

	// Research statistics (-statsfile, -scalar), owned by the loop.
	table         *stats.Table
	statsInterval time.Duration
	averages      *stats.Averages
	statsTimer    *time.Timer
	statsWarned   bool

	// Metrics, all nil/false when off: readers stamp events only when
	// measure is set (fixed before they start).
	metricsReq    <-chan metrics.Request
	measure       bool
	deadline      int64 // of the armed timer, 0 for none
	assocs        [2]map[registrar.AssocID]struct{}
	eventLatency  metrics.Histogram
	timerLateness metrics.Histogram
}

// init sets the loop up over io with a core of configuration rc; cfg and
// log are set already.
func (d *loop) init(rc registrar.Config, io ports, opts Options) {
	d.start, d.io = time.Now(), io
	d.events = make(chan event, eventQueue)
	d.sendErrorLogged, d.quit = map[string]bool{}, make(chan struct{})
	d.table, d.statsInterval, d.averages = opts.Table, opts.StatsInterval, opts.Averages
	// Most ASAP messages are under 512 bytes; a larger one grows its
	// buffer, which then stays in the pool.
	d.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	d.host, _ = os.Hostname()
	if opts.Metrics != nil {
		d.metricsReq, d.measure = opts.Metrics.Requests(), true
		d.assocs = [2]map[registrar.AssocID]struct{}{{}, {}}
	}
	d.rejoin()
	if d.cfg.CSP.Interval > 0 {
		var err error
		d.reporter, err = csp.NewReporter(rc.ID, d.cfg.CSP.Interval, d.cfg.CSP.Server)
		if err != nil {
			d.log.Errorf("Unable to create the CSP reporter: %v", err)
		}
	}
	d.core = registrar.New(rc, d.now(), rand.New(rand.NewChaCha8(handlespace.RandomSeed())), coreLog{d.log})
	if opts.Stats != nil {
		d.core.Stats = copyStats(opts.Stats)
	}
	for _, sock := range []registrar.Socket{registrar.SocketASAP, registrar.SocketENRP} {
		d.out[sock] = newOutbox(io.socks[sock], d.log, d.cfg.Core.KeepAliveTimeoutInterval, d.reportSendFailure)
	}
}

func (d *loop) now() int64 { return int64(time.Since(d.start)) + 1 }

// Run is the event loop. It returns when ctx is done, after the final CSP
// report, with every socket closed. hup triggers a log file reopen.
func (d *loop) Run(ctx context.Context, hup <-chan struct{}) error {
	d.readers.Add(2)
	go d.readSCTP(d.io.socks[registrar.SocketASAP], registrar.SocketASAP)
	go d.readSCTP(d.io.socks[registrar.SocketENRP], registrar.SocketENRP)
	if d.io.multicastIn != nil {
		d.readers.Add(1)
		go d.readMulticast()
	}
	reclaimCtx, stopReclaim := context.WithCancel(ctx)
	defer stopReclaim()
	go d.reclaimMemory(reclaimCtx)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var statsC <-chan time.Time
	if d.table != nil && d.statsInterval > 0 {
		// RSPLIB's statistics timer starts at 0: the first line comes at
		// once.
		st := time.NewTimer(0)
		defer st.Stop()
		statsC = st.C
		d.statsTimer = st
	}
	var armed deadline
	for {
		armed = d.armTimer(timer, armed)
		select {
		case ev := <-d.events:
			// One clock reading for the batch: the events were queued
			// by then, and a reading is a system call on some machines.
			now := d.now()
			d.handle(now, ev)
			// Drain what is already queued before looking at the timer again.
			d.handleQueued(now, 64)
		case <-timer.C:
			armed = deadline{}
			d.fireTimers()
		case <-statsC:
			d.writeStats()
			d.statsTimer.Reset(d.statsInterval)
		case req := <-d.metricsReq:
			d.answer(req)
		case <-hup:
			if err := d.log.Reopen(); err != nil {
				d.log.Errorf("Unable to reopen the log file: %v", err)
			} else {
				d.log.Notef("Log file reopened (SIGHUP), log level is %d.", d.log.Level())
			}
		case <-ctx.Done():
			d.shutdown()
			return nil
		}
		if d.averages != nil {
			s := d.sample()
			d.averages.Update(time.Now(), &s)
		}
	}
}

// fireTimers handles the core's due timers, after the input the readers
// have queued already: when the loop wakes late (the machine was busy), the
// select may pick the timer before the queue, and a Keep Alive Ack that
// arrived in time would then find its PE timed out and its association
// aborted (RSPLIB's rule). RSPLIB's dispatcher takes its sockets' events
// before its timers.
func (d *loop) fireTimers() {
	if len(d.events) > 0 {
		d.handleQueued(d.now(), eventQueue)
	}
	now := d.now()
	if d.measure && d.deadline != 0 {
		d.timerLateness.Observe(time.Duration(now - d.deadline))
	}
	d.execute(now, d.core.HandleTimers(now))
}

// handleQueued handles up to limit events that are queued, without waiting
// for more. The loop is the queue's only receiver, so an event its length
// counts is there to take.
func (d *loop) handleQueued(now int64, limit int) {
	for i := 0; i < limit && len(d.events) > 0; i++ {
		d.handle(now, <-d.events)
	}
}

// timerSlack is how late the loop lets its timer fire, so that timers that
// fall due close together (the keep-alives of many PEs) are handled in one
// wake-up instead of one each: a wake-up costs far more than a timer
// (make bench: a third of the CPU for keep-alives spread over time).
const timerSlack = 10 * time.Millisecond

// deadline is what the loop's timer is armed for: the core's next deadline
// (ok false: none, the timer then waits an hour).
type deadline struct {
	set, ok bool
	at      int64
}

// armTimer arms t for the core's next deadline unless it is armed for it
// already: most events leave the earliest deadline as it was (a PE's new
// keep-alive timer comes after the ones running), and re-arming costs clock
// readings.
func (d *loop) armTimer(t *time.Timer, armed deadline) deadline {
	at, ok := d.core.NextDeadline()
	next := deadline{set: true, ok: ok, at: at}
	if !ok {
		next.at = 0
	}
	if next == armed {
		return armed
	}
	wait := time.Hour
	d.deadline = 0
	if ok {
		d.deadline = at
		wait = time.Duration(at-d.now()) + timerSlack
		if wait < 0 {
			wait = 0
		}
	}
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(wait)
	return next
}

func (d *loop) handle(now int64, ev event) {
	if d.measure {
		// The batch's time can be earlier than a reader's stamp of an
		// event drained later; measuring reads the clock itself.
		d.eventLatency.Observe(time.Duration(d.now() - ev.at))
	}
	switch ev.kind {
	case evMessage:
		d.execute(now, d.core.HandleMessage(now, ev.sock, ev.assoc, ev.ppid, *ev.data, &ev.info))
		d.putBuf(ev.data)
	case evMulticast:
		d.execute(now, d.core.HandleMulticast(now, *ev.data, ev.from))
		d.putBuf(ev.data)
	case evAssoc:
		if d.measure {
			d.trackAssoc(ev)
		}
		d.execute(now, d.core.HandleAssocChange(now, ev.sock, ev.assoc, ev.assocEvent))
	case evSendFailed:
		d.execute(now, d.core.HandleSendFailed(now, ev.failed))
	}
}

// trackAssoc keeps the set of open associations for the metrics.
func (d *loop) trackAssoc(ev event) {
	set := d.assocs[0]
	if ev.sock == registrar.SocketENRP {
		set = d.assocs[1]
	}
	switch ev.assocEvent {
	case registrar.AssocUp, registrar.AssocRestart:
		set[ev.assoc] = struct{}{}
	case registrar.AssocCommLost, registrar.AssocShutdownComplete, registrar.AssocCantStart:
		delete(set, ev.assoc)
	}
}

// shutdown ends like RSPLIB's registrar: no RSerPool message, a final CSP
// report, sockets closed.
func (d *loop) shutdown() {
	if d.reporter != nil {
		d.sendCSP(nil, true)
		d.reporter.Close()
	}
	close(d.quit) // readers waiting to hand over an event give up
	d.io.close()
	for _, o := range d.out {
		o.close()
	}
	d.readers.Wait()
}
