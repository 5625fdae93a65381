package objectfile

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// refFromString reads an id (a UUID) or a name. A name is resolved when the objects are
// loaded through the peer's default_filter, then its human-friendly id (see Ref).
func (r *resolver) refFromString(cx scope, p string, v *yaml.Node, peer string) (Ref, bool) {
	if v.Kind != yaml.ScalarNode || v.Value == "" || v.Tag == "!!null" {
		r.add(cx, v.Line, p, "a reference must be a non-empty string")
		return Ref{}, false
	}
	if uuidRe.MatchString(v.Value) {
		return Ref{ID: v.Value, Kind: peer}, true
	}
	ref := Ref{HFID: []string{v.Value}, Kind: peer}
	return ref, r.checkHFID(cx, p, v.Line, peer, ref.HFID, false)
}

// refFromList reads a multi-element HFID; one tells a cardinality-one relationship.
func (r *resolver) refFromList(cx scope, p string, v *yaml.Node, peer string, one bool) (Ref, bool) {
	ref := Ref{Kind: peer}
	for _, e := range v.Content {
		if e = deref(e); e.Kind != yaml.ScalarNode || e.Value == "" || e.Tag == "!!null" {
			r.add(cx, e.Line, p, "an HFID is a list of non-empty strings")
			return ref, false
		}
		ref.HFID = append(ref.HFID, e.Value)
	}
	if len(ref.HFID) == 0 {
		r.add(cx, v.Line, p, "an HFID is a list of non-empty strings")
		return ref, false
	}
	return ref, r.checkHFID(cx, p, v.Line, peer, ref.HFID, one)
}

// checkHFID checks the number of elements of hfid against the human-friendly id of peer; one
// element is a name, which the peer's default_filter may resolve too.
func (r *resolver) checkHFID(cx scope, p string, line int, peer string, hfid []string, one bool) bool {
	if len(hfid) == 1 && r.peerFilter(peer) != "" {
		return true
	}
	parts, known := r.peerHFID(peer)
	switch {
	case !known:
		return true
	case len(parts) == 0:
		r.add(cx, line, p, "%s has no human_friendly_id: refer to it by id", peer)
		return false
	case len(parts) == len(hfid):
		return true
	case one && len(parts) == 1:
		r.add(cx, line, p, "relationship of cardinality one takes one object, not a list of %d", len(hfid))
		return false
	}
	r.add(cx, line, p, "HFID %s has %d element(s) but the human_friendly_id of %s has %d (%s)",
		quoteList(hfid), len(hfid), peer, len(parts), strings.Join(parts, ", "))
	return false
}

// peerFilter returns the default_filter of kind (a node or a generic), "" when it has none.
func (r *resolver) peerFilter(kind string) string {
	if m, ok := r.set.Model(kind); ok && m.DefaultFilter != nil {
		return *m.DefaultFilter
	}
	return ""
}

// peerHFID returns the human-friendly id of kind; for a generic without one, that of its nodes
// when they agree on its length. known is false when it cannot be told.
func (r *resolver) peerHFID(kind string) (parts []string, known bool) {
	if n, ok := r.set.Node(kind); ok {
		return n.HumanFriendlyID, true
	}
	g, ok := r.set.Generic(kind)
	if !ok {
		return nil, false
	}
	if len(g.HumanFriendlyID) > 0 {
		return g.HumanFriendlyID, true
	}
	var found []string
	for i, k := range g.UsedBy {
		n, ok := r.set.Node(k)
		if !ok {
			return nil, false
		}
		if i > 0 && len(n.HumanFriendlyID) != len(found) {
			return nil, false
		}
		found = n.HumanFriendlyID
	}
	return found, len(g.UsedBy) > 0
}

func allScalars(v *yaml.Node) bool {
	for _, e := range v.Content {
		if deref(e).Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
