package jinja

import (
	"errors"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/syntax"
	"github.com/infrahub-go/infrahub/jinja/value"
)

// ---- loading templates at run time ----

// getTemplate is environment.get_template(name) of a render (each name is loaded once per
// render).
func (r *renderer) getTemplate(name value.Value) (*Template, error) {
	if r.env.cfg.Loader == nil {
		return nil, value.Errorf("TypeError", "no loader for this environment specified")
	}
	s, ok := name.(string)
	if !ok {
		if u, isU := name.(*value.Undefined); isU {
			return nil, u.Err()
		}
		return nil, value.Errorf("AttributeError", "'%s' object has no attribute 'split'", value.TypeName(name))
	}
	if t, ok := r.loaded[s]; ok {
		return t, nil
	}
	t, err := r.env.load(s)
	if err != nil {
		return nil, err
	}
	r.loaded[s] = t
	return t, nil
}

// selectTemplate is environment.select_template: the first of names that exists.
func (r *renderer) selectTemplate(names value.Value) (*Template, error) {
	if u, ok := names.(*value.Undefined); ok {
		return nil, u.Err()
	}
	if ok, err := value.Truth(names); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, &Error{Kind: "TemplatesNotFound", Message: "Tried to select from an empty list of templates."}
	}
	items, err := value.ToList(names)
	if err != nil {
		return nil, err
	}
	for _, n := range items {
		t, err := r.getTemplate(n)
		if err == nil {
			return t, nil
		}
		if !isNotFound(err) && !value.IsKind(err, "UndefinedError") {
			return nil, err
		}
	}
	strs := make([]string, len(items))
	for i, n := range items {
		strs[i], _ = value.Str(n)
	}
	return nil, &Error{Kind: "TemplatesNotFound", Message: "none of the templates given were found: " + strings.Join(strs, ", ")}
}

func isNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Kind == "TemplateNotFound" || e.Kind == "TemplatesNotFound")
}

// ---- inheritance ----

func (f *frame) execExtends(n *syntax.Extends) error {
	r := f.r
	if f.cf.parent != nil {
		return runtimeError("extended multiple times")
	}
	f.cf.line = n.Line
	name, err := r.eval(f, n.Template)
	if err != nil {
		return err
	}
	parent, err := r.getTemplate(name)
	if err != nil {
		return err
	}
	for _, bn := range parent.prog.blockOrder {
		f.tc.blocks[bn] = append(f.tc.blocks[bn], &blockRef{tpl: parent, info: parent.prog.blocks[bn]})
	}
	f.cf.parent = parent
	return nil
}

func (f *frame) execBlock(n *syntax.Block) error {
	r := f.r
	if f.toplevel && f.cf.parent != nil {
		return nil
	}
	f.cf.line = n.Line
	tc := f.tc
	if n.Scoped {
		tc = tc.derived(f.sc.locals())
	}
	stack := tc.blocks[n.Name]
	if n.Required && len(stack) <= 1 {
		return runtimeError("Required block %s not found", pyQuote(n.Name))
	}
	return r.renderBlock(stack[0], tc, f.out)
}

// derived is Context.derived(locals): a context for a scoped block.
func (tc *tctx) derived(locals map[string]value.Value) *tctx {
	d := &tctx{tpl: tc.tpl, parent: tc.all(locals), vars: map[string]value.Value{}, blocks: make(map[string][]*blockRef, len(tc.blocks))}
	for k, v := range tc.blocks {
		d.blocks[k] = append([]*blockRef(nil), v...)
	}
	return d
}

// renderBlock runs a block's function with the context tc.
func (r *renderer) renderBlock(ref *blockRef, tc *tctx, out *strings.Builder) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	cf := &codeFrame{tpl: ref.tpl, line: ref.info.node.Line}
	sc := r.enterScope(nil, tc, ref.info.frame)
	if ref.info.self {
		sc.set("self", &templateRef{r: r, tc: tc})
	}
	if ref.info.super {
		sc.set("super", r.superOf(tc, ref))
	}
	f := &frame{r: r, sc: sc, tc: tc, cf: cf, out: out}
	if err := f.execBody(ref.info.node.Body); err != nil {
		return locate(err, cf)
	}
	return nil
}

// superOf is Context.super(name, current): the next block of the stack, or an Undefined.
func (r *renderer) superOf(tc *tctx, cur *blockRef) value.Value {
	name := cur.info.node.Name
	stack := tc.blocks[name]
	for i, b := range stack {
		if b == cur {
			if i+1 < len(stack) {
				return &blockReference{r: r, name: name, tc: tc, stack: stack, depth: i + 1}
			}
			break
		}
	}
	return r.undefinedHint("there is no parent block called " + pyQuote(name) + ".")
}

// blockReference is Jinja2's BlockReference: super(), self.name.
type blockReference struct {
	r     *renderer
	name  string
	tc    *tctx
	stack []*blockRef
	depth int
}

func (b *blockReference) TypeName() string { return "BlockReference" }
func (b *blockReference) PyModule() string { return "jinja2.runtime" }
func (b *blockReference) Attr(name string) (value.Value, bool) {
	if name != "super" {
		return nil, false
	}
	if b.depth+1 >= len(b.stack) {
		return b.r.undefinedHint("there is no parent block called " + pyQuote(b.name) + "."), true
	}
	return &blockReference{r: b.r, name: b.name, tc: b.tc, stack: b.stack, depth: b.depth + 1}, true
}

func (b *blockReference) Call(args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
	if len(args)+len(kwargs) > 0 {
		return nil, value.Errorf("TypeError", "BlockReference.__call__() takes 1 positional argument but %d were given", 1+len(args)+len(kwargs))
	}
	var buf strings.Builder
	if err := b.r.renderBlock(b.stack[b.depth], b.tc, &buf); err != nil {
		return nil, err
	}
	return buf.String(), nil
}

// templateRef is Jinja2's TemplateReference, `self`: self.name is the block name.
type templateRef struct {
	r  *renderer
	tc *tctx
}

func (t *templateRef) TypeName() string                { return "TemplateReference" }
func (t *templateRef) PyModule() string                { return "jinja2.runtime" }
func (t *templateRef) Attr(string) (value.Value, bool) { return nil, false }
func (t *templateRef) PyRepr() string {
	if t.tc.tpl.name == stringTemplateName {
		return "<TemplateReference None>"
	}
	return "<TemplateReference " + pyQuote(t.tc.tpl.name) + ">"
}

func (t *templateRef) PyGetItem(key value.Value) (value.Value, error) {
	name, _ := key.(string)
	stack, ok := t.tc.blocks[name]
	if !ok {
		return nil, &value.Error{Kind: "KeyError", Message: value.ReprString(key)}
	}
	return &blockReference{r: t.r, name: name, tc: t.tc, stack: stack}, nil
}

// ---- include and import ----

func (f *frame) execInclude(n *syntax.Include) error {
	r := f.r
	f.cf.line = n.Line
	name, err := r.eval(f, n.Template)
	if err != nil {
		return err
	}
	var t *Template
	switch x := name.(type) {
	case string, *value.Undefined:
		t, err = r.getTemplate(x)
	default:
		t, err = r.selectTemplate(x)
	}
	if err != nil {
		if n.IgnoreMissing && isNotFound(err) {
			return nil
		}
		return err
	}
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if !n.WithContext {
		m, err := r.defaultModule(t)
		if err != nil {
			return err
		}
		return f.write(m.body)
	}
	tc := r.newContext(t, f.tc.all(f.sc.locals()))
	return r.renderRoot(t, tc, f.out)
}

// module is Jinja2's TemplateModule: what a template exports (its public top-level variables
// and macros) and the text its body rendered.
type module struct {
	name    string
	body    string
	exports map[string]value.Value
}

func (m *module) TypeName() string { return "TemplateModule" }
func (m *module) PyModule() string { return "jinja2.environment" }
func (m *module) PyStr() (string, error) {
	return m.body, nil
}
func (m *module) PyRepr() string { return "<TemplateModule " + pyQuote(m.name) + ">" }
func (m *module) Attr(name string) (value.Value, bool) {
	v, ok := m.exports[name]
	return v, ok
}

// makeModule renders t with a new context over vars and collects its exports.
func (r *renderer) makeModule(t *Template, vars map[string]value.Value) (*module, error) {
	tc := r.newContext(t, vars)
	var buf strings.Builder
	if err := r.renderRoot(t, tc, &buf); err != nil {
		return nil, err
	}
	m := &module{name: t.name, body: buf.String(), exports: make(map[string]value.Value, len(tc.exported))}
	for _, k := range tc.exported {
		m.exports[k] = tc.vars[k]
	}
	return m, nil
}

// defaultModule is the module of t rendered without context, made once per render.
func (r *renderer) defaultModule(t *Template) (*module, error) {
	if m, ok := r.modules[t]; ok {
		return m, nil
	}
	m, err := r.makeModule(t, map[string]value.Value{})
	if err != nil {
		return nil, err
	}
	r.modules[t] = m
	return m, nil
}

func (f *frame) importModule(tplExpr syntax.Expr, withContext bool) (*module, error) {
	r := f.r
	name, err := r.eval(f, tplExpr)
	if err != nil {
		return nil, err
	}
	t, err := r.getTemplate(name)
	if err != nil {
		return nil, err
	}
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	if withContext {
		return r.makeModule(t, f.tc.all(f.sc.locals()))
	}
	return r.defaultModule(t)
}

func (f *frame) execImport(n *syntax.Import) error {
	f.cf.line = n.Line
	m, err := f.importModule(n.Template, n.WithContext)
	if err != nil {
		return err
	}
	f.sc.set(n.Target, m)
	if f.toplevel {
		f.tc.vars[n.Target] = m
		f.tc.unexport(n.Target)
	}
	return nil
}

func (f *frame) execFromImport(n *syntax.FromImport) error {
	r := f.r
	f.cf.line = n.Line
	m, err := f.importModule(n.Template, n.WithContext)
	if err != nil {
		return err
	}
	for _, in := range n.Names {
		alias := importAlias(in)
		v, ok := m.exports[in.Name]
		if !ok {
			v = r.undefinedHint("the template " + pyQuote(m.name) + " (imported on " + position(f.cf.tpl, n.Line) +
				") does not export the requested name " + pyQuote(in.Name))
		}
		f.sc.set(alias, v)
		if f.toplevel {
			f.tc.vars[alias] = v
			f.tc.unexport(alias)
		}
	}
	return nil
}
