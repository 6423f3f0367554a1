package wire

import (
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

func benchRegistration() *Registration {
	return &Registration{Handle: "EchoPool", PE: pe(0x12345678, sctp(5000, true, "198.18.0.2", "2001:db8::2"),
		rserpool.PolicySettings{Type: rserpool.PolicyLeastUsed, Load: 0x10000000}, nil)}
}

func benchHRResponse() *HandleResolutionResponse {
	lu := rserpool.PolicySettings{Type: rserpool.PolicyLeastUsed, Load: 0x10000000}
	return &HandleResolutionResponse{Handle: "EchoPool", Policy: lu, PEs: []rserpool.PoolElement{
		pe(1, sctp(5001, true, "198.18.0.2", "2001:db8::2"), lu, nil),
		pe(2, sctp(5002, true, "198.18.0.3", "2001:db8::3"), lu, nil),
		pe(3, sctp(5003, true, "198.18.0.4", "2001:db8::4"), lu, nil),
	}}
}

// hotMessages are the messages the registrar sends most; encoding them into a
// reused buffer must not allocate.
func hotMessages() []Message {
	reg := sctp(40000, false, "198.18.0.2")
	p := pe(1, sctp(5001, true, "198.18.0.2"), rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}, &reg)
	return []Message{
		&RegistrationResponse{Handle: "EchoPool", ID: 1},
		&RegistrationResponse{Handle: "EchoPool", ID: 1, Error: OperationError{Cause: rserpool.CauseNoUsableUserAddresses}},
		benchHRResponse(),
		&EndpointKeepAlive{ServerID: 1, Handle: "EchoPool", ID: 1},
		&HandleUpdate{Sender: 1, Receiver: 2, Handle: "EchoPool", PE: p},
		&Presence{Sender: 1, Checksum: 0xffff, Info: ServerInfo{ID: 1, Transport: sctp(9901, false, "198.18.0.1", "2001:db8::1")}},
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 4096)
	for _, m := range hotMessages() {
		allocs := testing.AllocsPerRun(100, func() {
			var err error
			if _, err = m.AppendTo(buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per encode", TypeName(m.PPID(), m.Type()), allocs)
		}
	}
}

func benchEncode(b *testing.B, m Message) {
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = m.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func benchDecode(b *testing.B, m Message) {
	data, err := m.AppendTo(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(m.PPID(), data, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRegistration(b *testing.B)              { benchEncode(b, benchRegistration()) }
func BenchmarkDecodeRegistration(b *testing.B)              { benchDecode(b, benchRegistration()) }
func BenchmarkEncodeHandleResolutionResponse3(b *testing.B) { benchEncode(b, benchHRResponse()) }
func BenchmarkDecodeHandleResolutionResponse3(b *testing.B) { benchDecode(b, benchHRResponse()) }
