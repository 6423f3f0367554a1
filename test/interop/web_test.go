package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rserpool/rspregistrar/internal/sandboxtest"
)

// artifactsDir is where sandbox tests leave files for people to look at:
// $RSPREG_ARTIFACTS, else test/artifacts (gitignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RSPREG_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return dir
}

// registeredIDs waits until the registrar's log names n registrations in
// pool and returns their PE ids ("$0000002a") in log order.
func registeredIDs(t *testing.T, reg *sandboxtest.Proc, pool string, n int, timeout time.Duration) []string {
	t.Helper()
	re := regexp.MustCompile(`Successfully registered ` + regexp.QuoteMeta(pool) + `/(\$[0-9a-f]{8})`)
	var ids []string
	reg.Until(t, fmt.Sprintf("%d registrations in %s", n, pool), timeout, func(out string) bool {
		ids = ids[:0]
		for _, m := range re.FindAllStringSubmatch(out, -1) {
			if !slices.Contains(ids, m[1]) {
				ids = append(ids, m[1])
			}
		}
		return len(ids) >= n
	})
	return ids
}

// pageState is what the status page shows, read from its DOM.
type pageState struct {
	PEs   []string `json:"pes"`   // "pool/id" of the PE rows
	Pools []string `json:"pools"` // "handle:count" of the pool rows
	Peers []string `json:"peers"` // ids of the peer rows
	Err   string   `json:"err"`
}

const readPage = `({
  pes: [...document.querySelectorAll("#pes tr.pe")].map(r => r.dataset.pool + "/" + r.dataset.id).sort(),
  pools: [...document.querySelectorAll("#pools tr.pool")].map(r => r.dataset.handle + ":" + r.cells[2].textContent).sort(),
  peers: [...document.querySelectorAll("#peers tr.peer")].map(r => r.dataset.id).sort(),
  err: document.getElementById("err").textContent})`

// The status page at / of -metricsaddress, in a real (headless) browser,
// shows the PEs of real rspserver processes by their ids and a peer
// registrar by its id; a killed PE goes
// from the page by itself (its kernel aborts the association, which removes
// it), and so does a frozen one, whose keep-alive times out, which the
// page's chart counts.
func TestSandboxWebStatusPage(t *testing.T) {
	sandboxtest.Require(t)
	browser := sandboxtest.Program(t, "chromium")
	const metrics = "127.0.0.1:9191"
	reg := registrar(t, addr1, 3881, "-metricsaddress="+metrics,
		"-endpointkeepalivetransmissioninterval=1000", "-endpointkeepalivetimeoutinterval=1000")
	server(t, "-echo", "-registrar="+addr1+":3881")
	first := registeredIDs(t, reg, "EchoPool", 1, 20*time.Second)
	victim := server(t, "-echo", "-registrar="+addr1+":3881")
	echo := registeredIDs(t, reg, "EchoPool", 2, 20*time.Second)
	frozen := server(t, "-daytime", "-registrar="+addr1+":3881")
	daytime := registeredIDs(t, reg, "DaytimePool", 1, 20*time.Second)
	// A peer: a second registrar that introduces itself to the first.
	const peerID = "$0f0000b2"
	registrar(t, addr2, 3883, "-identifier=0x0f0000b2", "-peer="+addr1+":3882")
	killed := echo[1]
	if echo[0] != first[0] {
		t.Fatalf("registration order %v, want %s first", echo, first[0])
	}

	// Chromium's own sandbox needs user namespaces and its shared memory a
	// large /dev/shm, neither of which the UML guest has; the guest is the
	// sandbox here.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// A liveness bound: Chromium takes 20-30 s to start under UML.
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	defer cancelTimeout()
	if _, err := chromedp.Run(ctx, chromedp.Navigate("http://"+metrics+"/")); err != nil {
		t.Fatalf("opening the page: %v", err)
	}

	// waitPage polls the DOM (the page refreshes itself every 2 s) until
	// cond holds.
	waitPage := func(what string, timeout time.Duration, cond func(pageState) bool) pageState {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			s, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readPage))
			if err != nil {
				t.Fatalf("reading the page: %v", err)
			}
			if cond(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("the page never showed %s; it shows %+v", what, s)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		path := filepath.Join(artifactsDir(t), name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}

	all := []string{"DaytimePool/" + daytime[0], "EchoPool/" + echo[0], "EchoPool/" + echo[1]}
	slices.Sort(all)
	s := waitPage("the three PEs and the peer", 60*time.Second, func(s pageState) bool {
		return slices.Equal(s.PEs, all) && slices.Equal(s.Peers, []string{peerID})
	})
	if want := []string{"DaytimePool:1", "EchoPool:2"}; !slices.Equal(s.Pools, want) || s.Err != "" {
		t.Errorf("pools %v (error %q), want %v", s.Pools, s.Err, want)
	}
	time.Sleep(4 * time.Second) // a few chart samples
	screenshot("web-status-3pes.png")

	victim.Kill()
	t.Logf("killed the PE %s", killed)
	left := slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "EchoPool/"+killed })
	s = waitPage("the killed PE gone", 30*time.Second, func(s pageState) bool { return slices.Equal(s.PEs, left) })
	if want := []string{"DaytimePool:1", "EchoPool:1"}; !slices.Equal(s.Pools, want) {
		t.Errorf("pools %v after the kill, want %v", s.Pools, want)
	}
	screenshot("web-status-after-kill.png")

	frozen.Signal(syscall.SIGSTOP)
	defer frozen.Signal(syscall.SIGCONT)
	left = slices.DeleteFunc(left, func(s string) bool { return s == "DaytimePool/"+daytime[0] })
	waitPage("the frozen PE gone", 30*time.Second, func(s pageState) bool { return slices.Equal(s.PEs, left) })
	// The chart's keep-alive timeout series saw it (series is the page's).
	var peak float64
	deadline := time.Now().Add(10 * time.Second)
	for peak == 0 && time.Now().Before(deadline) {
		var err error
		if peak, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.max(...series[2].v)`)); err != nil {
			t.Fatalf("reading the chart: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if peak <= 0 {
		t.Error("the chart shows no keep-alive timeout after the frozen PE's removal")
	}
	screenshot("web-status-after-timeout.png")
}
