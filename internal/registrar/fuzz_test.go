package registrar_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// FuzzCore drives one core with a sequence of events read from the input:
// ASAP requests of a few PEs and pool users over a few associations, ENRP
// messages of a few peers, raw bytes on either socket, association losses,
// send failures and clock ticks. After every event it checks what must
// always hold: no panic, a consistent handlespace whose checksums match a
// recount (Handlespace.Check), only decodable messages sent, and no timer
// left due after HandleTimers.
func FuzzCore(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 1, 2, 0, 0, 1, 3, 0, 7, 50, 3, 1, 0, 5, 1, 2},
		{8, 1, 0, 9, 1, 0, 1, 9, 1, 1, 2, 7, 100, 7, 100, 7, 100},
		{0, 0, 0, 1, 6, 0, 0, 0, 0, 2, 8, 2, 1, 3, 8, 2, 0, 0, 7, 200, 7, 200, 8, 3, 4, 0},
		{10, 4, 1, 0, 0, 8, 10, 1, 3, 2, 0, 0, 0, 11, 0, 1, 3},
	} {
		f.Add(seed)
	}
	f.Fuzz(runCoreFuzz)
}

func runCoreFuzz(t *testing.T, in []byte) {
	{
		fz := &coreFuzzer{in: in, now: int64(time.Second)}
		cfg := registrar.DefaultConfig()
		cfg.ID = 0x0a
		cfg.ENRPPort, cfg.ENRPAddrs = 9901, []netip.Addr{netip.MustParseAddr("198.18.0.10")}
		cfg.MaxElementsPerHTRequest = 3
		cfg.MaxHRRate, cfg.MaxEURate = 50, 50
		c := registrar.New(cfg, fz.now, rand.New(rand.NewPCG(1, 2)), nil)
		for steps := 0; fz.more() && steps < 400; steps++ {
			acts := fz.step(t, c)
			checkActions(t, acts)
			if err := c.Handlespace().Check(); err != nil {
				t.Fatalf("step %d: %v", steps, err)
			}
		}
	}
}

type coreFuzzer struct {
	in  []byte
	at  int
	now int64
}

func (f *coreFuzzer) more() bool { return f.at < len(f.in) }

func (f *coreFuzzer) byte() byte {
	if f.at >= len(f.in) {
		return 0
	}
	b := f.in[f.at]
	f.at++
	return b
}

var fuzzPolicies = []rserpool.PolicySettings{
	{Type: rserpool.PolicyRoundRobin},
	{Type: rserpool.PolicyWeightedRoundRobin, Weight: 3},
	{Type: rserpool.PolicyLeastUsed, Load: 1000},
	{Type: rserpool.PolicyLeastUsedDPF, Load: 10, LoadDPF: 1},
	{Type: rserpool.PolicyPriorityLeastUsed, Weight: 2, Load: 5},
}

func (f *coreFuzzer) handle() rserpool.PoolHandle {
	return []rserpool.PoolHandle{"P", "Q", "EchoPool"}[f.byte()%3]
}

func (f *coreFuzzer) peID() rserpool.PEID { return rserpool.PEID(f.byte()%8 + 1) }

func (f *coreFuzzer) peer() rserpool.RegistrarID { return rserpool.RegistrarID(f.byte()%3 + 0x0b) }

func peerAddr(id rserpool.RegistrarID) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 0, byte(id)}), 9901)
}

func (f *coreFuzzer) step(t *testing.T, c *registrar.Core) []registrar.Action {
	op := f.byte() % 12
	assoc := registrar.AssocID(f.byte()%4 + 1)
	asapInfo := &registrar.AssocInfo{OK: true, Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2")}, Port: 40000,
		SRTT: 4 * time.Millisecond}
	asap := func(m wire.Message) []registrar.Action {
		b, err := m.AppendTo(nil)
		if err != nil {
			return nil
		}
		return c.HandleMessage(f.now, registrar.SocketASAP, assoc, wire.PPIDASAP, b, asapInfo)
	}
	switch op {
	case 0:
		pe := rserpool.PoolElement{ID: f.peID(), RegistrationLife: uint32(f.byte()) * 1000,
			User:   rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 40000, Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2")}},
			Policy: fuzzPolicies[int(f.byte())%len(fuzzPolicies)]}
		return asap(&wire.Registration{Handle: f.handle(), PE: pe})
	case 1:
		return asap(&wire.Deregistration{Handle: f.handle(), ID: f.peID()})
	case 2:
		return asap(&wire.HandleResolution{Handle: f.handle(), Items: uint32(f.byte() % 5)})
	case 3:
		return asap(&wire.EndpointKeepAliveAck{Handle: f.handle(), ID: f.peID()})
	case 4:
		return asap(&wire.EndpointUnreachable{Handle: f.handle(), ID: f.peID()})
	case 5:
		sock := registrar.Socket(f.byte() % 2)
		return c.HandleAssocChange(f.now, sock, assoc, registrar.AssocCommLost)
	case 6:
		sock := registrar.Socket(f.byte() % 2)
		ppid := wire.PPIDASAP
		if sock == registrar.SocketENRP {
			ppid = wire.PPIDENRP
		}
		return c.HandleSendFailed(f.now, registrar.SendFailed{Sock: sock, Assoc: assoc, PPID: ppid, Type: f.byte() % 16,
			Why: registrar.SendFailure(f.byte() % 4)})
	case 7:
		f.now += int64(f.byte()) * int64(100*time.Millisecond)
		acts := c.HandleTimers(f.now)
		if next, ok := c.NextDeadline(); ok && next <= f.now {
			t.Fatalf("a timer is still due at %d after HandleTimers(%d)", next, f.now)
		}
		return acts
	case 8, 9:
		from := f.peer()
		ap := peerAddr(from)
		m := f.enrpMessage(from, c.ID())
		b, err := m.AppendTo(nil)
		if err != nil {
			return nil
		}
		if op == 9 {
			return c.HandleMulticast(f.now, b, ap)
		}
		info := &registrar.AssocInfo{OK: true, Addrs: []netip.Addr{ap.Addr()}, Port: ap.Port(), SRTT: 2 * time.Millisecond}
		return c.HandleMessage(f.now, registrar.SocketENRP, assoc+10, wire.PPIDENRP, b, info)
	default:
		// Raw bytes, a length byte and that many more.
		n := int(f.byte())
		end := min(f.at+n, len(f.in))
		raw := append([]byte(nil), f.in[f.at:end]...)
		f.at = end
		if op == 10 {
			return c.HandleMessage(f.now, registrar.SocketASAP, assoc, wire.PPIDASAP, raw, asapInfo)
		}
		return c.HandleMessage(f.now, registrar.SocketENRP, assoc+10, wire.PPIDENRP, raw,
			&registrar.AssocInfo{OK: true, Addrs: []netip.Addr{peerAddr(0x0b).Addr()}, Port: 9901})
	}
}

func (f *coreFuzzer) enrpMessage(from, to rserpool.RegistrarID) wire.Message {
	ap := peerAddr(from)
	self := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: ap.Port(), Addrs: []netip.Addr{ap.Addr()}}
	switch f.byte() % 7 {
	case 0:
		return &wire.Presence{Sender: from, Receiver: to, ReplyRequired: f.byte()&1 == 1,
			Checksum: uint16(f.byte()) * 257, Info: wire.ServerInfo{ID: from, Transport: self}}
	case 1:
		return &wire.HandleTableRequest{Sender: from, Receiver: to, OwnChildrenOnly: f.byte()&1 == 1}
	case 2, 3:
		action := wire.UpdateAddPE
		if f.byte()&1 == 1 {
			action = wire.UpdateDelPE
		}
		home := from
		if f.byte()&3 == 0 {
			home = f.peer()
		}
		user := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 40000, Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.3")}}
		return &wire.HandleUpdate{Sender: from, Receiver: to, Action: action, Handle: f.handle(),
			PE: rserpool.PoolElement{ID: f.peID(), Home: home, RegistrationLife: 60000, User: user,
				Policy: fuzzPolicies[int(f.byte())%len(fuzzPolicies)], HasRegistrator: true, Registrator: user}}
	case 4:
		return &wire.InitTakeover{Sender: from, Receiver: to, Target: f.peer()}
	case 5:
		return &wire.InitTakeoverAck{Sender: from, Receiver: to, Target: f.peer()}
	default:
		return &wire.TakeoverServer{Sender: from, Receiver: to, Target: f.peer()}
	}
}

// checkActions fails if the core asked to send something it cannot decode
// itself, or an action without what it needs.
func checkActions(t *testing.T, acts []registrar.Action) {
	t.Helper()
	for i := range acts {
		a := &acts[i]
		switch a.Kind {
		case registrar.ActSend, registrar.ActSendTo, registrar.ActMulticastASAP, registrar.ActMulticastENRP:
			if _, err := wire.Decode(a.PPID, a.Data, wire.DecodeOptions{}); err != nil {
				t.Fatalf("action %d (kind %d) sends an undecodable message: %v", i, a.Kind, err)
			}
			if a.Kind == registrar.ActSendTo && (a.To == nil || len(a.To.Addrs) == 0) {
				t.Fatalf("action %d sends to no address", i)
			}
			if a.Kind == registrar.ActSend && a.Assoc == 0 {
				t.Fatalf("action %d sends on association 0", i)
			}
		case registrar.ActAbort:
			if a.Assoc == 0 {
				t.Fatalf("action %d aborts association 0", i)
			}
		}
	}
}
