package neo4j

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const (
	dev  = "0190a0a0-0000-7000-8000-000000000001"
	site = "0190a0a0-0000-7000-8000-000000000002"
	tag  = "0190a0a0-0000-7000-8000-000000000003"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)

func env(t *testing.T, pos int64, stream events.StreamID, typ string, payload any) events.Envelope {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return events.Envelope{GlobalPosition: events.Position(pos), Stream: stream, Type: typ, SchemaVersion: 1,
		RecordedAt: t0.Add(time.Duration(pos) * time.Second), Metadata: events.Metadata{Actor: "alice"}, Payload: b}
}

// sampleLog covers every event type the plan folds.
func sampleLog(t *testing.T) []events.Envelope {
	main, feat := branch.Stream("main"), branch.Stream("feature")
	return []events.Envelope{
		env(t, 1, main, nodes.TypeCreated, nodes.Created{ID: site, Kind: "TestSite",
			Attributes: map[string]nodes.Attr{"name": {Value: "paris"}}, HFID: []string{"paris"}, DisplayLabel: "paris",
			Claims: []nodes.Claim{{Kind: "TestSite", Constraint: "hfid", Key: "paris"}}}),
		env(t, 2, main, nodes.TypeCreated, nodes.Created{ID: dev, Kind: "TestDevice",
			Attributes: map[string]nodes.Attr{"name": {Value: "edge-1"}, "asn": {Value: 65020.0},
				"tags_json":   {Value: map[string]any{"a": 1.0}, IsDefault: true},
				"description": {Value: "Edge", Source: site, Owner: site, IsProtected: true}},
			Edges: []nodes.Edge{{Field: "r:device__site|out", Peer: site}},
			HFID:  []string{"edge-1"}, DisplayLabel: "edge-1"}),
		env(t, 3, main, nodes.TypeCreated, nodes.Created{ID: tag, Kind: "TestTag", Global: true,
			Attributes: map[string]nodes.Attr{"name": {Value: "red"}}}),
		// Same attribute twice and a relationship added then removed: new segments.
		env(t, 4, main, nodes.TypeUpdated, nodes.Updated{ID: dev, Kind: "TestDevice",
			Attributes: map[string]nodes.Attr{"asn": {Value: 65021.0}},
			Edges:      []nodes.Edge{{Field: "r:device__tag|both", Peer: tag}}}),
		env(t, 5, main, nodes.TypeUpdated, nodes.Updated{ID: dev, Kind: "TestDevice",
			Attributes: map[string]nodes.Attr{"asn": {Value: 65022.0}},
			Edges:      []nodes.Edge{{Field: "r:device__tag|both", Peer: tag, Remove: true}}}),
		env(t, 6, branch.LifecycleStream, branch.TypeCreated, branch.Created{Name: "feature", BranchedFrom: 5}),
		env(t, 7, feat, nodes.TypeUpdated, nodes.Updated{ID: dev, Kind: "TestDevice",
			Attributes: map[string]nodes.Attr{"name": {Value: "edge-9"}}, DisplayLabel: ptr("edge-9")}),
		env(t, 8, feat, nodes.TypeDeleted, nodes.Deleted{ID: site, Kind: "TestSite",
			Edges: []nodes.Edge{{Node: dev, Field: "r:device__site|out", Peer: site, Remove: true}}}),
		env(t, 9, main, "schema.loaded", map[string]any{"ignored": true}),
		env(t, 10, main, branch.TypeMerged, branch.Merged{Name: "feature", Changes: []branch.Change{
			{Op: "set", Node: dev, Field: "a:name", Value: "edge-9"},
			{Op: "set", Node: dev, Field: nodes.FieldLabel, Value: "edge-9"},
			{Op: "remove_peer", Node: site, Field: "r:device__site|in", Peer: dev},
			{Op: "delete", Node: site},
			{Op: "release", Kind: "TestSite", Constraint: "hfid", Key: "paris"},
		}}),
		env(t, 11, feat, branch.TypeRebased, branch.Rebased{Name: "feature", BranchedFrom: 10, Changes: []branch.Change{
			{Op: "clear", Node: dev, Field: "a:asn"},
		}}),
		env(t, 12, branch.LifecycleStream, branch.TypeDeleted, branch.Deleted{Name: "feature"}),
	}
}

func ptr[T any](v T) *T { return &v }

// golden compares got (as indented JSON) with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(b) != string(want) {
		t.Errorf("%s differs (go test -update rewrites it after review):\n got %s\nwant %s", path, b, want)
	}
}

func TestPlanGolden(t *testing.T) {
	stmts, err := Plan(sampleLog(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.golden", stmts)
}

// Every statement the adapter sends, by name, so that a change of text shows in review.
func TestStatementsGolden(t *testing.T) {
	golden(t, "statements.golden", map[string]string{
		"StmtRoot": StmtRoot, "StmtCheckpointLock": StmtCheckpointLock, "StmtCheckpointRead": StmtCheckpointRead,
		"StmtCheckpointSave": StmtCheckpointSave, "StmtReset": StmtReset, "StmtNodeCreate": StmtNodeCreate,
		"StmtNodeDelete": StmtNodeDelete, "StmtNodeTouch": StmtNodeTouch, "StmtAttributeSet": StmtAttributeSet,
		"StmtRelAddDirected": StmtRelAddDirected, "StmtRelAddBoth": StmtRelAddBoth,
		"StmtRelRemoveDirected": StmtRelRemoveDirected, "StmtRelRemoveBoth": StmtRelRemoveBoth,
		"StmtBranchCreate": StmtBranchCreate, "StmtBranchRebase": StmtBranchRebase,
		"StmtBranchMerged": StmtBranchMerged, "StmtBranchDelete": StmtBranchDelete, "StmtUniqueSet": StmtUniqueSet,
		"StmtPositions": StmtPositions,
	})
	golden(t, "schema.golden", SchemaStatements)
}

// Plan batches rows of independent events into one UNWIND per statement, and cuts a segment
// when a slot is written by another statement (an add then a remove of the same relationship).
func TestPlanBatching(t *testing.T) {
	main := branch.Stream("main")
	var batch []events.Envelope
	for i := range 50 {
		id := "0190a0a0-0000-7000-8000-0000000001" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		batch = append(batch, env(t, int64(i+1), main, nodes.TypeCreated, nodes.Created{ID: id, Kind: "TestTag",
			Attributes: map[string]nodes.Attr{"name": {Value: id}, "description": {Value: nil, IsDefault: true}}}))
	}
	stmts, err := Plan(batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 3 || stmts[0].Cypher != StmtNodeCreate || stmts[1].Cypher != StmtAttributeSet || stmts[2].Cypher != StmtPositions {
		t.Fatalf("50 creations: %d statements; want 3 (nodes, attributes, positions)", len(stmts))
	}
	if n, m, k := len(stmts[0].Params["rows"].([]any)), len(stmts[1].Params["rows"].([]any)), len(stmts[2].Params["rows"].([]any)); n != 50 || m != 100 || k != 50 {
		t.Errorf("rows = %d nodes, %d attributes, %d positions; want 50, 100, 50", n, m, k)
	}
	add := env(t, 51, main, nodes.TypeUpdated, nodes.Updated{ID: dev, Edges: []nodes.Edge{{Field: "r:x|out", Peer: tag}}})
	rm := env(t, 52, main, nodes.TypeUpdated, nodes.Updated{ID: dev, Edges: []nodes.Edge{{Field: "r:x|out", Peer: tag, Remove: true}}})
	stmts, err = Plan([]events.Envelope{add, rm})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range stmts {
		order = append(order, s.Cypher)
	}
	want := []string{StmtRelAddDirected, StmtNodeTouch, StmtRelRemoveDirected, StmtNodeTouch, StmtPositions}
	if len(order) != len(want) {
		t.Fatalf("add then remove: %d statements; want %d", len(order), len(want))
	}
	for i := range want {
		if order[i] != want[i] {
			t.Errorf("statement %d = %.40q; want %.40q", i, order[i], want[i])
		}
	}
}

func TestPlanErrors(t *testing.T) {
	main := branch.Stream("main")
	for name, e := range map[string]events.Envelope{
		"not a branch stream": env(t, 1, "other", nodes.TypeCreated, nodes.Created{ID: dev}),
		"bad field":           env(t, 1, main, nodes.TypeUpdated, nodes.Updated{ID: dev, Edges: []nodes.Edge{{Field: "a:x", Peer: tag}}}),
		"bad side":            env(t, 1, main, nodes.TypeUpdated, nodes.Updated{ID: dev, Edges: []nodes.Edge{{Field: "r:x|up", Peer: tag}}}),
		"unknown merge op":    env(t, 1, main, branch.TypeMerged, branch.Merged{Name: "f", Changes: []branch.Change{{Op: "zap"}}}),
		"newer version": func() events.Envelope {
			e := env(t, 1, main, nodes.TypeCreated, nodes.Created{ID: dev})
			e.SchemaVersion = 2
			return e
		}(),
		"bad payload": {GlobalPosition: 1, Stream: main, Type: nodes.TypeCreated, SchemaVersion: 1, Payload: []byte(`[`)},
	} {
		if _, err := Plan([]events.Envelope{e}); err == nil {
			t.Errorf("%s: Plan succeeded; want an error", name)
		}
	}
}
