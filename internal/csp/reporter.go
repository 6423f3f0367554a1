package csp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Snapshot is what a registrar report describes, taken when the report is
// due.
type Snapshot struct {
	// PoolElements counts all PEs in the handlespace, OwnedPoolElements those
	// whose home registrar is this one.
	PoolElements      int
	OwnedPoolElements int
	Pools             int
	// Peers is the ENRP peer list in its index order (ascending registrar
	// ID; static peers not yet identified have ID 0 and come first). Each
	// peer becomes one association entry.
	Peers []rserpool.RegistrarID
	// Location is the result of Location for the ASAP socket.
	Location string
}

// Reporter builds and sends the reports of one registrar.
//
// Build and BuildFinal may be called from one goroutine (the core) and Send
// and Close from another (the I/O layer); each pair must not be called
// concurrently with itself.
type Reporter struct {
	sender   ComponentID
	interval uint32
	server   netip.AddrPort

	// first is the time of the first report: RSPLIB's sender timestamps
	// count microseconds from there, which makes cspmonitor show the time
	// since reporting started as the component's uptime.
	first   time.Time
	started bool

	mu   sync.Mutex
	conn *net.UDPConn
	buf  []byte
}

// NewReporter returns a reporter for the registrar id that sends to server
// (cspmonitor's address) and announces interval as its report interval. The
// interval is sent in microseconds as an unsigned 32-bit number, wrapping like
// RSPLIB's does above about 71 minutes. No socket is opened until the first
// Send.
func NewReporter(id rserpool.RegistrarID, interval time.Duration, server netip.AddrPort) (*Reporter, error) {
	if !server.Addr().IsValid() {
		return nil, fmt.Errorf("CSP server address %v is not valid", server)
	}
	if interval <= 0 {
		return nil, fmt.Errorf("CSP report interval %v is not positive", interval)
	}
	return &Reporter{
		sender:   RegistrarComponentID(id),
		interval: uint32(interval / time.Microsecond),
		server:   server,
	}, nil
}

// Sender is the component identifier the reports carry.
func (r *Reporter) Sender() ComponentID { return r.sender }

// Server is the address reports are sent to.
func (r *Reporter) Server() netip.AddrPort { return r.server }

// timestamp returns microseconds since the first report, which is now if
// this is the first one.
func (r *Reporter) timestamp(now time.Time) uint64 {
	if !r.started {
		r.first, r.started = now, true
	}
	d := now.Sub(r.first)
	if d < 0 {
		return 0
	}
	return uint64(d / time.Microsecond)
}

// Build returns the periodic report for the state in s at time now. Peers
// beyond MaxAssociations (a 16-bit length field's worth) are left out of the
// association array but still counted in the status text.
func (r *Reporter) Build(now time.Time, s Snapshot) Report {
	peers := s.Peers
	if len(peers) > MaxAssociations {
		peers = peers[:MaxAssociations]
	}
	rep := Report{
		Sender:    r.sender,
		Timestamp: r.timestamp(now),
		Interval:  r.interval,
		Location:  clip(s.Location),
		Status:    RegistrarStatus(s.PoolElements, s.OwnedPoolElements, s.Pools, len(s.Peers)),
		Workload:  WorkloadUnknown,
	}
	if len(peers) > 0 {
		rep.Associations = make([]Association, len(peers))
		for i, id := range peers {
			rep.Associations[i] = Association{
				Receiver: RegistrarComponentID(id),
				Duration: DurationUnknown,
				Protocol: ProtocolSCTP,
				PPID:     PPIDENRP,
			}
		}
	}
	return rep
}

// BuildFinal returns the report sent when the registrar shuts down: flag
// FINAL, empty texts, workload 0 and no associations, so that cspmonitor
// removes the registrar at its next purge.
func (r *Reporter) BuildFinal(now time.Time) Report {
	return Report{
		Flags:     FlagFinal,
		Sender:    r.sender,
		Timestamp: r.timestamp(now),
		Interval:  r.interval,
	}
}

// clip makes a caller's location encodable the way RSPLIB's C strings would
// have cut it: at the first NUL and at TextSize-1 bytes.
func clip(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) > TextSize-1 {
		s = s[:TextSize-1]
	}
	return s
}

// Send transmits one report datagram. Unlike RSPLIB, which opens a new UDP
// socket for every report, the reporter keeps one unconnected socket with an
// ephemeral port: a new source port per report costs a socket, a bind and a
// close each time and leaves one connection-tracking entry per report on
// firewalled hosts, which adds up since the interval has no lower bound. After
// a failed send the socket is closed and the next Send opens a fresh one, so
// a broken socket does not outlive one report. Reports whose sender object is
// 0 are not sent, as in RSPLIB.
func (r *Reporter) Send(rep *Report) error {
	if rep.Sender.Object() == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	r.buf, err = rep.AppendBinary(r.buf[:0])
	if err != nil {
		return fmt.Errorf("encoding CSP report: %w", err)
	}
	if r.conn == nil {
		network := "udp6"
		if r.dst().Addr().Is4() {
			network = "udp4"
		}
		r.conn, err = net.ListenUDP(network, nil)
		if err != nil {
			r.conn = nil
			return fmt.Errorf("opening CSP report socket: %w", err)
		}
	}
	if _, err = r.conn.WriteToUDPAddrPort(r.buf, r.dst()); err != nil {
		r.conn.Close()
		r.conn = nil
		return fmt.Errorf("sending CSP report to %v: %w", r.server, err)
	}
	return nil
}

// dst is the server address in the form the socket family needs: a UDP4
// socket cannot send to an IPv4-mapped address.
func (r *Reporter) dst() netip.AddrPort {
	if r.server.Addr().Is4In6() {
		return netip.AddrPortFrom(r.server.Addr().Unmap(), r.server.Port())
	}
	return r.server
}

// LocalAddr is the address of the report socket, or an invalid AddrPort if
// none is open.
func (r *Reporter) LocalAddr() netip.AddrPort {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return netip.AddrPort{}
	}
	return r.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Close releases the socket. The reporter may still send afterwards; it
// then opens a new socket.
func (r *Reporter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close()
	r.conn = nil
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("closing CSP report socket: %w", err)
	}
	return nil
}
