package metrics

import (
	"bufio"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

func TestHistogram(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{0, 10 * time.Microsecond, 11 * time.Microsecond, 2 * time.Millisecond, 3 * time.Second} {
		h.Observe(d)
	}
	want := [len(Buckets) + 1]uint64{2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}
	if h.Counts != want || h.Count != 5 {
		t.Errorf("counts %v (%d), want %v", h.Counts, h.Count, want)
	}
}

// serve starts an exporter on a loopback port and answers its requests
// with what snapshot returns (nil: never answers); it returns the URL.
func serve(t *testing.T, timeout time.Duration, snapshot func() *Snapshot) string {
	t.Helper()
	return serveWith(t, timeout, func(r Request) {
		if s := snapshot(); s != nil {
			r.Reply(s)
		}
	})
}

// serveWith starts an exporter on a loopback port whose "event loop"
// hands each request to answer; it returns the URL.
func serveWith(t *testing.T, timeout time.Duration, answer func(Request)) string {
	t.Helper()
	e := New("v-test", timeout)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Serve(ln)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case r := <-e.Requests():
				answer(r)
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String()
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the scrape: %v", err)
	}
	return fams
}

// value returns the value of the metric of the family whose labels include
// the given name=value pairs.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				found = found || (lp.GetName() == labels[i] && lp.GetValue() == labels[i+1])
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no metric %s%v", name, labels)
	return 0
}

func TestScrape(t *testing.T) {
	s := &Snapshot{
		Status: registrar.Status{ID: 0x1a2b3c4d, PEs: 5, OwnedPEs: 3, Pools: 2,
			Peers: []rserpool.RegistrarID{0, 0x22222222}},
		Stats: registrar.Stats{Registrations: 7, HandleResolutions: 11, KeepAliveTimeouts: 1, TakeoversStarted: 2,
			Causes: map[rserpool.Cause]uint64{rserpool.CauseNotFound: 4}},
		Associations: [2]int{5, 1},
	}
	s.Stats.Received[0][wire.ASAPRegistration] = 7
	s.Stats.Sent[0][wire.ASAPRegistrationResponse] = 7
	s.Stats.Received[1][wire.ENRPPresence] = 30
	s.Stats.Received[1][15] = 1 // a type without a name shows up once counted
	s.EventLatency.Observe(20 * time.Microsecond)
	s.EventLatency.Observe(time.Millisecond)
	s.TimerLateness.Observe(time.Millisecond)
	fams := scrape(t, serve(t, 0, func() *Snapshot { return s }))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"rspregistrar_up", nil, 1},
		{"rspregistrar_info", []string{"id", "$1a2b3c4d", "version", "v-test"}, 1},
		{"rspregistrar_pools", nil, 2},
		{"rspregistrar_pool_elements", nil, 5},
		{"rspregistrar_owned_pool_elements", nil, 3},
		{"rspregistrar_peers", nil, 2},
		{"rspregistrar_associations", []string{"socket", "asap"}, 5},
		{"rspregistrar_associations", []string{"socket", "enrp"}, 1},
		{"rspregistrar_registrations_total", nil, 7},
		{"rspregistrar_handle_resolutions_total", nil, 11},
		{"rspregistrar_keepalive_timeouts_total", nil, 1},
		{"rspregistrar_takeovers_started_total", nil, 2},
		{"rspregistrar_messages_received_total", []string{"protocol", "asap", "type", "Registration"}, 7},
		{"rspregistrar_messages_received_total", []string{"protocol", "asap", "type", "HandleResolution"}, 0},
		{"rspregistrar_messages_sent_total", []string{"protocol", "asap", "type", "RegistrationResponse"}, 7},
		{"rspregistrar_messages_received_total", []string{"protocol", "enrp", "type", "Presence"}, 30},
		{"rspregistrar_messages_received_total", []string{"protocol", "enrp", "type", "type $0f"}, 1},
		{"rspregistrar_error_causes_total", []string{"cause", "0x0009", "name", "not found"}, 4},
		{"rspregistrar_event_latency_seconds", nil, 2},
		{"rspregistrar_timer_lateness_seconds", nil, 1},
	} {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_open_fds",
		"process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	// Cumulative buckets: 20 µs is in le=5e-05 and above, 1 ms in le=0.001
	// and above.
	h := fams["rspregistrar_event_latency_seconds"].Metric[0].Histogram
	for _, b := range h.Bucket {
		want := uint64(0)
		switch ub := b.GetUpperBound(); {
		case ub >= 1e-3:
			want = 2
		case ub >= 5e-5:
			want = 1
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	if h.GetSampleSum() != 0.00102 {
		t.Errorf("sum %v", h.GetSampleSum())
	}
	for _, unnamed := range fams["rspregistrar_messages_received_total"].Metric {
		for _, lp := range unnamed.Label {
			if lp.GetValue() == "type $0e" {
				t.Error("an unnamed type without messages is listed")
			}
		}
	}
}

// TestScrapeNoAnswer: a loop that does not answer makes the scrape report
// rspregistrar_up 0 (and still the process metrics) instead of hanging.
func TestScrapeNoAnswer(t *testing.T) {
	fams := scrape(t, serve(t, 50*time.Millisecond, func() *Snapshot { return nil }))
	if v := value(t, fams, "rspregistrar_up"); v != 0 {
		t.Errorf("up = %v", v)
	}
	if _, ok := fams["rspregistrar_pool_elements"]; ok {
		t.Error("state reported without an answer")
	}
}

// TestLabelEscaping: label values with quotes, backslashes and newlines
// survive the round trip through the Prometheus parser.
func TestLabelEscaping(t *testing.T) {
	var b strings.Builder
	w := &writer{w: bufio.NewWriter(&b)}
	w.family("x", "gauge", "test")
	w.sample("x", 1.5, "v", "a\"b\\c\nd")
	w.w.Flush()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	m := fams["x"].Metric[0]
	if m.Label[0].GetValue() != "a\"b\\c\nd" || m.Gauge.GetValue() != 1.5 {
		t.Errorf("parsed %v", m)
	}
	for v, want := range map[float64]string{math.Inf(1): "+Inf", math.Inf(-1): "-Inf", math.NaN(): "NaN", 1e-5: "1e-05", 3: "3"} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestContentType(t *testing.T) {
	url := serve(t, 0, func() *Snapshot { return &Snapshot{} })
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("content type %q", got)
	}
}

func TestIndexAndNil(t *testing.T) {
	url := serve(t, 0, func() *Snapshot { return &Snapshot{} })
	resp, err := http.Get(url + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/other: %s", resp.Status)
	}
	var e *Exporter
	if e.Requests() != nil || e.Close() != nil {
		t.Error("nil exporter")
	}
}
