package neo4j

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// relField is the stored field of relationship name of kind.
func relField(t *testing.T, set *schema.Set, kind, name string) string {
	t.Helper()
	m, ok := set.Node(kind)
	if !ok || m.Relationship(name) == nil {
		t.Fatalf("%s has no relationship %s", kind, name)
	}
	r := m.Relationship(name)
	return nodes.RelField(r.Identifier, r.Direction)
}

const componentSchema = `
version: "1.0"
nodes:
  - name: Device
    namespace: Test
    attributes:
      - {name: name, kind: Text}
      - {name: description, kind: Text, optional: true}
    relationships:
      - {name: interfaces, peer: TestInterface, kind: Component, cardinality: many, optional: true, identifier: device__interface}
      - {name: site, peer: TestSite, cardinality: one, optional: true, identifier: device__site, direction: outbound}
  - name: Interface
    namespace: Test
    attributes:
      - {name: name, kind: Text}
    relationships:
      - {name: device, peer: TestDevice, kind: Parent, cardinality: one, optional: false, identifier: device__interface}
  - name: Site
    namespace: Test
    attributes:
      - {name: name, kind: Text}
`

const (
	cd1 = "0190a0a0-0000-7000-8000-000000000201"
	cd2 = "0190a0a0-0000-7000-8000-000000000202"
	cd3 = "0190a0a0-0000-7000-8000-000000000203"
	ci1 = "0190a0a0-0000-7000-8000-000000000211"
	cs1 = "0190a0a0-0000-7000-8000-000000000221"
	cs2 = "0190a0a0-0000-7000-8000-000000000222"
)

// componentLog: on a branch, an interface (a component) added to a device, the device moved to
// another site with a protected description, a device deleted and another changed; then main
// takes the device off its site (a conflict on a cardinality-one relationship), changes the
// deleted device and deletes the changed one (two conflicts on existence).
func componentLog(t *testing.T) []events.Envelope {
	main, feat := branch.Stream(branch.Default), branch.Stream("feature")
	create := func(pos int64, stream events.StreamID, id, kind, name string, edges ...nodes.Edge) events.Envelope {
		return env(t, pos, stream, nodes.TypeCreated, nodes.Created{ID: id, Kind: kind, Attributes: map[string]nodes.Attr{"name": {Value: name}},
			Edges: edges, HFID: []string{name}, DisplayLabel: name})
	}
	update := func(pos int64, stream events.StreamID, id string, attrs map[string]nodes.Attr, edges ...nodes.Edge) events.Envelope {
		return env(t, pos, stream, nodes.TypeUpdated, nodes.Updated{ID: id, Kind: "TestDevice", Attributes: attrs, Edges: edges})
	}
	site := "r:device__site|out"
	return []events.Envelope{
		create(2, main, cs1, "TestSite", "paris"), create(3, main, cs2, "TestSite", "berlin"),
		create(4, main, cd1, "TestDevice", "edge-1", nodes.Edge{Field: site, Peer: cs1}),
		create(5, main, cd2, "TestDevice", "edge-2"), create(6, main, cd3, "TestDevice", "edge-3"),
		env(t, 7, branch.LifecycleStream, branch.TypeCreated, branch.Created{Name: "feature", BranchedFrom: 6}),
		create(8, feat, ci1, "TestInterface", "eth0", nodes.Edge{Field: "r:device__interface|both", Peer: cd1}),
		update(9, feat, cd1, map[string]nodes.Attr{"description": {Value: "x", IsProtected: true, Source: cs1}},
			nodes.Edge{Field: site, Peer: cs1, Remove: true}, nodes.Edge{Field: site, Peer: cs2}),
		env(t, 10, feat, nodes.TypeDeleted, nodes.Deleted{ID: cd2, Kind: "TestDevice"}),
		update(11, feat, cd3, map[string]nodes.Attr{"description": {Value: "y"}}),
		update(12, main, cd1, nil, nodes.Edge{Field: site, Peer: cs1, Remove: true}),
		update(13, main, cd2, map[string]nodes.Attr{"description": {Value: "changed"}}),
		env(t, 14, main, nodes.TypeDeleted, nodes.Deleted{ID: cd3, Kind: "TestDevice"}),
	}
}

// The records the three statements return on componentLog's data.
func componentRows() (branchRows, changes, nodeRows []map[string]any) {
	at := func(pos int64) string { return timeText(t0.Add(timeSeconds(pos))) }
	branchRows = []map[string]any{{"branched_from": int64(6), "head": int64(14), "from_time": at(6), "to_time": at(14)}}
	row := func(what, id, kind, name string, b, base, main any) map[string]any {
		return map[string]any{"what": what, "id": id, "kind": kind, "name": name, "side": nil, "peer": nil, "b": b, "base": base, "main": main}
	}
	val := func(js string, protected bool, source any) map[string]any {
		return map[string]any{"json": js, "is_default": false, "is_protected": protected, "source": source, "owner": nil}
	}
	rel := func(id, kind, name, side, peer string, b, base, main any) map[string]any {
		r := row("relationship", id, kind, name, b, base, main)
		r["side"], r["peer"] = side, peer
		return r
	}
	changes = []map[string]any{
		row("node", ci1, "TestInterface", "", "active", nil, nil),
		row("node", cd2, "TestDevice", "", "deleted", "active", "active"),
		row("attribute", ci1, "TestInterface", "name", val(`"eth0"`, false, nil), nil, nil),
		row("attribute", cd1, "TestDevice", "description", val(`"x"`, true, cs1), nil, nil),
		row("attribute", cd3, "TestDevice", "description", val(`"y"`, false, nil), nil, nil),
		rel(ci1, "TestInterface", "device__interface", "both", cd1, "active", nil, nil),
		rel(cd1, "TestDevice", "device__interface", "both", ci1, "active", nil, nil),
		rel(cd1, "TestDevice", "device__site", "out", cs1, "deleted", "active", "deleted"),
		rel(cd1, "TestDevice", "device__site", "out", cs2, "active", nil, nil),
		rel(cs1, "TestSite", "device__site", "in", cd1, "deleted", "active", "deleted"),
		rel(cs2, "TestSite", "device__site", "in", cd1, "active", nil, nil),
	}
	node := func(id, kind, b, main, label string, changedAt, updatedAt int64, mainChanged bool, parents ...any) map[string]any {
		r := map[string]any{"id": id, "kind": kind, "b": b, "main": nil, "b_label": `"` + label + `"`, "main_label": nil,
			"parents": append([]any{}, parents...), "main_changed": mainChanged, "changed_at": nil, "updated_at": at(updatedAt)}
		if main != "" {
			r["main"], r["main_label"] = main, r["b_label"]
		}
		if changedAt > 0 {
			r["changed_at"] = at(changedAt)
		}
		return r
	}
	parent := func(peer, kind string) any {
		return map[string]any{"name": "device__interface", "side": "both", "peer": peer, "peer_kind": kind, "branch": true, "main": false}
	}
	nodeRows = []map[string]any{
		node(cd1, "TestDevice", "active", "active", "edge-1", 9, 12, true, parent(ci1, "TestInterface")),
		node(cd2, "TestDevice", "deleted", "active", "edge-2", 10, 13, true),
		node(cd3, "TestDevice", "active", "deleted", "edge-3", 11, 6, false),
		node(ci1, "TestInterface", "active", "", "eth0", 8, 8, false, parent(cd1, "TestDevice")),
		node(cs1, "TestSite", "active", "active", "paris", 0, 2, true),
		node(cs2, "TestSite", "active", "active", "berlin", 0, 3, false),
	}
	return branchRows, changes, nodeRows
}

// Components and their parents, lineage properties, a conflict on a cardinality-one
// relationship and both conflicts on existence: the diff from the records is the memory
// adapter's.
func TestDiffFromRowsIsMemorysWithComponents(t *testing.T) {
	store := memoryStoreOf(t, componentSchema, componentLog(t))
	want, err := store.Diff("feature")
	if err != nil {
		t.Fatal(err)
	}
	if want.Counts != (branch.DiffCounts{Added: 1, Updated: 2, Removed: 1, Conflicts: 3, Unresolved: 3}) {
		t.Fatalf("the memory diff is not the scenario's: %+v", want.Counts)
	}
	bv, _ := store.View("feature", 0)
	mv, _ := store.View(branch.Default, 0)
	br, changes, nodeRows := componentRows()
	got, err := DiffFromRows(DiffInput{Name: "feature", Branch: br, Changes: changes, Nodes: nodeRows,
		BranchSchema: bv.Schema, MainSchema: mv.Schema})
	if err != nil {
		t.Fatal(err)
	}
	// The one documented difference: within a node, memory lists the relationships in the order
	// it interned their fields, the Neo4j reader by field.
	for _, n := range want.Nodes {
		slices.SortFunc(n.Relationships, func(a, b branch.RelDiff) int {
			return strings.Compare(relField(t, bv.Schema, n.Kind, a.Name), relField(t, bv.Schema, n.Kind, b.Name))
		})
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("diff from rows:\n%s\nmemory diff:\n%s", g, w)
	}
}
