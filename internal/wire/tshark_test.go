package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/pcapng"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// TestTshark has Wireshark's ASAP and ENRP dissectors check our encoder:
// every sample message and every wire.md §9 example, sent as SCTP DATA over
// IPv4 (valid CRC32c) and, for the multicast messages, as UDP.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	checkWithTshark(t, tshark)
}

// TestSandboxTshark runs the same check inside the sandbox, where tshark is
// part of the test environment and must be present.
func TestSandboxTshark(t *testing.T) {
	sandboxtest.Require(t)
	checkWithTshark(t, sandboxtest.Program(t, "tshark"))
}

type tsharkFrame struct {
	ppid uint32
	typ  uint8
	name string
}

// writeTsharkCapture writes the messages into a pcapng file and returns what
// each frame must decode as.
func writeTsharkCapture(t *testing.T, path string) []tsharkFrame {
	t.Helper()
	var msgs []Message
	for _, e := range section9Examples() {
		msgs = append(msgs, e.msg)
	}
	msgs = append(msgs, sampleMessages()...)

	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pcapng.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	eth, err := w.AddInterface(pcapng.LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	pe, pr := netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("198.18.0.1")
	var frames []tsharkFrame
	write := func(ipPayload []byte, proto uint8, m Message, how string) {
		frame := pcapng.AppendEthernet(nil, 0x0800, pcapng.AppendIPv4(nil, pe, pr, proto, ipPayload))
		if err := w.WritePacket(eth, uint64(len(frames))*1000, frame); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, tsharkFrame{m.PPID(), m.Type(), fmt.Sprintf("%s (%s)", TypeName(m.PPID(), m.Type()), how)})
	}
	for i, m := range msgs {
		b, err := m.AppendTo(nil)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		port := uint16(3863)
		if m.PPID() == PPIDENRP {
			port = 9901
		}
		write(pcapng.AppendSCTPData(nil, 40000, port, 0x01020304, pcapng.DataChunk{
			Flags: pcapng.DataFlagBegin | pcapng.DataFlagEnd, TSN: uint32(i), SSN: uint16(i), PPID: m.PPID(), Data: b,
		}), pcapng.ProtoSCTP, m, "SCTP")
		switch m.(type) {
		case *ServerAnnounce, *Presence:
			write(pcapng.AppendUDP(nil, 40000, port, b), pcapng.ProtoUDP, m, "UDP")
		}
	}
	return frames
}

func checkWithTshark(t *testing.T, tshark string) {
	path := filepath.Join(t.TempDir(), "encoded.pcapng")
	frames := writeTsharkCapture(t, path)
	checksum := []string{"-o", "sctp.checksum:CRC 32c"}

	// Message types, one line per frame.
	args := append([]string{"-r", path, "-T", "fields", "-E", "separator=,",
		"-e", "frame.number", "-e", "asap.message_type", "-e", "enrp.message_type"}, checksum...)
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) != 3 {
			t.Fatalf("unexpected tshark line %q", sc.Text())
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 || n > len(frames) {
			t.Fatalf("unexpected frame number in %q", sc.Text())
		}
		want := frames[n-1]
		got, field := f[1], "ASAP"
		if want.ppid == PPIDENRP {
			got, field = f[2], "ENRP"
		}
		if got != strconv.Itoa(int(want.typ)) {
			t.Errorf("frame %d: %s: tshark's %s type is %q, want %d (line %q)", n, want.name, field, got, want.typ, sc.Text())
		}
		seen++
	}
	if seen != len(frames) {
		t.Fatalf("tshark listed %d frames, wrote %d", seen, len(frames))
	}

	// Full decode: no malformed packet, no expert error (a bad SCTP
	// checksum would be one).
	out, err = exec.Command(tshark, append([]string{"-r", path, "-V"}, checksum...)...).Output()
	if err != nil {
		t.Fatalf("tshark -V: %v", err)
	}
	frame := 0
	sc = bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Frame ") {
			frame++
		}
		if strings.Contains(line, "Malformed") || strings.Contains(line, "Expert Info (Error") ||
			strings.Contains(line, "Expert Info (Warning") {
			name := "?"
			if frame >= 1 && frame <= len(frames) {
				name = frames[frame-1].name
			}
			t.Errorf("frame %d (%s): %s", frame, name, strings.TrimSpace(line))
		}
	}
	if frame != len(frames) {
		t.Fatalf("tshark -V showed %d frames, wrote %d", frame, len(frames))
	}
}
