package memory

import (
	"context"
	"fmt"

	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// NextAvailableAddress implements graph.IPAM with nodes.View.NextAvailableAddress.
func (r *Reader) NextAvailableAddress(ctx context.Context, s graph.Scope, prefixID string, length int) (string, bool, error) {
	return r.next(ctx, s, prefixID, length, (*nodes.View).NextAvailableAddress)
}

// NextAvailablePrefix implements graph.IPAM with nodes.View.NextAvailablePrefix.
func (r *Reader) NextAvailablePrefix(ctx context.Context, s graph.Scope, prefixID string, length int) (string, bool, error) {
	return r.next(ctx, s, prefixID, length, (*nodes.View).NextAvailablePrefix)
}

func (r *Reader) next(ctx context.Context, s graph.Scope, prefixID string, length int,
	find func(*nodes.View, bg.NodeID, int) (string, bool, error)) (string, bool, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return "", false, err
	}
	id, err := bg.ParseNodeID(prefixID)
	if err != nil {
		return "", false, fmt.Errorf("%w: %q is not a node id", graph.ErrInvalidQuery, prefixID)
	}
	value, ok, err := find(v, id, length)
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", graph.ErrInvalidQuery, err)
	}
	return value, ok, nil
}
