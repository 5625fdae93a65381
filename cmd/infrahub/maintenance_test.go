package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	root := newRoot(env)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestMigrateAndReplay(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"INFRAHUB_DATA": dir, "INFRAHUB_LOG_LEVEL": "error"}
	out, err := runCLI(t, env, "migrate")
	if err != nil || !strings.Contains(out, "up to date (head position 0)") {
		t.Fatalf("migrate: %q, %v", out, err)
	}
	store, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "events.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := store.Append(context.Background(), "s", events.AnyVersion,
			events.Envelope{Type: "x.happened", Payload: json.RawMessage(`{}`)},
			events.Envelope{Type: "y.happened", Payload: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = store.Close()
	out, err = runCLI(t, env, "replay", "--projection", "counter")
	if err != nil || !strings.Contains(out, "replayed 10 events into counter") || !strings.Contains(out, "events/s") {
		t.Fatalf("replay: %q, %v", out, err)
	}
	out, err = runCLI(t, env, "replay", "--projection", "branches")
	if err != nil || !strings.Contains(out, "replayed 10 events into branches") {
		t.Fatalf("replay branches: %q, %v", out, err)
	}
	if _, err := runCLI(t, env, "replay", "--projection", "nope"); err == nil || !strings.Contains(err.Error(), `--projection "nope"`) {
		t.Fatalf("unknown projection: %v", err)
	}
	if _, err := runCLI(t, env, "replay"); err == nil || !strings.Contains(err.Error(), "projection") {
		t.Fatalf("missing --projection: %v", err)
	}
	out, err = runCLI(t, env, "version")
	if err != nil || !strings.HasPrefix(out, "infrahub ") {
		t.Fatalf("version: %q, %v", out, err)
	}
}
