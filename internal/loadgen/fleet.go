package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

// Config describes a fleet of pool elements.
type Config struct {
	// Registrar is the ASAP endpoint of the registrar under test.
	Registrar netip.AddrPort
	// Locals are the local addresses; association i binds Locals[i %
	// len(Locals)] (one address each, so that it is the PE's only user
	// address and the registrar's filter keeps it).
	Locals []netip.Addr
	// PEs is the number of pool elements, Assocs the number of associations
	// they share (PE i uses association i % Assocs), Window the requests in
	// flight per association.
	PEs, Assocs, Window int
	// Pools is the number of pools; PE i belongs to Handle(i).
	Pools int
	// FirstID is PE 0's identifier; PE i has FirstID+i.
	FirstID rserpool.PEID
	// Life is the registration life sent, in milliseconds.
	Life uint32
	// Policy of every PE (RSPLIB's default is Round Robin).
	Policy rserpool.PolicySettings
	// Rate, if positive, paces Register to that many registrations a
	// second (over the whole fleet), so that the registrar's keep-alive
	// timers are spread out evenly; otherwise the window is the only limit.
	Rate float64
}

// PoolHandle returns the handle of pool p.
func PoolHandle(p int) rserpool.PoolHandle {
	return rserpool.PoolHandle(fmt.Sprintf("BenchPool-%d", p))
}

// Handles returns the handles of n pools.
func Handles(n int) []rserpool.PoolHandle {
	out := make([]rserpool.PoolHandle, n)
	for p := range out {
		out[p] = PoolHandle(p)
	}
	return out
}

func (cfg *Config) check() error {
	switch {
	case cfg.PEs <= 0 || cfg.Assocs <= 0 || cfg.Window <= 0 || cfg.Pools <= 0:
		return fmt.Errorf("loadgen: PEs, associations, window and pools must be positive (%d, %d, %d, %d)",
			cfg.PEs, cfg.Assocs, cfg.Window, cfg.Pools)
	case len(cfg.Locals) == 0:
		return errors.New("loadgen: no local addresses")
	case cfg.FirstID == 0 || uint64(cfg.FirstID)+uint64(cfg.PEs) > 1<<32:
		return fmt.Errorf("loadgen: PE identifiers %d+%d out of range", cfg.FirstID, cfg.PEs)
	}
	return nil
}

// Fleet is a set of pool elements on Assocs associations. It acknowledges
// every Endpoint Keep Alive it gets, from any registrar, and notes which PEs
// were asked by a registrar to make it their home (a takeover).
type Fleet struct {
	cfg     Config
	handles []rserpool.PoolHandle
	conns   []*conn

	kaReceived          atomic.Uint64
	homeSeen            []atomic.Bool
	homeCount           atomic.Int64
	homeFirst, homeLast atomic.Int64 // UnixNano
	homeServer          atomic.Uint32
	homeServers         atomic.Uint32 // 1 if all home keep-alives came from one server
}

// NewFleet opens the fleet's sockets (no association yet).
func NewFleet(cfg Config) (*Fleet, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	f := &Fleet{cfg: cfg, handles: Handles(cfg.Pools), homeSeen: make([]atomic.Bool, cfg.PEs)}
	for i := range min(cfg.Assocs, cfg.PEs) {
		c, err := dial(cfg.Locals[i%len(cfg.Locals)], cfg.Registrar, cfg.Window)
		if err != nil {
			f.Close()
			return nil, err
		}
		c.keepAlive = f.keepAlive
		c.start()
		f.conns = append(f.conns, c)
	}
	return f, nil
}

// Close closes every socket.
func (f *Fleet) Close() {
	for _, c := range f.conns {
		c.close()
	}
}

func (f *Fleet) pesOf(i int) int {
	m := len(f.conns)
	return (f.cfg.PEs - i + m - 1) / m
}

// element returns PE k's registration data (user transport on conn c).
func (f *Fleet) element(k int, c *conn) rserpool.PoolElement {
	return rserpool.PoolElement{
		ID:               f.cfg.FirstID + rserpool.PEID(k),
		RegistrationLife: f.cfg.Life,
		User: rserpool.Transport{Protocol: rserpool.ProtocolSCTP, ControlChannel: true,
			Port: uint16(20000 + k%40000), Addrs: c.locals},
		Policy: f.cfg.Policy,
	}
}

// Register registers (or, if they are registered, re-registers) every PE
// and returns when all are answered.
func (f *Fleet) Register(ctx context.Context) (*Result, error) {
	var every time.Duration
	if f.cfg.Rate > 0 {
		every = time.Duration(float64(len(f.conns)) / f.cfg.Rate * float64(time.Second))
	}
	start := time.Now()
	return phase(ctx, f.conns, f.pesOf, func(ctx context.Context, i int, c *conn) error {
		var buf []byte
		for n, k := 0, i; k < f.cfg.PEs; n, k = n+1, k+len(f.conns) {
			if every > 0 {
				// Connection i sends its n-th registration at
				// (n + i/conns) intervals after the start.
				at := start.Add(time.Duration(n)*every + every*time.Duration(i)/time.Duration(len(f.conns)))
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
			}
			m := wire.Registration{Handle: f.handles[k%len(f.handles)], PE: f.element(k, c)}
			var err error
			if buf, err = m.AppendTo(buf[:0]); err != nil {
				return err
			}
			if err := c.request(ctx, wire.ASAPRegistrationResponse, m.PE.ID, buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// Deregister deregisters every PE.
func (f *Fleet) Deregister(ctx context.Context) (*Result, error) {
	return phase(ctx, f.conns, f.pesOf, func(ctx context.Context, i int, c *conn) error {
		var buf []byte
		for k := i; k < f.cfg.PEs; k += len(f.conns) {
			m := wire.Deregistration{Handle: f.handles[k%len(f.handles)], ID: f.cfg.FirstID + rserpool.PEID(k)}
			var err error
			if buf, err = m.AppendTo(buf[:0]); err != nil {
				return err
			}
			if err := c.request(ctx, wire.ASAPDeregistrationResponse, m.ID, buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// keepAlive appends the acknowledgement of a keep-alive to buf, for the
// association it came over, as RSPLIB's PE answers; one with the home flag
// makes the sender the PE's home.
func (f *Fleet) keepAlive(c *conn, m *wire.EndpointKeepAlive, buf []byte, now *int64) []byte {
	f.kaReceived.Add(1)
	ack := wire.EndpointKeepAliveAck{Handle: m.Handle, ID: m.ID}
	if out, err := ack.AppendTo(buf); err == nil {
		buf = out
	}
	if !m.Home {
		return buf
	}
	k := int64(m.ID) - int64(f.cfg.FirstID)
	if k < 0 || k >= int64(f.cfg.PEs) || f.homeSeen[k].Swap(true) {
		return buf
	}
	if *now == 0 {
		*now = time.Now().UnixNano()
	}
	at := *now
	if f.homeCount.Add(1) == 1 {
		f.homeFirst.Store(at)
		f.homeServer.Store(uint32(m.ServerID))
		f.homeServers.Store(1)
	} else if f.homeServer.Load() != uint32(m.ServerID) {
		f.homeServers.Store(2)
	}
	for {
		last := f.homeLast.Load()
		if at <= last || f.homeLast.CompareAndSwap(last, at) {
			break
		}
	}
	return buf
}

// KeepAliveStats counts the keep-alives the fleet got.
type KeepAliveStats struct {
	Received, AckFailed uint64
	// Lost counts associations to the registrar under test that ended.
	Lost uint64
	// ReadErrors counts failed socket reads.
	ReadErrors uint64
	// Unexpected counts answers that matched no request and messages of
	// other types.
	Unexpected uint64
	// LastLoss says how the last lost association ended, if one did.
	LastLoss string
}

// KeepAlives returns the keep-alive counters.
func (f *Fleet) KeepAlives() KeepAliveStats {
	s := KeepAliveStats{Received: f.kaReceived.Load()}
	for _, c := range f.conns {
		s.Lost += c.lost.Load()
		s.Unexpected += c.other.Load()
		s.ReadErrors += c.readErrs.Load()
		s.AckFailed += c.ackFailed.Load()
		if why := c.lastLoss.Load(); why != nil {
			s.LastLoss = *why
		}
	}
	return s
}

// Takeover is what the fleet saw of a takeover: Endpoint Keep Alives with
// the home flag for Count distinct PEs, the first and the last at First and
// Last, all from Server (zero if several registrars sent them).
type Takeover struct {
	Count       int
	First, Last time.Time
	Server      rserpool.RegistrarID
}

// Takeover returns the home keep-alives seen so far.
func (f *Fleet) Takeover() Takeover {
	t := Takeover{Count: int(f.homeCount.Load())}
	if t.Count == 0 {
		return t
	}
	t.First = time.Unix(0, f.homeFirst.Load())
	t.Last = time.Unix(0, f.homeLast.Load())
	if f.homeServers.Load() == 1 {
		t.Server = rserpool.RegistrarID(f.homeServer.Load())
	}
	return t
}

// WaitTakeover waits until every PE got a home keep-alive, or none came for
// quiet (after the first), or ctx ends. It returns what it saw, with an error
// unless every PE was told.
func (f *Fleet) WaitTakeover(ctx context.Context, quiet time.Duration) (Takeover, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		t := f.Takeover()
		if t.Count >= f.cfg.PEs {
			return t, nil
		}
		if t.Count > 0 && time.Since(t.Last) > quiet {
			return t, fmt.Errorf("loadgen: %d of %d PEs taken over, none for %v", t.Count, f.cfg.PEs, quiet)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return f.Takeover(), fmt.Errorf("loadgen: %d of %d PEs taken over: %w", f.Takeover().Count, f.cfg.PEs, ctx.Err())
		}
	}
}
