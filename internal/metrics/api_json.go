package metrics

// This file serves the JSON views (docs/http-api.md): it parses their
// queries, asks the event loop for a copy and encodes it, all on the HTTP
// goroutine.

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rserpool/rspregistrar/internal/handlespace"
	"github.com/rserpool/rspregistrar/internal/peerlist"
	"github.com/rserpool/rspregistrar/internal/rserpool"
)

const (
	apiPrefix = "/api/v1/"
	// APIVersion is the "version" of every JSON answer; it changes, with
	// the path's v1, only when a field changes meaning or goes away.
	APIVersion = 1
	jsonType   = "application/json"
	textType   = "text/plain; charset=utf-8"
)

// api answers /api/v1/<view>.
func (e *Exporter) api(view, query string) (int, string, []byte) {
	var req Request
	switch view {
	case "handlespace":
		q, err := ParsePageQuery(query)
		if err != nil {
			return 400, textType, []byte(err.Error() + "\n")
		}
		req = Request{Kind: KindHandlespace, Page: q}
	case "peers":
		req.Kind = KindPeers
	case "registrar":
		req.Kind = KindRegistrar
	default:
		return 404, textType, []byte("not found; the views are /api/v1/handlespace, /api/v1/peers and /api/v1/registrar\n")
	}
	if view != "handlespace" && query != "" {
		return 400, textType, []byte("this view takes no parameters\n")
	}
	var v any
	switch a := e.ask(req).(type) {
	case *HandlespacePage:
		if a.NoPool {
			return 404, textType, []byte("no such pool\n")
		}
		v = handlespaceJSON(a, req.Page)
	case *Peers:
		v = peersJSON(a)
	case *RegistrarState:
		v = e.registrarJSON(a)
	default:
		return 503, textType, []byte("the registrar's event loop did not answer\n")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 503, textType, []byte(fmt.Sprintf("encoding the answer: %v\n", err))
	}
	return 200, jsonType, append(b, '\n')
}

// ParsePageQuery parses the query of /api/v1/handlespace: pool (a pool
// handle, percent-encoded bytes), after (a cursor from an answer's next)
// and limit (1..MaxLimit). Its errors are one line for a 400 answer.
func ParsePageQuery(query string) (PageQuery, error) {
	q := PageQuery{Limit: DefaultLimit}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return q, fmt.Errorf("bad query: %w", err)
	}
	for k, v := range vals {
		if len(v) != 1 {
			return q, fmt.Errorf("parameter %q given %d times", k, len(v))
		}
		switch k {
		case "pool":
			h := rserpool.PoolHandle(v[0])
			if !h.Valid() {
				return q, fmt.Errorf("pool: a handle has 1 to %d bytes", rserpool.MaxPoolHandleSize)
			}
			q.Pool = h
		case "after":
			if q.After, err = ParseCursor(v[0]); err != nil {
				return q, fmt.Errorf("after: %w", err)
			}
		case "limit":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > MaxLimit {
				return q, fmt.Errorf("limit: a number from 1 to %d", MaxLimit)
			}
			q.Limit = n
		default:
			return q, fmt.Errorf("unknown parameter %q (pool, after, limit)", k)
		}
	}
	return q, nil
}

var errCursor = errors.New("a cursor is HANDLEHEX:PEIDHEX, as in an answer's next")

// FormatCursor writes a cursor as the hex bytes of the handle, a colon and
// the PE id in 8 hex digits: opaque to clients, safe in a URL.
func FormatCursor(c handlespace.Cursor) string {
	return fmt.Sprintf("%s:%08x", hex.EncodeToString([]byte(c.Handle)), uint32(c.ID))
}

// ParseCursor reads what FormatCursor wrote.
func ParseCursor(s string) (handlespace.Cursor, error) {
	h, id, ok := strings.Cut(s, ":")
	if !ok || len(id) != 8 {
		return handlespace.Cursor{}, errCursor
	}
	b, err := hex.DecodeString(h)
	n, err2 := strconv.ParseUint(id, 16, 32)
	if err != nil || err2 != nil || !rserpool.PoolHandle(b).Valid() {
		return handlespace.Cursor{}, errCursor
	}
	return handlespace.Cursor{Handle: rserpool.PoolHandle(b), ID: rserpool.PEID(n)}, nil
}

// The JSON shapes. Identifiers are strings as RSPLIB logs them ("$0000002a")
// and numbers; times are seconds.

type transportJSON struct {
	Protocol       string   `json:"protocol"`
	Port           uint16   `json:"port"`
	ControlChannel bool     `json:"control_channel,omitempty"`
	Addresses      []string `json:"addresses"`
}

func transport(t *rserpool.Transport) *transportJSON {
	j := &transportJSON{Protocol: t.Protocol.String(), Port: t.Port, ControlChannel: t.ControlChannel,
		Addresses: make([]string, len(t.Addrs))}
	for i, a := range t.Addrs {
		j.Addresses[i] = a.Unmap().String()
	}
	return j
}

// localTransport groups a socket's local addresses, which share one port.
func localTransport(aps []netip.AddrPort) *transportJSON {
	t := rserpool.Transport{Protocol: rserpool.ProtocolSCTP}
	for _, ap := range aps {
		t.Port = ap.Port()
		t.Addrs = append(t.Addrs, ap.Addr())
	}
	return transport(&t)
}

type poolJSON struct {
	Handle    string `json:"handle"`
	HandleHex string `json:"handle_hex"`
	Policy    string `json:"policy"`
	Protocol  string `json:"protocol"`
	PEs       int    `json:"pool_elements"`
}

type policyJSON struct {
	Type            string `json:"type"`
	Weight          uint32 `json:"weight"`
	Load            uint32 `json:"load"`
	LoadDegradation uint32 `json:"load_degradation"`
	LoadDPF         uint32 `json:"load_dpf"`
	WeightDPF       uint32 `json:"weight_dpf"`
	Distance        uint32 `json:"distance"`
	// LoadPercent is Load as a share of PolicyValueMax.
	LoadPercent float64 `json:"load_percent"`
}

type peJSON struct {
	Pool             string         `json:"pool"`
	ID               string         `json:"id"`
	IDNumber         uint32         `json:"id_number"`
	Home             string         `json:"home"`
	Owned            bool           `json:"owned"`
	User             *transportJSON `json:"user_transport"`
	Registrator      *transportJSON `json:"registrator_transport,omitempty"`
	Policy           policyJSON     `json:"policy"`
	RegistrationLife float64        `json:"registration_life_seconds"`
	Assoc            uint32         `json:"association,omitempty"`
	Timer            string         `json:"timer,omitempty"`
	TimerIn          *float64       `json:"timer_in_seconds,omitempty"`
}

type handlespaceAnswer struct {
	Version    int        `json:"version"`
	TotalPools int        `json:"total_pools"`
	TotalPEs   int        `json:"total_pool_elements"`
	Pool       string     `json:"pool,omitempty"`
	Limit      int        `json:"limit"`
	Pools      []poolJSON `json:"pools"`
	PEs        []peJSON   `json:"pool_elements"`
	// Next is the after of the next page; null on the last.
	Next *string `json:"next"`
}

func handlespaceJSON(p *HandlespacePage, q PageQuery) *handlespaceAnswer {
	a := &handlespaceAnswer{Version: APIVersion, TotalPools: p.TotalPools, TotalPEs: p.TotalPEs,
		Pool: q.Pool.String(), Limit: q.Limit, Pools: make([]poolJSON, len(p.Pools)), PEs: make([]peJSON, len(p.PEs))}
	for i, x := range p.Pools {
		a.Pools[i] = poolJSON{Handle: x.Handle.String(), HandleHex: hex.EncodeToString([]byte(x.Handle)),
			Policy: x.Policy.String(), Protocol: x.Protocol.String(), PEs: x.PEs}
	}
	for i := range p.PEs {
		x := &p.PEs[i]
		e := &x.Element
		j := peJSON{Pool: x.Handle.String(), ID: e.ID.String(), IDNumber: uint32(e.ID), Home: e.Home.String(),
			Owned: e.Home == p.Own, User: transport(&e.User), RegistrationLife: float64(e.RegistrationLife) / 1000,
			Assoc: uint32(x.Assoc),
			Policy: policyJSON{Type: e.Policy.Type.String(), Weight: e.Policy.Weight, Load: e.Policy.Load,
				LoadDegradation: e.Policy.LoadDegradation, LoadDPF: e.Policy.LoadDPF, WeightDPF: e.Policy.WeightDPF,
				Distance: e.Policy.Distance, LoadPercent: 100 * float64(e.Policy.Load) / rserpool.PolicyValueMax}}
		if e.HasRegistrator {
			j.Registrator = transport(&e.Registrator)
		}
		if x.Timer != handlespace.TimerNone {
			j.Timer = x.Timer.String()
			in := time.Duration(x.TimerAt - p.Now).Seconds()
			j.TimerIn = &in
		}
		a.PEs[i] = j
	}
	if p.More {
		s := FormatCursor(p.Next)
		a.Next = &s
	}
	return a
}

type peerJSON struct {
	ID       string         `json:"id"`
	IDNumber uint32         `json:"id_number"`
	Static   bool           `json:"static"`
	FromPeer bool           `json:"from_list_response,omitempty"`
	Addrs    *transportJSON `json:"addresses"`
	// LastHeard is how long ago the peer's last message came; null if
	// never.
	LastHeard *float64 `json:"last_heard_seconds_ago"`
	State     string   `json:"state"`
	Mentor    bool     `json:"mentor,omitempty"`
	HTSync    bool     `json:"synchronizing,omitempty"`
	// TakeoverBy is the registrar that announced a takeover of the peer.
	TakeoverBy string `json:"takeover_by,omitempty"`
}

type peersAnswer struct {
	Version int        `json:"version"`
	Peers   []peerJSON `json:"peers"`
}

// peerState names a peer's liveness by its running timer.
func peerState(p *Peer) string {
	switch {
	case p.TakingOver:
		return "taking-over"
	case p.Timer == peerlist.TimerMaxTimeLastHeard:
		return "alive"
	case p.Timer == peerlist.TimerMaxTimeNoResponse:
		return "presence-requested"
	case p.Timer == peerlist.TimerTakeoverExpiry:
		return "taken-over"
	case p.ID == 0:
		return "not-heard-yet"
	}
	return "unknown"
}

func peersJSON(ps *Peers) *peersAnswer {
	a := &peersAnswer{Version: APIVersion, Peers: make([]peerJSON, len(ps.Peers))}
	for i := range ps.Peers {
		p := &ps.Peers[i]
		j := peerJSON{ID: p.ID.String(), IDNumber: uint32(p.ID), Static: p.Static, FromPeer: p.FromPeer,
			Addrs: transport(&p.Addrs), State: peerState(p), Mentor: p.Mentor, HTSync: p.HTSync}
		if p.LastUpdate != 0 {
			ago := time.Duration(ps.Now - p.LastUpdate).Seconds()
			j.LastHeard = &ago
		}
		if p.TakeoverBy != 0 {
			j.TakeoverBy = p.TakeoverBy.String()
		}
		a.Peers[i] = j
	}
	return a
}

type registrarAnswer struct {
	Version         int               `json:"version"`
	ID              string            `json:"id"`
	IDNumber        uint32            `json:"id_number"`
	SoftwareVersion string            `json:"software_version"`
	Uptime          float64           `json:"uptime_seconds"`
	ASAP            *transportJSON    `json:"asap"`
	ENRP            *transportJSON    `json:"enrp"`
	Pools           int               `json:"pools"`
	PEs             int               `json:"pool_elements"`
	OwnedPEs        int               `json:"owned_pool_elements"`
	Peers           int               `json:"peers"`
	Associations    map[string]int    `json:"associations"`
	Counters        map[string]uint64 `json:"counters"`
}

func (e *Exporter) registrarJSON(s *RegistrarState) *registrarAnswer {
	a := &registrarAnswer{Version: APIVersion, ID: s.Status.ID.String(), IDNumber: uint32(s.Status.ID),
		SoftwareVersion: e.version, Uptime: time.Since(e.started).Seconds(),
		ASAP: localTransport(s.ASAP), ENRP: localTransport(s.ENRP),
		Pools: s.Status.Pools, PEs: s.Status.PEs, OwnedPEs: s.Status.OwnedPEs, Peers: len(s.Status.Peers),
		Associations: map[string]int{"asap": s.Associations[0], "enrp": s.Associations[1]},
		Counters:     make(map[string]uint64, len(counters))}
	// The counters are the metrics' ones, named without the namespace and
	// the _total suffix.
	for _, k := range counters {
		a.Counters[strings.TrimSuffix(k.name, "_total")] = k.get(&s.Stats)
	}
	return a
}
