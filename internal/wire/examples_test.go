package wire

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

const (
	hexPE = `00 0a 00 28 12 34 56 78 11 22 33 44 00 01 5f 90
		00 04 00 10 13 88 00 01 00 01 00 08 0a 01 01 01
		00 08 00 08 00 00 00 01`
	hexPEWithRegistrator = `00 0a 00 38 12 34 56 78 11 22 33 44 00 01 5f 90
		00 04 00 10 13 88 00 01 00 01 00 08 0a 01 01 01
		00 08 00 08 00 00 00 01
		00 04 00 10 9c 40 00 00 00 01 00 08 0a 01 01 01`
	hexEchoPool = `00 09 00 0c 45 63 68 6f 50 6f 6f 6c`
)

// TestSection9Examples checks every byte-exact example of wire.md §9 (RSPLIB's
// own creator output): encoding yields exactly those bytes, decoding them
// yields the message again.
func TestSection9Examples(t *testing.T) {
	for _, tt := range section9Examples() {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.hex)
			got := encode(t, tt.msg)
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded\n got %x\nwant %x", got, want)
			}
			back, err := Decode(tt.msg.PPID(), want, DecodeOptions{})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(back, tt.msg) {
				t.Fatalf("decoded\n got %+v\nwant %+v", back, tt.msg)
			}
		})
	}
}

type example struct {
	name string
	msg  Message
	hex  string
}

// section9Examples are the byte-exact examples of wire.md §9.
func section9Examples() []example {
	const (
		pr   rserpool.RegistrarID = 0x11223344
		peer rserpool.RegistrarID = 0x55667788
		h    rserpool.PoolHandle  = "EchoPool"
	)
	return []example{
		{"Registration", &Registration{Handle: h, PE: examplePE(false)}, "01 00 00 38" + hexEchoPool + hexPE},
		{"RegistrationResponse accepted", &RegistrationResponse{Handle: h, ID: 0x12345678},
			"03 00 00 18" + hexEchoPool + "00 0e 00 08 12 34 56 78"},
		{"RegistrationResponse rejected", &RegistrationResponse{Handle: h, ID: 0x12345678,
			Error: OperationError{Cause: rserpool.CauseNoUsableUserAddresses}},
			"03 01 00 20" + hexEchoPool + "00 0e 00 08 12 34 56 78 | 00 0c 00 08 f0 08 00 04"},
		{"DeregistrationResponse", &DeregistrationResponse{Handle: h, ID: 0x12345678},
			"04 00 00 18" + hexEchoPool + "00 0e 00 08 12 34 56 78"},
		{"HandleResolution items=5", &HandleResolution{Handle: h, Items: 5},
			"05 00 00 18" + hexEchoPool + "80 3f 00 08 00 00 00 05"},
		{"HandleResolution items=all", &HandleResolution{Handle: h, Items: ItemsAll},
			"05 00 00 18" + hexEchoPool + "80 3f 00 08 ff ff ff ff"},
		{"HandleResolutionResponse one PE", &HandleResolutionResponse{Handle: h,
			Policy: rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin},
			PEs:    []rserpool.PoolElement{examplePE(false)}},
			"06 00 00 40" + hexEchoPool + "00 08 00 08 00 00 00 01" + hexPE},
		{"HandleResolutionResponse unknown pool", &HandleResolutionResponse{Handle: h,
			Error: OperationError{Cause: rserpool.CauseNotFound}},
			"06 00 00 18" + hexEchoPool + "00 0c 00 08 00 09 00 04"},
		{"EndpointKeepAlive H=0", &EndpointKeepAlive{ServerID: pr, Handle: h, ID: 0x12345678},
			"07 00 00 1c 11 22 33 44" + hexEchoPool + "00 0e 00 08 12 34 56 78"},
		{"EndpointKeepAlive H=1", &EndpointKeepAlive{ServerID: pr, Home: true, Handle: h, ID: 0x12345678},
			"07 01 00 1c 11 22 33 44" + hexEchoPool + "00 0e 00 08 12 34 56 78"},
		{"ServerAnnounce", &ServerAnnounce{ServerID: pr}, "0a 00 00 08 11 22 33 44"},
		{"ASAP Error 0x100B", &ASAPErrorMessage{Error: OperationError{Cause: rserpool.CauseUnsupportedPoolPolicy}},
			"0e 00 00 0c | 00 0c 00 08 10 0b 00 04"},
		{"Presence", &Presence{Sender: pr, Receiver: peer, ReplyRequired: true, Checksum: 0xa529,
			Info: ServerInfo{ID: pr, Transport: sctp(9901, false, "10.0.0.1")}},
			`01 01 00 2c 11 22 33 44 55 66 77 88 | 00 0f 00 06 29 a5 00 00
			| 00 0b 00 18 11 22 33 44 | 00 04 00 10 26 ad 00 00 | 00 01 00 08 0a 00 00 01`},
		{"HandleTableRequest W=1", &HandleTableRequest{Sender: pr, Receiver: peer, OwnChildrenOnly: true},
			"02 01 00 0c 11 22 33 44 55 66 77 88"},
		{"HandleTableResponse one PE", &HandleTableResponse{Sender: pr, Receiver: peer,
			Pools: []PoolEntries{{Handle: h, PEs: []rserpool.PoolElement{examplePE(true)}}}},
			"03 00 00 50 11 22 33 44 55 66 77 88" + hexEchoPool + hexPEWithRegistrator},
		{"HandleUpdate ADD", &HandleUpdate{Sender: pr, Receiver: peer, Action: UpdateAddPE, Handle: h,
			PE: examplePE(true)},
			"04 00 00 54 11 22 33 44 55 66 77 88 00 00 00 00" + hexEchoPool + hexPEWithRegistrator},
		{"InitTakeover", &InitTakeover{Sender: pr, Receiver: peer, Target: 0x99AABBCC},
			"07 00 00 10 11 22 33 44 55 66 77 88 99 aa bb cc"},
		{"ENRP Error 0xF006", &ENRPErrorMessage{Sender: pr, Receiver: peer,
			Error: OperationError{Cause: rserpool.CauseInvalidRegistrator}},
			"0a 00 00 14 11 22 33 44 55 66 77 88 | 00 0c 00 08 f0 06 00 04"},
	}
}

// TestEmptyChecksum: an empty handlespace has checksum 0xFFFF, sent as ff ff.
func TestEmptyChecksum(t *testing.T) {
	b := encode(t, &Presence{Checksum: 0xFFFF, Info: ServerInfo{ID: 1, Transport: sctp(9901, false, "10.0.0.1")}})
	if !bytes.Equal(b[12:20], unhex(t, "00 0f 00 06 ff ff 00 00")) {
		t.Fatalf("checksum parameter %x", b[12:20])
	}
}
