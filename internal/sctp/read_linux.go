//go:build linux && !386

package sctp

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	lib "github.com/ishidawataru/sctp"
)

// reader is the state of Read, kept in the Socket so that the poller
// callback is bound once and a read allocates nothing.
type reader struct {
	m       *Message
	msg     syscall.Msghdr
	iov     syscall.Iovec
	name    [sockaddrStorLen]byte
	oob     [256]byte
	scratch []byte // sink for the tail of a truncated message
	fn      func(uintptr) bool

	started bool // the current message has at least one part
	notif   bool
	trunc   bool
	off     int // bytes of the current message in m.Buf
	info    RcvInfo
	from    netip.AddrPort
	err     error
}

// Dropped counts messages whose delivery the kernel aborted half-way (the
// association went away during partial delivery); Read discards their
// parts.
func (s *Socket) Dropped() uint64 { return s.dropped.Load() }

// Read reads the next whole user message or notification into m. It waits in
// the runtime poller until one is there, the read deadline passes or the
// socket is closed. A notification the package cannot decode is still
// returned (m.Data set, m.Notification nil) together with the decode error.
func (s *Socket) Read(m *Message) error {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	r := &s.r
	if cap(m.Buf) > len(m.Buf) {
		m.Buf = m.Buf[:cap(m.Buf)]
	}
	if len(m.Buf) == 0 {
		m.Buf = make([]byte, min(DefaultReadBuffer, s.maxMsg))
	}
	if r.started && r.m != m {
		// A deadline interrupted a message that was being read into
		// another Message: carry its first parts over.
		if len(m.Buf) <= r.off {
			m.Buf = make([]byte, min(2*r.off, s.maxMsg))
		}
		copy(m.Buf, r.m.Buf[:r.off])
	}
	r.m = m
	if err := s.rc.Read(r.fn); err != nil {
		if s.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("sctp: read: %w", err)
	}
	if r.err != nil {
		err := r.err
		s.resetReader()
		return err
	}
	m.Data = m.Buf[:r.off]
	m.Info = r.info
	m.From = r.from
	m.Truncated = r.trunc
	m.Notification = nil
	notif := r.notif
	s.resetReader()
	if notif {
		n, err := ParseNotification(m.Data)
		if err != nil {
			return err
		}
		m.Notification = n
		m.Info = RcvInfo{Assoc: n.Association()}
	}
	return nil
}

func (s *Socket) resetReader() {
	r := &s.r
	r.m = nil
	r.started, r.notif, r.trunc = false, false, false
	r.off = 0
	r.err = nil
}

// readParts runs inside the poller's Read: it reads parts of the current
// message until MSG_EOR, and returns false to wait when the socket is empty.
func (s *Socket) readParts(fd uintptr) bool {
	r := &s.r
	for {
		dst := r.buffer(s.maxMsg)
		r.iov.Base = &dst[0]
		r.iov.SetLen(len(dst))
		r.msg = syscall.Msghdr{Name: &r.name[0], Namelen: uint32(len(r.name)), Iov: &r.iov, Control: &r.oob[0]}
		r.msg.Iovlen = 1
		r.msg.SetControllen(len(r.oob))
		nr, _, e := syscall.Syscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), 0)
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			r.err = os.NewSyscallError("recvmsg", e)
			return true
		}
		flags := int(r.msg.Flags)
		var info RcvInfo
		if flags&lib.MSG_NOTIFICATION == 0 {
			if _, err := parseRcvCmsgs(r.oob[:r.msg.Controllen], &info); err != nil {
				r.err = err
				return true
			}
		}
		done, dropped := r.part(dst, int(nr), flags, info, r.name[:min(int(r.msg.Namelen), len(r.name))])
		if dropped {
			s.dropped.Add(1)
		}
		if done {
			return true
		}
	}
}

// buffer returns where the next part of the current message goes: the rest
// of m.Buf, grown up to maxMsg, or a scratch sink once the message is known
// to be longer than maxMsg.
func (r *reader) buffer(maxMsg int) []byte {
	m := r.m
	if !r.trunc && r.off == len(m.Buf) {
		if len(m.Buf) >= maxMsg {
			r.trunc = true
		} else {
			nb := make([]byte, min(2*len(m.Buf), maxMsg))
			copy(nb, m.Buf[:r.off])
			m.Buf = nb
		}
	}
	if r.trunc {
		if r.scratch == nil {
			r.scratch = make([]byte, min(4096, len(m.Buf)))
		}
		// A part moved to the front of m.Buf must fit there.
		return r.scratch[:min(len(r.scratch), len(m.Buf))]
	}
	return m.Buf[r.off:]
}

// part accounts for n bytes just read into dst with the given recvmsg
// flags, receive info and source address. It reports whether the message
// is complete (or reading failed, in r.err) and whether an unfinished
// message was dropped because this part starts another one.
func (r *reader) part(dst []byte, n, flags int, info RcvInfo, name []byte) (done, dropped bool) {
	notif := flags&lib.MSG_NOTIFICATION != 0
	if r.started && r.continuesOther(notif, info) {
		// The kernel ended the previous message without MSG_EOR
		// (partial delivery aborted): this part starts a new one.
		copy(r.m.Buf, dst[:n])
		r.off, r.trunc, r.started = 0, false, false
		dropped = true
	}
	if !r.started {
		r.started = true
		r.notif = notif
		r.info = info
		r.from, _, _ = decodeSockaddr(name)
	}
	if !r.trunc {
		r.off += n
	}
	if flags&syscall.MSG_EOR != 0 {
		return true, dropped
	}
	if n == 0 {
		r.err = io.EOF
		return true, dropped
	}
	return false, dropped
}

// continuesOther reports whether a part read while a message is under way
// belongs to a different message. A notification part only continues a
// notification that is itself incomplete, which the kernel does for large
// SEND_FAILED notifications; a PARTIAL_DELIVERY_EVENT (the reason a data
// message is cut off) always starts anew.
func (r *reader) continuesOther(notif bool, info RcvInfo) bool {
	if notif != r.notif {
		return true
	}
	if notif {
		return false
	}
	return info.Assoc != r.info.Assoc || info.Stream != r.info.Stream || info.SSN != r.info.SSN
}
