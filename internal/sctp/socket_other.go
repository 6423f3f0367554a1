//go:build !linux || 386

package sctp

import (
	"errors"
	"net/netip"
	"os"
	"runtime"
	"time"
)

var errUnsupported = &UnavailableError{Err: errors.New("no kernel SCTP support for " + runtime.GOOS + "/" + runtime.GOARCH)}

// Available reports that this build has no SCTP support.
func Available(bool) error { return errUnsupported }

// Socket is a stub on systems without the Linux SCTP implementation.
type Socket struct{}

// Listen fails: SCTP sockets are implemented for Linux only.
func Listen(Config) (*Socket, error) { return nil, errUnsupported }

// FileSocket fails: SCTP sockets are implemented for Linux only.
func FileSocket(*os.File, int) (*Socket, error) { return nil, errUnsupported }

// File fails.
func (*Socket) File() (*os.File, error) { return nil, errUnsupported }

// Port returns 0.
func (*Socket) Port() uint16 { return 0 }

// IPv6 returns false.
func (*Socket) IPv6() bool { return false }

// Close fails.
func (*Socket) Close() error { return errUnsupported }

// SetReadDeadline fails.
func (*Socket) SetReadDeadline(time.Time) error { return errUnsupported }

// SetWriteDeadline fails.
func (*Socket) SetWriteDeadline(time.Time) error { return errUnsupported }

// SetAutoClose fails.
func (*Socket) SetAutoClose(time.Duration) error { return errUnsupported }

// SetNoDelay fails.
func (*Socket) SetNoDelay(bool) error { return errUnsupported }

// SetDelayedSack fails.
func (*Socket) SetDelayedSack(time.Duration, uint32) error { return errUnsupported }

// SetInitMsg fails.
func (*Socket) SetInitMsg(InitMsg) error { return errUnsupported }

// SetReadBuffer fails.
func (*Socket) SetReadBuffer(int) error { return errUnsupported }

// SetWriteBuffer fails.
func (*Socket) SetWriteBuffer(int) error { return errUnsupported }

// Buffers is not supported.
func (*Socket) Buffers() (int, int, error) { return 0, 0, errUnsupported }

// Dropped returns 0.
func (*Socket) Dropped() uint64 { return 0 }

// Read fails.
func (*Socket) Read(*Message) error { return errUnsupported }

// ReadBatch is not supported.
func (*Socket) ReadBatch([]Message) (int, error) { return 0, errUnsupported }

// SendBatch is not supported.
func (*Socket) SendBatch([]Outgoing) (int, error) { return 0, errUnsupported }

// Send fails.
func (*Socket) Send(AssocID, []byte, SendInfo) error { return errUnsupported }

// SendTo fails.
func (*Socket) SendTo([]netip.Addr, uint16, []byte, SendInfo) (AssocID, error) {
	return 0, errUnsupported
}

// SendToAddrs fails.
func (*Socket) SendToAddrs([]netip.Addr, uint16, []byte, SendInfo) error { return errUnsupported }

// Abort fails.
func (*Socket) Abort(AssocID, []byte) error { return errUnsupported }

// Shutdown fails.
func (*Socket) Shutdown(AssocID) error { return errUnsupported }

// PeerAddrs fails.
func (*Socket) PeerAddrs(AssocID) ([]netip.AddrPort, error) { return nil, errUnsupported }

// LocalAddrs fails.
func (*Socket) LocalAddrs() ([]netip.AddrPort, error) { return nil, errUnsupported }

// AssocLocalAddrs fails.
func (*Socket) AssocLocalAddrs(AssocID) ([]netip.AddrPort, error) { return nil, errUnsupported }

// AssocOf fails.
func (*Socket) AssocOf(netip.AddrPort) (AssocID, error) { return 0, errUnsupported }

// PeerAddrInfo fails.
func (*Socket) PeerAddrInfo(AssocID, netip.AddrPort) (PeerAddrInfo, error) {
	return PeerAddrInfo{}, errUnsupported
}

// Status fails.
func (*Socket) Status(AssocID) (Status, error) { return Status{}, errUnsupported }

// AssocIDs fails.
func (*Socket) AssocIDs() ([]AssocID, error) { return nil, errUnsupported }

// Counters fails.
func (*Socket) Counters(AssocID) (Counters, error) { return Counters{}, errUnsupported }
