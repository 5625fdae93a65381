package task_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/task"
)

var update = flag.Bool("update", false, "write missing golden files of stored task events")

func samples() map[string]any {
	return map[string]any{
		task.TypeCreated: task.Created{ID: "0190a3c4-0000-7000-8000-000000000001", Workflow: "create-branch", Title: "Create branch 'b1'",
			Branch: "b1", Parameters: json.RawMessage(`{"name":"b1"}`), Tags: []string{task.TagDatabaseChange},
			RelatedNodes: []task.RelatedNode{{ID: "0190a3c4-0000-7000-8000-000000000002", Kind: "InfraDevice"}},
			Account:      "0190a3c4-0000-7000-8000-000000000003", MaxAttempts: 3},
		task.TypeStarted:    task.Started{Attempt: 2, Worker: "host-1"},
		task.TypeProgressed: task.Progressed{Progress: 0.5},
		task.TypeLogged:     task.Logged{Message: "merging", Severity: task.SeverityInfo},
		task.TypeRetried:    task.Retried{Attempt: 1, Error: "broker unreachable", Delay: 2 * time.Second},
		task.TypeCompleted:  task.Completed{Result: json.RawMessage(`{"ok":true}`)},
		task.TypeFailed:     task.Failed{Attempt: 3, Error: "conflict on name", Code: "conflict", DeadLettered: true},
		task.TypeCancelled:  task.Cancelled{Account: "0190a3c4-0000-7000-8000-000000000003"},
	}
}

// Every task event keeps one stored sample per schema version in testdata/golden, and each must
// still decode to the same value: a change of shape needs a new version and an upcaster.
func TestGoldenTaskEvents(t *testing.T) {
	c := events.NewCatalogue()
	task.RegisterEvents(c)
	all := samples()
	for _, info := range c.Types() {
		sample, ok := all[info.Name]
		if !ok {
			t.Errorf("event type %s has no golden sample", info.Name)
			continue
		}
		path := filepath.Join("testdata", "golden", info.Name+".v1.json")
		if *update {
			if _, err := os.Stat(path); os.IsNotExist(err) {
				env, err := c.New(info.Name, sample, events.Metadata{})
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(env.Payload, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		payload, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (go test ./task -run Golden -update writes it)", info.Name, err)
		}
		got, err := c.Decode(events.Envelope{Type: info.Name, SchemaVersion: info.SchemaVersion, Payload: payload})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !reflect.DeepEqual(got, sample) {
			t.Errorf("%s decodes to %+v, want %+v", path, got, sample)
		}
	}
}

func envs(t *testing.T, c *events.Catalogue, payloads ...any) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for i, p := range payloads {
		var name string
		for n, s := range samples() {
			if reflect.TypeOf(s) == reflect.TypeOf(p) {
				name = n
			}
		}
		e, err := c.New(name, p, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		e.Stream, e.StreamVersion, e.GlobalPosition = task.Stream("t1"), int64(i+1), events.Position(10+i)
		e.OccurredAt = at.Add(time.Duration(i) * time.Second)
		out = append(out, e)
	}
	return out
}

func TestFold(t *testing.T) {
	c := events.NewCatalogue()
	task.RegisterEvents(c)
	created := task.Created{ID: "t1", Workflow: "w", Title: "T", MaxAttempts: 3}

	got, err := task.Fold(c, envs(t, c, created, task.Started{Attempt: 1, Worker: "a"}, task.Logged{Message: "hi", Severity: "info"},
		task.Retried{Attempt: 1, Error: "boom"}, task.Started{Attempt: 2, Worker: "b"}, task.Progressed{Progress: 2},
		task.Completed{Result: json.RawMessage(`1`)}))
	if err != nil {
		t.Fatal(err)
	}
	if got.State != task.StateCompleted || got.Conclusion != task.Success || got.Attempt != 2 || got.Worker != "b" ||
		got.Progress != 1 || got.Error != "" || len(got.Logs) != 1 || got.Logs[0].Message != "hi" || got.Version != 7 ||
		got.Position != 16 || !got.StartTime.Equal(got.CreatedAt.Add(time.Second)) || !got.UpdatedAt.Equal(got.CreatedAt.Add(6*time.Second)) {
		t.Fatalf("folded %+v", got)
	}

	failed, err := task.Fold(c, envs(t, c, created, task.Started{Attempt: 1}, task.Failed{Attempt: 1, Error: "no", Code: "conflict"}))
	if err != nil || failed.State != task.StateFailed || failed.Conclusion != task.Failure || failed.Error != "no" || failed.ErrorCode != "conflict" {
		t.Fatalf("failed: %+v %v", failed, err)
	}
	pending, err := task.Fold(c, envs(t, c, created))
	if err != nil || pending.State != task.StatePending || pending.Conclusion != task.Unknown || pending.State.Final() {
		t.Fatalf("pending: %+v %v", pending, err)
	}

	for name, bad := range map[string][]any{
		"created twice":       {created, created},
		"start after the end": {created, task.Cancelled{}, task.Started{Attempt: 1}},
		"complete unstarted":  {created, task.Completed{}},
		"cancel after failed": {created, task.Started{}, task.Failed{}, task.Cancelled{}},
		"no created":          {task.Started{Attempt: 1}},
	} {
		if _, err := task.Fold(c, envs(t, c, bad...)); !errors.Is(err, task.ErrTransition) {
			t.Errorf("%s: %v, want ErrTransition", name, err)
		}
	}
	if _, err := task.Fold(c, nil); !task.IsNotFound(err) {
		t.Errorf("empty stream: %v", err)
	}
	if id, ok := task.IDOf(task.Stream("abc")); !ok || id != "abc" {
		t.Errorf("IDOf: %q %v", id, ok)
	}
}
