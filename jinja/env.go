// Package jinja is our Jinja2 engine: the template language of Python Jinja2 3.1 as Infrahub
// configures it, rendering byte for byte what Python renders. jinja/syntax lexes and parses,
// jinja/value holds Python's values and their semantics, this package evaluates: environments,
// loaders, the builtin filters and tests, limits and errors.
package jinja

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bound one render. A zero field takes its default.
type Limits struct {
	OutputBytes    int // the rendered text; default 64 MiB
	LoopIterations int // iterations of every loop of a render together; default 10,000,000
	RecursionDepth int // nested macro calls, includes and recursive loops; default 200
}

// Defaults of Limits.
const (
	DefaultOutputBytes    = 64 << 20
	DefaultLoopIterations = 10_000_000
	DefaultRecursionDepth = 200
)

func (l Limits) withDefaults() Limits {
	if l.OutputBytes <= 0 {
		l.OutputBytes = DefaultOutputBytes
	}
	if l.LoopIterations <= 0 {
		l.LoopIterations = DefaultLoopIterations
	}
	if l.RecursionDepth <= 0 {
		l.RecursionDepth = DefaultRecursionDepth
	}
	return l
}

// Loader finds templates by name (include, import, extends, Env.Get).
type Loader interface {
	// Load answers the source of template name, or an error wrapping ErrTemplateNotFound.
	Load(name string) (string, error)
}

// ErrTemplateNotFound is wrapped by a loader that has no template of the name.
var ErrTemplateNotFound = errors.New("template not found")

// DirLoader loads templates from files under root, as Jinja2's FileSystemLoader does: a name is
// '/'-separated and relative to root; "." and empty pieces are ignored, and a name with a ".."
// piece or a piece holding a path separator is not found. Files are read as UTF-8.
func DirLoader(root string) Loader { return dirLoader{root: root} }

type dirLoader struct{ root string }

func (d dirLoader) Load(name string) (string, error) {
	var pieces []string
	for _, p := range strings.Split(name, "/") {
		switch {
		case strings.ContainsRune(p, filepath.Separator) || (filepath.Separator != '/' && strings.ContainsRune(p, '/')) || p == "..":
			return "", fmt.Errorf("%w: %s", ErrTemplateNotFound, name)
		case p != "" && p != ".":
			pieces = append(pieces, p)
		}
	}
	path := filepath.Join(append([]string{d.root}, pieces...)...)
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %s", ErrTemplateNotFound, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrTemplateNotFound, name, err)
	}
	return string(b), nil
}

// FSLoader loads templates from the files of fsys (a repository's commit), by DirLoader's rules:
// a name is '/'-separated and relative to the root of fsys; "." and empty pieces are ignored, a
// name with a ".." piece or a piece holding a backslash is not found, and so is anything but a
// regular file. Files are read as UTF-8. Errors of fsys other than a missing file are
// returned as they are (Env reports them as OSError).
func FSLoader(fsys fs.FS) Loader { return fsLoader{fsys: fsys} }

type fsLoader struct{ fsys fs.FS }

func (l fsLoader) Load(name string) (string, error) {
	var pieces []string
	for _, p := range strings.Split(name, "/") {
		switch {
		case p == ".." || strings.ContainsRune(p, '\\'):
			return "", fmt.Errorf("%w: %s", ErrTemplateNotFound, name)
		case p != "" && p != ".":
			pieces = append(pieces, p)
		}
	}
	if len(pieces) == 0 {
		return "", fmt.Errorf("%w: %s", ErrTemplateNotFound, name)
	}
	file := path.Join(pieces...)
	st, err := fs.Stat(l.fsys, file)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
		return "", fmt.Errorf("%w: %s", ErrTemplateNotFound, name)
	}
	if err != nil {
		return "", err
	}
	b, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// MapLoader loads templates from a map of name to source.
func MapLoader(m map[string]string) Loader { return mapLoader(m) }

type mapLoader map[string]string

func (m mapLoader) Load(name string) (string, error) {
	src, ok := m[name]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrTemplateNotFound, name)
	}
	return src, nil
}

// Config of an Env.
type Config struct {
	Loader       Loader // nil: no other templates (include, import and extends fail with TemplateNotFound)
	TrimBlocks   bool
	LstripBlocks bool
	Strict       bool // StrictUndefined instead of the lenient Undefined
	Sandboxed    bool
	// Filters are extra filters, beside Jinja2's builtins.
	Filters map[string]Filter
	Limits  Limits
}

// FileEnv is Infrahub's environment of Jinja2 transforms: templates under root (its
// FileSystemLoader), trim_blocks and lstrip_blocks, the lenient Undefined.
func FileEnv(root string) Config {
	return Config{Loader: DirLoader(root), TrimBlocks: true, LstripBlocks: true}
}

// FSEnv is FileEnv over the files of fsys (a repository's commit) instead of a folder.
func FSEnv(fsys fs.FS) Config {
	return Config{Loader: FSLoader(fsys), TrimBlocks: true, LstripBlocks: true}
}

// StringEnv is Infrahub's environment of templates given as strings (computed attributes,
// display labels): sandboxed, StrictUndefined.
func StringEnv() Config { return Config{Sandboxed: true, Strict: true} }

// Error is a template error, named as Python names it: Kind is the exception's class
// (TemplateSyntaxError, UndefinedError, TemplateNotFound, TemplatesNotFound,
// TemplateRuntimeError, FilterArgumentError, SecurityError, TypeError, ValueError,
// ZeroDivisionError, KeyError, IndexError, AttributeError, OverflowError), Name the template and
// Line its line (0 when unknown).
type Error struct {
	Kind    string
	Name    string
	Line    int
	Message string
}

func (e *Error) Error() string {
	switch {
	case e.Name != "" && e.Line > 0:
		return fmt.Sprintf("%s: %s (%s, line %d)", e.Kind, e.Message, e.Name, e.Line)
	case e.Line > 0:
		return fmt.Sprintf("%s: %s (line %d)", e.Kind, e.Message, e.Line)
	default:
		return fmt.Sprintf("%s: %s", e.Kind, e.Message)
	}
}
