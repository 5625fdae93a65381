package jinja

import (
	"context"
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// A render runs templates the way Jinja2's generated code does:
//   - a tctx is Jinja2's Context: the render's data (parent), the variables the template's top
//     level assigned (vars, exported to importers) and the block stacks of template inheritance;
//   - a scope holds the names one frame owns (symbols.go) and points to the enclosing frame's;
//   - a codeFrame is one Python function of the generated code (a template's body, a block, a
//     macro): the template and the line running in it, which a runtime error carries (Jinja2
//     rewrites tracebacks to the innermost template line).

// missingT is Jinja2's `missing`: a name a frame owns that holds no value yet.
type missingT struct{}

var missing value.Value = &missingT{}

type scope struct {
	parent *scope
	names  []string
	vals   []value.Value
}

func (s *scope) get(name string) (value.Value, bool) {
	for i := len(s.names) - 1; i >= 0; i-- {
		if s.names[i] == name {
			return s.vals[i], true
		}
	}
	return nil, false
}

func (s *scope) set(name string, v value.Value) {
	for i := len(s.names) - 1; i >= 0; i-- {
		if s.names[i] == name {
			s.vals[i] = v
			return
		}
	}
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
}

// lookupRaw is the value of the nearest scope owning name (missing when none or unset).
func (s *scope) lookupRaw(name string) (value.Value, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.get(name); ok {
			return v, true
		}
	}
	return missing, false
}

// locals are the values of the names the scopes own, nearest first (Jinja2's
// dump_local_context without the missing ones).
func (s *scope) locals() map[string]value.Value {
	out := map[string]value.Value{}
	for ; s != nil; s = s.parent {
		for i, name := range s.names {
			if _, seen := out[name]; !seen && s.vals[i] != missing {
				out[name] = s.vals[i]
			}
		}
	}
	return out
}

type tctx struct {
	tpl      *Template
	parent   map[string]value.Value
	vars     map[string]value.Value
	exported []string
	blocks   map[string][]*blockRef
}

type blockRef struct {
	tpl  *Template
	info *blockInfo
}

func (r *renderer) newContext(t *Template, parent map[string]value.Value) *tctx {
	tc := &tctx{tpl: t, parent: parent, vars: map[string]value.Value{}, blocks: make(map[string][]*blockRef, len(t.prog.blocks))}
	for name, b := range t.prog.blocks {
		tc.blocks[name] = []*blockRef{{tpl: t, info: b}}
	}
	return tc
}

func (tc *tctx) resolve(name string, globals map[string]value.Value) value.Value {
	if v, ok := tc.vars[name]; ok {
		return v
	}
	if v, ok := tc.parent[name]; ok {
		return v
	}
	if v, ok := globals[name]; ok {
		return v
	}
	return missing
}

// all is Context.get_all() with locals laid over it (new_context's shared mode).
func (tc *tctx) all(locals map[string]value.Value) map[string]value.Value {
	out := make(map[string]value.Value, len(tc.parent)+len(tc.vars)+len(locals))
	for k, v := range tc.parent {
		out[k] = v
	}
	for k, v := range tc.vars {
		out[k] = v
	}
	for k, v := range locals {
		out[k] = v
	}
	return out
}

func (tc *tctx) export(name string) {
	if strings.HasPrefix(name, "_") {
		return
	}
	for _, n := range tc.exported {
		if n == name {
			return
		}
	}
	tc.exported = append(tc.exported, name)
}

func (tc *tctx) unexport(name string) {
	for i, n := range tc.exported {
		if n == name {
			tc.exported = append(tc.exported[:i:i], tc.exported[i+1:]...)
			return
		}
	}
}

type codeFrame struct {
	tpl    *Template
	line   int
	parent *Template // set by extends
}

// frame is the state of the statements being run: Jinja2's Frame at run time.
type frame struct {
	r           *renderer
	sc          *scope
	tc          *tctx
	cf          *codeFrame
	out         *strings.Builder
	toplevel    bool
	outputCheck bool // output is dropped once the template extends another
	autoescape  bool
}

// inner is a frame owning the names of info, inside f.
func (f *frame) inner(info *frameInfo) *frame {
	r := f.r
	nf := *f
	nf.toplevel = false
	nf.sc = r.enterScope(f.sc, f.tc, info)
	return &nf
}

// enterScope makes the scope of a frame entered inside parent: each name starts as its
// declaration says (parameters are set by the caller).
func (r *renderer) enterScope(parent *scope, tc *tctx, info *frameInfo) *scope {
	sc := &scope{parent: parent}
	if info == nil {
		return sc
	}
	sc.names = make([]string, len(info.decls), len(info.decls)+2)
	sc.vals = make([]value.Value, len(info.decls), len(info.decls)+2)
	for i, d := range info.decls {
		sc.names[i] = d.name
		switch d.kind {
		case loadResolve:
			sc.vals[i] = tc.resolve(d.name, r.env.globals)
		case loadAlias:
			sc.vals[i], _ = parent.lookupRaw(d.name)
		default:
			sc.vals[i] = missing
		}
	}
	return sc
}

type renderer struct {
	access
	api        *runtimeAPI // what filters and tests get
	env        *Env
	ctx        context.Context
	iterations int
	depth      int
	loaded     map[string]*Template
	modules    map[*Template]*module
}

func (t *Template) render(ctx context.Context, vars map[string]value.Value) (out string, err error) {
	r := &renderer{access: access{strict: t.env.cfg.Strict, sandboxed: t.env.cfg.Sandboxed}, env: t.env, ctx: ctx,
		loaded: map[string]*Template{}, modules: map[*Template]*module{}}
	r.api = &runtimeAPI{r}
	defer func() {
		if p := recover(); p != nil {
			out, err = "", &Error{Kind: "InternalError", Name: t.name, Message: fmt.Sprintf("internal error of the template engine: %v", p)}
		}
	}()
	if err := ctx.Err(); err != nil {
		return "", cancelled(err)
	}
	var b strings.Builder
	b.Grow(int(min(t.lastSize.Load(), int64(t.env.limits.OutputBytes))))
	if err := r.renderRoot(t, r.newContext(t, vars), &b); err != nil {
		return "", toError(err, t.name, 0)
	}
	t.lastSize.Store(int64(b.Len()))
	return b.String(), nil
}

// ---- output and bounds ----

func (f *frame) write(s string) error {
	r := f.r
	if f.out.Len()+len(s) > r.env.limits.OutputBytes {
		return &Error{Kind: "LimitError", Message: fmt.Sprintf("the rendered text exceeds the limit of %d bytes", r.env.limits.OutputBytes)}
	}
	f.out.WriteString(s)
	return nil
}

// tick counts one loop iteration of the render and checks cancellation.
func (r *renderer) tick() error {
	r.iterations++
	if r.iterations > r.env.limits.LoopIterations {
		return &Error{Kind: "LimitError", Message: fmt.Sprintf("the loops of the render exceed the limit of %d iterations", r.env.limits.LoopIterations)}
	}
	if r.iterations&255 == 0 {
		if err := r.ctx.Err(); err != nil {
			return cancelled(err)
		}
	}
	return nil
}

// enter counts one level of macro call, include, import or recursive loop.
func (r *renderer) enter() error {
	if r.depth >= r.env.limits.RecursionDepth {
		return &Error{Kind: "RecursionError", Message: fmt.Sprintf("maximum recursion depth exceeded (the limit is %d nested macro calls, includes, imports and recursive loops)", r.env.limits.RecursionDepth)}
	}
	if err := r.ctx.Err(); err != nil {
		return cancelled(err)
	}
	r.depth++
	return nil
}

func (r *renderer) leave() { r.depth-- }

// ---- names ----

func (f *frame) lookup(name string) value.Value {
	r := f.r
	v, ok := f.sc.lookupRaw(name)
	if !ok {
		v = f.tc.resolve(name, r.env.globals)
	}
	if v == missing {
		return value.NewUndefined(name, r.strict)
	}
	return v
}

func (r *renderer) undefinedHint(hint string) *value.Undefined {
	return &value.Undefined{Strict: r.strict, Hint: hint}
}

// pyQuote is Python's repr of a str, as messages quote names.
func pyQuote(s string) string { return value.ReprString(s) }

// ---- the Runtime of filters and tests ----

// runtimeAPI is the Runtime filters and tests get.
type runtimeAPI struct{ r *renderer }

var _ Runtime = (*runtimeAPI)(nil)

func (rt *runtimeAPI) Context() context.Context { return rt.r.ctx }
func (rt *runtimeAPI) Sandboxed() bool          { return rt.r.sandboxed }

func (rt *runtimeAPI) GetAttr(obj value.Value, name string) value.Value {
	v, err := rt.r.getattr(obj, name)
	if err != nil {
		return rt.failedLookup(obj, name, err)
	}
	return v
}

func (rt *runtimeAPI) GetItem(obj, key value.Value) value.Value {
	v, err := rt.r.getitem(obj, key)
	if err != nil {
		return rt.failedLookup(obj, key, err)
	}
	return v
}

// failedLookup is what GetAttr and GetItem answer when Jinja2 would raise (a lookup on an
// Undefined): a strict copy of the Undefined, which raises the same UndefinedError when used.
func (rt *runtimeAPI) failedLookup(obj, name value.Value, err error) value.Value {
	if u, ok := obj.(*value.Undefined); ok {
		c := *u
		c.Strict = true
		return &c
	}
	return &value.Undefined{Strict: rt.r.strict, Hint: toError(err, "", 0).Message, HasObj: true, Obj: obj, Name: name}
}

func (rt *runtimeAPI) Filter(name string, v value.Value, a Args) (value.Value, error) {
	fn, ok := rt.r.env.filters[name]
	if !ok {
		return nil, runtimeError("No filter named %s.", pyQuote(name))
	}
	return fn(rt, v, a)
}

func (rt *runtimeAPI) Test(name string, v value.Value, a Args) (bool, error) {
	fn, ok := rt.r.env.tests[name]
	if !ok {
		return false, runtimeError("No test named %s.", pyQuote(name))
	}
	return fn(rt, v, a)
}

func (rt *runtimeAPI) Call(fn value.Value, a Args) (value.Value, error) {
	return rt.r.call(fn, a.Pos, a.Kw)
}

func (rt *runtimeAPI) Undefined(hint string) value.Value { return rt.r.undefinedHint(hint) }

// HasFilter and HasTest tell whether the environment has a filter or test of the name (the
// `filter` and `test` tests).
func (rt *runtimeAPI) HasFilter(name string) bool { return rt.r.env.hasFilter(name) }
func (rt *runtimeAPI) HasTest(name string) bool   { return rt.r.env.hasTest(name) }
