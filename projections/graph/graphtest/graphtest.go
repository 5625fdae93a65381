// Package graphtest is the contract suite of the graph read port (projections/graph). Every
// adapter of the port must call Run from its tests with a constructor of a fresh, empty adapter:
//
//	func TestContract(t *testing.T) {
//		graphtest.Run(t, func(t *testing.T) graphtest.Adapter { return myadapter.New(...) })
//	}
//
// The suite writes its own event log (an events/sqlite log in t.TempDir()): a schema load, node
// events on main and on a branch, a branch creation, deletions, IP prefixes and addresses and a
// conflict, built directly from the event payloads of branch/nodes, branch and schema (the
// suite does not depend on the write side). It feeds every event of the log, in order and in a
// few batches, to the adapter's Apply, then checks the adapter's answers to the whole port
// (graph.Port): reads, every filter, ordering, paging, counts, peers from both ends,
// hierarchies, branch visibility, time travel, diffs, dumps, IPAM and waiting, and errors.
//
// It is test support: only _test.go files import it.
package graphtest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Adapter is what the suite tests: a projector fed with the log, and the whole read port.
type Adapter interface {
	projections.Projector
	graph.Port
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
	t.Run("Diff", s.diff)
	t.Run("Dump", s.dump)
	t.Run("NextAvailable", s.nextAvailable)
	t.Run("Utilization", s.utilization)
	t.Run("WaitFor", s.waitFor)
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

// byID is the names sorted by node id (creation order).
func (s *suite) byID(names ...string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(s.w.id[a], s.w.id[b]) })
	return out
}
