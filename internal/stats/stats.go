// Package stats writes RSPLIB's research statistics: the -statsfile table
// (a header line, then one line per -statsinterval) and the -scalar file
// (OMNeT++ scalars written when the registrar stops), in RSPLIB's formats so
// that existing evaluation scripts read them unchanged.
//
// Nothing here reads the registrar: the daemon's event loop, which owns the
// core, hands over Samples; a Recorder is used by that one goroutine only.
package stats

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Counters are the cumulative counts RSPLIB's statistics show.
type Counters struct {
	Registrations, Reregistrations, Deregistrations uint64
	HandleResolutions                               uint64
	// FailureReports counts Endpoint Unreachable messages.
	FailureReports uint64
	// Synchronizations counts Handle Table Requests received.
	Synchronizations uint64
	// HandleUpdates counts Handle Updates received from peers.
	HandleUpdates uint64
	// EndpointKeepAlives counts Endpoint Keep-Alives sent.
	EndpointKeepAlives uint64
}

// Sample is the registrar's state at one moment.
type Sample struct {
	Peers, Pools, PoolElements, OwnedPoolElements int
	Counters
}

// ProcessTimes are the process's age and CPU times.
type ProcessTimes struct {
	Runtime, User, System time.Duration
}

// Header is the first line of a statistics file (RSPLIB's, spaces included).
const Header = "AbsTime RelTime Runtime UserTime SystemTime   Peers Pools PoolElements OwnedPoolElements   Registrations Reregistrations Deregistrations HandleResolutions FailureReports Synchronizations HandleUpdates EndpointKeepAlives\n"

// Table writes the statistics file. Lines are flushed one by one, as RSPLIB
// does, so that a running experiment can be followed with tail -f.
type Table struct {
	w     io.Writer
	c     io.Closer
	line  uint64
	start time.Time
}

// Create opens (truncating) the statistics file at path.
func Create(path string) (*Table, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, fmt.Errorf("opening statistics file: %w", err)
	}
	return &Table{w: f, c: f}, nil
}

// NewTable writes to w (for tests).
func NewTable(w io.Writer) *Table { return &Table{w: w} }

// Write appends the line for now; the first call writes the header first
// and starts the relative time.
func (t *Table) Write(now time.Time, s Sample, p ProcessTimes) error {
	var b []byte
	if t.line == 0 {
		b = append(b, Header...)
		t.line, t.start = 1, now
	}
	b = fmt.Appendf(b, "%06d %1.6f %1.6f   %1.6f %1.6f %1.6f   %d %d %d %d   %d %d %d %d %d %d %d %d\n",
		t.line, seconds(now.UnixMicro()), seconds(now.Sub(t.start).Microseconds()),
		p.Runtime.Seconds(), p.User.Seconds(), p.System.Seconds(),
		s.Peers, s.Pools, s.PoolElements, s.OwnedPoolElements,
		s.Registrations, s.Reregistrations, s.Deregistrations, s.HandleResolutions,
		s.FailureReports, s.Synchronizations, s.HandleUpdates, s.EndpointKeepAlives)
	t.line++
	if _, err := t.w.Write(b); err != nil {
		return fmt.Errorf("writing statistics file: %w", err)
	}
	return nil
}

// seconds converts microseconds the way RSPLIB prints them: µs / 1e6.
func seconds(us int64) float64 { return float64(us) / 1e6 }

// Close closes the file.
func (t *Table) Close() error {
	if t == nil || t.c == nil {
		return nil
	}
	return t.c.Close()
}

// Weighted is a time-weighted average of a value that changes in steps
// (RSPLIB's WeightedStatValue): the integral of the value over time divided
// by the time since Start.
type Weighted struct {
	value      float64
	cumulation float64 // value × seconds
	start      time.Time
	updated    time.Time
}

// Start begins averaging at now with value 0.
func (w *Weighted) Start(now time.Time) { *w = Weighted{start: now, updated: now} }

// Update sets the value from now on.
func (w *Weighted) Update(now time.Time, v float64) {
	w.cumulation += w.value * now.Sub(w.updated).Seconds()
	w.value, w.updated = v, now
}

// Average returns the average from Start to now (NaN when no time passed,
// as RSPLIB's division by zero gives).
func (w *Weighted) Average(now time.Time) float64 {
	w.Update(now, w.value)
	return w.cumulation / now.Sub(w.start).Seconds()
}

// Averages are the four time-weighted averages of the scalar file.
type Averages struct {
	Pools, PoolElements, OwnedPoolElements, Peers Weighted
}

// Start starts all four at now.
func (a *Averages) Start(now time.Time) {
	for _, w := range a.all() {
		w.Start(now)
	}
}

// Update records the sample's counts from now on.
func (a *Averages) Update(now time.Time, s *Sample) {
	a.Pools.Update(now, float64(s.Pools))
	a.PoolElements.Update(now, float64(s.PoolElements))
	a.OwnedPoolElements.Update(now, float64(s.OwnedPoolElements))
	a.Peers.Update(now, float64(s.Peers))
}

func (a *Averages) all() []*Weighted {
	return []*Weighted{&a.Pools, &a.PoolElements, &a.OwnedPoolElements, &a.Peers}
}

// WriteScalars writes RSPLIB's scalar file for object at now.
func WriteScalars(w io.Writer, object string, c Counters, a *Averages, now time.Time) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("run 1 \"scenario\"\n")
	for _, r := range []struct {
		name string
		n    uint64
	}{
		{"Registrar Total Registrations\"        ", c.Registrations},
		{"Registrar Total Reregistrations\"      ", c.Reregistrations},
		{"Registrar Total Deregistrations\"      ", c.Deregistrations},
		{"Registrar Total Handle Resolutions\"   ", c.HandleResolutions},
		{"Registrar Total Failure Reports\"      ", c.FailureReports},
		{"Registrar Total Synchronizations\"     ", c.Synchronizations},
		{"Registrar Total Handle Updates\"       ", c.HandleUpdates},
		{"Registrar Total Endpoint Keep Alives\" ", c.EndpointKeepAlives},
	} {
		fmt.Fprintf(bw, "scalar \"%s\" \"%s%8d\n", object, r.name, r.n)
	}
	for _, r := range []struct {
		name string
		w    *Weighted
	}{
		{"Registrar Average Number Of Pools\"               ", &a.Pools},
		{"Registrar Average Number Of Pool Elements\"       ", &a.PoolElements},
		{"Registrar Average Number Of Owned Pool Elements\" ", &a.OwnedPoolElements},
		{"Registrar Average Number Of Peers\"               ", &a.Peers},
	} {
		fmt.Fprintf(bw, "scalar \"%s\" \"%s%s\n", object, r.name, formatC(r.w.Average(now)))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing scalar file: %w", err)
	}
	return nil
}

// formatC prints like C's %1.6f, including "nan" and "inf".
func formatC(v float64) string {
	s := strconv.FormatFloat(v, 'f', 6, 64)
	switch s {
	case "NaN":
		return "-nan" // glibc prints 0.0/0.0 as -nan
	case "+Inf":
		return "inf"
	case "-Inf":
		return "-inf"
	}
	return s
}

// WriteScalarFile writes the scalar file at path, replacing it.
func WriteScalarFile(path, object string, c Counters, a *Averages, now time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating scalar file: %w", err)
	}
	err = WriteScalars(f, object, c, a, now)
	return errors.Join(err, f.Close())
}

// ReadProcessTimes reads the process's age and CPU times from /proc, as
// RSPLIB does (clock ticks of 1/100 s).
func ReadProcessTimes() (ProcessTimes, error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return ProcessTimes{}, err
	}
	uptime, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return ProcessTimes{}, err
	}
	return parseProcessTimes(string(stat), string(uptime))
}

const tick = 10 * time.Millisecond // USER_HZ on Linux

func parseProcessTimes(stat, uptime string) (ProcessTimes, error) {
	// The command name is in parentheses and may contain spaces.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return ProcessTimes{}, errors.New("unexpected /proc/self/stat format")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is the state (field 3): utime is field 14, stime 15, starttime 22.
	if len(f) < 20 {
		return ProcessTimes{}, errors.New("unexpected /proc/self/stat format")
	}
	var v [3]uint64
	for j, k := range []int{11, 12, 19} {
		n, err := strconv.ParseUint(f[k], 10, 64)
		if err != nil {
			return ProcessTimes{}, fmt.Errorf("unexpected /proc/self/stat field %q", f[k])
		}
		v[j] = n
	}
	up := strings.Fields(uptime)
	if len(up) == 0 {
		return ProcessTimes{}, errors.New("unexpected /proc/uptime format")
	}
	u, err := strconv.ParseFloat(up[0], 64)
	if err != nil {
		return ProcessTimes{}, fmt.Errorf("unexpected /proc/uptime value %q", up[0])
	}
	started := time.Duration(v[2]) * tick
	return ProcessTimes{
		Runtime: time.Duration(u*float64(time.Second)) - started,
		User:    time.Duration(v[0]) * tick,
		System:  time.Duration(v[1]) * tick,
	}, nil
}
