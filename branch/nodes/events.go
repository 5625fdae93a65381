// Package nodes holds the facts about infrastructure objects (node events) and the Store that
// folds them, with the branches and their schemas, into the branch-aware state of branch/graph.
// The write side decides commands against a View of the Store; the embedded graph projection
// answers reads from the same Store.
//
// Storage model. A node's fields are slots of branch/graph, named:
//
//	a:<attribute>             an attribute (Value.Data, Value.Lineage; is_default in Data)
//	r:<identifier>|<side>     a relationship's peer set; side is out, in or both
//	p:<identifier>|<side>     a relationship's lineage (source, owner, is_protected)
//	m:hfid, m:label           the human-friendly id and display label computed at write time
//	m:created, m:updated      when and by whom the node was created and last changed
//
// Both ends of a relationship share its identifier: adding peer P to X's slot
// r:<id>|out also adds X to P's slot r:<id>|in (both mirrors both). A relationship is therefore
// readable from either end with one slot read, and cardinality checks are local.
package nodes

import (
	"math"
	"unicode/utf8"

	"github.com/infrahub-go/infrahub/events"
)

// Event types.
const (
	TypeCreated = "node.created"
	TypeUpdated = "node.updated"
	TypeDeleted = "node.deleted"
)

// Attr is the stored state of one attribute.
type Attr struct {
	Value       any    `json:"value"`
	IsDefault   bool   `json:"is_default,omitempty"`
	Source      string `json:"source,omitempty"` // node id
	Owner       string `json:"owner,omitempty"`  // node id
	IsProtected bool   `json:"is_protected,omitempty"`
	// Global marks a branch-agnostic attribute: stored once for every branch.
	Global bool `json:"global,omitempty"`
}

// Edge adds or removes one relationship edge. Node is the near end (empty: the event's node),
// Field the near end's slot (r:<identifier>|<side>), Peer the far end; the far end's mirror slot
// changes with it.
type Edge struct {
	Node   string `json:"node,omitempty"`
	Field  string `json:"field"`
	Peer   string `json:"peer"`
	Remove bool   `json:"remove,omitempty"`
	Global bool   `json:"global,omitempty"`
}

// Props are the lineage properties of one end of a relationship.
type Props struct {
	Source      string `json:"source,omitempty"`
	Owner       string `json:"owner,omitempty"`
	IsProtected bool   `json:"is_protected,omitempty"`
	Global      bool   `json:"global,omitempty"`
}

// Claim takes (or, with Release, gives back) one value of a uniqueness constraint of a kind.
// The constraint "hfid" is the human-friendly id.
type Claim struct {
	Kind       string `json:"kind"`
	Constraint string `json:"constraint"`
	Key        string `json:"key"`
	Release    bool   `json:"release,omitempty"`
	Global     bool   `json:"global,omitempty"`
}

// Created is the payload of TypeCreated: a node and everything it was created with.
type Created struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Global bool   `json:"global,omitempty"` // a node of a branch-agnostic kind
	// Attributes holds every attribute of the kind, defaults included.
	Attributes   map[string]Attr  `json:"attributes"`
	Edges        []Edge           `json:"edges,omitempty"`
	RelProps     map[string]Props `json:"rel_props,omitempty"` // by field
	HFID         []string         `json:"hfid,omitempty"`
	DisplayLabel string           `json:"display_label,omitempty"`
	Claims       []Claim          `json:"claims,omitempty"`
}

// Updated is the payload of TypeUpdated: only what changed.
type Updated struct {
	ID           string           `json:"id"`
	Kind         string           `json:"kind"`
	Global       bool             `json:"global,omitempty"`
	Attributes   map[string]Attr  `json:"attributes,omitempty"`
	Edges        []Edge           `json:"edges,omitempty"`
	RelProps     map[string]Props `json:"rel_props,omitempty"`
	HFID         *[]string        `json:"hfid,omitempty"`          // set when it changed ([]: cleared)
	DisplayLabel *string          `json:"display_label,omitempty"` // set when it changed
	Claims       []Claim          `json:"claims,omitempty"`
}

// Deleted is the payload of TypeDeleted: the node, the edges it no longer has and the unique
// values it gives back.
type Deleted struct {
	ID     string  `json:"id"`
	Kind   string  `json:"kind"`
	Global bool    `json:"global,omitempty"`
	Edges  []Edge  `json:"edges,omitempty"`
	Claims []Claim `json:"claims,omitempty"`
}

// payloadVersion is the schema version of the node events (their payloads as declared here).
const payloadVersion = 1

// RegisterEvents adds the node events to a catalogue.
func RegisterEvents(c *events.Catalogue) {
	c.MustRegister(TypeCreated, payloadVersion, Created{})
	c.MustRegister(TypeUpdated, payloadVersion, Updated{})
	c.MustRegister(TypeDeleted, payloadVersion, Deleted{})
}

// PayloadVersion is the schema version AppendPayload writes p at as an event of type typ, or 0
// when p is not the payload of typ.
func PayloadVersion(typ string, p any) int {
	ok := false
	switch p.(type) {
	case Created:
		ok = typ == TypeCreated
	case Updated:
		ok = typ == TypeUpdated
	case Deleted:
		ok = typ == TypeDeleted
	}
	if !ok {
		return 0
	}
	return payloadVersion
}

// Field names of the storage model.
const (
	FieldHFID    = "m:hfid"
	FieldLabel   = "m:label"
	FieldCreated = "m:created"
	FieldUpdated = "m:updated"
)

// AttrField is the slot name of an attribute.
func AttrField(name string) string { return "a:" + name }

// Sides of a relationship end.
const (
	SideOut  = "out"
	SideIn   = "in"
	SideBoth = "both"
)

// RelField is the slot name of a relationship end: its identifier and side (from its direction).
func RelField(identifier, direction string) string {
	return "r:" + identifier + "|" + sideOf(direction)
}

// PropsField is the slot of a relationship end's lineage.
func PropsField(relField string) string { return "p:" + relField[2:] }

func sideOf(direction string) string {
	switch direction {
	case "outbound":
		return SideOut
	case "inbound":
		return SideIn
	}
	return SideBoth
}

// Mirror is the far end's slot of a relationship slot.
func Mirror(field string) string {
	n := len(field)
	switch {
	case n > 4 && field[n-4:] == "|out":
		return field[:n-3] + SideIn
	case n > 3 && field[n-3:] == "|in":
		return field[:n-2] + SideOut
	}
	return field
}

// Exact reports the payload that decoding p's JSON encoding gives, when it can tell without
// encoding: p itself for the node events whose every value survives the round trip unchanged
// (strings valid UTF-8, numbers float64, lists []any, objects map[string]any), with the few
// encodings that decode to another Go value normalised (but for empty lists and maps the
// encoding omits, which decode to nil: folded alike). ok is false for anything else: the
// reader then decodes the stored JSON. The write side hands the result to its fold
// (Store.ApplyDecoded), which then folds the same value a replay of the log would.
func Exact(p any) (any, bool) {
	switch x := p.(type) {
	case Created:
		ok := utf8.ValidString(x.ID) && utf8.ValidString(x.Kind) && exactAttrs(x.Attributes) && exactEdges(x.Edges) && exactClaims(x.Claims) &&
			exactStrings(x.HFID) && utf8.ValidString(x.DisplayLabel) && exactProps(x.RelProps)
		return x, ok
	case Updated:
		ok := utf8.ValidString(x.ID) && utf8.ValidString(x.Kind) && exactAttrs(x.Attributes) && exactEdges(x.Edges) && exactClaims(x.Claims) && exactProps(x.RelProps)
		if x.HFID != nil {
			if *x.HFID == nil { // "hfid": null decodes to no HFID change
				x.HFID = nil
			} else {
				ok = ok && exactStrings(*x.HFID)
			}
		}
		if x.DisplayLabel != nil {
			ok = ok && utf8.ValidString(*x.DisplayLabel)
		}
		return x, ok
	case Deleted:
		return x, utf8.ValidString(x.ID) && utf8.ValidString(x.Kind) && exactEdges(x.Edges) && exactClaims(x.Claims)
	}
	return nil, false
}

func exactAttrs(m map[string]Attr) bool {
	for k, a := range m {
		if !utf8.ValidString(k) || !exactValue(a.Value) || !utf8.ValidString(a.Source) || !utf8.ValidString(a.Owner) {
			return false
		}
	}
	return true
}

// exactValue reports a value that JSON encodes and decodes to itself.
func exactValue(v any) bool {
	switch x := v.(type) {
	case nil, bool:
		return true
	case string:
		return utf8.ValidString(x)
	case float64:
		return !math.IsInf(x, 0) && !math.IsNaN(x)
	case []any:
		if x == nil {
			return false // null decodes to nil any, not a nil []any
		}
		for _, e := range x {
			if !exactValue(e) {
				return false
			}
		}
		return true
	case map[string]any:
		if x == nil {
			return false
		}
		for k, e := range x {
			if !utf8.ValidString(k) || !exactValue(e) {
				return false
			}
		}
		return true
	}
	return false
}

func exactEdges(es []Edge) bool {
	for _, e := range es {
		if !utf8.ValidString(e.Node) || !utf8.ValidString(e.Field) || !utf8.ValidString(e.Peer) {
			return false
		}
	}
	return true
}

func exactClaims(cs []Claim) bool {
	for _, c := range cs {
		if !utf8.ValidString(c.Kind) || !utf8.ValidString(c.Constraint) || !utf8.ValidString(c.Key) {
			return false
		}
	}
	return true
}

func exactProps(m map[string]Props) bool {
	for k, p := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(p.Source) || !utf8.ValidString(p.Owner) {
			return false
		}
	}
	return true
}

func exactStrings(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
