package neo4j

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

func TestDiffStatementsGolden(t *testing.T) {
	stmts := DiffStatements()
	names := make([]string, 0, len(stmts))
	for n := range stmts {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "== %s ==\n%s\n\n", n, stmts[n])
	}
	goldenText(t, "diff.golden", b.String())
}

// memoryStore is a nodes.Store (the memory adapter's) fed the schema readSchema, then log.
func memoryStore(t *testing.T, log []events.Envelope) *nodes.Store {
	return memoryStoreOf(t, readSchema, log)
}

// memoryStoreOf is a nodes.Store fed the schema text, then log.
func memoryStoreOf(t *testing.T, text string, log []events.Envelope) *nodes.Store {
	t.Helper()
	cat := events.NewCatalogueWithCore()
	schema.RegisterEvents(cat)
	branch.RegisterEvents(cat)
	nodes.RegisterEvents(cat)
	builtin, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f, err := schema.Parse("read.yml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	next, err := schema.Load(builtin, f)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := json.Marshal(text)
	load := env(t, 1, branch.Stream(branch.Default), schema.TypeLoaded, schema.Loaded{Files: []schema.LoadedFile{{Name: "read.yml", Content: content}},
		Hash: next.Hash(), PreviousHash: builtin.Hash(), Changes: schema.Diff(builtin, next)})
	store := nodes.NewStore(cat, branch.NewState(cat, builtin))
	if err := store.Apply(context.Background(), append([]events.Envelope{load}, log...)); err != nil {
		t.Fatal(err)
	}
	return store
}

const (
	s1 = "0190a0a0-0000-7000-8000-000000000011"
	s2 = "0190a0a0-0000-7000-8000-000000000012"
	d1 = "0190a0a0-0000-7000-8000-000000000021"
	d2 = "0190a0a0-0000-7000-8000-000000000022"
	t1 = "0190a0a0-0000-7000-8000-000000000031"
	d3 = "0190a0a0-0000-7000-8000-000000000023"
)

// diffLog: two sites, a device and a tag on main; a branch moves the device to the other site,
// tags it, changes its asn and adds a device; then main changes the asn too and adds a device
// with the same human-friendly id as the branch's (two conflicts).
func diffLog(t *testing.T) []events.Envelope {
	main, feat := branch.Stream(branch.Default), branch.Stream("feature")
	create := func(pos int64, stream events.StreamID, id, kind, name string, attrs map[string]nodes.Attr, edges ...nodes.Edge) events.Envelope {
		if attrs == nil {
			attrs = map[string]nodes.Attr{}
		}
		attrs["name"] = nodes.Attr{Value: name}
		return env(t, pos, stream, nodes.TypeCreated, nodes.Created{ID: id, Kind: kind, Attributes: attrs, Edges: edges,
			HFID: []string{name}, DisplayLabel: name, Claims: []nodes.Claim{{Kind: kind, Constraint: "hfid", Key: name}}})
	}
	return []events.Envelope{
		create(2, main, s1, "TestSite", "paris", nil),
		create(3, main, s2, "TestSite", "berlin", nil),
		create(4, main, d1, "TestDevice", "edge-1", map[string]nodes.Attr{"asn": {Value: 1.0}},
			nodes.Edge{Field: "r:device__site|out", Peer: s1}),
		create(5, main, t1, "TestTag", "red", nil),
		env(t, 6, branch.LifecycleStream, branch.TypeCreated, branch.Created{Name: "feature", BranchedFrom: 5}),
		env(t, 7, feat, nodes.TypeUpdated, nodes.Updated{ID: d1, Kind: "TestDevice",
			Attributes: map[string]nodes.Attr{"asn": {Value: 2.0}},
			Edges: []nodes.Edge{{Field: "r:device__site|out", Peer: s1, Remove: true}, {Field: "r:device__site|out", Peer: s2},
				{Field: "r:device__tag|both", Peer: t1}}}),
		create(8, feat, d2, "TestDevice", "edge-2", nil),
		env(t, 9, main, nodes.TypeUpdated, nodes.Updated{ID: d1, Kind: "TestDevice", Attributes: map[string]nodes.Attr{"asn": {Value: 3.0}}}),
		create(10, main, d3, "TestDevice", "edge-2", nil),
	}
}

// The rows the three statements return on diffLog's data, as the driver gives them.
func diffRows() (branchRows, changes, nodeRows []map[string]any) {
	at := func(pos int64) string { return timeText(t0.Add(timeSeconds(pos))) }
	// The head is the resolution of diffLog's conflict (position 11): every event has a Position.
	branchRows = []map[string]any{{"branched_from": int64(5), "head": int64(11), "from_time": at(5), "to_time": at(11)}}
	val := func(js string) map[string]any {
		return map[string]any{"json": js, "is_default": false, "is_protected": false, "source": nil, "owner": nil}
	}
	rel := func(id, kind, name, side, peer string, b, base, main any) map[string]any {
		return map[string]any{"what": "relationship", "id": id, "kind": kind, "name": name, "side": side, "peer": peer, "b": b, "base": base, "main": main}
	}
	changes = []map[string]any{
		{"what": "node", "id": d2, "kind": "TestDevice", "name": nil, "side": nil, "peer": nil, "b": "active", "base": nil, "main": nil},
		{"what": "attribute", "id": d1, "kind": "TestDevice", "name": "asn", "side": nil, "peer": nil, "b": val("2"), "base": val("1"), "main": val("3")},
		{"what": "attribute", "id": d2, "kind": "TestDevice", "name": "name", "side": nil, "peer": nil, "b": val(`"edge-2"`), "base": nil, "main": nil},
		rel(d1, "TestDevice", "device__site", "out", s1, "deleted", "active", "active"),
		rel(d1, "TestDevice", "device__site", "out", s2, "active", nil, nil),
		rel(s1, "TestSite", "device__site", "in", d1, "deleted", "active", "active"),
		rel(s2, "TestSite", "device__site", "in", d1, "active", nil, nil),
		rel(d1, "TestDevice", "device__tag", "both", t1, "active", nil, nil),
		rel(t1, "TestTag", "device__tag", "both", d1, "active", nil, nil),
		{"what": "unique", "id": "TestDevice|hfid|edge-2", "kind": "TestDevice", "name": "hfid", "side": nil, "peer": "edge-2",
			"b": d2, "base": nil, "main": d3},
	}
	node := func(id, kind, label string, changedAt, updatedAt int64, onMain bool) map[string]any {
		row := map[string]any{"id": id, "kind": kind, "b": "active", "main": nil, "b_label": `"` + label + `"`, "main_label": nil,
			"parents": []any{}, "main_changed": false, "changed_at": nil, "updated_at": at(updatedAt)}
		if changedAt > 0 {
			row["changed_at"] = at(changedAt)
		}
		if onMain {
			row["main"], row["main_label"] = "active", row["b_label"]
		}
		return row
	}
	nodeRows = []map[string]any{
		node(s1, "TestSite", "paris", 0, 2, true), node(s2, "TestSite", "berlin", 0, 3, true),
		node(d1, "TestDevice", "edge-1", 7, 9, true), node(d2, "TestDevice", "edge-2", 8, 8, false),
		node(t1, "TestTag", "red", 0, 5, true),
	}
	nodeRows[2]["main_changed"] = true
	return branchRows, changes, nodeRows
}

func timeSeconds(pos int64) time.Duration { return time.Duration(pos) * time.Second }

// The diff assembled from the statements' rows is the memory adapter's on the same data.
func TestDiffFromRowsIsMemorysDiff(t *testing.T) {
	log := diffLog(t)
	store := memoryStore(t, log)
	want, err := store.Diff("feature")
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Conflicts) != 2 || want.Counts.Added != 1 || want.Counts.Updated != 1 {
		t.Fatalf("the memory diff is not the scenario's: %+v", want)
	}
	// A resolution recorded on the branch is reported on the conflict.
	resolve := env(t, 11, branch.Stream("feature"), branch.TypeConflictResolved,
		branch.ConflictResolved{Name: "feature", Conflict: want.Conflicts[0].ID, Keep: branch.KeepBranch})
	store = memoryStore(t, append(log, resolve))
	if want, err = store.Diff("feature"); err != nil || want.Conflicts[0].Selected != branch.KeepBranch {
		t.Fatalf("memory diff after the resolution: %v %+v", err, want.Conflicts)
	}
	bv, _ := store.View("feature", 0)
	mv, _ := store.View(branch.Default, 0)
	br, changes, nodeRows := diffRows()
	ids, err := DiffNodeIDs(changes)
	if err != nil || !slices.Equal(ids, []string{s1, s2, d1, d2, t1}) {
		t.Errorf("DiffNodeIDs = %v, %v", ids, err)
	}
	got, err := DiffFromRows(DiffInput{Name: "feature", Branch: br, Changes: changes, Nodes: nodeRows,
		BranchSchema: bv.Schema, MainSchema: mv.Schema, Resolved: map[string]string{want.Conflicts[0].ID: branch.KeepBranch}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("diff from rows:\n%s\nmemory diff:\n%s\nrefs %+v / %+v", g, w, got.Conflicts, want.Conflicts)
	}
}

// Diff sends three statements in one transaction, with the branch's base as $base_at.
func TestDiffSendsThreeStatements(t *testing.T) {
	br, changes, nodeRows := diffRows()
	c := &cannedTx{answers: map[string][]map[string]any{StmtDiffBranch: br, StmtDiffChanges: changes, StmtDiffNodes: nodeRows}}
	r := newTestReader(t, c)
	r.cfg.Resolutions = func(context.Context, string) (map[string]string, error) { return map[string]string{"x": "base"}, nil }
	d, err := r.Diff(context.Background(), "feature")
	if err != nil {
		t.Fatal(err)
	}
	if d.Counts != (branch.DiffCounts{Added: 1, Updated: 1, Conflicts: 2, Unresolved: 2}) || d.BranchedFrom != 5 {
		t.Errorf("diff counts %+v, branched from %d", d.Counts, d.BranchedFrom)
	}
	if len(c.sent) != 3 || c.sent[0].Cypher != StmtDiffBranch || c.sent[1].Cypher != StmtDiffChanges || c.sent[2].Cypher != StmtDiffNodes {
		t.Fatalf("sent %d statements", len(c.sent))
	}
	if p := c.sent[0].Params; p["name"] != "feature" || p["checkpoint"] != DefaultName {
		t.Errorf("StmtDiffBranch params %v", p)
	}
	if p := c.sent[1].Params; p["branch"] != "feature" || p["base"] != "main" || p["base_at"] != int64(5) || p["at"] != int64(math.MaxInt64) {
		t.Errorf("StmtDiffChanges params %v", p)
	}
	if p := c.sent[2].Params; !reflect.DeepEqual(p["ids"], []string{s1, s2, d1, d2, t1}) || p["label"] != LabelAttribute ||
		p["from_time"] != br[0]["from_time"] || !reflect.DeepEqual(p["parents"], []string{}) {
		t.Errorf("StmtDiffNodes params %v", p)
	}
	if c.closed != 1 {
		t.Errorf("closed %d transactions", c.closed)
	}

	// The default branch has no diff (no statement); an unknown branch is not found.
	c.sent = nil
	for _, name := range []string{"", "main"} {
		if _, err := r.Diff(context.Background(), name); !errors.Is(err, fault.ErrInvalid) || len(c.sent) != 0 {
			t.Errorf("Diff(%q) = %v after %d statements; want fault.ErrInvalid", name, err, len(c.sent))
		}
	}
	c.answers[StmtDiffBranch] = nil
	if _, err := r.Diff(context.Background(), "nope"); !errors.Is(err, graph.ErrBranchNotFound) || len(c.sent) != 1 {
		t.Errorf("Diff(nope) = %v after %d statements; want ErrBranchNotFound after one", err, len(c.sent))
	}
	// A branch that changed nothing: two statements.
	c.answers[StmtDiffBranch], c.answers[StmtDiffChanges], c.sent = br, nil, nil
	if d, err := r.Diff(context.Background(), "feature"); err != nil || len(d.Nodes) != 0 || d.Nodes == nil || len(c.sent) != 2 {
		t.Errorf("empty diff = %+v, %v after %d statements", d, err, len(c.sent))
	}
}

// A branch that set a value back to the base's, a conflict on a relationship of cardinality
// one, and a node deleted on the branch that main changed.
func TestDiffFromRowsSlots(t *testing.T) {
	set := readSet(t)
	val := func(js string, protected bool, source string) map[string]any {
		return map[string]any{"json": js, "is_default": false, "is_protected": protected, "source": nilIfEmpty(source), "owner": nil}
	}
	changes := []map[string]any{
		{"what": "attribute", "id": d1, "kind": "TestDevice", "name": "asn", "b": val("1", false, ""), "base": val("1", false, ""), "main": val("3", false, "")},
		{"what": "attribute", "id": d1, "kind": "TestDevice", "name": "description", "b": val(`"x"`, true, s2), "base": val(`"x"`, false, ""), "main": val(`"x"`, false, "")},
		{"what": "relationship", "id": d1, "kind": "TestDevice", "name": "device__site", "side": "out", "peer": s1, "b": "deleted", "base": "active", "main": "deleted"},
		{"what": "relationship", "id": d1, "kind": "TestDevice", "name": "device__site", "side": "out", "peer": s2, "b": "active", "base": nil, "main": nil},
		{"what": "node", "id": t1, "kind": "TestTag", "b": "deleted", "base": "active", "main": "active"},
	}
	nodeRows := []map[string]any{
		{"id": d1, "kind": "TestDevice", "b": "active", "main": "active", "b_label": `"edge-1"`, "main_label": `"edge-1"`},
		{"id": s2, "kind": "TestSite", "b": "active", "main": "active", "main_label": `"berlin"`},
		{"id": t1, "kind": "TestTag", "b": "deleted", "main": "active", "main_label": `"red"`, "main_changed": true},
	}
	d, err := DiffFromRows(DiffInput{Name: "feature", Branch: []map[string]any{{"branched_from": int64(5)}}, Changes: changes,
		Nodes: nodeRows, BranchSchema: set, MainSchema: set})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Nodes) != 2 || d.Nodes[0].ID != d1 || d.Nodes[1].ID != t1 {
		t.Fatalf("nodes = %+v", d.Nodes)
	}
	dev := d.Nodes[0]
	if len(dev.Attributes) != 1 || dev.Attributes[0].Name != "description" ||
		!reflect.DeepEqual(dev.Attributes[0].Properties, []branch.PropDiff{{Name: "is_protected", Previous: false, New: true}, {Name: "source", Previous: nil, New: s2}}) {
		t.Errorf("attributes (asn set back is no change) = %+v", dev.Attributes)
	}
	if len(dev.Relationships) != 1 || dev.Relationships[0].Conflict == "" || !reflect.DeepEqual(dev.Relationships[0].Added, []string{s2}) ||
		dev.Relationships[0].Labels[s2] != "berlin" {
		t.Errorf("relationships = %+v", dev.Relationships)
	}
	if tag := d.Nodes[1]; tag.Action != branch.ActionRemoved || tag.Conflict == "" || tag.Label != "red" {
		t.Errorf("tag = %+v", tag)
	}
	if len(d.Conflicts) != 2 || d.Conflicts[0].Path != "site" || d.Conflicts[1].Main != "changed" ||
		!reflect.DeepEqual(d.Conflicts[0].Main, []string{}) || d.Counts.Unresolved != 2 {
		t.Errorf("conflicts = %+v", d.Conflicts)
	}
	if _, err := DiffFromRows(DiffInput{Name: "x", Branch: []map[string]any{{}}, Changes: []map[string]any{{"what": "x", "id": "a"}}}); err == nil {
		t.Error("an unknown row kind was read")
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
