// Package schema implements the Infrahub schema language: parsing of schema files (YAML or JSON),
// validation, resolution of generics, extensions, hierarchies, profiles and templates, and a stable
// hash and diff of resolved schemas.
package schema

// Branch support values.
const (
	BranchAware    = "aware"
	BranchAgnostic = "agnostic"
	BranchLocal    = "local"
)

// Element states.
const (
	StatePresent = "present"
	StateAbsent  = "absent"
)

// Relationship kinds.
const (
	RelGeneric   = "Generic"
	RelAttribute = "Attribute"
	RelComponent = "Component"
	RelParent    = "Parent"
	RelGroup     = "Group"
	RelHierarchy = "Hierarchy"
	RelProfile   = "Profile"
	RelTemplate  = "Template"
)

// File is one parsed schema file.
type File struct {
	Name       string      `yaml:"-" json:"-"`
	Version    string      `yaml:"version" json:"version"`
	Generics   []*Generic  `yaml:"generics" json:"generics,omitempty"`
	Nodes      []*Node     `yaml:"nodes" json:"nodes,omitempty"`
	Extensions *Extensions `yaml:"extensions" json:"extensions,omitempty"`
}

// Extensions adds attributes and relationships to existing kinds.
type Extensions struct {
	Nodes []*NodeExtension `yaml:"nodes" json:"nodes,omitempty"`
}

// NodeExtension is one entry of extensions.nodes.
type NodeExtension struct {
	Kind          string          `yaml:"kind" json:"kind"`
	Attributes    []*Attribute    `yaml:"attributes" json:"attributes,omitempty"`
	Relationships []*Relationship `yaml:"relationships" json:"relationships,omitempty"`
	Pos           Pos             `yaml:"-" json:"-"`
}

// Pos is where an element was declared.
type Pos struct {
	File string
	Line int
}

// Model holds the properties shared by nodes and generics.
type Model struct {
	ID                    string          `yaml:"id" json:"id"`
	State                 string          `yaml:"state" json:"state"`
	Name                  string          `yaml:"name" json:"name"`
	Namespace             string          `yaml:"namespace" json:"namespace"`
	Description           *string         `yaml:"description" json:"description"`
	Label                 string          `yaml:"label" json:"label"`
	Branch                string          `yaml:"branch" json:"branch"`
	DefaultFilter         *string         `yaml:"default_filter" json:"default_filter"`
	HumanFriendlyID       []string        `yaml:"human_friendly_id" json:"human_friendly_id"`
	DisplayLabel          *string         `yaml:"display_label" json:"display_label"`
	DisplayLabels         []string        `yaml:"display_labels" json:"display_labels"`
	IncludeInMenu         *bool           `yaml:"include_in_menu" json:"include_in_menu"`
	MenuPlacement         *string         `yaml:"menu_placement" json:"menu_placement"`
	Icon                  *string         `yaml:"icon" json:"icon"`
	OrderBy               []string        `yaml:"order_by" json:"order_by"`
	UniquenessConstraints [][]string      `yaml:"uniqueness_constraints" json:"uniqueness_constraints"`
	Documentation         *string         `yaml:"documentation" json:"documentation"`
	GenerateProfile       *bool           `yaml:"generate_profile" json:"generate_profile"`
	GenerateTemplate      *bool           `yaml:"generate_template" json:"generate_template"`
	Attributes            []*Attribute    `yaml:"attributes" json:"attributes"`
	Relationships         []*Relationship `yaml:"relationships" json:"relationships"`
	Kind                  string          `yaml:"-" json:"kind"`
	Hash                  string          `yaml:"-" json:"hash"`
	Pos                   Pos             `yaml:"-" json:"-"`
}

// Node is a concrete model.
type Node struct {
	Model       `yaml:",inline"`
	InheritFrom []string `yaml:"inherit_from" json:"inherit_from"`
	Hierarchy   *string  `yaml:"-" json:"hierarchy"`
	Parent      *string  `yaml:"parent" json:"parent"`
	Children    *string  `yaml:"children" json:"children"`
}

// Generic is an abstract model that nodes inherit from.
type Generic struct {
	Model                `yaml:",inline"`
	Hierarchical         bool     `yaml:"hierarchical" json:"hierarchical"`
	RestrictedNamespaces []string `yaml:"restricted_namespaces" json:"restricted_namespaces"`
	UsedBy               []string `yaml:"-" json:"used_by"`
}

// Choice is one value of a Dropdown attribute.
type Choice struct {
	ID          *string `yaml:"id" json:"id"`
	State       string  `yaml:"state" json:"state"`
	Name        string  `yaml:"name" json:"name"`
	Description *string `yaml:"description" json:"description"`
	Color       *string `yaml:"color" json:"color"`
	Label       *string `yaml:"label" json:"label"`
}

// Parameters are the kind-specific constraints of an attribute.
type Parameters struct {
	Regex          *string `yaml:"regex" json:"regex,omitempty"`
	MinLength      *int    `yaml:"min_length" json:"min_length,omitempty"`
	MaxLength      *int    `yaml:"max_length" json:"max_length,omitempty"`
	MinValue       *int64  `yaml:"min_value" json:"min_value,omitempty"`
	MaxValue       *int64  `yaml:"max_value" json:"max_value,omitempty"`
	ExcludedValues *string `yaml:"excluded_values" json:"excluded_values,omitempty"`
	StartRange     *int64  `yaml:"start_range" json:"start_range,omitempty"`
	EndRange       *int64  `yaml:"end_range" json:"end_range,omitempty"`
}

// ComputedAttribute describes how an attribute's value is computed.
type ComputedAttribute struct {
	Kind           string  `yaml:"kind" json:"kind"`
	Jinja2Template *string `yaml:"jinja2_template" json:"jinja2_template,omitempty"`
	Transform      *string `yaml:"transform" json:"transform,omitempty"`
}

// Attribute is a value held by a node.
type Attribute struct {
	ID                string             `yaml:"id" json:"id"`
	State             string             `yaml:"state" json:"state"`
	Name              string             `yaml:"name" json:"name"`
	Kind              string             `yaml:"kind" json:"kind"`
	Enum              []any              `yaml:"enum" json:"enum"`
	ComputedAttribute *ComputedAttribute `yaml:"computed_attribute" json:"computed_attribute"`
	Choices           []*Choice          `yaml:"choices" json:"choices"`
	Regex             *string            `yaml:"regex" json:"regex"`
	MaxLength         *int               `yaml:"max_length" json:"max_length"`
	MinLength         *int               `yaml:"min_length" json:"min_length"`
	Label             string             `yaml:"label" json:"label"`
	Description       *string            `yaml:"description" json:"description"`
	ReadOnly          bool               `yaml:"read_only" json:"read_only"`
	Unique            bool               `yaml:"unique" json:"unique"`
	Optional          bool               `yaml:"optional" json:"optional"`
	Branch            string             `yaml:"branch" json:"branch"`
	OrderWeight       *int               `yaml:"order_weight" json:"order_weight"`
	DefaultValue      any                `yaml:"default_value" json:"default_value"`
	Inherited         bool               `yaml:"-" json:"inherited"`
	AllowOverride     string             `yaml:"allow_override" json:"allow_override"`
	Deprecation       *string            `yaml:"deprecation" json:"deprecation"`
	Parameters        *Parameters        `yaml:"parameters" json:"parameters,omitempty"`
	Display           *string            `yaml:"display" json:"display,omitempty"`
	Ordered           *bool              `yaml:"ordered" json:"ordered,omitempty"`
	Pos               Pos                `yaml:"-" json:"-"`
}

// Relationship links a node to peers of another kind.
type Relationship struct {
	ID              string   `yaml:"id" json:"id"`
	State           string   `yaml:"state" json:"state"`
	Name            string   `yaml:"name" json:"name"`
	Peer            string   `yaml:"peer" json:"peer"`
	Kind            string   `yaml:"kind" json:"kind"`
	Label           string   `yaml:"label" json:"label"`
	Description     *string  `yaml:"description" json:"description"`
	Identifier      string   `yaml:"identifier" json:"identifier"`
	Cardinality     string   `yaml:"cardinality" json:"cardinality"`
	MinCount        int      `yaml:"min_count" json:"min_count"`
	MaxCount        int      `yaml:"max_count" json:"max_count"`
	OrderWeight     *int     `yaml:"order_weight" json:"order_weight"`
	Optional        *bool    `yaml:"optional" json:"optional"`
	Branch          string   `yaml:"branch" json:"branch"`
	Inherited       bool     `yaml:"-" json:"inherited"`
	Direction       string   `yaml:"direction" json:"direction"`
	Hierarchical    *string  `yaml:"hierarchical" json:"hierarchical"`
	OnDelete        string   `yaml:"on_delete" json:"on_delete"`
	AllowOverride   string   `yaml:"allow_override" json:"allow_override"`
	ReadOnly        bool     `yaml:"read_only" json:"read_only"`
	Deprecation     *string  `yaml:"deprecation" json:"deprecation"`
	CommonParent    *string  `yaml:"common_parent" json:"common_parent,omitempty"`
	CommonRelatives []string `yaml:"common_relatives" json:"common_relatives,omitempty"`
	Display         *string  `yaml:"display" json:"display,omitempty"`
	Pos             Pos      `yaml:"-" json:"-"`
}

// IsOptional reports the relationship's optionality (true when not given).
func (r *Relationship) IsOptional() bool { return r.Optional == nil || *r.Optional }
