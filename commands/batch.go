package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/branch/graph"
)

// TypeBatch applies many node operations atomically: all of them are decided in order against
// one view of the branch (later operations see earlier ones) and appended together, or, when one
// is refused, none is.
const TypeBatch = "batch"

// Batch is the payload of TypeBatch.
type Batch struct {
	Branch     string      `json:"branch,omitempty"`
	Operations []Operation `json:"operations"`
}

// Operation is one operation of a batch: a node command type and its payload (without branch).
// Ref labels the node it creates or upserts so that later operations can name it {"ref": ...}.
type Operation struct {
	Type    string          `json:"type"`
	Ref     string          `json:"ref,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

// BatchOutcome is what a batch answers in Result.Data.
type BatchOutcome struct {
	Nodes []NodeOutcome `json:"nodes"`
	Kinds Outcomes      `json:"kinds"`
}

// MaxBatch is the largest number of operations a batch takes.
const MaxBatch = 10_000

// Batch is the Handler of TypeBatch.
func (h *Nodes) Batch(ctx context.Context, cmd Command) (Result, error) {
	var in Batch
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	if len(in.Operations) == 0 {
		return Result{}, fmt.Errorf("%w: field \"operations\" is empty", ErrInvalid)
	}
	if len(in.Operations) > MaxBatch {
		return Result{}, fmt.Errorf("%w: field \"operations\" holds %d operations, at most %d", ErrInvalid, len(in.Operations), MaxBatch)
	}
	var out BatchOutcome
	res, _, err := h.decide(ctx, cmd, in.Branch, func(t *tx) error {
		out = BatchOutcome{Nodes: make([]NodeOutcome, 0, len(in.Operations))}
		for i, op := range in.Operations {
			o, err := t.operation(op)
			if err != nil {
				return fmt.Errorf("operation %d (%s): %w", i+1, op.Type, err)
			}
			out.Nodes = append(out.Nodes, o)
		}
		out.Kinds = t.outcome
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res.Data = out
	return res, nil
}

func strictInto(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	return nil
}

// operation decides one operation of a batch inside t.
func (t *tx) operation(op Operation) (NodeOutcome, error) {
	var (
		out    NodeOutcome
		err    error
		branch string
	)
	switch op.Type {
	case TypeCreateNode:
		var in CreateNode
		if err = strictInto(op.Payload, &in); err == nil {
			branch = in.Branch
			out, err = t.createOp(in)
		}
	case TypeUpdateNode, TypeUpsertNode:
		var in UpdateNode
		if err = strictInto(op.Payload, &in); err == nil {
			branch = in.Branch
			if op.Type == TypeUpdateNode {
				out, err = t.updateOp(in)
			} else {
				out, err = t.upsertOp(in)
			}
		}
	case TypeDeleteNode:
		var in DeleteNode
		if err = strictInto(op.Payload, &in); err == nil {
			branch = in.Branch
			out, err = t.deleteOp(in)
		}
	case TypeAddPeers, TypeRemovePeers:
		var in RelationshipPeers
		if err = strictInto(op.Payload, &in); err == nil {
			branch = in.Branch
			out, err = t.peersOp(in, op.Type == TypeRemovePeers)
		}
	default:
		return out, fmt.Errorf("%w: field \"type\": %q cannot be batched (one of %s, %s, %s, %s, %s, %s)", ErrInvalid, op.Type,
			TypeCreateNode, TypeUpdateNode, TypeUpsertNode, TypeDeleteNode, TypeAddPeers, TypeRemovePeers)
	}
	if err != nil {
		return out, err
	}
	if branch != "" && branch != t.v.Branch {
		return out, fmt.Errorf("%w: field \"branch\": an operation names branch %q inside a batch on %q", ErrInvalid, branch, t.v.Branch)
	}
	if op.Ref != "" {
		id, perr := parseOutcomeID(out.ID)
		if perr != nil {
			return out, perr
		}
		if _, dup := t.refs[op.Ref]; dup {
			return out, fmt.Errorf("%w: field \"ref\": label %q is used twice", ErrInvalid, op.Ref)
		}
		t.refs[op.Ref] = id
	}
	return out, nil
}

func parseOutcomeID(s string) (graph.NodeID, error) {
	id, err := graph.ParseNodeID(s)
	if err != nil {
		return id, fmt.Errorf("operation answered a bad id %q: %w", s, err)
	}
	return id, nil
}
