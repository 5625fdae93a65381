package objectfile

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

var (
	uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// refKeys are the keys of a mapping naming a related object (by id, hfid, or a pool to ask),
	// blockKeys those of a nested block creating objects: infrahubctl reads kind and data of it
	// and ignores the rest (infrahub_sdk/spec/object.py, get_relationship_info), as we do, with
	// a warning; parameters overrides the document's for the block.
	refKeys   = []string{"id", "hfid", "kind", "data", "parameters", "from_pool"}
	blockKeys = []string{"kind", "data", "parameters"}
)

// relationship resolves a relationship field into references to existing objects and nested
// creations. An explicit null or empty list gives an empty, non-nil list (no peer).
func (r *resolver) relationship(cx scope, n *schema.Node, rel *schema.Relationship, f Field) ([]Ref, []nestedJob, bool) {
	p := cx.path(fieldSeg(f.Name))
	v := f.Value
	many := rel.Cardinality == "many"
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return []Ref{}, nil, true
		}
		ref, ok := r.refFromString(cx, p, v, rel.Peer)
		return []Ref{ref}, nil, ok
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return []Ref{}, nil, true
		}
		if !many {
			if !allScalars(v) {
				r.add(cx, v.Line, p, "relationship of cardinality one takes one object, not a list")
				return nil, nil, false
			}
			ref, ok := r.refFromList(cx, p, v, rel.Peer, true)
			return []Ref{ref}, nil, ok
		}
		var refs []Ref
		var jobs []nestedJob
		ok := true
		for i, e := range v.Content {
			e = deref(e)
			ep := join(p, fmt.Sprintf("element %d", i+1))
			switch e.Kind {
			case yaml.ScalarNode:
				ref, good := r.refFromString(cx, ep, e, rel.Peer)
				refs, ok = append(refs, ref), ok && good
			case yaml.SequenceNode:
				ref, good := r.refFromList(cx, ep, e, rel.Peer, false)
				refs, ok = append(refs, ref), ok && good
			case yaml.MappingNode:
				rs, js, good := r.mapping(cx, cx.below(fieldSeg(f.Name), fmt.Sprintf("element %d", i+1)), ep, n, rel, e, true)
				refs, jobs, ok = append(refs, rs...), append(jobs, js...), ok && good
			default:
				r.add(cx, e.Line, ep, "a related object is an HFID (string or list) or a mapping")
				ok = false
			}
		}
		return refs, jobs, ok
	case yaml.MappingNode:
		return r.mapping(cx, cx.below(fieldSeg(f.Name)), p, n, rel, v, false)
	}
	r.add(cx, v.Line, p, "a related object is an HFID (string or list) or a mapping")
	return nil, nil, false
}

// mapping resolves {id}, {hfid}, {from_pool}, {kind?, data: {...}} and {kind?, data: [...],
// parameters?}. sub is the scope of nested objects; inList tells a list element.
func (r *resolver) mapping(cx, sub scope, p string, n *schema.Node, rel *schema.Relationship, m *yaml.Node, inList bool) ([]Ref, []nestedJob, bool) {
	before := len(r.c.list)
	data := mapValue(m, "data")
	if data != nil {
		r.blockKeys(cx, p, m)
	} else {
		checkKeys(r.c, cx.file, cx.doc, p, m, refKeys)
	}
	if len(r.c.list) > before {
		return nil, nil, false
	}
	kindNode := mapValue(m, "kind")
	id, hfid := mapValue(m, "id"), mapValue(m, "hfid")
	peer := rel.Peer
	if kindNode != nil {
		if !r.compatible(cx, p+".kind", kindNode, rel) {
			return nil, nil, false
		}
		peer = kindNode.Value
	}
	if fp := mapValue(m, "from_pool"); fp != nil && data == nil {
		if id != nil || hfid != nil {
			r.add(cx, m.Line, p, "from_pool asks a pool for a new object: it cannot be given with id or hfid")
			return nil, nil, false
		}
		var v any
		if err := fp.Decode(&v); err != nil || v == nil {
			r.add(cx, fp.Line, p+".from_pool", "want a pool's name or id, or a mapping {id|hfid, identifier}")
			return nil, nil, false
		}
		return []Ref{{FromPool: v, Kind: peer}}, nil, true
	}
	if data == nil {
		if mapValue(m, "parameters") != nil {
			r.add(cx, m.Line, p, "parameters go with data")
			return nil, nil, false
		}
		switch {
		case id != nil && hfid != nil:
			r.add(cx, m.Line, p, "give id or hfid, not both")
		case id != nil:
			if id.Kind != yaml.ScalarNode || id.Value == "" {
				r.add(cx, id.Line, p+".id", "must be a string")
				return nil, nil, false
			}
			return []Ref{{ID: id.Value, Kind: peer}}, nil, true
		case hfid != nil && hfid.Kind == yaml.SequenceNode:
			ref, ok := r.refFromList(cx, p+".hfid", hfid, peer, false)
			return []Ref{ref}, nil, ok
		case hfid != nil:
			ref, ok := r.refFromString(cx, p+".hfid", hfid, peer)
			return []Ref{ref}, nil, ok
		default:
			r.add(cx, m.Line, p, "a related object needs id, hfid or data")
		}
		return nil, nil, false
	}
	if cx.depth >= r.lim.ObjectNesting {
		r.c.exceeded(cx.file, m.Line, cx.doc, p, "nesting of objects", cx.depth+1, r.lim.ObjectNesting, limits.Setting("ObjectNesting"))
		return nil, nil, false
	}
	sub.depth++
	child, ok := r.childKind(cx, p, m.Line, rel, kindNode)
	if !ok {
		return nil, nil, false
	}
	expand := cx.expand
	if params := mapValue(m, "parameters"); params != nil {
		expand = parseParameters(r.c, cx.file, cx.doc, p+".parameters", params)
	}
	switch data.Kind {
	case yaml.MappingNode:
		it, ok := parseItem(r.c, cx.file, cx.doc, p+".data", data)
		if !ok {
			return nil, nil, false
		}
		back := ""
		if rel.Cardinality == "many" || rel.Kind == schema.RelComponent {
			back = r.backRel(n, rel, child)
		}
		sub.expand, sub.literal = expand, true
		return nil, []nestedJob{func(parent Ref) []Object {
			return r.item(sub, child, it, &enclosing{link: Link{Relationship: rel.Name, Back: back}, ref: parent})
		}}, true
	case yaml.SequenceNode:
		if inList {
			r.add(cx, data.Line, p+".data", "a list element creates one object: data must be a mapping")
			return nil, nil, false
		}
		if rel.Cardinality != "many" {
			r.add(cx, data.Line, p+".data", "relationship of cardinality one takes one object: data must be a mapping, not a list")
			return nil, nil, false
		}
		items := parseItems(r.c, cx.file, cx.doc, p, data)
		back := r.backRel(n, rel, child)
		sub.expand, sub.literal = expand, false
		return nil, []nestedJob{func(parent Ref) []Object {
			var out []Object
			for _, it := range items {
				out = append(out, r.item(sub.below(itemSeg(it.Index)), child, it, &enclosing{link: Link{Relationship: rel.Name, Back: back}, ref: parent})...)
			}
			return out
		}}, true
	}
	r.add(cx, data.Line, p+".data", "must be a list of objects or one object (a mapping)")
	return nil, nil, false
}

// blockKeys warns of the keys of a nested {kind, data} block that are ignored, and refuses keys
// given twice.
func (r *resolver) blockKeys(cx scope, p string, m *yaml.Node) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		switch {
		case seen[k.Value]:
			r.add(cx, k.Line, p+"."+k.Value, "given twice")
		case !contains(blockKeys, k.Value):
			r.c.warn(cx.file, k.Line, cx.doc, p+"."+k.Value, "ignored: a nested block with data creates objects from its kind and data only")
		}
		seen[k.Value] = true
	}
}

// childKind is the node kind nested objects are created with: the kind written, else the peer
// (else, in a menu, the menu item kind).
func (r *resolver) childKind(cx scope, p string, line int, rel *schema.Relationship, kindNode *yaml.Node) (*schema.Node, bool) {
	kind := rel.Peer
	if kindNode != nil {
		kind = kindNode.Value
	}
	if n, ok := r.set.Node(kind); ok {
		return n, true
	}
	if g, ok := r.set.Generic(kind); ok {
		if kindNode == nil && cx.menuKind != "" && inherits(r.set, cx.menuKind, kind) {
			n, _ := r.set.Node(cx.menuKind)
			return n, true
		}
		if kindNode != nil {
			line = kindNode.Line
		}
		r.add(cx, line, p, "%s is a generic: give the kind of the objects to create (one of %s)", kind, strings.Join(g.UsedBy, ", "))
		return nil, false
	}
	r.add(cx, kindNode.Line, p+".kind", "unknown kind %q", kind)
	return nil, false
}

// compatible checks that the kind written for a related object is the peer or inherits from it.
func (r *resolver) compatible(cx scope, p string, kindNode *yaml.Node, rel *schema.Relationship) bool {
	kind := kindNode.Value
	if _, ok := r.set.Model(kind); !ok || kindNode.Kind != yaml.ScalarNode {
		r.add(cx, kindNode.Line, p, "unknown kind %q%s", kind, suggestion(kind, r.set.Kinds()))
		return false
	}
	if !isA(r.set, kind, rel.Peer) {
		r.add(cx, kindNode.Line, p, "%s is not a %s, the peer of relationship %q", kind, rel.Peer, rel.Name)
		return false
	}
	return true
}

// backRel finds the relationship of child that points back to parent through rel: same
// identifier, a peer parent is (or inherits from), the opposite direction preferred.
func (r *resolver) backRel(parent *schema.Node, rel *schema.Relationship, child *schema.Node) string {
	best := ""
	for _, c := range child.Relationships {
		if c.Identifier != rel.Identifier || (child.Kind == parent.Kind && c.Name == rel.Name) {
			continue
		}
		if !isA(r.set, parent.Kind, c.Peer) {
			continue
		}
		if c.Direction != rel.Direction || c.Direction == "bidirectional" {
			return c.Name
		}
		if best == "" {
			best = c.Name
		}
	}
	return best
}

// templatePrefix starts the kinds of generated object templates.
const templatePrefix = "Template"

// isA reports whether objects of kind may be peers of a relationship whose peer is peer: the
// same kind, a node inheriting from the generic peer, or the template of such a node when peer
// is the template of the generic (generated templates do not always inherit from one another).
func isA(set *schema.Set, kind, peer string) bool {
	if kind == peer || inherits(set, kind, peer) {
		return true
	}
	k, kt := strings.CutPrefix(kind, templatePrefix)
	p, pt := strings.CutPrefix(peer, templatePrefix)
	if !kt || !pt {
		return false
	}
	if _, ok := set.Node(kind); !ok {
		return false
	}
	return inherits(set, k, p)
}

// inherits reports whether kind is a node inheriting from generic.
func inherits(set *schema.Set, kind, generic string) bool {
	n, ok := set.Node(kind)
	if !ok {
		return false
	}
	for _, g := range n.InheritFrom {
		if g == generic {
			return true
		}
	}
	return false
}
