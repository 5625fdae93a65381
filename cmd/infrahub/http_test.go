package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/limits"
)

// The HTTP guard over a real server: writes take JSON only, CORS is denied unless configured,
// positions beyond the log head are refused at once, an unknown branch is a 404; none of these
// writes anything. Then a stop does not wait on a slow request beyond the grace.
func TestServeHTTPGuard(t *testing.T) {
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(),
		"INFRAHUB_CORS_ORIGINS": "https://ui.example, http://localhost:3000", "INFRAHUB_SHUTDOWN_TIMEOUT": "300ms"})
	head := getStatus(t, c.base).LogHead
	do := func(method, path, ctype string, hdr map[string]string, body string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(out)
	}
	const command = `{"type":"diagnostic.record","payload":{"data":{"n":1}}}`
	const mutation = `{"query":"mutation { BuiltinTagCreate(data: {name: {value: \"x\"}}) { ok } }"}`
	evil := map[string]string{"Origin": "https://evil.example"}
	preflight := func(origin string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
	}
	beyond := fmt.Sprintf("log head %d", head)
	cases := []struct {
		name, method, path, ctype string
		hdr                       map[string]string
		body                      string
		status                    int
		mention                   string
	}{
		{"text/plain command", "POST", "/api/commands", "text/plain", nil, command, 415, "text/plain"},
		{"form-encoded command (curl -d)", "POST", "/api/commands", "application/x-www-form-urlencoded", nil, command, 415, "application/x-www-form-urlencoded"},
		{"multipart command", "POST", "/api/commands", "multipart/form-data; boundary=x", nil, command, 415, "multipart/form-data"},
		{"command without a type", "POST", "/api/commands", "", nil, command, 415, "Content-Type"},
		{"text/plain mutation", "POST", "/graphql", "text/plain", nil, mutation, 415, "text/plain"},
		{"form-encoded mutation on a branch", "POST", "/graphql/main", "application/x-www-form-urlencoded", nil, mutation, 415, "application/json"},
		{"text/plain schema load", "POST", "/api/schema/load", "text/plain", nil, `{"schemas":[]}`, 415, "text/plain"},
		{"cross-site JSON command", "POST", "/api/commands", "application/json", evil, command, 403, "evil.example"},
		{"cross-site JSON mutation", "POST", "/graphql", "application/json", evil, mutation, 403, "evil.example"},
		{"preflight of another site", "OPTIONS", "/api/commands", "", preflight("https://evil.example"), "", 403, "INFRAHUB_CORS_ORIGINS"},
		{"at beyond the head", "GET", "/api/nodes/BuiltinTag?at=1000000", "", nil, "", 400, beyond},
		{"min_position beyond the head", "GET", "/api/dump?min_position=1000000", "", nil, "", 400, beyond},
		{"GraphQL at beyond the head", "GET", "/graphql?query=" + url.QueryEscape("{ BuiltinTag { count } }") + "&at=1000000", "", nil, "", 400, beyond},
		{"validate on an unknown branch", "POST", "/api/objects/validate?branch=nope", "application/json", nil, `{"files":[]}`, 404, "nope"},
	}
	for _, tc := range cases {
		start := time.Now()
		code, hdr, body := do(tc.method, tc.path, tc.ctype, tc.hdr, tc.body)
		if code != tc.status || !strings.Contains(body, tc.mention) {
			t.Errorf("%s: %d %s; want %d mentioning %q", tc.name, code, body, tc.status, tc.mention)
		}
		if hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: Access-Control-Allow-Origin %q sent", tc.name, hdr.Get("Access-Control-Allow-Origin"))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: answered in %s; a refusal is at once", tc.name, d)
		}
	}
	if s := getStatus(t, c.base); s.LogHead != head {
		t.Fatalf("refused requests moved the log head from %d to %d", head, s.LogHead)
	}
	// A configured origin gets CORS answers, and its JSON writes go through, as do the server's
	// own pages' (GraphiQL: the same host) and clients without an Origin.
	code, hdr, _ := do("OPTIONS", "/graphql", "", preflight("https://ui.example"), "")
	if code != http.StatusNoContent || hdr.Get("Access-Control-Allow-Origin") != "https://ui.example" ||
		!strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "X-INFRAHUB-KEY") {
		t.Errorf("preflight of a configured origin: %d %v", code, hdr)
	}
	host := strings.TrimPrefix(c.base, "http://")
	for _, origin := range []string{"http://localhost:3000", c.base, ""} {
		code, hdr, body := do("POST", "/api/commands", "application/json; charset=utf-8", map[string]string{"Origin": origin}, command)
		if code != http.StatusOK || origin == "http://localhost:3000" && hdr.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("JSON command from origin %q: %d %v %s", origin, code, hdr, body)
		}
	}

	// A request still in flight (a body that never comes) does not hold the stop beyond the grace.
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/commands HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"type\":", host)
	time.Sleep(200 * time.Millisecond) // let the server start reading the body
	start := time.Now()
	if err := c.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the stop took %s with a 300ms grace", d)
	}
	if logs := c.logs.String(); !strings.Contains(logs, "requests still running after the shutdown grace") || !strings.Contains(logs, "stopped") {
		t.Errorf("the log does not show the slow request cut and a clean stop:\n%s", logs)
	}
}

// serveHTTP lets requests in flight finish within the grace, then cancels those still running
// (their handlers stop) and returns: a stop never waits on a request beyond the grace.
func TestServeHTTPShutdownGrace(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := limits.Default()
	lim.ShutdownGrace = 300 * time.Millisecond
	started := make(chan string, 2)
	ended := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- r.URL.Path
		if r.URL.Path == "/quick" { // finishes during the grace
			time.Sleep(100 * time.Millisecond)
			_, _ = io.WriteString(w, "done")
			return
		}
		select { // waits on its context, as the executor's and the reads' loops do
		case <-r.Context().Done():
			ended <- r.Context().Err()
		case <-time.After(time.Minute):
			ended <- nil
		}
	})
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(ctx, ln, h, lim, slog.New(slog.NewTextHandler(io.Discard, nil)), func() {})
	}()
	quick := make(chan string, 1)
	for _, path := range []string{"/slow", "/quick"} {
		go func() {
			resp, err := http.Get("http://" + ln.Addr().String() + path)
			if err != nil {
				quick <- err.Error()
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if path == "/quick" {
				quick <- fmt.Sprintf("%d %s", resp.StatusCode, body)
			}
		}()
	}
	<-started
	<-started
	start := time.Now()
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serveHTTP: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serveHTTP still running 10s after the stop, with a 300ms grace")
	}
	if got := <-quick; got != "200 done" {
		t.Errorf("a request finishing within the grace answered %q; want 200 done", got)
	}
	select {
	case err := <-ended:
		if err == nil {
			t.Error("the slow handler's context was not cancelled")
		}
	case <-time.After(10 * time.Second):
		t.Error("the slow handler did not stop")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the stop took %s", d)
	}
}
