package graphql

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/schema"
)

// The types of the kinds, made as gqlparser's AST. They have no positions (there is no source):
// gqlparser's messages name the type (and the field) they are about, which locates an error.
// Fields that are the same in several types (same name, type, description and arguments) are one
// field definition.

const updatedAtDeprecation = "Query the node_metadata field instead."

// sharedFields are the fields that are the same in every kind's edge and page types (a field
// definition is only read once built).
type sharedFields struct {
	count, countList, permissions, nodeMetadata, nodeMetadataRequired, properties, relMetadata, ok, updatedAt *ast.FieldDefinition
}

func (b *builder) newSharedFields() sharedFields {
	f := func(name, typ string) *ast.FieldDefinition {
		return &ast.FieldDefinition{Name: name, Type: b.typ(typ)}
	}
	updatedAt := f("_updated_at", "DateTime")
	updatedAt.Directives = ast.DirectiveList{deprecatedDirective(updatedAtDeprecation)}
	return sharedFields{
		count: f("count", "Int!"), permissions: f("permissions", "PaginatedObjectPermission!"),
		nodeMetadata: f("node_metadata", nodeMetadataType), nodeMetadataRequired: f("node_metadata", nodeMetadataType+"!"),
		properties: f("properties", relationshipPropertyType), relMetadata: f("relationship_metadata", relationshipMetadataType),
		ok: f("ok", "Boolean"), updatedAt: updatedAt,
	}
}

func deprecatedDirective(reason string) *ast.Directive {
	return &ast.Directive{Name: "deprecated", Arguments: ast.ArgumentList{
		{Name: "reason", Value: &ast.Value{Kind: ast.StringValue, Raw: reason}}}}
}

// typ answers the type reference written t in SDL ("String", "[ID]", "[EdgedX!]!"), one per text.
func (b *builder) typ(t string) *ast.Type {
	if out, ok := b.types[t]; ok {
		return out
	}
	out := &ast.Type{}
	inner := t
	if strings.HasSuffix(inner, "!") {
		out.NonNull = true
		inner = inner[:len(inner)-1]
	}
	if strings.HasPrefix(inner, "[") {
		out.Elem = b.typ(inner[1 : len(inner)-1])
	} else {
		out.NamedType = inner
	}
	b.types[t] = out
	return out
}

// define starts a generated definition.
func (b *builder) define(kind ast.DefinitionKind, name, description string) *ast.Definition {
	d := &ast.Definition{Kind: kind, Name: name, Description: description}
	b.defs = append(b.defs, d)
	return d
}

type fieldKey struct {
	name, description string
	typ               *ast.Type
	args              *ast.ArgumentDefinition // the first argument: lists are made once each
	nargs             int
}

// field adds a field to d, shared with every type that has the same.
func (b *builder) field(d *ast.Definition, name string, typ *ast.Type, description string, args ast.ArgumentDefinitionList) {
	k := fieldKey{name: name, description: description, typ: typ, nargs: len(args)}
	if len(args) > 0 {
		k.args = args[0]
	}
	f, ok := b.fieldDefs[k]
	if !ok {
		f = &ast.FieldDefinition{Name: name, Description: description, Type: typ, Arguments: args}
		b.fieldDefs[k] = f
	}
	d.Fields = append(d.Fields, f)
}

// rootField adds a root field of kind to the query or the mutation.
func (b *builder) rootField(list *ast.FieldList, name string, typ *ast.Type, args ast.ArgumentDefinitionList) {
	*list = append(*list, &ast.FieldDefinition{Name: name, Type: typ, Arguments: args})
}

// named answers a reference to a type, one per name.
func (b *builder) named(name string, nonNull bool) *ast.Type {
	k := namedKey{name, nonNull}
	t, ok := b.namedTypes[k]
	if !ok {
		t = &ast.Type{NamedType: name, NonNull: nonNull}
		b.namedTypes[k] = t
	}
	return t
}

type namedKey struct {
	name    string
	nonNull bool
}

// listOf answers [name!] or [name!]!.
func (b *builder) listOf(name string, nonNull bool) *ast.Type {
	return &ast.Type{Elem: b.named(name, true), NonNull: nonNull}
}

// arguments makes argument definitions, one per name and type.
func (b *builder) arguments(list ...arg) ast.ArgumentDefinitionList {
	out := make(ast.ArgumentDefinitionList, len(list))
	for i, a := range list {
		k := [2]string{a.name, a.typ}
		d, ok := b.args[k]
		if !ok {
			d = &ast.ArgumentDefinition{Name: a.name, Type: b.typ(a.typ)}
			b.args[k] = d
		}
		out[i] = d
	}
	return out
}

func described(d *string) string {
	if d == nil || strings.TrimSpace(*d) == "" {
		return ""
	}
	return *d
}

// edged adds Edged<kind> and Paginated<kind>.
func (b *builder) edged(kind string) {
	e := b.define(ast.Object, "Edged"+kind, "")
	b.field(e, "node", b.named(kind, false), "", nil)
	e.Fields = append(e.Fields, b.shared.nodeMetadata)
	p := b.define(ast.Object, "Paginated"+kind, "")
	p.Fields = append(p.Fields, b.shared.count)
	b.field(p, "edges", b.listOf(e.Name, true), "", nil)
	p.Fields = append(p.Fields, b.shared.permissions)
}

func (b *builder) generic(g *schema.Generic) {
	d := b.define(ast.Interface, g.Kind, described(g.Description))
	b.fields(d, &g.Model, false, hierarchyOf(g.Hierarchical, g.Kind))
	b.edged(g.Kind)
	ne := b.define(ast.Object, "NestedEdged"+g.Kind, "")
	b.field(ne, "node", b.named(g.Kind, false), "", nil)
	ne.Fields = append(ne.Fields, b.shared.updatedAt, b.shared.nodeMetadataRequired, b.shared.properties, b.shared.relMetadata)
	np := b.define(ast.Object, "NestedPaginated"+g.Kind, "")
	np.Fields = append(np.Fields, b.shared.count)
	b.field(np, "edges", b.listOf(ne.Name, false), "", nil)
	b.queryField(&g.Model)
	if len(g.Attributes)+len(g.Relationships) > 0 {
		b.input(&g.Model, "Update")
		u := b.define(ast.Object, g.Kind+"Update", "")
		u.Fields = append(u.Fields, b.shared.ok)
		b.field(u, "object", b.named(g.Kind, false), "", nil)
		b.rootField(&b.mutation, u.Name, b.named(u.Name, false), b.mutationArgs(b.named(g.Kind+"UpdateInput", true)))
	}
}

func (b *builder) mutationArgs(input *ast.Type) ast.ArgumentDefinitionList {
	return ast.ArgumentDefinitionList{{Name: "data", Type: input}, b.fixed.context}
}

func (b *builder) node(n *schema.Node) {
	var ifaces []string
	for _, k := range n.InheritFrom {
		if g, ok := b.set.Generic(k); ok && b.known[k] && g.Namespace != internalNamespace {
			ifaces = append(ifaces, k)
		}
	}
	// Infrahub adds CoreNode to every node kind but groups (profiles and templates list it in
	// inherit_from already)
	isNode := n.Namespace != "Profile" && n.Namespace != "Template"
	if isNode && !slices.Contains(n.InheritFrom, coreGroup) && !slices.Contains(ifaces, coreNode) {
		ifaces = append(ifaces, coreNode)
	}
	slices.Sort(ifaces)
	ifaces = slices.Compact(ifaces)
	d := b.define(ast.Object, n.Kind, described(n.Description))
	d.Interfaces = ifaces
	h := ""
	if n.Hierarchy != nil {
		h = *n.Hierarchy
	}
	b.fields(d, &n.Model, true, h)
	b.edged(n.Kind)
	ne := b.define(ast.Object, "NestedEdged"+n.Kind, "")
	b.field(ne, "node", b.named(n.Kind, false), "", nil)
	ne.Fields = append(ne.Fields, b.shared.nodeMetadata, b.shared.properties, b.shared.relMetadata)
	np := b.define(ast.Object, "NestedPaginated"+n.Kind, "")
	np.Fields = append(np.Fields, b.shared.count)
	b.field(np, "edges", b.listOf(ne.Name, true), "", nil)
	np.Fields = append(np.Fields, b.shared.permissions)
	b.queryField(&n.Model)
	for _, op := range []string{"Create", "Update", "Upsert"} {
		b.input(&n.Model, op)
		t := b.define(ast.Object, n.Kind+op, "")
		t.Fields = append(t.Fields, b.shared.ok)
		b.field(t, "object", b.named(n.Kind, false), "", nil)
		b.rootField(&b.mutation, t.Name, b.named(t.Name, false), b.mutationArgs(b.named(t.Name+"Input", true)))
	}
	del := b.define(ast.Object, n.Kind+"Delete", "")
	del.Fields = append(del.Fields, b.shared.ok)
	b.rootField(&b.mutation, del.Name, b.named(del.Name, false), b.fixed.deleteArgs)
}

func hierarchyOf(hierarchical bool, kind string) string {
	if hierarchical {
		return kind
	}
	return ""
}

// hierarchyFields are the fields of a hierarchy kind that the hierarchy gives, not its declaration.
var hierarchyFields = schema.HierarchyFields

// fieldExternallyManaged is the field of account kinds that says an identity provider manages them.
const fieldExternallyManaged = "is_externally_managed"

// isAccount reports whether m is the generic account or a node implementing it.
func (b *builder) isAccount(m *schema.Model) bool {
	kind := m.Namespace + m.Name
	if kind == genericAccount {
		return true
	}
	n, ok := b.set.Node(kind)
	return ok && slices.Contains(n.InheritFrom, genericAccount)
}

// fields adds the fields of a node object (object true) or a generic interface.
func (b *builder) fields(d *ast.Definition, m *schema.Model, object bool, hierarchy string) {
	if object {
		b.field(d, "id", b.typ("String!"), "Unique identifier", nil)
	} else {
		b.field(d, "id", b.typ("String"), "Unique identifier", nil)
	}
	b.field(d, "hfid", b.typ("[String!]"), "Human friendly identifier", nil)
	if object {
		d.Fields = append(d.Fields, b.shared.updatedAt)
	}
	b.field(d, "display_label", b.typ("String"), "", nil)
	seen := b.scratch(&b.seenFields)
	for _, name := range []string{"id", "hfid", "display_label", "_updated_at"} {
		seen[name] = true
	}
	if b.isAccount(m) {
		// Infrahub's accounts say whether an identity provider manages them (the web UI's
		// GetAccountProfile asks): none does here.
		b.field(d, fieldExternallyManaged, b.typ("Boolean"), "Whether an external identity provider manages the account", nil)
		seen[fieldExternallyManaged] = true
	}
	for _, a := range m.Attributes {
		if a.State == schema.StateAbsent || seen[a.Name] {
			continue
		}
		seen[a.Name] = true
		desc := ""
		if a.Description != nil {
			desc = *a.Description
		}
		if object && !a.Optional {
			desc = strings.TrimSpace(desc + " (required)")
		}
		b.field(d, a.Name, b.typ(attrTypeOf(a.Kind).object), described(&desc), nil)
	}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent || seen[r.Name] {
			continue
		}
		if hierarchy != "" && slices.Contains(hierarchyFields, r.Name) {
			continue
		}
		peer, ok := b.set.Model(r.Peer)
		if !ok || !b.known[r.Peer] {
			continue
		}
		seen[r.Name] = true
		if r.Cardinality == "one" {
			b.field(d, r.Name, b.named("NestedEdged"+r.Peer, true), described(r.Description), nil)
			continue
		}
		args := b.nestedFilters(peer, true)
		if hierarchy != "" {
			args = append(slices.Clip(args), b.fixed.includeDescendants)
		}
		b.field(d, r.Name, b.named("NestedPaginated"+r.Peer, true), described(r.Description), args)
	}
	if hierarchy == "" {
		return
	}
	hm, ok := b.set.Model(hierarchy)
	if !ok || !b.known[hierarchy] {
		return
	}
	args := b.nestedFilters(hm, true)
	b.field(d, "parent", b.named("NestedEdged"+hierarchy, true), "", nil)
	for _, f := range hierarchyFields[1:] {
		b.field(d, f, b.named("NestedPaginated"+hierarchy, true), "", args)
	}
}

type arg struct{ name, typ string }

// nestedFilters are filters(m, false, props), made once per kind.
func (b *builder) nestedFilters(m *schema.Model, props bool) ast.ArgumentDefinitionList {
	k := filterKey{m.Kind, props}
	if out, ok := b.filters[k]; ok {
		return out
	}
	out := b.filterList(m, false, props)
	b.filters[k] = out
	return out
}

// filterList returns the arguments Infrahub generates for listing kind m: at the top level (a
// query field) or for a relationship of cardinality many (top false). The arguments of an
// attribute and of a relationship are made once per name and type.
func (b *builder) filterList(m *schema.Model, top, props bool) ast.ArgumentDefinitionList {
	out := append(make(ast.ArgumentDefinitionList, 0, 64), b.fixed.paging...)
	if !top {
		out = append(out, b.fixed.isnull)
	}
	if m.DisplayLabel != nil || len(m.DisplayLabels) > 0 {
		out = append(out, b.fixed.displayLabel...)
	}
	if top && len(m.HumanFriendlyID) > 0 {
		out = append(out, b.fixed.hfid)
	}
	seen := b.scratch(&b.seenAttrs)
	for _, a := range m.Attributes {
		if a.State == schema.StateAbsent || seen[a.Name] || a.Name == "display_label" {
			continue
		}
		seen[a.Name] = true
		out = append(out, b.attrFilters(a.Name, attrTypeOf(a.Kind).filter, props, top)...)
	}
	if !top {
		return slices.Clone(out)
	}
	out = append(out, b.attrFilters("any", "String", true, false)...)
	out = append(out, b.fixed.top...)
	if m.Kind == ipPrefixGeneric || m.Kind == ipAddressGeneric {
		out = append(out, b.fixed.ip...)
	}
	names := b.scratch(&b.seenNames)
	for _, a := range out {
		names[a.Name] = true
	}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent {
			continue
		}
		peer, ok := b.set.Model(r.Peer)
		if !ok || !b.known[r.Peer] {
			continue
		}
		for _, f := range b.relFilters(r.Name, peer, r.Kind != schema.RelGroup) {
			if !names[f.Name] {
				names[f.Name] = true
				out = append(out, f)
			}
		}
	}
	return slices.Clone(out)
}

// fixedArgs are the arguments that are the same for every kind.
type fixedArgs struct {
	paging, displayLabel, top, ip, deleteArgs ast.ArgumentDefinitionList
	isnull, hfid, includeDescendants, context *ast.ArgumentDefinition
}

func (b *builder) newFixedArgs() fixedArgs {
	f := fixedArgs{
		paging:       b.arguments(arg{"offset", "Int"}, arg{"limit", "Int"}, arg{"order", "OrderInput"}, arg{"ids", "[ID]"}),
		displayLabel: b.arguments(arg{"display_label__value", "String"}, arg{"display_label__values", "[String]"}, arg{"display_label__isnull", "Boolean"}),
		top: b.arguments(arg{"partial_match", "Boolean"},
			arg{"node_metadata__created_by__id", "ID"}, arg{"node_metadata__created_by__ids", "[ID]"},
			arg{"node_metadata__updated_by__id", "ID"}, arg{"node_metadata__updated_by__ids", "[ID]"},
			arg{"node_metadata__created_at", "DateTime"}, arg{"node_metadata__created_at__before", "DateTime"},
			arg{"node_metadata__created_at__after", "DateTime"}, arg{"node_metadata__updated_at", "DateTime"},
			arg{"node_metadata__updated_at__before", "DateTime"}, arg{"node_metadata__updated_at__after", "DateTime"}),
		ip:         b.arguments(arg{"include_available", "Boolean"}, arg{"kinds", "[String!]"}),
		deleteArgs: b.arguments(arg{"data", "DeleteInput!"}, arg{"context", "ContextInput"}),
	}
	f.isnull = b.arguments(arg{"isnull", "Boolean"})[0]
	f.hfid = b.arguments(arg{"hfid", "[String]"})[0]
	f.includeDescendants = b.arguments(arg{"include_descendants", "Boolean"})[0]
	f.context = f.deleteArgs[1]
	return f
}

// scratch answers the map at *m emptied (one map reused for every kind).
func (b *builder) scratch(m *map[string]bool) map[string]bool {
	if *m == nil {
		*m = map[string]bool{}
	}
	clear(*m)
	return *m
}

type attrFilterKey struct {
	name, scalar  string
	props, isnull bool
}

type prefixedKey struct {
	name string
	typ  *ast.Type
}

type relFilterKey struct {
	rel, peer string
	props     bool
}

// relFilters are the filters of a relationship named rel to peer in a top-level query field:
// the peer's filters (but paging and order) prefixed with rel__.
func (b *builder) relFilters(rel string, peer *schema.Model, props bool) ast.ArgumentDefinitionList {
	k := relFilterKey{rel, peer.Kind, props}
	if out, ok := b.relArgs[k]; ok {
		return out
	}
	var out ast.ArgumentDefinitionList
	for _, f := range b.nestedFilters(peer, props) {
		switch f.Name {
		case "offset", "limit", "order":
			continue
		}
		name := rel + "__" + f.Name
		k := prefixedKey{name, f.Type}
		a, ok := b.prefixed[k]
		if !ok {
			a = &ast.ArgumentDefinition{Name: name, Type: f.Type}
			b.prefixed[k] = a
		}
		out = append(out, a)
	}
	b.relArgs[k] = out
	return out
}

// attrFilters are the filters of an attribute.
func (b *builder) attrFilters(name, scalar string, props, isnull bool) ast.ArgumentDefinitionList {
	k := attrFilterKey{name, scalar, props, isnull}
	if out, ok := b.attrArgs[k]; ok {
		return out
	}
	list := []arg{{name + "__value", scalar}, {name + "__values", "[" + scalar + "]"}}
	if isnull {
		list = append(list, arg{name + "__isnull", "Boolean"})
	}
	if props {
		list = append(list, arg{name + "__source__id", "ID"}, arg{name + "__owner__id", "ID"},
			arg{name + "__is_visible", "Boolean"}, arg{name + "__is_protected", "Boolean"})
	}
	out := b.arguments(list...)
	b.attrArgs[k] = out
	return out
}

func (b *builder) queryField(m *schema.Model) {
	b.rootField(&b.query, m.Kind, b.named("Paginated"+m.Kind, true), b.filterList(m, true, true))
}

// input adds <Kind><op>Input (op is Create, Update or Upsert).
func (b *builder) input(m *schema.Model, op string) {
	d := b.define(ast.InputObject, m.Kind+op+"Input", "")
	b.field(d, "id", b.typ("String"), "", nil)
	seen := b.scratch(&b.seenFields)
	seen["id"] = true
	if op != "Create" {
		b.field(d, "hfid", b.typ("[String]"), "", nil)
		seen["hfid"] = true
	}
	suffix := "Update"
	if op == "Create" {
		suffix = "Create"
	}
	for _, a := range m.Attributes {
		if a.State == schema.StateAbsent || a.ReadOnly || seen[a.Name] {
			continue
		}
		seen[a.Name] = true
		b.field(d, a.Name, b.typ(attrTypeOf(a.Kind).input+suffix), described(a.Description), nil)
	}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent || r.ReadOnly || seen[r.Name] || !b.known[r.Peer] {
			continue
		}
		seen[r.Name] = true
		t := b.relatedInput(r.Peer)
		if r.Cardinality != "one" {
			t = b.typ("[" + t.NamedType + "]")
		}
		b.field(d, r.Name, t, described(r.Description), nil)
	}
}

// relatedInput is the input type of a relationship to peer: IP prefixes and addresses may be
// allocated from their pools.
func (b *builder) relatedInput(peer string) *ast.Type {
	switch {
	case b.inherits(peer, ipPrefixGeneric):
		return b.typ("RelatedIPPrefixNodeInput")
	case b.inherits(peer, ipAddressGeneric):
		return b.typ("RelatedIPAddressNodeInput")
	}
	return b.typ("RelatedNodeInput")
}

func (b *builder) inherits(kind, generic string) bool {
	if kind == generic {
		return true
	}
	n, ok := b.set.Node(kind)
	return ok && slices.Contains(n.InheritFrom, generic)
}
