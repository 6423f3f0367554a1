package daemon

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/rserpool/rspregistrar/internal/metrics"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/sctp"
	"github.com/rserpool/rspregistrar/internal/wire"
)

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v: %s", url, err, b)
	}
	return 200, m
}

// The JSON views are answered by the loop from the core, and reading them
// changes nothing: no message sent, no counter moved, no peer heard.
func TestLoopAPIViews(t *testing.T) {
	cfg, rc := testConfigs()
	exp := metrics.New("test", 5*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	exp.Serve(ln)
	defer exp.Close()
	tl := startLoop(t, cfg, rc, Options{Metrics: exp}, nil)
	tl.enrp.mu.Lock()
	tl.enrp.peers[9] = []netip.AddrPort{netip.MustParseAddrPort("198.18.0.3:9901")}
	tl.enrp.mu.Unlock()
	tl.asap.in <- assocUp(peAssoc)
	for _, id := range []rserpool.PEID{1, 2, 3} {
		tl.asap.in <- asapMessage(t, peAssoc, registration(id))
		next(t, tl.asap)
	}
	peer := &wire.Presence{Sender: 0x0a0b0c0d, Info: wire.ServerInfo{ID: 0x0a0b0c0d, Transport: rserpool.Transport{
		Protocol: rserpool.ProtocolSCTP, Port: 9901, Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.3")}}}}
	tl.enrp.in <- assocUp(9)
	tl.enrp.in <- sctp.Message{Data: encode(t, peer), Info: sctp.RcvInfo{Assoc: 9, PPID: wire.PPIDENRP}}
	url := "http://" + ln.Addr().String()
	// The peer is in the list once the loop answers a view after the
	// Presence (events and requests are handled in order of arrival, but
	// the reader hands the Presence over on its own time).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, m := getJSON(t, url+"/api/v1/peers"); m != nil && len(m["peers"].([]any)) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Presence's peer never shows")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // whatever the Presence makes the core send
	sentASAP, sentENRP := len(tl.asap.out), len(tl.enrp.out)
	_, before := getJSON(t, url+"/api/v1/registrar")

	for _, tc := range []struct {
		path   string
		status int
		check  func(t *testing.T, m map[string]any)
	}{
		{"/api/v1/handlespace", 200, func(t *testing.T, m map[string]any) {
			pes := m["pool_elements"].([]any)
			if len(pes) != 3 || m["next"] != nil || len(m["pools"].([]any)) != 1 {
				t.Fatalf("%d PEs, next %v, pools %v", len(pes), m["next"], m["pools"])
			}
			pe := pes[1].(map[string]any)
			if pe["id"] != "$00000002" || pe["pool"] != "EchoPool" || pe["association"].(float64) != float64(peAssoc) ||
				!pe["owned"].(bool) || pe["timer"] != "keep-alive transmission" {
				t.Errorf("PE %v", pe)
			}
			addrs := pe["user_transport"].(map[string]any)["addresses"].([]any)
			if len(addrs) != 1 || addrs[0] != peAddr.Addr().String() {
				t.Errorf("addresses %v", addrs)
			}
		}},
		{"/api/v1/handlespace?pool=EchoPool&limit=2", 200, func(t *testing.T, m map[string]any) {
			if n := len(m["pool_elements"].([]any)); n != 2 || m["next"] != "4563686f506f6f6c:00000002" {
				t.Errorf("%d PEs, next %v", n, m["next"])
			}
		}},
		{"/api/v1/handlespace?pool=EchoPool&after=4563686f506f6f6c:00000002", 200, func(t *testing.T, m map[string]any) {
			if pes := m["pool_elements"].([]any); len(pes) != 1 || pes[0].(map[string]any)["id"] != "$00000003" {
				t.Errorf("PEs %v", pes)
			}
		}},
		{"/api/v1/handlespace?pool=Nonesuch", 404, nil},
		{"/api/v1/handlespace?limit=100000", 400, nil},
		{"/api/v1/peers", 200, func(t *testing.T, m map[string]any) {
			p := m["peers"].([]any)[0].(map[string]any)
			if p["id"] != "$0a0b0c0d" || p["static"].(bool) || p["last_heard_seconds_ago"] == nil {
				t.Errorf("peer %v", p)
			}
		}},
		{"/api/v1/registrar", 200, func(t *testing.T, m map[string]any) {
			if m["id"] != "$01020304" || m["pool_elements"].(float64) != 3 || m["peers"].(float64) != 1 ||
				m["asap"].(map[string]any)["port"].(float64) != 3863 || m["counters"].(map[string]any)["registrations"].(float64) != 3 {
				t.Errorf("registrar %v", m)
			}
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			status, m := getJSON(t, url+tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if m != nil {
				if m["version"] != float64(metrics.APIVersion) {
					t.Errorf("version %v", m["version"])
				}
				tc.check(t, m)
			}
		})
	}

	_, after := getJSON(t, url+"/api/v1/registrar")
	if !reflect.DeepEqual(before["counters"], after["counters"]) {
		t.Errorf("counters moved while reading the views:\n%v\n%v", before["counters"], after["counters"])
	}
	if len(tl.asap.out) != sentASAP || len(tl.enrp.out) != sentENRP {
		t.Errorf("messages sent while reading the views: ASAP %d to %d, ENRP %d to %d",
			sentASAP, len(tl.asap.out), sentENRP, len(tl.enrp.out))
	}
	tl.stop(t)
	if p := tl.Core().Peers().All(); len(p) != 1 || p[0].ID != 0x0a0b0c0d {
		t.Errorf("peer list after the views: %v", tl.Core().Peers())
	}
}
