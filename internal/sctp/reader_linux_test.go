//go:build linux && !386

package sctp

import (
	"bytes"
	"io"
	"syscall"
	"testing"

	lib "github.com/ishidawataru/sctp"
)

// kernelMsg is one message as the fake kernel queues it. cut marks a
// message whose delivery the kernel aborts: its last part has no MSG_EOR.
type kernelMsg struct {
	data  []byte
	notif bool
	info  RcvInfo
	cut   bool
}

// fakeRead drives the reader like readParts does, with recvmsg replaced by
// Linux's semantics: a part is as long as the buffer allows, MSG_EOR marks
// the last one, and the rest of a message stays queued.
func fakeRead(t *testing.T, r *reader, m *Message, maxMsg int, queue *[]kernelMsg, off *int) (dropped int) {
	t.Helper()
	r.m = m
	if len(m.Buf) == 0 {
		m.Buf = make([]byte, min(DefaultReadBuffer, maxMsg))
	}
	for i := 0; i < 100000; i++ {
		if len(*queue) == 0 {
			t.Fatal("fake kernel queue empty")
		}
		k := (*queue)[0]
		dst := r.buffer(maxMsg)
		n := copy(dst, k.data[*off:])
		*off += n
		flags := 0
		if k.notif {
			flags |= lib.MSG_NOTIFICATION
		}
		if *off == len(k.data) {
			if !k.cut {
				flags |= syscall.MSG_EOR
			}
			*queue, *off = (*queue)[1:], 0
		}
		done, d := r.part(dst, n, flags, k.info, nil)
		if d {
			dropped++
		}
		if done {
			return dropped
		}
	}
	t.Fatal("no end of message")
	return 0
}

func TestReaderReassembly(t *testing.T) {
	pdAbort := hx(t, `06 80 0000 18000000 00000000 06000000 00000000 05000000`)
	sendFailed := append(hx(t, `03 80 0000 34130000 00000000`+zeros(32)+`05000000`), pattern(5000-48)...)
	infoA := RcvInfo{Assoc: 6, PPID: 11, SSN: 5}
	tests := []struct {
		name    string
		maxMsg  int
		buf     int
		queue   []kernelMsg
		want    [][]byte // Data of each Read
		trunc   []bool
		dropped int
	}{
		{"small message, one part", 65536, 0,
			[]kernelMsg{{data: []byte("hello"), info: infoA}},
			[][]byte{[]byte("hello")}, []bool{false}, 0},
		{"150 parts into a 1000-byte buffer", 1 << 20, 1000,
			[]kernelMsg{{data: pattern(150000), info: infoA}, {data: []byte("next"), info: RcvInfo{Assoc: 6, SSN: 6}}},
			[][]byte{pattern(150000), []byte("next")}, []bool{false, false}, 0},
		{"longer than MaxMessageSize", 2048, 0,
			[]kernelMsg{{data: pattern(10000), info: infoA}, {data: []byte("next"), info: RcvInfo{Assoc: 6, SSN: 6}}},
			[][]byte{pattern(2048), []byte("next")}, []bool{true, false}, 0},
		{"truncated with a caller buffer below the scratch size", 512, 8192,
			[]kernelMsg{{data: pattern(20000), info: infoA}, {data: pattern(9000), info: RcvInfo{Assoc: 6, SSN: 6}}},
			[][]byte{pattern(8192), pattern(8192)}, []bool{true, true}, 0},
		{"partial delivery aborted by a notification", 65536, 1000,
			[]kernelMsg{{data: pattern(3000), info: infoA, cut: true}, {data: pdAbort, notif: true}},
			[][]byte{pdAbort}, []bool{false}, 1},
		{"truncated message cut off", 1024, 0,
			[]kernelMsg{{data: pattern(3000), info: infoA, cut: true}, {data: []byte("other"), info: RcvInfo{Assoc: 7}}},
			[][]byte{[]byte("other")}, []bool{false}, 1},
		{"notification in parts", 65536, 1000,
			[]kernelMsg{{data: sendFailed, notif: true}},
			[][]byte{sendFailed}, []bool{false}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reader
			queue, off, dropped := tt.queue, 0, 0
			m := &Message{Buf: make([]byte, tt.buf)}
			for i, want := range tt.want {
				dropped += fakeRead(t, &r, m, tt.maxMsg, &queue, &off)
				if r.err != nil {
					t.Fatal(r.err)
				}
				got := m.Buf[:r.off]
				if !bytes.Equal(got, want) || r.trunc != tt.trunc[i] {
					t.Errorf("read %d: %d bytes (truncated %v), want %d (%v)", i, len(got), r.trunc, len(want), tt.trunc[i])
				}
				r.started, r.trunc, r.off = false, false, 0
			}
			if dropped != tt.dropped {
				t.Errorf("%d dropped, want %d", dropped, tt.dropped)
			}
			if len(queue) != 0 {
				t.Errorf("%d messages left", len(queue))
			}
		})
	}
}

func TestReaderEOF(t *testing.T) {
	r := reader{m: &Message{Buf: make([]byte, 16)}}
	done, _ := r.part(r.buffer(1024), 0, 0, RcvInfo{}, nil)
	if !done || r.err != io.EOF {
		t.Errorf("zero-length part without MSG_EOR: done %v, err %v", done, r.err)
	}
}

// A scratch sink sized for an earlier, larger buffer must not overflow a
// smaller one when a cut-off message is followed by another.
func TestReaderScratchFitsBuffer(t *testing.T) {
	r := reader{scratch: make([]byte, 4096)}
	queue := []kernelMsg{{data: pattern(5000), info: RcvInfo{Assoc: 1}, cut: true}, {data: pattern(3000), info: RcvInfo{Assoc: 2}}}
	off := 0
	m := &Message{Buf: make([]byte, 512)}
	if d := fakeRead(t, &r, m, 512, &queue, &off); d != 1 {
		t.Errorf("%d dropped", d)
	}
	if got := m.Buf[:r.off]; !r.trunc || !bytes.Equal(got, pattern(512)) {
		t.Errorf("%d bytes, truncated %v", len(got), r.trunc)
	}
}
