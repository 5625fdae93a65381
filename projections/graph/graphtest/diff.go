package graphtest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// diff checks the feature branch's diff: what it added and changed since its base, with what
// main did to the same nodes, and the conflict on tag blue's color.
func (s *suite) diff(t *testing.T) {
	d, err := s.a.Diff(s.ctx, "feature")
	if err != nil {
		t.Fatal(err)
	}
	if d.Branch != "feature" || d.BranchedFrom != s.w.pos["update-b"] {
		t.Errorf("branch, branched from = %s, %d; want feature, %d", d.Branch, d.BranchedFrom, s.w.pos["update-b"])
	}
	if want := s.w.at[s.w.pos["update-b"]].RecordedAt; !d.FromTime.Equal(want) {
		t.Errorf("from time = %v; want %v (when the base was written)", d.FromTime, want)
	}
	byName := map[string]branch.NodeDiff{}
	for _, n := range d.Nodes {
		byName[s.w.name[n.ID]] = n
	}
	// branch-1 is new; edge-2 and blue changed; berlin gained branch-1 as a device (the other
	// end of branch-1's site).
	want := map[string]string{"branch-1": branch.ActionAdded, "edge-2": branch.ActionUpdated, "blue": branch.ActionUpdated,
		"berlin": branch.ActionUpdated}
	got := map[string]string{}
	for name, n := range byName {
		got[name] = n.Action
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nodes and actions = %v; want %v", got, want)
	}
	if n := byName["branch-1"]; n.Kind != "TestDevice" || n.Label != "branch-1" {
		t.Errorf("branch-1 = %s %q; want TestDevice \"branch-1\"", n.Kind, n.Label)
	}
	if a := s.attrDiff(t, byName["edge-2"], "asn"); a.Previous != nil || a.New != float64(64999) || a.MainChanged || a.Conflict != "" {
		t.Errorf("edge-2 asn = %+v; want nil -> 64999, main unchanged, no conflict", a)
	}
	if r := relDiff(byName["berlin"], "devices"); r == nil || !reflect.DeepEqual(r.Added, []string{s.w.id["branch-1"]}) ||
		r.Labels[s.w.id["branch-1"]] != "branch-1" {
		t.Errorf("berlin devices = %+v; want branch-1 added, labelled", r)
	}

	// Both sides changed blue's color: a conflict, unresolved.
	blue := byName["blue"]
	color := s.attrDiff(t, blue, "color")
	if color.Previous != "Blue" || color.New != "Navy" || color.Main != "Cyan" || !color.MainChanged || color.Conflict == "" {
		t.Errorf("blue color = %+v; want Blue -> Navy, main Cyan, in conflict", color)
	}
	if !blue.MainChanged {
		t.Errorf("blue: MainChanged is false; main changed its color")
	}
	wantConflict := branch.Conflict{ID: color.Conflict, Node: s.w.id["blue"], Kind: "TestTag", Path: "color", Base: "Blue",
		Main: "Cyan", Branch: "Navy"}
	if len(d.Conflicts) != 1 {
		t.Fatalf("conflicts = %+v; want the one on blue's color", d.Conflicts)
	}
	c := d.Conflicts[0]
	c.Ref = branch.ConflictRef{} // the adapter's business
	if !reflect.DeepEqual(c, wantConflict) {
		t.Errorf("conflict = %+v; want %+v", c, wantConflict)
	}
	if d.Counts != (branch.DiffCounts{Added: 1, Updated: 3, Conflicts: 1, Unresolved: 1}) {
		t.Errorf("counts = %+v; want 1 added, 3 updated, 1 conflict unresolved", d.Counts)
	}

	// The default branch has no diff; an unknown branch is not found.
	for _, name := range []string{"main", ""} {
		if _, err := s.a.Diff(s.ctx, name); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Diff(%q): %v; want fault.ErrInvalid", name, err)
		}
	}
	if _, err := s.a.Diff(s.ctx, "nope"); !errors.Is(err, branch.ErrNotFound) || !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("Diff(nope): %v; want branch.ErrNotFound", err)
	}
}

func (s *suite) attrDiff(t *testing.T, n branch.NodeDiff, name string) branch.AttrDiff {
	t.Helper()
	for _, a := range n.Attributes {
		if a.Name == name {
			return a
		}
	}
	t.Errorf("%s %s: no change of attribute %s in %+v", n.Kind, s.w.name[n.ID], name, n.Attributes)
	return branch.AttrDiff{}
}

func relDiff(n branch.NodeDiff, name string) *branch.RelDiff {
	for i := range n.Relationships {
		if n.Relationships[i].Name == name {
			return &n.Relationships[i]
		}
	}
	return nil
}
