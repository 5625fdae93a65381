package rest_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The read models of Infrahub's Python SDK (opsmill/infrahub-sdk-python), which parses
// GET /api/schema with pydantic v2 before any node operation (InfrahubSchema._fetch in
// infrahub_sdk/schema/__init__.py: NodeSchemaAPI(**node) for each of data.get("nodes", []),
// GenericSchemaAPI, ProfileSchemaAPI and TemplateSchemaAPI likewise). The SDK's classes are in
// infrahub_sdk/schema/main.py and inherit their fields from infrahub_sdk/schema/generated/read.py
// (GeneratedBaseNodeSchema / BaseNodeSchemaRead and its node, generic, attribute and
// relationship models). Each field below has the SDK's type and requiredness, through three
// wrappers that decode strictly:
//
//	req[T]     `x: T` with no default: present, not null
//	def[T]     `x: T = default` or Field(default_factory=...): may be absent, never null
//	*T         `x: T | None = None`: absent, null or a T
//
// Values of the wrong JSON type fail to decode; check() adds the enumerations (Literal[...]),
// patterns and lengths of the generated models.

// req is a field the model requires.
type req[T any] struct {
	V   T
	set bool
}

func (f *req[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return fmt.Errorf("null where the model requires a %T", f.V)
	}
	f.set = true
	return json.Unmarshal(b, &f.V)
}

// def is a field with a default: pydantic rejects null for it.
type def[T any] struct{ V T }

func (f *def[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return fmt.Errorf("null where the model wants a %T (it has a default, not None)", f.V)
	}
	return json.Unmarshal(b, &f.V)
}

// sdkSchemaRoot is SchemaRootAPI (infrahub_sdk/schema/main.py) with the namespaces of
// Infrahub's SchemaReadAPI, which the web UI reads (SchemaNamespace: name, user_editable).
type sdkSchemaRoot struct {
	Main       *string             `json:"main"`
	Nodes      def[[]sdkNode]      `json:"nodes"`
	Generics   def[[]sdkGeneric]   `json:"generics"`
	Profiles   def[[]sdkProfile]   `json:"profiles"`
	Templates  def[[]sdkProfile]   `json:"templates"`
	Namespaces def[[]sdkNamespace] `json:"namespaces"`
}

type sdkNamespace struct {
	Name         req[string] `json:"name"`
	UserEditable req[bool]   `json:"user_editable"`
}

// sdkBase is GeneratedBaseNodeSchema / BaseNodeSchemaRead (generated/read.py) with hash and
// kind, which the SDK's *SchemaAPI models add (main.py) and index the schema by.
type sdkBase struct {
	ID                    *string           `json:"id"`
	Name                  req[string]       `json:"name"`
	Namespace             req[string]       `json:"namespace"`
	Description           *string           `json:"description"`
	Label                 *string           `json:"label"`
	Branch                def[string]       `json:"branch"`
	DefaultFilter         *string           `json:"default_filter"`
	HumanFriendlyID       *[]string         `json:"human_friendly_id"`
	DisplayLabel          *string           `json:"display_label"`
	DisplayLabels         *[]string         `json:"display_labels"`
	IncludeInMenu         *bool             `json:"include_in_menu"`
	MenuPlacement         *string           `json:"menu_placement"`
	Icon                  *string           `json:"icon"`
	OrderBy               *[]string         `json:"order_by"`
	UniquenessConstraints *[][]string       `json:"uniqueness_constraints"`
	Documentation         *string           `json:"documentation"`
	State                 def[string]       `json:"state"`
	Attributes            def[[]sdkAttr]    `json:"attributes"`
	Relationships         def[[]sdkRelship] `json:"relationships"`
	Hash                  *string           `json:"hash"`
	Kind                  *string           `json:"kind"`
}

// sdkNode is NodeSchemaAPI (main.py) = GeneratedNodeSchema (generated/read.py).
type sdkNode struct {
	sdkBase
	InheritFrom      def[[]string] `json:"inherit_from"`
	GenerateProfile  def[bool]     `json:"generate_profile"`
	GenerateTemplate def[bool]     `json:"generate_template"`
	Hierarchy        *string       `json:"hierarchy"`
	Parent           *string       `json:"parent"`
	Children         *string       `json:"children"`
}

// sdkGeneric is GenericSchemaAPI (main.py) = GeneratedGenericSchema (generated/read.py), with
// generate_template of Infrahub's APIGenericSchema.
type sdkGeneric struct {
	sdkBase
	Hierarchical         def[bool]     `json:"hierarchical"`
	GenerateProfile      def[bool]     `json:"generate_profile"`
	GenerateTemplate     def[bool]     `json:"generate_template"`
	UsedBy               def[[]string] `json:"used_by"`
	RestrictedNamespaces *[]string     `json:"restricted_namespaces"`
}

// sdkProfile is ProfileSchemaAPI and TemplateSchemaAPI (main.py): the base and inherit_from.
type sdkProfile struct {
	sdkBase
	InheritFrom def[[]string] `json:"inherit_from"`
}

// sdkAttr is AttributeSchemaAPI (main.py) = GeneratedAttributeSchema (generated/read.py).
type sdkAttr struct {
	ID                *string           `json:"id"`
	Name              req[string]       `json:"name"`
	Kind              req[string]       `json:"kind"`
	Enum              *[]any            `json:"enum"`
	ComputedAttribute *map[string]any   `json:"computed_attribute"`
	Choices           *[]map[string]any `json:"choices"`
	Regex             *string           `json:"regex"`
	MaxLength         *int              `json:"max_length"`
	MinLength         *int              `json:"min_length"`
	Label             *string           `json:"label"`
	Description       *string           `json:"description"`
	ReadOnly          def[bool]         `json:"read_only"`
	Unique            def[bool]         `json:"unique"`
	Optional          def[bool]         `json:"optional"`
	Branch            *string           `json:"branch"`
	OrderWeight       *int              `json:"order_weight"`
	DefaultValue      any               `json:"default_value"`
	Inherited         def[bool]         `json:"inherited"`
	State             def[string]       `json:"state"`
	AllowOverride     def[string]       `json:"allow_override"`
	Parameters        *map[string]any   `json:"parameters"`
	Deprecation       *string           `json:"deprecation"`
	Display           def[string]       `json:"display"`
}

// sdkRelship is RelationshipSchemaAPI (main.py) = GeneratedRelationshipSchema
// (generated/read.py).
type sdkRelship struct {
	ID              *string     `json:"id"`
	Name            req[string] `json:"name"`
	Peer            req[string] `json:"peer"`
	Kind            def[string] `json:"kind"`
	Label           *string     `json:"label"`
	Description     *string     `json:"description"`
	Identifier      *string     `json:"identifier"`
	Cardinality     def[string] `json:"cardinality"`
	MinCount        def[int]    `json:"min_count"`
	MaxCount        def[int]    `json:"max_count"`
	CommonParent    *string     `json:"common_parent"`
	CommonRelatives *[]string   `json:"common_relatives"`
	OrderWeight     *int        `json:"order_weight"`
	Optional        def[bool]   `json:"optional"`
	Branch          *string     `json:"branch"`
	Inherited       def[bool]   `json:"inherited"`
	Direction       def[string] `json:"direction"`
	Hierarchical    *string     `json:"hierarchical"`
	State           def[string] `json:"state"`
	OnDelete        *string     `json:"on_delete"`
	AllowOverride   def[string] `json:"allow_override"`
	ReadOnly        def[bool]   `json:"read_only"`
	Deprecation     *string     `json:"deprecation"`
	Display         def[string] `json:"display"`
}

// The Literal[...] enumerations of generated/read.py.
var (
	attributeKinds = []string{"ID", "Dropdown", "Text", "TextArea", "DateTime", "Email", "Password", "HashedPassword",
		"URL", "File", "MacAddress", "Color", "Number", "NumberPool", "Bandwidth", "IPHost", "IPNetwork", "Boolean",
		"Checkbox", "List", "JSON", "Any"}
	relationshipKinds = []string{"Generic", "Attribute", "Component", "Parent", "Group", "Hierarchy", "Profile", "Template"}
	branchSupport     = []string{"aware", "agnostic", "local"}
	states            = []string{"present", "absent"}
	overrides         = []string{"none", "any"}
	displays          = []string{"default", "extra"}
	cardinalities     = []string{"one", "many"}
	directions        = []string{"bidirectional", "outbound", "inbound"}
	deleteBehaviors   = []string{"no-action", "cascade"}

	fieldName  = regexp.MustCompile(`^[a-z0-9_]+$`)
	kindName   = regexp.MustCompile(`^[A-Z][a-zA-Z0-9]+$`)
	namespace  = regexp.MustCompile(`^[A-Z][a-z0-9]+$`)
	filterName = regexp.MustCompile(`^[a-z0-9_]*$`)
)

// checker collects what does not fit the models, each under its path.
type checker struct{ problems []string }

func (c *checker) addf(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func (c *checker) required(path string, set bool) {
	if !set {
		c.addf(path, "missing (the model requires it)")
	}
}

func (c *checker) oneOf(path, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		c.addf(path, "%q is not one of %v", v, allowed)
	}
}

func (c *checker) optOneOf(path string, v *string, allowed []string) {
	if v != nil {
		c.oneOf(path, *v, allowed)
	}
}

func (c *checker) text(path, v string, re *regexp.Regexp, minLen, maxLen int) {
	if re != nil && !re.MatchString(v) {
		c.addf(path, "%q does not match %s", v, re)
	}
	if len(v) < minLen || (maxLen > 0 && len(v) > maxLen) {
		c.addf(path, "%q is not %d to %d characters long", v, minLen, maxLen)
	}
}

func (c *checker) optText(path string, v *string, re *regexp.Regexp, maxLen int) {
	if v != nil {
		c.text(path, *v, re, 0, maxLen)
	}
}

func (c *checker) base(path string, b sdkBase) {
	c.required(path+".name", b.Name.set)
	c.required(path+".namespace", b.Namespace.set)
	c.text(path+".name", b.Name.V, kindName, 2, 32)
	c.text(path+".namespace", b.Namespace.V, namespace, 3, 64)
	c.optText(path+".description", b.Description, nil, 128)
	c.optText(path+".label", b.Label, nil, 64)
	c.optText(path+".default_filter", b.DefaultFilter, filterName, 0)
	if b.Branch.V != "" {
		c.oneOf(path+".branch", b.Branch.V, branchSupport)
	}
	if b.State.V != "" {
		c.oneOf(path+".state", b.State.V, states)
	}
	if b.Kind == nil || *b.Kind != b.Namespace.V+b.Name.V {
		c.addf(path+".kind", "%v is not namespace+name %q", b.Kind, b.Namespace.V+b.Name.V)
	}
	for i, a := range b.Attributes.V {
		c.attribute(fmt.Sprintf("%s.attributes[%d]", path, i), a)
	}
	for i, r := range b.Relationships.V {
		c.relationship(fmt.Sprintf("%s.relationships[%d]", path, i), r)
	}
}

func (c *checker) attribute(path string, a sdkAttr) {
	c.required(path+".name", a.Name.set)
	c.required(path+".kind", a.Kind.set)
	c.text(path+".name", a.Name.V, fieldName, 3, 64)
	c.oneOf(path+".kind", a.Kind.V, attributeKinds)
	c.optText(path+".label", a.Label, nil, 64)
	c.optText(path+".description", a.Description, nil, 128)
	c.optText(path+".deprecation", a.Deprecation, nil, 128)
	c.optOneOf(path+".branch", a.Branch, branchSupport)
	for name, v := range map[string]struct {
		v       string
		allowed []string
	}{"state": {a.State.V, states}, "allow_override": {a.AllowOverride.V, overrides}, "display": {a.Display.V, displays}} {
		if v.v != "" {
			c.oneOf(path+"."+name, v.v, v.allowed)
		}
	}
	if a.Enum != nil { // list[str | int] in main.py's AttributeSchema
		for _, e := range *a.Enum {
			switch e.(type) {
			case string, float64:
			default:
				c.addf(path+".enum", "%v is neither a string nor a number", e)
			}
		}
	}
}

func (c *checker) relationship(path string, r sdkRelship) {
	c.required(path+".name", r.Name.set)
	c.required(path+".peer", r.Peer.set)
	c.text(path+".name", r.Name.V, fieldName, 3, 64)
	c.text(path+".peer", r.Peer.V, kindName, 0, 0)
	c.optText(path+".label", r.Label, nil, 64)
	c.optText(path+".description", r.Description, nil, 128)
	c.optText(path+".identifier", r.Identifier, fieldName, 128)
	c.optText(path+".deprecation", r.Deprecation, nil, 128)
	c.optOneOf(path+".branch", r.Branch, branchSupport)
	c.optOneOf(path+".on_delete", r.OnDelete, deleteBehaviors)
	for name, v := range map[string]struct {
		v       string
		allowed []string
	}{"kind": {r.Kind.V, relationshipKinds}, "cardinality": {r.Cardinality.V, cardinalities},
		"direction": {r.Direction.V, directions}, "state": {r.State.V, states},
		"allow_override": {r.AllowOverride.V, overrides}, "display": {r.Display.V, displays}} {
		if v.v != "" {
			c.oneOf(path+"."+name, v.v, v.allowed)
		}
	}
}

// validateSchemaAnswer decodes a GET /api/schema answer as the SDK's models and returns every
// misfit. The lists must be there: the SDK iterates them and the UI reads them.
func validateSchemaAnswer(body []byte) (sdkSchemaRoot, []string) {
	var root sdkSchemaRoot
	if err := json.Unmarshal(body, &root); err != nil {
		return root, []string{"decode: " + err.Error()}
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(body, &raw)
	c := &checker{}
	for _, k := range []string{"main", "nodes", "generics", "profiles", "templates", "namespaces"} {
		if _, ok := raw[k]; !ok {
			c.addf(k, "missing")
		}
	}
	for i, ns := range root.Namespaces.V {
		c.required(fmt.Sprintf("namespaces[%d].name", i), ns.Name.set)
		c.required(fmt.Sprintf("namespaces[%d].user_editable", i), ns.UserEditable.set)
	}
	c.models(root)
	return root, c.problems
}

// validateKindAnswer decodes a GET /api/schema/{kind} answer as the SDK's model of section
// ("nodes", "generics", "profiles" or "templates").
func validateKindAnswer(section string, body []byte) []string {
	var root sdkSchemaRoot
	var err error
	switch section {
	case "nodes":
		root.Nodes.V = make([]sdkNode, 1)
		err = json.Unmarshal(body, &root.Nodes.V[0])
	case "generics":
		root.Generics.V = make([]sdkGeneric, 1)
		err = json.Unmarshal(body, &root.Generics.V[0])
	default:
		root.Profiles.V = make([]sdkProfile, 1)
		err = json.Unmarshal(body, &root.Profiles.V[0])
	}
	if err != nil {
		return []string{"decode: " + err.Error()}
	}
	c := &checker{}
	c.models(root)
	return c.problems
}

func (c *checker) models(root sdkSchemaRoot) {
	for i, n := range root.Nodes.V {
		c.base(fmt.Sprintf("nodes[%d]", i), n.sdkBase)
	}
	for i, g := range root.Generics.V {
		c.base(fmt.Sprintf("generics[%d]", i), g.sdkBase)
	}
	for i, p := range root.Profiles.V {
		c.base(fmt.Sprintf("profiles[%d]", i), p.sdkBase)
	}
	for i, p := range root.Templates.V {
		c.base(fmt.Sprintf("templates[%d]", i), p.sdkBase)
	}
}

// kindsOf lists the kinds of an answer by section.
func kindsOf(root sdkSchemaRoot) map[string]string {
	out := map[string]string{}
	add := func(section string, b sdkBase) { out[b.Namespace.V+b.Name.V] = section }
	for _, n := range root.Nodes.V {
		add("nodes", n.sdkBase)
	}
	for _, g := range root.Generics.V {
		add("generics", g.sdkBase)
	}
	for _, p := range root.Profiles.V {
		add("profiles", p.sdkBase)
	}
	for _, p := range root.Templates.V {
		add("templates", p.sdkBase)
	}
	return out
}

// firstProblems shortens a list of problems for a failure message.
func firstProblems(ps []string) string {
	if len(ps) > 20 {
		return strings.Join(ps[:20], "\n") + fmt.Sprintf("\n... and %d more", len(ps)-20)
	}
	return strings.Join(ps, "\n")
}
