package loadgen

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestResultPercentile(t *testing.T) {
	r := &Result{}
	var c tally
	c.reset(0)
	for _, ms := range []int{5, 1, 4, 2, 3, 10, 9, 8, 7, 6} {
		c.ok++
		c.lat = append(c.lat, time.Duration(ms)*time.Millisecond)
	}
	c.fail(0x0009)
	c.fail(0)
	r.merge(&c)
	r.finish(2 * time.Second)
	cases := map[float64]time.Duration{0: time.Millisecond, 0.5: 5 * time.Millisecond, 0.9: 9 * time.Millisecond,
		0.99: 10 * time.Millisecond, 1: 10 * time.Millisecond}
	for p, want := range cases {
		if got := r.Percentile(p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if r.OK != 10 || r.Failed != 2 || r.Causes[0x0009] != 1 || len(r.Causes) != 1 {
		t.Errorf("counts %d ok %d failed, causes %v", r.OK, r.Failed, r.Causes)
	}
	if got := r.Rate(); got != 6 {
		t.Errorf("rate %v, want 6/s", got)
	}
	if s := r.String(); !strings.Contains(s, "10 ok, 2 failed") {
		t.Errorf("String() = %q", s)
	}
	if (&Result{}).Percentile(0.5) != 0 || (&Result{}).Rate() != 0 {
		t.Error("an empty result has latencies or a rate")
	}
}

func TestConfigCheck(t *testing.T) {
	good := Config{Registrar: netip.MustParseAddrPort("198.18.0.1:3863"), Locals: []netip.Addr{netip.MustParseAddr("198.18.0.2")},
		PEs: 10, Assocs: 2, Window: 4, Pools: 3, FirstID: 1}
	if err := good.check(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	bad := map[string]func(*Config){
		"no PEs":         func(c *Config) { c.PEs = 0 },
		"no assocs":      func(c *Config) { c.Assocs = 0 },
		"no window":      func(c *Config) { c.Window = 0 },
		"no pools":       func(c *Config) { c.Pools = 0 },
		"no locals":      func(c *Config) { c.Locals = nil },
		"PE id 0":        func(c *Config) { c.FirstID = 0 },
		"ids wrap round": func(c *Config) { c.FirstID = 0xfffffff0; c.PEs = 100 },
	}
	for name, f := range bad {
		c := good
		f(&c)
		if err := c.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := Handles(2); len(got) != 2 || got[1] != "BenchPool-1" {
		t.Errorf("Handles(2) = %v", got)
	}
}
