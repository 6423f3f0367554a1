package sandboxtest

import (
	"os"
	"testing"
)

func TestParseDumpGolden(t *testing.T) {
	// hsdump's output in the b-hsdump capture run (../shared/golden).
	b, err := os.ReadFile("testdata/hsdump-b.log")
	if err != nil {
		t.Fatal(err)
	}
	d := ParseDump(string(b))
	if got := d.PEs(); got != 3 {
		t.Fatalf("PEs = %d, want 3", got)
	}
	echo := d.Pools["EchoPool"]
	if len(echo) != 2 || echo[0].ID != 0xe001 || echo[1].ID != 0xe002 || echo[0].Home != 0x11111111 {
		t.Errorf("EchoPool = %+v", echo)
	}
	if d.Policies["DaytimePool"] != "WeightedRoundRobin" {
		t.Errorf("policies = %v", d.Policies)
	}
	if echo[0].User != "{198.18.0.1} 32836/SCTP+CtrlCh" {
		t.Errorf("user transport = %q", echo[0].User)
	}
}
