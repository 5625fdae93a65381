package branch

import (
	"fmt"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// ErrUnresolvedConflicts is wrapped by the error of a merge or rebase that meets conflicts
// nobody resolved (Diff.KeepMain).
var ErrUnresolvedConflicts = fault.New(fault.ErrConflict, "unresolved conflicts")

// Diff actions (Infrahub's DiffAction).
const (
	ActionAdded   = "ADDED"
	ActionUpdated = "UPDATED"
	ActionRemoved = "REMOVED"
)

// Diff is what a branch changed since its base, node by node, with what the default branch did
// to the same nodes and the conflicts between the two.
type Diff struct {
	Branch       string          `json:"branch"`
	BranchedFrom events.Position `json:"branched_from"`
	// FromTime is when the base position was written; ToTime when the last position the diff
	// reflects was.
	FromTime  time.Time  `json:"from_time"`
	ToTime    time.Time  `json:"to_time"`
	Nodes     []NodeDiff `json:"nodes"`
	Conflicts []Conflict `json:"conflicts"`
	Counts    DiffCounts `json:"counts"`
}

// DiffCounts summarises a Diff.
type DiffCounts struct {
	Added      int `json:"added"`
	Updated    int `json:"updated"`
	Removed    int `json:"removed"`
	Conflicts  int `json:"conflicts"`
	Unresolved int `json:"unresolved"`
}

// NodeDiff is one node the branch added, removed or changed.
type NodeDiff struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	Label         string     `json:"label"`
	Action        string     `json:"action"`
	Attributes    []AttrDiff `json:"attributes,omitempty"`
	Relationships []RelDiff  `json:"relationships,omitempty"`
	// MainChanged is true when the default branch changed this node too since the base.
	MainChanged bool `json:"main_changed,omitempty"`
	// ChangedAt is when the branch last wrote the node (the diff's end for a removed node).
	ChangedAt time.Time `json:"changed_at"`
	// Parent is, for a component, the node it belongs to (its Parent relationship), with the
	// parent's name for the relationship.
	Parent   *DiffParent `json:"parent,omitempty"`
	Conflict string      `json:"conflict,omitempty"` // the id of a conflict on the node's existence
}

// DiffParent is the parent of a component in a diff.
type DiffParent struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Relationship string `json:"relationship"` // the name of the Parent relationship
}

// PropDiff is one lineage property of an attribute that changed: is_protected, source or owner.
type PropDiff struct {
	Name     string `json:"name"`
	Previous any    `json:"previous"`
	New      any    `json:"new"`
}

// AttrDiff is one attribute the branch changed: its value at the base and on the branch, and
// on the default branch's head when that changed too.
type AttrDiff struct {
	Name        string `json:"name"`
	Previous    any    `json:"previous"`
	New         any    `json:"new"`
	Main        any    `json:"main,omitempty"`
	MainChanged bool   `json:"main_changed,omitempty"`
	Conflict    string `json:"conflict,omitempty"`
	// Properties lists the lineage properties that changed with (or instead of) the value.
	Properties []PropDiff `json:"properties,omitempty"`
}

// RelDiff is one relationship the branch changed: the peers it added and removed (ids).
type RelDiff struct {
	Name        string   `json:"name"`
	Cardinality string   `json:"cardinality"`
	Added       []string `json:"added,omitempty"`
	Removed     []string `json:"removed,omitempty"`
	// Labels are the display labels of the peers added and removed, by id.
	Labels      map[string]string `json:"labels,omitempty"`
	MainChanged bool              `json:"main_changed,omitempty"`
	Conflict    string            `json:"conflict,omitempty"`
}

// Conflict is something both sides changed differently. Its id is stable: the same conflict has
// the same id in every diff of the branch, so that a resolution outlives recomputation.
type Conflict struct {
	ID         string `json:"id"`
	Node       string `json:"node,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Path       string `json:"path"` // attribute or relationship name, "node" or the unique constraint
	Base       any    `json:"base"`
	Main       any    `json:"main"`
	Branch     any    `json:"branch"`
	Selected   string `json:"selected,omitempty"` // KeepBase, KeepBranch or empty
	Constraint string `json:"constraint,omitempty"`
	Key        string `json:"key,omitempty"`
	// Ref names what the conflict is about, for a merge (KeepMain); it is not part of the answer.
	Ref ConflictRef `json:"-"`
}

// ConflictRef names what a conflict is about: a node (Field empty: its existence), a field of
// a node, or a unique value (Kind, Constraint, Key).
type ConflictRef struct {
	Node, Field           string
	Kind, Constraint, Key string
}

// KeepMain returns, for a merge, which conflicts of the diff were resolved for the default
// branch, and an error listing the conflicts nobody resolved.
func (d Diff) KeepMain() (func(ConflictRef) bool, error) {
	keep := map[ConflictRef]bool{}
	var open []string
	for _, c := range d.Conflicts {
		switch c.Selected {
		case KeepBase:
			keep[c.Ref] = true
		case KeepBranch:
		default:
			open = append(open, fmt.Sprintf("%s (%s %s %s)", c.ID, c.Kind, c.Node+c.Key, c.Path))
		}
	}
	if len(open) > 0 {
		return nil, fmt.Errorf("%d %w: %s", len(open), ErrUnresolvedConflicts, strings.Join(open, ", "))
	}
	return func(r ConflictRef) bool { return keep[r] }, nil
}
