package graph

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestTimeTravelOnMain(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 10, create(1, kDevice), set(1, fName, "r1"), set(1, fDescr, "first"))
	apply(t, s, Main, 20, set(1, fName, "r1-a"))
	apply(t, s, Main, 25, set(2, fName, "other")) // unrelated slot
	apply(t, s, Main, 30, set(1, fName, "r1-b"))
	apply(t, s, Main, 40, Change{Op: OpClear, Node: id(1), Field: fName})

	for _, tc := range []struct {
		pos   int64
		field FieldID
		want  any
	}{
		{5, fName, nil},
		{10, fName, "r1"},
		{15, fName, "r1"},
		{20, fName, "r1-a"},
		{29, fName, "r1-a"},
		{30, fName, "r1-b"},
		{39, fName, "r1-b"},
		{40, fName, nil},
		{100, fName, nil},
		{10, fDescr, "first"},
		{100, fDescr, "first"},
	} {
		if got := get(t, s, Main, 1, tc.field, tc.pos); got != tc.want {
			t.Errorf("field %d at %d = %v, want %v", tc.field, tc.pos, got, tc.want)
		}
	}
	// Only the changed slot has a chain.
	if len(s.main.slots.hist) != 1 {
		t.Errorf("history chains = %d, want 1", len(s.main.slots.hist))
	}
}

func TestPositionAt(t *testing.T) {
	s := NewState()
	for _, p := range []int64{3, 7, 12} {
		apply(t, s, Main, p)
	}
	// Clock skew: recorded earlier than the previous one, stored as the previous one.
	if err := s.Apply(Main, 13, at(5)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t    time.Time
		want int64
	}{
		{at(0), 0},
		{at(3).Add(-time.Nanosecond), 0},
		{at(3), 3},
		{at(5), 3},
		{at(7), 7},
		{at(11), 7},
		{at(12), 13}, // 12 and 13 share the time
		{at(99), 13},
	} {
		if got := s.PositionAt(tc.t); got != tc.want {
			t.Errorf("PositionAt(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
	if got, ok := s.RecordedAt(8); !ok || !got.Equal(at(7)) {
		t.Errorf("RecordedAt(8) = %v %v", got, ok)
	}
}

func TestApplyRefusals(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 10, create(1, kDevice))
	for _, tc := range []struct {
		name   string
		branch string
		pos    int64
		change Change
		want   error
	}{
		{"same position", Main, 10, set(1, fName, "x"), ErrPositionOrder},
		{"older position", Main, 9, set(1, fName, "x"), ErrPositionOrder},
		{"unknown branch", "nope", 11, set(1, fName, "x"), ErrBranchNotFound},
		{"unknown op", Main, 11, Change{Op: 99}, ErrInvalidChange},
		{"zero op", Main, 11, Change{}, ErrInvalidChange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Apply(tc.branch, tc.pos, at(tc.pos), set(1, fDescr, "must not land"), tc.change)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got := get(t, s, Main, 1, fDescr, 100); got != nil {
				t.Fatalf("a refused batch was half applied: %v", got)
			}
			if s.Position() != 10 {
				t.Fatalf("position moved to %d", s.Position())
			}
		})
	}
	if !errors.Is(ErrBranchNotFound, ErrNotFound) {
		t.Error("ErrBranchNotFound must wrap ErrNotFound")
	}
}

func TestPeers(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 1, create(1, kDevice), create(2, kDevice), create(10, kTag), create(11, kTag), create(12, kTag))
	apply(t, s, Main, 2, peers(OpSetPeers, 1, fTags, 12, 10, 12))
	apply(t, s, Main, 3, peers(OpAddPeers, 1, fTags, 11), peers(OpAddPeers, 2, fTags, 10))
	apply(t, s, Main, 4, peers(OpRemovePeers, 1, fTags, 10))
	for _, tc := range []struct {
		pos  int64
		want [][]NodeID
	}{
		{1, [][]NodeID{nil, nil}},
		{2, [][]NodeID{ids(10, 12), nil}},
		{3, [][]NodeID{ids(10, 11, 12), ids(10)}},
		{4, [][]NodeID{ids(11, 12), ids(10)}},
	} {
		got, err := s.Peers(Main, ids(1, 2), fTags, tc.pos)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("peers at %d = %v, want %v", tc.pos, got, tc.want)
		}
	}
}

func TestInterner(t *testing.T) {
	in := NewInterner()
	a, b := in.ID("InfraDevice"), in.ID("name")
	if a == 0 || b == 0 || a == b || in.ID("InfraDevice") != a {
		t.Fatalf("ids %d %d", a, b)
	}
	if got, ok := in.Lookup("name"); !ok || got != b {
		t.Errorf("Lookup = %d %v", got, ok)
	}
	if _, ok := in.Lookup("missing"); ok {
		t.Error("Lookup interned a name")
	}
	if in.Name(a) != "InfraDevice" || in.Name(99) != "" || in.Len() != 2 {
		t.Errorf("Name/Len wrong")
	}
	n := NewNodeID()
	p, err := ParseNodeID(n.String())
	if err != nil || p != n || n.IsZero() {
		t.Errorf("node id round trip: %v %v", p, err)
	}
}
