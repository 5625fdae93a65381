// Package activity is Infrahub's events (infrahub.node.created, infrahub.branch.merged, ...)
// derived from the log: never stored twice. Derive turns one log envelope into the events
// Infrahub would have sent for it, with previous values read from the graph just before the
// envelope's position; a Hub tails the log and hands the derived events to subscribers in log
// order, from any position (resume), bounded per subscriber; an Index keeps what InfrahubEvent
// filters and sorts on.
package activity

import (
	"context"
	"strconv"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// Event names (Infrahub's, backend/infrahub/events/*).
const (
	NodeCreated        = "infrahub.node.created"
	NodeUpdated        = "infrahub.node.updated"
	NodeDeleted        = "infrahub.node.deleted"
	BranchCreated      = "infrahub.branch.created"
	BranchDeleted      = "infrahub.branch.deleted"
	BranchMerged       = "infrahub.branch.merged"
	BranchRebased      = "infrahub.branch.rebased"
	GroupMemberAdded   = "infrahub.group.member_added"
	GroupMemberRemoved = "infrahub.group.member_removed"
	ArtifactCreated    = "infrahub.artifact.created"
	ArtifactUpdated    = "infrahub.artifact.updated"
	SchemaUpdated      = "infrahub.schema.update"
)

// Actions of attribute and relationship changes (Infrahub's DiffAction, lower case).
const (
	ActionAdded     = "added"
	ActionUpdated   = "updated"
	ActionRemoved   = "removed"
	ActionUnchanged = "unchanged"
)

// NodeRef names a node.
type NodeRef struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// AttributeChange is one attribute of a node event: its value now and just before.
type AttributeChange struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"` // the attribute's kind in the schema (Text, Number, ...)
	Value         any    `json:"value"`
	ValuePrevious any    `json:"value_previous"`
	Action        string `json:"action"`
}

// RelationshipChange is one peer added to or removed from a relationship of a node event.
type RelationshipChange struct {
	Name   string  `json:"name"`
	Peer   NodeRef `json:"peer"`
	Action string  `json:"action"` // ActionAdded or ActionRemoved
}

// Event is one Infrahub event derived from the log.
type Event struct {
	// ID is unique and stable: the log event's id for the first event derived from it, a
	// UUID derived from it and the event's index for the others.
	ID       string          `json:"id"`
	Position events.Position `json:"position"` // of the log event it was derived from
	// Index is the event's place among the events derived from its log event (0 first), Last
	// says it is the last of them: a subscriber that has the Last event of position P resumes
	// after P; one that stopped at an event that is not Last resumes after P-1 and skips the
	// events of P up to its Index.
	Index int  `json:"-"`
	Last  bool `json:"-"`
	// Trimmed says Filter.Visible left something out for a subscriber's permissions: the
	// event is that subscriber's own, not the one every subscriber shares.
	Trimmed    bool      `json:"-"`
	Name       string    `json:"event"`
	Branch     string    `json:"branch"`
	OccurredAt time.Time `json:"occurred_at"`
	AccountID  string    `json:"account_id,omitempty"`
	// Level is 0 for an event of its own, 1 for the child of another (ParentID): the node
	// events of a merge are children of its infrahub.branch.merged.
	Level        int       `json:"level"`
	ParentID     string    `json:"parent_id,omitempty"`
	HasChildren  bool      `json:"has_children"`
	PrimaryNode  *NodeRef  `json:"primary_node,omitempty"`
	RelatedNodes []NodeRef `json:"related_nodes"`
	// Node events (and group and artifact events, for the node that changed).
	Attributes    []AttributeChange    `json:"attributes,omitempty"`
	Relationships []RelationshipChange `json:"relationships,omitempty"`
	// Payload holds what the typed GraphQL fragments read beside the above: for a branch event
	// "branch_id", "sync_with_git", "created_at", "source_branch"; for an artifact event
	// "artifact_definition_id", "checksum", "checksum_previous", "storage_id",
	// "storage_id_previous"; for a group event "group" (NodeRef) and "members" ([]NodeRef); for
	// a node event "data" (Infrahub's NodeMutatedEvent payload: a *NodeMutation, which encodes
	// as its objects and builds them only then).
	Payload map[string]any `json:"payload,omitempty"`
}

// Filter selects events. Empty fields select everything.
type Filter struct {
	Names        []string // event names (exact), or prefixes ending in "." ("infrahub.node.")
	Branches     []string
	Kinds        []string // of the primary node (a generic matches the kinds that inherit it)
	NodeIDs      []string // the primary node
	RelatedIDs   []string // the primary node or a related node
	AccountIDs   []string
	AllowedKinds func(kind string) bool // permissions: events of a primary node of another kind are dropped (nil: all)
}

// ErrOverflow ends a subscription whose subscriber fell behind its buffer: the error says the
// last position delivered, from which the subscriber resumes.
var ErrOverflow = fault.New(fault.ErrUnavailable, "the subscriber fell behind")

// OverflowError is ErrOverflow with the position to resume after.
type OverflowError struct{ After events.Position }

func (e *OverflowError) Error() string {
	return ErrOverflow.Error() + ": resume after position " + strconv.FormatInt(int64(e.After), 10)
}
func (e *OverflowError) Unwrap() error { return ErrOverflow }

// Source is what consumers need of a Hub: the events after a position matching f, in log
// order, live, until ctx ends (nil error on ctx's end is not promised: ctx.Err()), deliver
// returns an error, or the subscriber falls behind (an *OverflowError).
type Source interface {
	Subscribe(ctx context.Context, after events.Position, f Filter, deliver func(Event) error) error
}

// Query is what InfrahubEvent asks: a Filter and Infrahub's other arguments.
type Query struct {
	Filter
	IDs         []string
	ParentIDs   []string
	HasChildren *bool
	Level       *int
	Since       time.Time // zero: no bound
	Until       time.Time
	Ascending   bool // EventSortOrder ASC (default: newest first)
	Offset      int
	Limit       int // 0: the server's page size

	// BranchNames keeps the branch events about one of these branches (the branch created,
	// deleted or rebased; for a merge, Payload "source_branch") and no other event: what
	// InfrahubEvent's event_type_filter {branch_merged|branch_rebased: {branches}} asks (nil:
	// no such bound).
	BranchNames []string
	// Q keeps the events whose name, primary node id or primary node kind holds Q, ignoring
	// case (the q argument of the UI's activity query; "": no bound).
	Q string
}

// Lister answers InfrahubEvent: the number of events matching q and the page of them asked.
type Lister interface {
	List(ctx context.Context, q Query) (count int, page []Event, err error)
}
