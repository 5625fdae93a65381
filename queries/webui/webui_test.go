package webui_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/queries/webui"
)

const fixture = "testdata/dist"

func open(t *testing.T, dir string) *webui.Handler {
	t.Helper()
	h, err := webui.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixture, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// get sends a request straight to h (the path as given: no client or mux cleans it).
func get(h http.Handler, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/", nil)
	r.URL.Path = path
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestFilesAndFallback(t *testing.T) {
	h := open(t, fixture)
	index := read(t, "index.html")
	for _, tc := range []struct {
		path, body, ctype, cache string
	}{
		{"/", index, "text/html", "no-cache"},
		{"/index.html", index, "text/html", "no-cache"},
		{"/assets/index-Ab12Cd34.js", read(t, "assets/index-Ab12Cd34.js"), "javascript", "immutable"},
		{"/assets/index-Ef56Gh78.css", read(t, "assets/index-Ef56Gh78.css"), "text/css", "immutable"},
		{"/manifest.json", read(t, "manifest.json"), "application/json", "no-cache"},
		// routes of the UI's router (frontend/app/src/app/router.tsx): the single-page fallback
		{"/objects/DcimDevice", index, "text/html", "no-cache"},
		{"/objects/DcimDevice/18a6b0e2-9c1e-4bd4-a4f2-8d1f0c3a1b2c", index, "text/html", "no-cache"},
		{"/branches/release-1.0", index, "text/html", "no-cache"},
		{"/ipam/ip_prefixes", index, "text/html", "no-cache"},
		{"/schema", index, "text/html", "no-cache"},
		{"/login", index, "text/html", "no-cache"},
		{"/assets/", index, "text/html", "no-cache"}, // a folder: never listed
	} {
		w := get(h, http.MethodGet, tc.path, nil)
		if w.Code != http.StatusOK || w.Body.String() != tc.body {
			t.Errorf("GET %s: %d %q, want 200 %q", tc.path, w.Code, w.Body.String(), tc.body)
			continue
		}
		if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, tc.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", tc.path, ct, tc.ctype)
		}
		if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, tc.cache) {
			t.Errorf("GET %s: Cache-Control %q, want %s", tc.path, cc, tc.cache)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", tc.path)
		}
	}
	// HEAD: the headers without a body.
	if w := get(h, http.MethodHead, "/assets/index-Ab12Cd34.js", nil); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Fatalf("HEAD: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	// A revalidation of index.html: 304.
	first := get(h, http.MethodGet, "/", nil)
	if w := get(h, http.MethodGet, "/", map[string]string{"If-Modified-Since": first.Header().Get("Last-Modified")}); w.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", w.Code)
	}
}

func TestRefused(t *testing.T) {
	h := open(t, fixture)
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/../etc/passwd", 400, "invalid_command"},
		{http.MethodGet, "/assets/../../etc/passwd", 400, "invalid_command"},
		{http.MethodGet, "/./index.html", 400, "invalid_command"},
		{http.MethodGet, `/..\etc\passwd`, 400, "invalid_command"},
		{http.MethodGet, "/assets/index-00000000.js", 404, "not_found"}, // a stale hashed name: no HTML for a script
		{http.MethodGet, "/.git/config", 404, "not_found"},
		{http.MethodPost, "/objects/DcimDevice", 400, "invalid_command"},
	} {
		w := get(h, tc.method, tc.path, nil)
		if w.Code != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, w.Code, w.Body.String(), tc.status)
			continue
		}
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tc.code || body.Error.Message == "" {
			t.Errorf("%s %s: %q, want a JSON error coded %s", tc.method, tc.path, w.Body.String(), tc.code)
			continue
		}
		if strings.Contains(w.Body.String(), "root:") {
			t.Fatalf("%s %s: leaked a file outside the folder", tc.method, tc.path)
		}
	}
}

// A symbolic link inside the folder that points out of it is not followed.
func TestSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("outside the UI"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html>ui</html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "secret.txt")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "assets")); err != nil {
		t.Fatal(err)
	}
	h := open(t, dir)
	if w := get(h, http.MethodGet, "/secret.txt", nil); w.Body.String() != "<html>ui</html>" {
		t.Fatalf("/secret.txt through a link out: %d %q, want the index", w.Code, w.Body.String())
	}
	if w := get(h, http.MethodGet, "/assets/secret.txt", nil); w.Code != 404 || strings.Contains(w.Body.String(), "outside") {
		t.Fatalf("/assets/secret.txt through a linked folder: %d %q", w.Code, w.Body.String())
	}
}

func TestOpenErrors(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "index.html")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	noIndex := t.TempDir()
	dirIndex := t.TempDir()
	if err := os.Mkdir(filepath.Join(dirIndex, "index.html"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{"", "empty"},
		{filepath.Join(noIndex, "missing"), "missing"},
		{file, "not a directory"},
		{noIndex, "holds no index.html"},
		{dirIndex, "not a regular file"},
	} {
		_, err := webui.Open(tc.dir)
		if err == nil || !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q): %v, want ErrInvalid with %q", tc.dir, err, tc.want)
		}
	}
}

func TestPages(t *testing.T) {
	h := open(t, fixture)
	api := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "api") })
	p := h.Pages(api, "/graphql")
	index := read(t, "index.html")
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	for _, tc := range []struct {
		method, path string
		hdr          map[string]string
		want         string
	}{
		{http.MethodGet, "/graphql", browser, index},
		{http.MethodGet, "/graphql/main", browser, index},
		{http.MethodGet, "/graphql", nil, "api"},                                                              // a client asking for data
		{http.MethodGet, "/graphql", map[string]string{"Accept": "text/html", "Upgrade": "websocket"}, "api"}, // a subscription
		{http.MethodPost, "/graphql/main", browser, "api"},                                                    // a document
		{http.MethodGet, "/graphqlx", browser, "api"},                                                         // another path
		{http.MethodGet, "/api/schema", browser, "api"},                                                       // not listed
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		for k, v := range tc.hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Body.String() != tc.want {
			t.Errorf("%s %s %v: %q, want %q", tc.method, tc.path, tc.hdr, w.Body.String(), tc.want)
		}
	}
	// ?query= is GraphQL over GET even from a browser.
	r := httptest.NewRequest(http.MethodGet, "/graphql?query=%7B__typename%7D", nil)
	r.Header.Set("Accept", "text/html")
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	if w.Body.String() != "api" {
		t.Fatalf("GET /graphql?query=: %q", w.Body.String())
	}
}

// Public hands the UI the requests its mux would route to it, before next (authentication): an
// API path, /api/... unknown ones included, goes to next.
func TestPublic(t *testing.T) {
	h := open(t, fixture)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/schema", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "schema") })
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "api 404", http.StatusNotFound) })
	mux.HandleFunc("GET /graphql", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "graphql") })
	h.Register(mux)
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
	p := h.Public(mux, auth, "/graphql")
	index := read(t, "index.html")
	for _, tc := range []struct {
		path, accept string
		status       int
		body         string
	}{
		{"/", "", 200, index},
		{"/objects/DcimDevice", "text/html", 200, index},
		{"/assets/index-Ab12Cd34.js", "", 200, read(t, "assets/index-Ab12Cd34.js")},
		{"/graphql", "text/html", 200, index},
		{"/graphql", "application/json", 401, "auth\n"},
		{"/api/schema", "", 401, "auth\n"},
		{"/api/unknown", "text/html", 401, "auth\n"},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		r.Header.Set("Accept", tc.accept)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code != tc.status || w.Body.String() != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, w.Code, w.Body.String(), tc.status, tc.body)
		}
	}
}
