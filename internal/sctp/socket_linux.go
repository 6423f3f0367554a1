//go:build linux && !386

package sctp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	lib "github.com/ishidawataru/sctp"
)

// Available reports whether the kernel offers SCTP, by creating and
// closing a one-to-many socket of the family the registrar will use (IPv6
// if ipv6; a kernel without IPv6 falls back to IPv4, as the sockets then
// do). A kernel without SCTP gives an *UnavailableError holding the
// socket's errno; any other failure is returned wrapped.
func Available(ipv6 bool) error {
	family := syscall.AF_INET
	if ipv6 {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err == syscall.EAFNOSUPPORT && ipv6 {
		fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	}
	switch err {
	case nil:
		return syscall.Close(fd)
	case syscall.EPROTONOSUPPORT, syscall.ESOCKTNOSUPPORT, syscall.EAFNOSUPPORT, syscall.EPROTOTYPE:
		return &UnavailableError{Err: err}
	}
	return fmt.Errorf("cannot create an SCTP socket: %w", err)
}

// Socket is a one-to-many SCTP socket on Go's runtime poller. Read must be
// called from one goroutine at a time (it serialises callers); Send and the
// query methods may be called from any goroutine.
type Socket struct {
	f      *os.File
	rc     syscall.RawConn
	family int
	port   uint16
	maxMsg int
	closed atomic.Bool
	// dropped counts messages cut off by a partial delivery abort; atomic
	// because Read holds rmu while it waits.
	dropped atomic.Uint64

	rmu sync.Mutex
	r   reader
	b   batchReader

	batches sync.Pool // *batchSender

	ops sync.Pool // *sendOp
}

// Listen opens, binds and configures a listening one-to-many socket.
func Listen(cfg Config) (*Socket, error) {
	family := syscall.AF_INET6
	if cfg.IPv4Only {
		family = syscall.AF_INET
		for _, a := range cfg.Addrs {
			if !a.Unmap().Is4() {
				return nil, fmt.Errorf("sctp: IPv6 address %v on an IPv4 socket", a)
			}
		}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_SEQPACKET|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err != nil {
		if errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, syscall.ESOCKTNOSUPPORT) {
			return nil, &UnavailableError{Err: os.NewSyscallError("socket", err)}
		}
		return nil, fmt.Errorf("sctp: socket: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			syscall.Close(fd)
		}
	}()
	if family == syscall.AF_INET6 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0); err != nil {
			return nil, fmt.Errorf("sctp: IPV6_V6ONLY off: %w", err)
		}
	}
	if cfg.InitMsg != nil {
		if err := setInitMsg(uintptr(fd), *cfg.InitMsg); err != nil {
			return nil, err
		}
	}
	if err := setBuffer(fd, syscall.SO_RCVBUFFORCE, syscall.SO_RCVBUF, "SO_RCVBUF", cfg.ReadBuffer); err != nil {
		return nil, err
	}
	if err := setBuffer(fd, syscall.SO_SNDBUFFORCE, syscall.SO_SNDBUF, "SO_SNDBUF", cfg.WriteBuffer); err != nil {
		return nil, err
	}
	if err := bindAddrs(fd, family, cfg.Addrs, cfg.Port); err != nil {
		return nil, err
	}
	backlog := cfg.Backlog
	if backlog <= 0 {
		backlog = DefaultBacklog
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return nil, fmt.Errorf("sctp: listen: %w", err)
	}
	events := cfg.Events
	if events == 0 {
		events = DefaultEvents
	}
	if err := subscribe(uintptr(fd), events); err != nil {
		return nil, err
	}
	ok = true
	return newSocket(fd, family, cfg.MaxMessageSize)
}

// setBuffer sets a socket buffer of bytes (0: leave it): with force, the
// privileged option, where allowed, else with plain (capped by the kernel).
func setBuffer(fd, force, plain int, name string, bytes int) error {
	if bytes <= 0 {
		return nil
	}
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, force, bytes) == nil {
		return nil
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, plain, bytes); err != nil {
		return os.NewSyscallError("setsockopt "+name, err)
	}
	return nil
}

// newSocket puts a bound, listening, non-blocking descriptor on the poller;
// the Socket owns fd from here on, also on failure.
func newSocket(fd, family, maxMsg int) (*Socket, error) {
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("sctp: getsockname: %w", err)
	}
	s := &Socket{family: family, maxMsg: maxMsg}
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		s.port = uint16(sa.Port)
	case *syscall.SockaddrInet6:
		s.port = uint16(sa.Port)
	}
	if s.maxMsg <= 0 {
		s.maxMsg = DefaultMaxMessageSize
	}
	if s.maxMsg < 512 {
		s.maxMsg = 512
	}
	s.f = os.NewFile(uintptr(fd), "sctp")
	if s.f == nil {
		return nil, fmt.Errorf("sctp: bad descriptor %d", fd)
	}
	if s.rc, err = s.f.SyscallConn(); err != nil {
		s.f.Close()
		return nil, fmt.Errorf("sctp: %w", err)
	}
	s.r.fn = s.readParts
	s.ops.New = func() any {
		op := &sendOp{}
		op.fn = op.send
		return op
	}
	return s, nil
}

// FileSocket returns a Socket for a listening one-to-many SCTP socket opened
// elsewhere, typically by a parent process that handed it over with os/exec's
// ExtraFiles (the daemon re-executes itself to run in the background with
// the sockets it has already bound). It works on a duplicate of f's
// descriptor, so the caller closes f. The socket keeps what the kernel
// holds: bound addresses, listen state, event subscription and options
// such as SCTP_AUTOCLOSE. maxMessageSize is Config.MaxMessageSize.
func FileSocket(f *os.File, maxMessageSize int) (*Socket, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("sctp: inherited socket: %w", err)
	}
	nfd, family := -1, 0
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for _, check := range []struct {
			opt  int
			want int
			what string
		}{
			{syscall.SO_TYPE, syscall.SOCK_SEQPACKET, "not a one-to-many socket"},
			{syscall.SO_PROTOCOL, syscall.IPPROTO_SCTP, "not an SCTP socket"},
			{syscall.SO_ACCEPTCONN, 1, "not listening"},
		} {
			v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, check.opt)
			if err != nil {
				ferr = os.NewSyscallError("getsockopt", err)
				return
			}
			if v != check.want {
				ferr = errors.New(check.what)
				return
			}
		}
		if family, ferr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_DOMAIN); ferr != nil {
			ferr = os.NewSyscallError("getsockopt SO_DOMAIN", ferr)
			return
		}
		r1, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if errno != 0 {
			ferr = os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", errno)
			return
		}
		nfd = int(r1)
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("sctp: inherited socket %s: %w", f.Name(), err)
	}
	if err := syscall.SetNonblock(nfd, true); err != nil {
		syscall.Close(nfd)
		return nil, fmt.Errorf("sctp: inherited socket %s: set non-blocking: %w", f.Name(), err)
	}
	return newSocket(nfd, family, maxMessageSize)
}

// File returns a duplicate of the socket's descriptor, for handing the bound
// socket to another process (see FileSocket). Both refer to the same kernel
// socket; closing one leaves the other usable.
func (s *Socket) File() (*os.File, error) {
	nfd := -1
	err := s.control(func(fd uintptr) error {
		r1, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if errno != 0 {
			return os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", errno)
		}
		nfd = int(r1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sctp: duplicating socket: %w", err)
	}
	return os.NewFile(uintptr(nfd), fmt.Sprintf("sctp:%d", s.port)), nil
}

func bindAddrs(fd, family int, addrs []netip.Addr, port uint16) error {
	toSockaddr := func(a netip.Addr) (syscall.Sockaddr, error) {
		a = a.Unmap()
		if a.Is4() {
			return &syscall.SockaddrInet4{Port: int(port), Addr: a.As4()}, nil
		}
		sa := &syscall.SockaddrInet6{Port: int(port), Addr: a.As16()}
		if z := a.Zone(); z != "" {
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return nil, fmt.Errorf("sctp: zone of %v: %w", a, err)
			}
			sa.ZoneId = uint32(ifi.Index)
		}
		return sa, nil
	}
	switch len(addrs) {
	case 0:
		wildcard := netip.IPv6Unspecified()
		if family == syscall.AF_INET {
			wildcard = netip.IPv4Unspecified()
		}
		addrs = []netip.Addr{wildcard}
		fallthrough
	case 1:
		sa, err := toSockaddr(addrs[0])
		if err != nil {
			return err
		}
		if err := syscall.Bind(fd, sa); err != nil {
			return fmt.Errorf("sctp: bind %v: %w", netip.AddrPortFrom(addrs[0], port), err)
		}
		return nil
	}
	la := &lib.SCTPAddr{Port: int(port)}
	for _, a := range addrs {
		la.IPAddrs = append(la.IPAddrs, net.IPAddr{IP: a.Unmap().AsSlice(), Zone: a.Zone()})
	}
	if err := lib.SCTPBind(fd, la, lib.SCTP_BINDX_ADD_ADDR); err != nil {
		return fmt.Errorf("sctp: bindx %v port %d: %w", addrs, port, err)
	}
	return nil
}

func setsockopt(fd uintptr, opt int, p unsafe.Pointer, size uintptr) error {
	_, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, fd, lib.SOL_SCTP, uintptr(opt), uintptr(p), size, 0)
	if e != 0 {
		return e
	}
	return nil
}

// getsockopt calls getsockopt(SOL_SCTP) and returns the result length.
func getsockopt(fd uintptr, opt int, p unsafe.Pointer, size uint32) (uint32, error) {
	l := size
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, lib.SOL_SCTP, uintptr(opt), uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return 0, e
	}
	return l, nil
}

func subscribe(fd uintptr, ev Events) error {
	on := func(e Events) uint8 {
		if ev&e != 0 {
			return 1
		}
		return 0
	}
	es := lib.EventSubscribe{
		DataIO:          1,
		Association:     on(EventAssociation),
		Address:         on(EventAddress),
		SendFailure:     on(EventSendFailure),
		PeerError:       on(EventPeerError),
		Shutdown:        on(EventShutdown),
		PartialDelivery: on(EventPartialDelivery),
		AdaptationLayer: on(EventAdaptation),
		Authentication:  on(EventAuthentication),
		SenderDry:       on(EventSenderDry),
	}
	if err := setsockopt(fd, lib.SCTP_EVENTS, unsafe.Pointer(&es), unsafe.Sizeof(es)); err != nil {
		return fmt.Errorf("sctp: setsockopt SCTP_EVENTS: %w", err)
	}
	return nil
}

func setInitMsg(fd uintptr, m InitMsg) error {
	im := lib.InitMsg{
		NumOstreams:    m.OutStreams,
		MaxInstreams:   m.MaxInStreams,
		MaxAttempts:    m.MaxAttempts,
		MaxInitTimeout: uint16(m.MaxInitTimeout / time.Millisecond),
	}
	if err := setsockopt(fd, lib.SCTP_INITMSG, unsafe.Pointer(&im), unsafe.Sizeof(im)); err != nil {
		return fmt.Errorf("sctp: setsockopt SCTP_INITMSG: %w", err)
	}
	return nil
}

// control runs f on the descriptor, failing with ErrClosed after Close.
func (s *Socket) control(f func(fd uintptr) error) error {
	var ferr error
	if err := s.rc.Control(func(fd uintptr) { ferr = f(fd) }); err != nil {
		if s.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("sctp: %w", err)
	}
	return ferr
}

// Port is the local port the socket is bound to.
func (s *Socket) Port() uint16 { return s.port }

// IPv6 reports whether the socket is AF_INET6 (dual stack).
func (s *Socket) IPv6() bool { return s.family == syscall.AF_INET6 }

// Close closes the socket. The kernel shuts every association down
// gracefully, or aborts those with unread data, as for RSPLIB's close().
// Blocked Read and Send calls return ErrClosed.
func (s *Socket) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	return s.f.Close()
}

// SetReadDeadline sets the time after which Read fails with an error
// wrapping os.ErrDeadlineExceeded; the zero time means none.
func (s *Socket) SetReadDeadline(t time.Time) error { return s.f.SetReadDeadline(t) }

// SetWriteDeadline sets the time after which a Send waiting for buffer
// space fails with an error wrapping os.ErrDeadlineExceeded; the zero time
// means none.
func (s *Socket) SetWriteDeadline(t time.Time) error { return s.f.SetWriteDeadline(t) }

// SetAutoClose sets SCTP_AUTOCLOSE: idle associations are shut down after d
// (whole seconds; 0 disables it).
func (s *Socket) SetAutoClose(d time.Duration) error {
	return s.control(func(fd uintptr) error {
		if err := syscall.SetsockoptInt(int(fd), lib.SOL_SCTP, lib.SCTP_AUTOCLOSE, int(d/time.Second)); err != nil {
			return fmt.Errorf("sctp: setsockopt SCTP_AUTOCLOSE: %w", err)
		}
		return nil
	})
}

// SetNoDelay sets SCTP_NODELAY (no Nagle-like bundling delay).
func (s *Socket) SetNoDelay(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return s.control(func(fd uintptr) error {
		if err := syscall.SetsockoptInt(int(fd), lib.SOL_SCTP, lib.SCTP_NODELAY, v); err != nil {
			return fmt.Errorf("sctp: setsockopt SCTP_NODELAY: %w", err)
		}
		return nil
	})
}

// SetDelayedSack sets SCTP_DELAYED_SACK for all future associations
// (struct sctp_sack_info with association 0). RSPLIB's ASAP socket uses
// delay 0, frequency 1: acknowledge every packet at once.
func (s *Socket) SetDelayedSack(delay time.Duration, freq uint32) error {
	st := lib.SackTimer{SackDelay: uint32(delay / time.Millisecond), SackFrequency: freq}
	return s.control(func(fd uintptr) error {
		if err := setsockopt(fd, lib.SCTP_DELAYED_SACK, unsafe.Pointer(&st), unsafe.Sizeof(st)); err != nil {
			return fmt.Errorf("sctp: setsockopt SCTP_DELAYED_SACK: %w", err)
		}
		return nil
	})
}

// SetInitMsg sets SCTP_INITMSG for associations set up from now on.
func (s *Socket) SetInitMsg(m InitMsg) error {
	return s.control(func(fd uintptr) error { return setInitMsg(fd, m) })
}

// SetReadBuffer sets SO_RCVBUF, shared by all associations of the socket.
func (s *Socket) SetReadBuffer(bytes int) error {
	return s.control(func(fd uintptr) error {
		return os.NewSyscallError("setsockopt SO_RCVBUF", syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, bytes))
	})
}

// Buffers reports SO_RCVBUF and SO_SNDBUF as the kernel keeps them (twice
// what was set, for its bookkeeping).
func (s *Socket) Buffers() (read, write int, err error) {
	err = s.control(func(fd uintptr) error {
		var err error
		if read, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF); err != nil {
			return os.NewSyscallError("getsockopt SO_RCVBUF", err)
		}
		write, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		return os.NewSyscallError("getsockopt SO_SNDBUF", err)
	})
	return read, write, err
}

// SetWriteBuffer sets SO_SNDBUF, shared by all associations of the socket.
func (s *Socket) SetWriteBuffer(bytes int) error {
	return s.control(func(fd uintptr) error {
		return os.NewSyscallError("setsockopt SO_SNDBUF", syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, bytes))
	})
}

// getaddrs runs SCTP_GET_PEER_ADDRS or SCTP_GET_LOCAL_ADDRS, growing the
// buffer until the list fits.
func (s *Socket) getaddrs(opt int, assoc AssocID) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	err := s.control(func(fd uintptr) error {
		for size := 8 + 16*sockaddrIn6Len; size <= 1<<22; size *= 4 {
			buf := make([]byte, size)
			ne.PutUint32(buf, uint32(int32(assoc)))
			l, err := getsockopt(fd, opt, unsafe.Pointer(&buf[0]), uint32(size))
			if err == syscall.ENOMEM {
				continue
			}
			if err != nil {
				return err
			}
			// The kernel sets the option length to the size of the
			// addresses alone, without the 8-byte header; the count
			// is what matters.
			_ = l
			out, err = decodeSockaddrs(buf[8:], int(ne.Uint32(buf[4:])))
			return err
		}
		return syscall.ENOMEM
	})
	return out, err
}

// PeerAddrs returns the peer's addresses of an association (getpaddrs).
func (s *Socket) PeerAddrs(assoc AssocID) ([]netip.AddrPort, error) {
	a, err := s.getaddrs(lib.SCTP_GET_PEER_ADDRS, assoc)
	if err != nil {
		return nil, fmt.Errorf("sctp: peer addresses of association %d: %w", assoc, err)
	}
	return a, nil
}

// LocalAddrs returns the addresses the socket is bound to (getladdrs with
// association 0; a wildcard bind lists every local address).
func (s *Socket) LocalAddrs() ([]netip.AddrPort, error) {
	a, err := s.getaddrs(lib.SCTP_GET_LOCAL_ADDRS, 0)
	if err != nil {
		return nil, fmt.Errorf("sctp: local addresses: %w", err)
	}
	return a, nil
}

// AssocLocalAddrs returns the local addresses an association uses.
func (s *Socket) AssocLocalAddrs(assoc AssocID) ([]netip.AddrPort, error) {
	a, err := s.getaddrs(lib.SCTP_GET_LOCAL_ADDRS, assoc)
	if err != nil {
		return nil, fmt.Errorf("sctp: local addresses of association %d: %w", assoc, err)
	}
	return a, nil
}

const paddrinfoLen = 4 + sockaddrStorLen + 20

func decodePaddrinfo(b []byte) (PeerAddrInfo, error) {
	addr, _, err := decodeSockaddr(b[4 : 4+sockaddrStorLen])
	if err != nil {
		return PeerAddrInfo{}, err
	}
	o := 4 + sockaddrStorLen
	return PeerAddrInfo{
		Addr:  addr,
		State: PathState(int32(ne.Uint32(b[o:]))),
		CWND:  ne.Uint32(b[o+4:]),
		SRTT:  time.Duration(ne.Uint32(b[o+8:])) * time.Millisecond,
		RTO:   time.Duration(ne.Uint32(b[o+12:])) * time.Millisecond,
		MTU:   ne.Uint32(b[o+16:]),
	}, nil
}

// AssocOf returns the association whose peer has the given transport
// address (SCTP_GET_PEER_ADDR_INFO with association 0), or an error if
// there is none.
func (s *Socket) AssocOf(addr netip.AddrPort) (AssocID, error) {
	var buf [paddrinfoLen]byte
	if _, err := s.appendAddr(buf[4:4], addr); err != nil {
		return 0, err
	}
	err := s.control(func(fd uintptr) error {
		_, err := getsockopt(fd, lib.SCTP_GET_PEER_ADDR_INFO, unsafe.Pointer(&buf[0]), uint32(len(buf)))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sctp: association of %v: %w", addr, err)
	}
	return AssocID(int32(ne.Uint32(buf[0:]))), nil
}

// PeerAddrInfo returns the state of one path of an association.
func (s *Socket) PeerAddrInfo(assoc AssocID, addr netip.AddrPort) (PeerAddrInfo, error) {
	var buf [paddrinfoLen]byte
	ne.PutUint32(buf[0:], uint32(int32(assoc)))
	if _, err := s.appendAddr(buf[4:4], addr); err != nil {
		return PeerAddrInfo{}, err
	}
	err := s.control(func(fd uintptr) error {
		_, err := getsockopt(fd, lib.SCTP_GET_PEER_ADDR_INFO, unsafe.Pointer(&buf[0]), uint32(len(buf)))
		return err
	})
	if err != nil {
		return PeerAddrInfo{}, fmt.Errorf("sctp: path %v of association %d: %w", addr, assoc, err)
	}
	return decodePaddrinfo(buf[:])
}

// Status returns SCTP_STATUS of an association; Primary.SRTT is what the
// registrar needs for DPF distances.
func (s *Socket) Status(assoc AssocID) (Status, error) {
	st := lib.Status{AssocID: lib.SCTPAssocID(assoc)}
	err := s.control(func(fd uintptr) error {
		_, err := getsockopt(fd, lib.SCTP_STATUS, unsafe.Pointer(&st), uint32(unsafe.Sizeof(st)))
		return err
	})
	if err != nil {
		return Status{}, fmt.Errorf("sctp: status of association %d: %w", assoc, err)
	}
	p := st.PrimaryPeerAddr
	addr, _, _ := decodeSockaddr(p.Address[:])
	return Status{
		Assoc:         AssocID(st.AssocID),
		State:         AssocStatusState(st.State),
		RWND:          st.RWND,
		UnackedData:   st.Unackdata,
		PendingData:   st.Penddata,
		InStreams:     st.Instreams,
		OutStreams:    st.Ostreams,
		FragmentPoint: st.FragmentationPoint,
		Primary: PeerAddrInfo{
			Addr:  addr,
			State: PathState(p.State),
			CWND:  p.CWND,
			SRTT:  time.Duration(p.SRTT) * time.Millisecond,
			RTO:   time.Duration(p.RTO) * time.Millisecond,
			MTU:   p.MTU,
		},
	}, nil
}

// sctpGetAssocIDList is SCTP_GET_ASSOC_ID_LIST (RFC 6458 8.2.6), which the
// library does not name.
const sctpGetAssocIDList = 29

// AssocIDs lists the socket's associations (SCTP_GET_ASSOC_ID_LIST).
func (s *Socket) AssocIDs() ([]AssocID, error) {
	for n := 64; ; n *= 4 {
		// struct sctp_assoc_ids: a count, then the ids.
		buf := make([]uint32, 1+n)
		err := s.control(func(fd uintptr) error {
			_, err := getsockopt(fd, sctpGetAssocIDList, unsafe.Pointer(&buf[0]), uint32(4*len(buf)))
			return err
		})
		if errors.Is(err, syscall.EINVAL) && n < 1<<20 {
			continue // the kernel refuses a buffer too small for every id
		}
		if err != nil {
			return nil, fmt.Errorf("sctp: association list: %w", err)
		}
		ids := make([]AssocID, min(int(buf[0]), n))
		for i := range ids {
			ids[i] = AssocID(int32(buf[1+i]))
		}
		return ids, nil
	}
}

// sctpGetAssocStats is SCTP_GET_ASSOC_STATS (Linux 3.8), struct
// sctp_assoc_stats: the id, a sockaddr_storage at offset 8, then 15
// counters from offset 136; sizes checked against linux/sctp.h.
const (
	sctpGetAssocStats = 112
	assocStatsLen     = 256
)

// Counters returns an association's cumulative packet counters.
func (s *Socket) Counters(assoc AssocID) (Counters, error) {
	var buf [assocStatsLen / 8]uint64
	*(*int32)(unsafe.Pointer(&buf[0])) = int32(assoc)
	err := s.control(func(fd uintptr) error {
		_, err := getsockopt(fd, sctpGetAssocStats, unsafe.Pointer(&buf[0]), assocStatsLen)
		return err
	})
	if err != nil {
		return Counters{}, fmt.Errorf("sctp: counters of association %d: %w", assoc, err)
	}
	const first = 136 / 8 // sas_maxrto
	return Counters{SACKsIn: buf[first+1], PacketsIn: buf[first+4], PacketsOut: buf[first+3], Retransmitted: buf[first+5]}, nil
}
