package handlespace

import (
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// TestChecksumVectors checks enrp.md §8.4, computed with RSPLIB's own code.
func TestChecksumVectors(t *testing.T) {
	type pe struct {
		h  rserpool.PoolHandle
		id rserpool.PEID
	}
	tests := []struct {
		name string
		pes  []pe
		want [2]byte
	}{
		{"none", nil, [2]byte{0xff, 0xff}},
		{"EchoPool/12345678", []pe{{"EchoPool", 0x12345678}}, [2]byte{0x29, 0xa5}},
		{"EchoPool/0BADCAFE", []pe{{"EchoPool", 0x0BADCAFE}}, [2]byte{0xbb, 0xa5}},
		{"both EchoPool", []pe{{"EchoPool", 0x12345678}, {"EchoPool", 0x0BADCAFE}}, [2]byte{0xe5, 0x4a}},
		{"Echo/1", []pe{{"Echo", 1}}, [2]byte{0x52, 0x2c}},
		{"Pool/DEADBEEF", []pe{{"Pool", 0xDEADBEEF}}, [2]byte{0xa2, 0x86}},
		{"Odd/01020304", []pe{{"Odd", 0x01020304}}, [2]byte{0x48, 0x95}},
		{"three", []pe{{"Echo", 1}, {"Pool", 0xDEADBEEF}, {"Odd", 0x01020304}}, [2]byte{0x3d, 0x48}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Directly from the per-PE accumulators...
			var sum Checksum
			for _, p := range tt.pes {
				sum += PEChecksum(p.h, p.id)
			}
			if got := sum.Bytes(); got != tt.want {
				t.Errorf("accumulated: got % x want % x", got, tt.want)
			}
			// ...and as maintained by the handlespace for the owner.
			h := New(own, nil)
			for i, p := range tt.pes {
				e := testPE(uint32(p.id), rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin})
				if _, _, err := h.Register(p.h, e, AssocID(i+1)); err != nil {
					t.Fatal(err)
				}
			}
			if got := h.OwnChecksum().Bytes(); got != tt.want {
				t.Errorf("handlespace: got % x want % x", got, tt.want)
			}
			if got := h.OwnershipChecksum(other).Bytes(); got != [2]byte{0xff, 0xff} {
				t.Errorf("foreign owner: got % x", got)
			}
		})
	}
}

// TestChecksumIncremental checks that the per-owner accumulators follow
// ownership changes and removals, including wrap-around of the uint32 sum.
func TestChecksumIncremental(t *testing.T) {
	h := New(own, nil)
	ps := rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}
	// 0xFFFF-valued words make the 32-bit accumulator wrap after ~65k PEs;
	// a long handle of 0xff bytes gets there faster.
	handle := rserpool.PoolHandle(strings.Repeat("\xff", rserpool.MaxPoolHandleSize))
	const n = 6000
	var want Checksum
	var wide uint64
	for i := 1; i <= n; i++ {
		e := testPE(uint32(0xFFFF0000+i), ps)
		if i%3 == 0 {
			e.Home = other
		} else {
			want += PEChecksum(handle, e.ID)
			wide += uint64(PEChecksum(handle, e.ID))
		}
		if _, _, err := h.Register(handle, e, 0); err != nil {
			t.Fatal(err)
		}
	}
	if wide < 1<<32 {
		t.Fatal("test does not wrap the accumulator")
	}
	if h.OwnChecksum() != want {
		t.Fatalf("own checksum %08x want %08x", uint32(h.OwnChecksum()), uint32(want))
	}
	moved := h.ChangeOwner(nil, other, own)
	if len(moved) != n/3 || h.PEsOwnedBy(other) != 0 || h.OwnedPEs() != n {
		t.Fatalf("moved %d, other owns %d, own %d", len(moved), h.PEsOwnedBy(other), h.OwnedPEs())
	}
	if h.OwnChecksum() != h.HandlespaceChecksum() {
		t.Fatal("after taking everything over, own checksum must equal the handlespace checksum")
	}
	for _, x := range h.OwnedBy(nil, own) {
		h.Remove(x)
	}
	if h.OwnChecksum().Bytes() != [2]byte{0xff, 0xff} || h.HandlespaceChecksum() != 0 {
		t.Fatal("empty handlespace must have an empty checksum")
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}
