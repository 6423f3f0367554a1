package stats

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 6, 29, 16, 49, 16, 42100000, time.UTC)

func TestTable(t *testing.T) {
	var b bytes.Buffer
	tab := NewTable(&b)
	s := Sample{Peers: 1, Pools: 2, PoolElements: 5, OwnedPoolElements: 3,
		Counters: Counters{Registrations: 7, Reregistrations: 2, Deregistrations: 1, HandleResolutions: 40,
			FailureReports: 3, Synchronizations: 1, HandleUpdates: 9, EndpointKeepAlives: 11}}
	p := ProcessTimes{Runtime: 12345678 * time.Microsecond, User: 250 * time.Millisecond, System: 40 * time.Millisecond}
	if err := tab.Write(t0, s, p); err != nil {
		t.Fatal(err)
	}
	s.Registrations++
	if err := tab.Write(t0.Add(1500*time.Millisecond), s, p); err != nil {
		t.Fatal(err)
	}
	want := Header +
		"000001 1782751756.042100 0.000000   12.345678 0.250000 0.040000   1 2 5 3   7 2 1 40 3 1 9 11\n" +
		"000002 1782751757.542100 1.500000   12.345678 0.250000 0.040000   1 2 5 3   8 2 1 40 3 1 9 11\n"
	if b.String() != want {
		t.Errorf("\n got %q\nwant %q", b.String(), want)
	}
}

func TestCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.txt")
	if err := os.WriteFile(path, []byte("old content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Write(t0, Sample{}, ProcessTimes{}); err != nil {
		t.Fatal(err)
	}
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(got), Header+"000001 ") || strings.Contains(string(got), "old") {
		t.Errorf("file: %q", got)
	}
	if _, err := Create(filepath.Join(path, "sub")); err == nil || !strings.HasPrefix(err.Error(), "opening statistics file: ") {
		t.Errorf("Create in a file: %v", err)
	}
	var nilTable *Table
	if nilTable.Close() != nil {
		t.Error("Close of nil table")
	}
}

func TestWeighted(t *testing.T) {
	var w Weighted
	w.Start(t0)
	w.Update(t0.Add(time.Second), 4)          // 0 for 1 s
	w.Update(t0.Add(3*time.Second), 1)        // 4 for 2 s
	got := w.Average(t0.Add(4 * time.Second)) // 1 for 1 s
	if want := (0*1 + 4*2 + 1*1) / 4.0; got != want {
		t.Errorf("average %v, want %v", got, want)
	}
	// Averaging again later extends the last value.
	if got, want := w.Average(t0.Add(8*time.Second)), (9+4*1.0)/8; got != want {
		t.Errorf("later average %v, want %v", got, want)
	}
	var z Weighted
	z.Start(t0)
	if !math.IsNaN(z.Average(t0)) {
		t.Error("average over no time is not NaN")
	}
}

func TestScalars(t *testing.T) {
	var a Averages
	a.Start(t0)
	a.Update(t0, &Sample{Pools: 1, PoolElements: 2, OwnedPoolElements: 2, Peers: 1})
	a.Update(t0.Add(time.Second), &Sample{Pools: 2, PoolElements: 5, OwnedPoolElements: 3})
	var b bytes.Buffer
	c := Counters{Registrations: 12345678, Reregistrations: 2, Deregistrations: 3, HandleResolutions: 4,
		FailureReports: 5, Synchronizations: 6, HandleUpdates: 7, EndpointKeepAlives: 8}
	if err := WriteScalars(&b, "pr7", c, &a, t0.Add(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	// RSPLIB's printf formats, column padding included.
	want := `run 1 "scenario"
scalar "pr7" "Registrar Total Registrations"        12345678
scalar "pr7" "Registrar Total Reregistrations"             2
scalar "pr7" "Registrar Total Deregistrations"             3
scalar "pr7" "Registrar Total Handle Resolutions"          4
scalar "pr7" "Registrar Total Failure Reports"             5
scalar "pr7" "Registrar Total Synchronizations"            6
scalar "pr7" "Registrar Total Handle Updates"              7
scalar "pr7" "Registrar Total Endpoint Keep Alives"        8
scalar "pr7" "Registrar Average Number Of Pools"               1.750000
scalar "pr7" "Registrar Average Number Of Pool Elements"       4.250000
scalar "pr7" "Registrar Average Number Of Owned Pool Elements" 2.750000
scalar "pr7" "Registrar Average Number Of Peers"               0.250000
`
	if b.String() != want {
		t.Errorf("\n got %s\nwant %s", b.String(), want)
	}

	path := filepath.Join(t.TempDir(), "x.sca")
	if err := WriteScalarFile(path, "registrar", Counters{}, &a, t0.Add(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !strings.Contains(string(got), `scalar "registrar" "Registrar Total Registrations"               0`) {
		t.Errorf("file: %s", got)
	}
	if err := WriteScalarFile(filepath.Join(path, "x"), "r", Counters{}, &a, t0); err == nil {
		t.Error("scalar file in a file written")
	}
}

func TestFormatC(t *testing.T) {
	for v, want := range map[float64]string{1.5: "1.500000", math.NaN(): "-nan", math.Inf(1): "inf", math.Inf(-1): "-inf"} {
		if got := formatC(v); got != want {
			t.Errorf("%v: %q, want %q", v, got, want)
		}
	}
}

func TestProcessTimes(t *testing.T) {
	// A /proc/self/stat line whose command name has a space and a ")".
	stat := "4242 (rsp reg)istrar) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 40 0 0 20 0 9 0 12000 123456 789 18446744073709551615\n"
	p, err := parseProcessTimes(stat, "200.50 390.00\n")
	if err != nil {
		t.Fatal(err)
	}
	want := ProcessTimes{Runtime: 80500 * time.Millisecond, User: 2500 * time.Millisecond, System: 400 * time.Millisecond}
	if p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
	for _, bad := range [][2]string{{"no paren", "1"}, {"1 (x) S 1", "1"}, {stat, ""}, {stat, "x"},
		{strings.Replace(stat, " 250 ", " x ", 1), "1"}} {
		if _, err := parseProcessTimes(bad[0], bad[1]); err == nil {
			t.Errorf("%q %q: no error", bad[0], bad[1])
		}
	}
	if p, err := ReadProcessTimes(); err != nil {
		t.Errorf("this process: %+v %v", p, err)
	}
}
