package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/rserpool/rspregistrar/internal/csp"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// cspWatch receives the registrars' CSP reports and keeps the latest
// handlespace counts of each, so that a synchronisation or a takeover can be
// seen from outside, the same way for both implementations.
type cspWatch struct {
	conn *net.UDPConn

	mu      sync.Mutex
	latest  map[rserpool.RegistrarID]hsCounts
	changed chan struct{}
	done    chan struct{}
}

// hsCounts are the numbers in a registrar's CSP status text.
type hsCounts struct {
	PEs, Owned, Pools, Peers int
	At                       time.Time
}

func listenCSP(at netip.AddrPort) (*cspWatch, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(at))
	if err != nil {
		return nil, fmt.Errorf("CSP listener: %w", err)
	}
	w := &cspWatch{conn: conn, latest: map[rserpool.RegistrarID]hsCounts{}, changed: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w, nil
}

func (w *cspWatch) close() {
	w.conn.Close()
	<-w.done
}

func (w *cspWatch) run() {
	defer close(w.done)
	buf := make([]byte, 65536)
	for {
		n, err := w.conn.Read(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		var r csp.Report
		if r.UnmarshalBinary(buf[:n]) != nil || r.Final() || r.Sender.Group() != csp.GroupRegistrar {
			continue
		}
		c, err := parseCSPStatus(r.Status)
		if err != nil {
			continue
		}
		c.At = time.Now()
		w.mu.Lock()
		w.latest[rserpool.RegistrarID(r.Sender.Object())] = c
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
	}
}

// parseCSPStatus reads RSPLIB's registrar status "%u[%u] PEs in %u Pool%s,
// %u Peer%s".
func parseCSPStatus(s string) (hsCounts, error) {
	var c hsCounts
	var pool, peer string
	n, err := fmt.Sscanf(s, "%d[%d] PEs in %d %s %d %s", &c.PEs, &c.Owned, &c.Pools, &pool, &c.Peers, &peer)
	if err != nil || n != 6 || (pool != "Pool," && pool != "Pools,") || (peer != "Peer" && peer != "Peers") {
		return hsCounts{}, fmt.Errorf("CSP status %q not understood", s)
	}
	return c, nil
}

// waitFor waits until a report of registrar id satisfies cond and returns
// when that report arrived.
func (w *cspWatch) waitFor(ctx context.Context, id rserpool.RegistrarID, cond func(hsCounts) bool) (hsCounts, error) {
	for {
		w.mu.Lock()
		c, ok := w.latest[id]
		ch := w.changed
		w.mu.Unlock()
		if ok && cond(c) {
			return c, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return c, fmt.Errorf("registrar %v: last CSP status %+v: %w", id, c, ctx.Err())
		}
	}
}
