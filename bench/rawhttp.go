package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// The load generator of scenarios 13 and 14, in the manner of wrk: each client of the load has
// its own kept-alive HTTP/1.1 connection, writes a request with one call and reads the answer on
// its own goroutine. net/http's client hands every request to two goroutines of its connection
// and clones it to add the key; on 2 cores shared with the server that cost ~30 µs of CPU per
// request, a quarter of what the row measured, and its wake-ups added to each request's latency.
// What reaches the server is the request net/http would send: the same method, path, headers
// (Host, Content-Type, Content-Length, X-INFRAHUB-KEY) and body.

// loadTimeout bounds one request of the load (net/http's client had the same Timeout).
const loadTimeout = 30 * time.Second

// maxErrorBody is how much of a failed answer's body an error quotes.
const maxErrorBody = 512

// loadConns are the connections of the load's clients, by server and client, opened on first
// use and closed with the run.
type loadConns struct {
	token string
	mu    sync.Mutex
	conns map[string][]*loadConn
}

func newLoadConns(token string) *loadConns {
	return &loadConns{token: token, conns: map[string][]*loadConn{}}
}

// of returns client c's connection to the server at base (http://host:port).
func (l *loadConns) of(base string, c int) (*loadConn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cs := l.conns[base]
	for len(cs) <= c {
		cs = append(cs, nil)
	}
	l.conns[base] = cs
	if cs[c] == nil {
		u, err := url.Parse(base)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("load: base %q is not http://host:port", base)
		}
		cs[c] = &loadConn{addr: u.Host, token: l.token}
	}
	return cs[c], nil
}

func (l *loadConns) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, cs := range l.conns {
		for _, c := range cs {
			if c != nil {
				c.drop()
			}
		}
	}
	return nil
}

// loadConn is one client's connection; only that client's goroutine uses it.
type loadConn struct {
	addr, token string
	conn        net.Conn
	br          *bufio.Reader
	req         []byte
}

// post sends a POST of body (JSON) to path and reads the whole answer; an answer other than 2xx
// is an error quoting the start of its body. A broken connection is dropped and the next post
// dials again.
func (l *loadConn) post(ctx context.Context, path string, body []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", l.addr)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		l.conn, l.br = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	l.req = append(l.req[:0], "POST "...)
	l.req = append(l.req, path...)
	l.req = append(l.req, " HTTP/1.1\r\nHost: "...)
	l.req = append(l.req, l.addr...)
	l.req = append(l.req, "\r\nUser-Agent: infrahub-bench\r\nContent-Type: application/json\r\nX-INFRAHUB-KEY: "...)
	l.req = append(l.req, l.token...)
	l.req = append(l.req, "\r\nContent-Length: "...)
	l.req = strconv.AppendInt(l.req, int64(len(body)), 10)
	l.req = append(l.req, "\r\n\r\n"...)
	l.req = append(l.req, body...)
	if err := l.conn.SetDeadline(time.Now().Add(loadTimeout)); err != nil {
		l.drop()
		return fmt.Errorf("load: %w", err)
	}
	if _, err := l.conn.Write(l.req); err != nil {
		l.drop()
		return fmt.Errorf("load: POST %s: %w", path, err)
	}
	status, keep, quoted, err := readAnswer(l.br, func([]byte) {})
	if err != nil {
		l.drop()
		return fmt.Errorf("load: POST %s: %w", path, err)
	}
	if !keep {
		l.drop()
	}
	if status/100 != 2 {
		return fmt.Errorf("load: POST %s: status %d: %s", path, status, quoted)
	}
	return nil
}

func (l *loadConn) drop() {
	if l.conn != nil {
		l.conn.Close()
	}
	l.conn, l.br = nil, nil
}

// readAnswer reads one HTTP/1.1 response from br: its status, whether the connection stays open,
// and its body (Content-Length or chunked), whose bytes it gives to sink piece by piece; of a
// non-2xx answer it returns the body's first bytes instead.
func readAnswer(br *bufio.Reader, sink func([]byte)) (status int, keep bool, quoted []byte, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, nil, fmt.Errorf("malformed status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, nil, fmt.Errorf("malformed status line %q", line)
	}
	keep = line[7] == '1'
	length, chunked := int64(-1), false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return status, false, nil, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return status, false, nil, fmt.Errorf("malformed header %q", h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return status, false, nil, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keep = true
			}
		}
	}
	collect := sink
	if status/100 != 2 {
		collect = func(b []byte) {
			quoted = append(quoted, b[:min(len(b), maxErrorBody-len(quoted))]...)
		}
	}
	switch {
	case chunked:
		err = readChunked(br, collect)
	case length >= 0:
		err = readN(br, length, collect)
	default: // the body ends with the connection
		keep = false
		err = readN(br, -1, collect)
	}
	if err != nil {
		return status, false, nil, err
	}
	return status, keep, quoted, nil
}

// readN gives n bytes of br to sink (all until EOF when n < 0).
func readN(br *bufio.Reader, n int64, sink func([]byte)) error {
	for n != 0 {
		b, err := br.Peek(1)
		if err != nil {
			if n < 0 && errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		want := br.Buffered()
		if n >= 0 && int64(want) > n {
			want = int(n)
		}
		b, _ = br.Peek(want)
		sink(b)
		br.Discard(want)
		if n > 0 {
			n -= int64(want)
		}
	}
	return nil
}

// readChunked gives a chunked body to sink and reads its trailer.
func readChunked(br *bufio.Reader, sink func([]byte)) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("malformed chunk size %q", line)
		}
		if n == 0 {
			for {
				t, err := br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if err := readN(br, n, sink); err != nil {
			return err
		}
		if _, err := br.Discard(2); err != nil {
			return err
		}
	}
}
