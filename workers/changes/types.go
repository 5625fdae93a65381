// Package changes turns the log's node and branch events into batches of changes that
// background triggers react to (artifacts to regenerate, repositories to import): a Feed is a
// projector that collects what changed, and hands each subscriber the changes in log order,
// coalesced while the subscriber is busy, never blocking the projection.
package changes

import (
	"github.com/infrahub-go/infrahub/events"
)

// Actions of a NodeChange.
const (
	Created = "created"
	Updated = "updated"
	Deleted = "deleted"
)

// Batch is what changed on one branch up to a log position: the node changes in log order, and
// the branch's own life (Branch: created, merged into the default branch, rebased, deleted).
type Batch struct {
	Branch   string
	Position events.Position // the last position the batch covers: read at or after it
	Nodes    []NodeChange
	// BranchEvents are the branch events of the batch on Branch ("created", "merged",
	// "rebased", "deleted"); a merge's changes of the default branch come as a batch of the
	// default branch with "merged" and the merged branch's name in MergedFrom.
	BranchEvents []string
	MergedFrom   []string
	// Overflow says that more changed than the subscriber's bound could hold while it was busy:
	// Nodes is empty and the subscriber must look at everything of the branch again.
	Overflow bool
}

// NodeChange is one node event: the node, its kind, what happened, the attributes it set (for
// an update: those that changed) and the far ends of the relationship edges it added or removed.
type NodeChange struct {
	ID         string
	Kind       string
	Action     string
	Attributes []string
	Peers      []string
}
