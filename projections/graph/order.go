package graph

import (
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/schema"
)

// Meta paths of Order.
const (
	OrderID        = "id"
	OrderCreatedAt = "node_metadata__created_at"
	OrderUpdatedAt = "node_metadata__updated_at"
)

// SortKey is one resolved Order.
type SortKey struct {
	Order
	Attr string               // the attribute read (on the node, or on the peer through Rel)
	Rel  *schema.Relationship // set for "<rel>__<attr>__value"
	Meta string               // OrderID, OrderCreatedAt or OrderUpdatedAt
}

// ResolveOrder checks an order against the schema of kind. nil is the kind's order_by (whose
// entries may end in "__asc" or "__desc"), or by id when it has none. The id is not appended:
// adapters break ties by id themselves. Errors wrap ErrInvalidQuery.
func ResolveOrder(set *schema.Set, kind string, order []Order) ([]SortKey, error) {
	m, ok := set.Model(kind)
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", ErrInvalidQuery, kind)
	}
	if order == nil {
		for _, p := range m.OrderBy {
			o := Order{Path: p}
			if base, ok := strings.CutSuffix(p, "__desc"); ok {
				o = Order{Path: base, Desc: true}
			} else if base, ok := strings.CutSuffix(p, "__asc"); ok {
				o.Path = base
			}
			order = append(order, o)
		}
	}
	out := make([]SortKey, 0, len(order))
	for _, o := range order {
		k, err := resolveKey(set, m, o)
		if err != nil {
			return nil, fmt.Errorf("%w: order %q on %s: %v", ErrInvalidQuery, o.Path, kind, err)
		}
		out = append(out, k)
	}
	// Keys after the id never matter.
	for i, k := range out {
		if k.Meta == OrderID {
			return out[:i+1], nil
		}
	}
	return out, nil
}

func resolveKey(set *schema.Set, m *schema.Model, o Order) (SortKey, error) {
	k := SortKey{Order: o}
	switch o.Path {
	case OrderID, OrderCreatedAt, OrderUpdatedAt:
		k.Meta = o.Path
		return k, nil
	}
	parts := strings.Split(o.Path, "__")
	switch {
	case len(parts) == 2 && parts[1] == "value":
		if a := attrOf(m, parts[0]); a != nil {
			k.Attr = a.Name
			return k, nil
		}
		return k, fmt.Errorf("no attribute %q", parts[0])
	case len(parts) == 2 && (parts[1] == "version" || parts[1] == "binary_address" || parts[1] == "prefixlen"):
		// The typed parts of an IP attribute (Infrahub's IPAM order_by): ordered by the
		// attribute's value.
		if a := attrOf(m, parts[0]); a != nil && strings.HasPrefix(a.Kind, "IP") {
			k.Attr = a.Name
			return k, nil
		}
		return k, fmt.Errorf("no IP attribute %q", parts[0])
	case len(parts) == 3 && parts[2] == "value":
		r := relOf(m, parts[0])
		if r == nil {
			return k, fmt.Errorf("no relationship %q", parts[0])
		}
		if r.Cardinality != "one" {
			return k, fmt.Errorf("relationship %s is not of cardinality one", r.Name)
		}
		pm, ok := set.Model(r.Peer)
		if !ok {
			return k, fmt.Errorf("unknown peer kind %q", r.Peer)
		}
		a := attrOf(pm, parts[1])
		if a == nil {
			return k, fmt.Errorf("%s has no attribute %q", r.Peer, parts[1])
		}
		k.Rel, k.Attr = r, a.Name
		return k, nil
	}
	return k, fmt.Errorf("want <attribute>__value, <relationship>__<attribute>__value, %s, %s or %s", OrderID, OrderCreatedAt, OrderUpdatedAt)
}

// ByID reports whether keys sort by node id alone.
func ByID(keys []SortKey) bool {
	return len(keys) == 0 || (len(keys) == 1 && keys[0].Meta == OrderID && !keys[0].Desc)
}
