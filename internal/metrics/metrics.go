// Package metrics serves the registrar's state in the Prometheus text format
// (-metricsaddress), something RSPLIB does not have.
//
// The registrar core belongs to one goroutine and has no locks, so the HTTP
// goroutine never reads it. A scrape sends a Request to the daemon's event
// loop, which answers with a Snapshot copied between two events; the loop
// only selects on the request channel when metrics are on, so they cost
// nothing when off. A loop that does not answer in time (between two runs
// of the failure-test mode, or stuck) is reported as rspregistrar_up 0.
package metrics

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
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

func (h *Histogram) cumulative() map[float64]uint64 {
	m := make(map[float64]uint64, len(Buckets))
	var n uint64
	for i, b := range Buckets {
		n += h.Counts[i]
		m[b] = n
	}
	return m
}

// Request is a scrape's request for a Snapshot.
type Request struct{ reply chan *Snapshot }

// Reply answers the request; it never blocks.
func (r Request) Reply(s *Snapshot) { r.reply <- s }

// Exporter turns Snapshots into Prometheus metrics and serves them.
type Exporter struct {
	requests chan Request
	timeout  time.Duration
	reg      *prometheus.Registry
	srv      *http.Server
	done     chan error
}

// DefaultTimeout is how long a scrape waits for the event loop.
const DefaultTimeout = 5 * time.Second

// New returns an exporter; version and id label rspregistrar_info.
// timeout bounds the wait for the event loop (0: DefaultTimeout).
func New(version string, timeout time.Duration) *Exporter {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	e := &Exporter{requests: make(chan Request), timeout: timeout, reg: prometheus.NewRegistry()}
	e.reg.MustRegister(&collector{e: e, version: version},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// Requests is the channel the event loop answers; nil on a nil Exporter,
// so that a loop without metrics never selects it.
func (e *Exporter) Requests() <-chan Request {
	if e == nil {
		return nil
	}
	return e.requests
}

// Handler serves /metrics and a short index page at /.
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "rspregistrar: metrics at /metrics")
	})
	return mux
}

// Serve serves Handler on ln in a new goroutine until Close.
func (e *Exporter) Serve(ln net.Listener) {
	e.srv = &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 10 * time.Second}
	e.done = make(chan error, 1)
	go func() { e.done <- e.srv.Serve(ln) }()
}

// Close stops serving and closes the listener.
func (e *Exporter) Close() error {
	if e == nil || e.srv == nil {
		return nil
	}
	err := e.srv.Close()
	if serr := <-e.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// snapshot asks the event loop; nil if it does not answer in time.
func (e *Exporter) snapshot() *Snapshot {
	req := Request{reply: make(chan *Snapshot, 1)}
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

var (
	descUp      = prometheus.NewDesc(ns+"up", "1 if the registrar's event loop answered this scrape.", nil, nil)
	descInfo    = prometheus.NewDesc(ns+"info", "The registrar's identifier and version.", []string{"id", "version"}, nil)
	descPools   = prometheus.NewDesc(ns+"pools", "Pools in the handlespace.", nil, nil)
	descPEs     = prometheus.NewDesc(ns+"pool_elements", "Pool elements in the handlespace.", nil, nil)
	descOwned   = prometheus.NewDesc(ns+"owned_pool_elements", "Pool elements whose home registrar is this one.", nil, nil)
	descPeers   = prometheus.NewDesc(ns+"peers", "Entries of the ENRP peer list.", nil, nil)
	descAssocs  = prometheus.NewDesc(ns+"associations", "Open SCTP associations by socket.", []string{"socket"}, nil)
	descRecv    = prometheus.NewDesc(ns+"messages_received_total", "ASAP and ENRP messages received and decoded, by type.", []string{"protocol", "type"}, nil)
	descSent    = prometheus.NewDesc(ns+"messages_sent_total", "ASAP and ENRP messages built for sending, by type.", []string{"protocol", "type"}, nil)
	descCauses  = prometheus.NewDesc(ns+"error_causes_total", "Error causes reported to pool elements, pool users and peers, by cause.", []string{"cause", "name"}, nil)
	descLatency = prometheus.NewDesc(ns+"event_latency_seconds", "Time from reading an event off a socket to its handling by the event loop.", nil, nil)
	descLate    = prometheus.NewDesc(ns+"timer_lateness_seconds", "Time by which timers ran after their deadline.", nil, nil)
)

// counters are the registrar.Stats fields exported one to one.
var counters = []struct {
	desc *prometheus.Desc
	get  func(*registrar.Stats) uint64
}{
	{counter("registrations_total", "Successful registrations, re-registrations included."), func(s *registrar.Stats) uint64 { return s.Registrations }},
	{counter("reregistrations_total", "Successful re-registrations."), func(s *registrar.Stats) uint64 { return s.Reregistrations }},
	{counter("registrations_rejected_total", "Rejected registrations."), func(s *registrar.Stats) uint64 { return s.RegistrationsRejected }},
	{counter("deregistrations_total", "Deregistrations of a known pool element."), func(s *registrar.Stats) uint64 { return s.Deregistrations }},
	{counter("handle_resolutions_total", "Handle resolution requests."), func(s *registrar.Stats) uint64 { return s.HandleResolutions }},
	{counter("handle_resolutions_refused_total", "Handle resolutions refused by -maxhrrate."), func(s *registrar.Stats) uint64 { return s.HandleResolutionsRefused }},
	{counter("endpoint_unreachables_total", "Endpoint Unreachable reports."), func(s *registrar.Stats) uint64 { return s.EndpointUnreachables }},
	{counter("keepalives_sent_total", "Endpoint Keep-Alives sent."), func(s *registrar.Stats) uint64 { return s.KeepAlivesSent }},
	{counter("keepalive_timeouts_total", "Pool elements removed because no Keep-Alive Ack came."), func(s *registrar.Stats) uint64 { return s.KeepAliveTimeouts }},
	{counter("expiries_total", "Pool elements of other registrars removed when their registration life ran out."), func(s *registrar.Stats) uint64 { return s.Expiries }},
	{counter("handle_updates_sent_total", "ENRP Handle Updates sent to peers."), func(s *registrar.Stats) uint64 { return s.HandleUpdatesSent }},
	{counter("handle_updates_received_total", "ENRP Handle Updates received from peers."), func(s *registrar.Stats) uint64 { return s.HandleUpdatesReceived }},
	{counter("synchronizations_total", "Handle table synchronisations started with a peer."), func(s *registrar.Stats) uint64 { return s.Synchronizations }},
	{counter("takeovers_started_total", "Takeovers of a dead peer's pool elements started."), func(s *registrar.Stats) uint64 { return s.TakeoversStarted }},
	{counter("takeovers_completed_total", "Takeovers completed."), func(s *registrar.Stats) uint64 { return s.TakeoversCompleted }},
	{counter("errors_sent_total", "ASAP and ENRP Error messages sent in reply to bad messages."), func(s *registrar.Stats) uint64 { return s.ErrorsSent }},
}

func counter(name, help string) *prometheus.Desc { return prometheus.NewDesc(ns+name, help, nil, nil) }

type collector struct {
	e       *Exporter
	version string
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descInfo, descPools, descPEs, descOwned, descPeers, descAssocs,
		descRecv, descSent, descCauses, descLatency, descLate} {
		ch <- d
	}
	for _, k := range counters {
		ch <- k.desc
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.e.snapshot()
	if s == nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descInfo, prometheus.GaugeValue, 1, s.Status.ID.String(), c.version)
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	gauge(descPools, s.Status.Pools)
	gauge(descPEs, s.Status.PEs)
	gauge(descOwned, s.Status.OwnedPEs)
	gauge(descPeers, len(s.Status.Peers))
	gauge(descAssocs, s.Associations[0], "asap")
	gauge(descAssocs, s.Associations[1], "enrp")
	for _, k := range counters {
		ch <- prometheus.MustNewConstMetric(k.desc, prometheus.CounterValue, float64(k.get(&s.Stats)))
	}
	for i, ppid := range []uint32{wire.PPIDASAP, wire.PPIDENRP} {
		for typ := range 16 {
			proto, name, known := typeLabels(ppid, uint8(typ))
			if !known && s.Stats.Received[i][typ] == 0 && s.Stats.Sent[i][typ] == 0 {
				continue
			}
			ch <- prometheus.MustNewConstMetric(descRecv, prometheus.CounterValue, float64(s.Stats.Received[i][typ]), proto, name)
			ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(s.Stats.Sent[i][typ]), proto, name)
		}
	}
	for cause, n := range s.Stats.Causes {
		ch <- prometheus.MustNewConstMetric(descCauses, prometheus.CounterValue, float64(n),
			fmt.Sprintf("0x%04x", uint16(cause)), rserpool.Cause(cause).String())
	}
	ch <- prometheus.MustNewConstHistogram(descLatency, s.EventLatency.Count, s.EventLatency.Sum, s.EventLatency.cumulative())
	ch <- prometheus.MustNewConstHistogram(descLate, s.TimerLateness.Count, s.TimerLateness.Sum, s.TimerLateness.cumulative())
}

// typeLabels splits wire.TypeName ("ASAP Registration") into protocol and
// type labels; known is false for numbers without a name.
func typeLabels(ppid uint32, typ uint8) (proto, name string, known bool) {
	proto, name, _ = strings.Cut(wire.TypeName(ppid, typ), " ")
	return strings.ToLower(proto), name, !strings.HasPrefix(name, "type ")
}
