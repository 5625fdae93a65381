package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// uiFixture is a built UI in miniature: index.html and hashed assets (queries/webui/testdata).
func uiFixture(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "queries", "webui", "testdata", "dist"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// `infrahub serve` with INFRAHUB_UI_DIR answers the UI's files and pages on the API's origin,
// without credentials even when anonymous access is off (the login page must load), while every
// API path keeps its answers: JSON, the /api/ 404, GraphQL documents and the WebSocket upgrade.
func TestServeUIDir(t *testing.T) {
	dir := uiFixture(t)
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	asset, err := os.ReadFile(filepath.Join(dir, "assets", "index-Ab12Cd34.js"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	c := startChild(t, addr, map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_UI_DIR": dir,
		"INFRAHUB_ALLOW_ANONYMOUS_ACCESS": "false"})
	do := func(method, path, accept string, key any, body io.Reader) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, c.base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		switch key := key.(type) {
		case bool: // true: the admin's token
			if key {
				req.Header.Set("X-INFRAHUB-KEY", testAdminToken)
			}
		case string:
			req.Header.Set("X-INFRAHUB-KEY", key)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	// The UI: its files, and index.html for its routes (frontend/app/src/app/router.tsx).
	for _, path := range []string{"/", "/objects/DcimDevice", "/objects/DcimDevice/18a6b0e2-9c1e-4bd4-a4f2-8d1f0c3a1b2c",
		"/branches", "/schema", "/ipam/ip_prefixes", "/resource-manager", "/login", "/graphql", "/graphql/main"} {
		resp, body := do(http.MethodGet, path, browser, false, nil)
		if resp.StatusCode != 200 || body != string(index) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d %s %q", path, resp.StatusCode, resp.Header, body)
		}
	}
	resp, body := do(http.MethodGet, "/assets/index-Ab12Cd34.js", "*/*", false, nil)
	if resp.StatusCode != 200 || body != string(asset) || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET asset: %d %s %q", resp.StatusCode, resp.Header, body)
	}
	// The API keeps its paths: JSON answers, the /api/ 404, credentials still required.
	resp, body = do(http.MethodGet, "/api/unknown", browser, true, nil)
	var apiErr struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if resp.StatusCode != 404 || json.Unmarshal([]byte(body), &apiErr) != nil || apiErr.Error.Code != "not_found" {
		t.Errorf("GET /api/unknown: %d %q", resp.StatusCode, body)
	}
	if resp, body = do(http.MethodGet, "/api/config", browser, false, nil); resp.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Errorf("GET /api/config: %d %q", resp.StatusCode, body)
	}
	// A refused credential: the API answers 401, the UI's files are public all the same.
	if resp, body = do(http.MethodGet, "/api/schema/summary", "", "not-a-token", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/schema/summary with a wrong token: %d %q", resp.StatusCode, body)
	}
	if resp, body = do(http.MethodGet, "/objects/DcimDevice", browser, "not-a-token", nil); resp.StatusCode != 200 || body != string(index) {
		t.Errorf("GET /objects/DcimDevice with a wrong token: %d %q", resp.StatusCode, body)
	}
	resp, body = do(http.MethodPost, "/graphql/main", "application/json", true, strings.NewReader(`{"query":"{ InfrahubInfo { version } }"}`))
	if resp.StatusCode != 200 || !strings.Contains(body, `"InfrahubInfo"`) {
		t.Errorf("POST /graphql/main: %d %q", resp.StatusCode, body)
	}
	if resp, body = do(http.MethodGet, "/health", browser, false, nil); resp.StatusCode != 200 || body == string(index) {
		t.Errorf("GET /health: %d %q", resp.StatusCode, body)
	}
	// A path leaving the folder never reaches a file outside it.
	for _, p := range []string{"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../../etc/passwd"} {
		if status, raw := rawPath(t, addr, p, ""); status != http.StatusBadRequest || strings.Contains(raw, "root:") {
			t.Errorf("GET %s: %d %q, want 400", p, status, raw)
		}
	}
	// The WebSocket address of subscriptions (/graphql/{branch}) still upgrades.
	if status, raw := rawPath(t, addr, "/graphql/main", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\nAccept: text/html\r\n"+
		"X-INFRAHUB-KEY: "+testAdminToken+"\r\n"); status != http.StatusSwitchingProtocols {
		t.Errorf("WebSocket upgrade of /graphql/main: %d %q", status, raw)
	}
}

// rawPath sends a GET of path as written (no client cleans it) and returns the status and what
// came before the connection stalled or closed (the body, for a complete answer).
func rawPath(t *testing.T, addr, path, headers string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\n"+headers+"Connection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, ""
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A missing or unusable UI folder stops the start, naming the variable and the folder.
func TestServeUIDirErrors(t *testing.T) {
	noIndex := t.TempDir()
	missing := filepath.Join(noIndex, "dist")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"INFRAHUB_UI_DIR": missing}, nil, missing},
		{nil, []string{"--ui-dir", noIndex}, "holds no index.html"},
		// the flag wins over the variable
		{map[string]string{"INFRAHUB_UI_DIR": uiFixture(t)}, []string{"--ui-dir", missing}, missing},
	} {
		out, code := runToExit(t, tc.env, 30*time.Second, tc.args...)
		if code != 1 || !strings.Contains(out, "INFRAHUB_UI_DIR (--ui-dir)") || !strings.Contains(out, tc.want) {
			t.Errorf("%v %v: exit %d, want 1 naming INFRAHUB_UI_DIR and %q:\n%s", tc.env, tc.args, code, tc.want, out)
		}
	}
	// A worker serves no UI: it takes no --ui-dir.
	if newWorker(nil).Flags().Lookup("ui-dir") != nil || newServe(nil).Flags().Lookup("ui-dir") == nil {
		t.Error("--ui-dir belongs to serve only")
	}
}
