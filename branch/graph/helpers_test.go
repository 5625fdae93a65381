package graph

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// id is a deterministic node id whose order follows n.
func id(n int) NodeID {
	var x NodeID
	x[12], x[13], x[14], x[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return x
}

// at is the recorded time of position p in tests: one minute per position.
func at(p int64) time.Time { return t0.Add(time.Duration(p) * time.Minute) }

const (
	kDevice KindID = 1
	kTag    KindID = 2
	kAcct   KindID = 3 // branch-agnostic in these tests

	fName  FieldID = 1
	fDescr FieldID = 2
	fTags  FieldID = 3
	fSite  FieldID = 4

	cName ConstraintID = 1
)

func create(n int, k KindID) Change { return Change{Op: OpCreate, Node: id(n), Kind: k} }
func del(n int) Change              { return Change{Op: OpDelete, Node: id(n)} }
func set(n int, f FieldID, v any) Change {
	return Change{Op: OpSetAttr, Node: id(n), Field: f, Value: Value{Data: v}}
}
func peers(op Op, n int, f FieldID, ps ...int) Change {
	c := Change{Op: op, Node: id(n), Field: f}
	for _, p := range ps {
		c.Value.Peers = append(c.Value.Peers, id(p))
	}
	return c
}

// apply applies changes at position p on branch, failing the test on error.
func apply(t testing.TB, s *State, branch string, p int64, cs ...Change) {
	t.Helper()
	if err := s.Apply(branch, p, at(p), cs...); err != nil {
		t.Fatalf("apply %s@%d: %v", branch, p, err)
	}
}

// get reads an attribute's Data; nil when absent.
func get(t testing.TB, s *State, branch string, n int, f FieldID, p int64) any {
	t.Helper()
	v, ok, err := s.Get(branch, Slot{id(n), f}, p)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if !ok {
		return nil
	}
	return v.Data
}

func ids(ns ...int) []NodeID {
	var out []NodeID
	for _, n := range ns {
		out = append(out, id(n))
	}
	return out
}
