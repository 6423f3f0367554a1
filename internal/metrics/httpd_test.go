package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// raw sends text on a new connection to addr and returns the whole answer.
func raw(t *testing.T, addr, text string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, text); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", text, err)
	}
	return string(b)
}

func TestHTTPRequests(t *testing.T) {
	url := serve(t, 0, func() *Snapshot { return &Snapshot{} })
	addr := strings.TrimPrefix(url, "http://")
	tests := []struct {
		name, request string
		status        string // start of the answer
		body          string // in the answer ("" : anything)
		noBody        bool
	}{
		{"metrics", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n", "rspregistrar_up 1", false},
		{"query ignored", "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n", "rspregistrar_up 1", false},
		{"absolute form", "GET http://x:9/metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", "rspregistrar_up 1", false},
		{"HTTP/1.0, bare LF", "GET /metrics HTTP/1.0\n\n", "HTTP/1.1 200 OK\r\n", "rspregistrar_up 1", false},
		{"leading empty line", "\r\nGET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", "<canvas", false},
		{"head", "HEAD /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", "", true},
		{"not found", "GET /other HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", "/metrics", false},
		{"post", "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 405 Method Not Allowed\r\n", "GET", false},
		{"garbage", "hello\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "", false},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "", false},
		{"header without colon", "GET / HTTP/1.1\r\nnonsense\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "", false},
		{"header too large", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 20000) + "\r\n\r\n",
			"HTTP/1.1 431 Request Header Fields Too Large\r\n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := raw(t, addr, tt.request)
			if !strings.HasPrefix(got, tt.status) {
				t.Fatalf("answer %q, want it to start with %q", got, tt.status)
			}
			head, body, ok := strings.Cut(got, "\r\n\r\n")
			if !ok {
				t.Fatalf("no end of header in %q", got)
			}
			if !strings.Contains(head, "\r\nContent-Length: ") || !strings.Contains(head, "\r\nConnection: close") {
				t.Errorf("header %q", head)
			}
			if tt.noBody && body != "" {
				t.Errorf("body %q, want none", body)
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body %q does not contain %q", body, tt.body)
			}
		})
	}
}

// A client that never completes its request does not keep Close waiting,
// and the listener stops accepting.
func TestHTTPCloseWithIdleClient(t *testing.T) {
	e := New("v", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Serve(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /metr")
	// The server has the connection once it answers another one; a 404
	// needs no event loop.
	if resp, err := http.Get("http://" + ln.Addr().String() + "/x"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	done := make(chan error, 1)
	go func() { done <- e.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for an idle client")
	}
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Error("the idle connection got an answer after Close")
	}
	if c2, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c2.Close()
		t.Error("still accepting after Close")
	}
}

// FuzzReadRequest: any bytes give a request or an error, never a panic, and
// a request's path starts with "/" (or is "*").
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "GET http://h/ HTTP/1.0\n\n",
		"PRI * HTTP/2.0\r\n\r\n", "\r\n\r\nGET / HTTP/1.1\r\nA: b\r\n\r\n", "GET http:// HTTP/1.1\r\n\r\n",
		"GET ?a HTTP/1.1\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := readRequest(bufio.NewReaderSize(strings.NewReader(string(data)), 4096))
		if err == nil && !strings.HasPrefix(req.path, "/") && req.path != "*" {
			t.Fatalf("path %q from %q", req.path, data)
		}
	})
}
