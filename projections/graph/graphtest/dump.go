package graphtest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/projections/graph"
)

// dumpNames renders a dump's nodes as "kind name" in order.
func (s *suite) dumpNames(d graph.Dump) []string {
	out := make([]string, len(d.Nodes))
	for i, n := range d.Nodes {
		out[i] = n.Kind + " " + s.w.name[n.ID]
	}
	return out
}

// kindNames is "kind name" for each name, by id (the order of a dump within a kind).
func (s *suite) kindNames(kind string, names ...string) []string {
	var out []string
	for _, n := range s.byID(names...) {
		out = append(out, kind+" "+n)
	}
	return out
}

func (s *suite) dumpOf(t *testing.T, scope graph.Scope) graph.Dump {
	t.Helper()
	d, err := s.a.Dump(s.ctx, scope)
	if err != nil {
		t.Fatalf("Dump(%+v): %v", scope, err)
	}
	return d
}

func (s *suite) dump(t *testing.T) {
	last := s.w.all[len(s.w.all)-1].GlobalPosition
	d := s.dumpOf(t, graph.Scope{}) // "" is the default branch
	if d.Branch != "main" || d.Position != last {
		t.Errorf("branch, position = %q, %d; want main, %d", d.Branch, d.Position, last)
	}
	// Sorted by kind, then id; deleted nodes and the branch's are not there.
	want := slices.Concat(
		s.kindNames("TestAddress", "10.0.0.1/29", "10.0.0.2/29", "10.0.0.4/29", "10.0.1.1/30", "10.0.1.2/30"),
		s.kindNames("TestDevice", "core-1", "edge-1", "edge-2", "late-1"),
		s.kindNames("TestPrefix", "10.0.0.0/29", "10.0.1.0/30", "10.1.0.0/16", "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/25", "10.2.0.128/25"),
		s.kindNames("TestRack", "paris-r1", "paris-r2", "berlin-r1"),
		s.kindNames("TestRegion", "europe", "america"),
		s.kindNames("TestSite", "paris", "berlin", "nyc"),
		s.kindNames("TestTag", "red", "blue"))
	if got := s.dumpNames(d); !slices.Equal(got, want) {
		t.Errorf("main's dump:\n got %q\nwant %q", got, want)
	}
	byName := map[string]graph.DumpedNode{}
	for _, n := range d.Nodes {
		byName[s.w.name[n.ID]] = n
	}
	id := s.w.id
	edge1 := graph.DumpedNode{ID: id["edge-1"], Kind: "TestDevice", HFID: []string{"edge-1"}, DisplayLabel: "edge-1",
		Attributes: map[string]graph.DumpedAttribute{
			"name":    {Value: "edge-1"},
			"role":    {Value: "edge", IsDefault: true},
			"asn":     {Value: float64(65020)},
			"enabled": {Value: true, IsDefault: true},
			"description": {Value: "Edge router in Paris", Source: id["europe"], Owner: id["america"],
				IsProtected: true},
		},
		Relationships: map[string][]string{"site": {id["paris"]}, "tags": {id["red"], id["blue"]}},
	}
	slices.Sort(edge1.Relationships["tags"])
	if got := byName["edge-1"]; !reflect.DeepEqual(got, edge1) {
		t.Errorf("edge-1:\n got %+v\nwant %+v", got, edge1)
	}
	// A relationship whose only peer was deleted lists no peer.
	if tags, ok := byName["edge-2"].Relationships["tags"]; !ok || len(tags) != 0 {
		t.Errorf("edge-2 tags (green, deleted) = %q, %v; want an empty list", tags, ok)
	}
	if got := byName["blue"].Attributes["color"].Value; got != "Cyan" {
		t.Errorf("blue color on main = %v; want Cyan", got)
	}
	if got := byName["10.0.0.1/29"].Relationships["ip_prefix"]; !slices.Equal(got, []string{id["10.0.0.0/29"]}) {
		t.Errorf("10.0.0.1/29 ip_prefix = %q; want 10.0.0.0/29", got)
	}

	// The branch: main as of its creation plus its own writes.
	fd := s.dumpOf(t, feature)
	if fd.Branch != "feature" {
		t.Errorf("feature's dump is of branch %q", fd.Branch)
	}
	names := map[string]graph.DumpedNode{}
	for _, n := range fd.Nodes {
		names[s.w.name[n.ID]] = n
	}
	for _, name := range []string{"branch-1", "access-1", "green"} {
		if _, ok := names[name]; !ok {
			t.Errorf("feature's dump lacks %s", name)
		}
	}
	for _, name := range []string{"late-1", "10.0.0.0/29"} {
		if _, ok := names[name]; ok {
			t.Errorf("feature's dump holds %s (written on main after the branch)", name)
		}
	}
	if got := names["blue"].Attributes["color"].Value; got != "Navy" {
		t.Errorf("blue color on feature = %v; want Navy", got)
	}

	// Time travel: at a position, and at a time.
	tags := s.w.pos["tags"]
	if d := s.dumpOf(t, graph.Scope{Branch: "main", At: tags}); d.Position != tags ||
		!slices.Equal(s.dumpNames(d), s.kindNames("TestTag", "red", "blue", "green")) {
		t.Errorf("dump at the tags' position = %d %q; want %d and the three tags", d.Position, s.dumpNames(d), tags)
	}
	a := s.w.pos["update-a"]
	d = s.dumpOf(t, graph.Scope{Branch: "main", Time: s.w.at[a].RecordedAt})
	var asn any
	for _, n := range d.Nodes {
		if n.ID == id["edge-1"] {
			asn = n.Attributes["asn"].Value
		}
	}
	if d.Position < a || d.Position >= s.w.pos["update-b"] || asn != float64(65010) {
		t.Errorf("dump at the time of update a: position %d, edge-1 asn %v; want in [%d, %d), 65010", d.Position, asn, a, s.w.pos["update-b"])
	}
	// Before the first write: empty, at position 0.
	d = s.dumpOf(t, graph.Scope{Branch: "main", Time: s.w.at[1].RecordedAt.Add(-time.Hour)})
	if d.Branch != "main" || d.Position != 0 || len(d.Nodes) != 0 {
		t.Errorf("dump before the first write = %q at %d, %d nodes; want main at 0, none", d.Branch, d.Position, len(d.Nodes))
	}

	if _, err := s.a.Dump(s.ctx, graph.Scope{Branch: "nope"}); !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("Dump of an unknown branch: %v; want ErrBranchNotFound", err)
	}
}
