package objectfile

import (
	"context"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// Resolve checks docs against set and returns their objects in file order (documents in the
// order given, items in file order, ranged items expanded in place), and the warnings of the
// documents and of their nested blocks, in file order: what is ignored, as infrahubctl ignores
// it. Every problem is returned at once in an *Error, with the objects that resolved.
//
// The work is bounded before it is done: docs (one file) give at most lim.ObjectsPerFile objects,
// nested objects and expanded ranges included, one string expands to at most lim.RangeExpansion
// values (counted before expanding), and objects nest at most lim.ObjectNesting levels. The first
// limit met stops the resolution, and the *Error names it (errors.Is(err, limits.ErrExceeded)).
// When ctx ends, resolution stops and its error is returned. Zero limits are limits.Default().
func Resolve(ctx context.Context, set *schema.Set, docs []Document, lim limits.Limits) ([]Object, []Problem, error) {
	if lim == (limits.Limits{}) {
		lim = limits.Default()
	}
	r := &resolver{ctx: ctx, set: set, c: &collector{}, lim: lim}
	var out []Object
	for _, d := range docs {
		r.c.warnings = append(r.c.warnings, d.Warnings...)
		node, ok := r.topKind(d)
		if !ok {
			continue
		}
		for _, it := range d.Spec.Data {
			cx := scope{file: d.File, doc: d.Index, item: it.Index, expand: d.Spec.ExpandRange}
			if d.Kind == KindMenu {
				cx.menuKind = node.Kind
			}
			out = append(out, r.item(cx, node, it, nil)...)
			if r.stopped() {
				break
			}
		}
		if r.stopped() {
			break
		}
	}
	if r.cancel != nil {
		return nil, nil, r.cancel
	}
	return out, r.c.warnings, r.c.err()
}

type resolver struct {
	ctx    context.Context
	set    *schema.Set
	c      *collector
	lim    limits.Limits
	count  int   // objects resolved so far, bounded by lim.ObjectsPerFile
	cancel error // set when ctx ended: resolution stops
}

// stopped reports whether resolution must stop: a limit was met or ctx ended (checked every
// ctxEvery objects).
func (r *resolver) stopped() bool {
	if r.c.limit != nil || r.cancel != nil {
		return true
	}
	if r.count%ctxEvery == 0 {
		if err := r.ctx.Err(); err != nil {
			r.cancel = fmt.Errorf("object files: %w", err)
			return true
		}
	}
	return false
}

// ctxEvery is how many objects are resolved between two looks at the context.
const ctxEvery = 64

// scope locates what is being resolved.
type scope struct {
	file   string
	doc    int
	item   int    // top-level item
	sub    string // path below the top-level item
	expand bool   // expand_range, for the items of this level and of nested data lists
	// literal marks the one object of a {kind?, data: {...}} block: infrahubctl expands the
	// items of data lists only (spec/object.py, create_related_nodes), so its fields are kept
	// as written while data lists below it still follow expand
	literal  bool
	menuKind string // the kind nested menu items default to
	depth    int    // nesting level of nested objects
}

// path is the problem path of the current object, with extra segments.
func (cx scope) path(segs ...string) string {
	p := join(itemSeg(cx.item), cx.sub)
	for _, s := range segs {
		p = join(p, s)
	}
	return p
}

func (cx scope) below(segs ...string) scope {
	for _, s := range segs {
		cx.sub = join(cx.sub, s)
	}
	return cx
}

func (r *resolver) add(cx scope, line int, path, format string, args ...any) {
	r.c.add(cx.file, line, cx.doc, path, format, args...)
}

// topKind checks spec.kind of a document.
func (r *resolver) topKind(d Document) (*schema.Node, bool) {
	if d.Spec.Kind == "" {
		return nil, false
	}
	n, ok := r.set.Node(d.Spec.Kind)
	if ok {
		return n, true
	}
	if _, isGeneric := r.set.Generic(d.Spec.Kind); isGeneric {
		r.c.add(d.File, d.Spec.KindLine, d.Index, "spec.kind", "%s is a generic: objects are created with a node kind", d.Spec.Kind)
		return nil, false
	}
	r.c.add(d.File, d.Spec.KindLine, d.Index, "spec.kind", "unknown kind %q%s", d.Spec.Kind, suggestion(d.Spec.Kind, r.set.Kinds()))
	return nil, false
}

// enclosing describes the object a nested object is created under.
type enclosing struct {
	link Link
	ref  Ref
}

// item resolves one item of kind n, expanding its ranges when asked.
func (r *resolver) item(cx scope, n *schema.Node, it Item, enc *enclosing) []Object {
	if r.stopped() {
		return nil
	}
	variants := [][]Field{it.Fields}
	if cx.expand && !cx.literal {
		var ok bool
		if variants, ok = r.expandItem(cx, it); !ok {
			return nil
		}
	}
	out := make([]Object, 0, len(variants))
	for _, fields := range variants {
		if r.count++; r.count > r.lim.ObjectsPerFile {
			r.c.exceeded(cx.file, it.Line, cx.doc, cx.path(), "objects of the file", r.count, r.lim.ObjectsPerFile, limits.Setting("ObjectsPerFile"))
			return out
		}
		if r.stopped() {
			return out
		}
		out = append(out, r.object(cx, n, it.Line, fields, enc))
	}
	return out
}

// nestedJob is a nested creation found in a field, resolved once the object's own values are.
type nestedJob func(parent Ref) []Object

// object resolves the fields of one object of kind n.
func (r *resolver) object(cx scope, n *schema.Node, line int, fields []Field, enc *enclosing) Object {
	o := Object{Kind: n.Kind, Attributes: map[string]any{}, Relationships: map[string][]Ref{},
		Source: Source{File: cx.file, Document: cx.doc, Item: cx.item, Path: cx.sub, Line: line}}
	if enc != nil {
		link := enc.link
		o.Link = &link
	}
	var jobs []nestedJob
	for _, f := range fields {
		if a := n.Attribute(f.Name); a != nil {
			if v, ok := r.attribute(cx, a, f); ok {
				o.Attributes[f.Name] = v
			}
			continue
		}
		if rel := n.Relationship(f.Name); rel != nil {
			refs, js, ok := r.relationship(cx, n, rel, f)
			if ok && refs != nil {
				o.Relationships[f.Name] = refs
			}
			jobs = append(jobs, js...)
			continue
		}
		r.add(cx, f.Line, cx.path(fieldSeg(f.Name)), "unknown attribute or relationship of %s%s", n.Kind, suggestion(f.Name, fieldNames(&n.Model)))
	}
	if enc != nil && enc.link.Back != "" {
		if _, given := o.Relationships[enc.link.Back]; !given {
			o.Relationships[enc.link.Back] = []Ref{enc.ref}
		}
	}
	self := Ref{Kind: n.Kind, HFID: r.hfidOf(n, o), Enclosing: true}
	for _, job := range jobs {
		o.Children = append(o.Children, job(self)...)
	}
	return o
}

// attribute returns a field's value as written; lists only for List and JSON attributes,
// mappings only for JSON ones or as a {value: ...} property mapping.
func (r *resolver) attribute(cx scope, a *schema.Attribute, f Field) (any, bool) {
	var v any
	if err := f.Value.Decode(&v); err != nil {
		r.add(cx, f.Line, cx.path(fieldSeg(f.Name)), "invalid value: %v", err)
		return nil, false
	}
	value := v
	if m, ok := v.(map[string]any); ok && a.Kind != values.KindJSON {
		value = m["value"] // {value: ..., source: ...}
	}
	if err := values.CheckSize(a, value, r.lim); err != nil { // as loading refuses it
		r.c.limited(cx.file, f.Line, cx.doc, cx.path(fieldSeg(f.Name)), err)
		return nil, false
	}
	switch f.Value.Kind {
	case yaml.SequenceNode:
		if a.Kind != "List" && a.Kind != "JSON" {
			r.add(cx, f.Value.Line, cx.path(fieldSeg(f.Name)), "attribute of kind %s takes a single value, not a list", a.Kind)
			return nil, false
		}
	case yaml.MappingNode:
		if a.Kind != "JSON" && mapValue(f.Value, "value") == nil && mapValue(f.Value, "from_pool") == nil {
			r.add(cx, f.Value.Line, cx.path(fieldSeg(f.Name)), "attribute of kind %s takes a single value, not a mapping", a.Kind)
			return nil, false
		}
	}
	return v, true
}

// hfidOf computes the human-friendly id of o when its parts are attributes given in the file,
// or attributes of a related object o refers to by an HFID (`owner__name__value`).
func (r *resolver) hfidOf(n *schema.Node, o Object) []string {
	if len(n.HumanFriendlyID) == 0 {
		return nil
	}
	out := make([]string, 0, len(n.HumanFriendlyID))
	for _, part := range n.HumanFriendlyID {
		v, ok := r.hfidPart(n, o, part)
		if !ok {
			return nil
		}
		out = append(out, v)
	}
	return out
}

func (r *resolver) hfidPart(n *schema.Node, o Object, part string) (string, bool) {
	segs := strings.Split(part, "__")
	switch {
	case len(segs) == 2 && segs[1] == "value":
		switch v := o.Attributes[segs[0]].(type) {
		case string, int, int64, float64, bool:
			return fmt.Sprint(v), true
		}
	case len(segs) == 3 && segs[2] == "value":
		rel := n.Relationship(segs[0])
		refs := o.Relationships[segs[0]]
		if rel == nil || len(refs) != 1 || refs[0].HFID == nil {
			return "", false
		}
		peer, _ := r.peerHFID(refs[0].Kind)
		for i, p := range peer {
			if p == segs[1]+"__value" && i < len(refs[0].HFID) && len(peer) == len(refs[0].HFID) {
				return refs[0].HFID[i], true
			}
		}
	}
	return "", false
}

func fieldNames(m *schema.Model) []string {
	var out []string
	for _, a := range m.Attributes {
		out = append(out, a.Name)
	}
	for _, rel := range m.Relationships {
		out = append(out, rel.Name)
	}
	return out
}
