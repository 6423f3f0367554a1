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

// ResolveConfig describes a handle resolution load.
type ResolveConfig struct {
	Registrar netip.AddrPort
	Locals    []netip.Addr
	// Assocs pool-user associations, each with Window requests in flight.
	Assocs, Window int
	// Handles are asked for in turn (association i starts at handle i).
	Handles []rserpool.PoolHandle
	// Items is the Handle Resolution's items parameter (0: absent, the
	// registrar's default of 3).
	Items uint32
	// Duration of the load; requests in flight at its end are still
	// counted.
	Duration time.Duration
}

// Resolve runs the load. An answer counts as OK when it carries no error and
// at least one PE.
func Resolve(ctx context.Context, rc ResolveConfig) (*Result, error) {
	switch {
	case rc.Assocs <= 0 || rc.Window <= 0 || rc.Duration <= 0:
		return nil, fmt.Errorf("loadgen: associations, window and duration must be positive (%d, %d, %v)", rc.Assocs, rc.Window, rc.Duration)
	case len(rc.Handles) == 0:
		return nil, errors.New("loadgen: no pool handles to resolve")
	case len(rc.Locals) == 0:
		return nil, errors.New("loadgen: no local addresses")
	}
	msgs := make([][]byte, len(rc.Handles))
	for i, h := range rc.Handles {
		var err error
		if msgs[i], err = (&wire.HandleResolution{Handle: h, Items: rc.Items}).AppendTo(nil); err != nil {
			return nil, err
		}
	}
	conns := make([]*conn, 0, rc.Assocs)
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	for i := range rc.Assocs {
		c, err := dial(rc.Locals[i%len(rc.Locals)], rc.Registrar, rc.Window)
		if err != nil {
			return nil, err
		}
		c.start()
		conns = append(conns, c)
	}
	// A timer ends the load: reading the clock per request would cost a
	// system call each in the sandbox.
	var over atomic.Bool
	t := time.AfterFunc(rc.Duration, func() { over.Store(true) })
	defer t.Stop()
	// Rough capacity for the latencies: grows if the registrar is fast.
	expect := func(int) int { return 1024 }
	return phase(ctx, conns, expect, func(ctx context.Context, i int, c *conn) error {
		for k := i; !over.Load(); k++ {
			if err := c.request(ctx, wire.ASAPHandleResolutionResponse, 0, msgs[k%len(msgs)]); err != nil {
				return err
			}
		}
		return nil
	})
}
