package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The embedded default: SQLite, in-process bus, memory projections, file storage.
func TestServeEmbedded(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	c := startChild(t, addr, map[string]string{"INFRAHUB_DATA": dir})
	ctx := context.Background()
	for i, id := range []string{"a", "b", "a"} {
		res, code, err := send(ctx, http.DefaultClient, c.base, id)
		if err != nil || code != 200 {
			t.Fatalf("command %d: %d %v", i, code, err)
		}
		if want := i == 2; res.Duplicate != want {
			t.Fatalf("command %d (%s): duplicate = %v, want %v", i, id, res.Duplicate, want)
		}
	}
	eventually(t, 10*time.Second, "counter sees both events", func() (bool, string) {
		s := getStatus(t, c.base)
		// The start wrote events of its own: the default IP namespace, the admin account and the
		// 16 nodes of the default account groups, roles and permissions, the admin's API token
		// (INFRAHUB_INITIAL_ADMIN_TOKEN, which startChild sets) and its membership.
		n := s.Projections["counter"].Counts.ByType["diagnostic.recorded"]
		return n == 2 && s.Forwarder.Position == s.LogHead, "counter total " + strconv.FormatInt(n, 10)
	})
	// Bad requests are 4xx JSON naming the problem.
	resp, err := http.Post(c.base+"/api/commands", "application/json", strings.NewReader(`{"type":"diagnostic.record","payload":{"bogus":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad payload: status %d", resp.StatusCode)
	}
	metrics, err := http.Get(c.base + "/metrics")
	if err != nil || metrics.StatusCode != 200 {
		t.Fatalf("metrics: %v", err)
	}
	metrics.Body.Close()
	if err := c.stop(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if !strings.Contains(c.logs.String(), "stopped") {
		t.Fatalf("no clean shutdown in the log:\n%s", c.logs.String())
	}
	// The data survive a restart.
	c = startChild(t, addr, map[string]string{"INFRAHUB_DATA": dir})
	if s := getStatus(t, c.base); s.Projections["counter"].Counts.ByType["diagnostic.recorded"] != 2 || s.LogHead != 2+1+16+1+1+1 { // 2 diagnostics and the start's 20
		t.Fatalf("after restart: %+v", s)
	}
	if _, err := filepath.Glob(filepath.Join(dir, "events.db")); err != nil {
		t.Fatal(err)
	}
}
