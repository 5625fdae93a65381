// Package repository reads Infrahub Git repositories: the .infrahub.yml file that says what a
// repository holds (schemas, GraphQL queries, object files, menus, Jinja2 and Python transforms,
// artifact, check and generator definitions), and local mirrors of remote repositories kept with
// go-git (clone, fetch, the files of a commit, branches, push).
package repository

import (
	"github.com/infrahub-go/infrahub/redact"
)

// ConfigFile is the name of a repository's configuration file, at its root (".infrahub.yaml"
// is accepted when it is absent).
const ConfigFile = ".infrahub.yml"

// Config is a repository's .infrahub.yml. Paths are '/'-separated and relative to the
// repository's root. Line numbers (the Line fields) are where each entry starts in the file, for
// messages.
type Config struct {
	Schemas              []Path                `json:"schemas,omitempty"`
	Queries              []Query               `json:"queries,omitempty"`
	Objects              []Path                `json:"objects,omitempty"`
	Menus                []Path                `json:"menus,omitempty"`
	Jinja2Transforms     []Jinja2Transform     `json:"jinja2_transforms,omitempty"`
	PythonTransforms     []PythonTransform     `json:"python_transforms,omitempty"`
	ArtifactDefinitions  []ArtifactDefinition  `json:"artifact_definitions,omitempty"`
	CheckDefinitions     []CheckDefinition     `json:"check_definitions,omitempty"`
	GeneratorDefinitions []GeneratorDefinition `json:"generator_definitions,omitempty"`
	GraphQLFragments     []Query               `json:"graphql_fragments,omitempty"`

	File string `json:"-"` // the file it was read from (ConfigFile or ".infrahub.yaml"), for messages
}

// Path is a file or folder named by the configuration.
type Path struct {
	Path string `json:"path"`
	Line int    `json:"-"`
}

// Query is an entry of queries (a GraphQL query in a .gql file).
type Query struct {
	Name     string `json:"name"`
	FilePath string `json:"file_path"`
	Line     int    `json:"-"`
}

// Jinja2Transform is an entry of jinja2_transforms.
type Jinja2Transform struct {
	Name         string `json:"name"`
	Query        string `json:"query"`
	TemplatePath string `json:"template_path"`
	Description  string `json:"description,omitempty"`
	Line         int    `json:"-"`
}

// PythonTransform is an entry of python_transforms: recorded, never run (no Python runtime).
type PythonTransform struct {
	Name                 string `json:"name"`
	FilePath             string `json:"file_path"`
	ClassName            string `json:"class_name"` // default "Transform"
	ConvertQueryResponse bool   `json:"convert_query_response,omitempty"`
	Description          string `json:"description,omitempty"`
	Line                 int    `json:"-"`
}

// ArtifactDefinition is an entry of artifact_definitions. Parameters map a query variable to
// the path of a target's value that fills it ("name__value").
type ArtifactDefinition struct {
	Name           string            `json:"name"`
	ArtifactName   string            `json:"artifact_name,omitempty"` // default Name
	Parameters     map[string]string `json:"parameters,omitempty"`
	ContentType    string            `json:"content_type"`
	Targets        string            `json:"targets"` // a CoreStandardGroup's name
	Transformation string            `json:"transformation"`
	Line           int               `json:"-"`
}

// CheckDefinition is an entry of check_definitions: recorded, never run.
type CheckDefinition struct {
	Name       string         `json:"name"`
	FilePath   string         `json:"file_path"`
	ClassName  string         `json:"class_name"` // default "Check"
	Parameters map[string]any `json:"parameters,omitempty"`
	Targets    string         `json:"targets,omitempty"`
	Line       int            `json:"-"`
}

// GeneratorDefinition is an entry of generator_definitions: recorded, never run.
type GeneratorDefinition struct {
	Name                    string         `json:"name"`
	FilePath                string         `json:"file_path"`
	Query                   string         `json:"query"`
	ClassName               string         `json:"class_name"` // default "Generator"
	Targets                 string         `json:"targets"`
	Parameters              map[string]any `json:"parameters,omitempty"`
	ConvertQueryResponse    bool           `json:"convert_query_response,omitempty"`
	ExecuteInProposedChange bool           `json:"execute_in_proposed_change"` // default true
	ExecuteAfterMerge       bool           `json:"execute_after_merge"`        // default true
	Line                    int            `json:"-"`
}

// Remote is a repository as its node names it: where it is and the credential to reach it.
// Password is a secret: String and LogValue leave it out, and so must every message.
type Remote struct {
	ID       string // the repository node's id: names the local mirror
	Location string // file://, http(s)://, ssh:// or scp-like user@host:path
	Username string
	Password string
}

// String is the location without any password (also one written in the URL).
func (r Remote) String() string { return redact.URL(r.Location) }

// Heads is what a fetch found: every branch's commit, and the remote's default branch (HEAD).
type Heads struct {
	Default  string            `json:"default"`
	Branches map[string]string `json:"branches"` // branch name -> commit hash
}
