package registrar_test

// Data-driven interaction tests in the style of etcd-io/raft's testdata:
// a script of events goes into one or more cores on a fake clock, and the
// exact actions that come out are compared with the expected text. The
// other parties (PEs, PUs, peer registrars) are played by the script, so
// every message is visible. Scripts live in testdata/interaction; rewrite
// their expectations after a deliberate change with
//
//	go test ./internal/registrar -run TestInteraction -rewrite
//
// and read the diff before committing it.
//
// Commands (arguments key=value; a message per input line):
//
//	registrar name=A id=0x0a [maxhtelements=N] [maxitems=N] [keepalive=D] [peer=IP:PORT] [takeoversuggestion] [announce]
//	    [ownercheck] [enrpallow=NET]
//	    a core with RSPLIB's defaults (announces off unless asked), ENRP at
//	    198.18.0.1N:9901, started at the current time
//	asap A assoc=N          ASAP messages from a PE or PU on association N:
//	    register HANDLE ID [policy=NAME] [weight=N] [load=N] [life=MS] [addr=IP:PORT]
//	    deregister HANDLE ID | resolve HANDLE [items=N] | ack HANDLE ID
//	    unreachable HANDLE ID | hex BYTES
//	enrp A assoc=N from=ID [addr=IP:PORT]   ENRP messages from registrar ID:
//	    presence [reply] [checksum=N] | htrequest [own] | list
//	    update add|del HANDLE ID [home=ID] [addr=IP:PORT] [policy=NAME]
//	    inittakeover TARGET | inittakeoverack TARGET | takeoverserver TARGET
//	multicast A from=ID addr=IP:PORT   the same, by ENRP multicast
//	assoc A asap|enrp N lost|shutdown  an association notification
//	sendfailed A asap|enrp N TYPE [stalled [peer=IP:PORT]]  a send of message TYPE (hex)
//	                        on N failed (or N stalled; its primary peer address)
//	tick D                  advance the clock by D, firing every core's timers
//	handlespace A           the handlespace: pools, PEs (id, home, assoc), checksum
//	peers A                 the peer list

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/rserpool/rspregistrar/internal/registrar"
	"github.com/rserpool/rspregistrar/internal/rserpool"
	"github.com/rserpool/rspregistrar/internal/wire"
)

func TestInteraction(t *testing.T) {
	datadriven.Walk(t, "testdata/interaction", func(t *testing.T, path string) {
		s := &script{now: int64(time.Second), cores: map[string]*scripted{}}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := s.run(d)
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			return out
		})
	})
}

type scripted struct {
	name string
	core *registrar.Core
	addr netip.Addr
}

type script struct {
	now   int64
	cores map[string]*scripted
	order []*scripted
}

func (s *script) run(d *datadriven.TestData) (string, error) {
	switch d.Cmd {
	case "registrar":
		return s.newRegistrar(d)
	case "tick":
		if len(d.CmdArgs) != 1 {
			return "", fmt.Errorf("tick DURATION")
		}
		dur, err := time.ParseDuration(d.CmdArgs[0].Key)
		if err != nil {
			return "", err
		}
		return s.tick(int64(dur)), nil
	}
	if len(d.CmdArgs) == 0 {
		return "", fmt.Errorf("%s: which registrar?", d.Cmd)
	}
	r, ok := s.cores[d.CmdArgs[0].Key]
	if !ok {
		return "", fmt.Errorf("no registrar %q", d.CmdArgs[0].Key)
	}
	args := d.CmdArgs[1:]
	switch d.Cmd {
	case "asap":
		assoc, err := intArg(args, "assoc")
		if err != nil {
			return "", err
		}
		return s.eachLine(d.Input, func(f []string) ([]registrar.Action, error) {
			b, err := asapInput(f)
			if err != nil {
				return nil, err
			}
			return r.core.HandleMessage(s.now, registrar.SocketASAP, registrar.AssocID(assoc), wire.PPIDASAP, b,
				&registrar.AssocInfo{OK: true, Addrs: []netip.Addr{netip.MustParseAddr("198.18.0.2")}, Port: 40000}), nil
		})
	case "enrp", "multicast":
		from, err := idArg(args, "from")
		if err != nil {
			return "", err
		}
		addr := argOr(args, "addr", "198.18.0.99:9901")
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return "", err
		}
		assoc, _ := intArg(args, "assoc")
		return s.eachLine(d.Input, func(f []string) ([]registrar.Action, error) {
			b, err := enrpInput(f, from, r.core.ID(), ap)
			if err != nil {
				return nil, err
			}
			if d.Cmd == "multicast" {
				return r.core.HandleMulticast(s.now, b, ap), nil
			}
			return r.core.HandleMessage(s.now, registrar.SocketENRP, registrar.AssocID(assoc), wire.PPIDENRP, b,
				&registrar.AssocInfo{OK: true, Addrs: []netip.Addr{ap.Addr()}, Port: ap.Port(), SRTT: 2 * time.Millisecond}), nil
		})
	case "assoc", "sendfailed":
		if len(args) < 3 {
			return "", fmt.Errorf("%s A asap|enrp N ...", d.Cmd)
		}
		sock := registrar.SocketASAP
		if args[0].Key == "enrp" {
			sock = registrar.SocketENRP
		}
		n, err := strconv.Atoi(args[1].Key)
		if err != nil {
			return "", err
		}
		assoc := registrar.AssocID(n)
		if d.Cmd == "sendfailed" {
			typ, err := strconv.ParseUint(args[2].Key, 16, 8)
			if err != nil {
				return "", err
			}
			ppid := wire.PPIDASAP
			if sock == registrar.SocketENRP {
				ppid = wire.PPIDENRP
			}
			f := registrar.SendFailed{Sock: sock, Assoc: assoc, PPID: ppid, Type: uint8(typ), Why: registrar.SendRefused}
			if len(args) > 3 && args[3].Key == "stalled" {
				f = registrar.SendFailed{Sock: sock, Assoc: assoc, Why: registrar.SendStalled}
				if v := argOr(args, "peer", ""); v != "" {
					if f.Peer, err = netip.ParseAddrPort(v); err != nil {
						return "", err
					}
				}
			}
			return format(r.core.HandleSendFailed(s.now, f)), nil
		}
		ev := map[string]registrar.AssocEvent{"up": registrar.AssocUp, "lost": registrar.AssocCommLost,
			"shutdown": registrar.AssocShutdownComplete}[args[2].Key]
		return format(r.core.HandleAssocChange(s.now, sock, assoc, ev)), nil
	case "handlespace":
		return dumpHandlespace(r.core), nil
	case "peers":
		var b strings.Builder
		for _, p := range r.core.Peers().All() {
			fmt.Fprintf(&b, "%s at %v\n", p.ID, p.Addrs.Addrs)
		}
		if b.Len() == 0 {
			return "none\n", nil
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}

func (s *script) newRegistrar(d *datadriven.TestData) (string, error) {
	name := argOr(d.CmdArgs, "name", "")
	if name == "" || s.cores[name] != nil {
		return "", fmt.Errorf("registrar needs a new name=")
	}
	id, err := idArg(d.CmdArgs, "id")
	if err != nil {
		return "", err
	}
	cfg := registrar.DefaultConfig()
	cfg.ID = id
	cfg.ASAPAnnounce, cfg.ENRPAnnounce = false, false
	if d.HasArg("announce") {
		cfg.ASAPAnnounce, cfg.ENRPAnnounce = true, true
	}
	cfg.SupportTakeoverSuggestion = d.HasArg("takeoversuggestion")
	cfg.OwnerCheck = d.HasArg("ownercheck")
	if v := argOr(d.CmdArgs, "enrpallow", ""); v != "" {
		pfx, err := netip.ParsePrefix(v)
		if err != nil {
			return "", err
		}
		cfg.ENRPAllow = []netip.Prefix{pfx}
	}
	if n, err := intArg(d.CmdArgs, "maxhtelements"); err == nil {
		cfg.MaxElementsPerHTRequest = n
	}
	if n, err := intArg(d.CmdArgs, "maxitems"); err == nil {
		cfg.MaxHResItems = n
	}
	if v := argOr(d.CmdArgs, "peer", ""); v != "" {
		ap, err := netip.ParseAddrPort(v)
		if err != nil {
			return "", err
		}
		cfg.StaticPeers = []rserpool.Transport{{Protocol: rserpool.ProtocolSCTP, Port: ap.Port(), Addrs: []netip.Addr{ap.Addr()}}}
	}
	if v := argOr(d.CmdArgs, "keepalive", ""); v != "" {
		ka, err := time.ParseDuration(v)
		if err != nil {
			return "", err
		}
		cfg.KeepAliveTransmissionInterval, cfg.KeepAliveTimeoutInterval = ka, ka
	}
	r := &scripted{name: name, addr: netip.AddrFrom4([4]byte{198, 18, 0, byte(10 + len(s.order))})}
	cfg.ENRPPort, cfg.ENRPAddrs = 9901, []netip.Addr{r.addr}
	r.core = registrar.New(cfg, s.now, rand.New(rand.NewPCG(1, 2)), nil)
	s.cores[name] = r
	s.order = append(s.order, r)
	return fmt.Sprintf("%s is %s at %v:9901\n", name, id, r.addr), nil
}

// tick advances the clock by d, firing each core's timers when due, in time
// order (ties in creation order).
func (s *script) tick(d int64) string {
	end := s.now + d
	var b strings.Builder
	for {
		var due *scripted
		var at int64
		for _, r := range s.order {
			if t, ok := r.core.NextDeadline(); ok && t <= end && (due == nil || t < at) {
				due, at = r, t
			}
		}
		if due == nil {
			break
		}
		if at > s.now {
			s.now = at
		}
		if out := format(due.core.HandleTimers(s.now)); out != "" {
			fmt.Fprintf(&b, "%s at %s:\n%s", due.name, s.clock(), indent(out))
		}
	}
	s.now = end
	if b.Len() == 0 {
		return "nothing\n"
	}
	return b.String()
}

func (s *script) clock() string {
	return strconv.FormatFloat(float64(s.now-int64(time.Second))/1e9, 'f', 3, 64) + "s"
}

// eachLine runs each input line and formats the actions it produced.
func (s *script) eachLine(input string, do func(fields []string) ([]registrar.Action, error)) (string, error) {
	var b strings.Builder
	lines := strings.Split(strings.TrimSpace(input), "\n")
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		acts, err := do(f)
		if err != nil {
			return "", fmt.Errorf("%q: %w", line, err)
		}
		out := format(acts)
		if len(lines) > 1 {
			fmt.Fprintf(&b, "%s:\n%s", line, indent(out))
			continue
		}
		b.WriteString(out)
	}
	return b.String(), nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// Arguments.

func argOr(args []datadriven.CmdArg, key, def string) string {
	for _, a := range args {
		if a.Key == key && len(a.Vals) == 1 {
			return a.Vals[0]
		}
	}
	return def
}

func intArg(args []datadriven.CmdArg, key string) (int, error) {
	v := argOr(args, key, "")
	if v == "" {
		return 0, fmt.Errorf("missing %s=", key)
	}
	return strconv.Atoi(v)
}

func idArg(args []datadriven.CmdArg, key string) (rserpool.RegistrarID, error) {
	v := argOr(args, key, "")
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", key, v, err)
	}
	return rserpool.RegistrarID(n), nil
}

// fieldArgs splits "k=v" words from positional ones.
func fieldArgs(f []string) (pos []string, kv map[string]string) {
	kv = map[string]string{}
	for _, w := range f {
		if k, v, ok := strings.Cut(w, "="); ok {
			kv[k] = v
		} else {
			pos = append(pos, w)
		}
	}
	return pos, kv
}

func peID(s string) (rserpool.PEID, error) {
	n, err := strconv.ParseUint(s, 0, 32)
	return rserpool.PEID(n), err
}

func policyOf(kv map[string]string) (rserpool.PolicySettings, error) {
	pol := rserpool.PolicySettings{Type: rserpool.PolicyRoundRobin}
	if name, ok := kv["policy"]; ok {
		t, ok := rserpool.PolicyByName(name)
		if !ok {
			return pol, fmt.Errorf("unknown policy %q", name)
		}
		pol.Type = t
	}
	for k, dst := range map[string]*uint32{"weight": &pol.Weight, "load": &pol.Load} {
		if v, ok := kv[k]; ok {
			n, err := strconv.ParseUint(v, 0, 32)
			if err != nil {
				return pol, err
			}
			*dst = uint32(n)
		}
	}
	return pol, nil
}

func transportOf(kv map[string]string, def string) (rserpool.Transport, error) {
	ap, err := netip.ParseAddrPort(cmp(kv["addr"], def))
	if err != nil {
		return rserpool.Transport{}, err
	}
	return rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: ap.Port(), Addrs: []netip.Addr{ap.Addr()}}, nil
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// asapInput encodes one scripted ASAP message.
func asapInput(f []string) ([]byte, error) {
	pos, kv := fieldArgs(f[1:])
	need := func(n int) error {
		if len(pos) < n {
			return fmt.Errorf("%s needs %d arguments", f[0], n)
		}
		return nil
	}
	var m wire.Message
	switch f[0] {
	case "hex":
		return hex.DecodeString(strings.Join(f[1:], ""))
	case "resolve":
		if err := need(1); err != nil {
			return nil, err
		}
		hr := &wire.HandleResolution{Handle: rserpool.PoolHandle(pos[0])}
		if v, ok := kv["items"]; ok {
			n, err := strconv.ParseUint(v, 0, 32)
			if err != nil {
				return nil, err
			}
			hr.Items = uint32(n)
		}
		m = hr
	default:
		if err := need(2); err != nil {
			return nil, err
		}
		handle := rserpool.PoolHandle(pos[0])
		id, err := peID(pos[1])
		if err != nil {
			return nil, err
		}
		switch f[0] {
		case "register":
			pol, err := policyOf(kv)
			if err != nil {
				return nil, err
			}
			user, err := transportOf(kv, "198.18.0.2:40000")
			if err != nil {
				return nil, err
			}
			life := uint64(90000)
			if v, ok := kv["life"]; ok {
				if life, err = strconv.ParseUint(v, 0, 32); err != nil {
					return nil, err
				}
			}
			m = &wire.Registration{Handle: handle, PE: rserpool.PoolElement{ID: id, RegistrationLife: uint32(life), User: user, Policy: pol}}
		case "deregister":
			m = &wire.Deregistration{Handle: handle, ID: id}
		case "ack":
			m = &wire.EndpointKeepAliveAck{Handle: handle, ID: id}
		case "unreachable":
			m = &wire.EndpointUnreachable{Handle: handle, ID: id}
		default:
			return nil, fmt.Errorf("unknown ASAP message %q", f[0])
		}
	}
	return m.AppendTo(nil)
}

// enrpInput encodes one scripted ENRP message from registrar from (ENRP
// transport at) to registrar to.
func enrpInput(f []string, from, to rserpool.RegistrarID, at netip.AddrPort) ([]byte, error) {
	pos, kv := fieldArgs(f[1:])
	target := func() (rserpool.RegistrarID, error) {
		if len(pos) < 1 {
			return 0, fmt.Errorf("%s needs a target", f[0])
		}
		n, err := strconv.ParseUint(pos[0], 0, 32)
		return rserpool.RegistrarID(n), err
	}
	self := rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: at.Port(), Addrs: []netip.Addr{at.Addr()}}
	var m wire.Message
	switch f[0] {
	case "presence":
		p := &wire.Presence{Sender: from, Receiver: to, ReplyRequired: slices.Contains(pos, "reply"),
			Info: wire.ServerInfo{ID: from, Transport: self}}
		if v, ok := kv["checksum"]; ok {
			n, err := strconv.ParseUint(v, 0, 16)
			if err != nil {
				return nil, err
			}
			p.Checksum = uint16(n)
		}
		m = p
	case "htrequest":
		m = &wire.HandleTableRequest{Sender: from, Receiver: to, OwnChildrenOnly: slices.Contains(pos, "own")}
	case "list":
		m = &wire.ListRequest{Sender: from, Receiver: to}
	case "update":
		if len(pos) < 3 || (pos[0] != "add" && pos[0] != "del") {
			return nil, fmt.Errorf("update add|del HANDLE ID")
		}
		id, err := peID(pos[2])
		if err != nil {
			return nil, err
		}
		home := from
		if v, ok := kv["home"]; ok {
			n, err := strconv.ParseUint(v, 0, 32)
			if err != nil {
				return nil, err
			}
			home = rserpool.RegistrarID(n)
		}
		pol, err := policyOf(kv)
		if err != nil {
			return nil, err
		}
		user, err := transportOf(kv, "198.18.0.3:40000")
		if err != nil {
			return nil, err
		}
		action := wire.UpdateAddPE
		if pos[0] == "del" {
			action = wire.UpdateDelPE
		}
		m = &wire.HandleUpdate{Sender: from, Receiver: to, Action: action, Handle: rserpool.PoolHandle(pos[1]),
			PE: rserpool.PoolElement{ID: id, Home: home, RegistrationLife: 90000, User: user, Policy: pol,
				HasRegistrator: true, Registrator: rserpool.Transport{Protocol: rserpool.ProtocolSCTP, Port: 30000,
					Addrs: user.Addrs}}}
	case "inittakeover", "inittakeoverack", "takeoverserver":
		tgt, err := target()
		if err != nil {
			return nil, err
		}
		switch f[0] {
		case "inittakeover":
			m = &wire.InitTakeover{Sender: from, Receiver: to, Target: tgt}
		case "inittakeoverack":
			m = &wire.InitTakeoverAck{Sender: from, Receiver: to, Target: tgt}
		default:
			m = &wire.TakeoverServer{Sender: from, Receiver: to, Target: tgt}
		}
	default:
		return nil, fmt.Errorf("unknown ENRP message %q", f[0])
	}
	return m.AppendTo(nil)
}

// Output.

// format describes actions one per line, decoding what they send.
func format(acts []registrar.Action) string {
	if len(acts) == 0 {
		return "nothing\n"
	}
	var b strings.Builder
	for i := range acts {
		a := &acts[i]
		switch a.Kind {
		case registrar.ActSend:
			fmt.Fprintf(&b, "send %s assoc=%d %s\n", sockName(a.Sock), a.Assoc, describeMessage(a.PPID, a.Data))
		case registrar.ActSendTo:
			fmt.Fprintf(&b, "sendto %s %v:%d %s\n", sockName(a.Sock), a.To.Addrs, a.To.Port, describeMessage(a.PPID, a.Data))
		case registrar.ActAbort:
			fmt.Fprintf(&b, "abort %s assoc=%d\n", sockName(a.Sock), a.Assoc)
		case registrar.ActMulticastASAP, registrar.ActMulticastENRP:
			fmt.Fprintf(&b, "multicast %s\n", describeMessage(a.PPID, a.Data))
		case registrar.ActRejoin:
			b.WriteString("rejoin multicast group\n")
		case registrar.ActCSP:
			fmt.Fprintf(&b, "csp pools=%d pes=%d owned=%d peers=%d\n", a.CSP.Pools, a.CSP.PEs, a.CSP.OwnedPEs, len(a.CSP.Peers))
		}
	}
	return b.String()
}

func sockName(s registrar.Socket) string { return strings.ToLower(s.String()) }

func describeMessage(ppid uint32, b []byte) string {
	m, err := wire.Decode(ppid, b, wire.DecodeOptions{})
	if err != nil {
		return fmt.Sprintf("undecodable (%v)", err)
	}
	name := wire.TypeName(ppid, m.Type())
	name = name[strings.IndexByte(name, ' ')+1:] // the socket says which protocol
	cause := func(e wire.OperationError) string {
		if e.Cause == 0 {
			return "ok"
		}
		return "error=" + strconv.Quote(e.Cause.String())
	}
	flag := func(on bool, name string) string {
		if on {
			return " " + name
		}
		return ""
	}
	switch m := m.(type) {
	case *wire.RegistrationResponse:
		return fmt.Sprintf("%s %s/%s %s", name, m.Handle, m.ID, cause(m.Error))
	case *wire.DeregistrationResponse:
		return fmt.Sprintf("%s %s/%s %s", name, m.Handle, m.ID, cause(m.Error))
	case *wire.HandleResolutionResponse:
		if m.Error.Cause != 0 {
			return fmt.Sprintf("%s %s %s", name, m.Handle, cause(m.Error))
		}
		return fmt.Sprintf("%s %s %s %s", name, m.Handle, m.Policy.Type, peList(m.PEs))
	case *wire.EndpointKeepAlive:
		return fmt.Sprintf("%s from=%s %s/%s%s", name, m.ServerID, m.Handle, m.ID, flag(m.Home, "home"))
	case *wire.ServerAnnounce:
		return fmt.Sprintf("%s %s", name, m.ServerID)
	case *wire.ASAPErrorMessage:
		return fmt.Sprintf("%s %s", name, cause(m.Error))
	case *wire.Presence:
		return fmt.Sprintf("%s %s->%s%s checksum=$%04x at %v:%d", name, m.Sender, m.Receiver, flag(m.ReplyRequired, "reply"),
			m.Checksum, m.Info.Transport.Addrs, m.Info.Transport.Port)
	case *wire.HandleTableRequest:
		return fmt.Sprintf("%s %s->%s%s", name, m.Sender, m.Receiver, flag(m.OwnChildrenOnly, "own"))
	case *wire.HandleTableResponse:
		var pools []string
		for _, p := range m.Pools {
			pools = append(pools, fmt.Sprintf("%s%s", p.Handle, peList(p.PEs)))
		}
		return fmt.Sprintf("%s %s->%s%s%s %s", name, m.Sender, m.Receiver, flag(m.Reject, "reject"), flag(m.MoreToSend, "more"),
			strings.Join(pools, " "))
	case *wire.HandleUpdate:
		action := "add"
		if m.Action == wire.UpdateDelPE {
			action = "del"
		}
		return fmt.Sprintf("%s %s->%s %s %s/%s home=%s%s", name, m.Sender, m.Receiver, action, m.Handle, m.PE.ID, m.PE.Home,
			flag(m.TakeoverSuggested, "takeover-suggested"))
	case *wire.ListRequest:
		return fmt.Sprintf("%s %s->%s", name, m.Sender, m.Receiver)
	case *wire.ListResponse:
		var ids []string
		for _, s := range m.Servers {
			ids = append(ids, s.ID.String())
		}
		return fmt.Sprintf("%s %s->%s%s [%s]", name, m.Sender, m.Receiver, flag(m.Reject, "reject"), strings.Join(ids, " "))
	case *wire.InitTakeover:
		return fmt.Sprintf("%s %s->%s target=%s", name, m.Sender, m.Receiver, m.Target)
	case *wire.InitTakeoverAck:
		return fmt.Sprintf("%s %s->%s target=%s", name, m.Sender, m.Receiver, m.Target)
	case *wire.TakeoverServer:
		return fmt.Sprintf("%s %s->%s target=%s", name, m.Sender, m.Receiver, m.Target)
	case *wire.ENRPErrorMessage:
		return fmt.Sprintf("%s %s->%s %s", name, m.Sender, m.Receiver, cause(m.Error))
	}
	return name
}

// peList lists PE ids, shortened when long.
func peList(pes []rserpool.PoolElement) string {
	ids := make([]string, 0, len(pes))
	for _, pe := range pes {
		ids = append(ids, pe.ID.String())
	}
	if len(ids) > 6 {
		return fmt.Sprintf("[%s .. %s (%d)]", strings.Join(ids[:3], " "), ids[len(ids)-1], len(ids))
	}
	return "[" + strings.Join(ids, " ") + "]"
}

func dumpHandlespace(c *registrar.Core) string {
	hs := c.Handlespace()
	var b strings.Builder
	fmt.Fprintf(&b, "%d pools, %d PEs (%d owned), checksum $%04x\n", hs.Pools(), hs.PEs(), hs.OwnedPEs(), hs.HandlespaceChecksum().Value())
	for pe := range hs.All(handlespaceStart) {
		fmt.Fprintf(&b, "  %s/%s home=%s assoc=%d\n", pe.Handle(), pe.ID(), pe.Home(), pe.Assoc())
	}
	return b.String()
}
