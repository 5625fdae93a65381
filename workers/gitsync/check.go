package gitsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/jinja"
	"github.com/infrahub-go/infrahub/repository"
	"github.com/infrahub-go/infrahub/schema"
)

// plan is what a commit would write, checked: nothing of it is written unless problems is empty.
type plan struct {
	cfg      *repository.Config
	schemas  commands.LoadSchema // Schemas empty: the commit has none
	objects  []commands.ObjectFile
	menus    []commands.ObjectFile
	queries  map[string]string // query name -> its text
	problems []string          // "file:line: message"
	warnings []string
}

// Extensions of the files a folder of the configuration gives.
var (
	schemaExts = []string{".yml", ".yaml", ".json"}
	objectExts = []string{".yml", ".yaml"}
)

// check reads and checks everything a commit's .infrahub.yml names, for branch name: the
// configuration against the files, every schema file (validated against the branch's schema,
// not written), every object and menu file (parsed), every query (GraphQL syntax) and every
// Jinja2 template (parsed). It reports every problem, not the first one.
func (s *Syncer) check(ctx context.Context, fsys fs.FS, name string) *plan {
	p := &plan{queries: map[string]string{}}
	cfg, err := s.cfg.ReadConfig(fsys)
	if err != nil {
		p.problems = append(p.problems, lines(err)...)
		return p
	}
	p.cfg = cfg
	if err := s.cfg.CheckConfig(cfg, fsys); err != nil {
		p.problems = append(p.problems, lines(err)...)
	}
	// Schemas: one check of every file together, as the load will be.
	files, err := s.cfg.Expand(fsys, cfg.Schemas, schemaExts...)
	if err != nil {
		p.problems = append(p.problems, lines(err)...)
	}
	p.schemas = commands.LoadSchema{Branch: name}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			p.problems = append(p.problems, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		raw, _ := json.Marshal(string(data))
		p.schemas.Schemas = append(p.schemas.Schemas, raw)
		p.schemas.Names = append(p.schemas.Names, f)
	}
	if len(p.schemas.Schemas) > 0 {
		if _, err := s.cfg.CheckSchema(p.schemas); err != nil {
			p.problems = append(p.problems, lines(err)...)
		}
	}
	p.objects = s.objectFiles(ctx, fsys, cfg.Objects, p)
	p.menus = s.objectFiles(ctx, fsys, cfg.Menus, p)
	for _, q := range cfg.Queries {
		data, err := fs.ReadFile(fsys, q.FilePath)
		if err != nil {
			continue // CheckConfig named it
		}
		if _, err := parser.ParseQuery(&ast.Source{Name: q.FilePath, Input: string(data)}); err != nil {
			p.problems = append(p.problems, gqlLines(q.FilePath, err)...)
			continue
		}
		p.queries[q.Name] = string(data)
	}
	env, err := jinja.New(jinja.Config{Loader: fsLoader{fsys}, TrimBlocks: true, LstripBlocks: true})
	if err != nil {
		p.problems = append(p.problems, err.Error())
		return p
	}
	for _, t := range cfg.Jinja2Transforms {
		if _, err := env.Get(t.TemplatePath); err != nil {
			p.problems = append(p.problems, jinjaLine(t.TemplatePath, err))
		}
	}
	missing := func(path string) string {
		if _, err := fs.Stat(fsys, path); err != nil {
			return " (its file is not in this commit)"
		}
		return ""
	}
	for _, t := range cfg.PythonTransforms {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: python transform %q (%s%s): not recorded; the Python runtime is not available here, and its query is named by its class",
			at(t.Line), t.Name, t.FilePath, missing(t.FilePath)))
	}
	for _, c := range cfg.CheckDefinitions {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: check definition %q (%s%s): recorded; the Python runtime is not available here, it is not run",
			at(c.Line), c.Name, c.FilePath, missing(c.FilePath)))
	}
	for _, g := range cfg.GeneratorDefinitions {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: generator definition %q (%s%s): recorded; the Python runtime is not available here, it is not run",
			at(g.Line), g.Name, g.FilePath, missing(g.FilePath)))
	}
	return p
}

// objectFiles reads and parses the object (or menu) files paths name.
func (s *Syncer) objectFiles(ctx context.Context, fsys fs.FS, paths []repository.Path, p *plan) []commands.ObjectFile {
	if len(paths) == 0 {
		return nil
	}
	files, err := s.cfg.Expand(fsys, paths, objectExts...)
	if err != nil {
		p.problems = append(p.problems, lines(err)...)
	}
	var out []commands.ObjectFile
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			p.problems = append(p.problems, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		if _, err := objectfile.ParseFile(ctx, f, data, s.cfg.Limits); err != nil {
			p.problems = append(p.problems, lines(err)...)
			continue
		}
		out = append(out, commands.ObjectFile{Name: f, Content: string(data)})
	}
	return out
}

// lines are the problems an error holds, one a line: each error of a join, each problem of a
// schema or object file error, each line of a message.
func lines(err error) []string {
	var se *schema.Error
	if errors.As(err, &se) {
		out := make([]string, 0, len(se.Problems))
		for _, p := range se.Problems {
			out = append(out, p.String())
		}
		return out
	}
	var oe *objectfile.Error
	if errors.As(err, &oe) {
		out := make([]string, 0, len(oe.Problems))
		for _, p := range oe.Problems {
			out = append(out, p.String())
		}
		return out
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, lines(e)...)
		}
		if len(out) > 0 {
			return out
		}
	}
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// gqlLines are the problems of a query file's GraphQL syntax error.
func gqlLines(file string, err error) []string {
	var list gqlerror.List
	if errors.As(err, &list) {
		var out []string
		for _, e := range list {
			out = append(out, gqlLine(file, e))
		}
		return out
	}
	var one *gqlerror.Error
	if errors.As(err, &one) {
		return []string{gqlLine(file, one)}
	}
	return []string{file + ": " + err.Error()}
}

func gqlLine(file string, e *gqlerror.Error) string {
	if len(e.Locations) > 0 && e.Locations[0].Line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, e.Locations[0].Line, e.Message)
	}
	return file + ": " + e.Message
}

// jinjaLine is the problem of a template that does not parse: the file and line of the error
// (an included template's own when it is there).
func jinjaLine(file string, err error) string {
	var je *jinja.Error
	if errors.As(err, &je) {
		if je.Name != "" {
			file = je.Name
		}
		if je.Line > 0 {
			return fmt.Sprintf("%s:%d: %s: %s", file, je.Line, je.Kind, je.Message)
		}
		return fmt.Sprintf("%s: %s: %s", file, je.Kind, je.Message)
	}
	return file + ": " + err.Error()
}

// fsLoader loads templates from a commit's files (Jinja2's FileSystemLoader at the repository's
// root): '/'-separated names, "." pieces ignored, ".." refused.
type fsLoader struct{ fsys fs.FS }

func (l fsLoader) Load(name string) (string, error) {
	clean := path.Clean(strings.TrimPrefix(name, "/"))
	if !fs.ValidPath(clean) || clean == "." {
		return "", fmt.Errorf("%w: %s", jinja.ErrTemplateNotFound, name)
	}
	data, err := fs.ReadFile(l.fsys, clean)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		return "", fmt.Errorf("%w: %s", jinja.ErrTemplateNotFound, name)
	}
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// at names a line of .infrahub.yml ("" line when unknown).
func at(line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", repository.ConfigFile, line)
	}
	return repository.ConfigFile
}
