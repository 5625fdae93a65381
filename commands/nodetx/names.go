package nodetx

import (
	"fmt"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
)

// A related node named by a string that is not a node id ({"id": "generic_devices"}, what
// infrahubctl sends for the strings of a cardinality-many list, or a bare string) is looked up
// as Infrahub's Relationship.resolve looks it up (backend/infrahub/core/relationship/model.py,
// NodeManager.get_one_by_default_filter in core/manager.py): through the peer kind's
// default_filter, which must match one node. When the kind has no default_filter, or it matches
// nothing, the name is then taken as a human-friendly id of one element, as infrahubctl's newer
// versions send it ({"hfid": [name]}). Two matches are refused, as Infrahub refuses them.

// named finds the live node of kind (a node kind or a generic) a name stands for.
func (rx parser) named(kind, name string) (graph.NodeID, error) {
	filter := rx.defaultFilter(kind)
	if filter != "" {
		found := rx.byFilter(kind, filter, name)
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
		default:
			return graph.NodeID{}, ambiguous(kind, fmt.Sprintf("%q", name), "default_filter "+filter, found)
		}
	}
	found := rx.tx.st.hfidMatches(kind, []string{name})
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
	default:
		return graph.NodeID{}, ambiguous(kind, fmt.Sprintf("%q", name), "human-friendly id", found)
	}
	by := "human-friendly id"
	if filter != "" {
		by = "default_filter " + filter + " or human-friendly id"
	}
	return graph.NodeID{}, fmt.Errorf("%w: no %s named %q (looked up by %s) on branch %s", fault.ErrNotFound, kind, name, by, rx.tx.v.Branch)
}

// byHFID finds the live node of kind (a node kind or a generic) with a human-friendly id.
func (rx parser) byHFID(kind string, hfid []string) (graph.NodeID, error) {
	found := rx.tx.st.hfidMatches(kind, hfid)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return graph.NodeID{}, fmt.Errorf("%w: no %s with hfid %q on branch %s", fault.ErrNotFound, kind, hfid, rx.tx.v.Branch)
	}
	return graph.NodeID{}, ambiguous(kind, fmt.Sprintf("%q", hfid), "human-friendly id", found)
}

// ambiguous refuses a name that matches several nodes (Infrahub: "Unable to find node …, 2 nodes
// returned, expected 1").
func ambiguous(kind, name, by string, found []graph.NodeID) error {
	ids := make([]string, len(found))
	for i, id := range found {
		ids[i] = id.String()
	}
	slices.Sort(ids)
	return fmt.Errorf("%w: %s names %d %s nodes by %s (%s), expected 1: refer to it by id or hfid", fault.ErrNotFound,
		name, len(found), kind, by, strings.Join(ids, ", "))
}

// defaultFilter is the default_filter of kind (a node kind or a generic), "" when it has none.
func (rx parser) defaultFilter(kind string) string {
	if m, ok := rx.tx.set.Model(kind); ok && m.DefaultFilter != nil {
		return *m.DefaultFilter
	}
	return ""
}

// byFilter lists the live nodes of kind whose value at path (a filter such as name__value or
// site__name__value) is name; two at most, as Infrahub asks for two. A unique attribute is read
// from its uniqueness claims; anything else by reading the kind's nodes.
func (rx parser) byFilter(kind, path, name string) []graph.NodeID {
	t := rx.tx
	var found []graph.NodeID
	add := func(id graph.NodeID) {
		if !slices.Contains(found, id) {
			found = append(found, id)
		}
	}
	for _, k := range t.v.Kinds(kind) {
		if id, claimed, ok := rx.byClaim(k, path, name); ok {
			if claimed {
				add(id)
			}
		} else {
			for _, id := range rx.scan(k) {
				if v, ok := rx.filterValue(id, path); ok && v == name {
					add(id)
					if len(found) > 1 {
						break
					}
				}
			}
		}
		if len(found) > 1 {
			break
		}
	}
	return found
}

// byClaim looks name up in the uniqueness claims of node kind k when path is one of its unique
// attributes; ok is false when it is not (or name is no value of it), claimed when a live node
// holds it.
func (rx parser) byClaim(k, path, name string) (id graph.NodeID, claimed, ok bool) {
	t := rx.tx
	m, found := t.set.Node(k)
	attr, isValue := strings.CutSuffix(path, "__value")
	if !found || !isValue || !slices.ContainsFunc(constraints(m), func(c []string) bool { return len(c) == 1 && c[0] == path }) {
		return id, false, false
	}
	a, isAttr := attrOf(m, attr)
	if !isAttr {
		return id, false, false
	}
	v, err := values.Normalize(a, name)
	if err != nil {
		return id, false, false
	}
	id, claimed = t.st.taken(claimKey{k, path, canonKey(nodes.Canon(v))})
	return id, claimed && t.st.node(id) != nil, true
}

// scan lists the live nodes of node kind k as the transaction sees them: the View's and those
// the transaction created.
func (rx parser) scan(k string) []graph.NodeID {
	t := rx.tx
	out := t.v.Nodes(k)
	for id, n := range t.st.nodes {
		if n.created && n.live && n.kind == k && !id.IsZero() {
			out = append(out, id)
		}
	}
	return out
}

// filterValue is the value of a node at a filter path, as text.
func (rx parser) filterValue(id graph.NodeID, path string) (string, bool) {
	t := rx.tx
	n := t.st.node(id)
	if n == nil || n.model == nil {
		return "", false
	}
	v, ok := t.ident.pathValue(n, path)
	if !ok {
		return "", false
	}
	return fmt.Sprint(v), true
}
