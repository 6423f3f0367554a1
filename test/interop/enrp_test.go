package interop

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

const (
	ourID   = 0x0A0A0A0A
	rsplibA = 0x0B0B0B0B
	rsplibB = 0x0C0C0C0C
)

// Our registrar and an RSPLIB registrar peer statically: a PE registered at
// either shows in the other's hsdump with the right home, and a PU asking
// either reaches a PE homed at the other.
func TestSandboxPeeringWithRSPLIB(t *testing.T) {
	sandboxtest.Require(t)
	ours := registrar(t, addr1, 4000, fmt.Sprintf("-identifier=%#x", ourID), "-peer="+addr2+":4001")
	theirs := rsplibRegistrar(t, addr2, 4000, fmt.Sprintf("-identifier=%#x", rsplibA), "-peer="+addr1+":4001")
	server(t, "-echo", "-poolhandle=AtOurs", "-registrar="+addr1+":4000")
	idOurs := registered(t, ours, "AtOurs", 15*time.Second)
	server(t, "-echo", "-poolhandle=AtTheirs", "-registrar="+addr2+":4000")
	idTheirs := registered(t, theirs, "AtTheirs", 15*time.Second)

	both := func(d *sandboxtest.Dump) bool {
		return homeOf(d, "AtOurs", idOurs) == ourID && homeOf(d, "AtTheirs", idTheirs) == rsplibA
	}
	waitDump(t, addr1+":4001", 20*time.Second, "both PEs at our registrar", both)
	waitDump(t, addr2+":4001", 20*time.Second, "both PEs at RSPLIB's registrar", both)

	for _, at := range []string{addr1, addr2} {
		for _, pool := range []string{"AtOurs", "AtTheirs"} {
			pr, pw := io.Pipe()
			term := sandboxtest.Start(t, pr, sandboxtest.Program(t, "rspterminal"), "-poolhandle="+pool,
				"-registrar="+at+":4000", "-loglevel=0")
			line := "via-" + at + "-to-" + pool
			io.WriteString(pw, line+"\n")
			term.WaitFor(t, `from PE \$[0-9a-f]{8}> `+line, 15*time.Second)
			pw.Close()
			term.Kill()
		}
	}
}

// The RSPLIB registrar dies: we take its PE over (in a scope of two, which
// RSPLIB itself never completes), and the real PE accepts us as its new home
// and keeps working.
func TestSandboxWeTakeOverFromDeadRSPLIB(t *testing.T) {
	sandboxtest.Require(t)
	ours := registrar(t, addr1, 4010, fmt.Sprintf("-identifier=%#x", ourID), "-peer="+addr2+":4011")
	theirs := rsplibRegistrar(t, addr2, 4010, fmt.Sprintf("-identifier=%#x", rsplibA), "-peer="+addr1+":4011")
	pe := server(t, "-echo", "-loglevel=4", "-registrar="+addr2+":4010")
	id := registered(t, theirs, "EchoPool", 15*time.Second)
	waitDump(t, addr1+":4011", 20*time.Second, "the PE homed at RSPLIB", func(d *sandboxtest.Dump) bool {
		return homeOf(d, "EchoPool", id) == rsplibA
	})
	// RSPLIB announces itself only after its 5 s initialization phase.
	ours.WaitFor(t, `new peer \$0b0b0b0b`, 20*time.Second)
	theirs.Signal(syscall.SIGKILL)
	ours.WaitFor(t, `Takeover of peer \$0b0b0b0b completed`, 30*time.Second)
	pe.WaitFor(t, `Home registrar is \$0a0a0a0a`, 15*time.Second)
	waitDump(t, addr1+":4011", 20*time.Second, "the PE homed at us", func(d *sandboxtest.Dump) bool {
		return homeOf(d, "EchoPool", id) == ourID
	})
	// It keeps working: it still answers our keep-alives 15 s later and a
	// PU reaches it through us.
	time.Sleep(15 * time.Second)
	if d := sandboxtest.HSDump(t, addr1+":4011"); homeOf(d, "EchoPool", id) != ourID {
		t.Fatalf("the PE was lost after the takeover:\n%s", d.Raw)
	}
	pr, pw := io.Pipe()
	term := sandboxtest.Start(t, pr, sandboxtest.Program(t, "rspterminal"), "-poolhandle=EchoPool",
		"-registrar="+addr1+":4010", "-loglevel=0")
	io.WriteString(pw, "after-takeover\n")
	term.WaitFor(t, `from PE \$[0-9a-f]{8}> after-takeover`, 15*time.Second)
	pw.Close()
}

// Our registrar dies in a scope of three: the RSPLIB registrars complete the
// takeover of our PE.
func TestSandboxRSPLIBTakesOverFromUs(t *testing.T) {
	sandboxtest.Require(t)
	ours := registrar(t, addr1, 4020, fmt.Sprintf("-identifier=%#x", ourID), "-peer="+addr2+":4021", "-peer="+addr3+":4021")
	a := rsplibRegistrar(t, addr2, 4020, fmt.Sprintf("-identifier=%#x", rsplibA), "-peer="+addr1+":4021", "-peer="+addr3+":4021")
	b := rsplibRegistrar(t, addr3, 4020, fmt.Sprintf("-identifier=%#x", rsplibB), "-peer="+addr1+":4021", "-peer="+addr2+":4021")
	pe := server(t, "-echo", "-loglevel=4", "-registrar="+addr1+":4020")
	id := registered(t, ours, "EchoPool", 15*time.Second)
	// Check with handle resolutions, not hsdump: every hsdump run leaves a
	// peer entry at an RSPLIB registrar for about 10 s, and RSPLIB's
	// takeover would then wait for that phantom peer's acknowledgement.
	for _, at := range []string{addr2, addr3} {
		c := newASAPClient(t, at, 4020)
		deadline := time.Now().Add(20 * time.Second)
		for {
			r, ids := c.resolve("EchoPool", 0)
			if len(ids) == 1 && ids[0] == id && r.PEs[0].Home == ourID {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("RSPLIB registrar at %s does not resolve our PE: %+v", at, r)
			}
			time.Sleep(time.Second)
		}
	}
	// Everybody must know everybody before the takeover can be agreed.
	for _, w := range []struct {
		p  *sandboxtest.Proc
		re string
	}{{a, `peer \$0a0a0a0a`}, {a, `peer \$0c0c0c0c`}, {b, `peer \$0a0a0a0a`}, {b, `peer \$0b0b0b0b`},
		{ours, `new peer \$0b0b0b0b`}, {ours, `new peer \$0c0c0c0c`}} {
		w.p.WaitFor(t, w.re, 20*time.Second)
	}
	ours.Signal(syscall.SIGKILL)
	// Whoever notices first takes over (the lower id wins only when both
	// start at once); exactly one must complete it.
	const done = `Takeover of peer \$0a0a0a0a completed`
	deadline := time.Now().Add(40 * time.Second)
	var winner uint32
	for winner == 0 && time.Now().Before(deadline) {
		switch {
		case a.Appears(done, 0):
			winner = rsplibA
		case b.Appears(done, 0):
			winner = rsplibB
		default:
			time.Sleep(200 * time.Millisecond)
		}
	}
	if winner == 0 {
		t.Fatalf("no RSPLIB registrar completed the takeover of our PE")
	}
	pe.WaitFor(t, fmt.Sprintf(`Home registrar is \$%08x`, winner), 15*time.Second)
	time.Sleep(2 * time.Second)
	if a.Appears(done, 0) && b.Appears(done, 0) {
		t.Fatal("both RSPLIB registrars completed a takeover")
	}
	// RSPLIB's Takeover Server never arrives (it is sent without a
	// destination); the other registrar learns the new home by checksum
	// resynchronisation within a few heartbeats.
	c := newASAPClient(t, addr2, 4020)
	deadline = time.Now().Add(20 * time.Second)
	for {
		r, ids := c.resolve("EchoPool", 0)
		if len(ids) == 1 && ids[0] == id && uint32(r.PEs[0].Home) == winner {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the takeover RSPLIB resolves %+v, want PE $%08x homed at $%08x", r, id, winner)
		}
		time.Sleep(time.Second)
	}
}

// Our registrar and an RSPLIB registrar find each other by ENRP multicast
// alone and share their handlespace.
func TestSandboxPeersByMulticast(t *testing.T) {
	sandboxtest.Require(t)
	ours := registrar(t, addr1, 4030, fmt.Sprintf("-identifier=%#x", ourID), "-enrpannounce=auto")
	theirs := rsplibRegistrar(t, addr2, 4030, fmt.Sprintf("-identifier=%#x", rsplibA), "-enrpannounce=auto")
	server(t, "-echo", "-poolhandle=AtOurs", "-registrar="+addr1+":4030")
	idOurs := registered(t, ours, "AtOurs", 15*time.Second)
	server(t, "-echo", "-poolhandle=AtTheirs", "-registrar="+addr2+":4030")
	idTheirs := registered(t, theirs, "AtTheirs", 15*time.Second)
	both := func(d *sandboxtest.Dump) bool {
		return homeOf(d, "AtOurs", idOurs) == ourID && homeOf(d, "AtTheirs", idTheirs) == rsplibA
	}
	waitDump(t, addr1+":4031", 30*time.Second, "both PEs at our registrar", both)
	waitDump(t, addr2+":4031", 30*time.Second, "both PEs at RSPLIB's registrar", both)
}

// hsdump against our registrar pages through more PEs than fit into one
// Handle Table Response.
func TestSandboxHSDumpPaging(t *testing.T) {
	sandboxtest.Require(t)
	reg := registrar(t, addr1, 4040, "-maxelementsperhtrequest=2")
	const n = 7
	for i := 0; i < n; i++ {
		pool := "EchoPool"
		if i%2 == 1 {
			pool = "OtherPool"
		}
		server(t, "-echo", "-poolhandle="+pool, "-registrar="+addr1+":4040")
	}
	d := waitDump(t, addr1+":4041", 30*time.Second, fmt.Sprintf("%d PEs", n), func(d *sandboxtest.Dump) bool {
		return d.PEs() == n && len(d.Pools["EchoPool"]) == 4 && len(d.Pools["OtherPool"]) == 3
	})
	// hsdump prints one "Got ..." line per Handle Table Response: 7 PEs in
	// pages of 2 need 4 of them.
	if pages := strings.Count(d.Raw, "\nGot "); pages < 4 {
		t.Fatalf("%d Handle Table Responses for %d PEs with 2 per page:\n%s", pages, n, d.Raw)
	}
	_ = reg
}
