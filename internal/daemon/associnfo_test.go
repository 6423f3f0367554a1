package daemon

import (
	"testing"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/sctp"
)

func TestAssocCacheForget(t *testing.T) {
	info := registrar.AssocInfo{OK: true, Port: 1}
	cases := []struct {
		n      sctp.Notification
		forget bool
	}{
		{sctp.AssocChange{Assoc: 7, State: sctp.CommUp}, true},
		{sctp.AssocChange{Assoc: 7, State: sctp.CommLost}, true},
		{sctp.AssocChange{Assoc: 7, State: sctp.Restart}, true},
		{sctp.PeerAddrChange{Assoc: 7}, true},
		{sctp.ShutdownEvent{Assoc: 7}, true},
		{sctp.AssocChange{Assoc: 8, State: sctp.CommLost}, false},
		{sctp.SendFailed{Assoc: 7}, false},
		{sctp.SenderDry{Assoc: 7}, false},
	}
	for _, c := range cases {
		ac := newAssocCache()
		ac.m[7] = info
		ac.forget(c.n)
		if _, kept := ac.m[7]; kept == c.forget {
			t.Errorf("%T %+v: kept %v", c.n, c.n, kept)
		}
	}
}
