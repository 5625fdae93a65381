package branch

import (
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// Branch lifecycle events live on one stream, so that creating and deleting branches is
// decided against one version.
const (
	LifecycleStream = "branches"
	TypeCreated     = "branch.created"
	TypeDeleted     = "branch.deleted"
)

// Created is the payload of TypeCreated.
type Created struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	SyncWithGit bool   `json:"sync_with_git,omitempty"`
	// BranchedFrom is the log position the branch was created at: it sees the default branch as of
	// that position, plus its own changes.
	BranchedFrom int64 `json:"branched_from"`
}

// Deleted is the payload of TypeDeleted.
type Deleted struct {
	Name string `json:"name"`
}

// RegisterEvents adds the branch and schema event types to c.
func RegisterEvents(c *events.Catalogue) {
	c.MustRegister(TypeCreated, 1, Created{})
	c.MustRegister(TypeDeleted, 1, Deleted{})
}

// Info describes one branch, in the fields of Infrahub's Branch type.
type Info struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	OriginBranch string    `json:"origin_branch"`
	BranchedFrom int64     `json:"branched_from"`
	CreatedAt    time.Time `json:"created_at"`
	SyncWithGit  bool      `json:"sync_with_git"`
	IsDefault    bool      `json:"is_default"`
	Status       string    `json:"status"`
}
