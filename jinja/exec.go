package jinja

import (
	"strings"

	"github.com/infrahub-go/infrahub/jinja/syntax"
	"github.com/infrahub-go/infrahub/jinja/value"
)

// renderRoot runs a template's body with the context tc, then the body of the template it
// extends, if any, with the same context.
func (r *renderer) renderRoot(t *Template, tc *tctx, out *strings.Builder) error {
	cf := &codeFrame{tpl: t, line: 1}
	sc := r.enterScope(nil, tc, t.prog.root)
	if t.prog.rootSelf {
		sc.set("self", &templateRef{r: r, tc: tc})
	}
	f := &frame{r: r, sc: sc, tc: tc, cf: cf, out: out, toplevel: true, outputCheck: t.prog.hasExtends}
	if err := f.execBody(t.prog.body); err != nil {
		return locate(err, cf)
	}
	if cf.parent == nil {
		return nil
	}
	if err := r.enter(); err != nil {
		return locate(err, cf)
	}
	defer r.leave()
	return r.renderRoot(cf.parent, tc, out)
}

func (f *frame) execBody(ss []syntax.Stmt) error {
	for _, s := range ss {
		if err := f.exec(s); err != nil {
			return err
		}
	}
	return nil
}

func (f *frame) exec(s syntax.Stmt) error {
	r := f.r
	prog := f.cf.tpl.prog
	switch n := s.(type) {
	case *syntax.Output:
		return f.execOutput(n)
	case *syntax.If:
		return f.execIf(n)
	case *syntax.For:
		return f.execFor(n)
	case *syntax.Assign:
		f.cf.line = n.Line
		if err := f.checkNamespaces(n.Target); err != nil {
			return err
		}
		v, err := r.eval(f, n.Node)
		if err != nil {
			return err
		}
		return f.assign(n.Target, v)
	case *syntax.AssignBlock:
		return f.execAssignBlock(n, prog.frames[n])
	case *syntax.Macro:
		m := r.newMacro(f, n.Name, n.Line, n.Args, n.Defaults, n.Body, prog.macros[n])
		f.sc.set(n.Name, m)
		if f.toplevel {
			f.tc.vars[n.Name] = m
			f.tc.export(n.Name)
		}
		return nil
	case *syntax.CallBlock:
		caller := r.newMacro(f, "", n.Line, n.Args, n.Defaults, n.Body, prog.macros[n])
		f.cf.line = n.Line
		v, err := r.evalCall(f, n.Call, caller)
		if err != nil {
			return err
		}
		return f.writeValue(v, false)
	case *syntax.FilterBlock:
		inner := f.inner(prog.frames[n])
		var buf strings.Builder
		inner.out = &buf
		if err := inner.execBody(n.Body); err != nil {
			return err
		}
		f.cf.line = n.Line
		v, err := r.evalFilter(inner, n.Filter, buf.String())
		if err != nil {
			return err
		}
		return f.writeValue(v, false)
	case *syntax.With:
		inner := f.inner(prog.frames[n])
		f.cf.line = prog.withLines[n]
		for i, t := range n.Targets {
			v, err := r.eval(f, n.Values[i])
			if err != nil {
				return err
			}
			if err := inner.assign(t, v); err != nil {
				return err
			}
		}
		return inner.execBody(n.Body)
	case *syntax.Block:
		return f.execBlock(n)
	case *syntax.Extends:
		return f.execExtends(n)
	case *syntax.Include:
		return f.execInclude(n)
	case *syntax.Import:
		return f.execImport(n)
	case *syntax.FromImport:
		return f.execFromImport(n)
	case *syntax.Autoescape:
		inner := f.inner(prog.frames[n])
		f.cf.line = n.Line
		on, err := r.truth(inner, n.Value)
		if err != nil {
			return err
		}
		inner.autoescape = on
		return inner.execBody(n.Body)
	}
	return nil
}

func (f *frame) execOutput(n *syntax.Output) error {
	r := f.r
	if f.outputCheck && f.cf.parent != nil {
		return nil
	}
	for _, e := range n.Nodes {
		if d, ok := e.(*syntax.Data); ok {
			if err := f.write(d.Data); err != nil {
				return err
			}
			continue
		}
		f.cf.line = e.Lineno()
		v, err := r.eval(f, e)
		if err != nil {
			return err
		}
		if err := f.writeValue(v, f.autoescape); err != nil {
			return err
		}
	}
	return nil
}

// writeValue writes str(v), or its HTML escape when escape is set.
func (f *frame) writeValue(v value.Value, escape bool) error {
	r := f.r
	if s, ok := v.(string); ok && !escape {
		return f.write(s)
	}
	s, err := r.str(v, escape)
	if err != nil {
		return err
	}
	return f.write(s)
}

func (r *renderer) str(v value.Value, escape bool) (string, error) {
	if escape {
		if h, ok := v.(htmlSafe); ok {
			return h.HTML(), nil
		}
	}
	s, err := value.Str(v)
	if err != nil || !escape {
		return s, err
	}
	return htmlEscapeString(s), nil
}

// htmlSafe is a value that is already HTML (markupsafe's __html__ protocol): autoescaping writes
// it as is. Markup values implement it.
type htmlSafe interface{ HTML() string }

// htmlEscapeString is markupsafe.escape of a str.
func htmlEscapeString(s string) string { return value.EscapeString(s) }

func (f *frame) execIf(n *syntax.If) error {
	r := f.r
	f.cf.line = n.Line
	ok, err := r.truth(f, n.Test)
	if err != nil || ok {
		if err != nil {
			return err
		}
		return f.execBody(n.Body)
	}
	for _, e := range n.Elif {
		f.cf.line = e.Line
		ok, err := r.truth(f, e.Test)
		if err != nil {
			return err
		}
		if ok {
			return f.execBody(e.Body)
		}
	}
	return f.execBody(n.Else)
}

func (f *frame) execAssignBlock(n *syntax.AssignBlock, info *frameInfo) error {
	r := f.r
	inner := f.inner(info)
	inner.outputCheck = false
	var buf strings.Builder
	inner.out = &buf
	if err := inner.execBody(n.Body); err != nil {
		return err
	}
	f.cf.line = n.Line
	if err := f.checkNamespaces(n.Target); err != nil {
		return err
	}
	var v value.Value = buf.String()
	if n.Filter != nil {
		var err error
		if v, err = r.evalFilter(inner, n.Filter, v); err != nil {
			return err
		}
	}
	return f.assign(n.Target, v)
}

// assign stores v into target (a Name, an NSRef or a Tuple of them) in the frame's scope; at the
// top level of a template a name is also a context variable, exported when public.
func (f *frame) assign(target syntax.Expr, v value.Value) error {
	switch t := target.(type) {
	case *syntax.Name:
		f.sc.set(t.Name, v)
		if f.toplevel {
			f.tc.vars[t.Name] = v
			f.tc.export(t.Name)
		}
	case *syntax.NSRef:
		ns, ok := f.namespace(t.Name)
		if !ok {
			return runtimeError("cannot assign attribute on non-namespace object")
		}
		ns.Attrs.SetStr(t.Attr, v)
	case *syntax.Tuple:
		items, err := unpack(v, len(t.Items))
		if err != nil {
			return err
		}
		for i, it := range t.Items {
			if err := f.assign(it, items[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *frame) namespace(name string) (*value.Namespace, bool) {
	r := f.r
	v, found := f.sc.lookupRaw(name)
	if !found {
		v = f.tc.resolve(name, r.env.globals)
	}
	ns, ok := v.(*value.Namespace)
	return ns, ok
}

// checkNamespaces fails as Jinja2 does before evaluating the value of a {% set ns.x = ... %}
// whose ns is not a namespace.
func (f *frame) checkNamespaces(target syntax.Expr) error {
	switch t := target.(type) {
	case *syntax.NSRef:
		if _, ok := f.namespace(t.Name); !ok {
			return runtimeError("cannot assign attribute on non-namespace object")
		}
	case *syntax.Tuple:
		for _, it := range t.Items {
			if err := f.checkNamespaces(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// unpack is Python's `a, b = v`: exactly n items.
func unpack(v value.Value, n int) ([]value.Value, error) {
	seq, err := value.Iterate(v)
	if err != nil {
		if value.IsKind(err, "TypeError") {
			return nil, value.Errorf("TypeError", "cannot unpack non-iterable %s object", value.TypeName(v))
		}
		return nil, err
	}
	items := make([]value.Value, 0, n)
	for it := range seq {
		if len(items) == n {
			return nil, value.Errorf("ValueError", "too many values to unpack (expected %d)", n)
		}
		items = append(items, it)
	}
	if len(items) < n {
		return nil, value.Errorf("ValueError", "not enough values to unpack (expected %d, got %d)", n, len(items))
	}
	return items, nil
}
