package schema

import (
	"slices"
	"strings"
)

// InternalNamespace holds the kinds Infrahub keeps out of GET /api/schema (API and refresh
// tokens): they are served by kind only.
const InternalNamespace = "Internal"

// API is the answer of GET /api/schema in Infrahub's shape (SchemaReadAPI in
// backend/infrahub/api/schema.py). Every list is a list, never null: the Python SDK and the web
// UI iterate them.
type API struct {
	Main       string       `json:"main"`
	Nodes      []APINode    `json:"nodes"`
	Generics   []APIGeneric `json:"generics"`
	Profiles   []APINode    `json:"profiles"`
	Templates  []APINode    `json:"templates"`
	Namespaces []Namespace  `json:"namespaces"`
}

// Namespace is one entry of API.Namespaces.
type Namespace struct {
	Name         string `json:"name"`
	UserEditable bool   `json:"user_editable"`
}

// APINode is a node, a profile or a template as GET /api/schema answers it: the resolved node
// with the fields Infrahub's read models require given a value of their type (lists that are
// lists, booleans that are booleans, enumerations that hold one of their values).
type APINode struct {
	*Node
	apiModel
	InheritFrom []string `json:"inherit_from"`
}

// APIGeneric is a generic as GET /api/schema answers it (see APINode).
type APIGeneric struct {
	*Generic
	apiModel
	UsedBy []string `json:"used_by"`
}

// apiModel holds the model fields APINode and APIGeneric answer in place of the resolved ones.
type apiModel struct {
	State            string            `json:"state"`
	Branch           string            `json:"branch"`
	GenerateProfile  bool              `json:"generate_profile"`
	GenerateTemplate bool              `json:"generate_template"`
	Attributes       []APIAttribute    `json:"attributes"`
	Relationships    []APIRelationship `json:"relationships"`
}

// APIAttribute is an attribute as GET /api/schema answers it (AttributeSchemaAPI in the SDK).
type APIAttribute struct {
	*Attribute
	State         string  `json:"state"`
	Branch        *string `json:"branch"` // null: the node's
	AllowOverride string  `json:"allow_override"`
}

// APIRelationship is a relationship as GET /api/schema answers it (RelationshipSchemaAPI in
// the SDK).
type APIRelationship struct {
	*Relationship
	State         string  `json:"state"`
	Kind          string  `json:"kind"`
	Cardinality   string  `json:"cardinality"`
	Optional      bool    `json:"optional"`
	Branch        *string `json:"branch"`
	Direction     string  `json:"direction"`
	OnDelete      *string `json:"on_delete"`
	AllowOverride string  `json:"allow_override"`
}

// API returns the set in the shape of Infrahub's GET /api/schema answer. Given namespaces, only
// the kinds of those namespaces are listed, as Infrahub's namespaces parameter does; main (the
// hash) and namespaces describe the whole set either way. Kinds of the Internal namespace are
// never listed.
func (s *Set) API(namespaces ...string) API {
	keep := func(m *Model) bool {
		return m.Namespace != InternalNamespace && (len(namespaces) == 0 || slices.Contains(namespaces, m.Namespace))
	}
	a := API{Main: s.Hash(), Nodes: []APINode{}, Generics: []APIGeneric{}, Profiles: []APINode{},
		Templates: []APINode{}, Namespaces: []Namespace{}}
	for _, list := range []struct {
		from []*Node
		to   *[]APINode
	}{{s.Nodes(), &a.Nodes}, {s.Profiles(), &a.Profiles}, {s.Templates(), &a.Templates}} {
		for _, n := range list.from {
			if keep(&n.Model) {
				*list.to = append(*list.to, apiNode(n))
			}
		}
	}
	for _, g := range s.Generics() {
		if keep(&g.Model) {
			a.Generics = append(a.Generics, apiGeneric(g))
		}
	}
	for _, ns := range s.Namespaces() {
		a.Namespaces = append(a.Namespaces, Namespace{Name: ns, UserEditable: profileAllowed(ns)})
	}
	return a
}

// APIKind returns one kind as GET /api/schema/{kind} answers it: an APINode for a node, profile
// or template, an APIGeneric for a generic (Internal kinds too).
func (s *Set) APIKind(kind string) (any, bool) {
	if n, ok := s.Node(kind); ok {
		return apiNode(n), true
	}
	if g, ok := s.generics[kind]; ok {
		return apiGeneric(g), true
	}
	return nil, false
}

// Summary is the answer of GET /api/schema/summary (SchemaBranchHash in Infrahub): the hash of
// the whole set and of each node and generic, so that a client refetches only what changed.
type Summary struct {
	Main     string            `json:"main"`
	Nodes    map[string]string `json:"nodes"`
	Generics map[string]string `json:"generics"`
}

// Summary returns the hashes of the set, its nodes and its generics.
func (s *Set) Summary() Summary {
	out := Summary{Main: s.Hash(), Nodes: map[string]string{}, Generics: map[string]string{}}
	for k, n := range s.nodes {
		out.Nodes[k] = n.Hash
	}
	for k, g := range s.generics {
		out.Generics[k] = g.Hash
	}
	return out
}

func apiNode(n *Node) APINode {
	return APINode{Node: n, apiModel: apiModelOf(&n.Model), InheritFrom: nonNil(n.InheritFrom)}
}

func apiGeneric(g *Generic) APIGeneric {
	return APIGeneric{Generic: g, apiModel: apiModelOf(&g.Model), UsedBy: nonNil(g.UsedBy)}
}

func apiModelOf(m *Model) apiModel {
	out := apiModel{State: or(m.State, StatePresent), Branch: or(m.Branch, BranchAware),
		GenerateProfile:  m.GenerateProfile == nil || *m.GenerateProfile,
		GenerateTemplate: m.GenerateTemplate != nil && *m.GenerateTemplate,
		Attributes:       make([]APIAttribute, 0, len(m.Attributes)),
		Relationships:    make([]APIRelationship, 0, len(m.Relationships))}
	for _, a := range m.Attributes {
		out.Attributes = append(out.Attributes, APIAttribute{Attribute: a, State: or(a.State, StatePresent),
			Branch: orNull(a.Branch), AllowOverride: or(a.AllowOverride, "any")})
	}
	for _, r := range m.Relationships {
		if internalKind(r.Peer) { // as Infrahub: a relationship to an Internal kind is not listed with it
			continue
		}
		out.Relationships = append(out.Relationships, APIRelationship{Relationship: r,
			State: or(r.State, StatePresent), Kind: or(r.Kind, RelGeneric), Cardinality: or(r.Cardinality, "many"),
			Optional: r.IsOptional(), Branch: orNull(r.Branch), Direction: or(r.Direction, "bidirectional"),
			OnDelete: orNull(r.OnDelete), AllowOverride: or(r.AllowOverride, "any")})
	}
	return out
}

// internalKind says whether kind is of the Internal namespace (namespaces are one capitalised
// word, so the name starts at the next capital).
func internalKind(kind string) bool {
	rest, ok := strings.CutPrefix(kind, InternalNamespace)
	return ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z'
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orNull(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
