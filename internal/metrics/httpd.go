package metrics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The HTTP side is a small HTTP/1.x server of its own instead of net/http:
// linking net/http (with crypto/tls, x509 and mime behind it) doubled the
// binary (3.4 to 7.0 MB) and added 2.2 MiB of resident memory to every
// registrar, metrics on or off (make bench, "RSS without PEs"). A scrape
// needs one GET answered with a body of known length, and nothing else.
const (
	// readTimeout bounds the time a client takes to send its request.
	readTimeout = 10 * time.Second
	// writeTimeout bounds the time the answer takes to leave.
	writeTimeout = 30 * time.Second
	// maxHeader is the most a request line and headers may take.
	maxHeader = 16 << 10
)

// server answers HTTP requests on a listener, one goroutine per
// connection, one request per connection (Connection: close).
type server struct {
	ln      net.Listener
	handle  func(path, query string) (status int, contentType string, body []byte)
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closed  bool
	running sync.WaitGroup
}

func newServer(ln net.Listener, handle func(path, query string) (int, string, []byte)) *server {
	return &server{ln: ln, handle: handle, conns: make(map[net.Conn]struct{})}
}

// serve accepts connections until close; it returns nil after close.
func (s *server) serve() error {
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of descriptors or similar: wait and retry
				// rather than stop serving.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("metrics: accept: %w", err)
		}
		delay = 0
		if !s.track(c, true) {
			c.Close()
			return nil
		}
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			defer s.track(c, false)
			defer c.Close()
			s.answer(c)
		}()
	}
}

// track adds or removes an open connection; false once the server is closed.
func (s *server) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// close stops accepting, drops open connections and waits for their
// goroutines.
func (s *server) close() error {
	s.mu.Lock()
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.running.Wait()
	return err
}

// request is what the server needs of a request.
type request struct {
	method, path, proto string
	// query is what followed the first "?" of the target, undecoded.
	query string
}

// errBadRequest and errHeaderTooLarge are answered with 400 and 431.
var (
	errBadRequest     = errors.New("malformed HTTP request")
	errHeaderTooLarge = errors.New("request header too large")
)

// readRequest reads a request line and its headers. A request body is not
// expected (GET and HEAD have none) and is not read: the connection closes
// after the answer anyway.
func readRequest(r *bufio.Reader) (request, error) {
	var req request
	budget := maxHeader
	first := true
	for {
		line, err := r.ReadSlice('\n')
		budget -= len(line)
		if budget < 0 || errors.Is(err, bufio.ErrBufferFull) {
			return req, errHeaderTooLarge
		}
		if err != nil {
			return req, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if first {
			if len(line) == 0 {
				continue // RFC 9112 2.2: ignore empty lines before the request line
			}
			first = false
			parts := strings.Split(string(line), " ")
			if len(parts) != 3 || parts[0] == "" || parts[1] == "" || !strings.HasPrefix(parts[2], "HTTP/1.") {
				return req, errBadRequest
			}
			req.method, req.path, req.proto = parts[0], parts[1], parts[2]
			if i := strings.IndexByte(req.path, '?'); i >= 0 {
				req.path, req.query = req.path[:i], req.path[i+1:]
			}
			if req.path == "" {
				return req, errBadRequest // only a query, as in "GET ?x HTTP/1.1"
			}
			if req.path[0] != '/' {
				// Absolute form (proxy requests): keep only the path.
				if i := strings.Index(req.path, "://"); i >= 0 {
					rest := req.path[i+3:]
					j := strings.IndexByte(rest, '/')
					if j < 0 {
						req.path = "/"
					} else {
						req.path = rest[j:]
					}
				} else if req.path != "*" {
					return req, errBadRequest
				}
			}
			continue
		}
		if len(line) == 0 {
			return req, nil
		}
		if bytes.IndexByte(line, ':') <= 0 {
			return req, errBadRequest
		}
	}
}

var statusText = map[int]string{
	200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
	431: "Request Header Fields Too Large", 503: "Service Unavailable",
}

// answer reads one request from c and writes the answer.
func (s *server) answer(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(readTimeout))
	req, err := readRequest(bufio.NewReaderSize(c, 4096))
	var status int
	var ctype string
	var body []byte
	head := false
	switch {
	case errors.Is(err, errHeaderTooLarge):
		status, ctype, body = 431, "text/plain; charset=utf-8", []byte("request header too large\n")
	case errors.Is(err, errBadRequest):
		status, ctype, body = 400, "text/plain; charset=utf-8", []byte("bad request\n")
	case err != nil:
		return // closed, timed out or reset before a whole request came
	case req.method != "GET" && req.method != "HEAD":
		status, ctype, body = 405, "text/plain; charset=utf-8", []byte("only GET and HEAD\n")
	default:
		head = req.method == "HEAD"
		status, ctype, body = s.handle(req.path, req.query)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n",
		status, statusText[status], ctype, len(body))
	if status == 405 {
		b.WriteString("Allow: GET, HEAD\r\n")
	}
	b.WriteString("\r\n")
	if !head {
		b.Write(body)
	}
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := c.Write(b.Bytes()); err != nil {
		return
	}
	// Let the client read the answer before the connection goes: close
	// the sending side, then wait briefly for the client to close.
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
		c.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(c, maxHeader))
	}
}
