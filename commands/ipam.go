package commands

import (
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// IPAM rules every IP prefix and address follows, whatever its kind (the kinds that inherit
// BuiltinIPPrefix or BuiltinIPAddress): it lives in an IP namespace, the default one when none is
// given, and its prefix or address is unique within that namespace.

// ipAttr is the attribute holding an IP kind's value ("prefix" or "address"), empty for other kinds.
func ipAttr(m *schema.Node) string {
	switch {
	case m == nil:
		return ""
	case slices.Contains(m.InheritFrom, "BuiltinIPPrefix"):
		return "prefix"
	case slices.Contains(m.InheritFrom, "BuiltinIPAddress"):
		return "address"
	}
	return ""
}

// ipConstraint is the uniqueness of an IP kind within its namespace.
func ipConstraint(m *schema.Node) []string {
	if a := ipAttr(m); a != "" && m.Relationship("ip_namespace") != nil && m.Attribute(a) != nil {
		return []string{"ip_namespace", a + "__value"}
	}
	return nil
}

// defaultNamespace puts an IP prefix or address without a namespace into the default one.
func (t *tx) defaultNamespace(m *schema.Node, rels map[string]relInput) {
	if ipAttr(m) == "" {
		return
	}
	r := m.Relationship("ip_namespace")
	if r == nil {
		return
	}
	if in, given := rels[r.Name]; given && len(in.peers) > 0 {
		return
	}
	id, ok := t.byHFID("BuiltinIPNamespace", []string{"default"})
	if !ok {
		return
	}
	rels[r.Name] = relInput{rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{id}}
}
