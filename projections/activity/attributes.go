package activity

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// nodeChange is what one node event (or one node's part of a merge) did.
type nodeChange struct {
	op   string // NodeCreated, NodeUpdated or NodeDeleted
	id   string
	kind string
	// The attributes written, with their new values: a node event's own (read, not copied),
	// or those a merge gathered.
	written map[string]nodes.Attr
	attrs   map[string]any
	// The edges the change wrote, as the event holds them (read, not copied): an edge whose
	// Node is empty is on the node itself (near).
	edges []nodes.Edge
}

// near is the node at the near end of edge e of the change.
func (c *nodeChange) near(e *nodes.Edge) string {
	if e.Node == "" {
		return c.id
	}
	return e.Node
}

// value is the new value of attribute name, ok false when the change did not write it.
func (c *nodeChange) value(name string) (v any, ok bool) {
	if c.written != nil {
		a, ok := c.written[name]
		return a.Value, ok
	}
	v, ok = c.attrs[name]
	return v, ok
}

// writes is how many attributes the change wrote.
func (c *nodeChange) writes() int { return len(c.written) + len(c.attrs) }

// names answers the names of the attributes written, in no order.
func (c *nodeChange) names() []string {
	out := make([]string, 0, c.writes())
	for name := range c.written {
		out = append(out, name)
	}
	for name := range c.attrs {
		out = append(out, name)
	}
	return out
}

// attributes lists the attributes of a node event as Infrahub's changelog does: every
// attribute of a created node, the attributes written by an update, every attribute a deleted
// node had (its value now null); in the schema's order, passwords masked.
func (d *deriving) attributes(c nodeChange, model *schema.Model, prev graph.Node, hasPrev bool) []AttributeChange {
	var known []*schema.Attribute
	if model != nil {
		known = model.Attributes
	}
	out := make([]AttributeChange, 0, max(len(known), c.writes()))
	add := func(name, kind string) {
		var value, previous any
		if c.op != NodeDeleted {
			value, _ = c.value(name)
		}
		if hasPrev {
			previous = prev.Attributes[name].Value
		}
		action := attributeAction(value, previous)
		if kind == "Password" || kind == "HashedPassword" || secretAttributes[[2]string{c.kind, name}] {
			value, previous = masked(value), masked(previous)
		}
		out = append(out, AttributeChange{Name: name, Kind: kind, Value: value, ValuePrevious: previous, Action: action})
	}
	found := 0 // attributes written that the schema knows
	for _, a := range known {
		_, written := c.value(a.Name)
		if written {
			found++
		}
		include := written
		switch c.op {
		case NodeDeleted:
			_, include = prev.Attributes[a.Name]
		case NodeCreated:
			include = true
		}
		if include {
			add(a.Name, a.Kind)
		}
	}
	// Then the attributes the schema does not know, by name.
	var extra []string
	if found < c.writes() {
		for _, name := range c.names() {
			if !slices.ContainsFunc(known, func(a *schema.Attribute) bool { return a.Name == name }) {
				extra = append(extra, name)
			}
		}
	}
	if model == nil && c.op == NodeDeleted {
		for name := range prev.Attributes {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		add(name, "")
	}
	return out
}

// secretAttributes are attributes that are credentials though their kind is not a password
// (kind, attribute): an API token's stored hash.
var secretAttributes = map[[2]string]bool{{"InternalAccountToken", "token"}: true}

func masked(v any) any {
	if v == nil {
		return nil
	}
	return "***"
}

// attributeAction is Infrahub's AttributeChangelog.value_update_status.
func attributeAction(value, previous any) string {
	switch {
	case value == nil && previous == nil: // what sameValue answers, without encoding
		return ActionUnchanged
	case previous != nil && value == nil:
		return ActionRemoved
	case previous == nil && value != nil:
		return ActionAdded
	case sameValue(value, previous):
		return ActionUnchanged
	}
	return ActionUpdated
}

func sameValue(a, b any) bool {
	// Strings and Booleans, most values, compare without encoding: equal strings encode
	// alike, and so do unequal ones only when one is not UTF-8 (encoding replaces its bad bytes).
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok && (x == y || (utf8.ValidString(x) && utf8.ValidString(y))) {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
