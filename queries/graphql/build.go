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
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

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

// builder makes the GraphQL schema of one Infrahub schema. The part that does not depend on the
// kinds (static types, attribute objects, metadata) is SDL, parsed; the types of the kinds are
// made as gqlparser's AST directly (no SDL to write and parse again), sharing every piece that is
// the same across kinds (type references, filter arguments, the fields of edges and pages).
type builder struct {
	set      *schema.Set
	sb       strings.Builder // the SDL of the static and shared part
	nodes    []*schema.Node  // nodes, profiles and templates outside the Internal namespace
	generics []*schema.Generic
	known    map[string]bool // kinds that have GraphQL types

	defs     ast.DefinitionList // the kinds' types, validated by gqlparser
	query    ast.FieldList      // the kinds' root fields, checked by checkRoot
	mutation ast.FieldList

	types    map[string]*ast.Type                     // type references by their SDL
	args     map[[2]string]*ast.ArgumentDefinition    // by name and type
	filters  map[filterKey]ast.ArgumentDefinitionList // filters(m, false, props) of a kind
	attrArgs map[attrFilterKey]ast.ArgumentDefinitionList
	relArgs  map[relFilterKey]ast.ArgumentDefinitionList
	shared   sharedFields
	fixed    fixedArgs

	fieldDefs  map[fieldKey]*ast.FieldDefinition
	prefixed   map[prefixedKey]*ast.ArgumentDefinition
	namedTypes map[namedKey]*ast.Type

	seenAttrs, seenNames, seenFields map[string]bool // scratch sets, emptied for each use
}

type filterKey struct {
	kind  string
	props bool
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

// invalidSchema is a GraphQL schema that gqlparser refuses, with the SDL of the static part (an
// error in a generated definition has no position: its message names the type).
type invalidSchema struct {
	err error
	src string
}

func (e *invalidSchema) Error() string { return e.err.Error() }
func (e *invalidSchema) Unwrap() error { return e.err }

// staticSource names the SDL source; generated definitions have a source named after their type.
const staticSource = "infrahub.graphql"

func buildSchema(set *schema.Set) (*ast.Schema, error) {
	b := newBuilder(set)
	src := b.staticSDL()
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: staticSource, Input: src})
	if err != nil {
		return nil, &invalidSchema{err: err, src: src}
	}
	for _, g := range b.generics {
		b.generic(g)
	}
	for _, n := range b.nodes {
		b.node(n)
	}
	b.availableTypes()
	doc.Definitions = append(doc.Definitions, b.defs...)
	s, verr := validator.ValidateSchemaDocument(doc)
	if verr != nil {
		return nil, &invalidSchema{err: verr, src: src}
	}
	if rerr := b.addRoots(s); rerr != nil {
		return nil, &invalidSchema{err: rerr, src: src}
	}
	return s, nil
}

func newBuilder(set *schema.Set) *builder {
	b := &builder{set: set, known: map[string]bool{},
		types: map[string]*ast.Type{}, args: map[[2]string]*ast.ArgumentDefinition{}, filters: map[filterKey]ast.ArgumentDefinitionList{},
		attrArgs: map[attrFilterKey]ast.ArgumentDefinitionList{}, relArgs: map[relFilterKey]ast.ArgumentDefinitionList{},
		fieldDefs: map[fieldKey]*ast.FieldDefinition{}, namedTypes: map[namedKey]*ast.Type{},
		prefixed: map[prefixedKey]*ast.ArgumentDefinition{}}
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
	b.shared, b.fixed = b.newSharedFields(), b.newFixedArgs()
	return b
}

// staticSDL is the SDL of the part that does not depend on the kinds, root types with their
// static fields included (the kinds' root fields are added after validation: gqlparser checks
// the fields of a type for duplicates pair by pair, and roots have thousands).
func (b *builder) staticSDL() string {
	b.sb.WriteString(staticSDL)
	b.sb.WriteString(staticAPISDL)
	b.sharedSDL()
	if !b.known[coreNode] {
		// Infrahub always has the CoreNode interface, even without the generic
		b.sb.WriteString("\n\"\"\"Interface for all nodes in Infrahub\"\"\"\ninterface CoreNode {\n  id: String\n  hfid: [String!]\n  display_label: String\n}\n")
		fmt.Fprintf(&b.sb, "\ntype Edged%s {\n  node: %s\n  node_metadata: %s\n}\n", coreNode, coreNode, nodeMetadataType)
		fmt.Fprintf(&b.sb, "\ntype Paginated%s {\n  count: Int!\n  edges: [Edged%s!]!\n  permissions: PaginatedObjectPermission!\n}\n", coreNode, coreNode)
	}
	b.sb.WriteString("\ntype Query {\n")
	b.sb.WriteString(staticQueryFields)
	if b.known[genericAccount] {
		b.sb.WriteString("  AccountProfile: " + genericAccount + "\n")
	}
	b.sb.WriteString("}\n\ntype Mutation {\n")
	b.sb.WriteString(staticMutationFields)
	b.sb.WriteString("}\n")
	b.sb.WriteString(subscriptionSDL)
	b.sb.WriteString("\nschema {\n  query: Query\n  mutation: Mutation\n  subscription: Subscription\n}\n")
	return b.sb.String()
}

// addRoots adds the kinds' root fields to the validated Query and Mutation, after the static
// fields (before AccountProfile and the introspection fields), checking them as gqlparser would.
func (b *builder) addRoots(s *ast.Schema) *gqlerror.Error {
	for _, root := range []struct {
		def    *ast.Definition
		fields ast.FieldList
	}{{s.Query, b.query}, {s.Mutation, b.mutation}} {
		if err := checkRoot(s, root.def, root.fields); err != nil {
			return err
		}
		at := len(root.def.Fields)
		for i, f := range root.def.Fields {
			if f.Name == "AccountProfile" || strings.HasPrefix(f.Name, "__") {
				at = i
				break
			}
		}
		out := make(ast.FieldList, 0, len(root.def.Fields)+len(root.fields))
		out = append(append(append(out, root.def.Fields[:at]...), root.fields...), root.def.Fields[at:]...)
		root.def.Fields = out
	}
	return nil
}

// checkRoot checks the fields to be added to a root type as gqlparser's schema validation does,
// in linear time: names unique and not reserved, types defined and of the right kind, arguments
// unique and of input types.
func checkRoot(s *ast.Schema, root *ast.Definition, fields ast.FieldList) *gqlerror.Error {
	names := make(map[string]bool, len(root.Fields)+len(fields))
	seen := map[string]bool{}
	for _, f := range root.Fields {
		names[f.Name] = true
	}
	for _, f := range fields {
		if names[f.Name] {
			return gqlerror.ErrorPosf(f.Position, "Field %s.%s can only be defined once.", root.Name, f.Name)
		}
		names[f.Name] = true
		if strings.HasPrefix(f.Name, "__") {
			return gqlerror.ErrorPosf(f.Position, `Name "%s" must not begin with "__", which is reserved by GraphQL introspection.`, f.Name)
		}
		if t := s.Types[f.Type.Name()]; t == nil || t.Kind == ast.InputObject {
			return gqlerror.ErrorPosf(f.Position, "Field %s.%s: undefined type %s.", root.Name, f.Name, f.Type.Name())
		}
		clear(seen)
		for _, a := range f.Arguments {
			if seen[a.Name] {
				return gqlerror.ErrorPosf(f.Position, "Argument %s.%s(%s:) can only be defined once.", root.Name, f.Name, a.Name)
			}
			seen[a.Name] = true
			t := s.Types[a.Type.Name()]
			if t == nil {
				return gqlerror.ErrorPosf(f.Position, "Argument %s.%s(%s:): undefined type %s.", root.Name, f.Name, a.Name, a.Type.Name())
			}
			if !t.IsInputType() {
				return gqlerror.ErrorPosf(f.Position, "Argument %s.%s(%s:): %s is not a valid input type",
					root.Name, f.Name, a.Name, a.Type.String())
			}
		}
	}
	return nil
}

// ref returns kind when it has a GraphQL type, else fallback.
func (b *builder) ref(kind, fallback string) string {
	if b.known[kind] {
		return kind
	}
	return fallback
}

// sharedSDL writes the types that reference generated kinds: attribute objects (source, owner,
// updated_by), relationship properties and metadata.
func (b *builder) sharedSDL() {
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
