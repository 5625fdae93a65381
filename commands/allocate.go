package commands

import "context"

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

// Allocate is the Handler of TypeAllocate.
func (h *Nodes) Allocate(ctx context.Context, cmd Command) (Result, error) {
	var in Allocate
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	ref := PoolRef{ID: in.ID, HFID: in.HFID, Identifier: in.Identifier, PrefixLength: in.PrefixLength,
		PrefixType: in.Kind, AddressType: in.Kind, MemberType: in.MemberType, Data: in.Data}
	if err := ref.check(); err != nil {
		return Result{}, err
	}
	var out NodeOutcome
	res, _, err := h.decide(ctx, cmd, in.Branch, func(t *tx) error {
		before := len(t.events)
		id, err := t.allocateIP(ref)
		if err != nil {
			return err
		}
		what := "created"
		if len(t.events) == before {
			what = "unchanged"
		}
		out = t.outcomeOf(t.node(id), what)
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res.Data = out
	return res, nil
}
