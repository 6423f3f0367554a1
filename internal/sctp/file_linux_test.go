//go:build linux && !386

package sctp

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// TestFileSocketRejects hands FileSocket descriptors that are not listening
// one-to-many SCTP sockets; it needs no kernel SCTP.
func TestFileSocketRejects(t *testing.T) {
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	uf, err := udp.File()
	if err != nil {
		t.Fatal(err)
	}
	defer uf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, tt := range []struct {
		name string
		f    *os.File
		want string
	}{
		{"udp", uf, "not a one-to-many socket"},
		{"pipe", r, "getsockopt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FileSocket(tt.f, 0)
			if err == nil {
				s.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestSandboxFileSocket passes a bound socket through File and FileSocket,
// closes the original, and checks that the copy keeps port, family and
// listen state: a client's association comes up on it and messages flow
// both ways.
func TestSandboxFileSocket(t *testing.T) {
	sandboxtest.Require(t)
	for _, ipv4 := range []bool{false, true} {
		orig, err := Listen(Config{IPv4Only: ipv4, Addrs: []netip.Addr{addr1}})
		if err != nil {
			t.Fatal(err)
		}
		f, err := orig.File()
		if err != nil {
			t.Fatal(err)
		}
		orig.Close()
		srv, err := FileSocket(f, 0)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		if srv.Port() != orig.Port() || srv.IPv6() != !ipv4 {
			t.Errorf("IPv4 only %v: port %d (was %d), IPv6 %v", ipv4, srv.Port(), orig.Port(), srv.IPv6())
		}
		cli := listen(t, Config{IPv4Only: true, Addrs: []netip.Addr{addr3}})
		if _, err := cli.SendTo([]netip.Addr{addr1}, srv.Port(), []byte("ping"), SendInfo{PPID: 11}); err != nil {
			t.Fatal(err)
		}
		m := &Message{}
		readUntil(t, srv, m, "ping", isData)
		if string(m.Data) != "ping" || m.Info.PPID != 11 {
			t.Fatalf("got %s", describe(m))
		}
		if err := srv.Send(m.Info.Assoc, []byte("pong"), SendInfo{PPID: 11}); err != nil {
			t.Fatal(err)
		}
		readUntil(t, cli, m, "pong", isData)
		if string(m.Data) != "pong" {
			t.Fatalf("got %s", describe(m))
		}
	}
}
