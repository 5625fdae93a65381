// Package objectfile reads Infrahub object files (what `infrahubctl object load` reads) and
// resolves them against a schema into an ordered list of objects to upsert.
//
// ParseFile checks the shape of a file (apiVersion, kind, spec) and keeps the line of every
// document, item and field. Resolve checks every item against a resolved schema.Set: the kind,
// each field as an attribute or a relationship, relationship values in every form object files
// allow (an id or a name as a string, an HFID list, {id}, {hfid}, {from_pool}, {data: {...}},
// nested {kind?, data: [...]}), and
// range expansion. Both collect every problem they find into an *Error, and every key they
// ignore (as infrahubctl ignores it) as a warning.
package objectfile

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/limits"
)

// APIVersion is the only apiVersion object files may declare.
const APIVersion = "infrahub.app/v1"

// Document kinds.
const (
	KindObject = "Object"
	KindMenu   = "Menu"
)

// MenuItemKind is the kind of the items of a Menu document when its spec names none.
const MenuItemKind = "CoreMenuItem"

// Document is one YAML document of an object file.
type Document struct {
	File  string // the file's name as given to ParseFile
	Index int    // 1-based position of the document in the file
	Line  int    // line of the document's first key
	Kind  string // KindObject or KindMenu
	Spec  Spec
	// Warnings are what the document holds that is ignored: unknown keys at the top level, in
	// spec and in parameters (infrahubctl ignores them too), a missing apiVersion or data.
	Warnings []Problem
}

// Spec is the spec of a document: the kind of its items, the items and their parameters.
type Spec struct {
	Kind        string // the items' kind (MenuItemKind for a Menu without spec.kind)
	KindLine    int
	ExpandRange bool // parameters.expand_range
	Line        int
	Data        []Item
}

// Item is one entry of spec.data, its fields in file order.
type Item struct {
	Index  int // 1-based position in spec.data
	Line   int
	Fields []Field
}

// Field is one key of an item. Value is the YAML node as written; Resolve interprets it.
type Field struct {
	Name  string
	Line  int
	Value *yaml.Node
}

// Object is one object to upsert, resolved against the schema. Objects are returned in file
// order, and must be upserted in that order.
type Object struct {
	Kind string `json:"kind"`
	// Attributes holds the values as written (string, int, float64, bool, nil, []any,
	// map[string]any); typed validation is the job of the commands.
	Attributes map[string]any `json:"attributes"`
	// Relationships holds references to existing objects (or, for a nested object, to the
	// object it is nested in: see Ref.Enclosing). A cardinality-one relationship has one Ref;
	// an explicit null or [] gives an empty list (no peer). Children whose Link.Back is empty
	// are not listed here: the batch command adds them to Link.Relationship once upserted.
	Relationships map[string][]Ref `json:"relationships"`
	// Children are the objects created through a relationship of this one, in file order.
	Children []Object `json:"children,omitempty"`
	// Link is set on children only: how this object hangs from the object it is nested in.
	Link *Link `json:"link,omitempty"`
	// Source is where the object was written.
	Source Source `json:"source"`
}

// Link ties a nested object to the object it is nested in.
//
// When Back is set, the nested object is upserted after its parent, and its relationship Back
// holds a Ref with Enclosing set (the parent; components, hierarchy children and any peer with a
// matching relationship). When Back is empty (the nested kind has no relationship towards the
// parent, or the parent's relationship has cardinality one and is not a Component), the nested object is upserted
// before its parent, and the parent's relationship Relationship is then given the nested object.
type Link struct {
	Relationship string `json:"relationship"`   // the parent's relationship the object was given under
	Back         string `json:"back,omitempty"` // the nested object's relationship to its parent, "" when none
}

// Ref refers to a related object by id or by human-friendly id. An HFID of one element (a
// string in the file, or a list of one) is a name: it is looked up as infrahubctl and Infrahub
// look up a related node named by a string, through the peer's default_filter, then through
// its human-friendly id.
type Ref struct {
	ID   string   `json:"id,omitempty"`
	HFID []string `json:"hfid,omitempty"`
	Kind string   `json:"kind,omitempty"` // the relationship's peer, or the kind written in the file
	// Enclosing marks the reference of a nested object to the object it is nested in; HFID is
	// filled when the parent's human-friendly id can be told from the file (its attributes, or
	// the HFID of a related object for parts like owner__name__value), and the batch command
	// substitutes the parent's id once it is upserted.
	Enclosing bool `json:"enclosing,omitempty"`
	// FromPool, when set, asks a resource pool for a new object (the from_pool value as
	// written: a pool's name or id, or a mapping); ID and HFID are then empty.
	FromPool any `json:"from_pool,omitempty"`
}

// Source locates an object in its file.
type Source struct {
	File     string `json:"file"`
	Document int    `json:"document"`       // 1-based
	Item     int    `json:"item"`           // 1-based, of the top-level item the object belongs to
	Path     string `json:"path,omitempty"` // for nested objects: the path below the item, e.g. `field "children", item 2`
	Line     int    `json:"line"`
}

// Problem is one thing wrong with an object file, or, as a warning, one thing of it ignored.
type Problem struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Document int    `json:"document,omitempty"`
	Path     string `json:"path,omitempty"` // e.g. `item 3, field "members"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Document > 0 {
		fmt.Fprintf(&b, "document %d", p.Document)
		if p.Path != "" {
			b.WriteString(", ")
		}
	}
	b.WriteString(p.Path)
	if p.Document > 0 || p.Path != "" {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error holds every problem found in one or more object files. When a file met a limit (too
// many objects, a range expanding to too many values, objects nested too deep), reading stopped
// there: the last problem names the limit, and Unwrap answers its error (limits.ErrExceeded).
type Error struct {
	Problems []Problem
	limit    error
}

// Unwrap answers the limit the files met, or nil.
func (e *Error) Unwrap() error { return e.limit }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// collector gathers problems and warnings in the order they are found, and the first limit met
// (after which the reader stops).
type collector struct {
	list     []Problem
	warnings []Problem
	limit    error
}

// limited records err, a limit error met at a place of the file.
func (c *collector) limited(file string, line, doc int, path string, err error) {
	if c.limit != nil {
		return
	}
	c.limit = err
	c.list = append(c.list, Problem{File: file, Line: line, Document: doc, Path: path, Message: err.Error()})
}

// exceeded records that a limit was met at a place of the file: got is what was measured,
// bound the limit and setting the variable that sets it.
func (c *collector) exceeded(file string, line, doc int, path, what string, got, bound int, setting string) {
	c.limited(file, line, doc, path, limits.Exceeded(what, int64(got), int64(bound), setting))
}

func (c *collector) add(file string, line, doc int, path, format string, args ...any) {
	c.list = append(c.list, Problem{File: file, Line: line, Document: doc, Path: path, Message: fmt.Sprintf(format, args...)})
}

// warn records something ignored: the file still loads.
func (c *collector) warn(file string, line, doc int, path, format string, args ...any) {
	c.warnings = append(c.warnings, Problem{File: file, Line: line, Document: doc, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *collector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return &Error{Problems: append([]Problem(nil), c.list...), limit: c.limit}
}

// join appends a path segment.
func join(path, seg string) string {
	if seg == "" {
		return path
	}
	if path == "" {
		return seg
	}
	return path + ", " + seg
}

func itemSeg(i int) string        { return fmt.Sprintf("item %d", i) }
func fieldSeg(name string) string { return fmt.Sprintf("field %q", name) }
