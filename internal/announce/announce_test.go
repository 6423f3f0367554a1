package announce

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// liveness bounds waits for datagrams that should arrive; it is a hang
// guard, not a performance assertion.
const liveness = 30 * time.Second

func lister(ifs ...Interface) InterfaceLister {
	return func() ([]Interface, error) { return ifs, nil }
}

func TestSystemInterfaces(t *testing.T) {
	ifs, err := SystemInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			continue
		}
		if a, ok := i.IPv4(); !ok || !a.IsLoopback() {
			t.Errorf("loopback %s: IPv4 %v %v", i.Name, a, ok)
		}
		return
	}
	t.Fatalf("no loopback interface among %+v", ifs)
}

func TestInterfaceSelection(t *testing.T) {
	up, mc := net.FlagUp, net.FlagMulticast
	tests := []struct {
		name    string
		ifi     Interface
		canSend bool
		v4      string
	}{
		{"up multicast", Interface{Flags: up | mc, Addrs: []netip.Addr{netip.MustParseAddr("fe80::1"), netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")}}, true, "198.18.0.1"},
		{"down", Interface{Flags: mc, Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}, false, "10.0.0.1"},
		{"no multicast (loopback)", Interface{Flags: up | net.FlagLoopback, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}, false, "127.0.0.1"},
		{"IPv6 only", Interface{Flags: up | mc, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::1")}}, true, ""},
	}
	for _, tt := range tests {
		if got := tt.ifi.CanSend(); got != tt.canSend {
			t.Errorf("%s: CanSend = %v", tt.name, got)
		}
		a, ok := tt.ifi.IPv4()
		if (tt.v4 == "") == ok || (ok && a.String() != tt.v4) {
			t.Errorf("%s: IPv4 = %v %v, want %q", tt.name, a, ok, tt.v4)
		}
	}
}

func TestNewSenderRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  SenderConfig
	}{
		{"unicast group", SenderConfig{Group: netip.MustParseAddrPort("198.18.0.1:3863")}},
		{"no group", SenderConfig{}},
		{"no port", SenderConfig{Group: netip.MustParseAddrPort("239.0.0.50:0")}},
		{"TTL too large", SenderConfig{Group: netip.MustParseAddrPort("239.0.0.50:3863"), TTL: 256}},
		{"TTL negative", SenderConfig{Group: netip.MustParseAddrPort("239.0.0.50:3863"), TTL: -1}},
	}
	for _, tt := range tests {
		if s, err := NewSender(tt.cfg); err == nil {
			s.Close()
			t.Errorf("%s: no error", tt.name)
		}
	}
	if r, err := NewReceiver(ReceiverConfig{Group: netip.MustParseAddrPort("198.18.0.1:3863")}); err == nil {
		r.Close()
		t.Error("receiver on a unicast address: no error")
	}
}

// TestSenderPortSharing checks the bind: the requested port, shared with
// another socket on the same port as RSPLIB programs on one host do.
func TestSenderPortSharing(t *testing.T) {
	for _, group := range []string{"239.0.0.50:3863", "[ff05::1:3863]:3863"} {
		a, err := NewSender(SenderConfig{Group: netip.MustParseAddrPort(group)})
		if err != nil {
			t.Fatalf("%s: %v", group, err)
		}
		defer a.Close()
		port := a.LocalAddr().Port()
		if port == 0 {
			t.Fatalf("%s: bound to port 0", group)
		}
		b, err := NewSender(SenderConfig{Group: netip.MustParseAddrPort(group), Port: port})
		if err != nil {
			t.Fatalf("%s: second socket on port %d: %v", group, port, err)
		}
		defer b.Close()
		if got := b.LocalAddr(); got.Port() != port || !got.Addr().IsUnspecified() {
			t.Errorf("%s: bound to %v, want the wildcard address with port %d", group, got, port)
		}
	}
}

func TestSendInterfaceErrors(t *testing.T) {
	group := netip.MustParseAddrPort("239.0.0.50:3863")
	up, mc := net.FlagUp, net.FlagMulticast
	v4 := []netip.Addr{netip.MustParseAddr("198.18.0.1")}
	tests := []struct {
		name   string
		ifs    []Interface
		errNo  bool
		failed []string
	}{
		{"no interfaces", nil, true, nil},
		{"none usable", []Interface{
			{Index: 1, Name: "lo", Flags: up | net.FlagLoopback, Addrs: v4},
			{Index: 2, Name: "down0", Flags: mc, Addrs: v4},
			{Index: 3, Name: "v6only", Flags: up | mc, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::1")}},
		}, true, nil},
		{"vanished interfaces", []Interface{
			{Index: 999991, Name: "gone0", Flags: up | mc, Addrs: v4},
			{Index: 999992, Name: "gone1", Flags: up | mc, Addrs: v4},
		}, false, []string{"gone0", "gone1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSender(SenderConfig{Group: group, Interfaces: lister(tt.ifs...)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			n, err := s.Send([]byte{0x0a, 0, 0, 8, 1, 2, 3, 4})
			if n != 0 {
				t.Errorf("sent %d copies", n)
			}
			if got := errors.Is(err, ErrNoInterface); got != tt.errNo {
				t.Errorf("err = %v, ErrNoInterface %v", err, tt.errNo)
			}
			for _, name := range tt.failed {
				if err == nil || !strings.Contains(err.Error(), "interface "+name+":") {
					t.Errorf("no error for %s in %v", name, err)
				}
			}
			var ie *InterfaceError
			if len(tt.failed) > 0 && !errors.As(err, &ie) {
				t.Errorf("%v is not an InterfaceError", err)
			}
		})
	}

	failing := func() ([]Interface, error) { return nil, errors.New("netlink broken") }
	s, err := NewSender(SenderConfig{Group: group, Interfaces: failing})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Send([]byte{1}); err == nil || !strings.Contains(err.Error(), "netlink broken") {
		t.Errorf("lister error not returned: %v", err)
	}
}

func TestRejoinCounts(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no interface named lo")
	}
	up := net.FlagUp
	tests := []struct {
		name   string
		group  string
		ifs    []Interface
		joined int
		failed []string
	}{
		{"IPv4 by address, twice is still joined", "239.0.0.51:9901", []Interface{
			{Index: lo.Index, Name: "lo", Flags: up, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
			{Index: 999991, Name: "noaddr", Flags: up},
			{Index: 999992, Name: "gone", Flags: up, Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.77")}},
		}, 1, []string{"gone"}},
		{"IPv6 by index", "[ff05::1:3863]:9901", []Interface{
			{Index: lo.Index, Name: "lo", Flags: up},
			{Index: 999993, Name: "gone", Flags: up},
		}, 1, []string{"gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReceiver(ReceiverConfig{Group: netip.MustParseAddrPort(tt.group), Interfaces: lister(tt.ifs...)})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for round := 1; round <= 2; round++ {
				n, err := r.Rejoin()
				if n != tt.joined {
					t.Errorf("round %d: joined %d, want %d (%v)", round, n, tt.joined, err)
				}
				for _, name := range tt.failed {
					if err == nil || !strings.Contains(err.Error(), "interface "+name+":") {
						t.Errorf("round %d: no error for %s in %v", round, name, err)
					}
				}
			}
		})
	}
}

// TestLoopbackRoundTrip runs sender and receiver over the loopback
// interface, which Linux does not flag as multicast-capable but which
// carries multicast when a socket selects it explicitly; the test's
// interface list claims the flag. This needs no sandbox and no network: the
// datagram arrives with the sender's port as source port, the receiver
// bound to the group sees no datagram sent to another group on the same
// port, and the sender's own socket (IP_MULTICAST_ALL off) gets nothing.
func TestLoopbackRoundTrip(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no interface named lo")
	}
	ifs := lister(Interface{Index: lo.Index, Name: "lo", Flags: net.FlagUp | net.FlagMulticast,
		Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})

	// The port is chosen by the kernel for a first receiver; all sockets of
	// the test share it, as the registrar's announce sockets share 3863.
	probe, err := NewSender(SenderConfig{Group: netip.MustParseAddrPort("239.0.0.50:9"), Interfaces: ifs})
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().Port()
	probe.Close()
	group := netip.AddrPortFrom(netip.MustParseAddr("239.0.0.50"), port)
	other := netip.AddrPortFrom(netip.MustParseAddr("239.0.0.52"), port)

	r := startReceiver(t, ReceiverConfig{Group: group, Interfaces: ifs})
	ro := startReceiver(t, ReceiverConfig{Group: other, Interfaces: ifs})
	s, err := NewSender(SenderConfig{Group: group, Port: port, Interfaces: ifs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	so, err := NewSender(SenderConfig{Group: other, Interfaces: ifs})
	if err != nil {
		t.Fatal(err)
	}
	defer so.Close()

	if n, err := so.Send([]byte("other group")); n != 1 || err != nil {
		t.Fatalf("send to other group: %d %v", n, err)
	}
	ro.expect(t, "other group", so.LocalAddr().Port())
	for _, msg := range []string{"first", "second"} {
		if n, err := s.Send([]byte(msg)); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		r.expect(t, msg, port)
	}
	// The copies for r and for the output socket are queued together, so
	// by now a copy for the output socket would be waiting.
	err = control(s.conn, func(fd int) error {
		n, _, err := unix.Recvfrom(fd, make([]byte, 100), unix.MSG_DONTWAIT)
		if err == nil {
			t.Errorf("the output socket received %d bytes", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type datagram struct {
	payload string
	from    netip.AddrPort
}

type runningReceiver struct {
	*Receiver
	ch chan datagram
}

// startReceiver opens and joins a receiver and runs it until the test
// ends, passing each datagram to a channel.
func startReceiver(t *testing.T, cfg ReceiverConfig) *runningReceiver {
	t.Helper()
	r, err := NewReceiver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Rejoin(); n == 0 {
		r.Close()
		t.Fatalf("joined %v on no interface: %v", cfg.Group, err)
	}
	rr := &runningReceiver{Receiver: r, ch: make(chan datagram, 100)}
	done := make(chan error, 1)
	go func() {
		done <- r.Run(func(p []byte, from netip.AddrPort) {
			select {
			case rr.ch <- datagram{string(p), from}:
			default: // a test that stops reading must not block Run
			}
		})
	}()
	t.Cleanup(func() {
		r.Close()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return rr
}

// expect waits for the next datagram and checks it.
func (r *runningReceiver) expect(t *testing.T, payload string, port uint16) netip.AddrPort {
	t.Helper()
	select {
	case d := <-r.ch:
		if d.payload != payload || d.from.Port() != port {
			t.Errorf("%v received %q from %v, want %q from port %d", r.Group(), d.payload, d.from, payload, port)
		}
		return d.from
	case <-time.After(liveness):
		t.Fatalf("%v: nothing received", r.Group())
	}
	return netip.AddrPort{}
}

// TestFromFile hands both sockets over as files, as the daemon does when it
// re-executes itself, closes the originals, and checks that the copies keep
// port and group membership: a datagram goes out from the registrar's port
// and arrives without a new join. Copies with another configuration than
// the socket's are refused.
func TestFromFile(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no interface named lo")
	}
	ifs := lister(Interface{Index: lo.Index, Name: "lo", Flags: net.FlagUp | net.FlagMulticast,
		Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	probe, err := NewSender(SenderConfig{Group: netip.MustParseAddrPort("239.0.0.53:9"), Interfaces: ifs})
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().Port()
	probe.Close()
	group := netip.AddrPortFrom(netip.MustParseAddr("239.0.0.53"), port)
	rcfg := ReceiverConfig{Group: group, Interfaces: ifs}
	scfg := SenderConfig{Group: group, Port: port, Interfaces: ifs}

	r0, err := NewReceiver(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r0.Rejoin(); n != 1 {
		t.Fatalf("join: %v", err)
	}
	s0, err := NewSender(scfg)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := r0.File()
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	sf, err := s0.File()
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	r0.Close()
	s0.Close()

	other := netip.AddrPortFrom(netip.MustParseAddr("239.0.0.54"), port)
	if r, err := NewReceiverFromFile(rf, ReceiverConfig{Group: other}); err == nil {
		r.Close()
		t.Error("receiver socket accepted for another group")
	}
	if s, err := NewSenderFromFile(sf, SenderConfig{Group: group, Port: port + 1}); err == nil {
		s.Close()
		t.Error("sender socket accepted for another port")
	}
	if s, err := NewSenderFromFile(rf, scfg); err == nil {
		s.Close()
		t.Error("receiver socket accepted as sender")
	}

	r, err := NewReceiverFromFile(rf, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	rr := &runningReceiver{Receiver: r, ch: make(chan datagram, 10)}
	done := make(chan error, 1)
	go func() {
		done <- r.Run(func(p []byte, from netip.AddrPort) { rr.ch <- datagram{string(p), from} })
	}()
	defer func() {
		r.Close()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	s, err := NewSenderFromFile(sf, scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.LocalAddr().Port() != port {
		t.Errorf("sender port %d, want %d", s.LocalAddr().Port(), port)
	}
	if n, err := s.Send([]byte("inherited")); n != 1 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	rr.expect(t, "inherited", port)
}
