//go:build linux && !386

package sctp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	lib "github.com/ishidawataru/sctp"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// rcvinfoCmsg is an SCTP_RCVINFO control message for assoc, stream and ssn.
func rcvinfoCmsg(assoc AssocID, stream, ssn uint16) []byte {
	b := make([]byte, 48)
	binary.LittleEndian.PutUint64(b[0:], 44)
	binary.LittleEndian.PutUint32(b[8:], syscall.IPPROTO_SCTP)
	binary.LittleEndian.PutUint32(b[12:], 3)
	binary.LittleEndian.PutUint16(b[16:], stream)
	binary.LittleEndian.PutUint16(b[18:], ssn)
	binary.LittleEndian.PutUint32(b[40:], uint32(assoc))
	return b
}

// batchPart is one part as recvmmsg leaves it in a slot.
type batchPart struct {
	data  string
	assoc AssocID
	ssn   uint16
	notif bool
	eor   bool
}

// fillBatch puts parts into the batch reader's slots as the kernel would.
func fillBatch(s *Socket, ms []Message, parts []batchPart) {
	b := &s.b
	b.grow(len(ms))
	b.ms, b.n, b.cur, b.err = ms, 0, -1, nil
	for i, p := range parts {
		if len(ms[i].Buf) == 0 {
			ms[i].Buf = make([]byte, 8)
		}
		n := copy(ms[i].Buf, p.data)
		h := &b.hdrs[i]
		h.n = uint32(n)
		h.hdr = syscall.Msghdr{}
		if p.eor {
			h.hdr.Flags |= syscall.MSG_EOR
		}
		if p.notif {
			h.hdr.Flags |= lib.MSG_NOTIFICATION
		} else {
			h.hdr.Controllen = uint64(copy(b.oobs[i][:], rcvinfoCmsg(p.assoc, 0, p.ssn)))
		}
	}
}

// assemble joins the parts of one recvmmsg into whole messages, in order,
// and keeps an unfinished last message for part-by-part reading.
func TestBatchAssemble(t *testing.T) {
	requireLittleEndian(t)
	tests := []struct {
		name    string
		parts   []batchPart
		want    []string // "assoc:data"
		cur     int      // slot left unfinished, -1 none
		dropped uint64
	}{
		{"whole messages", []batchPart{{"a", 1, 0, false, true}, {"bb", 2, 0, false, true}, {"c", 1, 1, false, true}},
			[]string{"1:a", "2:bb", "1:c"}, -1, 0},
		{"a message in parts", []batchPart{{"x", 3, 0, false, true}, {"12345678", 1, 0, false, false}, {"12345678", 1, 0, false, false}, {"9", 1, 0, false, true}, {"y", 2, 0, false, true}},
			[]string{"3:x", "1:12345678123456789", "2:y"}, -1, 0},
		{"delivery aborted", []batchPart{{"12345678", 1, 0, false, false}, {"z", 2, 0, false, true}},
			[]string{"2:z"}, -1, 1},
		{"last message unfinished", []batchPart{{"a", 1, 0, false, true}, {"12345678", 2, 0, false, false}},
			[]string{"1:a"}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Socket{maxMsg: 1 << 16}
			ms := make([]Message, 8)
			fillBatch(s, ms, tt.parts)
			done := s.assemble(len(tt.parts))
			if done != (tt.cur < 0) || s.b.cur != tt.cur {
				t.Fatalf("done %v, cur %d; want cur %d", done, s.b.cur, tt.cur)
			}
			var got []string
			for _, m := range ms[:s.b.n] {
				got = append(got, fmt.Sprintf("%d:%s", m.Info.Assoc, m.Data))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || s.Dropped() != tt.dropped {
				t.Errorf("got %q, dropped %d; want %q, %d", got, s.Dropped(), tt.want, tt.dropped)
			}
			if tt.cur >= 0 && (!s.r.started || s.r.m != &ms[tt.cur] || s.r.off != 8) {
				t.Errorf("reader state %+v", s.r)
			}
		})
	}
}

// Messages sent with SendBatch (some larger than the batch buffers, one by
// address) arrive whole and in order through ReadBatch, both ways.
func TestSandboxBatch(t *testing.T) {
	sandboxtest.Require(t)
	srv := listen(t, Config{Addrs: []netip.Addr{addr1}, MaxMessageSize: 1 << 16})
	cli := listen(t, Config{Addrs: []netip.Addr{addr2}, MaxMessageSize: 1 << 16})
	const n = 300
	body := func(i int) []byte {
		size := 10 + i%50
		if i%7 == 0 {
			size = 3000 + i // more than the 1024-byte buffers below
		}
		b := bytes.Repeat([]byte{byte(i)}, size)
		binary.BigEndian.PutUint32(b, uint32(i))
		return b
	}
	assoc, err := cli.SendTo([]netip.Addr{addr1}, srv.Port(), body(0), SendInfo{PPID: 11})
	if err != nil || assoc == 0 {
		t.Fatalf("SendTo: %v, %v", assoc, err)
	}
	out := []Outgoing{{To: []netip.Addr{addr1}, Port: srv.Port(), Data: body(1), Info: SendInfo{PPID: 11}}}
	for i := 2; i < n; i++ {
		out = append(out, Outgoing{Assoc: assoc, Data: body(i), Info: SendInfo{PPID: 11}})
	}
	for len(out) > 0 {
		k, err := cli.SendBatch(out)
		out = out[k:]
		if err != nil {
			time.Sleep(10 * time.Millisecond) // buffer full: the reader drains it
		}
	}
	readAll := func(s *Socket, want int) (AssocID, [][]byte) {
		t.Helper()
		ms := make([]Message, 16)
		for i := range ms {
			ms[i].Buf = make([]byte, 1024)
		}
		var got [][]byte
		var from AssocID
		if err := s.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		for len(got) < want {
			k, err := s.ReadBatch(ms)
			for _, m := range ms[:k] {
				if m.Notification == nil && m.Err == nil {
					got = append(got, append([]byte(nil), m.Data...))
					from = m.Info.Assoc
				}
			}
			if err != nil {
				t.Fatalf("after %d messages: %v", len(got), err)
			}
		}
		return from, got
	}
	check := func(what string, got [][]byte) {
		t.Helper()
		for i, b := range got {
			if !bytes.Equal(b, body(i)) {
				t.Fatalf("%s: message %d: %d bytes %x..., want %d bytes", what, i, len(b), b[:min(8, len(b))], len(body(i)))
			}
		}
	}
	back, got := readAll(srv, n)
	check("client to server", got)
	answers := make([]Outgoing, n)
	for i := range answers {
		answers[i] = Outgoing{Assoc: back, Data: body(i), Info: SendInfo{PPID: 12}}
	}
	if k, err := srv.SendBatch(answers); err != nil || k != n {
		t.Fatalf("SendBatch: %d, %v", k, err)
	}
	_, got = readAll(cli, n)
	check("server to client", got)
	if k, err := srv.SendBatch([]Outgoing{{Assoc: back, Data: nil}}); k != 0 || err == nil {
		t.Errorf("empty message: %d, %v", k, err)
	}
}
