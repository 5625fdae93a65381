package neo4j

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

func TestMoreStatementsGolden(t *testing.T) {
	stmts := MoreStatements()
	names := make([]string, 0, len(stmts))
	for n := range stmts {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "== %s ==\n%s\n\n", n, stmts[n])
	}
	goldenText(t, "read_more.golden", b.String())
}

// A StmtDump row as the driver returns it.
func dumpRow(id string, attrs, rels []any) map[string]any {
	return map[string]any{"id": id, "kind": "TestDevice", "attrs": attrs, "rels": rels}
}

func TestDumpFromRecordedRows(t *testing.T) {
	rel := func(name string, nearOut, peerOut bool, peer string, live bool) any {
		return map[string]any{"name": name, "near_out": nearOut, "peer_out": peerOut, "peer": peer, "live": live}
	}
	c := &cannedTx{answers: map[string][]map[string]any{
		StmtReadBranch: {{"branched_from": int64(5)}},
		StmtDump: {
			dumpRow("d1", []any{
				map[string]any{"name": "name", "json": `"edge-1"`, "is_default": false, "is_protected": true, "source": "p1", "owner": nil, "global": false},
				map[string]any{"name": "asn", "json": `65022`, "is_default": false, "is_protected": false, "source": nil, "owner": "s1", "global": true},
				map[string]any{"name": "gone", "json": `1`, "is_default": false, "is_protected": false, "global": false}, // not in the schema
				map[string]any{"name": HFIDAttribute, "json": `["edge-1"]`, "is_default": false, "is_protected": false, "global": false},
				map[string]any{"name": LabelAttribute, "json": `"Edge 1"`, "is_default": false, "is_protected": false, "global": false},
			}, []any{
				rel("device__site", true, true, "s1", true),
				rel("device__tag", true, false, "t2", true),
				rel("device__tag", true, false, "t1", true),
				rel("device__tag", true, false, "t1", true), // a second Relationship vertex to the same peer
				rel("device__tag", true, false, "t3", false),
				rel("device__site", false, true, "x", true), // an inbound end: not TestDevice's site
				rel("other", true, true, "y", true),
			}),
			dumpRow("d2", []any{
				map[string]any{"name": "description", "json": `null`, "is_default": true, "is_protected": false, "global": false},
			}, []any{rel("device__tag", true, false, "t3", false)}),
		},
		StmtCheckpointRead: {{"position": int64(12), "version": int64(Version)}},
	}}
	r := newTestReader(t, c)
	got, err := r.Dump(context.Background(), graph.Scope{Branch: "feature", At: 9})
	if err != nil {
		t.Fatal(err)
	}
	want := graph.Dump{Branch: "feature", Position: 9, Nodes: []graph.DumpedNode{
		{ID: "d1", Kind: "TestDevice", HFID: []string{"edge-1"}, DisplayLabel: "Edge 1",
			Attributes: map[string]graph.DumpedAttribute{
				"name": {Value: "edge-1", IsProtected: true, Source: "p1"},
				"asn":  {Value: 65022.0, Owner: "s1", Global: true},
			},
			Relationships: map[string][]string{"site": {"s1"}, "tags": {"t1", "t2"}}},
		{ID: "d2", Kind: "TestDevice", Attributes: map[string]graph.DumpedAttribute{"description": {Value: nil, IsDefault: true}},
			Relationships: map[string][]string{"tags": {}}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Dump =\n%#v\nwant\n%#v", got, want)
	}
	if len(c.sent) != 3 || c.sent[0].Cypher != StmtReadBranch || c.sent[1].Cypher != StmtDump || c.sent[2].Cypher != StmtCheckpointRead {
		t.Fatalf("sent %d statements: %+v", len(c.sent), c.sent)
	}
	p := c.sent[1].Params
	if p["branch"] != "feature" || p["at"] != int64(9) || p["base_at"] != int64(5) ||
		!reflect.DeepEqual(p["kinds"], []string{"TestDevice", "TestSite", "TestTag", "ProfileTestDevice", "ProfileTestSite", "ProfileTestTag", "ProfileTestThing"}) {
		t.Errorf("StmtDump params %v", p)
	}
	if c.closed != 1 {
		t.Errorf("closed %d transactions; want 1", c.closed)
	}

	// At the head, the dump reflects the checkpoint; on the default branch, no branch statement.
	c.sent = nil
	got, err = r.Dump(context.Background(), graph.Scope{})
	if err != nil || got.Position != 12 || got.Branch != "main" || len(c.sent) != 2 || c.sent[0].Params["at"] != int64(math.MaxInt64) {
		t.Errorf("head Dump: %v, position %d, branch %q, sent %+v", err, got.Position, got.Branch, c.sent)
	}
	// A position past the checkpoint reflects the checkpoint.
	if got, err = r.Dump(context.Background(), graph.Scope{At: 40}); err != nil || got.Position != 12 {
		t.Errorf("Dump at 40: position %d, %v; want 12", got.Position, err)
	}
	// An unknown branch.
	c.answers[StmtReadBranch] = nil
	if _, err := r.Dump(context.Background(), graph.Scope{Branch: "nope"}); !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("Dump(nope) = %v; want ErrBranchNotFound", err)
	}
}

func TestDumpedNodeFromRowRejectsRowWithoutID(t *testing.T) {
	if _, err := DumpedNodeFromRow(readSet(t), map[string]any{"kind": "TestDevice"}); err == nil {
		t.Error("a row without id was read")
	}
}

func TestPositionAtFromRecordedRows(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{StmtPositionAt: {{"position": int64(7)}}}}
	r := newTestReader(t, c)
	at := time.Date(2025, 3, 1, 14, 0, 7, 123456789, time.FixedZone("CET", 3600))
	p, err := r.PositionAt(context.Background(), at)
	if err != nil || p != 7 {
		t.Errorf("PositionAt = %d, %v; want 7", p, err)
	}
	// The time is sent as the projection stores it: UTC, microseconds, text order is time order.
	if len(c.sent) != 1 || c.sent[0].Params["time"] != "2025-03-01T13:00:07.123456Z" || c.closed != 1 {
		t.Errorf("sent %+v, closed %d", c.sent, c.closed)
	}
	// Before the first write: no row, position 0.
	c.answers[StmtPositionAt] = nil
	if p, err := r.PositionAt(context.Background(), at); err != nil || p != 0 {
		t.Errorf("PositionAt before the first write = %d, %v; want 0", p, err)
	}
	c.answers[StmtPositionAt] = []map[string]any{{"position": "7"}}
	if _, err := r.PositionAt(context.Background(), at); !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("a position of the wrong type: %v", err)
	}
}

func TestRecordedAtFromRecordedRows(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{StmtRecordedAt: {{"checkpoint": int64(12), "at": "2025-03-01T12:00:05.123456Z"}}}}
	r := newTestReader(t, c)
	got, ok, err := r.RecordedAt(context.Background(), 5)
	if err != nil || !ok || !got.Equal(time.Date(2025, 3, 1, 12, 0, 5, 123456000, time.UTC)) {
		t.Errorf("RecordedAt(5) = %v, %v, %v", got, ok, err)
	}
	if len(c.sent) != 1 || c.sent[0].Params["pos"] != int64(5) || c.sent[0].Params["name"] != DefaultName {
		t.Errorf("sent %+v", c.sent)
	}
	// Position 0 sends nothing; a position past the checkpoint is not folded.
	c.sent = nil
	if _, ok, err := r.RecordedAt(context.Background(), 0); ok || err != nil || len(c.sent) != 0 {
		t.Errorf("RecordedAt(0) = %v, %v after %d statements", ok, err, len(c.sent))
	}
	if _, ok, err := r.RecordedAt(context.Background(), 13); ok || err != nil {
		t.Errorf("RecordedAt(13) past the checkpoint = %v, %v; want not ok", ok, err)
	}
	for name, rows := range map[string][]map[string]any{
		"no position recorded": {{"checkpoint": int64(12), "at": nil}},
		"no checkpoint":        {{"checkpoint": int64(0), "at": nil}},
	} {
		if _, ok, err := RecordedAtFromRows(rows, 3); ok || err != nil {
			t.Errorf("%s: %v, %v; want not ok", name, ok, err)
		}
	}
	if _, _, err := RecordedAtFromRows([]map[string]any{{"checkpoint": int64(12), "at": "yesterday"}}, 3); !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("a bad time: %v", err)
	}
}

// A read at a time resolves the position in the read's transaction first (StmtPositionAt),
// then reads at it; before the first write nothing is visible and a Dump is at position 0.
func TestReadAtTime(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{
		StmtPositionAt: {{"position": int64(8)}},
		StmtReadBranch: {{"branched_from": int64(5)}},
		StmtReadNodes:  {deviceRow("d1", "edge-1")},
	}}
	r := newTestReader(t, c)
	at := time.Date(2025, 3, 1, 12, 0, 8, 0, time.UTC)
	if _, err := r.Get(context.Background(), graph.Scope{Branch: "feature", Time: at}, "d1"); err != nil {
		t.Fatal(err)
	}
	if len(c.sent) != 3 || c.sent[0].Cypher != StmtPositionAt || c.sent[1].Cypher != StmtReadBranch || c.sent[2].Cypher != StmtReadNodes {
		t.Fatalf("sent %+v", c.sent)
	}
	if p := c.sent[2].Params; p["at"] != int64(8) || p["base_at"] != int64(5) {
		t.Errorf("read params %v; want at 8, base_at 5", p)
	}
	c.sent = nil
	d, err := r.Dump(context.Background(), graph.Scope{Time: at})
	if err != nil || d.Position != 8 || len(c.sent) != 2 || c.sent[1].Cypher != StmtDump || c.sent[1].Params["at"] != int64(8) {
		t.Errorf("Dump at a time: %v, position %d, sent %+v", err, d.Position, c.sent)
	}
	c.answers[StmtPositionAt] = nil
	c.sent = nil
	d, err = r.Dump(context.Background(), graph.Scope{Time: at})
	if err != nil || d.Position != 0 || c.sent[1].Params["at"] != int64(0) || c.sent[1].Params["base_at"] != int64(0) {
		t.Errorf("Dump before the first write: %v, position %d, sent %+v", err, d.Position, c.sent)
	}
}

const hierarchySchema = `
version: "1.0"
generics:
  - name: Place
    namespace: Test
    hierarchical: true
    attributes:
      - {name: name, kind: Text}
nodes:
  - name: Region
    namespace: Test
    inherit_from: [TestPlace]
    parent: ""
    children: TestCity
  - name: City
    namespace: Test
    inherit_from: [TestPlace]
    parent: TestRegion
    children: TestCity
  - name: Tag
    namespace: Test
    attributes:
      - {name: name, kind: Text}
`

func hierarchyReader(t *testing.T, c *cannedTx) *Reader {
	t.Helper()
	f, err := schema.Parse("h.yml", []byte(hierarchySchema))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.Load(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(ReaderConfig{Conn: c, Schema: func(context.Context, string, events.Position) (*schema.Set, error) { return set, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A row of StmtAncestors or StmtDescendants.
func walkRow(kind, id string, peers ...string) map[string]any {
	list := []any{}
	for _, p := range peers {
		rel := "parent__child"
		if strings.HasPrefix(p, "other:") {
			rel, p = "other", strings.TrimPrefix(p, "other:")
		}
		list = append(list, map[string]any{"rel": rel, "peer": p})
	}
	return map[string]any{"kind": kind, "id": id, "peers": list}
}

func placeRow(id, kind string) map[string]any {
	return map[string]any{"id": id, "kind": kind, "created_at": "2025-03-01T12:00:02.123456Z", "created_by": "alice",
		"attrs": []any{map[string]any{"name": "name", "json": `"` + id + `"`, "is_default": false, "is_protected": false}}}
}

func TestAncestorsFromRecordedRows(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{
		// c2 -> c1 -> r1; c1 also has a stale second parent r0 (both live: the first by id wins)
		// and a peer through another identifier; r1 points back at c2 (a cycle is cut).
		StmtAncestors: {walkRow("TestCity", "c1", "r1", "r2", "other:x"), walkRow("TestCity", "c2", "c1"), walkRow("TestCity", "r1", "c2")},
		StmtReadNodes: {placeRow("c1", "TestCity"), placeRow("r1", "TestRegion")},
	}}
	r := hierarchyReader(t, c)
	got, err := r.Ancestors(context.Background(), graph.Scope{}, "c2")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "c1" || got[1].ID != "r1" || got[0].Attributes["name"].Value != "c1" {
		t.Errorf("Ancestors = %+v; want c1 then r1", got)
	}
	if len(c.sent) != 2 || c.sent[0].Cypher != StmtAncestors || c.sent[1].Cypher != StmtReadNodes {
		t.Fatalf("sent %+v", c.sent)
	}
	if p := c.sent[0].Params; p["id"] != "c2" || !reflect.DeepEqual(p["rels"], []string{"parent__child"}) {
		t.Errorf("StmtAncestors params %v", p)
	}
	if ids := c.sent[1].Params["ids"]; !reflect.DeepEqual(ids, []string{"c1", "r1"}) {
		t.Errorf("nodes read %v; want [c1 r1]", ids)
	}
	// No row: the node does not exist in scope.
	c.answers[StmtAncestors] = nil
	if _, err := r.Ancestors(context.Background(), graph.Scope{}, "zz"); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Ancestors(zz) = %v; want ErrNotFound", err)
	}
	// A kind without a hierarchy.
	c.answers[StmtAncestors] = []map[string]any{walkRow("TestTag", "t1")}
	if _, err := r.Ancestors(context.Background(), graph.Scope{}, "t1"); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Ancestors(tag) = %v; want ErrInvalidQuery", err)
	}
	// A root: no ancestors, one statement after the walk none.
	c.answers[StmtAncestors] = []map[string]any{walkRow("TestRegion", "r1")}
	c.sent = nil
	if got, err := r.Ancestors(context.Background(), graph.Scope{}, "r1"); err != nil || got == nil || len(got) != 0 || len(c.sent) != 1 {
		t.Errorf("Ancestors(root) = %v, %v after %d statements; want an empty list after 1", got, err, len(c.sent))
	}
}

func TestDescendantsFromRecordedRows(t *testing.T) {
	set := func() *schema.Set {
		f, _ := schema.Parse("h.yml", []byte(hierarchySchema))
		s, err := schema.Load(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	// r1 has children c2 and c1; c2 has c4 and c3; c1 has c5 and (again) c3; c5 has r1 (a cycle).
	rows := []map[string]any{
		walkRow("TestRegion", "r1", "c2", "c1", "other:x"),
		walkRow("TestRegion", "c1", "c5", "c3"),
		walkRow("TestRegion", "c2", "c4", "c3", "c3"),
		walkRow("TestRegion", "c5", "r1"),
	}
	ids, err := WalkFromRows(set, rows, "r1", "children")
	if want := []string{"c1", "c2", "c3", "c5", "c4"}; err != nil || !reflect.DeepEqual(ids, want) {
		t.Errorf("descendants = %v, %v; want %v (level by level, by parent then id)", ids, err, want)
	}
	// Depth is bounded by graph.MaxDepth levels.
	var chain []map[string]any
	for i := range graph.MaxDepth + 5 {
		chain = append(chain, walkRow("TestRegion", fmt.Sprintf("n%02d", i), fmt.Sprintf("n%02d", i+1)))
	}
	if ids, _ := WalkFromRows(set, chain, "n00", "children"); len(ids) != graph.MaxDepth {
		t.Errorf("a chain of %d: %d descendants; want %d", len(chain), len(ids), graph.MaxDepth)
	}
	if ids, _ := WalkFromRows(set, chain, "n00", "parent"); len(ids) != graph.MaxDepth {
		t.Errorf("a chain of %d: %d ancestors; want %d", len(chain), len(ids), graph.MaxDepth)
	}

	c := &cannedTx{answers: map[string][]map[string]any{
		StmtReadBranch:  {{"branched_from": int64(3)}},
		StmtDescendants: rows,
		StmtReadNodes:   {placeRow("c1", "TestCity"), placeRow("c2", "TestCity"), placeRow("c3", "TestCity")},
	}}
	r := hierarchyReader(t, c)
	got, err := r.Descendants(context.Background(), graph.Scope{Branch: "feature"}, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, n := range got {
		gotIDs = append(gotIDs, n.ID)
	}
	// The nodes keep the walk's order; those the node statement does not return are not live.
	if want := []string{"c1", "c2", "c3"}; !reflect.DeepEqual(gotIDs, want) {
		t.Errorf("Descendants = %v; want %v", gotIDs, want)
	}
	if len(c.sent) != 3 || c.sent[1].Cypher != StmtDescendants || c.sent[1].Params["base_at"] != int64(3) {
		t.Errorf("sent %+v", c.sent)
	}
}
