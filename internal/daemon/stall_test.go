package daemon

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/sctp"
)

// fakeBuffer is a socket's associations as SCTP_STATUS and
// SCTP_GET_ASSOC_STATS show them.
type fakeBuffer struct {
	mu     sync.Mutex
	assocs map[sctp.AssocID]*fakeAssoc
}

type fakeAssoc struct {
	chunks  uint16
	rwnd    uint32
	packets uint64
}

func (b *fakeBuffer) AssocIDs() ([]sctp.AssocID, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []sctp.AssocID
	for id := range b.assocs {
		ids = append(ids, id)
	}
	return ids, nil
}

func (b *fakeBuffer) Status(id sctp.AssocID) (sctp.Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.assocs[id]
	if !ok {
		return sctp.Status{}, errors.New("no such association")
	}
	return sctp.Status{Assoc: id, UnackedData: a.chunks / 2, PendingData: a.chunks - a.chunks/2, RWND: a.rwnd,
		Primary: sctp.PeerAddrInfo{Addr: netip.AddrPortFrom(netip.MustParseAddr("198.18.0.4"), uint16(9900+id))}}, nil
}

func (b *fakeBuffer) Counters(id sctp.AssocID) (sctp.Counters, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.assocs[id]
	if !ok {
		return sctp.Counters{}, errors.New("no such association")
	}
	return sctp.Counters{PacketsIn: a.packets}, nil
}

func (b *fakeBuffer) set(id sctp.AssocID, chunks uint16, rwnd uint32, packets uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.assocs == nil {
		b.assocs = map[sctp.AssocID]*fakeAssoc{}
	}
	b.assocs[id] = &fakeAssoc{chunks: chunks, rwnd: rwnd, packets: packets}
}

// An association is blamed only when it holds most of the buffer at two
// looks a stallInterval apart and its peer sent nothing in between, or
// kept its window shut.
func TestStallWatch(t *testing.T) {
	type state struct {
		id      sctp.AssocID
		chunks  uint16
		rwnd    uint32
		packets uint64
	}
	tests := []struct {
		name   string
		first  []state
		after  time.Duration
		second []state
		want   sctp.AssocID // 0: nobody blamed
	}{
		{"cut off", []state{{1, 200, 1000, 50}, {2, 10, 1000, 9}}, time.Second,
			[]state{{1, 200, 1000, 50}, {2, 12, 1000, 12}}, 1},
		{"cut off, more queued", []state{{1, 100, 1000, 50}, {2, 10, 1000, 9}}, 3 * time.Second,
			[]state{{1, 250, 1000, 50}, {2, 10, 1000, 12}}, 1},
		{"window shut", []state{{1, 200, 0, 50}, {2, 10, 1000, 9}}, stallClosed,
			[]state{{1, 200, 0, 53}, {2, 10, 1000, 12}}, 1},
		{"window shut briefly", []state{{1, 200, 0, 50}, {2, 10, 1000, 9}}, stallClosed - time.Millisecond,
			[]state{{1, 200, 0, 53}, {2, 10, 1000, 12}}, 0},
		{"slow but acknowledging", []state{{1, 200, 1000, 50}, {2, 10, 1000, 9}}, time.Second,
			[]state{{1, 200, 1000, 51}, {2, 10, 1000, 12}}, 0},
		{"window opened", []state{{1, 200, 0, 50}, {2, 10, 1000, 9}}, time.Second,
			[]state{{1, 200, 500, 53}, {2, 10, 1000, 12}}, 0},
		{"too soon", []state{{1, 200, 1000, 50}}, stallInterval / 2, []state{{1, 200, 1000, 50}}, 0},
		{"shared by many", []state{{1, 40, 1000, 5}, {2, 40, 1000, 5}, {3, 40, 1000, 5}}, time.Second,
			[]state{{1, 40, 1000, 5}, {2, 40, 1000, 5}, {3, 40, 1000, 5}}, 0},
		{"too little to matter", []state{{1, stallMinChunks - 1, 1000, 5}}, time.Second,
			[]state{{1, stallMinChunks - 1, 1000, 5}}, 0},
		{"another one on top", []state{{1, 200, 1000, 50}, {2, 10, 1000, 9}}, time.Second,
			[]state{{1, 100, 1000, 50}, {2, 300, 1000, 9}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBuffer{}
			w := &stallWatch{in: b}
			t0 := time.Unix(1000, 0)
			for _, s := range tt.first {
				b.set(s.id, s.chunks, s.rwnd, s.packets)
			}
			if st, ok := w.look(t0); ok {
				t.Fatalf("blamed %d at the first look", st.Assoc)
			}
			b.assocs = nil
			for _, s := range tt.second {
				b.set(s.id, s.chunks, s.rwnd, s.packets)
			}
			st, ok := w.look(t0.Add(tt.after))
			id := st.Assoc
			if !ok {
				id = 0
			}
			if id != tt.want {
				t.Fatalf("blamed %d, want %d", id, tt.want)
			}
		})
	}
}

// stallWriter is a fake socket whose buffer is full and can tell which
// association holds it.
type stallWriter struct {
	*fakeWriter
	*fakeBuffer
}

// A writer waiting for room finds the association that holds the buffer,
// reports it once, and the core's abort of it goes out ahead of the queue
// (it is what frees the room); the queue then drains in order.
func TestOutboxReportsAStalledAssociation(t *testing.T) {
	w := stallWriter{newFakeWriter(0), &fakeBuffer{}}
	w.set(7, 300, 1000, 40) // cut off: holds the buffer, hears nothing
	w.set(3, 5, 1000, 100)
	l, logged := testLogger(t)
	reported := make(chan registrar.SendFailed, 4)
	o := newOutbox(w, l, 0, func(f registrar.SendFailed) { reported <- f })
	defer func() { w.close(); o.close() }()
	if o.stall == nil {
		t.Fatal("no stall watch for a socket that can tell")
	}
	for _, a := range []*registrar.Action{sendAct(3, "a"), sendAct(7, "b"), sendAct(3, "c")} {
		if err := o.send(a, registrar.SocketENRP, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	var f registrar.SendFailed
	select {
	case f = <-reported:
	case <-time.After(10 * time.Second):
		t.Fatal("no stall reported within 10 s (liveness bound)")
	}
	want := registrar.SendFailed{Sock: registrar.SocketENRP, Assoc: 7, Why: registrar.SendStalled,
		Peer: netip.MustParseAddrPort("198.18.0.4:9907")}
	if f != want {
		t.Fatalf("reported %+v, want %+v", f, want)
	}
	if !strings.Contains(logged.String(), "ENRP assoc 7 holds the send buffer") {
		t.Errorf("log: %s", logged)
	}
	// The core answers with an abort: the writer does it ahead of the
	// queue, between two waits for room (the loop must not: the waiting
	// writer holds the socket's write lock).
	if err := o.send(abortAct(7), registrar.SocketENRP, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := w.waitSent(t, 1); len(got) != 1 || got[0] != "abort 7" {
		t.Fatalf("after the abort: %q, want only the abort", got)
	}
	w.fakeWriter.mu.Lock()
	blocked := w.blocked
	w.fakeWriter.mu.Unlock()
	if blocked > 0 {
		t.Fatal("the abort waited for the socket's write lock, which the waiting writer holds: done by the loop, it would block the loop")
	}
	w.makeRoom(10)
	got := w.waitSent(t, 4)
	if strings.Join(got, "|") != "abort 7|send 3 a|send 7 b|send 3 c" {
		t.Fatalf("sent %q", got)
	}
	select {
	case f := <-reported:
		t.Fatalf("reported again: %+v", f)
	default:
	}
}
