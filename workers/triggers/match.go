package triggers

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Fires reports whether ev fires r, with Infrahub's semantics (the Prefect trigger
// ActionTriggerRuleTriggerDefinition builds):
//
//   - the rule is active and its branch_scope takes the event's branch (an event without
//     branch counts as the default branch's);
//   - CoreNodeTriggerRule: the event is infrahub.node.<mutation_action> of a primary node of
//     exactly node_kind; and every match holds: an attribute match needs an attribute change
//     of that name (added, updated or removed) whose value (value_match "value"), previous value
//     ("value_previous") or both ("value_full") equal the match's as text — a value unset in the
//     match is "", a null attribute value is "NULL" (Infrahub's related resource labels) — ;
//     a relationship match needs a peer added (added true) or removed of that relationship,
//     of that peer id when the match names one;
//   - CoreGroupTriggerRule: infrahub.group.member_added (members_added) or member_removed of
//     the rule's group (the event's primary node).
func (r Rule) Fires(ev activity.Event, def string) bool {
	if !r.Active || !inScope(r.BranchScope, ev.Branch, def) || ev.PrimaryNode == nil {
		return false
	}
	switch r.Kind {
	case KindNodeTriggerRule:
		if ev.Name != "infrahub.node."+r.MutationAction || ev.PrimaryNode.Kind != r.NodeKind {
			return false
		}
		for _, m := range r.Matches {
			if !m.holds(ev) {
				return false
			}
		}
		return true
	case KindGroupTriggerRule:
		want := activity.GroupMemberRemoved
		if r.MembersAdded {
			want = activity.GroupMemberAdded
		}
		return ev.Name == want && ev.PrimaryNode.ID == r.GroupID
	}
	return false
}

func (m Match) holds(ev activity.Event) bool {
	switch m.Kind {
	case KindAttributeMatch:
		for _, a := range ev.Attributes {
			if a.Name != m.Attribute || (a.Action != activity.ActionAdded && a.Action != activity.ActionUpdated && a.Action != activity.ActionRemoved) {
				continue
			}
			switch m.ValueMatch {
			case "value_previous":
				if label(a.ValuePrevious) == m.ValuePrevious {
					return true
				}
			case "value_full":
				if label(a.Value) == m.Value && label(a.ValuePrevious) == m.ValuePrevious {
					return true
				}
			default:
				if label(a.Value) == m.Value {
					return true
				}
			}
		}
	case KindRelationshipMatch:
		want := activity.ActionRemoved
		if m.Added {
			want = activity.ActionAdded
		}
		for _, c := range ev.Relationships {
			if c.Name == m.Relationship && c.Action == want && (m.Peer == "" || c.Peer.ID == m.Peer) {
				return true
			}
		}
	}
	return false
}

// label is a value as Infrahub writes it in an event's related resources: "NULL" for none,
// else Python's str() of it (True/False for booleans, integers without a decimal point).
func label(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

func inScope(scope, branchName, def string) bool {
	onDefault := branchName == "" || branchName == def
	switch scope {
	case "all_branches":
		return true
	case "other_branches":
		return !onDefault
	default:
		return onDefault
	}
}

// active reads the rules once, then answers them until Invalidate.
func (t *Triggers) active(ctx context.Context) ([]Rule, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rules != nil {
		return t.rules, nil
	}
	scope := graph.Scope{Branch: t.cfg.Default}
	page, err := t.cfg.Graph.List(ctx, scope, graph.Query{Kind: KindTriggerRule, OrderBy: []graph.Order{}})
	if err != nil {
		return nil, fmt.Errorf("triggers: reading the trigger rules: %w", err)
	}
	rules := make([]Rule, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		r, err := t.readRule(ctx, scope, n)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	t.rules = rules
	return rules, nil
}

func (t *Triggers) readRule(ctx context.Context, scope graph.Scope, n graph.Node) (Rule, error) {
	r := Rule{ID: n.ID, Kind: n.Kind, Name: n.Text("name"), Active: flag(n, "active", true),
		BranchScope: n.Text("branch_scope"), NodeKind: strings.TrimSpace(n.Text("node_kind")),
		MutationAction: n.Text("mutation_action"), MembersAdded: flag(n, "members_added", true)}
	one := func(id, kind, rel string) (graph.Edge, error) {
		m, err := t.cfg.Graph.Peers(ctx, scope, []string{id}, kind, rel)
		if err != nil {
			return graph.Edge{}, fmt.Errorf("triggers: %s %s: %s: %w", kind, id, rel, err)
		}
		if es := m[id]; len(es) > 0 {
			return es[0], nil
		}
		return graph.Edge{}, nil
	}
	if r.Kind == KindGroupTriggerRule {
		g, err := one(n.ID, n.Kind, "group")
		if err != nil {
			return r, err
		}
		r.GroupID = g.Peer
	}
	act, err := one(n.ID, n.Kind, "action")
	if err != nil {
		return r, err
	}
	r.ActionID, r.ActionKind = act.Peer, act.PeerKind
	if act.Peer != "" {
		an, err := t.cfg.Graph.Get(ctx, scope, act.Peer)
		if err != nil {
			return r, fmt.Errorf("triggers: rule %s: action %s: %w", r.Name, act.Peer, err)
		}
		r.AddMembers = flag(an, "add_members", true)
		rel := "group"
		if an.Kind == KindGeneratorAction {
			rel = "generator"
		}
		e, err := one(an.ID, an.Kind, rel)
		if err != nil {
			return r, err
		}
		if rel == "group" {
			r.ActionGroup = e.Peer
		} else {
			r.Generator = e.Peer
		}
	}
	if r.Kind != KindNodeTriggerRule {
		return r, nil
	}
	m, err := t.cfg.Graph.Peers(ctx, scope, []string{n.ID}, n.Kind, "matches")
	if err != nil {
		return r, fmt.Errorf("triggers: rule %s: matches: %w", r.Name, err)
	}
	for _, e := range m[n.ID] {
		mn, err := t.cfg.Graph.Get(ctx, scope, e.Peer)
		if err != nil {
			return r, fmt.Errorf("triggers: rule %s: match %s: %w", r.Name, e.Peer, err)
		}
		mt := Match{Kind: mn.Kind, Attribute: mn.Text("attribute_name"), ValueMatch: mn.Text("value_match"),
			Relationship: mn.Text("relationship_name"), Peer: mn.Text("peer"), Added: flag(mn, "added", true)}
		mt.Value, mt.HasValue = text(mn, "value")
		mt.ValuePrevious, mt.HasValuePrevious = text(mn, "value_previous")
		r.Matches = append(r.Matches, mt)
	}
	return r, nil
}
