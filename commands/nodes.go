package commands

import (
	"context"

	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/commands/payload"
)

// The payloads and answers of the node commands are the node domain's (package nodetx).
type (
	// Data is the data of a node as commands take it (see nodetx.Data).
	Data = nodetx.Data
	// CreateNode is the payload of TypeCreateNode.
	CreateNode = nodetx.CreateNode
	// UpdateNode is the payload of TypeUpdateNode and TypeUpsertNode.
	UpdateNode = nodetx.UpdateNode
	// DeleteNode is the payload of TypeDeleteNode.
	DeleteNode = nodetx.DeleteNode
	// RelationshipPeers is the payload of TypeAddPeers and TypeRemovePeers.
	RelationshipPeers = nodetx.RelationshipPeers
	// PoolRef names a resource pool and what to ask it.
	PoolRef = nodetx.PoolRef
	// NodeOutcome is what a single node command answers in Result.Data.
	NodeOutcome = nodetx.NodeOutcome
	// Outcomes counts, per kind, what a command did.
	Outcomes = nodetx.Outcomes
	// Outcome is what a command did to the nodes of one kind.
	Outcome = nodetx.Outcome
	// UniquenessError is a write refused because another node holds a unique value.
	UniquenessError = nodetx.UniquenessError
)

// Node command types.
const (
	// TypeCreateNode creates one node (Infrahub's <Kind>Create).
	TypeCreateNode = "node.create"
	// TypeUpdateNode changes some fields of one node (Infrahub's <Kind>Update). Fields not given
	// are kept; a list given for a cardinality-many relationship replaces the set.
	TypeUpdateNode = "node.update"
	// TypeUpsertNode creates a node or updates the one it matches (Infrahub's <Kind>Upsert): by
	// id, else by hfid, else by the human-friendly id or a uniqueness constraint computed from
	// the data.
	TypeUpsertNode = "node.upsert"
	// TypeDeleteNode deletes a node (Infrahub's <Kind>Delete), and with it the peers of its
	// relationships declared `on_delete: cascade`. A delete that would leave another node without
	// a mandatory relationship is refused.
	TypeDeleteNode = "node.delete"
	// TypeAddPeers and TypeRemovePeers (Infrahub's RelationshipAdd and RelationshipRemove) add
	// peers to, or remove peers from, a cardinality-many relationship of one node.
	TypeAddPeers    = "relationship.add"
	TypeRemovePeers = "relationship.remove"
)

// nodeCommand is the handler of a command on one node: decode its payload, decide it through a
// transaction on the branch the payload names, append, answer the node's outcome.
func nodeCommand[P any](s *Service, branchOf func(*P) string, op func(t *nodetx.Tx, in P) (NodeOutcome, error)) Handler {
	return func(ctx context.Context, cmd Command) (Result, error) {
		var in P
		if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
			return Result{}, err
		}
		res, err := s.w.grouped(ctx, cmd, branchOf(&in), func(t *nodetx.Tx) (any, error) { return op(t, in) })
		if err != nil {
			return Result{}, err
		}
		return typed[NodeOutcome](res)
	}
}

// nodeHandlers are the handlers of the commands on one node.
func (s *Service) nodeHandlers() map[string]Handler {
	peers := func(remove bool) func(t *nodetx.Tx, in RelationshipPeers) (NodeOutcome, error) {
		return func(t *nodetx.Tx, in RelationshipPeers) (NodeOutcome, error) { return t.Peers(in, remove) }
	}
	return map[string]Handler{
		TypeCreateNode:  nodeCommand(s, func(in *CreateNode) string { return in.Branch }, (*nodetx.Tx).Create),
		TypeUpdateNode:  nodeCommand(s, func(in *UpdateNode) string { return in.Branch }, (*nodetx.Tx).Update),
		TypeUpsertNode:  nodeCommand(s, func(in *UpdateNode) string { return in.Branch }, (*nodetx.Tx).Upsert),
		TypeDeleteNode:  nodeCommand(s, func(in *DeleteNode) string { return in.Branch }, (*nodetx.Tx).Delete),
		TypeAddPeers:    nodeCommand(s, func(in *RelationshipPeers) string { return in.Branch }, peers(false)),
		TypeRemovePeers: nodeCommand(s, func(in *RelationshipPeers) string { return in.Branch }, peers(true)),
	}
}
