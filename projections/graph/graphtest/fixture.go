package graphtest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/schema"
)

// Schema is the schema the suite loads on main: a three-level hierarchy (a hierarchical generic
// TestLocation used by TestRegion > TestSite > TestRack), devices with a cardinality-one
// relationship to sites and a cardinality-many one to tags, both declared on both ends, and IP
// prefixes and addresses (kinds inheriting the built-in IPAM generics).
const Schema = `
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
    children: TestRack
    relationships:
      - {name: devices, peer: TestDevice, cardinality: many, optional: true}
  - name: Rack
    namespace: Test
    inherit_from: [TestLocation]
    parent: TestSite
  - name: Tag
    namespace: Test
    human_friendly_id: [name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: color, kind: Text, optional: true}
    relationships:
      - {name: devices, peer: TestDevice, cardinality: many, optional: true}
  - name: Device
    namespace: Test
    human_friendly_id: [name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: role, kind: Text, default_value: edge}
      - {name: asn, kind: Number, optional: true}
      - {name: enabled, kind: Boolean, default_value: true}
      - {name: description, kind: Text, optional: true}
    relationships:
      - {name: site, peer: TestSite, cardinality: one, optional: true}
      - {name: tags, peer: TestTag, cardinality: many, optional: true}
  - name: Prefix
    namespace: Test
    inherit_from: [BuiltinIPPrefix]
  - name: Address
    namespace: Test
    inherit_from: [BuiltinIPAddress]
`

// world is the log the suite builds and what it knows about it.
type world struct {
	log  *sqlite.Store
	cat  *events.Catalogue
	set  *schema.Set
	id   map[string]string          // node name -> id
	name map[string]string          // node id -> name
	kind map[string]string          // node name -> kind
	pos  map[string]events.Position // named step -> last position it wrote
	all  []events.Envelope          // the whole log, after build
	at   map[events.Position]events.Envelope
}

// lineage is an attribute value given with its properties.
type lineage struct {
	value       any
	source      string // node name
	owner       string // node name
	isProtected bool
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "events.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	cat := events.NewCatalogueWithCore()
	schema.RegisterEvents(cat)
	branch.RegisterEvents(cat)
	nodes.RegisterEvents(cat)
	w := &world{log: log, cat: cat, id: map[string]string{}, name: map[string]string{}, kind: map[string]string{},
		pos: map[string]events.Position{}, at: map[events.Position]events.Envelope{}}
	w.loadSchema(t)
	return w
}

func (w *world) loadSchema(t *testing.T) {
	t.Helper()
	builtin, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f, err := schema.Parse("graphtest.yml", []byte(Schema))
	if err != nil {
		t.Fatal(err)
	}
	next, err := schema.Load(builtin, f)
	if err != nil {
		t.Fatal(err)
	}
	w.set = next
	content, _ := json.Marshal(Schema)
	ev := w.event(t, schema.TypeLoaded, schema.Loaded{Files: []schema.LoadedFile{{Name: "graphtest.yml", Content: content}},
		Hash: next.Hash(), PreviousHash: builtin.Hash(), Changes: schema.Diff(builtin, next)}, "admin")
	w.append(t, "schema", branch.Stream(branch.Default), ev)
}

func (w *world) event(t *testing.T, typ string, payload any, actor string) events.Envelope {
	t.Helper()
	ev, err := w.cat.New(typ, payload, events.Metadata{Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// append writes evs to stream as step and returns its last position.
func (w *world) append(t *testing.T, step string, stream events.StreamID, evs ...events.Envelope) events.Position {
	t.Helper()
	res, err := w.log.Append(context.Background(), stream, events.AnyVersion, evs...)
	if err != nil {
		t.Fatalf("append %s: %v", step, err)
	}
	w.pos[step] = res.Last()
	time.Sleep(2 * time.Millisecond) // distinct recording times for PositionAt
	return res.Last()
}

func (w *world) rel(t *testing.T, kind, name string) *schema.Relationship {
	t.Helper()
	m, ok := w.set.Model(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	r := m.Relationship(name)
	if r == nil {
		t.Fatalf("%s has no relationship %s", kind, name)
	}
	return r
}

func (w *world) field(t *testing.T, kind, rel string) string {
	r := w.rel(t, kind, rel)
	return nodes.RelField(r.Identifier, r.Direction)
}

func (w *world) attr(v any) nodes.Attr {
	if l, ok := v.(lineage); ok {
		return nodes.Attr{Value: nodes.Canon(l.value), Source: w.id[l.source], Owner: w.id[l.owner], IsProtected: l.isProtected}
	}
	return nodes.Attr{Value: nodes.Canon(v)}
}

// create builds the node.created event of a node called name: its display label, and its name
// attribute and hfid when the kind has them. attrs holds values or lineage; rels the names of
// the peers by relationship.
func (w *world) create(t *testing.T, kind, name string, attrs map[string]any, rels map[string][]string, props map[string]nodes.Props) events.Envelope {
	t.Helper()
	m, ok := w.set.Node(kind)
	if !ok {
		t.Fatalf("no node kind %s", kind)
	}
	id := bg.NewNodeID().String()
	w.id[name], w.name[id], w.kind[name] = id, name, kind
	p := nodes.Created{ID: id, Kind: kind, Attributes: map[string]nodes.Attr{}, DisplayLabel: name}
	if len(m.HumanFriendlyID) > 0 {
		p.HFID = []string{name}
		p.Claims = []nodes.Claim{{Kind: kind, Constraint: nodes.ConstraintHFID, Key: nodes.HFIDKey([]string{name})}}
	}
	for _, a := range m.Attributes {
		switch v, given := attrs[a.Name]; {
		case a.Name == "name":
			p.Attributes[a.Name] = nodes.Attr{Value: name}
		case given:
			p.Attributes[a.Name] = w.attr(v)
		default:
			p.Attributes[a.Name] = nodes.Attr{Value: nodes.Canon(a.DefaultValue), IsDefault: true}
		}
	}
	for rel, peers := range rels {
		f := w.field(t, kind, rel)
		for _, peer := range peers {
			if w.id[peer] == "" {
				t.Fatalf("unknown peer %s", peer)
			}
			p.Edges = append(p.Edges, nodes.Edge{Field: f, Peer: w.id[peer]})
		}
	}
	for rel, pr := range props {
		if p.RelProps == nil {
			p.RelProps = map[string]nodes.Props{}
		}
		p.RelProps[w.field(t, kind, rel)] = pr
	}
	return w.event(t, nodes.TypeCreated, p, actorOf(attrs))
}

func actorOf(attrs map[string]any) string {
	if a, ok := attrs["_actor"].(string); ok {
		return a
	}
	return "admin"
}

// update builds the node.updated event setting attributes of node name.
func (w *world) update(t *testing.T, name, actor string, attrs map[string]any) events.Envelope {
	t.Helper()
	p := nodes.Updated{ID: w.id[name], Kind: w.kind[name], Attributes: map[string]nodes.Attr{}}
	for k, v := range attrs {
		p.Attributes[k] = w.attr(v)
	}
	return w.event(t, nodes.TypeUpdated, p, actor)
}

// remove builds the node.deleted event of node name, with the edges it gives up (field: peers).
func (w *world) remove(t *testing.T, name string, edges map[string][]string) events.Envelope {
	t.Helper()
	p := nodes.Deleted{ID: w.id[name], Kind: w.kind[name],
		Claims: []nodes.Claim{{Kind: w.kind[name], Constraint: nodes.ConstraintHFID, Key: nodes.HFIDKey([]string{name}), Release: true}}}
	for rel, peers := range edges {
		f := w.field(t, w.kind[name], rel)
		for _, peer := range peers {
			p.Edges = append(p.Edges, nodes.Edge{Field: f, Peer: w.id[peer], Remove: true})
		}
	}
	return w.event(t, nodes.TypeDeleted, p, "admin")
}
