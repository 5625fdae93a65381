package jinja

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/jinja/syntax"
	"github.com/infrahub-go/infrahub/jinja/value"
)

// MaxCachedTemplates bounds the parsed templates an Env keeps; past it the cache starts over.
const MaxCachedTemplates = 1024

// MaxRecursionDepth is the largest Limits.RecursionDepth New accepts: deeper template recursion
// would exhaust the goroutine's stack before the limit is reached.
const MaxRecursionDepth = 10000

// stringTemplateName is the name Jinja2 gives a template made from a string.
const stringTemplateName = "<template>"

// Env is a configured environment: its filters, tests and globals, the loader and a cache of
// parsed templates. It is safe for concurrent use.
type Env struct {
	cfg     Config
	limits  Limits
	opts    syntax.Options
	filters map[string]Filter
	tests   map[string]Test
	globals map[string]value.Value

	mu    sync.Mutex
	cache map[cacheKey]*Template
}

type cacheKey struct {
	name string
	sum  [sha256.Size]byte
}

// Template is a parsed and checked template, ready to render (safe for concurrent renders).
type Template struct {
	env  *Env
	name string
	prog *program
	// lastSize is the length of the last output: the next render reserves it at once.
	lastSize atomic.Int64
}

// Name is the template's name ("<template>" for one made from a string).
func (t *Template) Name() string { return t.name }

// New returns an environment of cfg: Jinja2's builtin filters, tests and globals plus
// cfg.Filters.
func New(cfg Config) (*Env, error) {
	e := &Env{cfg: cfg, limits: cfg.Limits.withDefaults(),
		opts:    syntax.Options{TrimBlocks: cfg.TrimBlocks, LstripBlocks: cfg.LstripBlocks},
		filters: make(map[string]Filter, len(builtinFilters)+len(cfg.Filters)),
		tests:   make(map[string]Test, len(builtinTests)),
		globals: make(map[string]value.Value, len(builtinGlobals)),
		cache:   map[cacheKey]*Template{}}
	if cfg.Limits.OutputBytes < 0 || cfg.Limits.LoopIterations < 0 || cfg.Limits.RecursionDepth < 0 {
		return nil, fmt.Errorf("%w: jinja limits must not be negative", fault.ErrInvalid)
	}
	if cfg.Limits.RecursionDepth > MaxRecursionDepth {
		return nil, fmt.Errorf("%w: jinja limit RecursionDepth %d is over %d", fault.ErrInvalid, cfg.Limits.RecursionDepth, MaxRecursionDepth)
	}
	for k, v := range builtinFilters {
		e.filters[k] = v
	}
	for k, v := range cfg.Filters {
		if k == "" || v == nil {
			return nil, fmt.Errorf("%w: jinja filter %q: empty name or nil function", fault.ErrInvalid, k)
		}
		e.filters[k] = v
	}
	for k, v := range builtinTests {
		e.tests[k] = v
	}
	for k, v := range builtinGlobals {
		e.globals[k] = v
	}
	return e, nil
}

// FromString parses a template source; its name is "<template>".
func (e *Env) FromString(src string) (*Template, error) {
	t, err := e.compileSource(stringTemplateName, src)
	if err != nil {
		return nil, toError(err, stringTemplateName, 0)
	}
	return t, nil
}

// Get returns the template name of the loader, parsed once per content.
func (e *Env) Get(name string) (*Template, error) {
	t, err := e.load(name)
	if err != nil {
		return nil, toError(err, name, 0)
	}
	return t, nil
}

// load reads and compiles a template of the loader. Errors: TypeError without loader,
// TemplateNotFound, OSError (the loader failed otherwise), or a located syntax error.
func (e *Env) load(name string) (*Template, error) {
	if e.cfg.Loader == nil {
		return nil, value.Errorf("TypeError", "no loader for this environment specified")
	}
	src, err := e.cfg.Loader.Load(name)
	if err != nil {
		if errors.Is(err, ErrTemplateNotFound) {
			return nil, &Error{Kind: "TemplateNotFound", Message: e.notFoundMessage(name)}
		}
		return nil, &Error{Kind: "OSError", Message: fmt.Sprintf("%s: %v", pyQuote(name), err)}
	}
	return e.compileSource(name, src)
}

func (e *Env) notFoundMessage(name string) string {
	d, ok := e.cfg.Loader.(dirLoader)
	if !ok {
		return name
	}
	for _, p := range strings.Split(name, "/") {
		if p == ".." {
			return name
		}
	}
	return fmt.Sprintf("%s not found in search path: %s", pyQuote(name), pyQuote(d.root))
}

func (e *Env) compileSource(name, src string) (*Template, error) {
	key := cacheKey{name: name, sum: sha256.Sum256([]byte(src))}
	e.mu.Lock()
	t, ok := e.cache[key]
	e.mu.Unlock()
	if ok {
		return t, nil
	}
	opts := e.opts
	opts.Name = name
	tpl, err := syntax.Parse(src, opts)
	if err == nil {
		var prog *program
		if prog, err = compile(tpl, name, e.hasFilter, e.hasTest); err == nil {
			t = &Template{env: e, name: name, prog: prog}
		}
	}
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			kind := "TemplateSyntaxError"
			if se.Assertion {
				kind = "TemplateAssertionError"
			}
			return nil, &tplError{&Error{Kind: kind, Name: name, Line: se.Line, Message: se.Message}}
		}
		var je *Error
		if errors.As(err, &je) {
			return nil, &tplError{je}
		}
		return nil, err
	}
	e.mu.Lock()
	if len(e.cache) >= MaxCachedTemplates {
		e.cache = map[cacheKey]*Template{}
	}
	e.cache[key] = t
	e.mu.Unlock()
	return t, nil
}

func (e *Env) hasFilter(name string) bool { _, ok := e.filters[name]; return ok }
func (e *Env) hasTest(name string) bool   { _, ok := e.tests[name]; return ok }

// Render renders the template with data as its context: JSON decoded with UseNumber or plain
// Go values (value.FromJSON; a Go map's keys are taken in sorted order). The error is an
// *Error.
func (t *Template) Render(ctx context.Context, data map[string]any) (string, error) {
	vars := make(map[string]value.Value, len(data))
	for k, v := range data {
		vars[k] = value.FromJSON(v)
	}
	return t.render(ctx, vars)
}

// RenderValues renders the template with a context already made of template values (for a
// context decoded once and rendered many times: value.FromJSONBytes keeps the document's order).
func (t *Template) RenderValues(ctx context.Context, vars map[string]value.Value) (string, error) {
	return t.render(ctx, vars)
}

// RenderJSON renders the template with the JSON object raw as its context, its mappings in the
// document's key order as Python's json.loads gives them.
func (t *Template) RenderJSON(ctx context.Context, raw []byte) (string, error) {
	v, err := value.FromJSONBytes(raw)
	if err != nil {
		return "", &Error{Kind: "ValueError", Name: t.name, Message: err.Error()}
	}
	var vars map[string]value.Value
	switch d := v.(type) {
	case nil:
	case *value.Dict:
		vars = make(map[string]value.Value, d.Len())
		for k, val := range d.All() {
			ks, ok := k.(string)
			if !ok {
				return "", &Error{Kind: "TypeError", Name: t.name, Message: "context keys must be strings"}
			}
			vars[ks] = val
		}
	default:
		return "", &Error{Kind: "TypeError", Name: t.name, Message: "the context must be a JSON object, not " + value.TypeName(v)}
	}
	return t.render(ctx, vars)
}
