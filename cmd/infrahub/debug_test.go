package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestDebugListenOnlyLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"": true, "127.0.0.1:6060": true, "[::1]:0": true, "localhost:6060": true,
		"0.0.0.0:6060": false, ":6060": false, "10.0.0.1:6060": false, "example.com:6060": false, "6060": false} {
		err := validateDebugListen(addr)
		if (err == nil) != ok {
			t.Errorf("%q: error %v, want ok=%v", addr, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "INFRAHUB_DEBUG_LISTEN") {
			t.Errorf("%q: error %v does not name the variable", addr, err)
		}
	}
}

// The profiling listener of a running server answers a super administrator's token only (an
// anonymous request and a wrong token are refused), does not serve the command line, and is gone
// once the server stopped.
func TestDebugListenerIsTheAdministrators(t *testing.T) {
	debug := freeAddr(t)
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(),
		"INFRAHUB_INITIAL_ADMIN_TOKEN": testAdminToken, "INFRAHUB_DEBUG_LISTEN": debug})
	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+debug+path, nil)
		if token != "" {
			req.Header.Set("X-INFRAHUB-KEY", token)
		} else {
			req.Header.Set(anonymousHeader, "1") // the tests' transport adds the admin token otherwise
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/debug/pprof/goroutine?debug=1", testAdminToken); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Fatalf("admin: %d %.200s", code, body)
	}
	if code, body := get("/debug/pprof/goroutine?debug=1", ""); code != http.StatusForbidden || strings.Contains(body, "goroutine") {
		t.Fatalf("anonymous: %d %.200s", code, body)
	}
	if code, _ := get("/debug/pprof/goroutine?debug=1", "not-a-token"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	if code, _ := get("/debug/pprof/cmdline", testAdminToken); code == http.StatusOK {
		t.Fatal("the command line is served")
	}
	c.stop()
	if resp, err := http.Get("http://" + debug + "/debug/pprof/"); err == nil {
		resp.Body.Close()
		t.Fatal("the listener still answers after the server stopped")
	}
}
