package triggers_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
	"github.com/infrahub-go/infrahub/workers/triggers"
)

// app is a real application (commands over an inline projection and the memory reader) that
// records the tasks submitted to it.
type app struct {
	svc    *commands.Service
	fold   *projections.Inline
	reader *memory.Reader
	mu     sync.Mutex
	tasks  map[string]commands.SubmitTask
	order  []string
}

func newApp(t *testing.T) *app {
	t.Helper()
	ctx := context.Background()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	a := &app{fold: projections.NewInline(log, store), tasks: map[string]commands.SubmitTask{}}
	if a.svc, err = commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: a.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if a.reader, err = memory.New(memory.Config{Store: store, WaitFor: a.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *app) dispatch(ctx context.Context, cmd commands.Command) (commands.Result, error) {
	res, err := a.svc.Dispatch(ctx, cmd)
	if err != nil {
		return res, err
	}
	if cmd.Type == commands.TypeSubmitTask {
		var p commands.SubmitTask
		_ = json.Unmarshal(cmd.Payload, &p)
		a.mu.Lock()
		if _, ok := a.tasks[p.ID]; !ok {
			a.order = append(a.order, p.ID)
		}
		a.tasks[p.ID] = p
		a.mu.Unlock()
	}
	return res, nil
}

func (a *app) create(t *testing.T, kind string, data map[string]any) string {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"kind": kind, "data": data})
	res, err := a.dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, Payload: raw})
	if err != nil {
		t.Fatalf("create %s: %v", kind, err)
	}
	return res.Data.(commands.NodeOutcome).ID
}

func (a *app) members(t *testing.T, group string) []string {
	t.Helper()
	m, err := a.reader.Peers(context.Background(), graph.Scope{}, []string{group}, "CoreStandardGroup", "members")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range m[group] {
		out = append(out, e.Peer)
	}
	return out
}

func run(t *testing.T, reg *workers.Registry, p commands.SubmitTask) error {
	t.Helper()
	f, ok := reg.Lookup(p.Workflow)
	if !ok {
		t.Fatalf("workflow %s not registered", p.Workflow)
	}
	_, err := f(context.Background(), &workers.Run{Task: task.Task{Created: task.Created{ID: p.ID, Workflow: p.Workflow, Parameters: p.Parameters}, Attempt: 1}})
	return err
}

// updated is the infrahub.node.updated event Derive makes of a description change.
func updated(id, nodeID, value, previous string) activity.Event {
	return activity.Event{ID: id, Name: activity.NodeUpdated, Branch: branch.Default, OccurredAt: time.Now(),
		PrimaryNode: &activity.NodeRef{ID: nodeID, Kind: "BuiltinTag"},
		Attributes:  []activity.AttributeChange{{Name: "description", Kind: "Text", Value: value, ValuePrevious: previous, Action: activity.ActionUpdated}}}
}

func TestNodeTriggerRuleWithAttributeMatchChangesMembership(t *testing.T) {
	a := newApp(t)
	grp := a.create(t, "CoreStandardGroup", map[string]any{"name": "decommissioned"})
	tag := a.create(t, "BuiltinTag", map[string]any{"name": "red", "description": "in use"})
	add := a.create(t, "CoreGroupAction", map[string]any{"name": "add", "group": map[string]any{"id": grp}})
	rule := a.create(t, "CoreNodeTriggerRule", map[string]any{"name": "retire", "node_kind": "BuiltinTag",
		"mutation_action": "updated", "action": map[string]any{"id": add}})
	a.create(t, "CoreNodeTriggerAttributeMatch", map[string]any{"attribute_name": "description", "value": "retired",
		"value_match": "value", "trigger": map[string]any{"id": rule}})
	gen := a.create(t, "CoreGeneratorDefinition", map[string]any{"name": "g", "file_path": "g.py", "class_name": "G", "parameters": map[string]any{}, "repository": map[string]any{"id": a.create(t, "CoreRepository", map[string]any{"name": "r", "location": "https://example.com/r.git"})},
		"query":   map[string]any{"id": a.create(t, "CoreGraphQLQuery", map[string]any{"name": "q", "query": "query { BuiltinTag { count } }"})},
		"targets": map[string]any{"id": grp}})
	genAct := a.create(t, "CoreGeneratorAction", map[string]any{"name": "gen", "generator": map[string]any{"id": gen}})
	a.create(t, "CoreGroupTriggerRule", map[string]any{"name": "on-member", "group": map[string]any{"id": grp},
		"action": map[string]any{"id": genAct}})

	tr, err := triggers.New(triggers.Config{Graph: a.reader, Dispatch: a.dispatch, Default: branch.Default})
	if err != nil {
		t.Fatal(err)
	}
	reg := workers.NewRegistry()
	if err := tr.Register(reg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Not matching: another value, another attribute, another kind, another branch, another action.
	misses := []activity.Event{
		updated("a0000000-0000-4000-8000-000000000001", tag, "spare", "in use"),
		{ID: "a0000000-0000-4000-8000-000000000002", Name: activity.NodeUpdated, Branch: branch.Default, PrimaryNode: &activity.NodeRef{ID: tag, Kind: "BuiltinTag"},
			Attributes: []activity.AttributeChange{{Name: "name", Value: "retired", ValuePrevious: "red", Action: activity.ActionUpdated}}},
		func() activity.Event {
			e := updated("a0000000-0000-4000-8000-000000000003", tag, "retired", "x")
			e.PrimaryNode.Kind = "LocationSite"
			return e
		}(),
		func() activity.Event {
			e := updated("a0000000-0000-4000-8000-000000000004", tag, "retired", "x")
			e.Branch = "feature"
			return e
		}(),
		func() activity.Event {
			e := updated("a0000000-0000-4000-8000-000000000005", tag, "retired", "x")
			e.Name = activity.NodeCreated
			return e
		}(),
	}
	for _, ev := range misses {
		if err := tr.OnEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.order) != 0 {
		t.Fatalf("non-matching events submitted %v", a.order)
	}
	hit := updated("a0000000-0000-4000-8000-000000000010", tag, "retired", "in use")
	for range 2 { // twice: one task
		if err := tr.OnEvent(ctx, hit); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.order) != 1 || a.order[0] != triggers.TaskID(hit.ID, rule) {
		t.Fatalf("tasks %v", a.order)
	}
	p := a.tasks[a.order[0]]
	if p.Workflow != commands.WorkflowActionAddNodeToGroup {
		t.Fatalf("workflow %s", p.Workflow)
	}
	for range 2 { // a second run (at least once) changes nothing more
		if err := run(t, reg, p); err != nil {
			t.Fatal(err)
		}
	}
	if m := a.members(t, grp); len(m) != 1 || m[0] != tag {
		t.Fatalf("members %v, want [%s]", m, tag)
	}

	// The group event: the group trigger rule runs the generator action, which fails clearly.
	ge := activity.Event{ID: "a0000000-0000-4000-8000-000000000020", Name: activity.GroupMemberAdded, Branch: branch.Default,
		PrimaryNode: &activity.NodeRef{ID: grp, Kind: "CoreStandardGroup"}, RelatedNodes: []activity.NodeRef{{ID: tag, Kind: "BuiltinTag"}}}
	if err := tr.OnEvent(ctx, ge); err != nil {
		t.Fatal(err)
	}
	if len(a.order) != 2 {
		t.Fatalf("tasks %v", a.order)
	}
	gp := a.tasks[a.order[1]]
	if gp.Workflow != commands.WorkflowActionRunGeneratorGroup {
		t.Fatalf("workflow %s", gp.Workflow)
	}
	if err := run(t, reg, gp); err == nil || !strings.Contains(err.Error(), "no generator runtime") || !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("generator action: %v", err)
	}

	// Deactivated, the rule fires no more.
	raw, _ := json.Marshal(map[string]any{"kind": "CoreNodeTriggerRule", "id": rule, "data": map[string]any{"active": false}})
	if _, err := a.dispatch(ctx, commands.Command{Type: commands.TypeUpdateNode, Payload: raw}); err != nil {
		t.Fatal(err)
	}
	tr.Invalidate()
	if err := tr.OnEvent(ctx, updated("a0000000-0000-4000-8000-000000000030", tag, "retired", "x")); err != nil {
		t.Fatal(err)
	}
	if len(a.order) != 2 {
		t.Fatalf("an inactive rule fired: %v", a.order)
	}
}

func TestValueMatchModes(t *testing.T) {
	ev := updated("e", "n", "retired", "in use")
	rule := triggers.Rule{Kind: triggers.KindNodeTriggerRule, Active: true, NodeKind: "BuiltinTag", MutationAction: "updated"}
	for _, c := range []struct {
		m    triggers.Match
		want bool
	}{
		{triggers.Match{Kind: triggers.KindAttributeMatch, Attribute: "description", ValueMatch: "value", Value: "retired"}, true},
		{triggers.Match{Kind: triggers.KindAttributeMatch, Attribute: "description", ValueMatch: "value_previous", ValuePrevious: "in use"}, true},
		{triggers.Match{Kind: triggers.KindAttributeMatch, Attribute: "description", ValueMatch: "value_previous", ValuePrevious: "retired"}, false},
		{triggers.Match{Kind: triggers.KindAttributeMatch, Attribute: "description", ValueMatch: "value_full", Value: "retired", ValuePrevious: "in use"}, true},
		{triggers.Match{Kind: triggers.KindAttributeMatch, Attribute: "description", ValueMatch: "value_full", Value: "retired", ValuePrevious: "x"}, false},
		{triggers.Match{Kind: triggers.KindRelationshipMatch, Relationship: "tags", Added: true}, false},
	} {
		r := rule
		r.Matches = []triggers.Match{c.m}
		if got := r.Fires(ev, branch.Default); got != c.want {
			t.Errorf("%+v: %v, want %v", c.m, got, c.want)
		}
	}
	rel := activity.Event{Name: activity.NodeUpdated, PrimaryNode: &activity.NodeRef{ID: "n", Kind: "BuiltinTag"},
		Relationships: []activity.RelationshipChange{{Name: "tags", Peer: activity.NodeRef{ID: "p1"}, Action: activity.ActionRemoved}}}
	r := rule
	r.Matches = []triggers.Match{{Kind: triggers.KindRelationshipMatch, Relationship: "tags", Added: false, Peer: "p1"}}
	if !r.Fires(rel, branch.Default) {
		t.Error("relationship removal match did not fire")
	}
	r.Matches[0].Peer = "p2"
	if r.Fires(rel, branch.Default) {
		t.Error("relationship match of another peer fired")
	}
}
