package cluster

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func memberIDs(t *testing.T, p *Presence) []string {
	t.Helper()
	ms, err := p.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// Processes announce themselves and are listed with their role, state and stats; one that
// stops cleanly disappears at once, one that dies disappears when its announcement expires.
func TestPresenceMembersAppearAndExpire(t *testing.T) {
	c := redisClient(t, "")
	prefix := "test:presence:" + t.Name() + ":"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ready atomic.Value
	ready.Store("starting")
	mk := func(id, role string) *Presence {
		p, err := NewPresence(PresenceConfig{Client: c, Prefix: prefix, ID: id, Role: role, TTL: 600 * time.Millisecond,
			State: func() string { return ready.Load().(string) }, Stats: func() any { return map[string]any{"n": len(id)} }, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Del(context.Background(), prefix+id) })
		return p
	}
	api, worker, crashed := mk("api-1", "api"), mk("worker-1", "worker"), mk("crashed", "worker")
	// Another deployment's member (under another prefix) is not listed.
	other := mk("x", "api")
	other.cfg.Prefix = strings.TrimSuffix(prefix, ":") + "-other:"
	t.Cleanup(func() { c.Del(context.Background(), other.key()) })
	if err := other.Announce(ctx); err != nil {
		t.Fatal(err)
	}

	apiCtx, stopAPI := context.WithCancel(ctx)
	apiDone := make(chan error, 1)
	go func() { apiDone <- api.Run(apiCtx) }()
	go func() { _ = worker.Run(ctx) }()
	if err := crashed.Announce(ctx); err != nil { // announced once, never again
		t.Fatal(err)
	}
	waitFor(t, "three members", func() bool {
		return slices.Equal(memberIDs(t, api), []string{"api-1", "crashed", "worker-1"})
	})
	ms, err := api.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		var stats struct{ N int }
		if err := json.Unmarshal(m.Stats, &stats); err != nil || stats.N != len(m.ID) {
			t.Errorf("%s: stats %s", m.ID, m.Stats)
		}
		if m.State != "starting" || m.StartedAt.IsZero() || m.SeenAt.IsZero() {
			t.Errorf("member %+v", m)
		}
		if want := map[string]string{"api-1": "api", "worker-1": "worker", "crashed": "worker"}[m.ID]; m.Role != want {
			t.Errorf("%s: role %q, want %q", m.ID, m.Role, want)
		}
	}

	// The state is announced again at each refresh.
	ready.Store("ready")
	waitFor(t, "the new state is announced", func() bool {
		ms, _ := worker.Members(ctx)
		return slices.ContainsFunc(ms, func(m Member) bool { return m.ID == "worker-1" && m.State == "ready" })
	})
	// A clean stop removes the member at once; a dead one expires.
	stopAPI()
	if err := <-apiDone; err != nil {
		t.Fatal(err)
	}
	if got := memberIDs(t, worker); slices.Contains(got, "api-1") {
		t.Fatalf("a stopped member is still listed: %v", got)
	}
	waitFor(t, "the crashed member expires", func() bool {
		return !slices.Contains(memberIDs(t, worker), "crashed")
	})
	if got := memberIDs(t, worker); !slices.Equal(got, []string{"worker-1"}) {
		t.Fatalf("members %v, want [worker-1]", got)
	}
}
