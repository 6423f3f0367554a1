package registrar_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/simnet"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// The core benchmarks feed pre-encoded ASAP requests straight into
// Core.HandleMessage, as the daemon's event loop does, for a registrar that
// owns n PEs on 100 associations in 100 pools. They measure the protocol work
// per message (decode, handlespace, encode of the reply) without sockets; the
// socket side is measured by cmd/rspbench in the sandbox.

const (
	benchAssocs = 100
	benchPools  = 100
)

type coreBench struct {
	core  *registrar.Core
	now   int64
	infos []registrar.AssocInfo
	reg   [][]byte // Registration of PE i
	dereg [][]byte // Deregistration of PE i
	ack   [][]byte // Endpoint Keep Alive Ack of PE i
	hr    [][]byte // Handle Resolution of pool i
}

func benchHandle(i int) rserpool.PoolHandle {
	return rserpool.PoolHandle(fmt.Sprintf("BenchPool-%d", i%benchPools))
}

func benchAssoc(i int) registrar.AssocID { return registrar.AssocID(1 + i%benchAssocs) }

func mustEncode(tb testing.TB, m wire.Message) []byte {
	b, err := m.AppendTo(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// newCoreBench builds the messages of 2n PEs (the second n for fresh
// registrations) and registers the first n.
func newCoreBench(tb testing.TB, n int) *coreBench {
	cfg := registrar.DefaultConfig()
	cfg.ID = 0x0a0a0a0a
	cfg.ASAPAnnounce, cfg.ENRPAnnounce = false, false
	cb := &coreBench{now: 1}
	cb.core = registrar.New(cfg, cb.now, nil, nil)
	for a := range benchAssocs {
		addr := netip.AddrFrom4([4]byte{198, 18, 1, byte(a)})
		cb.infos = append(cb.infos, registrar.AssocInfo{OK: true, Addrs: []netip.Addr{addr}, Port: uint16(20000 + a), SRTT: time.Millisecond})
	}
	for i := range 2 * n {
		h := benchHandle(i)
		info := &cb.infos[i%benchAssocs]
		pe := rserpool.PoolElement{ID: rserpool.PEID(0x10000000 + i), RegistrationLife: 90000,
			User:   rserpool.Transport{Protocol: rserpool.ProtocolSCTP, ControlChannel: true, Port: uint16(30000 + i%30000), Addrs: info.Addrs},
			Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}}
		cb.reg = append(cb.reg, mustEncode(tb, &wire.Registration{Handle: h, PE: pe}))
		cb.dereg = append(cb.dereg, mustEncode(tb, &wire.Deregistration{Handle: h, ID: pe.ID}))
		cb.ack = append(cb.ack, mustEncode(tb, &wire.EndpointKeepAliveAck{Handle: h, ID: pe.ID}))
	}
	for p := range benchPools {
		cb.hr = append(cb.hr, mustEncode(tb, &wire.HandleResolution{Handle: benchHandle(p)}))
	}
	for i := range n {
		cb.send(tb, i, cb.reg[i])
	}
	if got := cb.core.Handlespace().PEs(); got != n {
		tb.Fatalf("%d PEs registered, want %d", got, n)
	}
	return cb
}

// send hands one request of PE (or pool) i to the core and checks that it
// produced exactly the one reply.
func (cb *coreBench) send(tb testing.TB, i int, msg []byte) {
	cb.now += 1000
	acts := cb.core.HandleMessage(cb.now, registrar.SocketASAP, benchAssoc(i), wire.PPIDASAP, msg, &cb.infos[i%benchAssocs])
	if len(acts) != 1 || acts[0].Kind != registrar.ActSend {
		tb.Fatalf("request %d: %d actions %+v", i, len(acts), acts)
	}
}

func benchCoreSizes() []int { return []int{1000, 100000} }

// BenchmarkCore reports the cost of one request through the core; 1e9 /
// ns/op is the core's ceiling in requests per second on one CPU.
func BenchmarkCore(b *testing.B) {
	for _, n := range benchCoreSizes() {
		cb := newCoreBench(b, n)
		b.Run(fmt.Sprintf("Reregistration/pes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cb.send(b, i%n, cb.reg[i%n])
				i++
			}
		})
		b.Run(fmt.Sprintf("RegistrationAndDeregistration/pes=%d", n), func(b *testing.B) {
			// A fresh PE registers and goes again, so that the
			// handlespace keeps its size: two requests per op.
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := n + i%n
				cb.send(b, k, cb.reg[k])
				cb.send(b, k, cb.dereg[k])
				i++
			}
		})
		b.Run(fmt.Sprintf("HandleResolution/pes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cb.core.HandleMessage(cb.now, registrar.SocketASAP, benchAssoc(i), wire.PPIDASAP, cb.hr[i%benchPools], nil)
				i++
			}
		})
		b.Run(fmt.Sprintf("KeepAliveAck/pes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cb.now += 1000
				cb.core.HandleMessage(cb.now, registrar.SocketASAP, benchAssoc(i%n), wire.PPIDASAP, cb.ack[i%n], nil)
				i++
			}
		})
		b.Run(fmt.Sprintf("KeepAliveRound/pes=%d", n), func(b *testing.B) {
			// Every PE's keep-alive falls due: the core sends n Endpoint
			// Keep Alives, which are then acknowledged. Per op: one PE.
			b.ReportAllocs()
			for b.Loop() {
				cb.now += int64(registrar.DefaultConfig().KeepAliveTransmissionInterval)
				acts := cb.core.HandleTimers(cb.now)
				if len(acts) < n {
					b.Fatalf("%d keep-alives for %d PEs", len(acts), n)
				}
				for i := range n {
					cb.core.HandleMessage(cb.now, registrar.SocketASAP, benchAssoc(i), wire.PPIDASAP, cb.ack[i], nil)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pe")
		})
	}
}

// BenchmarkSync measures a second registrar taking over the handlespace of
// n PEs from its mentor by Handle Table paging, through the simulated
// network (both cores, one process). Per op: one complete synchronisation.
func BenchmarkSync(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("pes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				net := simnet.New(1)
				net.Latency = 100 * time.Microsecond
				cfg := registrar.DefaultConfig()
				cfg.ASAPAnnounce, cfg.ENRPAnnounce = false, false
				cfg.KeepAliveTransmissionInterval = time.Hour
				cfg.ID = 0x0a0a0a0a
				mentor := net.AddRegistrar(cfg)
				for c := range benchAssocs {
					pe := net.AddClient(mentor)
					for i := c; i < n; i += benchAssocs {
						pe.Register(benchHandle(i), rserpool.PEID(0x10000000+i), rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin})
					}
				}
				net.RunFor(time.Second)
				if got := mentor.Core.Handlespace().PEs(); got != n {
					b.Fatalf("mentor has %d PEs, want %d", got, n)
				}
				cfg.ID = 0x0b0b0b0b
				cfg.StaticPeers = []rserpool.Transport{mentor.ENRPTransport()}
				second := net.AddRegistrar(cfg)
				b.StartTimer()
				// The mentor does not know the newcomer, which speaks
				// first after its 5 s mentor discovery timeout and then
				// pulls the mentor's PEs (simulated time is free).
				limit := net.Now + int64(time.Minute)
				for second.Core.Handlespace().PEs() < n && net.Now < limit {
					net.RunFor(10 * time.Millisecond)
				}
				if got := second.Core.Handlespace().PEs(); got != n {
					b.Fatalf("second registrar has %d PEs, want %d", got, n)
				}
			}
		})
	}
}
