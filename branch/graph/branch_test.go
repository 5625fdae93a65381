package graph

import (
	"errors"
	"slices"
	"testing"
)

// fixture: main creates devices 1..3 at 10, the branch "b" is created at base 20, then main and
// the branch both move on.
func fixture(t *testing.T) *State {
	t.Helper()
	s := NewState()
	apply(t, s, Main, 10, create(1, kDevice), create(2, kDevice), create(3, kDevice),
		set(1, fName, "r1"), set(2, fName, "r2"), set(3, fName, "r3"))
	apply(t, s, Main, 20, set(1, fDescr, "d1"))
	if err := s.CreateBranch("b", 20); err != nil {
		t.Fatal(err)
	}
	apply(t, s, Main, 30, set(1, fName, "r1-main"), create(4, kDevice), set(4, fName, "r4"))
	apply(t, s, "b", 40, set(2, fName, "r2-b"), create(5, kDevice), set(5, fName, "r5"), del(3))
	apply(t, s, Main, 50, del(2))
	apply(t, s, "b", 60, set(2, fName, "r2-b2"), Change{Op: OpClear, Node: id(1), Field: fDescr})
	return s
}

func TestBranchReads(t *testing.T) {
	s := fixture(t)
	for _, tc := range []struct {
		branch string
		node   int
		field  FieldID
		pos    int64
		want   any
	}{
		{"b", 1, fName, 100, "r1"}, // main's change at 30 is after the base
		{Main, 1, fName, 100, "r1-main"},
		{"b", 1, fName, 15, "r1"},
		{"b", 1, fDescr, 20, "d1"},
		{"b", 1, fDescr, 59, "d1"},
		{"b", 1, fDescr, 60, nil}, // cleared on the branch
		{Main, 1, fDescr, 100, "d1"},
		{"b", 2, fName, 39, "r2"},
		{"b", 2, fName, 40, "r2-b"},
		{"b", 2, fName, 60, "r2-b2"},
		{Main, 2, fName, 100, "r2"},
		{"b", 4, fName, 100, nil}, // created on main after the base
		{"b", 5, fName, 100, "r5"},
		{Main, 5, fName, 100, nil}, // created on the branch
	} {
		if got := get(t, s, tc.branch, tc.node, tc.field, tc.pos); got != tc.want {
			t.Errorf("%s node %d field %d at %d = %v, want %v", tc.branch, tc.node, tc.field, tc.pos, got, tc.want)
		}
	}
}

func TestExistenceListCount(t *testing.T) {
	s := fixture(t)
	for _, tc := range []struct {
		branch string
		pos    int64
		want   []NodeID
	}{
		{Main, 5, nil},
		{Main, 10, ids(1, 2, 3)},
		{Main, 30, ids(1, 2, 3, 4)},
		{Main, 50, ids(1, 3, 4)},
		{"b", 10, ids(1, 2, 3)},
		{"b", 30, ids(1, 2, 3)},   // main's 4 is after the base
		{"b", 40, ids(1, 2, 5)},   // 3 deleted, 5 created on the branch
		{"b", 100, ids(1, 2, 5)},  // main's delete of 2 at 50 is after the base
		{Main, 100, ids(1, 3, 4)}, // the branch's changes stay on the branch
	} {
		got, err := s.Nodes(tc.branch, kDevice, tc.pos)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Nodes(%s, %d) = %v, want %v", tc.branch, tc.pos, got, tc.want)
		}
		n, err := s.Count(tc.branch, kDevice, tc.pos)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(tc.want)) {
			t.Errorf("Count(%s, %d) = %d, want %d", tc.branch, tc.pos, n, len(tc.want))
		}
		for _, x := range tc.want {
			if k, ok, _ := s.Exists(tc.branch, x, tc.pos); !ok || k != kDevice {
				t.Errorf("Exists(%s, %v, %d) = %d %v", tc.branch, x, tc.pos, k, ok)
			}
		}
	}
	if _, ok, _ := s.Exists("b", id(3), 100); ok {
		t.Error("node 3 deleted on the branch still exists there")
	}
	if got, _ := s.Nodes(Main, kTag, 100); len(got) != 0 {
		t.Errorf("no tags expected, got %v", got)
	}
}

func TestGlobalOverlay(t *testing.T) {
	s := fixture(t)
	apply(t, s, Global, 70, create(100, kAcct), set(100, fName, "admin"),
		set(1, fSite, "paris")) // a branch-agnostic attribute of a branch-aware node
	if err := s.CreateBranch("late", 70); err != nil {
		t.Fatal(err)
	}
	for _, branch := range []string{Main, "b", "late", Global} {
		if got := get(t, s, branch, 100, fName, 100); got != "admin" {
			t.Errorf("%s: global node name = %v", branch, got)
		}
		if got := get(t, s, branch, 1, fSite, 100); got != "paris" {
			t.Errorf("%s: global attribute = %v", branch, got)
		}
		if got := get(t, s, branch, 100, fName, 69); got != nil {
			t.Errorf("%s: global value seen before it was written: %v", branch, got)
		}
		list, _ := s.Nodes(branch, kAcct, 100)
		n, _ := s.Count(branch, kAcct, 100)
		if !slices.Equal(list, ids(100)) || n != 1 {
			t.Errorf("%s: global list %v count %d", branch, list, n)
		}
	}
	// A change marked Global in a branch's batch lands in the global overlay: main sees it.
	apply(t, s, "b", 80, set(5, fName, "r5-b"), Change{Op: OpSetAttr, Node: id(1), Field: fSite, Value: Value{Data: "lyon"}, Global: true})
	if got := get(t, s, Main, 1, fSite, 100); got != "lyon" {
		t.Errorf("global change from a branch batch: main sees %v", got)
	}
	if got := get(t, s, Main, 5, fName, 100); got != nil {
		t.Errorf("the branch part of the batch leaked to main: %v", got)
	}
	// The branch "b" was created at base 20, long before 70: global data is seen anyway.
	if d, _ := s.Diff("b"); slices.ContainsFunc(d.Slots, func(x SlotDiff) bool { return x.Slot.Field == fSite }) {
		t.Error("global data showed up in a branch diff")
	}
}

func TestUniqueness(t *testing.T) {
	s := NewState()
	claim := func(n int, key string) Change {
		return Change{Op: OpClaim, Kind: kDevice, Constraint: cName, Key: key, Node: id(n)}
	}
	release := func(key string) Change {
		return Change{Op: OpRelease, Kind: kDevice, Constraint: cName, Key: key}
	}
	apply(t, s, Main, 10, create(1, kDevice), claim(1, "r1"))
	if err := s.CreateBranch("b", 10); err != nil {
		t.Fatal(err)
	}
	apply(t, s, "b", 20, create(2, kDevice), claim(2, "r2"))
	apply(t, s, Main, 30, create(3, kDevice), claim(3, "r3"))
	apply(t, s, "b", 40, release("r1"), claim(1, "r1-renamed"))
	apply(t, s, Global, 50, Change{Op: OpClaim, Kind: kAcct, Constraint: cName, Key: "admin", Node: id(100)})
	for _, tc := range []struct {
		branch string
		kind   KindID
		key    string
		pos    int64
		want   NodeID
		taken  bool
	}{
		{Main, kDevice, "r1", 10, id(1), true},
		{Main, kDevice, "r1", 9, NodeID{}, false},
		{"b", kDevice, "r1", 10, id(1), true},
		{"b", kDevice, "r1", 40, NodeID{}, false},
		{Main, kDevice, "r1", 40, id(1), true},
		{"b", kDevice, "r1-renamed", 40, id(1), true},
		{"b", kDevice, "r2", 20, id(2), true},
		{Main, kDevice, "r2", 100, NodeID{}, false},
		{Main, kDevice, "r3", 30, id(3), true},
		{"b", kDevice, "r3", 100, NodeID{}, false}, // after the base
		{"b", kAcct, "admin", 100, id(100), true},
		{Main, kAcct, "admin", 100, id(100), true},
		{Main, kTag, "r1", 100, NodeID{}, false}, // another kind
	} {
		got, ok, err := s.Taken(tc.branch, tc.kind, cName, tc.key, tc.pos)
		if err != nil {
			t.Fatal(err)
		}
		if ok != tc.taken || got != tc.want {
			t.Errorf("Taken(%s, %d, %q, %d) = %v %v, want %v %v", tc.branch, tc.kind, tc.key, tc.pos, got, ok, tc.want, tc.taken)
		}
	}
}

func TestBranchLifecycle(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 10)
	for _, tc := range []struct {
		name string
		base int64
		want error
	}{
		{"b", 10, nil},
		{"b", 10, ErrBranchExists},
		{Main, 10, ErrReservedBranch},
		{Global, 10, ErrReservedBranch},
		{"future", 11, ErrBaseInTheFuture},
	} {
		if err := s.CreateBranch(tc.name, tc.base); !errors.Is(err, tc.want) {
			t.Errorf("CreateBranch(%s, %d) = %v, want %v", tc.name, tc.base, err, tc.want)
		}
	}
	if base, err := s.Base("b"); err != nil || base != 10 {
		t.Errorf("Base = %d %v", base, err)
	}
	if got := s.Branches(); !slices.Equal(got, []string{"b"}) {
		t.Errorf("Branches = %v", got)
	}
	if err := s.DeleteBranch("b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBranch("b"); !errors.Is(err, ErrBranchNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, _, err := s.Get("b", Slot{}, 10); !errors.Is(err, ErrBranchNotFound) {
		t.Errorf("read of a deleted branch: %v", err)
	}
}

func TestEmptyBranchIsCheap(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 1, create(1, kDevice), set(1, fName, "r1"))
	allocs := testing.AllocsPerRun(100, func() {
		if err := s.CreateBranch("empty", 1); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBranch("empty"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("creating an empty branch allocates %v times, want ≤ 2 (the overlay struct)", allocs)
	}
	if err := s.CreateBranch("empty", 1); err != nil {
		t.Fatal(err)
	}
	b := s.branches["empty"]
	if b.slots.m != nil || b.nodes.m != nil || b.unique.m != nil || b.added != nil || b.counts != nil {
		t.Error("an empty branch holds maps")
	}
	// Main keeps values unboxed: a read boxes the string it hands out, on main as on a branch.
	// The branch adds nothing to that.
	read := func(branch string) float64 {
		return testing.AllocsPerRun(100, func() {
			if _, ok, _ := s.Get(branch, Slot{id(1), fName}, 5); !ok {
				t.Fatalf("%s does not see main's value", branch)
			}
		})
	}
	if reads, onMain := read("empty"), read(Main); reads != onMain || reads > 1 {
		t.Errorf("a read on an empty branch allocates %v times, on main %v (want the same, ≤ 1)", reads, onMain)
	}
}
