package interop

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// The sandbox's addresses (test/sandbox/run).
const (
	addr1 = "198.18.0.1"
	addr2 = "198.18.0.2"
	addr3 = "198.18.0.3"
)

// registrar starts our rspregistrar on addr with ASAP port asapPort and ENRP
// port asapPort+1, announces off unless args turn them on, and waits until
// it runs.
func registrar(t *testing.T, addr string, asapPort int, args ...string) *sandboxtest.Proc {
	t.Helper()
	all := append([]string{
		fmt.Sprintf("-asap=%s:%d", addr, asapPort),
		fmt.Sprintf("-enrp=%s:%d", addr, asapPort+1),
		"-asapannounce=off", "-enrpannounce=off",
		"-loglevel=4", "-logcolor=off",
	}, args...)
	p := sandboxtest.Start(t, nil, sandboxtest.Registrar(t), all...)
	p.WaitFor(t, `Registrar started`, 10*time.Second)
	return p
}

// server starts RSPLIB's rspserver with the service and options given.
func server(t *testing.T, args ...string) *sandboxtest.Proc {
	t.Helper()
	return sandboxtest.Start(t, nil, sandboxtest.Program(t, "rspserver"), append([]string{"-loglevel=3", "-logcolor=off"}, args...)...)
}

// peID waits for the line in which rspserver names its PE id ... we learn it
// from our registrar's log instead.
func registered(t *testing.T, reg *sandboxtest.Proc, pool string, timeout time.Duration) uint32 {
	t.Helper()
	m := reg.WaitFor(t, `Successfully registered `+regexp.QuoteMeta(pool)+`/\$([0-9a-f]{8})`, timeout)
	var id uint32
	fmt.Sscanf(m[1], "%x", &id)
	return id
}

// asapClient is a minimal pool user speaking ASAP over our own SCTP layer,
// for checks that need to see the registrar's answers themselves.
type asapClient struct {
	t    *testing.T
	s    *sctp.Socket
	to   netip.AddrPort
	msg  sctp.Message
	asoc sctp.AssocID
}

func newASAPClient(t *testing.T, registrarAddr string, port int) *asapClient {
	t.Helper()
	s, err := sctp.Listen(sctp.Config{IPv4Only: true, Addrs: []netip.Addr{netip.MustParseAddr(addr3)}})
	if err != nil {
		t.Fatalf("client socket: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return &asapClient{t: t, s: s, to: netip.AddrPortFrom(netip.MustParseAddr(registrarAddr), uint16(port))}
}

func (c *asapClient) request(m wire.Message) wire.Message {
	c.t.Helper()
	b, err := m.AppendTo(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	assoc, err := c.s.SendTo([]netip.Addr{c.to.Addr()}, c.to.Port(), b, sctp.SendInfo{PPID: m.PPID()})
	if err != nil {
		c.t.Fatalf("send: %v", err)
	}
	c.asoc = assoc
	_ = c.s.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if err := c.s.Read(&c.msg); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if c.msg.Notification != nil {
			continue
		}
		r, err := wire.Decode(c.msg.Info.PPID, c.msg.Data, wire.DecodeOptions{KeepAllAddresses: true})
		if err != nil {
			c.t.Fatalf("decode reply: %v", err)
		}
		return r
	}
}

// resolve asks for a pool and returns the PE ids in the answer's order.
func (c *asapClient) resolve(pool string, items uint32) (*wire.HandleResolutionResponse, []uint32) {
	c.t.Helper()
	r, ok := c.request(&wire.HandleResolution{Handle: rserpool.PoolHandle(pool), Items: items}).(*wire.HandleResolutionResponse)
	if !ok {
		c.t.Fatalf("no Handle Resolution Response")
	}
	var ids []uint32
	for _, pe := range r.PEs {
		ids = append(ids, uint32(pe.ID))
	}
	return r, ids
}

func hexIDs(ids []uint32) string {
	var s []string
	for _, id := range ids {
		s = append(s, fmt.Sprintf("$%08x", id))
	}
	return strings.Join(s, " ")
}

// rsplibRegistrar starts RSPLIB's rspregistrar the same way as registrar.
func rsplibRegistrar(t *testing.T, addr string, asapPort int, args ...string) *sandboxtest.Proc {
	t.Helper()
	all := append([]string{
		fmt.Sprintf("-asap=%s:%d", addr, asapPort),
		fmt.Sprintf("-enrp=%s:%d", addr, asapPort+1),
		"-asapannounce=off", "-enrpannounce=off",
		"-loglevel=4", "-logcolor=off",
	}, args...)
	p := sandboxtest.Start(t, nil, sandboxtest.Program(t, "rspregistrar"), all...)
	p.WaitFor(t, `Registrar started`, 10*time.Second)
	return p
}

// waitDump polls hsdump until cond holds for the handlespace it shows.
func waitDump(t *testing.T, enrp string, timeout time.Duration, what string, cond func(*sandboxtest.Dump) bool) *sandboxtest.Dump {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d := sandboxtest.HSDump(t, enrp)
		if cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen in hsdump of %s within %v:\n%s", what, enrp, timeout, d.Raw)
		}
		time.Sleep(time.Second)
	}
}

// homeOf returns the home registrar of PE id in pool, 0 if absent.
func homeOf(d *sandboxtest.Dump, pool string, id uint32) uint32 {
	for _, pe := range d.Pools[pool] {
		if pe.ID == id {
			return pe.Home
		}
	}
	return 0
}
