package graph

import (
	"context"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
)

// Differ answers a branch's diff.
type Differ interface {
	// Diff is what branch name changed since its base, node by node, with what the default
	// branch did to the same nodes and the conflicts, as of the head. An unknown branch wraps
	// ErrBranchNotFound; the default branch ("" too) has no diff and wraps fault.ErrInvalid.
	Diff(ctx context.Context, name string) (branch.Diff, error)
}

// Dumper answers every node of a branch.
type Dumper interface {
	// Dump lists every live node of the node, profile and template kinds of the branch's schema
	// in scope, with its attributes and relationship peers, sorted by kind then id. An unknown
	// branch wraps ErrBranchNotFound.
	Dump(ctx context.Context, scope Scope) (Dump, error)
}

// IPAM answers the free resources under an IP prefix (a node of a kind inheriting
// BuiltinIPPrefix), without taking them.
type IPAM interface {
	// NextAvailableAddress is the first address of prefix prefixID that no address of it (or
	// of the prefixes under it) uses, with mask length (0: the prefix's), as "10.0.0.3/24".
	// The network address of an IPv4 prefix wider than /31 and its broadcast address are never
	// given. ok is false when the prefix is full. An id that names no node in scope, a node that
	// is not an IP prefix or a length that does not fit the prefix wraps ErrInvalidQuery.
	NextAvailableAddress(ctx context.Context, scope Scope, prefixID string, length int) (address string, ok bool, err error)
	// NextAvailablePrefix is the first prefix of the given length under prefix prefixID that
	// overlaps none of its child prefixes, as "10.1.1.0/24"; ok is false when there is none.
	// Errors are those of NextAvailableAddress (a length must be longer than the prefix's).
	NextAvailablePrefix(ctx context.Context, scope Scope, prefixID string, length int) (prefix string, ok bool, err error)
}

// Waiter waits for the projection (read-your-writes: pos is a position a command's append
// returned).
type Waiter interface {
	// WaitFor returns nil once the projection has folded every event up to log position pos
	// (at once when it has), or an error wrapping ctx.Err() when ctx ends first (fault
	// classifies it as unavailable).
	WaitFor(ctx context.Context, pos events.Position) error
}

// Port is the whole read port of the graph projection: every adapter implements it. Consumers
// take the small interfaces they need.
type Port interface {
	Reader
	Differ
	Dumper
	IPAM
	Waiter
}
