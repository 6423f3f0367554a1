//go:build linux && !386

package sctp

// The sandbox tests run the peer side in a second process: the test binary
// re-executed with envChild=1 reads commands on stdin and answers one line
// per command on stdout.

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const envChild = "RSPREG_SCTP_TEST_CHILD"

// ioTimeout only keeps a broken test from hanging; no result depends on it.
const ioTimeout = 60 * time.Second

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		os.Exit(runChild(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// pattern fills a payload whose every byte depends on its position, so
// misordered or lost parts of a reassembled message are detected.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func isPattern(b []byte) bool {
	for i := range b {
		if b[i] != byte(i*7+i/251) {
			return false
		}
	}
	return true
}

// payload parses "text:abc" or "size:N".
func payload(s string) ([]byte, error) {
	switch {
	case strings.HasPrefix(s, "text:"):
		return []byte(s[5:]), nil
	case strings.HasPrefix(s, "size:"):
		n, err := strconv.Atoi(s[5:])
		if err != nil {
			return nil, err
		}
		return pattern(n), nil
	}
	return nil, fmt.Errorf("bad payload %q", s)
}

// describe renders a message as one line: "data ASSOC PPID STREAM LEN
// CONTENT FROM" or "notif TYPE ASSOC DETAIL".
func describe(m *Message) string {
	if n := m.Notification; n != nil {
		detail := "-"
		switch n := n.(type) {
		case AssocChange:
			detail = n.State.String() + " " + hex.EncodeToString(n.Info)
		case PeerAddrChange:
			detail = n.State.String() + " " + n.Addr.String()
		case RemoteError:
			detail = strconv.Itoa(int(n.Error))
		}
		return fmt.Sprintf("notif %s %d %s", n.Type(), n.Association(), detail)
	}
	content := "text:" + string(m.Data)
	if len(m.Data) > 64 || strings.ContainsAny(string(m.Data), " \n") {
		content = "pattern-bad"
		if isPattern(m.Data) {
			content = "pattern-ok"
		}
	}
	if m.Truncated {
		content += "-truncated"
	}
	return fmt.Sprintf("data %d %d %d %d %s %s", m.Info.Assoc, m.Info.PPID, m.Info.Stream, len(m.Data), content, m.From)
}

func parseAddrs(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, f := range strings.Split(s, ",") {
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func runChild(in io.Reader, out io.Writer) int {
	// Many client sockets need many descriptors.
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < 200000 {
		lim.Cur, lim.Max = max(lim.Max, 200000), max(lim.Max, 200000)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "child: setrlimit:", err)
		}
	}
	socks := map[string]*Socket{}
	var many []*Socket
	msg := &Message{}
	sc := bufio.NewScanner(in)
	w := bufio.NewWriter(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		reply, err := childCommand(f, socks, &many, msg)
		if err != nil {
			reply = "err " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		fmt.Fprintln(w, reply)
		w.Flush()
	}
	return 0
}

func childCommand(f []string, socks map[string]*Socket, many *[]*Socket, msg *Message) (string, error) {
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	num := func(i int) int {
		n, _ := strconv.Atoi(arg(i))
		return n
	}
	sock := func() (*Socket, error) {
		s := socks[arg(1)]
		if s == nil {
			return nil, fmt.Errorf("no socket %q", arg(1))
		}
		return s, nil
	}
	switch f[0] {
	case "open", "open4": // open NAME ADDR|-
		cfg := Config{IPv4Only: f[0] == "open4", MaxMessageSize: 1 << 20}
		if a := arg(2); a != "-" && a != "" {
			addrs, err := parseAddrs(a)
			if err != nil {
				return "", err
			}
			cfg.Addrs = addrs
		}
		s, err := Listen(cfg)
		if err != nil {
			return "", err
		}
		socks[arg(1)] = s
		return fmt.Sprintf("ok %d", s.Port()), nil
	case "sendto": // sendto NAME ADDRS PORT PPID STREAM PAYLOAD
		s, err := sock()
		if err != nil {
			return "", err
		}
		addrs, err := parseAddrs(arg(2))
		if err != nil {
			return "", err
		}
		p, err := payload(arg(6))
		if err != nil {
			return "", err
		}
		id, err := s.SendTo(addrs, uint16(num(3)), p, SendInfo{PPID: uint32(num(4)), Stream: uint16(num(5))})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("ok %d", id), nil
	case "send": // send NAME ASSOC PPID STREAM PAYLOAD [COUNT]
		s, err := sock()
		if err != nil {
			return "", err
		}
		p, err := payload(arg(5))
		if err != nil {
			return "", err
		}
		for i := 0; i < max(1, num(6)); i++ {
			if err := s.Send(AssocID(num(2)), p, SendInfo{PPID: uint32(num(3)), Stream: uint16(num(4))}); err != nil {
				return "", err
			}
		}
		return "ok", nil
	case "read": // read NAME
		s, err := sock()
		if err != nil {
			return "", err
		}
		s.SetReadDeadline(time.Now().Add(ioTimeout))
		if err := s.Read(msg); err != nil {
			return "", err
		}
		return describe(msg), nil
	case "abort": // abort NAME ASSOC [REASON]
		s, err := sock()
		if err != nil {
			return "", err
		}
		return "ok", s.Abort(AssocID(num(2)), []byte(arg(3)))
	case "shutdown": // shutdown NAME ASSOC
		s, err := sock()
		if err != nil {
			return "", err
		}
		return "ok", s.Shutdown(AssocID(num(2)))
	case "close": // close NAME
		s, err := sock()
		if err != nil {
			return "", err
		}
		delete(socks, arg(1))
		return "ok", s.Close()
	case "many": // many N LOCALADDR SERVERADDR PORT
		return childMany(num(1), arg(2), arg(3), uint16(num(4)), many)
	case "closemany":
		for _, s := range *many {
			s.Close()
		}
		*many = nil
		return "ok", nil
	}
	return "", fmt.Errorf("unknown command %q", f[0])
}

// childMany opens n client sockets, each of which sets up one association to
// the server by sending "ping N" and then waits for "pong N" back.
//
// local is a comma-separated list of addresses that the sockets take in
// turn, for more sockets than there are ephemeral ports.
func childMany(n int, local, server string, port uint16, many *[]*Socket) (string, error) {
	var las []netip.Addr
	for _, a := range strings.Split(local, ",") {
		la, err := netip.ParseAddr(a)
		if err != nil {
			return "", err
		}
		las = append(las, la)
	}
	sa, err := netip.ParseAddr(server)
	if err != nil {
		return "", err
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		cfg := Config{Addrs: []netip.Addr{las[i%len(las)]}, MaxMessageSize: 4096}
		if len(las) > 1 {
			// Linux's SCTP hands out an ephemeral port only if no socket
			// has it on any address: choose ports, the same on each address.
			cfg.Port = uint16(10000 + i/len(las))
		}
		s, err := Listen(cfg)
		if err != nil {
			return "", fmt.Errorf("socket %d: %w", i, err)
		}
		*many = append(*many, s)
	}
	opened := time.Since(start)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	// At most this many set-ups at once: tens of thousands of INITs at the
	// same moment overflow the server's backlog, and the retransmission
	// back-off then outlasts the read deadline. Answered associations
	// stay up, so all n are open together at the end.
	setups := make(chan struct{}, 2000)
	for i, s := range *many {
		wg.Add(1)
		go func() {
			defer wg.Done()
			setups <- struct{}{}
			defer func() { <-setups }()
			if _, err := s.SendTo([]netip.Addr{sa}, port, []byte(fmt.Sprintf("ping %d", i)), SendInfo{PPID: 11}); err != nil {
				errs <- fmt.Errorf("socket %d: %w", i, err)
				return
			}
			m := &Message{Buf: make([]byte, 512)}
			s.SetReadDeadline(time.Now().Add(5 * ioTimeout))
			for {
				if err := s.Read(m); err != nil {
					errs <- fmt.Errorf("socket %d: %w", i, err)
					return
				}
				if m.Notification != nil {
					continue
				}
				if want := fmt.Sprintf("pong %d", i); string(m.Data) != want || m.Info.PPID != 11 {
					errs <- fmt.Errorf("socket %d: got %q PPID %d, want %q", i, m.Data, m.Info.PPID, want)
				}
				return
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return "", err
	}
	return fmt.Sprintf("ok %d open=%s total=%s", n, opened.Round(time.Millisecond), time.Since(start).Round(time.Millisecond)), nil
}

// child is the parent's handle on a child process.
type child struct {
	t   testing.TB
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startChild(t testing.TB) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, in: in, out: bufio.NewScanner(out)}
	c.out.Buffer(make([]byte, 1<<16), 1<<20)
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(ioTimeout):
			cmd.Process.Kill()
			<-done
		}
	})
	return c
}

// do sends one command and returns the fields of the answer, failing the
// test on "err".
func (c *child) do(format string, args ...any) []string {
	c.t.Helper()
	line := fmt.Sprintf(format, args...)
	if _, err := fmt.Fprintln(c.in, line); err != nil {
		c.t.Fatalf("child %q: %v", line, err)
	}
	if !c.out.Scan() {
		c.t.Fatalf("child %q: no answer: %v", line, c.out.Err())
	}
	f := strings.Fields(c.out.Text())
	if len(f) == 0 || f[0] == "err" {
		c.t.Fatalf("child %q: %s", line, c.out.Text())
	}
	return f
}

// readUntil makes the child read on socket name until an answer starts with
// prefix, and returns that answer; other answers are logged.
func (c *child) readUntil(name, prefix string) string {
	c.t.Helper()
	for i := 0; i < 50; i++ {
		line := strings.Join(c.do("read %s", name), " ")
		if strings.HasPrefix(line, prefix) {
			return line
		}
		c.t.Logf("child %s: skipping %s", name, line)
	}
	c.t.Fatalf("child %s: no %q", name, prefix)
	return ""
}

// readUntil reads on s until match accepts a message; others are logged.
func readUntil(t testing.TB, s *Socket, m *Message, what string, match func(*Message) bool) {
	t.Helper()
	s.SetReadDeadline(time.Now().Add(ioTimeout))
	for i := 0; i < 50; i++ {
		if err := s.Read(m); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(m) {
			return
		}
		t.Logf("waiting for %s: skipping %s", what, describe(m))
	}
	t.Fatalf("no %s", what)
}

func isAssocChange(state AssocState) func(*Message) bool {
	return func(m *Message) bool {
		ac, ok := m.Notification.(AssocChange)
		return ok && ac.State == state
	}
}

func isData(m *Message) bool { return m.Notification == nil }
