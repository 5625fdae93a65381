package neo4j

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
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

const readSchema = `
version: "1.0"
generics:
  - name: Thing
    namespace: Test
    attributes:
      - {name: name, kind: Text}
nodes:
  - name: Site
    namespace: Test
    inherit_from: [TestThing]
  - name: Tag
    namespace: Test
    inherit_from: [TestThing]
  - name: Device
    namespace: Test
    inherit_from: [TestThing]
    order_by: [name__value]
    attributes:
      - {name: asn, kind: Number, optional: true}
      - {name: description, kind: Text, optional: true}
    relationships:
      - {name: site, peer: TestSite, cardinality: one, optional: true, identifier: device__site, direction: outbound}
      - {name: tags, peer: TestTag, cardinality: many, optional: true, identifier: device__tag}
`

func readSet(t *testing.T) *schema.Set {
	t.Helper()
	f, err := schema.Parse("read.yml", []byte(readSchema))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.Load(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// goldenText compares got with testdata/name (plain text, Cypher as sent), or rewrites it with
// -update.
func goldenText(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it after review):\n got %s\nwant %s", path, got, want)
	}
}

func TestReadStatementsGolden(t *testing.T) {
	stmts := ReadStatements()
	names := make([]string, 0, len(stmts))
	for n := range stmts {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "== %s ==\n%s\n\n", n, stmts[n])
	}
	goldenText(t, "read_statements.golden", b.String())
}

// The List statement of a set of queries: filters of every operation, generics, orders,
// paging, counts.
func TestListStatementGolden(t *testing.T) {
	set := readSet(t)
	cases := []struct {
		name string
		q    graph.Query
		cnt  bool
	}{
		{name: "kind, schema order, page", q: graph.Query{Kind: "TestDevice", Offset: 10, Limit: 5}},
		{name: "generic, by id", q: graph.Query{Kind: "TestThing"}},
		{name: "ids and value", q: graph.Query{Kind: "TestDevice", Filters: map[string]any{"ids": []string{"a", "b"}, "name__value": "edge-1"}}},
		{name: "values as text, partial", q: graph.Query{Kind: "TestDevice", PartialMatch: true,
			Filters: map[string]any{"asn__values": []any{"65000", 65001}, "name__value": "EDGE"}}},
		{name: "isnull and hfid", q: graph.Query{Kind: "TestDevice", Filters: map[string]any{"description__isnull": true, "hfid": []string{"edge-1"}}}},
		{name: "any value", q: graph.Query{Kind: "TestDevice", Filters: map[string]any{"any__value": "edge", "partial_match": true}}},
		{name: "relationship filters", q: graph.Query{Kind: "TestDevice", Filters: map[string]any{
			"site__ids": []string{"s1"}, "tags__isnull": false, "tags__name__value": "red"}}},
		{name: "orders", q: graph.Query{Kind: "TestDevice", OrderBy: []graph.Order{
			{Path: "site__name__value", Desc: true}, {Path: "asn__value"}, {Path: "node_metadata__created_at"}}}},
		{name: "count", q: graph.Query{Kind: "TestDevice", Filters: map[string]any{"asn__value": 65000}}, cnt: true},
	}
	var b strings.Builder
	for _, c := range cases {
		in, err := listInput(set, c.q.Kind, c.q.Filters, c.q.PartialMatch)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if in.Keys, err = graph.ResolveOrder(set, c.q.Kind, c.q.OrderBy); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		in.Offset, in.Limit, in.Count = c.q.Offset, c.q.Limit, c.cnt
		st, err := ListStatement(in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		params, _ := json.MarshalIndent(st.Params, "", "  ")
		fmt.Fprintf(&b, "== %s ==\n%s\n-- params --\n%s\n\n", c.name, st.Cypher, params)
	}
	goldenText(t, "read_list.golden", b.String())
}

// A text value matches the number or boolean it spells, not another spelling of it
// (graph.Filter.Match).
func TestJSONsOf(t *testing.T) {
	for v, want := range map[any][]string{
		"65000": {`"65000"`, `65000`}, "1.0": {`"1.0"`}, "true": {`"true"`, `true`}, "x": {`"x"`},
		65000.0: {`65000`}, false: {`false`}, nil: {`null`},
	} {
		if got := jsonsOf(v); !reflect.DeepEqual(got, want) {
			t.Errorf("jsonsOf(%#v) = %q; want %q", v, got, want)
		}
	}
}

// cannedTx answers canned rows by statement and records what was sent.
type cannedTx struct {
	answers map[string][]map[string]any // by statement text; "list" for any List statement
	sent    []Statement
	closed  int
	err     error
}

func (c *cannedTx) BeginRead(context.Context) (ReadTx, error) { return c, c.err }

func (c *cannedTx) Run(_ context.Context, cypher string, params map[string]any) ([]map[string]any, error) {
	c.sent = append(c.sent, Statement{Cypher: cypher, Params: params})
	if rows, ok := c.answers[cypher]; ok {
		return rows, nil
	}
	if strings.HasPrefix(cypher, "MATCH (n:Node)\nWHERE n.kind IN $kinds") {
		return c.answers["list"], nil
	}
	return nil, nil
}

func (c *cannedTx) Close(context.Context) error { c.closed++; return nil }

func newTestReader(t *testing.T, c *cannedTx) *Reader {
	t.Helper()
	set := readSet(t)
	r, err := NewReader(ReaderConfig{Conn: c, Poll: time.Millisecond,
		Schema: func(context.Context, string, events.Position) (*schema.Set, error) { return set, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A node row as StmtReadNodes returns it (the driver's types: int64, string, []any, map).
func deviceRow(id, name string) map[string]any {
	return map[string]any{"id": id, "kind": "TestDevice", "created_at": "2025-03-01T12:00:02.123456Z", "created_by": "alice",
		"updated_at": "2025-03-01T12:00:05.123456Z", "updated_by": "bob", "attrs": []any{
			map[string]any{"name": "name", "json": `"` + name + `"`, "is_default": false, "is_protected": false, "source": nil, "source_kind": nil, "owner": nil},
			map[string]any{"name": "asn", "json": `65022`, "is_default": false, "is_protected": true, "source": "p1", "source_kind": "ProfileTestDevice", "owner": "s1"},
			map[string]any{"name": HFIDAttribute, "json": `["` + name + `"]`, "is_default": false, "is_protected": false},
			map[string]any{"name": LabelAttribute, "json": `"` + name + `"`, "is_default": false, "is_protected": false},
		}}
}

func TestGetFromRecordedRows(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{
		StmtReadBranch: {{"branched_from": int64(5)}},
		StmtReadNodes:  {deviceRow("d1", "edge-1")},
	}}
	r := newTestReader(t, c)
	n, err := r.Get(context.Background(), graph.Scope{Branch: "feature", At: 9}, "d1")
	if err != nil {
		t.Fatal(err)
	}
	want := graph.Node{ID: "d1", Kind: "TestDevice", HFID: []string{"edge-1"}, DisplayLabel: "edge-1",
		Attributes: map[string]graph.Attribute{
			"name":        {Value: "edge-1"},
			"asn":         {Value: 65022.0, IsProtected: true, Source: "p1", Owner: "s1", IsFromProfile: true},
			"description": {IsDefault: true}, // never set
		},
		CreatedAt: time.Date(2025, 3, 1, 12, 0, 2, 123456000, time.UTC), CreatedBy: "alice",
		UpdatedAt: time.Date(2025, 3, 1, 12, 0, 5, 123456000, time.UTC), UpdatedBy: "bob"}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("Get = %+v\nwant %+v", n, want)
	}
	// Two statements in one transaction: the branch's base, then the node; the branch sees main
	// up to its base (5), itself up to 9.
	if len(c.sent) != 2 || c.sent[0].Cypher != StmtReadBranch || c.sent[1].Cypher != StmtReadNodes || c.closed != 1 {
		t.Fatalf("sent %d statements, closed %d", len(c.sent), c.closed)
	}
	p := c.sent[1].Params
	if p["branch"] != "feature" || p["base"] != "main" || p["at"] != int64(9) || p["base_at"] != int64(5) || !reflect.DeepEqual(p["ids"], []string{"d1"}) {
		t.Errorf("params = %v", p)
	}
}

func TestGetNotFoundAndBranches(t *testing.T) {
	ctx := context.Background()
	c := &cannedTx{answers: map[string][]map[string]any{}}
	r := newTestReader(t, c)
	if _, err := r.Get(ctx, graph.Scope{}, "nope"); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Get of a missing node = %v; want ErrNotFound", err)
	}
	// The default branch: one statement, at the head, no base lookup.
	if len(c.sent) != 1 || c.sent[0].Params["at"] != int64(math.MaxInt64) || c.sent[0].Params["base_at"] != int64(math.MaxInt64) {
		t.Errorf("sent %+v", c.sent)
	}
	if _, err := r.Get(ctx, graph.Scope{Branch: "nope"}, "x"); !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("Get on a missing branch = %v; want ErrBranchNotFound", err)
	}
	if _, err := r.Get(ctx, graph.Scope{At: -1}, "x"); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Get at -1 = %v; want ErrInvalidQuery", err)
	}
	c.err = errors.New("connection refused")
	if _, err := r.Get(ctx, graph.Scope{}, "x"); !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("Get with the database down = %v; want ErrUnavailable", err)
	}
}

func TestListFromRecordedRows(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{
		"list":        {{"count": int64(7), "page": []any{"d2", "d1"}}},
		StmtReadNodes: {deviceRow("d1", "edge-1"), deviceRow("d2", "edge-2")}, // in id order
	}}
	r := newTestReader(t, c)
	p, err := r.List(context.Background(), graph.Scope{}, graph.Query{Kind: "TestThing", Filters: map[string]any{"name__value": "x"},
		Offset: 3, Limit: 2, Fields: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 7 || len(p.Nodes) != 2 || p.Nodes[0].ID != "d2" || p.Nodes[1].ID != "d1" || len(p.Nodes[0].Attributes) != 1 {
		t.Errorf("List = %+v; want count 7, d2 then d1 (the page's order), only name", p)
	}
	if len(c.sent) != 2 || !reflect.DeepEqual(c.sent[0].Params["kinds"], []string{"TestDevice", "TestSite", "TestTag"}) ||
		!reflect.DeepEqual(c.sent[1].Params["ids"], []string{"d2", "d1"}) {
		t.Errorf("sent %+v", c.sent)
	}
	if _, err := r.List(context.Background(), graph.Scope{}, graph.Query{Kind: "TestDevice", Filters: map[string]any{"nope__value": 1}}); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("unknown filter: %v", err)
	}
	if _, err := r.List(context.Background(), graph.Scope{}, graph.Query{Kind: "TestDevice", Limit: -1}); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("negative limit: %v", err)
	}
}

func TestCountFromRecordedRows(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{"list": {{"count": int64(4)}}}}
	r := newTestReader(t, c)
	n, err := r.Count(context.Background(), graph.Scope{}, "TestDevice", map[string]any{"asn__value": 1})
	if err != nil || n != 4 {
		t.Errorf("Count = %d, %v; want 4", n, err)
	}
	if len(c.sent) != 1 || !strings.HasSuffix(c.sent[0].Cypher, "RETURN count(n) AS count") {
		t.Errorf("sent %+v", c.sent)
	}
}

func TestPeersFromRecordedRows(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{StmtPeersBoth: {
		{"id": "d1", "peer": "t1", "peer_kind": "TestTag"},
		{"id": "d1", "peer": "t1", "peer_kind": "TestTag"}, // two Relationship vertices
		{"id": "d1", "peer": "t2", "peer_kind": "TestTag"},
		{"id": "d2", "peer": "t1", "peer_kind": "TestTag"},
	}}}
	r := newTestReader(t, c)
	got, err := r.Peers(context.Background(), graph.Scope{}, []string{"d1", "d2", "d3"}, "TestDevice", "tags")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]graph.Edge{"d1": {{Peer: "t1", PeerKind: "TestTag"}, {Peer: "t2", PeerKind: "TestTag"}}, "d2": {{Peer: "t1", PeerKind: "TestTag"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Peers = %v; want %v", got, want)
	}
	if len(c.sent) != 1 || c.sent[0].Params["rel"] != "device__tag" {
		t.Errorf("sent %+v", c.sent)
	}
	// An outbound relationship reads with the outbound statement.
	c.sent = nil
	if _, err := r.Peers(context.Background(), graph.Scope{}, []string{"d1"}, "TestDevice", "site"); err != nil || len(c.sent) != 1 || c.sent[0].Cypher != StmtPeersOut {
		t.Errorf("site: %v, sent %+v", err, c.sent)
	}
	if _, err := r.Peers(context.Background(), graph.Scope{}, []string{"d1"}, "TestDevice", "nope"); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("unknown relationship: %v", err)
	}
}

func TestWaitForPollsCheckpoint(t *testing.T) {
	c := &cannedTx{answers: map[string][]map[string]any{StmtCheckpointRead: {{"position": int64(5), "version": int64(Version)}}}}
	r := newTestReader(t, c)
	if err := r.WaitFor(context.Background(), 5); err != nil || len(c.sent) != 1 || c.sent[0].Params["name"] != DefaultName {
		t.Errorf("WaitFor(5) = %v, sent %+v", err, c.sent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.WaitFor(ctx, 6); !errors.Is(err, context.DeadlineExceeded) || len(c.sent) < 3 {
		t.Errorf("WaitFor(6) = %v after %d polls; want the deadline after several polls", err, len(c.sent))
	}
}

func TestNewReaderConfig(t *testing.T) {
	if r, err := NewReader(ReaderConfig{}); !errors.Is(err, fault.ErrInvalid) || r != nil {
		t.Errorf("NewReader({}) = %v, %v; want fault.ErrInvalid", r, err)
	}
}
