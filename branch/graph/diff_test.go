package graph

import (
	"testing"
)

func TestDiff(t *testing.T) {
	type step struct {
		branch string
		change Change
	}
	side := func(v any) Side {
		if v == nil {
			return Side{}
		}
		return Side{Value{Data: v}, true}
	}
	for _, tc := range []struct {
		name        string
		steps       []step // applied one per position after the base
		want        []SlotDiff
		wantNodes   int
		wantConflic int
	}{
		{
			name:  "branch only",
			steps: []step{{"b", set(1, fName, "B")}},
			want:  []SlotDiff{{Slot: Slot{id(1), fName}, Base: side("x"), Branch: side("B"), Main: side("x")}},
		},
		{
			name:  "main only is not a branch change",
			steps: []step{{Main, set(1, fName, "M")}},
		},
		{
			name:        "main then branch, different values",
			steps:       []step{{Main, set(1, fName, "M")}, {"b", set(1, fName, "B")}},
			want:        []SlotDiff{{Slot: Slot{id(1), fName}, Base: side("x"), Branch: side("B"), Main: side("M"), MainChanged: true, Conflict: true}},
			wantConflic: 1,
		},
		{
			name:        "branch then main, different values",
			steps:       []step{{"b", set(1, fName, "B")}, {Main, set(1, fName, "M")}},
			want:        []SlotDiff{{Slot: Slot{id(1), fName}, Base: side("x"), Branch: side("B"), Main: side("M"), MainChanged: true, Conflict: true}},
			wantConflic: 1,
		},
		{
			name:  "both to the same value",
			steps: []step{{"b", set(1, fName, "S")}, {Main, set(1, fName, "S")}},
			want:  []SlotDiff{{Slot: Slot{id(1), fName}, Base: side("x"), Branch: side("S"), Main: side("S"), MainChanged: true}},
		},
		{
			name:  "main changed and changed back",
			steps: []step{{Main, set(1, fName, "M")}, {"b", set(1, fName, "B")}, {Main, set(1, fName, "x")}},
			want:  []SlotDiff{{Slot: Slot{id(1), fName}, Base: side("x"), Branch: side("B"), Main: side("x")}},
		},
		{
			name:  "branch set back to the base value",
			steps: []step{{"b", set(1, fName, "B")}, {"b", set(1, fName, "x")}},
		},
		{
			name:        "branch clears, main sets",
			steps:       []step{{"b", Change{Op: OpClear, Node: id(1), Field: fName}}, {Main, set(1, fName, "M")}},
			want:        []SlotDiff{{Slot: Slot{id(1), fName}, Base: side("x"), Branch: side(nil), Main: side("M"), MainChanged: true, Conflict: true}},
			wantConflic: 1,
		},
		{
			name: "relationship peers",
			steps: []step{
				{"b", peers(OpAddPeers, 1, fTags, 10)},
				{Main, peers(OpAddPeers, 1, fTags, 11)},
			},
			want: []SlotDiff{{Slot: Slot{id(1), fTags}, Branch: Side{Value{Peers: ids(10)}, true},
				Main: Side{Value{Peers: ids(11)}, true}, MainChanged: true, Conflict: true}},
			wantConflic: 1,
		},
		{
			name:      "node created and node deleted on the branch",
			steps:     []step{{"b", create(7, kDevice)}, {"b", del(2)}, {Main, set(2, fName, "M")}},
			wantNodes: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewState()
			apply(t, s, Main, 1, create(1, kDevice), create(2, kDevice), set(1, fName, "x"))
			if err := s.CreateBranch("b", 1); err != nil {
				t.Fatal(err)
			}
			for i, st := range tc.steps {
				apply(t, s, st.branch, int64(10+i), st.change)
			}
			d, err := s.Diff("b")
			if err != nil {
				t.Fatal(err)
			}
			if d.Base != 1 || d.Branch != "b" {
				t.Errorf("diff header %s %d", d.Branch, d.Base)
			}
			if len(d.Slots) != len(tc.want) {
				t.Fatalf("slots = %+v, want %+v", d.Slots, tc.want)
			}
			for i, w := range tc.want {
				g := d.Slots[i]
				if g.Slot != w.Slot || !g.Base.equal(w.Base) || !g.Branch.equal(w.Branch) || !g.Main.equal(w.Main) ||
					g.MainChanged != w.MainChanged || g.Conflict != w.Conflict {
					t.Errorf("slot %d = %+v, want %+v", i, g, w)
				}
			}
			if len(d.Nodes) != tc.wantNodes {
				t.Errorf("nodes = %+v, want %d", d.Nodes, tc.wantNodes)
			}
			if d.Conflicts() != tc.wantConflic {
				t.Errorf("conflicts = %d, want %d", d.Conflicts(), tc.wantConflic)
			}
		})
	}
}

func TestDiffNodes(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 1, create(1, kDevice), create(2, kDevice))
	if err := s.CreateBranch("b", 1); err != nil {
		t.Fatal(err)
	}
	apply(t, s, "b", 2, create(3, kDevice), del(1), del(2))
	apply(t, s, Main, 3, del(2))
	d, err := s.Diff("b")
	if err != nil {
		t.Fatal(err)
	}
	want := []NodeDiff{
		{Node: id(1), Kind: kDevice, Base: true, Branch: false, Main: true},
		{Node: id(2), Kind: kDevice, Base: true, Branch: false, Main: false, MainChanged: true},
		{Node: id(3), Kind: kDevice, Base: false, Branch: true, Main: false},
	}
	if len(d.Nodes) != len(want) {
		t.Fatalf("nodes = %+v", d.Nodes)
	}
	for i := range want {
		if d.Nodes[i] != want[i] {
			t.Errorf("node %d = %+v, want %+v", i, d.Nodes[i], want[i])
		}
	}
}

// The diff reads only what the branch changed: a large main does not make it larger or slower
// in allocations.
func TestDiffCostsTheChanges(t *testing.T) {
	allocs := func(mainNodes int) float64 {
		s := NewState()
		var cs []Change
		for i := range mainNodes {
			cs = append(cs, create(i, kDevice), set(i, fName, i))
		}
		apply(t, s, Main, 1, cs...)
		apply(t, s, Main, 2, set(0, fName, "changed everywhere")) // chains on main do not count
		if err := s.CreateBranch("b", 1); err != nil {
			t.Fatal(err)
		}
		apply(t, s, "b", 3, set(1, fName, "b1"), set(2, fName, "b2"), del(3))
		return testing.AllocsPerRun(20, func() {
			d, err := s.Diff("b")
			if err != nil || len(d.Slots) != 2 || len(d.Nodes) != 1 {
				t.Fatalf("diff %+v %v", d, err)
			}
		})
	}
	small, large := allocs(10), allocs(20000)
	if large != small {
		t.Errorf("diff allocations grow with main: %v for 10 nodes, %v for 20000", small, large)
	}
}
