// Package graphql builds the GraphQL schema of a branch from its Infrahub schema, with the names
// and shapes Infrahub generates, so that users' existing documents (.gql files, SDK queries)
// validate unchanged. The schema model, parser and validator are github.com/vektah/gqlparser/v2;
// execution lives elsewhere (ARCHITECTURE §7).
//
// Per node kind (and per generated Profile*/Template* kind) the schema has the object type
// <Kind>, Edged<Kind>, NestedEdged<Kind>, Paginated<Kind>, NestedPaginated<Kind>, the query field
// <Kind>(filters…), the mutations <Kind>Create/Update/Upsert/Delete and their input types. Per
// generic it has an interface <Kind> implemented by the kinds that inherit from it (every node
// kind but groups also implements CoreNode), the same edged and paginated types, the query field
// and, when the generic has attributes or relationships, <Kind>Update.
package graphql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/schema"
)

// Type names of the generated shared types.
const (
	nodeMetadataType         = "NodeMetadata"
	relationshipMetadataType = "RelationshipMetadata"
	relationshipPropertyType = "RelationshipProperty"
	standardMetadataType     = "InfrahubStandardNodeMetaData"
	coreNode                 = "CoreNode"
	coreGroup                = "CoreGroup"
	lineageSource            = "LineageSource"
	lineageOwner             = "LineageOwner"
	genericAccount           = "CoreGenericAccount"
	ipPrefixGeneric          = "BuiltinIPPrefix"
	ipAddressGeneric         = "BuiltinIPAddress"
	internalNamespace        = "Internal"
)

// attrType is how one attribute kind appears in GraphQL.
type attrType struct {
	object string // the attribute's object type
	input  string // prefix of the Create/Update input types
	filter string // scalar of the __value(s) filters
}

var (
	textAttr  = attrType{"TextAttribute", "TextAttribute", "String"}
	attrKinds = map[string]attrType{
		"ID": textAttr, "Text": textAttr, "TextArea": textAttr, "Email": textAttr, "Password": textAttr,
		"HashedPassword": textAttr, "URL": textAttr, "File": textAttr, "Color": textAttr, "String": textAttr,
		"DateTime":   {"TextAttribute", "TextAttribute", "DateTime"},
		"MacAddress": {"MacAddress", "TextAttribute", "String"},
		"Dropdown":   {"Dropdown", "TextAttribute", "String"},
		"IPHost":     {"IPHost", "TextAttribute", "String"},
		"IPNetwork":  {"IPNetwork", "TextAttribute", "String"},
		"Number":     {"NumberAttribute", "NumberAttribute", "BigInt"},
		"Integer":    {"NumberAttribute", "NumberAttribute", "BigInt"},
		"Bandwidth":  {"NumberAttribute", "NumberAttribute", "Int"},
		"Boolean":    {"CheckboxAttribute", "CheckboxAttribute", "Boolean"},
		"Checkbox":   {"CheckboxAttribute", "CheckboxAttribute", "Boolean"},
		"List":       {"ListAttribute", "ListAttribute", "GenericScalar"},
		"JSON":       {"JSONAttribute", "JSONAttribute", "GenericScalar"},
		"Any":        {"AnyAttribute", "AnyAttribute", "GenericScalar"},
	}
)

func attrTypeOf(kind string) attrType {
	if t, ok := attrKinds[kind]; ok {
		return t
	}
	return textAttr
}

// attributeObjects are the attribute object types and their extra fields (after value).
var attributeObjects = []struct {
	name, desc, value string
	extra             []string
}{
	{"TextAttribute", "Attribute of type Text", "String", nil},
	{"NumberAttribute", "Attribute of type Number", "BigInt", nil},
	{"CheckboxAttribute", "Attribute of type Checkbox", "Boolean", nil},
	{"Dropdown", "Attribute of type Dropdown", "String", []string{"label: String", "color: String", "description: String"}},
	{"IPHost", "Attribute of type IPHost", "String", []string{"ip: String", "hostmask: String", "netmask: String",
		"prefixlen: Int", "version: Int", "with_hostmask: String", "with_netmask: String"}},
	{"IPNetwork", "Attribute of type IPNetwork", "String", []string{"broadcast_address: String", "hostmask: String",
		"netmask: String", "prefixlen: Int", "num_addresses: Int", "version: Int", "with_hostmask: String", "with_netmask: String"}},
	{"MacAddress", "Attribute of type MacAddress", "String", []string{"oui: String", "ei: String", "version: Int",
		"binary: String", "eui48: String", "eui64: String", `"""Format without delimiters""" bare: String`,
		`"""Format often used by Cisco devices""" dot_notation: String`,
		`"""Format used by UNIX based systems""" semicolon_notation: String`,
		`"""Format used by PostgreSQL""" split_notation: String`}},
	{"ListAttribute", "Attribute of type List", "GenericScalar", nil},
	{"JSONAttribute", "Attribute of type JSON", "GenericScalar", nil},
	{"AnyAttribute", "Attribute of type GenericScalar", "GenericScalar", nil},
}

// builder writes the SDL of one schema.
type builder struct {
	set      *schema.Set
	sb       strings.Builder
	nodes    []*schema.Node // nodes, profiles and templates outside the Internal namespace
	generics []*schema.Generic
	known    map[string]bool // kinds that have GraphQL types
	query    strings.Builder
	mutation strings.Builder
}

// Build generates the GraphQL schema of a resolved Infrahub schema. The result is validated by
// gqlparser; an error means the Infrahub schema cannot be expressed (a bug or a name clash).
func Build(set *schema.Set) (*ast.Schema, error) {
	if set == nil {
		return nil, fmt.Errorf("graphql: nil schema set")
	}
	s, err := buildSchema(set)
	if err != nil {
		return nil, fmt.Errorf("graphql: build schema %s: %w", set.Hash(), err)
	}
	return s, nil
}

// invalidSchema is a GraphQL schema that gqlparser refuses, with the SDL it was given.
type invalidSchema struct {
	err error
	src string
}

func (e *invalidSchema) Error() string { return e.err.Error() }
func (e *invalidSchema) Unwrap() error { return e.err }

func buildSchema(set *schema.Set) (*ast.Schema, error) {
	src := buildSDL(set)
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "infrahub.graphql", Input: src, BuiltIn: false})
	if err != nil {
		return nil, &invalidSchema{err, src}
	}
	return s, nil
}

func buildSDL(set *schema.Set) string {
	b := &builder{set: set, known: map[string]bool{}}
	for _, list := range [][]*schema.Node{set.Nodes(), set.Profiles(), set.Templates()} {
		for _, n := range list {
			if n.Namespace == internalNamespace || n.State == schema.StateAbsent {
				continue
			}
			b.nodes = append(b.nodes, n)
			b.known[n.Kind] = true
		}
	}
	for _, g := range set.Generics() {
		if g.Namespace == internalNamespace || g.State == schema.StateAbsent {
			continue
		}
		b.generics = append(b.generics, g)
		b.known[g.Kind] = true
	}
	b.sb.WriteString(staticSDL)
	b.sb.WriteString(staticAPISDL)
	b.shared()
	if !b.known[coreNode] {
		// Infrahub always has the CoreNode interface, even without the generic
		b.sb.WriteString("\n\"\"\"Interface for all nodes in Infrahub\"\"\"\ninterface CoreNode {\n  id: String\n  hfid: [String!]\n  display_label: String\n}\n")
		b.edged(coreNode)
	}
	for _, g := range b.generics {
		b.generic(g)
	}
	for _, n := range b.nodes {
		b.node(n)
	}
	b.sb.WriteString("\ntype Query {\n")
	b.sb.WriteString(staticQueryFields)
	b.sb.WriteString(b.query.String())
	if b.known[genericAccount] {
		b.sb.WriteString("  AccountProfile: " + genericAccount + "\n")
	}
	b.sb.WriteString("}\n\ntype Mutation {\n")
	b.sb.WriteString(staticMutationFields)
	b.sb.WriteString(b.mutation.String())
	b.sb.WriteString("}\n\nschema {\n  query: Query\n  mutation: Mutation\n}\n")
	return b.sb.String()
}

// ref returns kind when it has a GraphQL type, else fallback.
func (b *builder) ref(kind, fallback string) string {
	if b.known[kind] {
		return kind
	}
	return fallback
}

// shared writes the types that reference generated kinds: attribute objects (source, owner,
// updated_by), relationship properties and metadata.
func (b *builder) shared() {
	source := b.ref(lineageSource, coreNode)
	owner := b.ref(lineageOwner, coreNode)
	account := ""
	if b.known[genericAccount] {
		account = genericAccount
	}
	w := &b.sb
	for _, a := range attributeObjects {
		fmt.Fprintf(w, "\n\"\"\"%s\"\"\"\ntype %s implements AttributeInterface {\n", a.desc, a.name)
		w.WriteString("  is_default: Boolean\n  is_inherited: Boolean\n  is_protected: Boolean\n")
		w.WriteString("  is_visible: Boolean @deprecated(reason: \"is_visible is not used anymore\")\n")
		w.WriteString("  updated_at: DateTime\n  id: String\n  is_from_profile: Boolean\n  permissions: PermissionType\n")
		fmt.Fprintf(w, "  value: %s\n", a.value)
		for _, e := range a.extra {
			fmt.Fprintf(w, "  %s\n", e)
		}
		fmt.Fprintf(w, "  source: %s\n  owner: %s\n", source, owner)
		if account != "" {
			fmt.Fprintf(w, "  updated_by: %s\n", account)
		}
		w.WriteString("}\n")
	}
	fmt.Fprintf(w, "\n\"\"\"Defines properties for relationships\"\"\"\ntype %s {\n", relationshipPropertyType)
	w.WriteString("  is_protected: Boolean\n  is_visible: Boolean @deprecated(reason: \"is_visible is not used anymore\")\n")
	fmt.Fprintf(w, "  updated_at: DateTime\n  source: %s\n  owner: %s\n}\n", source, owner)
	for _, t := range []struct{ name, desc string }{
		{nodeMetadataType, "Defines node metadata information"},
		{standardMetadataType, "Base metadata type for standard nodes"},
		{relationshipMetadataType, "Defines relationship metadata information"},
	} {
		fmt.Fprintf(w, "\n\"\"\"%s\"\"\"\ntype %s {\n  created_at: DateTime\n", t.desc, t.name)
		if account != "" {
			fmt.Fprintf(w, "  created_by: %s\n", account)
		}
		w.WriteString("  updated_at: DateTime\n")
		if account != "" {
			fmt.Fprintf(w, "  updated_by: %s\n", account)
		}
		w.WriteString("}\n")
	}
}

// edged writes Edged<kind> and Paginated<kind>.
func (b *builder) edged(kind string) {
	fmt.Fprintf(&b.sb, "\ntype Edged%s {\n  node: %s\n  node_metadata: %s\n}\n", kind, kind, nodeMetadataType)
	fmt.Fprintf(&b.sb, "\ntype Paginated%s {\n  count: Int!\n  edges: [Edged%s!]!\n  permissions: PaginatedObjectPermission!\n}\n", kind, kind)
}

func (b *builder) generic(g *schema.Generic) {
	w := &b.sb
	desc(w, "", g.Description)
	fmt.Fprintf(w, "interface %s {\n", g.Kind)
	b.fields(&g.Model, false, hierarchyOf(g.Hierarchical, g.Kind))
	w.WriteString("}\n")
	b.edged(g.Kind)
	fmt.Fprintf(w, "\ntype NestedEdged%s {\n  node: %s\n", g.Kind, g.Kind)
	w.WriteString("  _updated_at: DateTime @deprecated(reason: \"Query the node_metadata field instead.\")\n")
	fmt.Fprintf(w, "  node_metadata: %s!\n  properties: %s\n  relationship_metadata: %s\n}\n",
		nodeMetadataType, relationshipPropertyType, relationshipMetadataType)
	fmt.Fprintf(w, "\ntype NestedPaginated%s {\n  count: Int!\n  edges: [NestedEdged%s!]\n}\n", g.Kind, g.Kind)
	b.queryField(&g.Model)
	if len(g.Attributes)+len(g.Relationships) > 0 {
		b.input(&g.Model, "Update")
		fmt.Fprintf(w, "\ntype %sUpdate {\n  ok: Boolean\n  object: %s\n}\n", g.Kind, g.Kind)
		fmt.Fprintf(&b.mutation, "  %sUpdate(data: %sUpdateInput!, context: ContextInput): %sUpdate\n", g.Kind, g.Kind, g.Kind)
	}
}

func (b *builder) node(n *schema.Node) {
	w := &b.sb
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
	desc(w, "", n.Description)
	fmt.Fprintf(w, "type %s", n.Kind)
	if len(ifaces) > 0 {
		fmt.Fprintf(w, " implements %s", strings.Join(ifaces, " & "))
	}
	w.WriteString(" {\n")
	h := ""
	if n.Hierarchy != nil {
		h = *n.Hierarchy
	}
	b.fields(&n.Model, true, h)
	w.WriteString("}\n")
	b.edged(n.Kind)
	fmt.Fprintf(w, "\ntype NestedEdged%s {\n  node: %s\n  node_metadata: %s\n  properties: %s\n  relationship_metadata: %s\n}\n",
		n.Kind, n.Kind, nodeMetadataType, relationshipPropertyType, relationshipMetadataType)
	fmt.Fprintf(w, "\ntype NestedPaginated%s {\n  count: Int!\n  edges: [NestedEdged%s!]!\n  permissions: PaginatedObjectPermission!\n}\n", n.Kind, n.Kind)
	b.queryField(&n.Model)
	for _, op := range []string{"Create", "Update", "Upsert"} {
		b.input(&n.Model, op)
		fmt.Fprintf(w, "\ntype %s%s {\n  ok: Boolean\n  object: %s\n}\n", n.Kind, op, n.Kind)
		fmt.Fprintf(&b.mutation, "  %s%s(data: %s%sInput!, context: ContextInput): %s%s\n", n.Kind, op, n.Kind, op, n.Kind, op)
	}
	fmt.Fprintf(w, "\ntype %sDelete {\n  ok: Boolean\n}\n", n.Kind)
	fmt.Fprintf(&b.mutation, "  %sDelete(data: DeleteInput!, context: ContextInput): %sDelete\n", n.Kind, n.Kind)
}

func hierarchyOf(hierarchical bool, kind string) string {
	if hierarchical {
		return kind
	}
	return ""
}

// hierarchyFields are the fields of a hierarchy kind that the hierarchy gives, not its declaration.
var hierarchyFields = schema.HierarchyFields

// fields writes the fields of a node object (object true) or a generic interface.
func (b *builder) fields(m *schema.Model, object bool, hierarchy string) {
	w := &b.sb
	if object {
		w.WriteString("  \"\"\"Unique identifier\"\"\"\n  id: String!\n")
	} else {
		w.WriteString("  \"\"\"Unique identifier\"\"\"\n  id: String\n")
	}
	w.WriteString("  \"\"\"Human friendly identifier\"\"\"\n  hfid: [String!]\n")
	if object {
		w.WriteString("  _updated_at: DateTime @deprecated(reason: \"Query the node_metadata field instead.\")\n")
	}
	w.WriteString("  display_label: String\n")
	seen := map[string]bool{"id": true, "hfid": true, "display_label": true, "_updated_at": true}
	for _, a := range m.Attributes {
		if a.State == schema.StateAbsent || seen[a.Name] {
			continue
		}
		seen[a.Name] = true
		d := ""
		if a.Description != nil {
			d = *a.Description
		}
		if object && !a.Optional {
			d = strings.TrimSpace(d + " (required)")
		}
		desc(w, "  ", &d)
		fmt.Fprintf(w, "  %s: %s\n", a.Name, attrTypeOf(a.Kind).object)
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
		desc(w, "  ", r.Description)
		if r.Cardinality == "one" {
			fmt.Fprintf(w, "  %s: NestedEdged%s!\n", r.Name, r.Peer)
			continue
		}
		args := b.filters(peer, false, true)
		if hierarchy != "" {
			args = append(args, arg{"include_descendants", "Boolean"})
		}
		fmt.Fprintf(w, "  %s%s: NestedPaginated%s!\n", r.Name, argList(args), r.Peer)
	}
	if hierarchy == "" {
		return
	}
	hm, ok := b.set.Model(hierarchy)
	if !ok || !b.known[hierarchy] {
		return
	}
	args := argList(b.filters(hm, false, true))
	fmt.Fprintf(w, "  parent: NestedEdged%s!\n", hierarchy)
	for _, f := range hierarchyFields[1:] {
		fmt.Fprintf(w, "  %s%s: NestedPaginated%s!\n", f, args, hierarchy)
	}
}

type arg struct{ name, typ string }

func argList(args []arg) string {
	if len(args) == 0 {
		return ""
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.name + ": " + a.typ
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// filters returns the arguments Infrahub generates for listing kind m: at the top level (a
// query field) or for a relationship of cardinality many (top false).
func (b *builder) filters(m *schema.Model, top, props bool) []arg {
	out := []arg{{"offset", "Int"}, {"limit", "Int"}, {"order", "OrderInput"}, {"ids", "[ID]"}}
	if !top {
		out = append(out, arg{"isnull", "Boolean"})
	}
	if m.DisplayLabel != nil || len(m.DisplayLabels) > 0 {
		out = append(out, arg{"display_label__value", "String"}, arg{"display_label__values", "[String]"},
			arg{"display_label__isnull", "Boolean"})
	}
	if top && len(m.HumanFriendlyID) > 0 {
		out = append(out, arg{"hfid", "[String]"})
	}
	seen := map[string]bool{}
	for _, a := range m.Attributes {
		if a.State == schema.StateAbsent || seen[a.Name] || a.Name == "display_label" {
			continue
		}
		seen[a.Name] = true
		out = append(out, attrFilters(a.Name, attrTypeOf(a.Kind).filter, props, top)...)
	}
	if !top {
		return out
	}
	out = append(out, attrFilters("any", "String", true, false)...)
	out = append(out, arg{"partial_match", "Boolean"},
		arg{"node_metadata__created_by__id", "ID"}, arg{"node_metadata__created_by__ids", "[ID]"},
		arg{"node_metadata__updated_by__id", "ID"}, arg{"node_metadata__updated_by__ids", "[ID]"},
		arg{"node_metadata__created_at", "DateTime"}, arg{"node_metadata__created_at__before", "DateTime"},
		arg{"node_metadata__created_at__after", "DateTime"}, arg{"node_metadata__updated_at", "DateTime"},
		arg{"node_metadata__updated_at__before", "DateTime"}, arg{"node_metadata__updated_at__after", "DateTime"})
	if m.Kind == ipPrefixGeneric || m.Kind == ipAddressGeneric {
		out = append(out, arg{"include_available", "Boolean"}, arg{"kinds", "[String!]"})
	}
	names := map[string]bool{}
	for _, a := range out {
		names[a.name] = true
	}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent {
			continue
		}
		peer, ok := b.set.Model(r.Peer)
		if !ok || !b.known[r.Peer] {
			continue
		}
		for _, f := range b.filters(peer, false, r.Kind != schema.RelGroup) {
			switch f.name {
			case "offset", "limit", "order":
				continue
			}
			name := r.Name + "__" + f.name
			if !names[name] {
				names[name] = true
				out = append(out, arg{name, f.typ})
			}
		}
	}
	return out
}

func attrFilters(name, scalar string, props, isnull bool) []arg {
	out := []arg{{name + "__value", scalar}, {name + "__values", "[" + scalar + "]"}}
	if isnull {
		out = append(out, arg{name + "__isnull", "Boolean"})
	}
	if props {
		out = append(out, arg{name + "__source__id", "ID"}, arg{name + "__owner__id", "ID"},
			arg{name + "__is_visible", "Boolean"}, arg{name + "__is_protected", "Boolean"})
	}
	return out
}

func (b *builder) queryField(m *schema.Model) {
	fmt.Fprintf(&b.query, "  %s%s: Paginated%s!\n", m.Kind, argList(b.filters(m, true, true)), m.Kind)
}

// input writes <Kind><op>Input (op is Create, Update or Upsert).
func (b *builder) input(m *schema.Model, op string) {
	w := &b.sb
	fmt.Fprintf(w, "\ninput %s%sInput {\n  id: String\n", m.Kind, op)
	seen := map[string]bool{"id": true}
	if op != "Create" {
		w.WriteString("  hfid: [String]\n")
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
		desc(w, "  ", a.Description)
		fmt.Fprintf(w, "  %s: %s%s\n", a.Name, attrTypeOf(a.Kind).input, suffix)
	}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent || r.ReadOnly || seen[r.Name] || !b.known[r.Peer] {
			continue
		}
		seen[r.Name] = true
		t := b.relatedInput(r.Peer)
		if r.Cardinality != "one" {
			t = "[" + t + "]"
		}
		desc(w, "  ", r.Description)
		fmt.Fprintf(w, "  %s: %s\n", r.Name, t)
	}
	w.WriteString("}\n")
}

// relatedInput is the input type of a relationship to peer: IP prefixes and addresses may be
// allocated from their pools.
func (b *builder) relatedInput(peer string) string {
	switch {
	case b.inherits(peer, ipPrefixGeneric):
		return "RelatedIPPrefixNodeInput"
	case b.inherits(peer, ipAddressGeneric):
		return "RelatedIPAddressNodeInput"
	}
	return "RelatedNodeInput"
}

func (b *builder) inherits(kind, generic string) bool {
	if kind == generic {
		return true
	}
	n, ok := b.set.Node(kind)
	return ok && slices.Contains(n.InheritFrom, generic)
}

// desc writes a description block when d is not empty.
func desc(w *strings.Builder, indent string, d *string) {
	if d == nil || strings.TrimSpace(*d) == "" {
		return
	}
	// a quoted string avoids any trouble with triple quotes or backslashes in the text
	fmt.Fprintf(w, "%s%s\n", indent, quote(*d))
}

// quote returns s as a GraphQL string literal.
func quote(s string) string {
	var q strings.Builder
	q.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			q.WriteString(`\"`)
		case r == '\\':
			q.WriteString(`\\`)
		case r == '\n':
			q.WriteString(`\n`)
		case r == '\r':
			q.WriteString(`\r`)
		case r == '\t':
			q.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&q, `\u%04x`, r)
		default:
			q.WriteRune(r)
		}
	}
	q.WriteByte('"')
	return q.String()
}
