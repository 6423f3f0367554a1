package announce

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// The sandbox has loopback (not multicast-capable) and dummy0 (multicast,
// 198.18.0.1 primary, 198.18.0.2-4, 2001:db8::1) with multicast routes.
var (
	asapGroup = netip.MustParseAddrPort("239.0.0.50:3863")
	enrpGroup = netip.MustParseAddrPort("239.0.0.51:9901")
	// ff05::/16 is site-local scope; the group ID 1:3863 is unassigned.
	v6Group   = netip.MustParseAddrPort("[ff05::1:3863]:3863")
	dummyAddr = netip.MustParseAddr("198.18.0.1")
)

// serverAnnounce is an ASAP Server Announce for registrar id: type 0x0a,
// flags 0, length 8, the id, and no transport parameter.
func serverAnnounce(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0x0a, 0x00, 0x00, 0x08}, id)
}

// TestSandboxMulticastIPv4 sends to the ASAP announce group from port 3863
// and receives on a socket bound to the group, over the real interfaces.
func TestSandboxMulticastIPv4(t *testing.T) {
	sandboxtest.Require(t)
	r := startReceiver(t, ReceiverConfig{Group: asapGroup})
	s, err := NewSender(SenderConfig{Group: asapGroup, Port: 3863})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msg := serverAnnounce(0x5eedc0de)
	n, err := s.Send(msg)
	if n == 0 {
		t.Fatalf("no copy sent: %v", err)
	}
	t.Logf("sent %d copies (errors: %v)", n, err)
	from := r.expect(t, string(msg), 3863)
	if from.Addr() != dummyAddr {
		t.Errorf("datagram from %v, want dummy0's primary address %v", from, dummyAddr)
	}
}

// TestSandboxMulticastIPv6 does the same with a site-local IPv6 group.
func TestSandboxMulticastIPv6(t *testing.T) {
	sandboxtest.Require(t)
	r := startReceiver(t, ReceiverConfig{Group: v6Group})
	s, err := NewSender(SenderConfig{Group: v6Group, Port: 3863})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.Send([]byte("ipv6 announce"))
	if n == 0 {
		t.Fatalf("no copy sent: %v", err)
	}
	from := r.expect(t, "ipv6 announce", 3863)
	if !from.Addr().Is6() {
		t.Errorf("datagram from %v", from)
	}
	t.Logf("sent %d copies, received from %v", n, from)
}

// TestSandboxRSPLIBRegistrarAnnounces starts RSPLIB's registrar with
// announces on (the default) and receives its ENRP Presence on
// 239.0.0.51:9901 and, after its initialization phase, its ASAP Server
// Announces on 239.0.0.50:3863, each from the SCTP port number.
func TestSandboxRSPLIBRegistrarAnnounces(t *testing.T) {
	sandboxtest.Require(t)
	registrar := sandboxtest.Program(t, "rspregistrar")
	enrp := startReceiver(t, ReceiverConfig{Group: enrpGroup})
	asap := startReceiver(t, ReceiverConfig{Group: asapGroup})
	sandboxtest.Start(t, nil, registrar, "-identifier=0x5eedc0de", "-asap=198.18.0.1:3863", "-enrp=198.18.0.1:9901", "-loglevel=4")

	d := enrp.next(t)
	if len(d.payload) < 12 || d.payload[0] != 0x01 || !bytes.Equal([]byte(d.payload[4:8]), []byte{0x5e, 0xed, 0xc0, 0xde}) {
		t.Errorf("ENRP datagram %x is not a Presence from $5eedc0de", d.payload)
	}
	if d.from != netip.AddrPortFrom(dummyAddr, 9901) {
		t.Errorf("ENRP Presence from %v, want 198.18.0.1:9901", d.from)
	}
	t.Logf("ENRP Presence, %d bytes, from %v", len(d.payload), d.from)

	d = asap.next(t)
	if d.payload != string(serverAnnounce(0x5eedc0de)) {
		t.Errorf("ASAP datagram %x, want a Server Announce from $5eedc0de", d.payload)
	}
	if d.from != netip.AddrPortFrom(dummyAddr, 3863) {
		t.Errorf("ASAP Server Announce from %v, want 198.18.0.1:3863", d.from)
	}
	t.Logf("ASAP Server Announce %x from %v", d.payload, d.from)
}

// TestSandboxRSPServerFollowsOurAnnounce shows that RSPLIB clients accept
// our announces: an RSPLIB registrar runs with its own announces off, we
// announce it from UDP port 3863 (its SCTP port), and an RSPLIB PE that has
// no static registrar finds it through our announce alone and registers.
func TestSandboxRSPServerFollowsOurAnnounce(t *testing.T) {
	sandboxtest.Require(t)
	registrar := sandboxtest.Program(t, "rspregistrar")
	rspserver := sandboxtest.Program(t, "rspserver")
	pr := sandboxtest.Start(t, nil, registrar, "-identifier=0x5eedc0de", "-asap=198.18.0.1:3863", "-enrp=198.18.0.1:9901",
		"-asapannounce=off", "-enrpannounce=off", "-loglevel=4")
	pr.WaitFor(t, regexp.QuoteMeta("Registrar started"), liveness)

	s, err := NewSender(SenderConfig{Group: asapGroup, Port: 3863})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Announce as a registrar does (RSPLIB: every second); clients
		// forget a registrar 5 s after its last announce.
		for {
			if n, err := s.Send(serverAnnounce(0x5eedc0de)); n == 0 {
				t.Errorf("announce not sent: %v", err)
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	pe := sandboxtest.Start(t, nil, rspserver, "-echo", "-loglevel=3")
	pe.WaitFor(t, regexp.QuoteMeta("Connected to registrar $5eedc0de"), liveness)
	pr.WaitFor(t, regexp.QuoteMeta("Successfully registered EchoPool/"), liveness)
}

// next returns the next datagram.
func (r *runningReceiver) next(t *testing.T) datagram {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(liveness):
		t.Fatalf("%v: nothing received", r.Group())
	}
	return datagram{}
}
