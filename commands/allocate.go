package commands

import (
	"context"

	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/commands/payload"
)

// TypeAllocate takes a resource from an IP address or prefix pool as a new node (Infrahub's
// InfrahubIPAddressPoolGetResource and InfrahubIPPrefixPoolGetResource). With an identifier the
// pool gave before, it answers the node given then and writes nothing.
const TypeAllocate = "pool.allocate"

// Allocate is the payload of TypeAllocate.
type Allocate struct {
	Branch string   `json:"branch,omitempty"`
	ID     string   `json:"id,omitempty"`   // the pool
	HFID   []string `json:"hfid,omitempty"` // or its name
	// Identifier makes the allocation idempotent.
	Identifier   string `json:"identifier,omitempty"`
	PrefixLength int    `json:"prefix_length,omitempty"`
	// Kind of the new node (the pool's default when empty); MemberType of a new prefix.
	Kind       string `json:"kind,omitempty"`
	MemberType string `json:"member_type,omitempty"`
	Data       Data   `json:"data,omitempty"`
}

func (s *Service) allocate(ctx context.Context, cmd Command) (Result, error) {
	var in Allocate
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	ref := PoolRef{ID: in.ID, HFID: in.HFID, Identifier: in.Identifier, PrefixLength: in.PrefixLength,
		PrefixType: in.Kind, AddressType: in.Kind, MemberType: in.MemberType, Data: in.Data}
	res, err := s.w.nodes(ctx, cmd, in.Branch, func(t *nodetx.Tx) (any, error) { return t.Allocate(ref) })
	if err != nil {
		return Result{}, err
	}
	return typed[NodeOutcome](res)
}
