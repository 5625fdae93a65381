// Package graphtest is the contract suite of the graph read port (projections/graph). Every
// adapter of the port (memory, and later Neo4j) must call Run from its tests with a constructor
// of a fresh, empty adapter:
//
//	func TestContract(t *testing.T) {
//		graphtest.Run(t, func(t *testing.T) graphtest.Adapter { return myadapter.New(...) })
//	}
//
// The suite writes its own event log (an events/sqlite log in t.TempDir()): a schema load, node
// events on main and on a branch, a branch creation and deletions, built directly from the event
// payloads of branch/nodes, branch and schema (the suite does not depend on the write side).
// It feeds every event of the log, in order and in a few batches, to the adapter's Apply, then
// checks the adapter's answers: reads, every filter, ordering, paging, counts, peers from both
// ends, hierarchies, branch visibility, time travel and errors.
package graphtest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Adapter is what the suite tests: a projector fed with the log, and the read port.
type Adapter interface {
	projections.Projector
	graph.Reader
}

// Run runs the contract suite against adapters made by newAdapter (each call: a fresh, empty
// adapter; the suite calls it once).
func Run(t *testing.T, newAdapter func(t *testing.T) Adapter) {
	w := newWorld(t)
	w.build(t)
	a := newAdapter(t)
	w.feed(t, a)
	s := &suite{w: w, a: a, ctx: context.Background()}

	t.Run("Get", s.get)
	t.Run("NotFound", s.notFound)
	t.Run("ListKind", s.listKind)
	t.Run("ListGeneric", s.listGeneric)
	t.Run("Filters", s.filters)
	t.Run("InvalidQuery", s.invalid)
	t.Run("Order", s.order)
	t.Run("Paging", s.paging)
	t.Run("Count", s.count)
	t.Run("Peers", s.peers)
	t.Run("Hierarchy", s.hierarchy)
	t.Run("Branch", s.branch)
	t.Run("TimeTravel", s.timeTravel)
}

type suite struct {
	w   *world
	a   Adapter
	ctx context.Context
}

var (
	main    = graph.Scope{Branch: "main"}
	feature = graph.Scope{Branch: "feature"}
)

func (s *suite) get(t *testing.T) {
	n, err := s.a.Get(s.ctx, graph.Scope{}, s.w.id["edge-1"]) // "" is the default branch
	if err != nil {
		t.Fatal(err)
	}
	if n.ID != s.w.id["edge-1"] || n.Kind != "TestDevice" {
		t.Errorf("id, kind = %s, %s; want %s, TestDevice", n.ID, n.Kind, s.w.id["edge-1"])
	}
	if !slices.Equal(n.HFID, []string{"edge-1"}) || n.DisplayLabel != "edge-1" {
		t.Errorf("hfid, display label = %q, %q", n.HFID, n.DisplayLabel)
	}
	want := map[string]graph.Attribute{
		"name":    {Value: "edge-1"},
		"role":    {Value: "edge", IsDefault: true},
		"asn":     {Value: float64(65020)},
		"enabled": {Value: true, IsDefault: true},
		"description": {Value: "Edge router in Paris", Source: s.w.id["europe"], Owner: s.w.id["america"],
			IsProtected: true},
	}
	if !reflect.DeepEqual(n.Attributes, want) {
		t.Errorf("attributes:\n got %#v\nwant %#v", n.Attributes, want)
	}
	created := s.w.at[s.w.pos["device-edge-1"]].RecordedAt
	updated := s.w.at[s.w.pos["update-b"]].RecordedAt
	if !n.CreatedAt.Equal(created) || n.CreatedBy != "alice" {
		t.Errorf("created = %v by %q; want %v by alice", n.CreatedAt, n.CreatedBy, created)
	}
	if !n.UpdatedAt.Equal(updated) || n.UpdatedBy != "carol" {
		t.Errorf("updated = %v by %q; want %v by carol", n.UpdatedAt, n.UpdatedBy, updated)
	}

	n, err = s.a.Get(s.ctx, main, s.w.id["edge-2"])
	if err != nil {
		t.Fatal(err)
	}
	if a := n.Attributes["asn"]; a.Value != nil || !a.IsDefault {
		t.Errorf("edge-2 asn = %#v; want nil, default", a)
	}
	if a := n.Attributes["description"]; a.Value != "Backup EDGE link" || a.IsDefault {
		t.Errorf("edge-2 description = %#v", a)
	}
	// A node of a kind inheriting from a generic has the generic's attributes.
	n, err = s.a.Get(s.ctx, main, s.w.id["paris"])
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != "TestSite" || n.Attributes["description"].Value != "City of light" || n.Attributes["name"].Value != "paris" {
		t.Errorf("paris = %+v", n)
	}
}

func (s *suite) notFound(t *testing.T) {
	for name, id := range map[string]string{
		"unknown id":          "0190a0a0-0000-7000-8000-000000000000",
		"malformed id":        "not-an-id",
		"deleted node":        s.w.id["access-1"],
		"node of a branch":    s.w.id["branch-1"],
		"deleted tag (green)": s.w.id["green"],
	} {
		if _, err := s.a.Get(s.ctx, main, id); !errors.Is(err, graph.ErrNotFound) {
			t.Errorf("%s: Get = %v; want ErrNotFound", name, err)
		}
	}
	if _, err := s.a.Get(s.ctx, graph.Scope{Branch: "nope"}, s.w.id["edge-1"]); !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("unknown branch: Get = %v; want ErrBranchNotFound", err)
	}
	if _, err := s.a.List(s.ctx, graph.Scope{Branch: "nope"}, graph.Query{Kind: "TestDevice"}); !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("unknown branch: List = %v; want ErrBranchNotFound", err)
	}
}

// names is the names of nodes, in order.
func (s *suite) names(nodes []graph.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = s.w.name[n.ID]
		if out[i] == "" {
			out[i] = "?" + n.ID
		}
	}
	return out
}

func (s *suite) list(t *testing.T, scope graph.Scope, q graph.Query) graph.Page {
	t.Helper()
	p, err := s.a.List(s.ctx, scope, q)
	if err != nil {
		t.Fatalf("List(%+v): %v", q, err)
	}
	return p
}

func (s *suite) expectList(t *testing.T, scope graph.Scope, q graph.Query, count int, want ...string) {
	t.Helper()
	p := s.list(t, scope, q)
	if got := s.names(p.Nodes); !slices.Equal(got, want) || p.Count != count {
		t.Errorf("List(%+v) = %d %q; want %d %q", q, p.Count, got, count, want)
	}
}

func (s *suite) listKind(t *testing.T) {
	// Default order: the schema's order_by (name__value).
	s.expectList(t, main, graph.Query{Kind: "TestDevice"}, 4, "core-1", "edge-1", "edge-2", "late-1")
	s.expectList(t, main, graph.Query{Kind: "TestTag"}, 2, "blue", "red")
	p := s.list(t, main, graph.Query{Kind: "TestDevice", Limit: 1})
	if len(p.Nodes) != 1 || p.Nodes[0].Attributes["name"].Value != "core-1" || p.Nodes[0].Kind != "TestDevice" {
		t.Errorf("listed node = %+v", p.Nodes)
	}
	// Fields: the attributes asked for are there (others may be); filters and order still see
	// every attribute.
	p = s.list(t, main, graph.Query{Kind: "TestDevice", Fields: []string{"description"},
		Filters: map[string]any{"name__value": "edge-1"}})
	if len(p.Nodes) != 1 || s.w.name[p.Nodes[0].ID] != "edge-1" {
		t.Fatalf("List with Fields and a filter on another attribute = %q", s.names(p.Nodes))
	}
	if _, ok := p.Nodes[0].Attributes["description"]; !ok {
		t.Errorf("List with Fields [description]: attributes %v lack it", p.Nodes[0].Attributes)
	}
	s.expectList(t, main, graph.Query{Kind: "TestDevice", Fields: []string{}}, 4, "core-1", "edge-1", "edge-2", "late-1")
}

func (s *suite) listGeneric(t *testing.T) {
	p := s.list(t, main, graph.Query{Kind: "TestLocation"})
	want := []string{"america", "berlin", "berlin-r1", "europe", "nyc", "paris", "paris-r1", "paris-r2"}
	if got := s.names(p.Nodes); !slices.Equal(got, want) || p.Count != len(want) {
		t.Fatalf("List(TestLocation) = %d %q; want %q", p.Count, got, want)
	}
	for _, n := range p.Nodes {
		if n.Kind != s.w.kind[s.w.name[n.ID]] {
			t.Errorf("%s: kind %s; want %s", s.w.name[n.ID], n.Kind, s.w.kind[s.w.name[n.ID]])
		}
	}
	s.expectList(t, main, graph.Query{Kind: "TestLocation", Filters: map[string]any{"name__value": "paris"}}, 1, "paris")
}

func (s *suite) filters(t *testing.T) {
	id := s.w.id
	tests := []struct {
		name    string
		kind    string
		filters map[string]any
		partial bool
		want    []string
	}{
		{"attr value", "", map[string]any{"name__value": "edge-1"}, false, []string{"edge-1"}},
		{"attr value no match", "", map[string]any{"name__value": "edge"}, false, nil},
		{"attr values", "", map[string]any{"name__values": []any{"edge-1", "core-1", "nope"}}, false, []string{"core-1", "edge-1"}},
		{"attr values []string", "", map[string]any{"name__values": []string{"late-1"}}, false, []string{"late-1"}},
		{"number as int", "", map[string]any{"asn__value": 65000}, false, []string{"core-1"}},
		{"number as float", "", map[string]any{"asn__value": 65000.0}, false, []string{"core-1"}},
		{"number as json.Number", "", map[string]any{"asn__value": json.Number("65000")}, false, []string{"core-1"}},
		{"number as int64", "", map[string]any{"asn__value": int64(65020)}, false, []string{"edge-1"}},
		{"numbers", "", map[string]any{"asn__values": []int{65000, 65020}}, false, []string{"core-1", "edge-1"}},
		{"boolean", "", map[string]any{"enabled__value": false}, false, []string{"core-1"}},
		{"boolean default", "", map[string]any{"enabled__value": true}, false, []string{"edge-1", "edge-2", "late-1"}},
		{"default value", "", map[string]any{"role__value": "edge"}, false, []string{"edge-1", "edge-2", "late-1"}},
		{"isnull true", "", map[string]any{"asn__isnull": true}, false, []string{"edge-2"}},
		{"isnull false", "", map[string]any{"asn__isnull": false}, false, []string{"core-1", "edge-1", "late-1"}},
		{"description isnull", "", map[string]any{"description__isnull": true}, false, []string{"late-1"}},
		{"rel one attr", "", map[string]any{"site__name__value": "paris"}, false, []string{"edge-1", "late-1"}},
		{"rel one attr values", "", map[string]any{"site__name__values": []any{"berlin", "nyc"}}, false, []string{"core-1", "edge-2"}},
		{"rel many attr", "", map[string]any{"tags__name__value": "blue"}, false, []string{"core-1", "edge-1"}},
		{"rel many attr values", "", map[string]any{"tags__name__values": []any{"red"}}, false, []string{"edge-1", "late-1"}},
		{"rel attr of a deleted peer", "", map[string]any{"tags__name__value": "green"}, false, nil},
		{"rel many ids", "", map[string]any{"tags__ids": []any{id["blue"]}}, false, []string{"core-1", "edge-1"}},
		{"rel one ids", "", map[string]any{"site__ids": []string{id["paris"], id["nyc"]}}, false, []string{"edge-1", "edge-2", "late-1"}},
		{"rel isnull (deleted peer)", "", map[string]any{"tags__isnull": true}, false, []string{"edge-2"}},
		{"rel isnull false", "", map[string]any{"site__isnull": false}, false, []string{"core-1", "edge-1", "edge-2", "late-1"}},
		{"rel from the other end", "TestSite", map[string]any{"devices__name__value": "core-1"}, false, []string{"berlin"}},
		{"rel from the other end many", "TestTag", map[string]any{"devices__name__values": []any{"late-1"}}, false, []string{"red"}},
		{"ids", "", map[string]any{"ids": []any{id["edge-1"], id["red"], id["access-1"], "bogus"}}, false, []string{"edge-1"}},
		{"ids and attr", "", map[string]any{"ids": []string{id["edge-1"], id["core-1"]}, "role__value": "core"}, false, []string{"core-1"}},
		{"hfid", "", map[string]any{"hfid": []any{"core-1"}}, false, []string{"core-1"}},
		{"hfid of generic", "TestLocation", map[string]any{"hfid": []string{"nyc"}}, false, []string{"nyc"}},
		{"any value", "", map[string]any{"any__value": "core-1"}, false, []string{"core-1"}},
		{"any value number", "", map[string]any{"any__value": 65000}, false, []string{"core-1"}},
		{"any value number as text", "", map[string]any{"any__value": "65100"}, false, []string{"late-1"}},
		{"any value exact only", "", map[string]any{"any__value": "paris"}, false, nil},
		{"any value partial", "", map[string]any{"any__value": "PARIS"}, true, []string{"edge-1"}},
		{"any value partial number", "", map[string]any{"any__value": "650"}, true, []string{"core-1", "edge-1"}},
		{"partial", "", map[string]any{"name__value": "EDGE"}, true, []string{"edge-1", "edge-2"}},
		{"partial in filters", "", map[string]any{"name__value": "EDGE", "partial_match": true}, false, []string{"edge-1", "edge-2"}},
		{"partial values", "", map[string]any{"name__values": []any{"core", "late"}}, true, []string{"core-1", "late-1"}},
		{"partial description", "", map[string]any{"description__value": "backup edge"}, true, []string{"edge-2"}},
		{"no partial description", "", map[string]any{"description__value": "backup edge"}, false, nil},
		{"partial rel attr", "", map[string]any{"site__name__value": "PAR"}, true, []string{"edge-1", "late-1"}},
		{"and", "", map[string]any{"role__value": "edge", "site__name__value": "paris"}, false, []string{"edge-1", "late-1"}},
		{"and none", "", map[string]any{"role__value": "core", "site__name__value": "paris"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = "TestDevice"
			}
			q := graph.Query{Kind: kind, Filters: tt.filters, PartialMatch: tt.partial, OrderBy: []graph.Order{{Path: "name__value"}}}
			p := s.list(t, main, q)
			if got := s.names(p.Nodes); !slices.Equal(got, tt.want) || p.Count != len(tt.want) {
				t.Errorf("List = %d %q; want %q", p.Count, got, tt.want)
			}
			if tt.partial {
				return // Count has no partial_match argument (but takes it in filters)
			}
			n, err := s.a.Count(s.ctx, main, kind, tt.filters)
			if err != nil || n != len(tt.want) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}
}

func (s *suite) invalid(t *testing.T) {
	for filter, value := range map[string]any{
		"nope__value":         "x",
		"name__bogus":         "x",
		"name":                "x",
		"site__nope__value":   "x",
		"site__name__bogus":   "x",
		"nope":                "x",
		"name__values":        "not a list",
		"name__value":         []any{"a", "list"},
		"asn__isnull":         "yes",
		"ids":                 "not a list",
		"tags__ids":           []any{1, 2},
		"site__name__value__": "x",
	} {
		f := map[string]any{filter: value}
		_, err := s.a.List(s.ctx, main, graph.Query{Kind: "TestDevice", Filters: f})
		if !errors.Is(err, graph.ErrInvalidQuery) || !strings.Contains(err.Error(), filter) {
			t.Errorf("List filter %s=%v: %v; want ErrInvalidQuery naming the filter", filter, value, err)
		}
		if _, err := s.a.Count(s.ctx, main, "TestDevice", f); !errors.Is(err, graph.ErrInvalidQuery) {
			t.Errorf("Count filter %s=%v: %v; want ErrInvalidQuery", filter, value, err)
		}
	}
	for _, q := range []graph.Query{
		{Kind: "NoSuchKind"},
		{Kind: "TestDevice", OrderBy: []graph.Order{{Path: "nope__value"}}},
		{Kind: "TestDevice", OrderBy: []graph.Order{{Path: "tags__name__value"}}}, // cardinality many
		{Kind: "TestDevice", OrderBy: []graph.Order{{Path: "name"}}},
		{Kind: "TestDevice", Offset: -1},
		{Kind: "TestDevice", Limit: -1},
	} {
		if _, err := s.a.List(s.ctx, main, q); !errors.Is(err, graph.ErrInvalidQuery) {
			t.Errorf("List(%+v): %v; want ErrInvalidQuery", q, err)
		}
	}
	if _, err := s.a.Count(s.ctx, main, "NoSuchKind", nil); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Count(NoSuchKind): %v; want ErrInvalidQuery", err)
	}
	if _, err := s.a.Peers(s.ctx, main, []string{s.w.id["edge-1"]}, "TestDevice", "nope"); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Peers(nope): %v; want ErrInvalidQuery", err)
	}
	if _, err := s.a.Peers(s.ctx, main, []string{s.w.id["edge-1"]}, "NoSuchKind", "site"); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Peers(NoSuchKind): %v; want ErrInvalidQuery", err)
	}
}

// byID is the names sorted by node id (creation order).
func (s *suite) byID(names ...string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(s.w.id[a], s.w.id[b]) })
	return out
}

func (s *suite) order(t *testing.T) {
	o := func(path string, desc bool) graph.Order { return graph.Order{Path: path, Desc: desc} }
	all := []string{"core-1", "edge-1", "edge-2", "late-1"}
	tests := []struct {
		name  string
		order []graph.Order
		want  []string
	}{
		{"schema default", nil, all},
		{"explicit name", []graph.Order{o("name__value", false)}, all},
		{"name desc", []graph.Order{o("name__value", true)}, []string{"late-1", "edge-2", "edge-1", "core-1"}},
		{"empty: by id", []graph.Order{}, s.byID(all...)},
		{"id", []graph.Order{o("id", false)}, s.byID(all...)},
		{"number, missing last", []graph.Order{o("asn__value", false)}, []string{"core-1", "edge-1", "late-1", "edge-2"}},
		{"number desc, missing first", []graph.Order{o("asn__value", true)}, []string{"edge-2", "late-1", "edge-1", "core-1"}},
		{"two keys", []graph.Order{o("role__value", false), o("name__value", true)}, []string{"core-1", "late-1", "edge-2", "edge-1"}},
		{"relationship", []graph.Order{o("site__name__value", false)}, append([]string{"core-1", "edge-2"}, s.byID("edge-1", "late-1")...)},
		{"relationship desc", []graph.Order{o("site__name__value", true)}, append(s.byID("edge-1", "late-1"), "edge-2", "core-1")},
		{"relationship then name desc", []graph.Order{o("site__name__value", false), o("name__value", true)}, []string{"core-1", "edge-2", "late-1", "edge-1"}},
		{"created desc", []graph.Order{o("node_metadata__created_at", true), o("name__value", false)}, []string{"late-1", "core-1", "edge-2", "edge-1"}},
		{"updated", []graph.Order{o("node_metadata__updated_at", false), o("name__value", false)}, []string{"edge-2", "edge-1", "core-1", "late-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.expectList(t, main, graph.Query{Kind: "TestDevice", OrderBy: tt.order}, len(tt.want), tt.want...)
		})
	}
	// A generic's order_by, and a relationship path on a generic (parent__name__value).
	s.expectList(t, main, graph.Query{Kind: "TestLocation", OrderBy: []graph.Order{o("parent__name__value", false), o("name__value", false)}}, 8,
		"nyc", "berlin-r1", "berlin", "paris", "paris-r1", "paris-r2", "america", "europe")
}

func (s *suite) paging(t *testing.T) {
	q := func(offset, limit int, filters map[string]any) graph.Query {
		return graph.Query{Kind: "TestDevice", Offset: offset, Limit: limit, Filters: filters}
	}
	s.expectList(t, main, q(1, 2, nil), 4, "edge-1", "edge-2")
	s.expectList(t, main, q(0, 0, nil), 4, "core-1", "edge-1", "edge-2", "late-1")
	s.expectList(t, main, q(3, 5, nil), 4, "late-1")
	s.expectList(t, main, q(10, 1, nil), 4)
	s.expectList(t, main, q(1, 1, map[string]any{"role__value": "edge"}), 3, "edge-2")
	s.expectList(t, main, graph.Query{Kind: "TestDevice", Offset: 1, Limit: 2, OrderBy: []graph.Order{{Path: "name__value", Desc: true}}}, 4, "edge-2", "edge-1")
	s.expectList(t, main, graph.Query{Kind: "TestLocation", Offset: 6, Limit: 10}, 8, "paris-r1", "paris-r2")
}

func (s *suite) count(t *testing.T) {
	for _, tt := range []struct {
		scope   graph.Scope
		kind    string
		filters map[string]any
		want    int
	}{
		{main, "TestDevice", nil, 4},
		{main, "TestTag", nil, 2},
		{main, "TestLocation", nil, 8},
		{main, "TestRack", nil, 3},
		{main, "TestDevice", map[string]any{}, 4},
		{main, "TestDevice", map[string]any{"role__value": "edge"}, 3},
		{main, "TestDevice", map[string]any{"name__value": "EDGE", "partial_match": true}, 2},
		{feature, "TestDevice", nil, 5},
		{feature, "TestTag", nil, 3},
		{graph.Scope{Branch: "main", At: s.w.pos["devices"]}, "TestDevice", nil, 4},
		{graph.Scope{Branch: "main", At: s.w.pos["tags"]}, "TestDevice", nil, 0},
	} {
		n, err := s.a.Count(s.ctx, tt.scope, tt.kind, tt.filters)
		if err != nil || n != tt.want {
			t.Errorf("Count(%+v, %s, %v) = %d, %v; want %d", tt.scope, tt.kind, tt.filters, n, err, tt.want)
		}
	}
}

// edges renders Peers' answer as node name -> peer names (in the answer's order).
func (s *suite) edges(t *testing.T, scope graph.Scope, kind, rel string, names ...string) map[string][]string {
	t.Helper()
	ids := make([]string, len(names))
	for i, n := range names {
		ids[i] = s.w.id[n]
	}
	m, err := s.a.Peers(s.ctx, scope, ids, kind, rel)
	if err != nil {
		t.Fatalf("Peers(%s.%s): %v", kind, rel, err)
	}
	out := map[string][]string{}
	for id, es := range m {
		if len(es) == 0 {
			continue
		}
		for _, e := range es {
			out[s.w.name[id]] = append(out[s.w.name[id]], s.w.name[e.Peer])
			if e.PeerKind != s.w.kind[s.w.name[e.Peer]] {
				t.Errorf("Peers(%s.%s): peer %s has kind %s; want %s", kind, rel, s.w.name[e.Peer], e.PeerKind, s.w.kind[s.w.name[e.Peer]])
			}
		}
	}
	return out
}

func (s *suite) expectEdges(t *testing.T, scope graph.Scope, kind, rel string, names []string, want map[string][]string) {
	t.Helper()
	if got := s.edges(t, scope, kind, rel, names...); !reflect.DeepEqual(got, want) {
		t.Errorf("Peers(%v, %s.%s):\n got %v\nwant %v", names, kind, rel, got, want)
	}
}

func (s *suite) peers(t *testing.T) {
	devices := []string{"edge-1", "core-1", "edge-2", "late-1", "access-1", "branch-1"}
	// Cardinality many, from the end that wrote the edges; the deleted tag green is skipped,
	// deleted access-1 and branch-1 (not on main) have none.
	s.expectEdges(t, main, "TestDevice", "tags", devices, map[string][]string{
		"edge-1": s.byID("red", "blue"), "core-1": {"blue"}, "late-1": {"red"}})
	// The same edges from the other end.
	s.expectEdges(t, main, "TestTag", "devices", []string{"red", "blue", "green"}, map[string][]string{
		"red": s.byID("edge-1", "late-1"), "blue": s.byID("edge-1", "core-1")})
	// Cardinality one, both ends; access-1's edge to nyc went with it.
	s.expectEdges(t, main, "TestDevice", "site", devices, map[string][]string{
		"edge-1": {"paris"}, "core-1": {"berlin"}, "edge-2": {"nyc"}, "late-1": {"paris"}})
	s.expectEdges(t, main, "TestSite", "devices", []string{"paris", "berlin", "nyc"}, map[string][]string{
		"paris": s.byID("edge-1", "late-1"), "berlin": {"core-1"}, "nyc": {"edge-2"}})
	// Hierarchy: parent (outbound) and children (inbound), through a generic too.
	s.expectEdges(t, main, "TestRack", "parent", []string{"paris-r1", "paris-r2", "berlin-r1"}, map[string][]string{
		"paris-r1": {"paris"}, "paris-r2": {"paris"}, "berlin-r1": {"berlin"}})
	s.expectEdges(t, main, "TestLocation", "children", []string{"europe", "america", "paris", "paris-r1"}, map[string][]string{
		"europe": s.byID("paris", "berlin"), "america": {"nyc"}, "paris": s.byID("paris-r1", "paris-r2")})
	// On the branch: green and access-1 still exist, branch-1 too.
	s.expectEdges(t, feature, "TestSite", "devices", []string{"berlin", "nyc"}, map[string][]string{
		"berlin": s.byID("core-1", "branch-1"), "nyc": s.byID("edge-2", "access-1")})
	s.expectEdges(t, feature, "TestDevice", "tags", []string{"edge-2"}, map[string][]string{"edge-2": {"green"}})
	// Unknown ids are no error.
	s.expectEdges(t, main, "TestDevice", "site", []string{"nope"}, map[string][]string{})

	// Relationship properties of the near end.
	m, err := s.a.Peers(s.ctx, main, []string{s.w.id["edge-1"]}, "TestDevice", "site")
	if err != nil {
		t.Fatal(err)
	}
	want := []graph.Edge{{Peer: s.w.id["paris"], PeerKind: "TestSite", Source: s.w.id["europe"], IsProtected: true}}
	if got := m[s.w.id["edge-1"]]; !reflect.DeepEqual(got, want) {
		t.Errorf("edge-1 site edge = %+v; want %+v", got, want)
	}
}

func (s *suite) hierarchy(t *testing.T) {
	walk := func(f func(context.Context, graph.Scope, string) ([]graph.Node, error), scope graph.Scope, name string, want ...string) {
		t.Helper()
		nodes, err := f(s.ctx, scope, s.w.id[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := s.names(nodes); !slices.Equal(got, want) {
			t.Errorf("%s: %q; want %q", name, got, want)
		}
		for _, n := range nodes {
			if n.Attributes["name"].Value != s.w.name[n.ID] {
				t.Errorf("%s: node %s read without its attributes: %+v", name, s.w.name[n.ID], n)
			}
		}
	}
	walk(s.a.Ancestors, main, "paris-r1", "paris", "europe")
	walk(s.a.Ancestors, main, "nyc", "america")
	walk(s.a.Ancestors, main, "europe")
	level1 := s.byID("paris", "berlin")
	var level2 []string
	for _, site := range level1 {
		if site == "paris" {
			level2 = append(level2, s.byID("paris-r1", "paris-r2")...)
		} else {
			level2 = append(level2, "berlin-r1")
		}
	}
	walk(s.a.Descendants, main, "europe", append(level1, level2...)...)
	walk(s.a.Descendants, main, "america", "nyc")
	walk(s.a.Descendants, main, "paris", s.byID("paris-r1", "paris-r2")...)
	walk(s.a.Descendants, main, "paris-r1")

	if _, err := s.a.Ancestors(s.ctx, main, s.w.id["edge-1"]); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Ancestors of a device: %v; want ErrInvalidQuery", err)
	}
	if _, err := s.a.Descendants(s.ctx, main, s.w.id["red"]); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Descendants of a tag: %v; want ErrInvalidQuery", err)
	}
	if _, err := s.a.Ancestors(s.ctx, main, s.w.id["access-1"]); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Ancestors of a deleted node: %v; want ErrNotFound", err)
	}
	if _, err := s.a.Descendants(s.ctx, main, "0190a0a0-0000-7000-8000-000000000000"); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Descendants of an unknown node: %v; want ErrNotFound", err)
	}
	// Before the racks existed.
	walk(s.a.Descendants, graph.Scope{Branch: "main", At: s.w.pos["sites"]}, "europe", level1...)
}

func (s *suite) attr(t *testing.T, scope graph.Scope, name, attr string) any {
	t.Helper()
	n, err := s.a.Get(s.ctx, scope, s.w.id[name])
	if err != nil {
		t.Fatalf("Get(%+v, %s): %v", scope, name, err)
	}
	return n.Attributes[attr].Value
}

func (s *suite) branch(t *testing.T) {
	// The branch sees main as of its creation plus its own writes.
	s.expectList(t, feature, graph.Query{Kind: "TestDevice"}, 5, "access-1", "branch-1", "core-1", "edge-1", "edge-2")
	s.expectList(t, feature, graph.Query{Kind: "TestTag"}, 3, "blue", "green", "red")
	if _, err := s.a.Get(s.ctx, feature, s.w.id["late-1"]); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("late-1 (main, after the branch) on feature: %v; want ErrNotFound", err)
	}
	if got := s.attr(t, feature, "core-1", "description"); got != nil {
		t.Errorf("core-1 description on feature = %v; want nil (set on main after the branch)", got)
	}
	if got := s.attr(t, main, "core-1", "description"); got != "Core in Berlin" {
		t.Errorf("core-1 description on main = %v", got)
	}
	if got := s.attr(t, feature, "edge-2", "asn"); got != float64(64999) {
		t.Errorf("edge-2 asn on feature = %v; want 64999", got)
	}
	if got := s.attr(t, main, "edge-2", "asn"); got != nil {
		t.Errorf("edge-2 asn on main = %v; want nil (set on the branch)", got)
	}
	if got := s.attr(t, feature, "edge-1", "asn"); got != float64(65020) {
		t.Errorf("edge-1 asn on feature = %v; want 65020 (main before the branch)", got)
	}
	s.expectList(t, feature, graph.Query{Kind: "TestDevice", Filters: map[string]any{"site__name__value": "berlin"}}, 2, "branch-1", "core-1")
	s.expectList(t, feature, graph.Query{Kind: "TestDevice", Filters: map[string]any{"asn__value": 64999}}, 1, "edge-2")
	s.expectList(t, main, graph.Query{Kind: "TestDevice", Filters: map[string]any{"asn__value": 64999}}, 0)
	n, err := s.a.Get(s.ctx, feature, s.w.id["edge-2"])
	if err != nil {
		t.Fatal(err)
	}
	if n.UpdatedBy != "dave" {
		t.Errorf("edge-2 updated by %q on feature; want dave", n.UpdatedBy)
	}
}

func (s *suite) timeTravel(t *testing.T) {
	a, b := s.w.pos["update-a"], s.w.pos["update-b"]
	at := func(pos int64) graph.Scope { return graph.Scope{Branch: "main", At: pos} }
	if got := s.attr(t, at(a), "edge-1", "asn"); got != float64(65010) {
		t.Errorf("asn at update a = %v; want 65010", got)
	}
	if got := s.attr(t, at(b-1), "edge-1", "asn"); got != float64(65010) {
		t.Errorf("asn just before update b = %v; want 65010", got)
	}
	if got := s.attr(t, at(a-1), "edge-1", "asn"); got != float64(65001) {
		t.Errorf("asn before update a = %v; want 65001", got)
	}
	if got := s.attr(t, at(b), "edge-1", "asn"); got != float64(65020) {
		t.Errorf("asn at update b = %v; want 65020", got)
	}
	s.expectList(t, at(a), graph.Query{Kind: "TestDevice", Filters: map[string]any{"asn__value": 65010}}, 1, "edge-1")
	// Before the devices, and before a deletion.
	if _, err := s.a.Get(s.ctx, at(s.w.pos["tags"]), s.w.id["edge-1"]); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("edge-1 before its creation: %v; want ErrNotFound", err)
	}
	s.expectList(t, at(s.w.pos["devices"]), graph.Query{Kind: "TestDevice"}, 4, "access-1", "core-1", "edge-1", "edge-2")
	s.expectList(t, at(s.w.pos["feature"]), graph.Query{Kind: "TestTag"}, 3, "blue", "green", "red")
	s.expectEdges(t, at(s.w.pos["feature"]), "TestDevice", "tags", []string{"edge-2"}, map[string][]string{"edge-2": {"green"}})
	n, err := s.a.Get(s.ctx, at(a), s.w.id["edge-1"])
	if err != nil {
		t.Fatal(err)
	}
	if want := s.w.at[a].RecordedAt; !n.UpdatedAt.Equal(want) {
		t.Errorf("updated at, as of update a = %v; want %v", n.UpdatedAt, want)
	}

	// PositionAt turns a time into a position.
	pa, err := s.a.PositionAt(s.ctx, s.w.at[a].RecordedAt)
	if err != nil {
		t.Fatal(err)
	}
	if pa < a || pa >= b {
		t.Errorf("PositionAt(time of update a) = %d; want in [%d, %d)", pa, a, b)
	}
	if got := s.attr(t, at(pa), "edge-1", "asn"); got != float64(65010) {
		t.Errorf("asn at PositionAt(time of update a) = %v; want 65010", got)
	}
	if p, err := s.a.PositionAt(s.ctx, s.w.at[1].RecordedAt.Add(-time.Hour)); err != nil || p != 0 {
		t.Errorf("PositionAt(before the log) = %d, %v; want 0", p, err)
	}
	last := s.w.all[len(s.w.all)-1].GlobalPosition
	if p, err := s.a.PositionAt(s.ctx, time.Now().Add(time.Hour)); err != nil || p != last {
		t.Errorf("PositionAt(the future) = %d, %v; want %d", p, err, last)
	}
}
