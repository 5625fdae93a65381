package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/schema"
)

// fixture: a real log, the state folded from it, and the application deciding against it.
type schemaFixture struct {
	store *sqlite.Store
	state *branch.State
	app   *commands.Service
	fold  *projections.Inline
}

func (f *schemaFixture) createBranch(t *testing.T, name string) (commands.Result, error) {
	t.Helper()
	payload, _ := json.Marshal(commands.CreateBranch{Name: name})
	return f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateBranch, Payload: payload})
}

func newSchemaFixture(t *testing.T) *schemaFixture {
	t.Helper()
	log, state, app, fold := newApp(t)
	return &schemaFixture{store: log, state: state.Branches(), app: app, fold: fold}
}

// sync folds what the log holds beyond what the state saw (the projector's job in a server).
func (f *schemaFixture) sync(ctx context.Context) error { return f.fold.WaitFor(ctx, 0) }

func (f *schemaFixture) load(t *testing.T, br string, docs ...string) (commands.Result, error) {
	t.Helper()
	in := commands.LoadSchema{Branch: br}
	for _, d := range docs {
		raw, _ := json.Marshal(d)
		in.Schemas = append(in.Schemas, raw)
	}
	payload, _ := json.Marshal(in)
	return f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeLoadSchema, Payload: payload})
}

const widget = `version: "1.0"
nodes:
  - name: Widget
    namespace: Test
    human_friendly_id: [name__value]
    attributes:
      - name: name
        kind: Text
        unique: true
`

const gadget = `version: "1.0"
nodes:
  - name: Gadget
    namespace: Test
    attributes:
      - name: serial
        kind: Text
`

func TestLoadSchemaPerBranchAndIdempotent(t *testing.T) {
	f := newSchemaFixture(t)
	res, err := f.load(t, "", widget)
	if err != nil {
		t.Fatal(err)
	}
	out := res.Data.(commands.SchemaOutcome)
	if !out.Updated || out.Branch != "main" || len(res.Positions) != 1 || !contains(out.Diff.Added, "TestWidget") {
		t.Fatalf("first load: %+v %+v", res, out)
	}
	// The same load again changes nothing and writes nothing.
	again, err := f.load(t, "", widget)
	if err != nil || again.Data.(commands.SchemaOutcome).Updated || len(again.Positions) != 0 {
		t.Fatalf("second load: %+v, %v", again, err)
	}
	// A load on b1 is invisible on main; b1 must exist first.
	if _, err := f.load(t, "b1", gadget); !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("load on a missing branch: %v", err)
	}
	if _, err := f.createBranch(t, "b1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(t, "b1", gadget); err != nil {
		t.Fatal(err)
	}
	mainSet, _ := f.state.Schema("main")
	b1Set, _ := f.state.Schema("b1")
	if _, ok := mainSet.Node("TestGadget"); ok {
		t.Fatal("a schema loaded on b1 is visible on main")
	}
	if _, ok := b1Set.Node("TestGadget"); !ok {
		t.Fatal("b1 does not see its own load")
	}
	if _, ok := b1Set.Node("TestWidget"); !ok {
		t.Fatal("b1 does not see main's schema")
	}
	if head, _ := f.store.Head(context.Background()); head != 3 {
		t.Fatalf("log head %d, want 3 (two changing loads and a branch)", head)
	}
}

func TestLoadSchemaRefusedNamesTheProblem(t *testing.T) {
	f := newSchemaFixture(t)
	_, err := f.load(t, "", strings.Replace(widget, "kind: Text", "kind: Txt", 1))
	if !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	var se *schema.Error
	if !errors.As(err, &se) || len(se.Problems) == 0 || se.Problems[0].Line != 7 ||
		!strings.Contains(se.Problems[0].String(), `TestWidget.attributes[name].kind`) {
		t.Fatalf("problems = %+v", se)
	}
	if _, err := f.load(t, "no-such-branch", widget); !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("missing branch: %v", err)
	}
	if head, _ := f.store.Head(context.Background()); head != 0 {
		t.Fatalf("refused loads wrote %d events", head)
	}
	_, err = f.load(t, "", "version: \"1.0\"\nnodes: 3\n")
	if status, code := commands.StatusOf(err); status != 400 || code != "invalid_command" {
		t.Fatalf("status %d %s", status, code)
	}
}

// A load decided on a stale state meets a version conflict, syncs and decides again.
func TestLoadSchemaRetriesOnConflict(t *testing.T) {
	f := newSchemaFixture(t)
	if _, err := f.load(t, "", widget); err != nil {
		t.Fatal(err)
	}
	// Another server appends to main; this process has not seen it yet.
	if _, err := f.store.Append(context.Background(), branch.Stream("main"), 1,
		events.Envelope{Type: "other.thing", Payload: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	res, err := f.load(t, "", gadget)
	if err != nil {
		t.Fatalf("load after a concurrent write: %v", err)
	}
	if res.StreamVersion != 3 {
		t.Fatalf("stream version %d, want 3", res.StreamVersion)
	}
	set, _ := f.state.Schema("main")
	if _, ok := set.Node("TestWidget"); !ok {
		t.Fatal("the retried load lost the earlier schema")
	}
}

func TestCheckSchemaWritesNothing(t *testing.T) {
	f := newSchemaFixture(t)
	raw, _ := json.Marshal(widget)
	out, err := f.app.CheckSchema(commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	if err != nil || !out.Updated || !contains(out.Diff.Added, "TestWidget") {
		t.Fatalf("check: %+v, %v", out, err)
	}
	if head, _ := f.store.Head(context.Background()); head != 0 {
		t.Fatalf("check wrote %d events", head)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
