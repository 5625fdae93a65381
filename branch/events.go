package branch

import (
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// Branch lifecycle events live on one stream, so that creating and deleting branches is
// decided against one version.
const LifecycleStream events.StreamID = "branches"

// Branch event types. TypeCreated and TypeDeleted are written on LifecycleStream.
const (
	TypeCreated = "branch.created"
	TypeDeleted = "branch.deleted"
	// TypeMerged is written on the default branch's stream: the branch's changes, applied there
	// in one append. TypeRebased and TypeConflictResolved are written on the branch's stream.
	TypeMerged           = "branch.merged"
	TypeRebased          = "branch.rebased"
	TypeConflictResolved = "branch.conflict_resolved"
)

// Branch statuses (Infrahub's BranchStatus).
const (
	StatusOpen   = "OPEN"
	StatusMerged = "MERGED"
)

// Merged is the payload of TypeMerged: what merging Name wrote on the default branch, in the
// stored form of the graph (fields as branch/nodes names them).
type Merged struct {
	Name    string   `json:"name"`
	Changes []Change `json:"changes"`
}

// Change is one change of a merge. Op is one of create, delete, set, clear, add_peer,
// remove_peer, claim, release.
type Change struct {
	Op          string `json:"op"`
	Node        string `json:"node,omitempty"`
	Kind        string `json:"kind,omitempty"`
	Field       string `json:"field,omitempty"`
	Value       any    `json:"value,omitempty"`
	Source      string `json:"source,omitempty"`
	Owner       string `json:"owner,omitempty"`
	IsProtected bool   `json:"is_protected,omitempty"`
	IsDefault   bool   `json:"is_default,omitempty"`
	Peer        string `json:"peer,omitempty"`
	Constraint  string `json:"constraint,omitempty"`
	Key         string `json:"key,omitempty"`
}

// Rebased is the payload of TypeRebased: the branch now sees the default branch as of
// BranchedFrom (its head when the rebase was decided).
type Rebased struct {
	Name         string          `json:"name"`
	BranchedFrom events.Position `json:"branched_from"`
	// Changes are written on the branch first: the default branch's values of the conflicts
	// resolved for it.
	Changes []Change `json:"changes,omitempty"`
}

// Keep values of a conflict resolution.
const (
	KeepBase   = "base"   // the default branch's value stays
	KeepBranch = "branch" // the branch's value wins
)

// ConflictResolved is the payload of TypeConflictResolved.
type ConflictResolved struct {
	Name     string `json:"name"`
	Conflict string `json:"conflict"`
	Keep     string `json:"keep"`
}

// Created is the payload of TypeCreated.
type Created struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	SyncWithGit bool   `json:"sync_with_git,omitempty"`
	// BranchedFrom is the log position the branch was created at: it sees the default branch as of
	// that position, plus its own changes.
	BranchedFrom events.Position `json:"branched_from"`
}

// Deleted is the payload of TypeDeleted.
type Deleted struct {
	Name string `json:"name"`
}

// RegisterEvents adds the branch and schema event types to c.
func RegisterEvents(c *events.Catalogue) {
	c.MustRegister(TypeCreated, 1, Created{})
	c.MustRegister(TypeDeleted, 1, Deleted{})
	c.MustRegister(TypeMerged, 1, Merged{})
	c.MustRegister(TypeRebased, 1, Rebased{})
	c.MustRegister(TypeConflictResolved, 1, ConflictResolved{})
}

// Info describes one branch, in the fields of Infrahub's Branch type.
type Info struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	OriginBranch string          `json:"origin_branch"`
	BranchedFrom events.Position `json:"branched_from"`
	CreatedAt    time.Time       `json:"created_at"`
	SyncWithGit  bool            `json:"sync_with_git"`
	IsDefault    bool            `json:"is_default"`
	Status       string          `json:"status"`
	// HasSchemaChanges is true once the branch loaded a schema of its own.
	HasSchemaChanges bool `json:"has_schema_changes"`
}
