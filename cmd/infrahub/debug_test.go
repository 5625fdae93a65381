package main

import (
	"io"
	"log/slog"
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

// The listener answers the profiles; stopping it frees the address.
func TestDebugListenerServesProfiles(t *testing.T) {
	addr := freeAddr(t)
	stop, err := startDebug(addr, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
		t.Fatalf("goroutine profile: %d %.200s", resp.StatusCode, body)
	}
	stop()
	if resp, err := http.Get("http://" + addr + "/debug/pprof/"); err == nil {
		resp.Body.Close()
		t.Fatal("the listener still answers after stop")
	}
}
