// Package metrics serves the registrar's state in the Prometheus text
// exposition format (-metricsaddress), something RSPLIB does not have.
//
// The registrar core belongs to one goroutine and has no locks, so the HTTP
// goroutine never reads it. A scrape sends a Request to the daemon's event
// loop, which answers with a Snapshot copied between two events; the loop
// only selects on the request channel when metrics are on, so they cost
// nothing when off. A loop that does not answer in time (between two runs
// of the failure-test mode, or stuck) is reported as rspregistrar_up 0.
//
// The text is written here rather than by github.com/prometheus/client_golang:
// linking that library (and its protobuf dependencies) made every registrar
// use 4.7 MB more resident memory, metrics on or off (8.4 MB instead of
// 3.7 MB idle; RSPLIB's takes 2.6 MB). The tests parse the output with the
// Prometheus project's own parser (prometheus/common/expfmt). For the same
// reason the HTTP server is the package's own (httpd.go), not net/http.
//
// The same listener serves JSON views under /api/v1/ (api.go, api_json.go;
// docs/http-api.md) and a status page at / (web.go), obtained from the event
// loop the same way; a handlespace view is paged so that one request copies
// a bounded number of PEs.
package metrics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/stats"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// Snapshot is the registrar's state at one moment, owned by the receiver.
type Snapshot struct {
	Status registrar.Status
	// Stats is a copy of the core's counters (Causes included).
	Stats registrar.Stats
	// Associations counts the open SCTP associations of the ASAP and the
	// ENRP socket.
	Associations [2]int
	// SendQueue is the bytes waiting in the send queue of the ASAP and the
	// ENRP socket for room in the kernel's send buffer.
	SendQueue [2]int
	// EventLatency is the time events (messages, notifications) waited
	// between their reader and the event loop; TimerLateness how late timers
	// ran after their deadline.
	EventLatency, TimerLateness Histogram
}

// Buckets are the upper bounds, in seconds, of the latency histograms.
var Buckets = [...]float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1}

// Histogram counts durations into Buckets. It has no locks: the event loop
// owns it and copies it into a Snapshot.
type Histogram struct {
	// Counts[i] counts durations <= Buckets[i] and > Buckets[i-1]; the last
	// element counts the rest.
	Counts [len(Buckets) + 1]uint64
	Count  uint64
	Sum    float64 // seconds
}

// Observe adds one duration.
func (h *Histogram) Observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(Buckets) && s > Buckets[i] {
		i++
	}
	h.Counts[i]++
	h.Count++
	h.Sum += s
}

// Request is a scrape's request for a Snapshot, or a JSON view's for what
// its Kind says (api.go).
type Request struct {
	Kind Kind
	// Page is the page a KindHandlespace request asks for.
	Page  PageQuery
	reply chan any
}

// Reply answers a KindSnapshot request; it never blocks.
func (r Request) Reply(s *Snapshot) { r.reply <- s }

// Exporter serves Snapshots as metrics.
type Exporter struct {
	requests chan Request
	timeout  time.Duration
	version  string
	started  time.Time
	srv      *server
	done     chan error
}

// DefaultTimeout is how long a scrape waits for the event loop.
const DefaultTimeout = 5 * time.Second

// New returns an exporter; version labels rspregistrar_info. timeout
// bounds the wait for the event loop (0: DefaultTimeout).
func New(version string, timeout time.Duration) *Exporter {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Exporter{requests: make(chan Request), timeout: timeout, version: version, started: time.Now()}
}

// Requests is the channel the event loop answers; nil on a nil Exporter,
// so that a loop without metrics never selects it.
func (e *Exporter) Requests() <-chan Request {
	if e == nil {
		return nil
	}
	return e.requests
}

// contentType is the text exposition format, version 0.0.4.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// handle answers a request for path: /metrics, the JSON views under
// /api/v1/ and the status page at /.
func (e *Exporter) handle(path, query string) (status int, ctype string, body []byte) {
	switch path {
	case "/metrics":
		var b bytes.Buffer
		s, _ := e.ask(Request{Kind: KindSnapshot}).(*Snapshot)
		e.Write(&b, s)
		return 200, contentType, b.Bytes()
	case "/":
		return 200, "text/html; charset=utf-8", statusPage
	}
	if strings.HasPrefix(path, apiPrefix) {
		return e.api(path[len(apiPrefix):], query)
	}
	return 404, "text/plain; charset=utf-8", []byte("not found; metrics are at /metrics\n")
}

// Serve serves /metrics on ln in a new goroutine until Close.
func (e *Exporter) Serve(ln net.Listener) {
	e.srv = newServer(ln, e.handle)
	e.done = make(chan error, 1)
	go func() { e.done <- e.srv.serve() }()
}

// Close stops serving and closes the listener.
func (e *Exporter) Close() error {
	if e == nil || e.srv == nil {
		return nil
	}
	err := e.srv.close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return errors.Join(err, <-e.done)
}

// ask hands req to the event loop and returns its answer; nil if it does
// not answer in time.
func (e *Exporter) ask(req Request) any {
	req.reply = make(chan any, 1)
	t := time.NewTimer(e.timeout)
	defer t.Stop()
	select {
	case e.requests <- req:
	case <-t.C:
		return nil
	}
	select {
	case s := <-req.reply:
		return s
	case <-t.C:
		return nil
	}
}

const ns = "rspregistrar_"

// counters are the registrar.Stats fields exported one to one.
var counters = []struct {
	name, help string
	get        func(*registrar.Stats) uint64
}{
	{"registrations_total", "Successful registrations, re-registrations included.", func(s *registrar.Stats) uint64 { return s.Registrations }},
	{"reregistrations_total", "Successful re-registrations.", func(s *registrar.Stats) uint64 { return s.Reregistrations }},
	{"registrations_rejected_total", "Rejected registrations.", func(s *registrar.Stats) uint64 { return s.RegistrationsRejected }},
	{"deregistrations_total", "Deregistrations of a known pool element.", func(s *registrar.Stats) uint64 { return s.Deregistrations }},
	{"handle_resolutions_total", "Handle resolution requests.", func(s *registrar.Stats) uint64 { return s.HandleResolutions }},
	{"handle_resolutions_refused_total", "Handle resolutions refused by -maxhrrate.", func(s *registrar.Stats) uint64 { return s.HandleResolutionsRefused }},
	{"endpoint_unreachables_total", "Endpoint Unreachable reports.", func(s *registrar.Stats) uint64 { return s.EndpointUnreachables }},
	{"keepalives_sent_total", "Endpoint Keep-Alives sent.", func(s *registrar.Stats) uint64 { return s.KeepAlivesSent }},
	{"keepalive_timeouts_total", "Pool elements removed because no Keep-Alive Ack came.", func(s *registrar.Stats) uint64 { return s.KeepAliveTimeouts }},
	{"expiries_total", "Pool elements of other registrars removed when their registration life ran out.", func(s *registrar.Stats) uint64 { return s.Expiries }},
	{"handle_updates_sent_total", "ENRP Handle Updates sent to peers.", func(s *registrar.Stats) uint64 { return s.HandleUpdatesSent }},
	{"handle_updates_received_total", "ENRP Handle Updates received from peers.", func(s *registrar.Stats) uint64 { return s.HandleUpdatesReceived }},
	{"synchronizations_total", "Handle table synchronisations started with a peer.", func(s *registrar.Stats) uint64 { return s.Synchronizations }},
	{"takeovers_started_total", "Takeovers of a dead peer's pool elements started.", func(s *registrar.Stats) uint64 { return s.TakeoversStarted }},
	{"takeovers_completed_total", "Takeovers completed.", func(s *registrar.Stats) uint64 { return s.TakeoversCompleted }},
	{"takeovers_refused_total", "Init Takeovers not acknowledged and Takeover Servers ignored because the target was heard recently.", func(s *registrar.Stats) uint64 { return s.TakeoversRefused }},
	{"errors_sent_total", "ASAP and ENRP Error messages sent in reply to bad messages.", func(s *registrar.Stats) uint64 { return s.ErrorsSent }},
	{"owner_rejections_total", "Re-registrations, deregistrations and repeated Endpoint Unreachable reports refused by -ownercheck.", func(s *registrar.Stats) uint64 { return s.OwnerRejections }},
	{"enrp_refused_total", "ENRP messages ignored by -enrpallow.", func(s *registrar.Stats) uint64 { return s.ENRPRefused }},
	{"asap_send_failures_total", "ASAP messages the kernel refused or the send queue dropped (their associations are aborted).", func(s *registrar.Stats) uint64 { return s.SendFailures[0] }},
	{"stalled_associations_total", "Associations aborted because they held their socket's send buffer while their peer acknowledged nothing.", func(s *registrar.Stats) uint64 { return s.StalledAssocs }},
	{"handle_updates_held_total", "Handle Updates not sent to a peer whose association stalled, until it is heard again.", func(s *registrar.Stats) uint64 { return s.HandleUpdatesHeld }},
	{"enrp_send_failures_total", "ENRP messages the kernel refused or the send queue dropped.", func(s *registrar.Stats) uint64 { return s.SendFailures[1] }},
}

// writer writes metric families; bufio keeps the first write error for
// Flush.
type writer struct {
	w *bufio.Writer
}

func (w *writer) family(name, typ, help string) {
	fmt.Fprintf(w.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// sample writes one line; labels are name, value pairs.
func (w *writer) sample(name string, v float64, labels ...string) {
	w.w.WriteString(name)
	if len(labels) > 0 {
		w.w.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.w.WriteByte(',')
			}
			w.w.WriteString(labels[i])
			w.w.WriteString(`="`)
			w.w.WriteString(escapeLabel(labels[i+1]))
			w.w.WriteByte('"')
		}
		w.w.WriteByte('}')
	}
	w.w.WriteByte(' ')
	w.w.WriteString(formatValue(v))
	w.w.WriteByte('\n')
}

func (w *writer) single(name, typ, help string, v float64) {
	w.family(name, typ, help)
	w.sample(name, v)
}

func (w *writer) histogram(name, help string, h *Histogram) {
	w.family(name, "histogram", help)
	var n uint64
	for i, b := range Buckets {
		n += h.Counts[i]
		w.sample(name+"_bucket", float64(n), "le", formatValue(b))
	}
	w.sample(name+"_bucket", float64(h.Count), "le", "+Inf")
	w.sample(name+"_sum", h.Sum)
	w.sample(name+"_count", float64(h.Count))
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Write writes the metrics of s (nil: the event loop did not answer) and
// of the process in the text exposition format.
func (e *Exporter) Write(out io.Writer, s *Snapshot) error {
	w := &writer{w: bufio.NewWriter(out)}
	up := 0.0
	if s != nil {
		up = 1
	}
	w.single(ns+"up", "gauge", "1 if the registrar's event loop answered this scrape.", up)
	if s != nil {
		w.registrar(s, e.version)
	}
	w.process(e.started)
	return w.w.Flush()
}

func (w *writer) registrar(s *Snapshot, version string) {
	w.family(ns+"info", "gauge", "The registrar's identifier and version.")
	w.sample(ns+"info", 1, "id", s.Status.ID.String(), "version", version)
	w.single(ns+"pools", "gauge", "Pools in the handlespace.", float64(s.Status.Pools))
	w.single(ns+"pool_elements", "gauge", "Pool elements in the handlespace.", float64(s.Status.PEs))
	w.single(ns+"owned_pool_elements", "gauge", "Pool elements whose home registrar is this one.", float64(s.Status.OwnedPEs))
	w.single(ns+"peers", "gauge", "Entries of the ENRP peer list.", float64(len(s.Status.Peers)))
	w.family(ns+"associations", "gauge", "Open SCTP associations by socket.")
	w.sample(ns+"associations", float64(s.Associations[0]), "socket", "asap")
	w.sample(ns+"associations", float64(s.Associations[1]), "socket", "enrp")
	w.family(ns+"send_queue_bytes", "gauge", "Bytes waiting for room in the kernel's send buffer, by socket.")
	w.sample(ns+"send_queue_bytes", float64(s.SendQueue[0]), "socket", "asap")
	w.sample(ns+"send_queue_bytes", float64(s.SendQueue[1]), "socket", "enrp")
	for _, k := range counters {
		w.single(ns+k.name, "counter", k.help, float64(k.get(&s.Stats)))
	}
	for _, dir := range []struct {
		name, help string
		counts     *[2][16]uint64
	}{
		{"messages_received_total", "ASAP and ENRP messages received and decoded, by type.", &s.Stats.Received},
		{"messages_sent_total", "ASAP and ENRP messages built for sending, by type.", &s.Stats.Sent},
	} {
		w.family(ns+dir.name, "counter", dir.help)
		for i, ppid := range []uint32{wire.PPIDASAP, wire.PPIDENRP} {
			for typ := range 16 {
				proto, name, known := typeLabels(ppid, uint8(typ))
				if known || dir.counts[i][typ] != 0 {
					w.sample(ns+dir.name, float64(dir.counts[i][typ]), "protocol", proto, "type", name)
				}
			}
		}
	}
	w.family(ns+"error_causes_total", "counter", "Error causes reported to pool elements, pool users and peers, by cause.")
	causes := make([]rserpool.Cause, 0, len(s.Stats.Causes))
	for c := range s.Stats.Causes {
		causes = append(causes, c)
	}
	slices.Sort(causes)
	for _, c := range causes {
		w.sample(ns+"error_causes_total", float64(s.Stats.Causes[c]), "cause", fmt.Sprintf("0x%04x", uint16(c)), "name", c.String())
	}
	w.histogram(ns+"event_latency_seconds", "Time from reading an event off a socket to its handling by the event loop.", &s.EventLatency)
	w.histogram(ns+"timer_lateness_seconds", "Time by which timers ran after their deadline.", &s.TimerLateness)
}

// process writes the usual process_ and go_ metrics that cost little to
// gather.
func (w *writer) process(started time.Time) {
	if p, err := stats.ReadProcessTimes(); err == nil {
		w.single("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.", (p.User + p.System).Seconds())
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				w.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", float64(pages*uint64(os.Getpagesize())))
			}
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		w.single("process_open_fds", "gauge", "Number of open file descriptors.", float64(len(fds)))
	}
	w.single("process_start_time_seconds", "gauge", "Start time of the metrics server since the Unix epoch in seconds.",
		float64(started.UnixNano())/1e9)
	w.single("go_goroutines", "gauge", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.single("go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and still in use.", float64(m.HeapAlloc))
	w.single("go_memstats_sys_bytes", "gauge", "Number of bytes obtained from the system.", float64(m.Sys))
	w.single("go_gc_cycles_total", "counter", "Number of completed GC cycles.", float64(m.NumGC))
}

// typeLabels splits wire.TypeName ("ASAP Registration") into protocol and
// type labels; known is false for numbers without a name.
func typeLabels(ppid uint32, typ uint8) (proto, name string, known bool) {
	proto, name, _ = strings.Cut(wire.TypeName(ppid, typ), " ")
	return strings.ToLower(proto), name, !strings.HasPrefix(name, "type ")
}
