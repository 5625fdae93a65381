package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

// tooLarge checks that err is a limit error answered 413 limit_exceeded whose message holds
// every one of mentions.
func tooLarge(t *testing.T, err error, mentions ...string) {
	t.Helper()
	cl := fault.Classify(err)
	if !errors.Is(err, limits.ErrExceeded) || cl.Status != http.StatusRequestEntityTooLarge || cl.Code != "limit_exceeded" {
		t.Fatalf("error %v (%d %s), want a limit error", err, cl.Status, cl.Code)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("error %q does not mention %q", err, m)
		}
	}
}

// The issue: a 10 MB attribute value was stored. Values are bounded per kind where they are
// parsed (ValueBytes for Text, Dropdown and the like; LargeValueBytes for TextArea, JSON and
// List), refused with the attribute, its kind and the limit named, and nothing is written;
// through a node command, a batch and an object file alike.
func TestAttributeValueSizes(t *testing.T) {
	f := newNodeFixture(t)
	head := f.head(t)
	big := strings.Repeat("x", 10<<20)
	_, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "TestSite", "data": map[string]any{"name": "paris", "description": big}})
	tooLarge(t, err, `"description" (Text)`, "value size in bytes is 10485760, at most 65536 (INFRAHUB_MAX_VALUE_BYTES)")
	_, err = f.try(t, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "r1",
		"extra": map[string]any{"blob": strings.Repeat("y", 2<<20)}}})
	tooLarge(t, err, `"extra" (JSON)`, "at most 1048576 (INFRAHUB_MAX_LARGE_VALUE_BYTES)")
	_, err = f.try(t, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "r1",
		"aliases": []any{strings.Repeat("z", 600<<10), strings.Repeat("z", 600<<10)}}})
	tooLarge(t, err, `"aliases" (List)`, "(INFRAHUB_MAX_LARGE_VALUE_BYTES)")
	_, err = f.try(t, commands.TypeBatch, map[string]any{"operations": []any{
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestTag", "data": map[string]any{"name": "ok"}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestSite", "data": map[string]any{"name": big}}}}})
	tooLarge(t, err, "operation 2", `"name" (Text)`)
	_, err = f.try(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "big.yml",
		Content: "kind: Object\nspec:\n  kind: TestSite\n  data:\n    - name: paris\n      description: " + big + "\n"}}})
	tooLarge(t, err, "big.yml", `"description" (Text)`)
	if h := f.head(t); h != head {
		t.Fatalf("refused values moved the log head from %d to %d", head, h)
	}
	// Up to the bound, values are taken.
	f.create(t, "TestSite", map[string]any{"name": "paris", "description": strings.Repeat("x", 64<<10)})
	f.create(t, "TestDevice", map[string]any{"name": "r1", "extra": map[string]any{"blob": strings.Repeat("y", 900<<10)}})
}

// The bounds come from Config.Limits.
func TestLimitsFromConfig(t *testing.T) {
	log, store, _, fold := newApp(t)
	lim := limits.Default()
	lim.ValueBytes, lim.ObjectsPerFile = 8, 2
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	loadTestSchema(t, app)
	_ = fold.WaitFor(context.Background(), 0)
	_, err = app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode,
		Payload: json.RawMessage(`{"kind":"TestTag","data":{"name":"123456789"}}`)})
	tooLarge(t, err, "value size in bytes is 9, at most 8 (INFRAHUB_MAX_VALUE_BYTES)")
	file, _ := json.Marshal(commands.LoadObjects{Files: []commands.ObjectFile{{Name: "three.yml",
		Content: "kind: Object\nspec:\n  kind: TestTag\n  data:\n    - name: a\n    - name: b\n    - name: c\n"}}})
	_, err = app.Dispatch(context.Background(), commands.Command{Type: commands.TypeLoadObjects, Payload: file})
	tooLarge(t, err, "three.yml:5: document 1, spec.data", "objects of the file is 3, at most 2 (INFRAHUB_MAX_OBJECTS_PER_FILE)")
	bad := lim
	bad.ObjectsPerFile = 0
	if _, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor, Limits: bad}); err == nil ||
		!strings.Contains(err.Error(), "ObjectsPerFile") {
		t.Fatalf("a zero bound: %v", err)
	}
}

// Loading takes the objects-per-file bound validation takes, and refuses before deciding: a
// file of ranges giving a million objects is refused at once, naming the file and the limit.
func TestObjectLoadLimits(t *testing.T) {
	f := newNodeFixture(t)
	head := f.head(t)
	var b strings.Builder
	b.WriteString("kind: Object\nspec:\n  kind: TestTag\n  parameters:\n    expand_range: true\n  data:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "    - name: \"t%d[0-99999]\"\n", i)
	}
	_, err := f.try(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "ranges.yml", Content: b.String()}}})
	tooLarge(t, err, "ranges.yml:7", `values of range "t0[0-99999]" is 10001, at most 10000 (INFRAHUB_MAX_RANGE_EXPANSION)`)
	b.Reset()
	b.WriteString("kind: Object\nspec:\n  kind: TestTag\n  parameters:\n    expand_range: true\n  data:\n")
	for i := range 3 {
		fmt.Fprintf(&b, "    - name: \"t%d[0-3999]\"\n", i)
	}
	_, err = f.try(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "many.yml", Content: b.String()}}})
	tooLarge(t, err, "many.yml:9: document 1, item 3", "objects of the file is 12000, at most 10000 (INFRAHUB_MAX_OBJECTS_PER_FILE)")
	if h := f.head(t); h != head {
		t.Fatalf("refused files moved the log head from %d to %d", head, h)
	}
}

// The issue: a 10 MB description was stored. A schema load is bounded in its bytes, its
// descriptions and the kinds it gives the branch; a branch's description too.
func TestSchemaLoadLimits(t *testing.T) {
	f := newNodeFixtureTB(t)
	head := f.head(t)
	long := strings.Repeat("d", 10<<20)
	doc := func(desc string) json.RawMessage {
		raw, _ := json.Marshal(map[string]any{"version": "1.0", "nodes": []any{map[string]any{"name": "Widget", "namespace": "Test",
			"description": desc, "attributes": []any{map[string]any{"name": "name", "kind": "Text"}}}}})
		return raw
	}
	_, err := f.try(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{doc(long)}})
	tooLarge(t, err, "TestWidget.description", "description in bytes is 10485760, at most 4096 (INFRAHUB_MAX_DESCRIPTION_BYTES)")
	_, err = f.try(t, commands.TypeCreateBranch, commands.CreateBranch{Name: "b1", Description: long})
	tooLarge(t, err, `field "description"`, "(INFRAHUB_MAX_DESCRIPTION_BYTES)")
	if h := f.head(t); h != head {
		t.Fatalf("refused loads moved the log head from %d to %d", head, h)
	}

	log, store, _, fold := newApp(t)
	lim := limits.Default()
	lim.SchemaLoadBytes = 1000
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(commands.LoadSchema{Schemas: []json.RawMessage{doc(strings.Repeat("d", 1000))}})
	_, err = app.Dispatch(context.Background(), commands.Command{Type: commands.TypeLoadSchema, Payload: payload})
	tooLarge(t, err, `field "schemas"`, "at most 1000 (INFRAHUB_MAX_SCHEMA_BYTES)")
	lim = limits.Default()
	lim.SchemaKinds = len(f.view(t, "main").Schema.Nodes()) + len(f.view(t, "main").Schema.Generics())
	app, err = commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ = json.Marshal(commands.LoadSchema{Schemas: []json.RawMessage{doc("a widget")}})
	_, err = app.Dispatch(context.Background(), commands.Command{Type: commands.TypeLoadSchema, Payload: payload})
	tooLarge(t, err, "nodes and generics of the branch's schema is", "(INFRAHUB_MAX_SCHEMA_KINDS)")
}

// countdownCtx is a context whose Err reports cancellation after n calls: a caller leaving in
// the middle of a long decision, deterministically.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// Deciding a large batch or object file stops between two of its steps once the caller has left
// (or its deadline passed), and writes nothing.
func TestDecidingHonoursContext(t *testing.T) {
	f := newNodeFixture(t)
	head := f.head(t)
	ops := make([]any, 3000)
	for i := range ops {
		ops[i] = map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestTag", "data": map[string]any{"name": fmt.Sprint("t", i)}}}
	}
	payload, _ := json.Marshal(map[string]any{"operations": ops})
	ctx := &countdownCtx{Context: context.Background()}
	ctx.n.Store(500)
	_, err := f.app.Dispatch(ctx, commands.Command{Type: commands.TypeBatch, Payload: payload})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "of 3000") {
		t.Fatalf("batch: %v, want it stopped between operations", err)
	}
	var b strings.Builder
	b.WriteString("kind: Object\nspec:\n  kind: TestTag\n  data:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "    - name: o%d\n", i)
	}
	payload, _ = json.Marshal(commands.LoadObjects{Files: []commands.ObjectFile{{Name: "o.yml", Content: b.String()}}})
	ctx = &countdownCtx{Context: context.Background()}
	ctx.n.Store(500)
	_, err = f.app.Dispatch(ctx, commands.Command{Type: commands.TypeLoadObjects, Payload: payload})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("object load: %v, want it stopped", err)
	}
	if h := f.head(t); h != head {
		t.Fatalf("stopped commands moved the log head from %d to %d", head, h)
	}
}
