package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/peerlist"
	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

const own = rserpool.RegistrarID(0x01020304)

// fill builds a handlespace of n PEs spread over pools pools, ids 1..n, half
// of them owned, every second one with a keep-alive timer.
func fill(tb testing.TB, n, pools int) *handlespace.Handlespace {
	tb.Helper()
	h := handlespace.New(own, rand.New(rand.NewPCG(1, 2)))
	for i := 1; i <= n; i++ {
		home := own
		if i%2 == 0 {
			home = 0x0a0b0c0d
		}
		e := &rserpool.PoolElement{ID: rserpool.PEID(i), Home: home, RegistrationLife: 30000,
			User: rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 8000,
				Addrs: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}},
			Policy: rserpool.PolicySettings{Type: rserpool.PolicyLeastUsed, Load: uint32(i) * 1000}}
		handle := rserpool.PoolHandle(fmt.Sprintf("pool-%04d", i%pools))
		pe, _, err := h.Register(handle, e, handlespace.AssocID(i))
		if err != nil {
			tb.Fatalf("register %d: %v", i, err)
		}
		if i%2 == 1 {
			h.SetTimer(pe, handlespace.TimerKeepAliveTransmission, int64(i)*1e6)
		}
	}
	return h
}

func TestParsePageQuery(t *testing.T) {
	c := handlespace.Cursor{Handle: "Echo Pool", ID: 0x2a}
	for _, tc := range []struct {
		query string
		want  PageQuery
		err   string // substring; "" for success
	}{
		{"", PageQuery{Limit: DefaultLimit}, ""},
		{"limit=5", PageQuery{Limit: 5}, ""},
		{"pool=Echo%20Pool&limit=1000", PageQuery{Pool: "Echo Pool", Limit: 1000}, ""},
		{"pool=a%00b", PageQuery{Pool: "a\x00b", Limit: DefaultLimit}, ""},
		{"after=" + FormatCursor(c), PageQuery{After: c, Limit: DefaultLimit}, ""},
		{"limit=0", PageQuery{}, "limit"},
		{"limit=1001", PageQuery{}, "limit"},
		{"limit=x", PageQuery{}, "limit"},
		{"limit=1&limit=2", PageQuery{}, "2 times"},
		{"pool=", PageQuery{}, "pool"},
		{"pool=" + strings.Repeat("x", 33), PageQuery{}, "pool"},
		{"after=zz:00000001", PageQuery{}, "after"},
		{"after=61:1", PageQuery{}, "after"},
		{"after=:00000001", PageQuery{}, "after"},
		{"after=61", PageQuery{}, "after"},
		{"sort=id", PageQuery{}, "unknown parameter"},
		{"pool=%zz", PageQuery{}, "bad query"},
	} {
		got, err := ParsePageQuery(tc.query)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.query, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one about %q", tc.query, err, tc.err)
		case tc.err == "" && got != tc.want:
			t.Errorf("%q: %+v, want %+v", tc.query, got, tc.want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%q: error of more than one line: %q", tc.query, err)
		}
	}
}

// Paging through the whole handlespace, with and without a pool, yields
// every PE once, in order, at most limit per page.
func TestCopyPage(t *testing.T) {
	h := fill(t, 250, 7)
	for _, tc := range []struct {
		pool  rserpool.PoolHandle
		limit int
		want  int
	}{
		{"", 1, 250}, {"", 10, 250}, {"", 1000, 250}, {"pool-0003", 7, 36}, {"pool-0003", 36, 36},
	} {
		var after handlespace.Cursor
		var last handlespace.Cursor
		n, pages := 0, 0
		for {
			p := CopyPage(h, PageQuery{Pool: tc.pool, After: after, Limit: tc.limit}, 0)
			pages++
			if len(p.PEs) > tc.limit || p.TotalPEs != 250 || p.TotalPools != 7 {
				t.Fatalf("%+v: page of %d PEs, totals %d/%d", tc, len(p.PEs), p.TotalPEs, p.TotalPools)
			}
			for _, e := range p.PEs {
				c := handlespace.Cursor{Handle: e.Handle, ID: e.Element.ID}
				if n > 0 && (c.Handle.Compare(last.Handle) < 0 || c.Handle == last.Handle && c.ID <= last.ID) {
					t.Fatalf("%+v: PE %v after %v", tc, c, last)
				}
				if tc.pool != "" && e.Handle != tc.pool {
					t.Fatalf("%+v: PE of pool %q", tc, e.Handle)
				}
				if !slices.ContainsFunc(p.Pools, func(x handlespace.PoolInfo) bool { return x.Handle == e.Handle }) {
					t.Fatalf("%+v: pool %q of the page's PEs not in its pools %v", tc, e.Handle, p.Pools)
				}
				last = c
				n++
			}
			if !p.More {
				break
			}
			after = p.Next
		}
		if n != tc.want {
			t.Errorf("%+v: %d PEs in %d pages, want %d", tc, n, pages, tc.want)
		}
	}
	if p := CopyPage(h, PageQuery{Pool: "nonesuch", Limit: 5}, 0); !p.NoPool {
		t.Error("an unknown pool is not reported")
	}
	// The copy does not share addresses with the handlespace.
	p := CopyPage(h, PageQuery{Limit: 1}, 0)
	p.PEs[0].Element.User.Addrs[0] = netip.MustParseAddr("1.2.3.4")
	if h.Find(p.PEs[0].Handle, p.PEs[0].Element.ID).Element().User.Addrs[0] == p.PEs[0].Element.User.Addrs[0] {
		t.Error("the page shares its addresses with the handlespace")
	}
}

// serveAPI serves an exporter whose "event loop" answers from h and peers.
func serveAPI(t *testing.T, h *handlespace.Handlespace, peers *peerlist.List) string {
	t.Helper()
	return serveWith(t, 0, func(r Request) {
		switch r.Kind {
		case KindHandlespace:
			r.ReplyHandlespace(CopyPage(h, r.Page, 5e9))
		case KindPeers:
			r.ReplyPeers(CopyPeers(peers, 5e9))
		case KindRegistrar:
			r.ReplyRegistrar(&RegistrarState{Snapshot: Snapshot{Status: registrarStatus(h)},
				ASAP: []netip.AddrPort{netip.MustParseAddrPort("198.18.0.1:3863")}})
		default:
			r.Reply(&Snapshot{})
		}
	})
}

func get(t *testing.T, url string) (int, string, []byte) {
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
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// The views answer JSON that parses back, bad queries a one-line 400.
func TestAPIViews(t *testing.T) {
	h := fill(t, 30, 3)
	peers := peerlist.New(own)
	if _, _, err := peers.Register(0x0a0b0c0d, rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 9901,
		Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2")}}, false, 1e9); err != nil {
		t.Fatal(err)
	}
	url := serveAPI(t, h, peers)
	for _, tc := range []struct {
		path   string
		status int
		check  func(t *testing.T, m map[string]any)
	}{
		{"/api/v1/handlespace?limit=4", 200, func(t *testing.T, m map[string]any) {
			pes := m["pool_elements"].([]any)
			if len(pes) != 4 || m["next"] == nil || m["total_pool_elements"].(float64) != 30 {
				t.Errorf("%d PEs, next %v, total %v", len(pes), m["next"], m["total_pool_elements"])
			}
			pe := pes[0].(map[string]any)
			if pe["pool"] != "pool-0000" || pe["id"] != "$00000003" || pe["policy"].(map[string]any)["type"] != "LeastUsed" ||
				pe["user_transport"].(map[string]any)["port"].(float64) != 8000 || pe["home"] != own.String() ||
				pe["registration_life_seconds"].(float64) != 30 || pe["association"].(float64) != 3 {
				t.Errorf("first PE %v", pe)
			}
			if p := m["pools"].([]any)[0].(map[string]any); p["handle"] != "pool-0000" || p["pool_elements"].(float64) != 10 || p["policy"] != "LeastUsed" {
				t.Errorf("first pool %v", p)
			}
		}},
		{"/api/v1/handlespace?pool=pool-0002&limit=1000", 200, func(t *testing.T, m map[string]any) {
			if n := len(m["pool_elements"].([]any)); n != 10 || m["next"] != nil {
				t.Errorf("%d PEs, next %v", n, m["next"])
			}
		}},
		{"/api/v1/peers", 200, func(t *testing.T, m map[string]any) {
			p := m["peers"].([]any)[0].(map[string]any)
			if p["id"] != "$0a0b0c0d" || p["last_heard_seconds_ago"].(float64) != 4 ||
				p["addresses"].(map[string]any)["addresses"].([]any)[0] != "198.18.0.2" {
				t.Errorf("peer %v", p)
			}
		}},
		{"/api/v1/registrar", 200, func(t *testing.T, m map[string]any) {
			if m["id"] != own.String() || m["software_version"] != "v-test" || m["pool_elements"].(float64) != 30 ||
				m["asap"].(map[string]any)["port"].(float64) != 3863 {
				t.Errorf("registrar %v", m)
			}
			if _, ok := m["counters"].(map[string]any)["keepalive_timeouts"]; !ok {
				t.Errorf("counters %v", m["counters"])
			}
		}},
		{"/api/v1/handlespace?pool=nonesuch", 404, nil},
		{"/api/v1/handlespace?limit=-1", 400, nil},
		{"/api/v1/handlespace?after=1", 400, nil},
		{"/api/v1/handlespace?what", 400, nil},
		{"/api/v1/peers?x=1", 400, nil},
		{"/api/v1/other", 404, nil},
		{"/api/v2/peers", 404, nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			status, ctype, body := get(t, url+tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.check == nil {
				if ctype != textType || strings.Count(string(body), "\n") != 1 {
					t.Errorf("error answer %q (%s), want one line of text", body, ctype)
				}
				return
			}
			if ctype != jsonType {
				t.Errorf("content type %q", ctype)
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if m["version"] != float64(APIVersion) {
				t.Errorf("version %v", m["version"])
			}
			tc.check(t, m)
		})
	}
}

// Following next from page to page through HTTP reaches every PE once.
func TestAPIPagingByNext(t *testing.T) {
	h := fill(t, 95, 4)
	url := serveAPI(t, h, peerlist.New(own))
	seen := map[string]bool{}
	q := "limit=10"
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		_, _, body := get(t, url+"/api/v1/handlespace?"+q)
		var a handlespaceAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		for _, e := range a.PEs {
			k := e.Pool + "/" + e.ID
			if seen[k] {
				t.Fatalf("%s twice", k)
			}
			seen[k] = true
		}
		if a.Next == nil {
			break
		}
		q = "limit=10&after=" + *a.Next
	}
	if len(seen) != 95 {
		t.Errorf("%d PEs seen, want 95", len(seen))
	}
}

func TestStatusPage(t *testing.T) {
	url := serve(t, 0, func() *Snapshot { return &Snapshot{} })
	status, ctype, body := get(t, url+"/")
	if status != 200 || ctype != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", status, ctype)
	}
	for _, want := range []string{"<canvas", "api/v1/handlespace", "api/v1/peers", "api/v1/registrar"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// No external assets: everything is in the one page.
	for _, bad := range []string{"src=\"http", "href=\"http", "<link", "src=\"//"} {
		if strings.Contains(string(body), bad) {
			t.Errorf("the page loads something from elsewhere (%q)", bad)
		}
	}
}

// FuzzParsePageQuery: any query gives a page query within the limits or a
// one-line error, never a panic; a cursor it accepts formats back to itself.
func FuzzParsePageQuery(f *testing.F) {
	for _, s := range []string{"", "limit=5", "pool=a%00b&after=61:00000001&limit=1000", "after=zz", "a&&b=;", "%", "limit=1&limit=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := ParsePageQuery(query)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > MaxLimit || q.Pool != "" && !q.Pool.Valid() {
			t.Fatalf("%q gave %+v", query, q)
		}
		if q.After != (handlespace.Cursor{}) {
			c, err := ParseCursor(FormatCursor(q.After))
			if err != nil || c != q.After {
				t.Fatalf("cursor %+v does not round-trip: %+v, %v", q.After, c, err)
			}
		}
	})
}

func registrarStatus(h *handlespace.Handlespace) registrar.Status {
	return registrar.Status{ID: own, PEs: h.PEs(), Pools: h.Pools(), OwnedPEs: h.OwnedPEs()}
}
