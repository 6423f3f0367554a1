package wire

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	sctplib "github.com/ishidawataru/sctp"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// The real RSPLIB registrar the decoder is compared with. Its id must not
// collide with the ids the test messages use.
const (
	rsplibID      rserpool.RegistrarID = 0x0A0B0C0D
	rsplibAddr                         = "198.18.0.1"
	rsplibASAP                         = 3863
	rsplibENRP                         = 9901
	probeSender   rserpool.RegistrarID = 0x7E57AB1E
	probePool                          = "zz-probe"
	clientAddress                      = "198.18.0.2"
)

// TestSandboxRSPLIBParser sends every packet of the decode-error corpus, the
// wire.md §9 examples and the sample messages to a real RSPLIB rspregistrar
// and checks that it answers exactly as DecodeError.Reply says: the same
// Error message byte for byte, or no Error message at all. Each packet is
// followed on the same association by a probe that RSPLIB always answers
// (a Handle Resolution for an unknown pool, or a Handle Table Request from
// an unknown peer), so "no reply" is observed without waiting for a timeout.
func TestSandboxRSPLIBParser(t *testing.T) {
	sandboxtest.Require(t)
	startRSPLIB(t)

	type input struct {
		name string
		ppid uint32
		b    []byte
	}
	var inputs []input
	for _, c := range decodeCases() {
		if deviations[c.name] || (c.opts != DecodeOptions{} && c.opts != DecodeOptions{ReportCarriedCause: true}) ||
			len(c.b) == 0 || len(c.b) > MaxMessageSize || (c.ppid != PPIDASAP && c.ppid != PPIDENRP && c.ppid != 0) {
			continue
		}
		inputs = append(inputs, input{"case " + c.name, c.ppid, c.b})
	}
	var msgs []Message
	for _, e := range section9Examples() {
		msgs = append(msgs, e.msg)
	}
	msgs = append(msgs, sampleMessages()...)
	for i, m := range msgs {
		if p, ok := m.(*Presence); ok && p.Info.ID != p.Sender {
			continue // crashes RSPLIB's presence handler for some ids (wire.md §10)
		}
		b, err := m.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{fmt.Sprintf("message %d %s", i, TypeName(m.PPID(), m.Type())), m.PPID(), b})
	}

	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			var want []byte
			_, err := Decode(in.ppid, in.b, DecodeOptions{ReportCarriedCause: true})
			var de *DecodeError
			if errors.As(err, &de) {
				if r := de.Reply(); r != nil {
					want = encode(t, r)
				}
			}
			got := rsplibReplies(t, in.ppid, in.b)
			var gotErr []byte
			for _, r := range got {
				if len(r) > 0 && isErrorType(errorPPID(in.ppid), r[0]) {
					gotErr = r
					break
				}
			}
			if !bytes.Equal(gotErr, want) {
				t.Fatalf("RSPLIB answered %x\n     expected %x\n(decode: %v)\ninput %x", gotErr, want, err, in.b)
			}
		})
	}
}

// errorPPID is the protocol whose Error message would answer a message sent
// with ppid (messages with other PPIDs are never answered).
func errorPPID(ppid uint32) uint32 {
	if ppid == PPIDENRP {
		return PPIDENRP
	}
	return PPIDASAP
}

func startRSPLIB(t *testing.T) {
	t.Helper()
	bin := sandboxtest.Program(t, "rspregistrar")
	logf := filepath.Join(t.TempDir(), "rspregistrar.log")
	cmd := exec.Command(bin, fmt.Sprintf("-identifier=0x%08x", uint32(rsplibID)),
		fmt.Sprintf("-asap=%s:%d", rsplibAddr, rsplibASAP), fmt.Sprintf("-enrp=%s:%d", rsplibAddr, rsplibENRP),
		"-asapannounce=off", "-enrpannounce=off", "-loglevel=4", "-logcolor=off", "-logfile="+logf,
		"-maxhrrate=1000000")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rspregistrar: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			if b, err := os.ReadFile(logf); err == nil {
				t.Logf("rspregistrar log (tail):\n%s", tail(b, 6000))
			}
		}
	})
	// Wait until both SCTP ports accept associations.
	deadline := time.Now().Add(30 * time.Second)
	for _, port := range []int{rsplibASAP, rsplibENRP} {
		for {
			c, err := dialRSPLIB(port)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rspregistrar does not accept associations on port %d: %v", port, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func dialRSPLIB(port int) (*sctplib.SCTPConn, error) {
	laddr := &sctplib.SCTPAddr{IPAddrs: []net.IPAddr{{IP: net.ParseIP(clientAddress)}}}
	raddr := &sctplib.SCTPAddr{IPAddrs: []net.IPAddr{{IP: net.ParseIP(rsplibAddr)}}, Port: port}
	c, err := sctplib.DialSCTP("sctp", laddr, raddr)
	if err != nil {
		return nil, err
	}
	if err := c.SubscribeEvents(sctplib.SCTP_EVENT_DATA_IO); err != nil {
		c.Close()
		return nil, err
	}
	// A guard against a hang, not a measurement: RSPLIB answers the probe
	// within milliseconds.
	raw, err := c.SyscallConn()
	if err == nil {
		tv := syscall.Timeval{Sec: 20}
		_ = raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
		})
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// rsplibReplies sends b with the given PPID on a new association, then the
// probe, and returns every message RSPLIB sent before the probe's answer.
func rsplibReplies(t *testing.T, ppid uint32, b []byte) [][]byte {
	t.Helper()
	port, probePPID := rsplibASAP, PPIDASAP
	var probe Message = &HandleResolution{Handle: probePool}
	if ppid == PPIDENRP {
		port, probePPID = rsplibENRP, PPIDENRP
		probe = &HandleTableRequest{Sender: probeSender, Receiver: rsplibID}
	}
	// A signal can interrupt the connect system call; try again then.
	var c *sctplib.SCTPConn
	var err error
	for range 3 {
		if c, err = dialRSPLIB(port); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("associate: %v", err)
	}
	defer c.Close()
	for _, s := range []struct {
		ppid uint32
		b    []byte
	}{{ppid, b}, {probePPID, encode(t, probe)}} {
		for {
			_, err := c.SCTPWrite(s.b, &sctplib.SndRcvInfo{PPID: s.ppid})
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			break
		}
	}
	var got [][]byte
	buf := make([]byte, MaxReceiveSize)
	for {
		n, _, err := c.SCTPRead(buf)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("receive (after %d messages): %v\ninput PPID %d %x", len(got), err, ppid, b)
		}
		m := append([]byte(nil), buf[:n]...)
		reply, err := Decode(probePPID, m, DecodeOptions{KeepAllAddresses: true})
		if err == nil {
			switch r := reply.(type) {
			case *HandleResolutionResponse:
				if r.Handle == probePool {
					return got
				}
			case *HandleTableResponse:
				if r.Receiver == probeSender {
					return got
				}
			}
		}
		got = append(got, m)
	}
}

// TestSandboxRSPLIBParserMutants compares the decoder with the real
// rspregistrar on deterministic random mutations of the captured and sample
// messages: changed bytes, changed length fields, truncations.
func TestSandboxRSPLIBParserMutants(t *testing.T) {
	sandboxtest.Require(t)
	startRSPLIB(t)
	type seed struct {
		ppid uint32
		b    []byte
	}
	var seeds []seed
	for _, c := range captureMessages(t) {
		seeds = append(seeds, seed{c.ppid, c.data})
	}
	for _, m := range sampleMessages() {
		seeds = append(seeds, seed{m.PPID(), encode(t, m)})
	}
	// RSPREG_MUTANTS=count[,seed] runs a longer or different comparison.
	count, seedValue := 400, uint64(1)
	if v := os.Getenv("RSPREG_MUTANTS"); v != "" {
		if _, err := fmt.Sscanf(v, "%d,%d", &count, &seedValue); err != nil {
			fmt.Sscanf(v, "%d", &count)
		}
	}
	rng := rand.New(rand.NewPCG(seedValue, 2))
	compared := 0
	for i := 0; compared < count && i < 20*count; i++ {
		s := seeds[rng.IntN(len(seeds))]
		b := mutate(rng, s.b)
		if len(b) == 0 {
			continue
		}
		m, deviation, err := decode(s.ppid, b, DecodeOptions{ReportCarriedCause: true})
		var de *DecodeError
		errors.As(err, &de)
		if deviation != "" {
			continue
		}
		if unsafeForRSPLIB(m) {
			continue
		}
		compared++
		var want []byte
		if de != nil {
			if r := de.Reply(); r != nil {
				want = encode(t, r)
			}
		}
		var gotErr []byte
		for _, r := range rsplibReplies(t, s.ppid, b) {
			if len(r) > 0 && isErrorType(errorPPID(s.ppid), r[0]) {
				gotErr = r
				break
			}
		}
		if !bytes.Equal(gotErr, want) {
			t.Errorf("mutant %d: RSPLIB answered %x\n     expected %x\n(decode: %v)\ninput %x", i, gotErr, want, err, b)
		}
	}
	t.Logf("compared %d mutants", compared)
}

// unsafeForRSPLIB reports decoded messages that crash RSPLIB's handlers
// (wire.md §10) or collide with the probe.
func unsafeForRSPLIB(m Message) bool {
	switch m := m.(type) {
	case *Presence:
		return m.Info.ID != m.Sender || m.Sender == rsplibID || m.Sender == probeSender
	case *HandleResolution:
		return true // may hit a weighted pool whose weights are all 0
	case *HandleTableRequest:
		return m.Sender == probeSender
	}
	return false
}

func mutate(rng *rand.Rand, in []byte) []byte {
	b := append([]byte(nil), in...)
	if len(b) < 4 {
		return b
	}
	switch rng.IntN(5) {
	case 0: // a random byte
		b[rng.IntN(len(b))] = byte(rng.IntN(256))
	case 1: // a parameter or message length field, nudged
		i := 2 + 4*rng.IntN(len(b)/4)
		if i+1 < len(b) {
			v := int(b[i])<<8 | int(b[i+1]) + rng.IntN(17) - 8
			b[i], b[i+1] = byte(v>>8), byte(v)
		}
	case 2: // truncated, header length adjusted
		b = b[:4+rng.IntN(len(b)-3)]
		b[2], b[3] = byte(len(b)>>8), byte(len(b))
	case 3: // a parameter type changed, action bits included
		i := 4 * rng.IntN(len(b)/4)
		if i+1 < len(b) {
			b[i], b[i+1] = byte(rng.IntN(4))<<6, byte(rng.IntN(0x12))
		}
	case 4: // a random byte in the first 32
		b[rng.IntN(min(len(b), 32))] ^= 1 << rng.IntN(8)
	}
	return b
}
