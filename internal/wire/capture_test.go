package wire

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rserpool/rspregistrar/internal/pcapng"
)

// captured is an ASAP or ENRP message found in a capture of real RSPLIB
// traffic.
type captured struct {
	file  string
	frame int
	ppid  uint32
	data  []byte
}

// captureMessages returns every ASAP and ENRP message of the captures in
// testdata: SCTP user messages with PPID 11 or 12, and the UDP multicast
// announces (port 3863) and presences (port 9901).
func captureMessages(t testing.TB) []captured {
	t.Helper()
	files, err := filepath.Glob("testdata/*.pcapng")
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in testdata: %v", err)
	}
	var out []captured
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := pcapng.Extract(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, m := range msgs {
			c := captured{file: filepath.Base(name), frame: m.Frame, data: m.Data}
			switch {
			case m.Protocol == pcapng.ProtoSCTP && (m.PPID == PPIDASAP || m.PPID == PPIDENRP):
				c.ppid = m.PPID
			case m.Protocol == pcapng.ProtoUDP && m.Dst.Port() == 3863:
				c.ppid = PPIDASAP
			case m.Protocol == pcapng.ProtoUDP && m.Dst.Port() == 9901:
				c.ppid = PPIDENRP
			default:
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// TestCaptures decodes every ASAP and ENRP message that real RSPLIB programs
// exchanged in the captures and re-encodes it to identical bytes. RSPLIB
// sends loopback and link-local addresses that its own parser then drops, so
// the byte comparison decodes with the scope filter off; the default decode
// must accept every message too, and agree after re-encoding.
func TestCaptures(t *testing.T) {
	msgs := captureMessages(t)
	types := map[string]int{}
	for _, c := range msgs {
		if _, err := Decode(c.ppid, c.data, DecodeOptions{}); err != nil {
			t.Errorf("%s frame %d: RSPLIB-style decode: %v\n%x", c.file, c.frame, err, c.data)
		}
		m, err := Decode(c.ppid, c.data, DecodeOptions{KeepAllAddresses: true})
		if err != nil {
			t.Errorf("%s frame %d: %v\n%x", c.file, c.frame, err, c.data)
			continue
		}
		types[TypeName(m.PPID(), m.Type())]++
		b, err := m.AppendTo(nil)
		if err != nil {
			t.Errorf("%s frame %d: re-encode: %v", c.file, c.frame, err)
			continue
		}
		if !bytes.Equal(b, c.data) {
			t.Errorf("%s frame %d: re-encoded differently\n got %x\nwant %x", c.file, c.frame, b, c.data)
		}
	}
	t.Logf("%d messages: %v", len(msgs), types)
	// Every message type the captures are known to hold must have been seen.
	for _, name := range []string{
		"ASAP Registration", "ASAP RegistrationResponse", "ASAP Deregistration", "ASAP DeregistrationResponse",
		"ASAP HandleResolution", "ASAP HandleResolutionResponse", "ASAP EndpointKeepAlive",
		"ASAP EndpointKeepAliveAck", "ASAP ServerAnnounce", "ENRP Presence", "ENRP HandleTableRequest",
		"ENRP HandleTableResponse", "ENRP HandleUpdate", "ENRP ListRequest", "ENRP ListResponse",
		"ENRP InitTakeover", "ENRP InitTakeoverAck",
	} {
		if types[name] == 0 {
			t.Errorf("no %s in the captures", name)
		}
	}
}
