package httpguard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/queries/httpguard"
)

// echo answers 200 with what it saw of its context.
func echo(w http.ResponseWriter, r *http.Request) {
	deadline, ok := r.Context().Deadline()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"has_deadline": ok, "deadline": deadline})
}

func newGuard(t *testing.T, origins ...string) http.Handler {
	t.Helper()
	g, err := httpguard.New(httpguard.Config{RequestTimeout: limits.Default().RequestTimeout, Origins: origins})
	if err != nil {
		t.Fatal(err)
	}
	return g.Wrap(http.HandlerFunc(echo))
}

func serve(h http.Handler, method, path string, header map[string]string, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://infrahub.example:8000"+path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// Writes to the API and to GraphQL take JSON only: what an HTML form or a page's "simple"
// request can send cross-site (text/plain, form-encoded, multipart, no type) is refused 415
// naming the type, in the path's error shape.
func TestWritesTakeJSONOnly(t *testing.T) {
	h := newGuard(t)
	cases := []struct {
		method, path, contentType string
		want                      int
	}{
		{"POST", "/api/commands", "application/json", 200},
		{"POST", "/api/commands", "application/json; charset=utf-8", 200},
		{"POST", "/api/commands", "Application/JSON", 200},
		{"POST", "/graphql", "application/json", 200},
		{"POST", "/graphql/team/feature", "application/json", 200},
		{"POST", "/api/schema/load", "application/vnd.api+json", 200},
		{"POST", "/api/commands", "text/plain", 415},
		{"POST", "/api/commands", "text/plain;charset=UTF-8", 415},
		{"POST", "/api/commands", "application/x-www-form-urlencoded", 415},
		{"POST", "/api/commands", "multipart/form-data; boundary=x", 415},
		{"POST", "/api/commands", "", 415},
		{"POST", "/api/commands", "application/jsonx", 415},
		{"POST", "/api/commands", "text/json", 415},
		{"POST", "/api/commands", "not a type;;", 415},
		{"POST", "/graphql", "text/plain", 415},
		{"POST", "/graphql/main", "application/x-www-form-urlencoded", 415},
		{"PUT", "/api/objects/validate", "text/plain", 415},
		{"PATCH", "/api/x", "text/plain", 415},
		{"DELETE", "/api/x", "", 415},
		{"GET", "/api/branches", "", 200},
		{"GET", "/graphql?query=%7Bx%7D", "text/plain", 200},
		{"POST", "/health", "text/plain", 200}, // not under /api nor /graphql
	}
	for _, c := range cases {
		w := serve(h, c.method, c.path, map[string]string{"Content-Type": c.contentType}, `{}`)
		if w.Code != c.want {
			t.Errorf("%s %s as %q = %d %s; want %d", c.method, c.path, c.contentType, w.Code, w.Body, c.want)
			continue
		}
		if c.want != 415 {
			continue
		}
		var rest struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		var gql struct {
			Data   any `json:"data"`
			Errors []struct {
				Message    string            `json:"message"`
				Extensions map[string]string `json:"extensions"`
			} `json:"errors"`
		}
		msg := ""
		if strings.HasPrefix(c.path, "/graphql") {
			if err := json.Unmarshal(w.Body.Bytes(), &gql); err != nil || len(gql.Errors) != 1 || gql.Data != nil ||
				gql.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
				t.Errorf("%s %s as %q: %s; want a GraphQL error", c.method, c.path, c.contentType, w.Body)
				continue
			}
			msg = gql.Errors[0].Message
		} else {
			if err := json.Unmarshal(w.Body.Bytes(), &rest); err != nil || rest.Error.Code != "unsupported_media_type" {
				t.Errorf("%s %s as %q: %s; want {error: {code: unsupported_media_type}}", c.method, c.path, c.contentType, w.Body)
				continue
			}
			msg = rest.Error.Message
		}
		if c.contentType != "" && !strings.Contains(msg, c.contentType) || !strings.Contains(msg, "application/json") {
			t.Errorf("%s %s as %q: message %q should name the type and application/json", c.method, c.path, c.contentType, msg)
		}
	}
}

// Without configured origins, no CORS header is ever sent and every preflight is refused; a
// write a browser sends from another site is refused even as JSON.
func TestCORSDeniedByDefault(t *testing.T) {
	h := newGuard(t)
	pre := serve(h, "OPTIONS", "/api/commands", map[string]string{"Origin": "https://evil.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, "")
	if pre.Code != http.StatusForbidden || pre.Header().Get("Access-Control-Allow-Origin") != "" ||
		pre.Header().Get("Access-Control-Allow-Methods") != "" || !strings.Contains(pre.Body.String(), "INFRAHUB_CORS_ORIGINS") {
		t.Errorf("preflight = %d %v %s; want 403 without allow headers", pre.Code, pre.Header(), pre.Body)
	}
	get := serve(h, "GET", "/api/branches", map[string]string{"Origin": "https://evil.example"}, "")
	if get.Code != 200 || get.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("cross-origin GET = %d %v; want 200 without Access-Control-Allow-Origin", get.Code, get.Header())
	}
	for _, origin := range []string{"https://evil.example", "null", "http://infrahub.example:9000"} {
		w := serve(h, "POST", "/api/commands", map[string]string{"Origin": origin, "Content-Type": "application/json"}, "{}")
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"forbidden"`) {
			t.Errorf("POST from %s = %d %s; want 403", origin, w.Code, w.Body)
		}
	}
	// The server's own pages (GraphiQL) and a proxy in front of it are the same host.
	for _, hdr := range []map[string]string{
		{"Origin": "http://infrahub.example:8000"},
		{"Origin": "http://INFRAHUB.example:8000"},
		{"Origin": "https://infrahub.example", "X-Forwarded-Host": "infrahub.example"},
	} {
		hdr["Content-Type"] = "application/json"
		if w := serve(h, "POST", "/graphql", hdr, "{}"); w.Code != 200 {
			t.Errorf("POST with %v = %d %s; want 200 (same host)", hdr, w.Code, w.Body)
		}
	}
}

// Configured origins get CORS answers: a preflight with the methods and headers Infrahub's
// clients send, and Access-Control-Allow-Origin on the answers; other origins still get none.
func TestCORSAllowedOrigins(t *testing.T) {
	h := newGuard(t, "https://ui.example", "http://localhost:3000")
	pre := serve(h, "OPTIONS", "/graphql", map[string]string{"Origin": "https://ui.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, x-infrahub-key"}, "")
	hd := pre.Header()
	if pre.Code != http.StatusNoContent || hd.Get("Access-Control-Allow-Origin") != "https://ui.example" ||
		!strings.Contains(hd.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(hd.Get("Vary"), "Origin") {
		t.Errorf("preflight of an allowed origin = %d %v", pre.Code, hd)
	}
	for _, name := range []string{"Content-Type", "Authorization", "X-INFRAHUB-KEY"} {
		if !strings.Contains(hd.Get("Access-Control-Allow-Headers"), name) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", hd.Get("Access-Control-Allow-Headers"), name)
		}
	}
	post := serve(h, "POST", "/api/commands", map[string]string{"Origin": "http://localhost:3000", "Content-Type": "application/json"}, "{}")
	if post.Code != 200 || post.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("POST from an allowed origin = %d %v", post.Code, post.Header())
	}
	if w := serve(h, "POST", "/api/commands", map[string]string{"Origin": "http://localhost:3000", "Content-Type": "text/plain"}, "{}"); w.Code != 415 {
		t.Errorf("text/plain from an allowed origin = %d; want 415", w.Code)
	}
	other := serve(h, "OPTIONS", "/graphql", map[string]string{"Origin": "https://ui.example.evil", "Access-Control-Request-Method": "POST"}, "")
	if other.Code != http.StatusForbidden || other.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin = %d %v", other.Code, other.Header())
	}
}

func TestOriginsValidated(t *testing.T) {
	for _, good := range []string{"https://ui.example", "http://localhost:3000", "https://ui.example:443/"} {
		if _, err := httpguard.ParseOrigin(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	if n, _ := httpguard.ParseOrigin("HTTPS://UI.example:443"); n != "https://ui.example" {
		t.Errorf("normalised origin = %q", n)
	}
	for _, bad := range []string{"*", "ui.example", "ftp://ui.example", "https://ui.example/app", "https://u:p@ui.example", "https://ui.example?x=1", ""} {
		if _, err := httpguard.New(httpguard.Config{RequestTimeout: time.Second, Origins: []string{bad}}); err == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
}

// Every handler's context has the request deadline, and work waiting on it stops there.
func TestRequestDeadline(t *testing.T) {
	g, err := httpguard.New(httpguard.Config{RequestTimeout: 80 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var sawDeadline time.Duration
	var stopped error
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := r.Context().Deadline()
		sawDeadline = time.Until(d)
		select {
		case <-r.Context().Done():
			stopped = r.Context().Err()
		case <-time.After(time.Minute):
		}
	}))
	start := time.Now()
	serve(h, "GET", "/api/dump", nil, "")
	if sawDeadline <= 0 || sawDeadline > 80*time.Millisecond {
		t.Errorf("the handler saw a deadline in %s; want within the 80ms request timeout", sawDeadline)
	}
	if stopped != context.DeadlineExceeded {
		t.Errorf("the handler's context ended with %v; want the deadline", stopped)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the request took %s", d)
	}
}

// A file upload to the object store (/api/storage/upload/file) may be multipart/form-data when
// its credentials come in a header no HTML form can set (X-INFRAHUB-KEY, Authorization: Bearer);
// without them (a cross-site form, a browser replaying Basic credentials) it is refused like any
// multipart write, and other paths never take multipart. A cross-site Origin is still refused.
func TestMultipartUploadNeedsHeaderCredentials(t *testing.T) {
	h := newGuard(t)
	const mp = "multipart/form-data; boundary=----x"
	cases := []struct {
		path   string
		header map[string]string
		want   int
	}{
		{"/api/storage/upload/file", map[string]string{"X-INFRAHUB-KEY": "06438eb2-8019-4776-878c-0941b1f1d1ec"}, 200},
		{"/api/storage/upload/file", map[string]string{"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}, 200},
		{"/api/storage/upload/file", map[string]string{"Authorization": "bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}, 200},
		{"/api/storage/upload/file", nil, 415},
		{"/api/storage/upload/file", map[string]string{"Authorization": "Basic YWRtaW46aW5mcmFodWI="}, 415},
		{"/api/storage/upload/file", map[string]string{"Authorization": "Bearer "}, 415},
		{"/api/storage/upload/file", map[string]string{"Cookie": "access_token=eyJhbGciOiJIUzI1NiJ9.e30.x"}, 415},
		{"/api/storage/upload/file", map[string]string{"X-INFRAHUB-KEY": "k", "Origin": "https://evil.example"}, 403},
		{"/api/storage/upload/file", map[string]string{"X-INFRAHUB-KEY": "k", "Origin": "http://infrahub.example:8000"}, 200},
		{"/api/storage/upload/file/", map[string]string{"X-INFRAHUB-KEY": "k"}, 415},
		{"/api/storage/upload/content", map[string]string{"X-INFRAHUB-KEY": "k"}, 415},
		{"/api/commands", map[string]string{"X-INFRAHUB-KEY": "k"}, 415},
		{"/graphql", map[string]string{"Authorization": "Bearer t"}, 415},
	}
	for _, c := range cases {
		hdr := map[string]string{"Content-Type": mp}
		for k, v := range c.header {
			hdr[k] = v
		}
		w := serve(h, "POST", c.path, hdr, "------x--\r\n")
		if w.Code != c.want {
			t.Errorf("POST %s with %v = %d %s; want %d", c.path, c.header, w.Code, w.Body, c.want)
			continue
		}
		if c.want == 415 && c.path == "/api/storage/upload/file" && !strings.Contains(w.Body.String(), "X-INFRAHUB-KEY") {
			t.Errorf("POST %s with %v: %s should say which credentials allow multipart", c.path, c.header, w.Body)
		}
	}
	// JSON and other types on the upload path are judged as everywhere: JSON passes, text is refused.
	if w := serve(h, "POST", "/api/storage/upload/file", map[string]string{"Content-Type": "application/json"}, "{}"); w.Code != 200 {
		t.Errorf("JSON to upload/file = %d", w.Code)
	}
	if w := serve(h, "POST", "/api/storage/upload/file", map[string]string{"Content-Type": "text/plain", "X-INFRAHUB-KEY": "k"}, "x"); w.Code != 415 {
		t.Errorf("text/plain to upload/file = %d", w.Code)
	}
}
