package graphtest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/infrahub-go/infrahub/projections/graph"
)

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
