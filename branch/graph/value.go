package graph

import (
	"reflect"
	"slices"
)

// Lineage holds the lineage properties of an attribute or a relationship.
type Lineage struct {
	Source      NodeID // zero when unset
	Owner       NodeID // zero when unset
	IsProtected bool
	IsDefault   bool // the value is the schema's default, not one given
}

// Value is what a slot holds: an attribute value (Data) or a relationship's peer set (Peers),
// with its lineage. Values are immutable once stored: callers must not modify Data or Peers of
// a Value they passed to Apply or got from a read.
type Value struct {
	// Data is an attribute value: a JSON-able scalar, list or map (as encoding/json decodes),
	// or a Stamp.
	Data any
	// Peers is a relationship's peer set, sorted by id, without duplicates.
	Peers   []NodeID
	Lineage Lineage
}

// Stamp is a compact Value.Data for when and by whom something was written: At in Unix
// nanoseconds, By the actor (callers intern it: few actors write many values). It takes 24
// bytes where the same facts formatted as a string take about 64.
type Stamp struct {
	At int64
	By string
}

// Equal reports whether two values are the same (deep equality on Data).
func (v Value) Equal(o Value) bool {
	return v.Lineage == o.Lineage && slices.Equal(v.Peers, o.Peers) && reflect.DeepEqual(v.Data, o.Data)
}

// peerSet returns peers sorted and without duplicates, in a new slice.
func peerSet(peers []NodeID) []NodeID {
	if len(peers) == 0 {
		return nil
	}
	out := slices.Clone(peers)
	slices.SortFunc(out, NodeID.Compare)
	return slices.Compact(out)
}

// insertSorted inserts id into the sorted slice ids unless it is there already.
func insertSorted(ids []NodeID, id NodeID) []NodeID {
	if n := len(ids); n == 0 || ids[n-1].Compare(id) < 0 { // UUIDv7: usually appends
		return append(ids, id)
	}
	i, found := slices.BinarySearchFunc(ids, id, NodeID.Compare)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}
