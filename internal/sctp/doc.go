// Package sctp gives the registrar the kind of SCTP endpoint RSPLIB's
// rspregistrar uses: one one-to-many (SOCK_SEQPACKET) socket per protocol,
// bound to one or several local addresses, listening, that sends either on an
// existing association (by association id) or to a peer's address list with
// implicit association setup, and that reports association and path changes
// as notifications.
//
// # Runtime model
//
// A Socket is one non-blocking file descriptor registered with Go's runtime
// poller (os.NewFile plus SyscallConn), and recvmsg/sendmsg run inside the
// RawConn Read/Write callbacks. Nothing is allocated per association: no OS
// thread, no goroutine, no per-association buffer; the kernel keeps the
// per-association state, so the number of associations is bounded by kernel
// memory (about 15 KiB of slab per association pair in the sandbox; 10,000
// concurrent associations were served with 4 OS threads). Blocked
// readers and writers park in the poller like net.Conn users do, honour
// SetReadDeadline/SetWriteDeadline, and are woken by Close.
//
// Read returns whole user messages: when the kernel hands out a message in
// parts (the buffer is smaller than the message, or partial delivery is in
// progress) the parts are joined until MSG_EOR. The caller owns the Message
// and its buffer and reuses them, so a data read allocates nothing once the
// buffer has grown to the largest message seen. Notifications are decoded
// into Go values (AssocChange, ShutdownEvent, PeerAddrChange, SendFailed,
// RemoteError, PartialDeliveryEvent, ...) by ParseNotification, which is pure
// byte decoding and is unit tested and fuzzed without kernel SCTP.
//
// # Why not github.com/ishidawataru/sctp alone
//
// That library is built around one-to-one (SOCK_STREAM) sockets used like
// net.Conn: its listener and dialer always create SOCK_STREAM sockets, its
// reads and writes are plain blocking syscalls on the descriptor (its RawConn
// Read/Write panic with "not implemented"), so every waiting reader pins an OS
// thread; SCTPRead allocates a control buffer per call and delivers
// notifications to a callback as raw bytes; it has no way to send to an
// address list (sctp_sendx) or to a given association id on a one-to-many
// socket, and its getpaddrs/getladdrs decode assume a single address family
// per list and a 4 KiB result; its SCTP_EOF flag (1<<4) is not Linux's
// (MSG_FIN, 0x200), so sending it starts no shutdown; and its
// SCTP_STATUS state constants are not Linux's. What it does get right is
// used here: the option numbers, flags and notification type codes, the
// bindx call (SCTPBind), and its struct layouts for SCTP_INITMSG,
// SCTP_DELAYED_SACK, SCTP_EVENTS and SCTP_STATUS (checked against the kernel
// ABI sizes in the tests). Everything else (socket creation, poller
// integration, cmsg and notification coding, address lists) is done here
// with the standard syscall package, which on Linux has every call and type
// needed (Msghdr, raw recvmsg/sendmsg, socket options), so nothing from
// golang.org/x/sys is required.
//
// The implementation needs Linux kernel SCTP (module sctp); on other systems,
// and on linux/386 where the library has no socket calls, Listen and
// Available return an error.
package sctp
