package graphql_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/schema"
)

const fixtureSchema = `
version: "1.0"
generics:
  - name: Location
    namespace: Test
    hierarchical: true
    human_friendly_id: [name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: description, kind: Text, optional: true}
  - name: Interface
    namespace: Test
    human_friendly_id: [device__name__value, name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text}
      - {name: enabled, kind: Boolean, default_value: true}
    relationships:
      - {name: device, peer: TestDevice, cardinality: one, kind: Parent, optional: false, identifier: device__interface}
nodes:
  - name: Region
    namespace: Test
    inherit_from: [TestLocation]
    parent: ""
    children: TestSite
  - name: Site
    namespace: Test
    inherit_from: [TestLocation]
    parent: TestRegion
    children: ""
  - name: Tag
    namespace: Test
    human_friendly_id: [name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Device
    namespace: Test
    human_friendly_id: [name__value]
    display_label: "{{ name__value }} ({{ role__value }})"
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - name: role
        kind: Dropdown
        default_value: edge
        choices:
          - {name: edge, label: Edge router, color: "#00ff00"}
          - {name: core, label: Core router, color: "#ff0000", description: In the middle}
      - {name: asn, kind: Number, optional: true}
      - {name: mgmt, kind: IPHost, optional: true}
      - {name: mac, kind: MacAddress, optional: true}
      - {name: prefix, kind: IPNetwork, optional: true}
    relationships:
      - {name: site, peer: TestSite, cardinality: one, optional: true, identifier: device__site}
      - {name: tags, peer: TestTag, cardinality: many, optional: true, identifier: device__tag}
      - {name: interfaces, peer: TestInterface, cardinality: many, kind: Component, on_delete: cascade, optional: true, identifier: device__interface}
  - name: InterfaceL2
    namespace: Test
    inherit_from: [TestInterface]
    attributes:
      - {name: vlan, kind: Number, optional: true}
  - name: InterfaceL3
    namespace: Test
    inherit_from: [TestInterface]
    attributes:
      - {name: address, kind: IPHost, optional: true}
`

// countingReader counts the node reads made through the read port.
type countingReader struct {
	graph.Port
	calls atomic.Int64
}

func (c *countingReader) Get(ctx context.Context, s graph.Scope, id string) (graph.Node, error) {
	c.calls.Add(1)
	return c.Port.Get(ctx, s, id)
}

func (c *countingReader) List(ctx context.Context, s graph.Scope, q graph.Query) (graph.Page, error) {
	c.calls.Add(1)
	return c.Port.List(ctx, s, q)
}

func (c *countingReader) Count(ctx context.Context, s graph.Scope, kind string, f map[string]any) (int, error) {
	c.calls.Add(1)
	return c.Port.Count(ctx, s, kind, f)
}

func (c *countingReader) Peers(ctx context.Context, s graph.Scope, ids []string, kind, rel string) (map[string][]graph.Edge, error) {
	c.calls.Add(1)
	return c.Port.Peers(ctx, s, ids, kind, rel)
}

// fixture is a log, the node Store folded from it, the commands and an executor.
type fixture struct {
	log       *sqlite.Store
	store     *nodes.Store
	dispatch  *commands.Service
	fold      *projections.Inline
	reader    *countingReader
	x         *graphql.Executor
	positions map[string]events.Position // named moments for `at`
}

func newFixture(t testing.TB, schemaText string) *fixture {
	t.Helper()
	log, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	f := &fixture{log: log, positions: map[string]events.Position{}}
	if f.store, err = nodes.New(); err != nil {
		t.Fatal(err)
	}
	f.fold = projections.NewInline(log, f.store)
	wait := f.fold.WaitFor
	if f.dispatch, err = commands.New(commands.Config{Log: log, Catalogue: f.store.Catalogue(), State: f.store, WaitFor: wait}); err != nil {
		t.Fatal(err)
	}
	port, err := memory.New(memory.Config{Store: f.store, WaitFor: wait})
	if err != nil {
		t.Fatal(err)
	}
	f.reader = &countingReader{Port: port}
	states := f.store.Branches()
	f.x = &graphql.Executor{Graph: f.reader, Schemas: &graphql.Schemas{}, Default: branch.Default, Version: "test",
		SchemaOf: func(name string) (*schema.Set, bool) {
			if _, ok := states.Branch(name); !ok {
				return nil, false
			}
			set, _ := states.Schema(name)
			return set, true
		},
		Branches: states.Branches,
		Dispatch: func(ctx context.Context, cmd commands.Command) (commands.Result, error) {
			res, err := f.dispatch.Dispatch(ctx, cmd)
			if serr := f.sync(ctx); serr != nil && err == nil {
				err = serr
			}
			return res, err
		}}
	raw, _ := json.Marshal(schemaText)
	f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	return f
}

func (f *fixture) sync(ctx context.Context) error { return f.fold.WaitFor(ctx, 0) }

func (f *fixture) command(t testing.TB, typ string, payload any) commands.Result {
	t.Helper()
	raw, _ := json.Marshal(payload)
	res, err := f.dispatch.Dispatch(context.Background(), commands.Command{Type: typ, Payload: raw})
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) create(t testing.TB, br, kind string, data map[string]any) string {
	t.Helper()
	res := f.command(t, commands.TypeCreateNode, map[string]any{"branch": br, "kind": kind, "data": data})
	return res.Data.(commands.NodeOutcome).ID
}

// loadDataset writes the golden tests' data: a region with two sites, tags, two devices with
// interfaces of two kinds, an update on main (with a named moment before it) and a branch.
func (f *fixture) loadDataset(t testing.TB) {
	europe := f.create(t, "", "TestRegion", map[string]any{"name": "europe", "description": "EU"})
	f.create(t, "", "TestSite", map[string]any{"name": "paris", "parent": europe})
	f.create(t, "", "TestSite", map[string]any{"name": "lyon", "parent": []string{"europe"}, "description": "second city"})
	f.create(t, "", "TestTag", map[string]any{"name": "red"})
	f.create(t, "", "TestTag", map[string]any{"name": "blue"})
	f.create(t, "", "TestTag", map[string]any{"name": "green"})
	r1 := f.create(t, "", "TestDevice", map[string]any{"name": "r1", "role": "core", "asn": 65001, "mgmt": "10.0.0.1/24",
		"mac": "00:1a:2b:3c:4d:5e", "prefix": "10.0.0.0/24", "site": "paris", "tags": []any{"red", "blue"}})
	f.create(t, "", "TestDevice", map[string]any{"name": "r2", "asn": 65002, "site": "lyon", "tags": []any{"blue"}})
	f.create(t, "", "TestInterfaceL2", map[string]any{"name": "eth0", "vlan": 10, "device": r1})
	f.create(t, "", "TestInterfaceL3", map[string]any{"name": "eth1", "address": "10.1.1.1/31", "device": r1, "enabled": false})
	f.create(t, "", "TestInterfaceL2", map[string]any{"name": "eth0", "device": []string{"r2"}})
	head, _ := f.log.Head(context.Background())
	f.positions["before-r2-update"] = head
	time.Sleep(2 * time.Millisecond)
	f.command(t, commands.TypeUpdateNode, map[string]any{"kind": "TestDevice", "hfid": []string{"r2"}, "data": map[string]any{"asn": 65099}})
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "feature-1"})
	f.command(t, commands.TypeUpdateNode, map[string]any{"branch": "feature-1", "kind": "TestDevice", "hfid": []string{"r1"}, "data": map[string]any{"role": "edge"}})
	f.create(t, "feature-1", "TestDevice", map[string]any{"name": "r3", "site": "lyon"})
}
