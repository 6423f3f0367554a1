//go:build linux && !386

package sctp

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	lib "github.com/ishidawataru/sctp"
	"golang.org/x/sys/unix"
)

// Batched I/O: one recvmmsg or sendmmsg moves many messages. A system call
// is the largest cost of a small message (several times the registrar's own
// work for it, and far more where system calls trap into a user-mode kernel),
// and a registrar's messages come and go in bursts: the keep-alives due in
// one timer round, the acknowledgements that answer them.

// mmsghdr is struct mmsghdr: a msghdr and the byte count of that message.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [unsafe.Sizeof(uintptr(0)) - 4]byte
}

// DefaultBatchBuffer is the buffer ReadBatch gives a Message that has none.
// Larger messages arrive in parts and are joined (up to MaxMessageSize);
// RSerPool's messages are mostly far smaller.
const DefaultBatchBuffer = 4096

// batchReader is ReadBatch's state, guarded by the Socket's rmu like Read's.
type batchReader struct {
	ms    []Message
	hdrs  []mmsghdr
	iovs  []syscall.Iovec
	names [][sockaddrStorLen]byte
	oobs  [][256]byte
	fn    func(uintptr) bool

	n int // messages completed by the callback
	// cur is the slot of a message still being read part by part after the
	// batch (-1 if none); its state is in the Socket's reader.
	cur int
	err error
}

// partial is a message being put together from the parts of one batch.
type partial struct {
	notif, trunc bool
	off          int
	info         RcvInfo
	from         netip.AddrPort
}

func (b *batchReader) grow(n int) {
	if len(b.hdrs) >= n {
		return
	}
	b.hdrs = make([]mmsghdr, n)
	b.iovs = make([]syscall.Iovec, n)
	b.names = make([][sockaddrStorLen]byte, n)
	b.oobs = make([][256]byte, n)
}

// ReadBatch reads up to len(ms) whole user messages or notifications, with
// one recvmmsg for as many as the socket holds, and waits in the poller until
// there is at least one. It returns how many it filled, ms[:n], in the order
// they arrived; it may exchange elements of ms to keep them in order, so the
// caller must treat their buffers as the slice's, not as a fixed element's.
// It can return messages together with an error: the error came after them.
// A notification that cannot be decoded has Notification nil and its decode
// error in Err.
func (s *Socket) ReadBatch(ms []Message) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	if s.r.started {
		// A read deadline cut a Read short in the middle of a message:
		// let Read finish it.
		s.rmu.Unlock()
		return 1, s.Read(&ms[0])
	}
	defer s.rmu.Unlock()
	b := &s.b
	if b.fn == nil {
		b.fn = s.readBatch
	}
	b.grow(len(ms))
	b.ms, b.n, b.cur, b.err = ms, 0, -1, nil
	defer func() { b.ms = nil }()
	for i := range ms {
		m := &ms[i]
		if cap(m.Buf) > len(m.Buf) {
			m.Buf = m.Buf[:cap(m.Buf)]
		}
		if len(m.Buf) == 0 {
			m.Buf = make([]byte, min(DefaultBatchBuffer, s.maxMsg))
		}
	}
	if err := s.rc.Read(b.fn); err != nil {
		if b.cur >= 0 {
			// Interrupted while finishing the last message: it stays
			// with the reader for the next read.
			n := b.n
			if s.closed.Load() {
				return n, ErrClosed
			}
			return n, fmt.Errorf("sctp: read: %w", err)
		}
		if s.closed.Load() {
			return 0, ErrClosed
		}
		return 0, fmt.Errorf("sctp: read: %w", err)
	}
	if b.cur >= 0 {
		r := &s.r
		err := r.err
		if err == nil {
			finish(&ms[b.cur], partial{notif: r.notif, trunc: r.trunc, off: r.off, info: r.info, from: r.from})
			b.n++
		}
		s.resetReader()
		if err != nil {
			return b.n, err
		}
	}
	return b.n, b.err
}

// readBatch runs inside the poller's Read; it returns false to wait.
func (s *Socket) readBatch(fd uintptr) bool {
	b := &s.b
	if b.cur >= 0 {
		return s.readParts(fd)
	}
	ms := b.ms
	for i := range ms {
		h := &b.hdrs[i]
		b.iovs[i].Base = &ms[i].Buf[0]
		b.iovs[i].SetLen(len(ms[i].Buf))
		h.hdr = syscall.Msghdr{Name: &b.names[i][0], Namelen: uint32(len(b.names[i])), Iov: &b.iovs[i], Control: &b.oobs[i][0]}
		h.hdr.Iovlen = 1
		h.hdr.SetControllen(len(b.oobs[i]))
		h.n = 0
	}
	var got uintptr
	for {
		var e syscall.Errno
		got, _, e = syscall.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(ms)), 0, 0, 0)
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			b.err = os.NewSyscallError("recvmmsg", e)
			return true
		}
		break
	}
	if s.assemble(int(got)) {
		return true
	}
	// The batch ended inside a message: read its other parts one by one.
	return s.readParts(fd)
}

// assemble turns the got parts just read into whole messages at the front
// of b.ms. It returns true when done, false when the last message is still
// incomplete: it is then in slot b.cur and the reader's state.
func (s *Socket) assemble(got int) bool {
	b := &s.b
	ms := b.ms
	k, cur := 0, -1
	var p partial
	for i := 0; i < got; i++ {
		h := &b.hdrs[i]
		n, flags := int(h.n), int(h.hdr.Flags)
		notif := flags&lib.MSG_NOTIFICATION != 0
		var info RcvInfo
		if !notif {
			if _, err := parseRcvCmsgs(b.oobs[i][:h.hdr.Controllen], &info); err != nil {
				b.err = err
				b.n = k
				return true
			}
		}
		if cur >= 0 && (notif != p.notif || (!notif && (info.Assoc != p.info.Assoc || info.Stream != p.info.Stream || info.SSN != p.info.SSN))) {
			// The kernel ended the message without MSG_EOR (partial
			// delivery aborted): this part starts a new one in its slot.
			s.dropped.Add(1)
			cur = -1
		}
		if cur < 0 {
			if i != k {
				ms[k], ms[i] = ms[i], ms[k]
			}
			cur = k
			from, _, _ := decodeSockaddr(b.names[i][:min(int(h.hdr.Namelen), len(b.names[i]))])
			p = partial{notif: notif, off: n, info: info, from: from}
		} else {
			p.off, p.trunc = appendPart(&ms[cur].Buf, p.off, p.trunc, ms[i].Buf[:n], s.maxMsg)
		}
		if flags&syscall.MSG_EOR != 0 {
			finish(&ms[cur], p)
			k++
			cur = -1
			continue
		}
		if n == 0 {
			b.err = io.EOF
			b.n = k
			return true
		}
	}
	b.n = k
	if cur < 0 {
		return true
	}
	b.cur = cur
	r := &s.r
	r.m = &ms[cur]
	r.started, r.notif, r.trunc, r.off, r.info, r.from = true, p.notif, p.trunc, p.off, p.info, p.from
	return false
}

// appendPart adds a part to a message of off bytes in *buf, growing it up to
// maxMsg; what does not fit is dropped and reported as truncated.
func appendPart(buf *[]byte, off int, trunc bool, part []byte, maxMsg int) (int, bool) {
	if trunc {
		return off, true
	}
	if room := maxMsg - off; len(part) > room {
		part, trunc = part[:room], true
	}
	if need := off + len(part); need > len(*buf) {
		nb := make([]byte, min(max(2*len(*buf), need), maxMsg))
		copy(nb, (*buf)[:off])
		*buf = nb
	}
	copy((*buf)[off:], part)
	return off + len(part), trunc
}

// finish fills in a whole message from its parts.
func finish(m *Message, p partial) {
	m.Data = m.Buf[:p.off]
	m.Info = p.info
	m.From = p.from
	m.Truncated = p.trunc
	m.Notification, m.Err = nil, nil
	if p.notif {
		n, err := ParseNotification(m.Data)
		if err != nil {
			m.Err = err
			return
		}
		m.Notification = n
		m.Info = RcvInfo{Assoc: n.Association()}
	}
}

// batchSender is SendBatch's scratch space, pooled.
type batchSender struct {
	hdrs []mmsghdr
	iovs []syscall.Iovec
	ctl  []byte // every message's name, then its control messages
	offs []int  // per message: start of name, end of name, end of control
}

// maxSendBatch bounds the messages of one sendmmsg (the kernel's UIO_MAXIOV).
const maxSendBatch = 1024

// SendBatch sends ms in order, as many as it can with each sendmmsg, without
// waiting for buffer space (Info.NoWait is implied). It returns how many were
// sent; when that is fewer than len(ms), err says why ms[n] was not (wrapping
// ErrWouldBlock when the send buffer is full).
func (s *Socket) SendBatch(ms []Outgoing) (int, error) {
	sent := 0
	for sent < len(ms) {
		n, err := s.sendBatch(ms[sent:min(len(ms), sent+maxSendBatch)])
		sent += n
		if err != nil {
			m := &ms[sent]
			if m.Assoc != 0 {
				return sent, fmt.Errorf("sctp: send %d bytes to association %d: %w", len(m.Data), m.Assoc, err)
			}
			return sent, fmt.Errorf("sctp: send %d bytes to %v port %d: %w", len(m.Data), m.To, m.Port, err)
		}
	}
	return sent, nil
}

func (s *Socket) sendBatch(ms []Outgoing) (int, error) {
	bs, _ := s.batches.Get().(*batchSender)
	if bs == nil {
		bs = new(batchSender)
	}
	defer s.batches.Put(bs)
	bs.ctl, bs.offs = bs.ctl[:0], bs.offs[:0]
	// Encode every name and control block first: ctl may move while it
	// grows, so the pointers into it are taken afterwards.
	var sa [sockaddrIn6Len]byte
	for i := range ms {
		m := &ms[i]
		if len(m.Data) == 0 {
			return s.sendEncoded(bs, ms, i, errors.New("empty message"))
		}
		start := len(bs.ctl)
		if m.Assoc == 0 {
			if len(m.To) == 0 {
				return s.sendEncoded(bs, ms, i, errors.New("no destination address"))
			}
			var err error
			if bs.ctl, err = s.appendAddr(bs.ctl, netip.AddrPortFrom(m.To[0], m.Port)); err != nil {
				bs.ctl = bs.ctl[:start]
				return s.sendEncoded(bs, ms, i, err)
			}
		}
		nameEnd := len(bs.ctl)
		bs.ctl = appendSndInfo(bs.ctl, m.Assoc, m.Info, 0)
		if m.Assoc == 0 {
			for _, a := range m.To[1:] {
				one, err := s.appendAddr(sa[:0], netip.AddrPortFrom(a, m.Port))
				if err != nil {
					bs.ctl = bs.ctl[:start]
					return s.sendEncoded(bs, ms, i, err)
				}
				bs.ctl = appendDstAddr(bs.ctl, one)
			}
		}
		bs.offs = append(bs.offs, start, nameEnd, len(bs.ctl))
	}
	return s.sendEncoded(bs, ms, len(ms), nil)
}

// sendEncoded sends the first n encoded messages of a batch, then reports
// encErr (the error of message n) if they all went.
func (s *Socket) sendEncoded(bs *batchSender, ms []Outgoing, n int, encErr error) (int, error) {
	if n == 0 {
		return 0, encErr
	}
	if cap(bs.hdrs) < n {
		bs.hdrs = make([]mmsghdr, n)
		bs.iovs = make([]syscall.Iovec, n)
	}
	hdrs, iovs := bs.hdrs[:n], bs.iovs[:n]
	for i := range hdrs {
		o := bs.offs[3*i:]
		h := &hdrs[i]
		iovs[i].Base = &ms[i].Data[0]
		iovs[i].SetLen(len(ms[i].Data))
		h.hdr = syscall.Msghdr{Iov: &iovs[i], Control: &bs.ctl[o[1]]}
		h.hdr.Iovlen = 1
		h.hdr.SetControllen(o[2] - o[1])
		if o[1] > o[0] {
			h.hdr.Name = &bs.ctl[o[0]]
			h.hdr.Namelen = uint32(o[1] - o[0])
		}
	}
	sent, err := s.sendHdrs(hdrs, encErr)
	clear(iovs) // let go of the callers' data
	return sent, err
}

// sendHdrs runs sendmmsg until every header is sent or one fails.
func (s *Socket) sendHdrs(hdrs []mmsghdr, encErr error) (int, error) {
	sent := 0
	var sendErr error
	err := s.rc.Write(func(fd uintptr) bool {
		for sent < len(hdrs) {
			n, _, e := syscall.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdrs[sent])), uintptr(len(hdrs)-sent), syscall.MSG_NOSIGNAL, 0, 0)
			switch e {
			case 0:
				sent += int(n)
				continue
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				sendErr = ErrWouldBlock
			default:
				sendErr = os.NewSyscallError("sendmmsg", e)
			}
			return true
		}
		return true
	})
	for i := range hdrs {
		hdrs[i].hdr = syscall.Msghdr{}
	}
	switch {
	case err != nil && s.closed.Load():
		return sent, ErrClosed
	case err != nil:
		return sent, err
	case sendErr != nil:
		return sent, sendErr
	}
	return sent, encErr
}
