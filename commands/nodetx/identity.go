package nodetx

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// identity computes what identifies a node: its human-friendly id, display label and unique
// values (claims), and finds the node data names.
type identity struct{ tx *Tx }

// path values: "name__value", "device" (a peer's id), "device__name__value" (a peer's attribute).
// value reads one of them for a node; ok is false when a part is unset.
func (rx identity) pathValue(n *txNode, path string) (any, bool) {
	t := rx.tx
	head, rest, _ := strings.Cut(path, "__")
	if a, ok := attrOf(n.model, head); ok {
		cur, ok := t.st.attr(n, a.Name)
		if !ok || cur.Value == nil {
			return nil, false
		}
		return cur.Value, true
	}
	r, ok := relNamed(n.model, head)
	if !ok || r.Cardinality != "one" {
		return nil, false
	}
	peer, ok := t.st.onlyPeer(n.id, t.parse.relField(r))
	if !ok {
		return nil, false
	}
	if rest == "" || rest == "id" {
		return t.st.idText(peer), true
	}
	p := t.st.node(peer)
	if p == nil || p.model == nil {
		return nil, false
	}
	return t.ident.pathValue(p, rest)
}

// text is fmt.Sprint(v), without formatting a string again.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// hfid computes a node's human-friendly id; nil when its kind has none or a part is unset.
func (rx identity) hfid(n *txNode) []string {
	t := rx.tx
	if len(n.model.HumanFriendlyID) == 0 {
		return nil
	}
	out := make([]string, 0, len(n.model.HumanFriendlyID))
	for _, p := range n.model.HumanFriendlyID {
		v, ok := t.ident.pathValue(n, p)
		if !ok {
			return nil
		}
		out = append(out, text(v))
	}
	return out
}

// label computes a node's display label: display_label as a path ("name__value") or as a
// Jinja2 template (rendered as computed attributes are); else display_labels joined by spaces;
// else the HFID.
func (rx identity) label(n *txNode) string {
	t := rx.tx
	m := n.model
	show := func(path string) string {
		v, ok := t.ident.pathValue(n, strings.TrimSpace(path))
		if !ok {
			return ""
		}
		return text(v)
	}
	if m.DisplayLabel != nil && *m.DisplayLabel != "" {
		dl := *m.DisplayLabel
		if !strings.Contains(dl, "{{") && !strings.Contains(dl, "{%") {
			return show(dl)
		}
		tpl, err := t.set.Template(dl)
		if err != nil {
			return "" // refused when the schema was loaded
		}
		s, err := t.computed.render(n, tpl, nil)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(s)
	}
	if len(m.DisplayLabels) > 0 {
		parts := make([]string, 0, len(m.DisplayLabels))
		for _, p := range m.DisplayLabels {
			if s := show(p); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return strings.Join(t.ident.hfid(n), " ")
}

// constraints lists a node kind's uniqueness constraints: each unique attribute and each entry
// of uniqueness_constraints, named as Infrahub names them.
func constraints(m *schema.Node) [][]string {
	var out [][]string
	for _, a := range m.Attributes {
		if a.Unique && a.State != schema.StateAbsent {
			out = append(out, []string{a.Name + "__value"})
		}
	}
	for _, c := range m.UniquenessConstraints {
		if len(c) == 1 && slices.ContainsFunc(out, func(x []string) bool { return x[0] == c[0] }) {
			continue
		}
		out = append(out, c)
	}
	if c := ipConstraint(m); c != nil && !slices.ContainsFunc(out, func(x []string) bool { return slices.Equal(x, c) }) {
		out = append(out, c)
	}
	return out
}

func joinConstraint(c []string) string { return strings.Join(c, ",") }

// claimNew claims the keys of a node new to the command (keyList: in that order), refusing a
// value held by another node; it returns the claim facts. It is reclaim(n, nil, keys) without
// a map.
func (rx identity) claimNew(n *txNode, keys []constraintKey) ([]nodes.Claim, error) {
	t := rx.tx
	if len(keys) == 0 {
		return nil, nil
	}
	global := isGlobal(n.model)
	out := make([]nodes.Claim, 0, len(keys))
	for _, ck := range keys {
		k := claimKey{n.kind, ck.constraint, ck.key}
		if holder, ok := t.st.taken(k); ok && holder != n.id && t.st.node(holder) != nil {
			return nil, &UniquenessError{Kind: n.kind, Constraint: ck.constraint, Value: ck.key, Holder: holder.String()}
		}
		t.st.claims[k] = n.id
		out = append(out, nodes.Claim{Kind: n.kind, Constraint: ck.constraint, Key: ck.key, Global: global})
	}
	return out, nil
}

// reclaim moves a node's claims from old keys to new ones, refusing a value held by another
// node; it returns the claim facts.
func (rx identity) reclaim(n *txNode, old, next map[string]string) ([]nodes.Claim, error) {
	t := rx.tx
	global := isGlobal(n.model)
	var out []nodes.Claim
	names := make([]string, 0, len(next))
	for c := range next {
		names = append(names, c)
	}
	// Constraints first, the human-friendly id last: a clash is reported by the constraint the
	// user declared.
	slices.SortFunc(names, func(a, b string) int {
		if (a == nodes.ConstraintHFID) != (b == nodes.ConstraintHFID) {
			if a == nodes.ConstraintHFID {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, c := range names {
		key := next[c]
		if prev, ok := old[c]; ok && prev == key {
			continue
		}
		k := claimKey{n.kind, c, key}
		if holder, ok := t.st.taken(k); ok && holder != n.id && t.st.node(holder) != nil {
			return nil, &UniquenessError{Kind: n.kind, Constraint: c, Value: key, Holder: holder.String()}
		}
		t.st.claims[k] = n.id
		out = append(out, nodes.Claim{Kind: n.kind, Constraint: c, Key: key, Global: global})
	}
	for c, key := range old {
		if next[c] == key {
			continue
		}
		k := claimKey{n.kind, c, key}
		if holder, ok := t.st.taken(k); ok && holder == n.id {
			t.st.claims[k] = graph.NodeID{}
			out = append(out, nodes.Claim{Kind: n.kind, Constraint: c, Key: key, Release: true, Global: global})
		}
	}
	return out, nil
}

// match finds the existing node the data of an upsert names: by the human-friendly id computed
// from it, else by the first uniqueness constraint it fills.
func (rx identity) match(m *schema.Node, attrs map[string]attrInput, rels *relSet) (graph.NodeID, bool) {
	t := rx.tx
	probe := &txNode{kind: m.Kind, model: m, live: true, created: true, attrs: map[string]nodes.Attr{}, peers: map[string][]graph.NodeID{}}
	for name, in := range attrs {
		if in.hasValue {
			probe.attrs[name] = nodes.Attr{Value: in.value}
		}
	}
	for _, in := range rels.all() {
		probe.peers[in.field] = in.peers
	}
	saved, had := t.st.nodes[graph.NodeID{}]
	t.st.nodes[graph.NodeID{}] = probe
	defer func() {
		if had {
			t.st.nodes[graph.NodeID{}] = saved
		} else {
			delete(t.st.nodes, graph.NodeID{})
		}
	}()
	// a computed attribute may be part of the human-friendly id
	_, _ = t.computed.values(probe)
	keys := t.ident.keys(probe)
	if key, ok := keys[nodes.ConstraintHFID]; ok {
		if id, ok := t.st.taken(claimKey{m.Kind, nodes.ConstraintHFID, key}); ok && t.st.node(id) != nil {
			return id, true
		}
	}
	for _, c := range constraints(m) {
		name := joinConstraint(c)
		if key, ok := keys[name]; ok {
			if id, ok := t.st.taken(claimKey{m.Kind, name, key}); ok && t.st.node(id) != nil {
				return id, true
			}
		}
	}
	return graph.NodeID{}, false
}

// canonKey is the claim key of a value.
func canonKey(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if l, ok := v.([]any); ok && l != nil { // a constraint of several values: each a plain string, mostly
		if key, ok := plainList(l); ok {
			return key
		}
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// plainList is what json.Marshal gives for l when each of its values is a string that it
// writes as is (printable ASCII without a quote, backslash or the HTML characters it escapes);
// ok is false for anything else.
func plainList(l []any) (string, bool) {
	n := 2 + len(l)
	for _, v := range l {
		s, ok := v.(string)
		if !ok {
			return "", false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return "", false
			}
		}
		n += len(s) + 2
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('[')
	for i, v := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(v.(string))
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String(), true
}
