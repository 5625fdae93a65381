package commands

import (
	"context"
	"sync"

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

// nodeCommand is the handler of a command on one node: read its payload (input: decode it and
// prepare what of it needs no branch state, on the caller's goroutine, while the branch's turn
// decides other commands), decide it through a transaction on the branch the payload names,
// append, answer the node's outcome.
func nodeCommand[P any](s *Service, input func(raw []byte) (in P, branch string, err error), op func(t *nodetx.Tx, in P) (NodeOutcome, error)) Handler {
	return func(ctx context.Context, cmd Command) (Result, error) {
		in, name, err := input(cmd.Payload)
		if err != nil {
			return Result{}, err
		}
		res, err := s.w.grouped(ctx, cmd, name, func(t *nodetx.Tx) (any, error) { return op(t, in) })
		if err != nil {
			return Result{}, err
		}
		return typed[NodeOutcome](res)
	}
}

// decoded is the input of nodeCommand that decodes a payload through payload.Decode, then calls
// prepare (when not nil) with its branch.
func decoded[P any](branchOf func(*P) string, prepare func(name string, in *P)) func(raw []byte) (P, string, error) {
	return func(raw []byte) (P, string, error) {
		var in P
		if err := payload.Decode(raw, &in, "payload"); err != nil {
			return in, "", err
		}
		if prepare != nil {
			prepare(branchOf(&in), &in)
		}
		return in, branchOf(&in), nil
	}
}

// createInput is the input of a node.create: its payload decoded (payload.Decode's rules), then
// its data parsed against the schema its branch has now (nodetx.PrepareFor): the turn that
// decides it then does not, unless the schema changed meanwhile (a branch that cannot be read is
// left to the turn, which answers why). The plain shape is read without reflection
// (decodeCreate, as a batch's creates are; the data's values stay parts of raw), anything else
// through payload.Decode, which answers the same or refuses it.
func (s *Service) createInput(raw []byte) (CreateNode, string, error) {
	var (
		in CreateNode
		ok bool
	)
	if validJSON(raw) {
		names := createNames.Get().(*strCache)
		in, ok = decodeCreate(raw, *names)
		createNames.Put(names)
	}
	if !ok {
		var err error
		if in, err = decodeCreateSlow(raw); err != nil {
			return in, "", err
		}
	}
	name := in.Branch
	if name == "" {
		name = s.w.def
	}
	if set, ok := branchSchema(s.w.state, name); ok {
		in.PrepareFor(set, s.w.lim)
	}
	return in, in.Branch, nil
}

// decodeCreateSlow reads a payload through payload.Decode, which takes its value as an
// interface: decoding into a value of its own keeps createInput's (which every node.create has)
// off the heap.
//
//go:noinline
func decodeCreateSlow(raw []byte) (CreateNode, error) {
	var in CreateNode
	err := payload.Decode(raw, &in, "payload")
	return in, err
}

// createNames are the kinds and field names of the node.creates read (decodeCreate): made once,
// not at each request.
var createNames = sync.Pool{New: func() any { c := strCache{}; return &c }}

// prepareUpdate decodes an update's or upsert's values: what of it needs no branch state (its
// node's kind is the state's).
func prepareUpdate(_ string, in *UpdateNode) { in.Prepare() }

// nodeHandlers are the handlers of the commands on one node.
func (s *Service) nodeHandlers() map[string]Handler {
	peers := func(remove bool) func(t *nodetx.Tx, in RelationshipPeers) (NodeOutcome, error) {
		return func(t *nodetx.Tx, in RelationshipPeers) (NodeOutcome, error) { return t.Peers(in, remove) }
	}
	return map[string]Handler{
		TypeCreateNode:  nodeCommand(s, s.createInput, (*nodetx.Tx).Create),
		TypeUpdateNode:  nodeCommand(s, decoded(func(in *UpdateNode) string { return in.Branch }, prepareUpdate), (*nodetx.Tx).Update),
		TypeUpsertNode:  nodeCommand(s, decoded(func(in *UpdateNode) string { return in.Branch }, prepareUpdate), (*nodetx.Tx).Upsert),
		TypeDeleteNode:  nodeCommand(s, decoded(func(in *DeleteNode) string { return in.Branch }, nil), (*nodetx.Tx).Delete),
		TypeAddPeers:    nodeCommand(s, decoded(func(in *RelationshipPeers) string { return in.Branch }, nil), peers(false)),
		TypeRemovePeers: nodeCommand(s, decoded(func(in *RelationshipPeers) string { return in.Branch }, nil), peers(true)),
	}
}
