package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
)

// testSchema is small but has what the rules need: unique names, an HFID through a parent,
// a component with a mandatory parent and cascade, cardinality one and many, dropdowns,
// numbers with ranges, IP values and a branch-agnostic kind.
const testSchema = `
version: "1.0"
generics:
  - name: Location
    namespace: Test
    hierarchical: true
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
nodes:
  - name: Site
    namespace: Test
    human_friendly_id: [name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: description, kind: Text, optional: true}
  - name: Tag
    namespace: Test
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Device
    namespace: Test
    human_friendly_id: [name__value]
    display_label: "{{ name__value }} ({{ role__value }})"
    attributes:
      - {name: name, kind: Text, unique: true, regex: "^[a-z0-9-]+$", max_length: 30}
      - name: role
        kind: Dropdown
        choices: [{name: edge}, {name: core}]
        default_value: edge
      - {name: asn, kind: Number, optional: true, parameters: {min_value: 1, max_value: 65535}}
      - {name: mgmt, kind: IPHost, optional: true}
      - {name: enabled, kind: Boolean, default_value: true}
      - {name: serial, kind: Text, optional: true, read_only: true}
      - {name: installed, kind: DateTime, optional: true}
      - {name: prefix, kind: IPNetwork, optional: true}
      - {name: mac, kind: MacAddress, optional: true}
      - {name: contact, kind: Email, optional: true}
      - {name: docs, kind: URL, optional: true}
      - {name: extra, kind: JSON, optional: true}
      - {name: aliases, kind: List, optional: true}
    relationships:
      - {name: site, peer: TestSite, cardinality: one, optional: true}
      - {name: tags, peer: TestTag, cardinality: many, optional: true, max_count: 3}
      - {name: interfaces, peer: TestInterface, cardinality: many, kind: Component, on_delete: cascade, optional: true}
  - name: Interface
    namespace: Test
    human_friendly_id: [device__name__value, name__value]
    uniqueness_constraints: [[device, name__value]]
    attributes:
      - {name: name, kind: Text}
    relationships:
      - {name: device, peer: TestDevice, cardinality: one, kind: Parent, optional: false}
  - name: Region
    namespace: Test
    inherit_from: [TestLocation]
    parent: ""
    children: TestCity
  - name: City
    namespace: Test
    inherit_from: [TestLocation]
    parent: TestRegion
    children: ""
  - name: Person
    namespace: Test
    branch: agnostic
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
`

type nodeFixture struct {
	log   *sqlite.Store
	store *nodes.Store
	app   *commands.Service
	fold  *projections.Inline
}

func newNodeFixture(t *testing.T) *nodeFixture {
	t.Helper()
	f := newNodeFixtureTB(t)
	raw, _ := json.Marshal(testSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	return f
}

// newNodeFixtureTB is a fixture without the test schema.
func newNodeFixtureTB(t testing.TB) *nodeFixture {
	t.Helper()
	log, store, app, fold := newApp(t)
	return &nodeFixture{log: log, store: store, app: app, fold: fold}
}

// newApp is an event log, the node Store folded from it inline, and the application over both.
func newApp(t testing.TB) (*sqlite.Store, *nodes.Store, *commands.Service, *projections.Inline) {
	t.Helper()
	log, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	fold := projections.NewInline(log, store)
	checkReplay(t, log, store, fold)
	return log, store, anotherApp(t, log, store, fold), fold
}

// loadTestSchema loads the test schema through app.
func loadTestSchema(t testing.TB, app *commands.Service) {
	t.Helper()
	raw, _ := json.Marshal(testSchema)
	payload, _ := json.Marshal(commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	if _, err := app.Dispatch(context.Background(), commands.Command{Type: commands.TypeLoadSchema, Payload: payload}); err != nil {
		t.Fatal(err)
	}
}

// anotherApp is one more application on the same log and state, as another process would run
// (its commands do not take turns with the first one's).
func anotherApp(t testing.TB, log *sqlite.Store, store *nodes.Store, fold *projections.Inline) *commands.Service {
	t.Helper()
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor,
		Decoded: fold.Decoded})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func (f *nodeFixture) sync(ctx context.Context) error { return f.fold.WaitFor(ctx, 0) }

func (f *nodeFixture) handler(string) commands.Handler { return f.app.Dispatch }

// try runs a command and folds what it wrote.
func (f *nodeFixture) try(t *testing.T, typ string, payload any) (commands.Result, error) {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.handler(typ)(context.Background(), commands.Command{Type: typ, Payload: raw, ID: ""})
	if serr := f.sync(context.Background()); serr != nil {
		t.Fatal(serr)
	}
	return res, err
}

func (f *nodeFixture) run(t *testing.T, typ string, payload any) commands.Result {
	t.Helper()
	res, err := f.try(t, typ, payload)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return res
}

func (f *nodeFixture) create(t *testing.T, kind string, data map[string]any) string {
	t.Helper()
	res := f.run(t, commands.TypeCreateNode, map[string]any{"kind": kind, "data": data})
	return res.Data.(commands.NodeOutcome).ID
}

func (f *nodeFixture) view(t *testing.T, br string) *nodes.View {
	t.Helper()
	v, err := f.store.View(br, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func nid(t *testing.T, s string) graph.NodeID {
	t.Helper()
	id, err := graph.ParseNodeID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func attrValue(t *testing.T, v *nodes.View, id, name string) any {
	t.Helper()
	a, _ := v.Attr(nid(t, id), name)
	return a.Value
}

// dump is every live node of the test kinds on a branch: kind, attributes and peers, by id.
func dump(t *testing.T, v *nodes.View) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, kind := range []string{"TestSite", "TestTag", "TestDevice", "TestInterface", "TestPerson"} {
		m, _ := v.Schema.Node(kind)
		for _, id := range v.Nodes(kind) {
			var b strings.Builder
			b.WriteString(kind)
			for _, a := range m.Attributes {
				x, _ := v.Attr(id, a.Name)
				raw, _ := json.Marshal(x)
				b.WriteString(" " + a.Name + "=" + string(raw))
			}
			for _, r := range m.Relationships {
				b.WriteString(" " + r.Name + "=")
				for _, p := range v.Peers(id, nodes.RelField(r.Identifier, r.Direction)) {
					b.WriteString(p.String()[:8] + ",")
				}
			}
			b.WriteString(" hfid=" + strings.Join(v.HFID(id), "/") + " label=" + v.DisplayLabel(id))
			out[id.String()] = b.String()
		}
	}
	return out
}

func TestCreateReadUpdate(t *testing.T) {
	f := newNodeFixture(t)
	site := f.create(t, "TestSite", map[string]any{"name": "paris"})
	tag := f.create(t, "TestTag", map[string]any{"name": "blue"})
	dev := f.create(t, "TestDevice", map[string]any{"name": "r1", "site": "paris", "tags": []any{map[string]any{"id": tag}},
		"mgmt": "10.0.0.1/24", "asn": 65000})
	v := f.view(t, "main")
	if got := attrValue(t, v, dev, "role"); got != "edge" {
		t.Errorf("default role = %v", got)
	}
	if a, _ := v.Attr(nid(t, dev), "role"); !a.IsDefault {
		t.Error("role not marked as default")
	}
	if got := attrValue(t, v, dev, "asn"); got != float64(65000) {
		t.Errorf("asn = %#v", got)
	}
	if got := v.DisplayLabel(nid(t, dev)); got != "r1 (edge)" {
		t.Errorf("display label = %q", got)
	}
	if got := v.Peers(nid(t, dev), "r:"+relIdentifier(t, v, "TestDevice", "site")+"|both"); len(got) != 1 || got[0].String() != site {
		t.Errorf("site peers = %v", got)
	}
	// The other end sees the edge too.
	siteModel, _ := v.Schema.Node("TestSite")
	_ = siteModel
	if got := v.Peers(nid(t, site), "r:"+relIdentifier(t, v, "TestDevice", "site")+"|both"); len(got) != 1 || got[0].String() != dev {
		t.Errorf("reverse site peers = %v", got)
	}
	// Interfaces by HFID through the device.
	f.create(t, "TestInterface", map[string]any{"name": "eth0", "device": map[string]any{"hfid": []string{"r1"}}})
	v = f.view(t, "main")
	if id, ok := v.ByHFID("TestInterface", []string{"r1", "eth0"}); !ok {
		t.Error("interface not found by hfid")
	} else if got := v.HFID(id); strings.Join(got, "/") != "r1/eth0" {
		t.Errorf("interface hfid = %v", got)
	}
	// Update: partial, role changes the label, tags replaced.
	tag2 := f.create(t, "TestTag", map[string]any{"name": "red"})
	res := f.run(t, commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"role": "core", "tags": []any{tag2}}})
	if res.Data.(commands.NodeOutcome).Outcome != "updated" || len(res.Positions) == 0 {
		t.Errorf("update answered %+v", res)
	}
	v = f.view(t, "main")
	if got := v.DisplayLabel(nid(t, dev)); got != "r1 (core)" {
		t.Errorf("display label after update = %q", got)
	}
	if got := attrValue(t, v, dev, "asn"); got != float64(65000) {
		t.Errorf("asn lost on partial update: %v", got)
	}
	tagsField := "r:" + relIdentifier(t, v, "TestDevice", "tags") + "|both"
	if got := v.Peers(nid(t, dev), tagsField); len(got) != 1 || got[0].String() != tag2 {
		t.Errorf("tags after replace = %v", got)
	}
	if got := v.Peers(nid(t, tag), tagsField); len(got) != 0 {
		t.Errorf("old tag still points at the device: %v", got)
	}
	// The same update again changes nothing and writes nothing.
	res = f.run(t, commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"role": "core", "tags": []any{tag2}}})
	if res.Data.(commands.NodeOutcome).Outcome != "unchanged" || len(res.Positions) != 0 {
		t.Errorf("no-op update answered %+v", res)
	}
}

func relIdentifier(t *testing.T, v *nodes.View, kind, rel string) string {
	t.Helper()
	m, _ := v.Schema.Node(kind)
	for _, r := range m.Relationships {
		if r.Name == rel {
			return r.Identifier
		}
	}
	t.Fatalf("%s has no relationship %s", kind, rel)
	return ""
}

func TestUpsertAndBatch(t *testing.T) {
	f := newNodeFixture(t)
	batch := map[string]any{"operations": []any{
		map[string]any{"type": "node.upsert", "ref": "s", "payload": map[string]any{"kind": "TestSite", "data": map[string]any{"name": "paris"}}},
		map[string]any{"type": "node.upsert", "ref": "d", "payload": map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "r1", "site": map[string]any{"ref": "s"}}}},
		map[string]any{"type": "node.upsert", "payload": map[string]any{"kind": "TestInterface", "data": map[string]any{"name": "eth0", "device": map[string]any{"ref": "d"}}}},
		map[string]any{"type": "node.upsert", "payload": map[string]any{"kind": "TestInterface", "data": map[string]any{"name": "eth1", "device": []string{"r1"}}}},
	}}
	res := f.run(t, commands.TypeBatch, batch)
	out := res.Data.(commands.BatchOutcome)
	if out.Kinds["TestInterface"].Created != 2 || out.Kinds["TestSite"].Created != 1 || len(res.Positions) != 4 {
		t.Fatalf("first batch: %+v positions %v", out.Kinds, res.Positions)
	}
	before := dump(t, f.view(t, "main"))
	res = f.run(t, commands.TypeBatch, batch)
	out = res.Data.(commands.BatchOutcome)
	if out.Kinds["TestInterface"].Unchanged != 2 || out.Kinds["TestDevice"].Unchanged != 1 || len(res.Positions) != 0 {
		t.Fatalf("second batch: %+v positions %v", out.Kinds, res.Positions)
	}
	if after := dump(t, f.view(t, "main")); !equalDumps(before, after) {
		t.Errorf("the second batch changed the data:\n%v\n%v", before, after)
	}
	// A batch with one bad operation stores nothing.
	head, _ := f.log.Head(context.Background())
	_, err := f.try(t, commands.TypeBatch, map[string]any{"operations": []any{
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestTag", "data": map[string]any{"name": "new"}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestTag", "data": map[string]any{"name": 12}}},
	}})
	if !errors.Is(err, commands.ErrInvalid) || !strings.Contains(err.Error(), "operation 2") || !strings.Contains(err.Error(), `field "name"`) {
		t.Errorf("bad batch: %v", err)
	}
	if h2, _ := f.log.Head(context.Background()); h2 != head {
		t.Errorf("a refused batch wrote %d events", h2-head)
	}
	if _, ok := f.view(t, "main").ByHFID("TestTag", []string{"new"}); ok {
		t.Error("the first operation of a refused batch is visible")
	}
}

func equalDumps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
