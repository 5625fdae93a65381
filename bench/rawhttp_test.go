package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The load's client sends what net/http would (method, path, key, type, body) and reads every
// form of answer the server gives on one kept-alive connection.
func TestLoadConnSpeaksHTTP(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("X-INFRAHUB-KEY") != "tok" ||
			r.Header.Get("Content-Type") != "application/json" || r.ContentLength != int64(len(body)) {
			http.Error(w, "bad request shape", http.StatusTeapot)
			return
		}
		switch r.URL.Path {
		case "/small":
			w.Write(body)
		case "/chunked": // bigger than net/http's buffer: sent chunked
			w.Write([]byte(strings.Repeat("x", 10000)))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("y", 70000)))
		case "/fail":
			http.Error(w, "the device is unknown", http.StatusUnprocessableEntity)
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	load := newLoadConns("tok")
	defer load.close()
	c, err := load.of(srv.URL, 3)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		for _, p := range []string{"/small", "/chunked"} {
			if err := c.post(ctx, p, []byte(`{"a":1}`)); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
	}
	err = c.post(ctx, "/fail", []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "the device is unknown") {
		t.Fatalf("a failed answer: %v", err)
	}
	if err := c.post(ctx, "/small", []byte(`{}`)); err != nil {
		t.Fatalf("after a failed answer: %v", err)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for kept-alive requests, want 1", n)
	}
	if err := c.post(ctx, "/close", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.post(ctx, "/small", []byte(`{}`)); err != nil {
		t.Fatalf("after Connection: close: %v", err)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections after the server closed one, want 2", n)
	}
	if _, err := load.of("https://example.com", 0); err == nil {
		t.Fatal("an https base was accepted")
	}
}
