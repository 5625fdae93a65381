package activity

import (
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/schema"
)

// SchemaOf answers the schema of a branch (false: no such branch).
type SchemaOf func(branch string) (*schema.Set, bool)

// Match reports whether e passes f. A kind of f that is a generic matches the kinds inheriting
// it in the schema of e's branch (schemaOf nil: kinds match exactly). AllowedKinds is checked on
// the primary node; Visible hides the rest.
func (f Filter) Match(e Event, schemaOf SchemaOf) bool {
	if len(f.Names) > 0 && !nameMatches(f.Names, e.Name) {
		return false
	}
	if len(f.Branches) > 0 && !slices.Contains(f.Branches, e.Branch) {
		return false
	}
	if len(f.AccountIDs) > 0 && !slices.Contains(f.AccountIDs, e.AccountID) {
		return false
	}
	var id, kind string
	if e.PrimaryNode != nil {
		id, kind = e.PrimaryNode.ID, e.PrimaryNode.Kind
	}
	if len(f.Kinds) > 0 && (e.PrimaryNode == nil || !KindMatches(f.Kinds, kind, e.Branch, schemaOf)) {
		return false
	}
	if len(f.NodeIDs) > 0 && (e.PrimaryNode == nil || !slices.Contains(f.NodeIDs, id)) {
		return false
	}
	if len(f.RelatedIDs) > 0 && !relatedMatches(f.RelatedIDs, e) {
		return false
	}
	if f.AllowedKinds != nil && e.PrimaryNode != nil && !f.AllowedKinds(kind) {
		return false
	}
	return true
}

// Visible is e as f's permissions let it be seen: the related nodes, relationship peers and
// group members of kinds AllowedKinds refuses are left out (e itself is not changed).
func (f Filter) Visible(e Event) Event {
	if f.AllowedKinds == nil {
		return e
	}
	hidden := func(r NodeRef) bool { return r.Kind != "" && !f.AllowedKinds(r.Kind) }
	if slices.ContainsFunc(e.RelatedNodes, hidden) {
		e.RelatedNodes = slices.DeleteFunc(slices.Clone(e.RelatedNodes), hidden)
		e.Trimmed = true
	}
	if slices.ContainsFunc(e.Relationships, func(r RelationshipChange) bool { return hidden(r.Peer) }) {
		e.Relationships = slices.DeleteFunc(slices.Clone(e.Relationships), func(r RelationshipChange) bool { return hidden(r.Peer) })
		e.Trimmed = true
	}
	if members, ok := e.Payload["members"].([]NodeRef); ok && slices.ContainsFunc(members, hidden) {
		p := make(map[string]any, len(e.Payload))
		for k, v := range e.Payload {
			p[k] = v
		}
		p["members"] = slices.DeleteFunc(slices.Clone(members), hidden)
		e.Payload = p
		e.Trimmed = true
	}
	return e
}

// hides reports whether Visible would leave something of e out.
func (f Filter) hides(e Event) bool {
	if f.AllowedKinds == nil {
		return false
	}
	hidden := func(r NodeRef) bool { return r.Kind != "" && !f.AllowedKinds(r.Kind) }
	if slices.ContainsFunc(e.RelatedNodes, hidden) || slices.ContainsFunc(e.Relationships, func(r RelationshipChange) bool { return hidden(r.Peer) }) {
		return true
	}
	members, ok := e.Payload["members"].([]NodeRef)
	return ok && slices.ContainsFunc(members, hidden)
}

func nameMatches(names []string, name string) bool {
	for _, n := range names {
		if n == name || (strings.HasSuffix(n, ".") && strings.HasPrefix(name, n)) {
			return true
		}
	}
	return false
}

func relatedMatches(ids []string, e Event) bool {
	if e.PrimaryNode != nil && slices.Contains(ids, e.PrimaryNode.ID) {
		return true
	}
	for _, r := range e.RelatedNodes {
		if slices.Contains(ids, r.ID) {
			return true
		}
	}
	return false
}

// KindMatches reports whether kind is one of kinds or inherits one of them (in the schema of
// branch br).
func KindMatches(kinds []string, kind, br string, schemaOf SchemaOf) bool {
	if slices.Contains(kinds, kind) {
		return true
	}
	if schemaOf == nil || kind == "" {
		return false
	}
	set, ok := schemaOf(br)
	if !ok || set == nil {
		if set, ok = schemaOf(branch.Default); !ok || set == nil {
			return false
		}
	}
	n, ok := set.Node(kind)
	if !ok {
		return false
	}
	for _, g := range n.InheritFrom {
		if slices.Contains(kinds, g) {
			return true
		}
	}
	return false
}
