package daemon

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/logging"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// fakeWriter is a socket whose send buffer holds room messages: a send
// beyond that fails with ErrWouldBlock (NoWait) or waits until the test
// makes room or the write deadline passes.
type fakeWriter struct {
	mu       sync.Mutex
	cond     *sync.Cond
	room     int
	sent     []string // "send 7 x", "sendto 198.18.0.2:9 x", "abort 7"
	deadline time.Time
	closed   bool
	// calls counts the system calls a real socket would make: one per
	// Send, SendToAddrs and SendBatch.
	calls int
	// wlock is the socket's write lock, which Go's poller holds while a
	// send waits for room: an abort waits for it too, and blocked counts
	// the aborts that had to.
	wlock   sync.Mutex
	blocked int
}

func newFakeWriter(room int) *fakeWriter {
	w := &fakeWriter{room: room}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *fakeWriter) put(noWait bool, entry string) error {
	w.wlock.Lock()
	defer w.wlock.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.room == 0 {
		switch {
		case w.closed:
			return sctp.ErrClosed
		case noWait:
			return sctp.ErrWouldBlock
		case !w.deadline.IsZero() && !time.Now().Before(w.deadline):
			return fmt.Errorf("fake: %w", errTimeout)
		}
		w.cond.Wait()
	}
	w.room--
	w.sent = append(w.sent, entry)
	return nil
}

// errTimeout is what a real socket returns when a write deadline passes.
var errTimeout = fmt.Errorf("write: %w", os.ErrDeadlineExceeded)

func (w *fakeWriter) count() {
	w.mu.Lock()
	w.calls++
	w.mu.Unlock()
}

func (w *fakeWriter) Send(assoc sctp.AssocID, b []byte, info sctp.SendInfo) error {
	w.count()
	return w.put(info.NoWait, fmt.Sprintf("send %d %s", assoc, b))
}

func (w *fakeWriter) SendToAddrs(addrs []netip.Addr, port uint16, b []byte, info sctp.SendInfo) error {
	w.count()
	return w.put(info.NoWait, fmt.Sprintf("sendto %v:%d %s", addrs[0], port, b))
}

func (w *fakeWriter) SendBatch(ms []sctp.Outgoing) (int, error) {
	w.count()
	for i, m := range ms {
		var err error
		if m.Assoc != 0 {
			err = w.put(true, fmt.Sprintf("send %d %s", m.Assoc, m.Data))
		} else {
			err = w.put(true, fmt.Sprintf("sendto %v:%d %s", m.To[0], m.Port, m.Data))
		}
		if err != nil {
			return i, err
		}
	}
	return len(ms), nil
}

func (w *fakeWriter) Abort(assoc sctp.AssocID, _ []byte) error {
	if !w.wlock.TryLock() {
		w.mu.Lock()
		w.blocked++
		w.mu.Unlock()
		w.wlock.Lock()
	}
	defer w.wlock.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, fmt.Sprintf("abort %d", assoc))
	return nil
}

func (w *fakeWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	w.cond.Broadcast()
	if !t.IsZero() {
		time.AfterFunc(time.Until(t), func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.cond.Broadcast()
		})
	}
	return nil
}

func (w *fakeWriter) makeRoom(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.room += n
	w.cond.Broadcast()
}

func (w *fakeWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	w.cond.Broadcast()
}

func (w *fakeWriter) log() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.sent...)
}

// waitSent waits until n entries were sent (a liveness bound, not a timing
// assertion).
func (w *fakeWriter) waitSent(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(w.log()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d sent: %q", len(w.log()), n, w.log())
		}
		time.Sleep(time.Millisecond)
	}
	return w.log()
}

func testLogger(t *testing.T) (*logging.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	l, err := logging.New(logging.Options{Level: logging.LevelWarning, Stderr: &syncBuffer{b: &buf}})
	if err != nil {
		t.Fatal(err)
	}
	return l, &buf
}

type syncBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func sendAct(assoc int, data string) *registrar.Action {
	return &registrar.Action{Kind: registrar.ActSend, Assoc: registrar.AssocID(assoc), PPID: wire.PPIDASAP, Data: []byte(data)}
}

func sendToAct(data string) *registrar.Action {
	return &registrar.Action{Kind: registrar.ActSendTo, PPID: wire.PPIDENRP, Data: []byte(data),
		To: &rserpool.Transport{Port: 9, Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2")}}}
}

func abortAct(assoc int) *registrar.Action {
	return &registrar.Action{Kind: registrar.ActAbort, Assoc: registrar.AssocID(assoc)}
}

// What does not fit waits and goes out in order once there is room; later
// sends and aborts queue behind it, and the caller's buffers may be reused
// at once.
func TestOutboxQueuesInOrder(t *testing.T) {
	w := newFakeWriter(2)
	l, _ := testLogger(t)
	o := newOutbox(w, l, 0, nil)
	defer o.close()
	acts := []*registrar.Action{sendAct(1, "a"), sendAct(2, "b"), sendAct(1, "c"), sendToAct("d"), abortAct(2), sendAct(3, "e")}
	for _, a := range acts {
		if err := o.send(a, registrar.SocketASAP, time.Now()); err != nil {
			t.Fatalf("send %q: %v", a.Data, err)
		}
		if len(a.Data) > 0 {
			a.Data[0] = 'X' // the core reuses its buffers
		}
		if a.To != nil {
			a.To.Addrs[0] = netip.MustParseAddr("198.18.0.99")
		}
	}
	want := []string{"send 1 a", "send 2 b"}
	if got := w.log(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("before room: %q", got)
	}
	w.makeRoom(10)
	want = append(want, "send 1 c", "sendto 198.18.0.2:9 d", "abort 2", "send 3 e")
	if got := w.waitSent(t, len(want)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sent %q, want %q", got, want)
	}
	// Empty again: the next send goes out directly.
	if err := o.send(sendAct(4, "f"), registrar.SocketASAP, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := w.log(); got[len(got)-1] != "send 4 f" {
		t.Fatalf("direct send after the queue emptied: %q", got)
	}
}

// The writer hands the kernel runs of queued messages, not one at a time,
// keeps their order around an abort, and waits only when a run does not fit.
func TestOutboxWriterSendsRuns(t *testing.T) {
	w := newFakeWriter(0)
	l, _ := testLogger(t)
	o := newOutbox(w, l, 0, nil)
	defer o.close()
	var want []string
	for i := range 300 {
		a := sendAct(1+i%7, fmt.Sprint(i))
		if i == 150 {
			a = abortAct(3)
		}
		if err := o.send(a, registrar.SocketASAP, time.Now()); err != nil {
			t.Fatal(err)
		}
		if i == 150 {
			want = append(want, "abort 3")
		} else {
			want = append(want, fmt.Sprintf("send %d %d", 1+i%7, i))
		}
	}
	w.makeRoom(100)
	w.waitSent(t, 100)
	w.makeRoom(1000)
	got := w.waitSent(t, len(want))
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sent %q,\nwant %q", got, want)
	}
	w.mu.Lock()
	calls := w.calls
	w.mu.Unlock()
	// 300 messages in runs of up to 64, cut by the abort and by the room
	// running out once: about a dozen calls (one at a time: over 300).
	if calls > 20 {
		t.Fatalf("%d send calls for %d messages", calls, len(want))
	}
}

// A message that waits in vain is dropped at its deadline (logged, and
// reported for the core, which decides to abort), and the queue moves on.
func TestOutboxDropsAfterDeadline(t *testing.T) {
	w := newFakeWriter(0)
	l, logged := testLogger(t)
	reported := make(chan registrar.SendFailed, 1)
	o := newOutbox(w, l, 0, func(f registrar.SendFailed) { reported <- f })
	o.maxWait = 20 * time.Millisecond
	defer o.close()
	if err := o.send(sendAct(5, "\x03late"), registrar.SocketASAP, time.Now()); err != nil {
		t.Fatal(err)
	}
	f := <-reported
	want := registrar.SendFailed{Sock: registrar.SocketASAP, Assoc: 5, PPID: wire.PPIDASAP, Type: 3, Why: registrar.SendTimedOut}
	if f != want {
		t.Fatalf("reported %+v, want %+v", f, want)
	}
	o.mu.Lock()
	dropped, left := o.dropped, len(o.queue)
	o.mu.Unlock()
	if dropped != 1 || left != 0 {
		t.Fatalf("dropped %d, %d left", dropped, left)
	}
	if !strings.Contains(logged.String(), "failed after waiting for buffer space") {
		t.Fatalf("log: %s", logged)
	}
	w.mu.Lock()
	sent := append([]string(nil), w.sent...)
	w.mu.Unlock()
	if len(sent) != 0 {
		t.Fatalf("the outbox itself sent %q; aborting is the core's decision", sent)
	}
}

// A full queue refuses more (the caller then drops as RSPLIB does), but
// never an abort.
func TestOutboxFull(t *testing.T) {
	w := newFakeWriter(0)
	l, _ := testLogger(t)
	o := newOutbox(w, l, 0, nil)
	defer func() { w.close(); o.close() }()
	big := strings.Repeat("x", maxQueued/2)
	for i := 0; i < 2; i++ {
		if err := o.send(sendAct(1, big), registrar.SocketASAP, time.Now()); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := o.send(sendAct(1, "y"), registrar.SocketASAP, time.Now()); err != errQueueFull {
		t.Fatalf("third send: %v, want %v", err, errQueueFull)
	}
	if err := o.send(abortAct(1), registrar.SocketASAP, time.Now()); err != nil {
		t.Fatalf("abort: %v", err)
	}
}

// Closing the socket ends a wait; closing the outbox stops the writer.
func TestOutboxClose(t *testing.T) {
	w := newFakeWriter(0)
	l, logged := testLogger(t)
	o := newOutbox(w, l, 0, nil)
	if err := o.send(sendAct(1, "a"), registrar.SocketASAP, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.close()
	o.close()
	if strings.Contains(logged.String(), "failed") {
		t.Fatalf("a send ended by closing was logged: %s", logged)
	}
}
