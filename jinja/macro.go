package jinja

import (
	"strings"

	"github.com/infrahub-go/infrahub/jinja/syntax"
	"github.com/infrahub-go/infrahub/jinja/value"
)

// macro is Jinja2's Macro: a {% macro %} (or the caller of a {% call %} block), closed over the
// frame that defined it.
type macro struct {
	r        *renderer
	name     string // "" for the caller of a call block (Python's None)
	line     int
	args     []*syntax.Name
	defaults []syntax.Expr
	body     []syntax.Stmt
	info     *macroInfo
	closure  *scope
	tc       *tctx
	tpl      *Template
	escape   bool
}

func (r *renderer) newMacro(f *frame, name string, line int, args []*syntax.Name, defaults []syntax.Expr, body []syntax.Stmt, info *macroInfo) *macro {
	return &macro{r: r, name: name, line: line, args: args, defaults: defaults, body: body, info: info,
		closure: f.sc, tc: f.tc, tpl: f.cf.tpl, escape: f.autoescape}
}

func (m *macro) TypeName() string { return "Macro" }
func (m *macro) PyModule() string { return "jinja2.runtime" }
func (m *macro) PyRepr() string {
	if m.name == "" {
		return "<Macro anonymous>"
	}
	return "<Macro " + pyQuote(m.name) + ">"
}

// nameRepr is repr(self.name) in Macro's messages.
func (m *macro) nameRepr() string {
	if m.name == "" {
		return "None"
	}
	return pyQuote(m.name)
}

func (m *macro) Attr(name string) (value.Value, bool) {
	switch name {
	case "name":
		if m.name == "" {
			return nil, true
		}
		return m.name, true
	case "arguments":
		t := make(value.Tuple, len(m.info.args))
		for i, a := range m.info.args {
			t[i] = a
		}
		return t, true
	case "catch_kwargs":
		return m.info.kwargs, true
	case "catch_varargs":
		return m.info.varargs, true
	case "caller":
		return m.info.caller, true
	}
	return nil, false
}

// Call is Macro.__call__: bind the arguments as Jinja2 does, then run the body.
func (m *macro) Call(args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
	return m.call(args, kwargs)
}

func (m *macro) call(args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
	info := m.info
	n := len(info.args)
	bound := make([]value.Value, 0, n+3)
	bound = append(bound, args[:min(n, len(args))]...)
	kw := append([]value.Kwarg(nil), kwargs...)
	pop := func(name string) (value.Value, bool) {
		for i, k := range kw {
			if k.Name == name {
				kw = append(kw[:i], kw[i+1:]...)
				return k.Value, true
			}
		}
		return nil, false
	}
	foundCaller := info.explicitCaller
	if len(bound) != n {
		foundCaller = false
		for _, name := range info.args[len(bound):] {
			v, ok := pop(name)
			if !ok {
				v = missing
			}
			if name == "caller" {
				foundCaller = true
			}
			bound = append(bound, v)
		}
	}
	names := info.args
	if info.caller && !foundCaller {
		c, ok := pop("caller")
		if !ok || c == nil {
			c = &value.Undefined{Strict: m.r.strict, Hint: "No caller defined"}
		}
		bound = append(bound, c)
		names = append(names[:n:n], "caller")
	}
	if info.kwargs {
		d := value.NewDict()
		for _, k := range kw {
			d.SetStr(k.Name, k.Value)
		}
		bound = append(bound, d)
		names = append(names[:len(names):len(names)], "kwargs")
	} else if len(kw) > 0 {
		for _, k := range kw {
			if k.Name == "caller" {
				return nil, value.Errorf("TypeError", "macro %s was invoked with two values for the special caller argument. This is most likely a bug.", m.nameRepr())
			}
		}
		return nil, value.Errorf("TypeError", "macro %s takes no keyword argument %s", m.nameRepr(), pyQuote(kw[0].Name))
	}
	if info.varargs {
		var rest value.Tuple
		if len(args) > n {
			rest = append(value.Tuple{}, args[n:]...)
		} else {
			rest = value.Tuple{}
		}
		bound = append(bound, rest)
		names = append(names[:len(names):len(names)], "varargs")
	} else if len(args) > n {
		return nil, value.Errorf("TypeError", "macro %s takes not more than %d argument(s)", m.nameRepr(), n)
	}
	return m.invoke(names, bound)
}

// invoke runs the body with the bound arguments, in a code frame of its own.
func (m *macro) invoke(names []string, bound []value.Value) (value.Value, error) {
	r := m.r
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	cf := &codeFrame{tpl: m.tpl, line: m.line}
	sc := r.enterScope(m.closure, m.tc, m.info.frame)
	for i, name := range names {
		sc.set(name, bound[i])
	}
	var buf strings.Builder
	f := &frame{r: r, sc: sc, tc: m.tc, cf: cf, out: &buf, autoescape: m.escape}
	for i, a := range m.args {
		if bound[i] != missing {
			continue
		}
		if d := i - len(m.args) + len(m.defaults); d >= 0 {
			cf.line = m.line
			v, err := r.eval(f, m.defaults[d])
			if err != nil {
				return nil, locate(err, cf)
			}
			sc.set(a.Name, v)
			continue
		}
		sc.set(a.Name, &value.Undefined{Strict: r.strict, Hint: "parameter " + pyQuote(a.Name) + " was not provided", Name: a.Name})
	}
	if err := f.execBody(m.body); err != nil {
		return nil, locate(err, cf)
	}
	if m.escape { // Jinja2 marks what a macro defined under autoescaping renders safe
		return value.Markup(buf.String()), nil
	}
	return buf.String(), nil
}
