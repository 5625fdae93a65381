package nodetx

import (
	"slices"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// prepared is what a create's data gives before the transaction decides it: each attribute
// given decoded, checked and normalised against its kind (model), each relationship's related
// nodes read (ids parsed, not looked up). That depends on the schema and the limits only, not
// on what the transaction holds, so that a batch prepares its creates on other processors while
// it decides the earlier ones in order.
type prepared struct {
	model *schema.Node
	names []string             // the data's fields, sorted
	attrs map[string]attrInput // the attributes that parse
	errs  map[string]error     // the attributes that do not: the error Create answers for each
	refs  []preparedRefs       // the relationships: what relRefs answers for each
	taken bool                 // handed to a decision already (the decision changes attrs)
	// the room of names and refs when they are few: made with p; refFree is what is left of
	// refBuf (the related nodes given)
	nameRoom [8]string
	refRoom  [2]preparedRefs
	refBuf   [2]Ref
	refFree  []Ref
}

// PrepareCreate does, ahead of Create, the part of its work that reads only the schema and
// the limits of t: decoding the data's values (each once, without CreateNode.Prepare's map),
// parsing its attributes and reading its related nodes. It reads nothing else of t and writes
// only in, so that it may run on other goroutines while t decides other operations; Create then
// only resolves the related nodes (with the same errors, in the same field order). A create of a
// kind t does not know is left to Create.
func (t *Tx) PrepareCreate(in *CreateNode) { in.PrepareFor(t.set, t.lim) }

// PrepareFor is PrepareCreate before any transaction exists, for one on schema set with limits
// lim: a node.create waiting for its branch's turn prepares on its caller's goroutine, and the
// turn, which decides its branch's commands one after the other, only does what needs the
// branch's state. A transaction on another schema (changed meanwhile: its kind is another
// *schema.Node) does not use it and parses the data itself.
func (in *CreateNode) PrepareFor(set *schema.Set, lim limits.Limits) {
	if set == nil {
		return
	}
	m, ok := set.Node(in.Kind)
	if !ok {
		return
	}
	p := &prepared{model: m, attrs: make(map[string]attrInput, len(in.Data))}
	p.names, p.refFree = p.nameRoom[:0], p.refBuf[:0:len(p.refBuf)]
	if len(in.Data) > len(p.nameRoom) {
		p.names = make([]string, 0, len(in.Data))
	}
	for k := range in.Data {
		p.names = append(p.names, k)
	}
	slices.Sort(p.names)
	for _, name := range p.names {
		a, ok := attrOf(m, name)
		if !ok {
			p.prepareRel(m, in, name)
			continue
		}
		attr, err := preparedAttr(m, a, in, lim)
		if err != nil {
			if p.errs == nil {
				p.errs = map[string]error{}
			}
			p.errs[name] = err
			continue
		}
		p.attrs[name] = attr
	}
	in.prep = p
}

// preparedAttr is what parse.data reads for attribute a of in's data.
func preparedAttr(m *schema.Node, a *schema.Attribute, in *CreateNode, lim limits.Limits) (attrInput, error) {
	v, ok := in.values[a.Name]
	if !ok { // the value does not decode (prepare left it out): say why
		var err error
		if v, err = decodeValue(in.Data[a.Name]); err != nil {
			return attrInput{}, nodeError(m.Kind, a.Name, err)
		}
	}
	return attrValue(m, a, v, lim)
}

// preparedRefs is what relRefs answers for the relationship of field name.
type preparedRefs struct {
	name string
	refs []Ref
	err  error
}

// prepareRel reads the related nodes given for field name, when it is a relationship of m
// (parse.data refuses anything else, and a read-only relationship before reading its value).
func (p *prepared) prepareRel(m *schema.Node, in *CreateNode, name string) {
	r, ok := relNamed(m, name)
	if !ok || r.ReadOnly {
		return
	}
	var (
		refs []Ref
		err  error
		fast bool
	)
	if _, decoded := in.values[name]; !decoded {
		refs, fast = plainRefs(r, in.Data[name], p.refFree)
		if fast && len(refs) <= cap(p.refFree) { // in p's room: each relationship its own part
			refs, p.refFree = refs[:len(refs):len(refs)], p.refFree[len(refs):cap(p.refFree)][:0]
		}
	}
	if fast {
		refs = parsedRefs(refs)
	} else {
		refs, err = relRefs(m, r, func() (any, error) {
			if v, ok := in.values[name]; ok {
				return v, nil
			}
			return decodeValue(in.Data[name])
		})
	}
	if p.refs == nil {
		p.refs = p.refRoom[:0] // more relationships grow it
	}
	p.refs = append(p.refs, preparedRefs{name: name, refs: refs, err: err})
}

// relRefs answers what relRefs answered for field name when prepared (nil refs and error: not
// prepared). p may be nil.
func (p *prepared) relRefs(name string) ([]Ref, error) {
	if p == nil {
		return nil, nil
	}
	for _, pr := range p.refs {
		if pr.name == name {
			return pr.refs, pr.err
		}
	}
	return nil, nil
}

// fits reports whether p was prepared for model m and not used yet.
func (p *prepared) fits(m *schema.Node) bool { return p != nil && !p.taken && p.model == m }

// take hands p's attributes and sorted field names to one decision (which may change the
// attributes: a later one parses them again).
func (p *prepared) take() (map[string]attrInput, []string) {
	p.taken = true
	return p.attrs, p.names
}
