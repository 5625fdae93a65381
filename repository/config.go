package repository

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/fault"
)

// FileError is a problem of one file: File is its '/'-separated path in the repository, Line its
// line (0: unknown). Kind is the fault kind it wraps (nil: fault.ErrInvalid).
type FileError struct {
	File    string
	Line    int
	Message string
	Kind    error
}

// Error is "file:line: message" (no ":line" when the line is unknown).
func (e *FileError) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Message
	}
	return e.File + ": " + e.Message
}

// Unwrap gives the kind: fault.ErrInvalid unless another was given.
func (e *FileError) Unwrap() error {
	if e.Kind == nil {
		return fault.ErrInvalid
	}
	return e.Kind
}

// Default class names of the SDK (infrahub_sdk/schema/repository.py).
const (
	DefaultTransformClass = "Transform"
	DefaultCheckClass     = "Check"
	DefaultGeneratorClass = "Generator"
)

// configKeys are the sections of .infrahub.yml (InfrahubRepositoryConfig; extra="forbid").
var configKeys = []string{
	"check_definitions", "schemas", "jinja2_transforms", "artifact_definitions", "python_transforms",
	"generator_definitions", "queries", "graphql_fragments", "objects", "menus",
}

// ParseConfig parses the text of .infrahub.yml as the SDK's InfrahubRepositoryConfig does: the
// same sections and keys, required fields and defaults; unknown keys are refused (the SDK's
// models forbid extra fields); names are unique per section. Every problem is a *FileError naming
// file and line; all problems are reported at once (errors.Join).
func ParseConfig(file string, src []byte) (*Config, error) {
	p := &parser{file: file}
	cfg := &Config{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.fail(0, "the file is empty: expected a mapping of sections ("+strings.Join(configKeys, ", ")+")")
		}
		return nil, p.fail(yamlErrorLine(err), "not valid YAML: "+yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.fail(extra.Line, "more than one YAML document: the configuration is one mapping")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.fail(yamlErrorLine(err), "not valid YAML: "+yamlMessage(err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		if isNull(root) {
			return nil, p.fail(root.Line, "the file is empty: expected a mapping of sections ("+strings.Join(configKeys, ", ")+")")
		}
		return nil, p.fail(root.Line, "expected a mapping of sections ("+strings.Join(configKeys, ", ")+"), found "+describe(root))
	}
	p.fields(root, "", configKeys, func(key string, v *yaml.Node) {
		switch key {
		case "schemas":
			cfg.Schemas = p.paths(key, v)
		case "objects":
			cfg.Objects = p.paths(key, v)
		case "menus":
			cfg.Menus = p.paths(key, v)
		case "queries":
			p.list(key, v, func(where string, n *yaml.Node) { cfg.Queries = append(cfg.Queries, p.query(where, n)) })
		case "graphql_fragments":
			p.list(key, v, func(where string, n *yaml.Node) {
				cfg.GraphQLFragments = append(cfg.GraphQLFragments, p.query(where, n))
			})
		case "jinja2_transforms":
			p.list(key, v, func(where string, n *yaml.Node) {
				cfg.Jinja2Transforms = append(cfg.Jinja2Transforms, p.jinja2(where, n))
			})
		case "python_transforms":
			p.list(key, v, func(where string, n *yaml.Node) {
				cfg.PythonTransforms = append(cfg.PythonTransforms, p.python(where, n))
			})
		case "artifact_definitions":
			p.list(key, v, func(where string, n *yaml.Node) {
				cfg.ArtifactDefinitions = append(cfg.ArtifactDefinitions, p.artifact(where, n))
			})
		case "check_definitions":
			p.list(key, v, func(where string, n *yaml.Node) {
				cfg.CheckDefinitions = append(cfg.CheckDefinitions, p.check(where, n))
			})
		case "generator_definitions":
			p.list(key, v, func(where string, n *yaml.Node) {
				cfg.GeneratorDefinitions = append(cfg.GeneratorDefinitions, p.generator(where, n))
			})
		}
	})
	// Names are unique per section (InfrahubRepositoryConfig.unique_items).
	p.unique("check_definitions", names(cfg.CheckDefinitions, func(x CheckDefinition) (string, int) { return x.Name, x.Line }))
	p.unique("jinja2_transforms", names(cfg.Jinja2Transforms, func(x Jinja2Transform) (string, int) { return x.Name, x.Line }))
	p.unique("artifact_definitions", names(cfg.ArtifactDefinitions, func(x ArtifactDefinition) (string, int) { return x.Name, x.Line }))
	p.unique("python_transforms", names(cfg.PythonTransforms, func(x PythonTransform) (string, int) { return x.Name, x.Line }))
	p.unique("generator_definitions", names(cfg.GeneratorDefinitions, func(x GeneratorDefinition) (string, int) { return x.Name, x.Line }))
	p.unique("queries", names(cfg.Queries, func(x Query) (string, int) { return x.Name, x.Line }))
	p.unique("graphql_fragments", names(cfg.GraphQLFragments, func(x Query) (string, int) { return x.Name, x.Line }))
	if len(p.errs) > 0 {
		return nil, p.joined()
	}
	return cfg, nil
}

// ReadConfig reads ConfigFile (or ".infrahub.yaml" when it is absent) at the root of fsys and
// parses it. Neither present: a *FileError wrapping fault.ErrNotFound.
func ReadConfig(fsys fs.FS) (*Config, error) {
	for _, name := range []string{ConfigFile, ".infrahub.yaml"} {
		src, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return ParseConfig(name, src)
	}
	return nil, &FileError{File: ConfigFile, Message: "the repository has no " + ConfigFile + " (nor .infrahub.yaml) at its root", Kind: fault.ErrNotFound}
}

type parser struct {
	file string
	errs []error
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &FileError{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// joined answers the problems in the order of their lines.
func (p *parser) joined() error {
	sort.SliceStable(p.errs, func(i, j int) bool {
		return p.errs[i].(*FileError).Line < p.errs[j].(*FileError).Line
	})
	return errors.Join(p.errs...)
}

func (p *parser) fail(line int, msg string) error {
	return &FileError{File: p.file, Line: line, Message: msg}
}

// yamlErrorLine digs the line out of a yaml.v3 syntax error ("yaml: line 3: ...").
func yamlErrorLine(err error) int {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(rest[:j]); err == nil {
			return n
		}
	}
	return 0
}

// yamlMessage is a yaml.v3 error's message without its "yaml: line N: " prefix.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			return rest
		}
	}
	return msg
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names what a node is, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the number " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// fields walks a mapping's keys: unknown and repeated keys are problems; known keys call each.
func (p *parser) fields(m *yaml.Node, where string, known []string, each func(key string, v *yaml.Node)) map[string]bool {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		name := k.Value
		if k.Kind != yaml.ScalarNode {
			p.errorf(k.Line, "%sa key must be a name, found %s", prefix(where), describe(k))
			continue
		}
		if first, dup := seen[name]; dup {
			p.errorf(k.Line, "%s%s: given twice (first on line %d)", prefix(where), name, first)
			continue
		}
		seen[name] = k.Line
		if !contains(known, name) {
			p.errorf(k.Line, "%s%s: unknown key (extra keys are not permitted; expected one of %s)", prefix(where), name, strings.Join(known, ", "))
			continue
		}
		each(name, v)
	}
	out := make(map[string]bool, len(seen))
	for k := range seen {
		out[k] = true
	}
	return out
}

func prefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// list walks a section that is a list of mappings.
func (p *parser) list(key string, v *yaml.Node, each func(where string, n *yaml.Node)) {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v.Line, "%s: expected a list, found %s", key, describe(v))
		return
	}
	for i, n := range v.Content {
		where := fmt.Sprintf("%s[%d]", key, i)
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			p.errorf(n.Line, "%s: expected a mapping, found %s", where, describe(n))
			continue
		}
		each(where, n)
	}
}

// paths reads a section that is a list of paths.
func (p *parser) paths(key string, v *yaml.Node) []Path {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v.Line, "%s: expected a list of paths, found %s", key, describe(v))
		return nil
	}
	var out []Path
	for i, n := range v.Content {
		if s, ok := p.path(fmt.Sprintf("%s[%d]", key, i), n); ok {
			out = append(out, Path{Path: s, Line: n.Line})
		}
	}
	return out
}

// entry is one mapping of a section: its fields by name, checked for required ones.
type entry struct {
	p     *parser
	where string
	line  int
	vals  map[string]*yaml.Node
}

func (p *parser) entry(where string, n *yaml.Node, known []string) *entry {
	e := &entry{p: p, where: where, line: n.Line, vals: map[string]*yaml.Node{}}
	p.fields(n, where, known, func(key string, v *yaml.Node) { e.vals[key] = v })
	return e
}

// str is a string field: required ones must be present and not null.
func (e *entry) str(key string, required bool) string {
	v, ok := e.vals[key]
	if !ok || isNull(v) {
		if required {
			if ok {
				e.p.errorf(v.Line, "%s: %s: a string is required, found null", e.where, key)
			} else {
				e.p.errorf(e.line, "%s: %s: field required", e.where, key)
			}
		}
		return ""
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		e.p.errorf(v.Line, "%s: %s: expected a string, found %s", e.where, key, describe(v))
		return ""
	}
	return v.Value
}

// strDefault is a string field with a default (present, it must be a string, not null).
func (e *entry) strDefault(key, def string) string {
	v, ok := e.vals[key]
	if !ok {
		return def
	}
	if isNull(v) {
		e.p.errorf(v.Line, "%s: %s: expected a string, found null", e.where, key)
		return def
	}
	return e.str(key, false)
}

// path is a required path field.
func (e *entry) path(key string) string {
	v, ok := e.vals[key]
	if !ok {
		e.p.errorf(e.line, "%s: %s: field required", e.where, key)
		return ""
	}
	s, _ := e.p.path(e.where+": "+key, v)
	return s
}

// path checks one path: a non-empty string, relative, inside the repository; answers it cleaned.
func (p *parser) path(where string, n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		p.errorf(n.Line, "%s: expected a path, found %s", where, describe(n))
		return "", false
	}
	raw := strings.TrimSpace(n.Value)
	if raw == "" {
		p.errorf(n.Line, "%s: the path is empty", where)
		return "", false
	}
	s := path.Clean(strings.ReplaceAll(raw, "\\", "/"))
	if strings.HasPrefix(s, "/") || s == ".." || strings.HasPrefix(s, "../") {
		p.errorf(n.Line, "%s: %q is outside the repository (paths are relative to its root)", where, raw)
		return "", false
	}
	return s, true
}

// boolean is a boolean field with its default (pydantic's lax booleans).
func (e *entry) boolean(key string, def bool) bool {
	v, ok := e.vals[key]
	if !ok {
		return def
	}
	if v.Kind == yaml.ScalarNode {
		switch strings.ToLower(v.Value) {
		case "true", "yes", "on", "t", "y", "1":
			if v.Tag == "!!bool" || v.Tag == "!!str" || (v.Tag == "!!int" && v.Value == "1") {
				return true
			}
		case "false", "no", "off", "f", "n", "0":
			if v.Tag == "!!bool" || v.Tag == "!!str" || (v.Tag == "!!int" && v.Value == "0") {
				return false
			}
		}
	}
	e.p.errorf(v.Line, "%s: %s: expected a boolean, found %s", e.where, key, describe(v))
	return def
}

// params is a parameters mapping (dict[str, Any]).
func (e *entry) params(key string, required bool) map[string]any {
	v, ok := e.vals[key]
	if !ok {
		if required {
			e.p.errorf(e.line, "%s: %s: field required", e.where, key)
		}
		return nil
	}
	if v.Kind != yaml.MappingNode {
		e.p.errorf(v.Line, "%s: %s: expected a mapping, found %s", e.where, key, describe(v))
		return nil
	}
	var out map[string]any
	if err := v.Decode(&out); err != nil {
		e.p.errorf(v.Line, "%s: %s: %v", e.where, key, err)
		return nil
	}
	if out == nil {
		out = map[string]any{}
	}
	return out
}

func (p *parser) query(where string, n *yaml.Node) Query {
	e := p.entry(where, n, []string{"name", "file_path"})
	return Query{Name: e.str("name", true), FilePath: e.path("file_path"), Line: n.Line}
}

func (p *parser) jinja2(where string, n *yaml.Node) Jinja2Transform {
	e := p.entry(where, n, []string{"name", "query", "template_path", "description"})
	return Jinja2Transform{
		Name: e.str("name", true), Query: e.str("query", true), TemplatePath: e.path("template_path"),
		Description: e.str("description", false), Line: n.Line,
	}
}

func (p *parser) python(where string, n *yaml.Node) PythonTransform {
	e := p.entry(where, n, []string{"name", "file_path", "class_name", "convert_query_response", "description"})
	t := PythonTransform{
		Name: e.str("name", true), FilePath: e.path("file_path"), ClassName: e.strDefault("class_name", DefaultTransformClass),
		ConvertQueryResponse: e.boolean("convert_query_response", false), Description: e.str("description", false), Line: n.Line,
	}
	return t
}

func (p *parser) artifact(where string, n *yaml.Node) ArtifactDefinition {
	e := p.entry(where, n, []string{"name", "artifact_name", "parameters", "content_type", "targets", "transformation"})
	a := ArtifactDefinition{
		Name: e.str("name", true), ArtifactName: e.str("artifact_name", false), ContentType: e.str("content_type", true),
		Targets: e.str("targets", true), Transformation: e.str("transformation", true), Line: n.Line,
	}
	if a.ArtifactName == "" {
		a.ArtifactName = a.Name
	}
	if v, ok := e.vals["parameters"]; ok && v.Kind == yaml.MappingNode {
		a.Parameters = map[string]string{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			if val.Kind != yaml.ScalarNode || isNull(val) {
				p.errorf(val.Line, "%s: parameters: %s: expected the path of a target's value such as \"name__value\", found %s", where, k.Value, describe(val))
				continue
			}
			a.Parameters[k.Value] = val.Value
		}
	} else {
		e.params("parameters", true) // reports the problem
	}
	return a
}

func (p *parser) check(where string, n *yaml.Node) CheckDefinition {
	e := p.entry(where, n, []string{"name", "file_path", "parameters", "targets", "class_name"})
	c := CheckDefinition{
		Name: e.str("name", true), FilePath: e.path("file_path"), Parameters: e.params("parameters", false),
		Targets: e.str("targets", false), ClassName: e.strDefault("class_name", DefaultCheckClass), Line: n.Line,
	}
	if c.Parameters == nil {
		c.Parameters = map[string]any{}
	}
	return c
}

func (p *parser) generator(where string, n *yaml.Node) GeneratorDefinition {
	e := p.entry(where, n, []string{"name", "file_path", "query", "parameters", "targets", "class_name",
		"convert_query_response", "execute_in_proposed_change", "execute_after_merge"})
	g := GeneratorDefinition{
		Name: e.str("name", true), FilePath: e.path("file_path"), Query: e.str("query", true),
		Parameters: e.params("parameters", false), Targets: e.str("targets", true), ClassName: e.strDefault("class_name", DefaultGeneratorClass),
		ConvertQueryResponse:    e.boolean("convert_query_response", false),
		ExecuteInProposedChange: e.boolean("execute_in_proposed_change", true),
		ExecuteAfterMerge:       e.boolean("execute_after_merge", true),
		Line:                    n.Line,
	}
	if g.Parameters == nil {
		g.Parameters = map[string]any{}
	}
	return g
}

type named struct {
	name string
	line int
}

func names[T any](items []T, f func(T) (string, int)) []named {
	out := make([]named, 0, len(items))
	for _, x := range items {
		n, l := f(x)
		out = append(out, named{n, l})
	}
	return out
}

func (p *parser) unique(section string, items []named) {
	first := map[string]int{}
	for _, it := range items {
		if it.name == "" {
			continue
		}
		if l, dup := first[it.name]; dup {
			p.errorf(it.line, "%s: the name %q is used twice (first on line %d); names are unique per section", section, it.name, l)
			continue
		}
		first[it.name] = it.line
	}
}

// Check verifies the configuration against the files of a commit: every named path exists (a
// file, or a folder for schemas, objects, menus and graphql_fragments), a Jinja2 transform and a
// generator name a query of the configuration, an artifact definition names a transform of it
// (Jinja2 or Python). Every problem points at the configuration's line; all are reported.
func (c *Config) Check(fsys fs.FS) error {
	p := &parser{file: c.configFile()}
	exists := func(section, what string, x string, line int, folderOK bool) {
		if x == "" {
			return
		}
		info, err := fs.Stat(fsys, x)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.errorf(line, "%s: %s %q not found in the repository", section, what, x)
		case err != nil:
			p.errorf(line, "%s: %s %q: %v", section, what, x, err)
		case info.IsDir() && !folderOK:
			p.errorf(line, "%s: %s %q is a folder, expected a file", section, what, x)
		}
	}
	for _, s := range c.Schemas {
		exists("schemas", "path", s.Path, s.Line, true)
	}
	for _, s := range c.Objects {
		exists("objects", "path", s.Path, s.Line, true)
	}
	for _, s := range c.Menus {
		exists("menus", "path", s.Path, s.Line, true)
	}
	queries := map[string]bool{}
	for _, q := range c.Queries {
		queries[q.Name] = true
		exists("queries", "file_path", q.FilePath, q.Line, false)
	}
	for _, q := range c.GraphQLFragments {
		exists("graphql_fragments", "file_path", q.FilePath, q.Line, true)
	}
	transforms := map[string]bool{}
	for _, t := range c.Jinja2Transforms {
		transforms[t.Name] = true
		exists("jinja2_transforms", "template_path", t.TemplatePath, t.Line, false)
		if t.Query != "" && !queries[t.Query] {
			p.errorf(t.Line, "jinja2_transforms: %q names the query %q, which is not in queries", t.Name, t.Query)
		}
	}
	// The files of Python resources are not required: nothing runs them here (importers warn
	// about them, and about a missing one).
	for _, t := range c.PythonTransforms {
		transforms[t.Name] = true
	}
	for _, a := range c.ArtifactDefinitions {
		if a.Transformation != "" && !transforms[a.Transformation] {
			p.errorf(a.Line, "artifact_definitions: %q names the transformation %q, which is neither in jinja2_transforms nor in python_transforms", a.Name, a.Transformation)
		}
	}
	for _, g := range c.GeneratorDefinitions {
		if g.Query != "" && !queries[g.Query] {
			p.errorf(g.Line, "generator_definitions: %q names the query %q, which is not in queries", g.Name, g.Query)
		}
	}
	return p.joined()
}

func (c *Config) configFile() string {
	if c.File != "" {
		return c.File
	}
	return ConfigFile
}

// Expand lists the files that paths name, in order, each once: a file itself; a folder gives
// its files whose name ends with one of exts (every file when exts is empty), recursively,
// sorted by path. A path that does not exist is a *FileError (of ConfigFile, at the path's line)
// wrapping fault.ErrNotFound.
func Expand(fsys fs.FS, paths []Path, exts ...string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, p := range paths {
		info, err := fs.Stat(fsys, p.Path)
		if err != nil {
			kind := error(fault.ErrNotFound)
			if !errors.Is(err, fs.ErrNotExist) {
				kind = err
			}
			return nil, &FileError{File: ConfigFile, Line: p.Line, Message: fmt.Sprintf("%q: no such file or folder in the repository", p.Path), Kind: kind}
		}
		if !info.IsDir() {
			add(p.Path)
			continue
		}
		var found []string
		err = fs.WalkDir(fsys, p.Path, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !hasExt(name, exts) {
				return nil
			}
			found = append(found, name)
			return nil
		})
		if err != nil {
			return nil, &FileError{File: ConfigFile, Line: p.Line, Message: fmt.Sprintf("%q: %v", p.Path, err), Kind: err}
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return out, nil
}

func hasExt(name string, exts []string) bool {
	if len(exts) == 0 {
		return true
	}
	for _, e := range exts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}
