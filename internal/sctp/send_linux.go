//go:build linux && !386

package sctp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"
)

// sendOp is a pooled sendmsg call: its callback is bound once, so a send
// allocates nothing.
type sendOp struct {
	msg    syscall.Msghdr
	iov    syscall.Iovec
	name   []byte
	oob    []byte
	noWait bool
	err    error
	fn     func(uintptr) bool
}

func (op *sendOp) send(fd uintptr) bool {
	for {
		_, _, e := syscall.Syscall(syscall.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&op.msg)), syscall.MSG_NOSIGNAL)
		switch e {
		case 0:
			op.err = nil
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if op.noWait {
				op.err = ErrWouldBlock
				return true
			}
			return false
		}
		op.err = os.NewSyscallError("sendmsg", e)
		return true
	}
}

func (s *Socket) getOp() *sendOp {
	op := s.ops.Get().(*sendOp)
	op.name = op.name[:0]
	op.oob = op.oob[:0]
	return op
}

// do runs op with payload b and returns op to the pool.
func (s *Socket) do(op *sendOp, b []byte) error {
	op.msg = syscall.Msghdr{Iov: &op.iov}
	op.msg.Iovlen = 1
	op.iov.Base = nil
	if len(b) > 0 {
		op.iov.Base = &b[0]
	}
	op.iov.SetLen(len(b))
	if len(op.name) > 0 {
		op.msg.Name = &op.name[0]
		op.msg.Namelen = uint32(len(op.name))
	}
	if len(op.oob) > 0 {
		op.msg.Control = &op.oob[0]
		op.msg.SetControllen(len(op.oob))
	}
	err := s.rc.Write(op.fn)
	if err == nil {
		err = op.err
	} else if s.closed.Load() {
		err = ErrClosed
	}
	op.iov.Base, op.msg = nil, syscall.Msghdr{}
	op.err, op.noWait = nil, false
	s.ops.Put(op)
	return err
}

// Send sends one user message on an existing association. Unless
// info.NoWait is set it waits for send buffer space in the poller (see
// SetWriteDeadline); the buffer is the socket's, shared by all associations
// (net.sctp.sndbuf_policy 0), so a peer that stops reading can hold up sends
// to every other peer.
func (s *Socket) Send(assoc AssocID, b []byte, info SendInfo) error {
	if assoc == 0 {
		return errors.New("sctp: send: no association")
	}
	if len(b) == 0 {
		return errors.New("sctp: send: empty message")
	}
	op := s.getOp()
	op.noWait = info.NoWait
	op.oob = appendSndInfo(op.oob, assoc, info, 0)
	if err := s.do(op, b); err != nil {
		return fmt.Errorf("sctp: send %d bytes to association %d: %w", len(b), assoc, err)
	}
	return nil
}

// SendTo sends one user message to a peer given by its addresses and port,
// as RSPLIB's sctp_sendx: an existing association to the first address is
// used, otherwise one is set up implicitly, with the further addresses
// passed to the kernel as SCTP_DSTADDRV4/V6. It returns the association the
// message went on, looked up by the first address after the send (0 if the
// association is already gone again).
func (s *Socket) SendTo(addrs []netip.Addr, port uint16, b []byte, info SendInfo) (AssocID, error) {
	if err := s.SendToAddrs(addrs, port, b, info); err != nil {
		return 0, err
	}
	id, _ := s.AssocOf(netip.AddrPortFrom(addrs[0], port))
	return id, nil
}

// SendToAddrs is SendTo without the lookup of the association afterwards,
// a system call that a sender who does not need the association saves.
func (s *Socket) SendToAddrs(addrs []netip.Addr, port uint16, b []byte, info SendInfo) error {
	if len(addrs) == 0 {
		return errors.New("sctp: send: no destination address")
	}
	if len(b) == 0 {
		return errors.New("sctp: send: empty message")
	}
	op := s.getOp()
	op.noWait = info.NoWait
	var err error
	if op.name, err = s.appendAddr(op.name, netip.AddrPortFrom(addrs[0], port)); err != nil {
		s.ops.Put(op)
		return err
	}
	op.oob = appendSndInfo(op.oob, 0, info, 0)
	var sa [sockaddrIn6Len]byte
	for _, a := range addrs[1:] {
		one, err := s.appendAddr(sa[:0], netip.AddrPortFrom(a, port))
		if err != nil {
			s.ops.Put(op)
			return err
		}
		op.oob = appendDstAddr(op.oob, one)
	}
	if err := s.do(op, b); err != nil {
		return fmt.Errorf("sctp: send %d bytes to %v port %d: %w", len(b), addrs, port, err)
	}
	return nil
}

func (s *Socket) appendAddr(b []byte, a netip.AddrPort) ([]byte, error) {
	if s.family == syscall.AF_INET && !a.Addr().Unmap().Is4() {
		return b, fmt.Errorf("sctp: IPv6 address %v on an IPv4 socket", a)
	}
	return appendSockaddr(b, a, zoneIndex)
}

func zoneIndex(z string) (uint32, error) {
	ifi, err := net.InterfaceByName(z)
	if err != nil {
		return 0, err
	}
	return uint32(ifi.Index), nil
}

// Abort aborts one association (SCTP_ABORT). A non-empty reason goes to the
// peer as the User-Initiated Abort cause.
func (s *Socket) Abort(assoc AssocID, reason []byte) error {
	if assoc == 0 {
		return errors.New("sctp: abort: no association")
	}
	op := s.getOp()
	op.oob = appendSndInfo(op.oob, assoc, SendInfo{}, flagAbort)
	if err := s.do(op, reason); err != nil {
		return fmt.Errorf("sctp: abort association %d: %w", assoc, err)
	}
	return nil
}

// Shutdown starts the graceful shutdown of one association (SCTP_EOF).
func (s *Socket) Shutdown(assoc AssocID) error {
	if assoc == 0 {
		return errors.New("sctp: shutdown: no association")
	}
	op := s.getOp()
	op.oob = appendSndInfo(op.oob, assoc, SendInfo{}, flagEOF)
	if err := s.do(op, nil); err != nil {
		return fmt.Errorf("sctp: shutdown association %d: %w", assoc, err)
	}
	return nil
}
