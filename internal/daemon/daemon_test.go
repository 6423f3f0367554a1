package daemon

import (
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// The socket side is tested in the sandbox (test/interop); these cover the
// loop's bookkeeping for statistics and metrics without sockets.

func TestCounters(t *testing.T) {
	var s registrar.Stats
	s.Registrations, s.Reregistrations, s.Deregistrations, s.HandleResolutions = 1, 2, 3, 4
	s.EndpointUnreachables, s.HandleUpdatesReceived, s.KeepAlivesSent = 5, 6, 7
	s.HandleUpdatesSent, s.Synchronizations = 100, 100 // not RSPLIB's counters
	s.Received[1][wire.ENRPHandleTableRequest] = 8
	c := Counters(&s)
	if c.Registrations != 1 || c.Reregistrations != 2 || c.Deregistrations != 3 || c.HandleResolutions != 4 ||
		c.FailureReports != 5 || c.HandleUpdates != 6 || c.EndpointKeepAlives != 7 || c.Synchronizations != 8 {
		t.Errorf("counters %+v", c)
	}
}

func TestCopyStats(t *testing.T) {
	s := registrar.Stats{Registrations: 3, Causes: map[rserpool.Cause]uint64{rserpool.CauseNotFound: 1}}
	c := copyStats(&s)
	s.Causes[rserpool.CauseNotFound]++
	s.Registrations++
	if c.Registrations != 3 || c.Causes[rserpool.CauseNotFound] != 1 {
		t.Errorf("the copy changed with the original: %+v", c)
	}
}

// TestSnapshot feeds association events and timings to a daemon without
// sockets and checks what a scrape would get, and that the snapshot does
// not share memory with the loop's state.
func TestSnapshot(t *testing.T) {
	core := registrar.New(registrar.Config{ID: 0x1234, MentorDiscoveryTimeout: time.Second}, 1, nil, nil)
	core.Stats.Registrations = 2
	d := &loop{core: core, measure: true, assocs: [2]map[registrar.AssocID]struct{}{{}, {}}}
	for _, ev := range []event{
		{sock: registrar.SocketASAP, assoc: 1, assocEvent: registrar.AssocUp},
		{sock: registrar.SocketASAP, assoc: 2, assocEvent: registrar.AssocUp},
		{sock: registrar.SocketASAP, assoc: 3, assocEvent: registrar.AssocRestart},
		{sock: registrar.SocketENRP, assoc: 1, assocEvent: registrar.AssocUp},
		{sock: registrar.SocketASAP, assoc: 2, assocEvent: registrar.AssocCommLost},
		{sock: registrar.SocketASAP, assoc: 3, assocEvent: registrar.AssocShutdownComplete},
		{sock: registrar.SocketASAP, assoc: 9, assocEvent: registrar.AssocShutdownEvent}, // not the end yet
	} {
		d.trackAssoc(ev)
	}
	d.eventLatency.Observe(time.Millisecond)
	s := d.snapshot()
	if s.Associations != [2]int{1, 1} || s.Status.ID != 0x1234 || s.Stats.Registrations != 2 || s.EventLatency.Count != 1 {
		t.Errorf("snapshot %+v", s)
	}
	core.Stats.Registrations++
	d.eventLatency.Observe(time.Millisecond)
	if s.Stats.Registrations != 2 || s.EventLatency.Count != 1 {
		t.Error("the snapshot follows the loop's state")
	}
	if smp := d.sample(); smp.Registrations != 3 || smp.Pools != 0 {
		t.Errorf("sample %+v", smp)
	}
}

// BenchmarkHandle measures the loop's cost per event with metrics off and
// on (time stamps, latency histogram, association set): association up and
// down events for an association without pool elements, which the core
// handles without any action.
func BenchmarkHandle(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "metrics-off"
		if on {
			name = "metrics-on"
		}
		b.Run(name, func(b *testing.B) {
			core := registrar.New(registrar.Config{ID: 1, MentorDiscoveryTimeout: time.Second}, 1, nil, nil)
			d := &loop{core: core, start: time.Now(), measure: on}
			if on {
				d.assocs = [2]map[registrar.AssocID]struct{}{{}, {}}
			}
			evs := [2]event{{kind: evAssoc, assoc: 7, assocEvent: registrar.AssocUp},
				{kind: evAssoc, assoc: 7, assocEvent: registrar.AssocCommLost}}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				ev := evs[i&1]
				ev.at = d.stamp()
				d.handle(1, ev)
			}
		})
	}
}
