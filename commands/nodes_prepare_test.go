package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

// createDecided is what deciding one create on v gives: its answer, its error, and the append.
type createDecided struct {
	out nodetx.NodeOutcome
	err string
	// faults are the fault kinds the error is (the HTTP status depends on them)
	faults []bool
	d      nodetx.Decision
}

func decideCreate(t *testing.T, f *nodeFixture, v *nodes.View, in commands.CreateNode) createDecided {
	t.Helper()
	tx := nodetx.New(context.Background(), v, nil, limits.Default())
	out, err := tx.Create(in)
	var got createDecided
	if err != nil {
		got.err = err.Error()
		for _, k := range []error{fault.ErrInvalid, fault.ErrNotFound, fault.ErrConflict} {
			got.faults = append(got.faults, errors.Is(err, k))
		}
		return got
	}
	got.out = out
	d, err := tx.Decide(f.store.Catalogue(), "main", events.Metadata{CommandID: "c1", Actor: "a"})
	if err != nil {
		t.Fatal(err)
	}
	got.d = d
	return got
}

// createCase is a node.create, its data given raw (a value that is not JSON included).
func createCase(kind, id string, data map[string]string) commands.CreateNode {
	in := commands.CreateNode{Kind: kind, ID: id, Data: commands.Data{}}
	for k, v := range data {
		in.Data[k] = json.RawMessage(v)
	}
	return in
}

// A node.create prepared on its caller's goroutine (CreateNode.PrepareFor, before it waits for
// its branch's turn) decides as the same create not prepared: the same answer, the same events
// byte for byte, and for bad input the same error (message, field, fault).
func TestPreparedCreateIsCreate(t *testing.T) {
	f := newNodeFixture(t)
	site := f.create(t, "TestSite", map[string]any{"name": "s1"})
	var tags []string
	for _, n := range []string{"t1", "t2", "t3", "t4"} {
		tags = append(tags, f.create(t, "TestTag", map[string]any{"name": n}))
	}
	f.create(t, "TestDevice", map[string]any{"name": "d1"})
	q := func(s string) string { return `"` + s + `"` }
	id := graph.NewNodeID().String()
	cases := map[string]commands.CreateNode{
		"full": createCase("TestDevice", id, map[string]string{"name": `"r1"`, "role": `"core"`, "asn": `65000`,
			"mgmt": `"10.0.0.1/24"`, "enabled": `{"value": false, "source": ` + q(site) + `}`, "installed": `"2024-01-02T03:04:05Z"`,
			"aliases": `["a", "b"]`, "extra": `{"k": [1, 2]}`, "site": `"s1"`,
			"tags": `[` + q(tags[0]) + `, {"hfid": ["t2"]}, {"id": ` + q(tags[0]) + `, "_relation__source": ` + q(site) + `}]`}),
		"site by hfid":      createCase("TestDevice", id, map[string]string{"name": `"r2"`, "site": `["s1"]`}),
		"bad number":        createCase("TestDevice", id, map[string]string{"name": `"r1"`, "asn": `70000`}),
		"bad regex":         createCase("TestDevice", id, map[string]string{"name": `"R 1"`}),
		"bad choice":        createCase("TestDevice", id, map[string]string{"name": `"r1"`, "role": `"spine"`}),
		"bad type":          createCase("TestDevice", id, map[string]string{"name": `"r1"`, "enabled": `"yes"`}),
		"not json":          createCase("TestDevice", id, map[string]string{"name": `{bad`}),
		"unknown field":     createCase("TestDevice", id, map[string]string{"name": `"r1"`, "color": `"red"`}),
		"read-only":         createCase("TestDevice", id, map[string]string{"name": `"r1"`, "serial": `"x"`}),
		"two errors":        createCase("TestDevice", id, map[string]string{"name": `"r1"`, "asn": `0`, "aaa": `1`}),
		"value and pool":    createCase("TestDevice", id, map[string]string{"name": `{"value": "r1", "from_pool": {"id": "p"}}`}),
		"missing peer":      createCase("TestDevice", id, map[string]string{"name": `"r1"`, "site": q(graph.NewNodeID().String())}),
		"peer of bad kind":  createCase("TestDevice", id, map[string]string{"name": `"r1"`, "site": q(tags[0])}),
		"unknown peer name": createCase("TestDevice", id, map[string]string{"name": `"r1"`, "site": `"nowhere"`}),
		"too many peers":    createCase("TestDevice", id, map[string]string{"name": `"r1"`, "tags": `[` + q(tags[0]) + `,` + q(tags[1]) + `,` + q(tags[2]) + `,` + q(tags[3]) + `]`}),
		"bad ref field":     createCase("TestDevice", id, map[string]string{"name": `"r1"`, "tags": `[{"id": ` + q(tags[0]) + `, "source": "x"}]`}),
		"bad peers":         createCase("TestDevice", id, map[string]string{"name": `"r1"`, "tags": `{"x": 1}`}),
		"mandatory":         createCase("TestDevice", id, map[string]string{"asn": `1`}),
		"taken":             createCase("TestDevice", id, map[string]string{"name": `"d1"`}),
		"bad id":            createCase("TestDevice", "not-a-uuid", map[string]string{"name": `"r1"`}),
		"unknown kind":      createCase("TestNothing", id, map[string]string{"name": `"r1"`}),
		"generic":           createCase("TestLocation", id, map[string]string{"name": `"r1"`}),
	}
	v := f.view(t, "main")
	for name, in := range cases {
		want := decideCreate(t, f, v, in)
		prepared := in
		prepared.PrepareFor(v.Schema, limits.Default())
		got := decideCreate(t, f, v, prepared)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: prepared:\n%+v\nnot prepared:\n%+v", name, got, want)
		}
		if name == "full" && (want.err != "" || len(want.d.Events) == 0) {
			t.Errorf("full: want a node created, got %q", want.err)
		}
		if strings.HasPrefix(name, "bad") && want.err == "" {
			t.Errorf("%s: want a refusal", name)
		}
	}
}

// A create prepared on a schema its branch no longer has (changed while it waited for its turn)
// is parsed again on the transaction's: what the new schema accepts is accepted.
func TestPreparedCreateOnAnOldSchema(t *testing.T) {
	f := newNodeFixture(t)
	old := f.view(t, "main")
	raw, _ := json.Marshal(strings.Replace(testSchema, "      - {name: aliases, kind: List, optional: true}\n",
		"      - {name: aliases, kind: List, optional: true}\n      - {name: color, kind: Text, optional: true}\n", 1))
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	in := createCase("TestDevice", graph.NewNodeID().String(), map[string]string{"name": `"r1"`, "color": `"red"`})
	in.PrepareFor(old.Schema, limits.Default()) // "color" is no field of TestDevice there
	v := f.view(t, "main")
	got := decideCreate(t, f, v, in)
	if got.err != "" {
		t.Fatalf("prepared on the old schema: %s", got.err)
	}
	fresh := in
	fresh.PrepareFor(v.Schema, limits.Default())
	if want := decideCreate(t, f, v, fresh); !reflect.DeepEqual(got, want) {
		t.Errorf("prepared on the old schema:\n%+v\non the new:\n%+v", got, want)
	}
}

// node.create through the branch's turn answers bad input as before it was prepared: the field
// named, the fault kept.
func TestGroupedCreateErrors(t *testing.T) {
	f := newNodeFixture(t)
	for data, want := range map[string]string{
		`{"name": "r1", "asn": 70000}`:   `field "asn"`,
		`{"name": "r1", "color": "red"}`: `TestDevice has no attribute or relationship "color"`,
		`{"name": "r1", "serial": "x"}`:  `the attribute is read-only`,
	} {
		_, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": json.RawMessage(data)})
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%s: got %v, want an invalid input naming %s", data, err, want)
		}
	}
}
