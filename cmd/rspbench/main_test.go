package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	cases := []struct {
		line        string
		user, total time.Duration
		bad         bool
	}{
		{line: "714 (rspregistrar) S 1 714 714 0 -1 4194560 1055 0 0 0 152 31 0 0 20 0 8 0 3127 1259184128 2213 18446744073709551615",
			user: 1520 * time.Millisecond, total: 1830 * time.Millisecond},
		{line: "9 (a (weird) name) R 1 9 9 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1 1",
			user: 70 * time.Millisecond, total: 100 * time.Millisecond},
		{line: "9 no name", bad: true},
		{line: "9 (short) S 1 2 3", bad: true},
		{line: "9 (x) S 1 9 9 0 -1 0 0 0 0 0 x 3 0", bad: true},
	}
	for _, c := range cases {
		user, total, err := parseStatCPU([]byte(c.line))
		if (err != nil) != c.bad || user != c.user || total != c.total {
			t.Errorf("%q: %v %v %v", c.line, user, total, err)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\trspregistrar\nVmHWM:\t   9000 kB\nVmRSS:\t    5304 kB\nRssAnon:\t     880 kB\nRssFile:\t    4424 kB\nThreads:\t8\n"
	cases := []struct {
		in, field string
		want      int64
		bad       bool
	}{
		{in: status, field: "VmRSS", want: 5304 << 10},
		{in: status, field: "RssAnon", want: 880 << 10},
		{in: status, field: "RssFile", want: 4424 << 10},
		{in: status, field: "RssShmem", bad: true},
		{in: "Name:\tx\n", field: "VmRSS", bad: true},
		{in: "VmRSS:\t5304 MB\n", field: "VmRSS", bad: true},
		{in: "VmRSS:\tlots kB\n", field: "VmRSS", bad: true},
		// A longer field that starts with the name is not the field.
		{in: "VmRSSx:\t1 kB\n", field: "VmRSS", bad: true},
	}
	for _, c := range cases {
		got, err := parseStatusKB([]byte(c.in), c.field)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%s of %q: %d %v", c.field, c.in, got, err)
		}
	}
}

func TestParseCSPStatus(t *testing.T) {
	cases := []struct {
		in   string
		want hsCounts
		bad  bool
	}{
		{in: "0[0] PEs in 0 Pools, 0 Peers", want: hsCounts{}},
		{in: "5[2] PEs in 1 Pool, 1 Peer", want: hsCounts{PEs: 5, Owned: 2, Pools: 1, Peers: 1}},
		{in: "100000[100000] PEs in 100 Pools, 2 Peers", want: hsCounts{PEs: 100000, Owned: 100000, Pools: 100, Peers: 2}},
		{in: "5 PEs in 1 Pool, 1 Peer", bad: true},
		{in: "5[2] PEs in 1 Pond, 1 Peer", bad: true},
		{in: "", bad: true},
	}
	for _, c := range cases {
		got, err := parseCSPStatus(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%q: %+v %v", c.in, got, err)
		}
	}
}

func TestFormat(t *testing.T) {
	values := map[float64]string{0: "0", 0.01234: "0.0123", 1.234: "1.23", 12.34: "12.3", 1234.5: "1234", math.NaN(): "–"}
	for v, want := range values {
		if got := formatValue(v, "s"); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", v, got, want)
		}
	}
	percent := map[float64]string{100: "100.00", 99.995: "99.99", 60.855: "60.85", 0: "0.00"}
	for v, want := range percent {
		if got := formatValue(v, "%"); got != want {
			t.Errorf("formatValue(%v, %%) = %q, want %q", v, got, want)
		}
	}
	ratios := []struct {
		a, b  float64
		lower bool
		want  string
	}{
		{200, 100, false, "2.00×"}, // ours twice the rate
		{50, 100, true, "2.00×"},   // ours half the latency
		{100, 50, true, "0.50×"},
		{1, 0, false, "–"},
		{0, 5, true, "–"}, // nothing to divide by
		{math.NaN(), 1, false, "–"},
	}
	for _, r := range ratios {
		if got := formatRatio(r.a, r.b, r.lower); got != r.want {
			t.Errorf("formatRatio(%v, %v, %v) = %q, want %q", r.a, r.b, r.lower, got, r.want)
		}
	}
}

func TestTable(t *testing.T) {
	ours := &report{Impl: "ours"}
	ours.add("reg.rate", "registration rate", "1/s", false, 3000)
	ours.add("rss", "RSS", "MiB", true, 10)
	theirs := &report{Impl: "rsplib"}
	theirs.add("reg.rate", "registration rate", "1/s", false, 1000)
	theirs.add("rss", "RSS", "MiB", true, 5)
	theirs.add("only", "only theirs", "s", true, 1)
	theirs.note("something failed")
	got := table([]*report{ours, theirs})
	for _, want := range []string{
		"| metric | ours | rsplib | ours vs rsplib |",
		"| registration rate (1/s) ↑ | 3000 | 1000 | 3.00× |",
		"| RSS (MiB) ↓ | 10.0 | 5.00 | 0.50× |",
		"| only theirs (s) ↓ | – | 1.00 | – |",
		"- rsplib: something failed",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if one := table([]*report{ours}); strings.Contains(one, " vs ") {
		t.Errorf("a single report has a ratio column:\n%s", one)
	}
}

func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		name         string
		ours, theirs bool
		want         int
	}{
		{"both completed", false, false, 0},
		{"the reference failed", false, true, 0},
		{"ours failed", true, false, 1},
		{"both failed", true, true, 1},
	} {
		reports := []*report{{Impl: "ours", Failed: c.ours}, {Impl: "rsplib", Failed: c.theirs}}
		if got := exitStatus(reports); got != c.want {
			t.Errorf("%s: exitStatus = %d, want %d", c.name, got, c.want)
		}
	}
	if got := exitStatus(nil); got != 0 {
		t.Errorf("no reports: exitStatus = %d, want 0", got)
	}
}
