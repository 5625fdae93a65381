package activity_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/schema"
)

const testSchema = `version: "1.0"
nodes:
  - name: Device
    namespace: Test
    inherit_from: ["CoreArtifactTarget"]
    human_friendly_id: ["name__value"]
    display_label: name__value
    attributes:
      - name: name
        kind: Text
        unique: true
      - name: description
        kind: Text
        optional: true
      - name: height
        kind: Number
        optional: true
      - name: secret
        kind: Password
        optional: true
    relationships:
      - name: tags
        peer: TestTag
        cardinality: many
        optional: true
  - name: Tag
    namespace: Test
    human_friendly_id: ["name__value"]
    attributes:
      - name: name
        kind: Text
        unique: true
`

// app is an application writing through commands into a real log, with the graph folded
// inline: the envelopes the tests derive are the ones a server writes.
type app struct {
	t      testing.TB
	svc    *commands.Service
	log    events.Store
	fold   *projections.Inline
	reader graph.Port
	store  *nodes.Store
	// after is called with the head after each command (a Hub's Notify).
	after func(events.Position)
	// handed keeps the payloads the writer hands over (Runner.Payload): derive checks that
	// deriving from them gives what deriving from the JSON does.
	handed *projections.Runner
}

func newApp(t testing.TB) *app {
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
	a := &app{t: t, log: log, store: store, fold: projections.NewInline(log, store), handed: &projections.Runner{Log: log}}
	handOff := func(ctx context.Context, evs []events.Envelope, payloads []any) {
		a.handed.Handoff(ctx, "none", evs, payloads) // no such projector: only kept for Payload
	}
	if a.svc, err = commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: a.fold.WaitFor,
		Decoded: handOff}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if a.reader, err = memory.New(memory.Config{Store: store, WaitFor: a.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(testSchema)
	a.run(commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	return a
}

func (a *app) schemaOf(name string) (*schema.Set, bool) {
	states := a.store.Branches()
	if _, ok := states.Branch(name); !ok && name != branch.Default {
		return nil, false
	}
	set, _ := states.Schema(name)
	return set, set != nil
}

func (a *app) head() events.Position {
	h, err := a.log.Head(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	return h
}

// runAs dispatches a command for an account and answers its result's data (as JSON) and the
// log head before it.
func (a *app) runAs(actor, typ string, payload any) (map[string]any, events.Position) {
	a.t.Helper()
	before := a.head()
	raw, _ := json.Marshal(payload)
	res, err := a.svc.Dispatch(context.Background(), commands.Command{Type: typ, Payload: raw, Actor: actor})
	if err != nil {
		a.t.Fatalf("%s: %v", typ, err)
	}
	if err := a.fold.WaitFor(context.Background(), a.head()); err != nil {
		a.t.Fatal(err)
	}
	if a.after != nil {
		a.after(a.head())
	}
	out := map[string]any{}
	b, _ := json.Marshal(res.Data)
	_ = json.Unmarshal(b, &out)
	return out, before
}

func (a *app) run(typ string, payload any) map[string]any {
	a.t.Helper()
	out, _ := a.runAs("", typ, payload)
	return out
}

// create creates a node and answers its id.
func (a *app) create(kind string, data map[string]any) string {
	a.t.Helper()
	out := a.run(commands.TypeCreateNode, map[string]any{"kind": kind, "data": data})
	id, _ := out["id"].(string)
	if id == "" {
		a.t.Fatalf("%s created without an id: %v", kind, out)
	}
	return id
}

// envelopes reads the log after pos.
func (a *app) envelopes(after events.Position) []events.Envelope {
	a.t.Helper()
	var out []events.Envelope
	for {
		batch, err := a.log.ReadAll(context.Background(), after, 1000)
		if err != nil {
			a.t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
		after = batch[len(batch)-1].GlobalPosition
	}
}

// derive derives every envelope after pos.
func (a *app) derive(after events.Position) []activity.Event {
	a.t.Helper()
	var out []activity.Event
	for _, env := range a.envelopes(after) {
		evs, err := activity.Derive(context.Background(), a.reader, a.schemaOf, env)
		if err != nil {
			a.t.Fatal(err)
		}
		if _, ok := a.handed.Payload(env); !ok && strings.HasPrefix(env.Type, "node.") {
			a.t.Fatalf("position %d (%s): no payload handed", env.GlobalPosition, env.Type)
		}
		dv := activity.Deriver{Graph: a.reader, SchemaOf: a.schemaOf, Decoded: a.handed.Payload}
		shared, err := dv.Derive(context.Background(), env)
		if err != nil {
			a.t.Fatal(err)
		}
		if !reflect.DeepEqual(shared, evs) {
			a.t.Fatalf("position %d (%s): derived from the handed payload\n%s\nfrom the JSON\n%s", env.GlobalPosition, env.Type, dump(shared), dump(evs))
		}
		out = append(out, evs...)
	}
	return out
}

// deriveRun runs a command as actor and derives the events of what it appended.
func (a *app) deriveRun(actor, typ string, payload any) []activity.Event {
	a.t.Helper()
	_, before := a.runAs(actor, typ, payload)
	return a.derive(before)
}

func named(evs []activity.Event, name string) []activity.Event {
	var out []activity.Event
	for _, e := range evs {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func one(t testing.TB, evs []activity.Event, name string) activity.Event {
	t.Helper()
	got := named(evs, name)
	if len(got) != 1 {
		t.Fatalf("want one %s, got %d in %s", name, len(got), dump(evs))
	}
	return got[0]
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

func attr(t testing.TB, e activity.Event, name string) activity.AttributeChange {
	t.Helper()
	for _, a := range e.Attributes {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("event %s has no attribute %s: %s", e.Name, name, dump(e))
	return activity.AttributeChange{}
}
