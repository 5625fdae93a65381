package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// POST /api/commands has a route of its own (found without the POST routes' wildcards); every
// other method still reaches the endpoint, which answers its JSON 405 naming POST, and a POST
// still runs the command.
func TestCommandsRouteMethods(t *testing.T) {
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir()})
	for _, tc := range []struct {
		method string
		status int
		says   string
	}{
		{http.MethodGet, http.StatusMethodNotAllowed, `{"error":{"code":"method_not_allowed","message":"use POST"}}`},
		{http.MethodPut, http.StatusMethodNotAllowed, `"method_not_allowed"`},
		{http.MethodPost, http.StatusOK, `"stream_version"`},
	} {
		req, err := http.NewRequest(tc.method, c.base+"/api/commands", strings.NewReader(`{"type":"diagnostic.record","payload":{"data":{"n":1}}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(out), tc.says) {
			t.Errorf("%s /api/commands: %d %s, want %d with %s", tc.method, resp.StatusCode, out, tc.status, tc.says)
		}
		if tc.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != http.MethodPost {
			t.Errorf("%s /api/commands: Allow %q", tc.method, resp.Header.Get("Allow"))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s /api/commands: Content-Type %q", tc.method, ct)
		}
	}
}
