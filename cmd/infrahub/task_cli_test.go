package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/task"
)

// `infrahub task list` against a real server: tasks written to its log (as the commands and the
// workers write them: task.created at NoStream, then the run's events at the version read) are
// folded by the server's tasks projection and listed over GraphQL, newest first, filtered by
// state, branch and workflow, as a table or JSON.
func TestTaskListCLI(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": dir})
	ctx := context.Background()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "events.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cat := events.NewCatalogue()
	task.RegisterEvents(cat)
	write := func(id string, version int64, payloads ...any) {
		t.Helper()
		var evs []events.Envelope
		for _, p := range payloads {
			var typ string
			switch p.(type) {
			case task.Created:
				typ = task.TypeCreated
			case task.Started:
				typ = task.TypeStarted
			case task.Completed:
				typ = task.TypeCompleted
			case task.Failed:
				typ = task.TypeFailed
			}
			e, err := cat.New(typ, p, events.Metadata{})
			if err != nil {
				t.Fatal(err)
			}
			e.OccurredAt = time.Now()
			evs = append(evs, e)
		}
		if _, err := log.Append(ctx, task.Stream(id), version, evs...); err != nil {
			t.Fatalf("append to task %s: %v", id, err)
		}
	}
	db := []string{task.TagDatabaseChange}
	write("0190a3c4-0000-7000-8000-0000000000a1", events.NoStream,
		task.Created{ID: "0190a3c4-0000-7000-8000-0000000000a1", Workflow: "create-branch", Title: "Create branch feature-1",
			Branch: "feature-1", Parameters: json.RawMessage(`{"name":"feature-1"}`), Tags: db, MaxAttempts: 3})
	write("0190a3c4-0000-7000-8000-0000000000a1", 1, task.Started{Attempt: 1, Worker: "w1"}, task.Completed{})
	write("0190a3c4-0000-7000-8000-0000000000a2", events.NoStream,
		task.Created{ID: "0190a3c4-0000-7000-8000-0000000000a2", Workflow: "branch-merge", Title: "Merge branch feature-1",
			Branch: "feature-1", Tags: db, MaxAttempts: 3})
	write("0190a3c4-0000-7000-8000-0000000000a2", 1, task.Started{Attempt: 1, Worker: "w1"})
	write("0190a3c4-0000-7000-8000-0000000000a3", events.NoStream,
		task.Created{ID: "0190a3c4-0000-7000-8000-0000000000a3", Workflow: "schema-load", Title: "Load a schema", Tags: db, MaxAttempts: 3})
	write("0190a3c4-0000-7000-8000-0000000000a3", 1, task.Started{Attempt: 1}, task.Failed{Attempt: 1, Error: "invalid"})

	env := map[string]string{"INFRAHUB_ADDRESS": c.base}
	list := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, env, append([]string{"task", "list"}, args...)...)
		if err != nil {
			t.Fatalf("task list %v: %v", args, err)
		}
		return out
	}
	// The server folds what the log holds as it follows it.
	eventually(t, 20*time.Second, "the server lists the three tasks", func() (bool, string) {
		out := list()
		return strings.Count(out, "0190a3c4-") == 3 && strings.Contains(out, "FAILED"), out
	})
	out := list()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "UPDATED") ||
		!strings.Contains(lines[1], "-0000000000a3") || !strings.Contains(lines[1], "Load a schema") || !strings.Contains(lines[1], " - ") ||
		!strings.Contains(lines[3], "-0000000000a1") || !strings.Contains(lines[3], "COMPLETED") || !strings.Contains(lines[3], "feature-1") {
		t.Fatalf("table, newest first:\n%s", out)
	}
	if out := list("--state", "running", "--state", "COMPLETED", "--branch", "feature-1"); strings.Count(out, "0190a3c4-") != 2 ||
		!strings.Contains(out, "RUNNING") || strings.Contains(out, "FAILED") {
		t.Fatalf("--state running --state COMPLETED --branch feature-1:\n%s", out)
	}
	if out := list("--workflow", "schema-load"); strings.Count(out, "0190a3c4-") != 1 || !strings.Contains(out, "schema-load") {
		t.Fatalf("--workflow schema-load:\n%s", out)
	}
	if out := list("--limit", "1"); strings.Count(out, "0190a3c4-") != 1 || !strings.Contains(out, "(1 of 3 tasks") {
		t.Fatalf("--limit 1:\n%s", out)
	}
	var js struct {
		Count int       `json:"count"`
		Tasks []taskRow `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(list("-o", "json", "--branch", "feature-1")), &js); err != nil {
		t.Fatal(err)
	}
	if js.Count != 2 || len(js.Tasks) != 2 || js.Tasks[0].State != "RUNNING" || js.Tasks[1].Conclusion != "success" ||
		js.Tasks[1].Progress == nil || *js.Tasks[1].Progress != 1 || !strings.HasSuffix(js.Tasks[1].UpdatedAt, "+00:00") {
		t.Fatalf("-o json: %+v", js)
	}
	for args, mention := range map[string]string{"--state nope": "--state", "-o yaml": "-o", "--limit 0": "--limit"} {
		if _, err := runCLI(t, env, append([]string{"task", "list"}, strings.Fields(args)...)...); err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("%s: %v", args, err)
		}
	}
	if _, err := runCLI(t, map[string]string{"INFRAHUB_ADDRESS": "http://127.0.0.1:1"}, "task", "list"); err == nil ||
		!strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable server: %v", err)
	}
}
