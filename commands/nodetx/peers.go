package nodetx

import (
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// RelationshipPeers adds peers to, or removes peers from, a cardinality-many relationship
// (relationship.add and relationship.remove, Infrahub's RelationshipAdd and RelationshipRemove).
type RelationshipPeers struct {
	Branch string            `json:"branch,omitempty"`
	Kind   string            `json:"kind,omitempty"`
	ID     string            `json:"id,omitempty"`
	HFID   []string          `json:"hfid,omitempty"`
	Name   string            `json:"name"`
	Peers  []json.RawMessage `json:"peers"`
}

// Peers adds (or, with remove, removes) peers of a cardinality-many relationship of a node.
func (t *Tx) Peers(in RelationshipPeers, remove bool) (NodeOutcome, error) {
	n, err := t.parse.target(in.Kind, in.ID, in.HFID)
	if err != nil {
		return NodeOutcome{}, err
	}
	r, field, ok := relOf(n.model, in.Name)
	if !ok {
		return NodeOutcome{}, fmt.Errorf("%w: field \"name\": %s has no relationship %q", fault.ErrInvalid, n.kind, in.Name)
	}
	if r.Cardinality != "many" {
		return NodeOutcome{}, fmt.Errorf("%w: field \"name\": relationship %q of %s has cardinality one; update the node instead", fault.ErrInvalid, in.Name, n.kind)
	}
	global := isGlobal(n.model)
	relGlobal := r.Branch == schema.BranchAgnostic && !global
	ev := nodes.Updated{ID: n.id.String(), Kind: n.kind, Global: global}
	for i, raw := range in.Peers {
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			return NodeOutcome{}, fmt.Errorf("%w: field \"peers\", item %d: %v", fault.ErrInvalid, i+1, err)
		}
		ref, err := parseRef(x)
		if err != nil {
			return NodeOutcome{}, fmt.Errorf("%w: field \"peers\", item %d: %v", fault.ErrInvalid, i+1, err)
		}
		p, err := t.parse.ref(r, ref)
		if err != nil {
			return NodeOutcome{}, nodeError(n.kind, in.Name, fmt.Errorf("item %d: %w", i+1, err))
		}
		has := t.st.hasPeer(n.id, field, p)
		switch {
		case remove && has:
			ev.Edges = append(ev.Edges, t.st.ownEdge(n.id, field, p, true, relGlobal))
		case !remove && !has:
			ev.Edges = t.link(n, r, field, p, ev.Edges)
		}
	}
	count := len(t.st.peersOf(n.id, field))
	if err := checkCount(r, count); err != nil {
		return NodeOutcome{}, nodeError(n.kind, in.Name, err)
	}
	if remove && count == 0 && mandatoryRel(r) {
		return NodeOutcome{}, nodeError(n.kind, in.Name, fmt.Errorf("%w: the relationship is mandatory", fault.ErrInvalid))
	}
	if len(ev.Edges) == 0 {
		t.outcome.of(n.kind).Unchanged++
		return t.outcomeOf(n, "unchanged"), nil
	}
	t.st.emit(nodes.TypeUpdated, ev, global)
	t.outcome.of(n.kind).Updated++
	if r.Kind == schema.RelProfile {
		// Its profiles changed: so may the values it takes from them (one more event of the same
		// update, not one more node in the counts).
		saved := *t.outcome.of(n.kind)
		if _, err := t.update(n, nil, nil); err != nil {
			return NodeOutcome{}, err
		}
		*t.outcome.of(n.kind) = saved
	}
	if err := t.computed.propagate(n, nil, ev.Edges); err != nil {
		return NodeOutcome{}, err
	}
	return t.outcomeOf(n, "updated"), nil
}
