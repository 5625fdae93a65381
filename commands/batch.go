package commands

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/commands/payload"
)

// TypeBatch applies many node operations atomically: all of them are decided in order in one
// transaction on the branch (later operations see earlier ones) and appended together, or, when
// one is refused, none is.
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

func (s *Service) batch(ctx context.Context, cmd Command) (Result, error) {
	in, fast := decodeBatch(cmd.Payload)
	if !fast {
		in = Batch{}
		if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
			return Result{}, err
		}
	}
	if len(in.Operations) == 0 {
		return Result{}, fmt.Errorf("%w: field \"operations\" is empty", ErrInvalid)
	}
	if len(in.Operations) > MaxBatch {
		return Result{}, fmt.Errorf("%w: field \"operations\" holds %d operations, at most %d", ErrInvalid, len(in.Operations), MaxBatch)
	}
	res, err := s.w.nodes(ctx, cmd, in.Branch, func(t *nodetx.Tx) (any, error) {
		t.Expect(len(in.Operations), s.w.cat, metaOf(cmd))
		decoded := decodeAhead(t, in.Operations)
		defer decoded.close()
		out := BatchOutcome{Nodes: make([]NodeOutcome, 0, len(in.Operations))}
		for i, op := range in.Operations {
			if err := ctx.Err(); err != nil { // the caller left, or its deadline passed
				return nil, fmt.Errorf("operation %d of %d: %w", i+1, len(in.Operations), err)
			}
			o, err := operation(t, op, decoded.get(i))
			if err != nil {
				return nil, fmt.Errorf("operation %d (%s): %w", i+1, op.Type, err)
			}
			out.Nodes = append(out.Nodes, o)
		}
		out.Kinds = t.Outcomes()
		return out, nil
	})
	if err != nil {
		return Result{}, err
	}
	return typed[BatchOutcome](res)
}

// operation decides one operation of a batch inside t, from its payload decoded (decodeOps).
func operation(t *nodetx.Tx, op Operation, d decodedOp) (NodeOutcome, error) {
	var (
		out    NodeOutcome
		err    = d.err
		branch string
	)
	if op.Type == TypeCreateNode {
		if err == nil {
			branch = d.create.Branch
			out, err = t.Create(d.create)
		}
		return finish(t, op, branch, out, err)
	}
	switch in := d.in.(type) {
	case UpdateNode:
		if err == nil {
			branch = in.Branch
			if op.Type == TypeUpdateNode {
				out, err = t.Update(in)
			} else {
				out, err = t.Upsert(in)
			}
		}
	case DeleteNode:
		if err == nil {
			branch = in.Branch
			out, err = t.Delete(in)
		}
	case RelationshipPeers:
		if err == nil {
			branch = in.Branch
			out, err = t.Peers(in, op.Type == TypeRemovePeers)
		}
	default:
		return out, fmt.Errorf("%w: field \"type\": %q cannot be batched (one of %s, %s, %s, %s, %s, %s)", ErrInvalid, op.Type,
			TypeCreateNode, TypeUpdateNode, TypeUpsertNode, TypeDeleteNode, TypeAddPeers, TypeRemovePeers)
	}
	return finish(t, op, branch, out, err)
}

// finish checks the branch an operation of a batch named (branch, when it named one) and labels
// the node it decided (out) with its ref.
func finish(t *nodetx.Tx, op Operation, branch string, out NodeOutcome, err error) (NodeOutcome, error) {
	if err != nil {
		return out, err
	}
	if branch != "" && branch != t.Branch() {
		return out, fmt.Errorf("%w: field \"branch\": an operation names branch %q inside a batch on %q", ErrInvalid, branch, t.Branch())
	}
	if op.Ref != "" {
		if err := t.Label(op.Ref, out.ID); err != nil {
			return out, err
		}
	}
	return out, nil
}
