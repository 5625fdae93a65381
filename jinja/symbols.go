package jinja

import "github.com/infrahub-go/infrahub/jinja/syntax"

// Jinja2 decides at compile time which names a frame (the template's body, a block, a macro, a
// loop body, a with block...) owns and how each starts when the frame is entered (jinja2's
// idtracking): a parameter is set by the construct (loop target, macro argument), a name read
// before being assigned starts with the context's value (resolve), a name assigned in the frame
// that an enclosing frame also owns starts with that frame's value (alias), any other assigned
// name starts missing (undefined until assigned). A read of a name walks the frames outwards to
// the first that owns it. This file ports that analysis; the renderer mirrors each frame with a
// scope holding exactly the names the frame owns, which gives Jinja2's scoping, closures of
// macros included.

// loadKind is how a name a frame owns starts when the frame is entered.
type loadKind uint8

const (
	loadParam     loadKind = iota // set by the construct
	loadResolve                   // the context's value (missing when absent)
	loadAlias                     // the value of the enclosing frame that owns the name
	loadUndefined                 // missing
)

// decl is one name a frame owns.
type decl struct {
	name string
	kind loadKind
}

// frameInfo lists the names a frame owns, in the order Jinja2 declares them.
type frameInfo struct{ decls []decl }

// symbols is jinja2.idtracking.Symbols, names only (a reference is identified by its name and
// the frame owning it).
type symbols struct {
	parent *symbols
	kinds  map[string]loadKind
	order  []string
	stores map[string]bool
}

func newSymbols(parent *symbols) *symbols {
	return &symbols{parent: parent, kinds: map[string]loadKind{}, stores: map[string]bool{}}
}

func (s *symbols) define(name string, k loadKind) {
	if _, ok := s.kinds[name]; !ok {
		s.order = append(s.order, name)
	}
	s.kinds[name] = k
}

func (s *symbols) findRef(name string) bool {
	for p := s; p != nil; p = p.parent {
		if _, ok := p.kinds[name]; ok {
			return true
		}
	}
	return false
}

func (s *symbols) store(name string) {
	s.stores[name] = true
	if _, ok := s.kinds[name]; ok {
		return
	}
	if s.parent != nil && s.parent.findRef(name) {
		s.define(name, loadAlias)
		return
	}
	s.define(name, loadUndefined)
}

func (s *symbols) declareParameter(name string) {
	s.stores[name] = true
	s.define(name, loadParam)
}

func (s *symbols) load(name string) {
	if !s.findRef(name) {
		s.define(name, loadResolve)
	}
}

func (s *symbols) copy() *symbols {
	c := &symbols{parent: s.parent, kinds: make(map[string]loadKind, len(s.kinds)),
		order: append([]string(nil), s.order...), stores: make(map[string]bool, len(s.stores))}
	for k, v := range s.kinds {
		c.kinds[k] = v
	}
	for k := range s.stores {
		c.stores[k] = true
	}
	return c
}

// branchUpdate merges the symbols of the branches of an if: a name assigned in some branch only
// starts with the enclosing frame's value, or the context's.
func (s *symbols) branchUpdate(branches []*symbols) {
	var stores []string
	seen := map[string]bool{}
	for _, b := range branches {
		for _, name := range b.order {
			if b.stores[name] && !s.stores[name] && !seen[name] {
				seen[name] = true
				stores = append(stores, name)
			}
		}
		// stores without a reference of their own cannot happen: store defines one
	}
	for _, b := range branches {
		for _, name := range b.order {
			s.define(name, b.kinds[name])
		}
		for name := range b.stores {
			s.stores[name] = true
		}
	}
	for _, name := range stores {
		if s.parent != nil && s.parent.findRef(name) {
			s.kinds[name] = loadAlias
			continue
		}
		s.kinds[name] = loadResolve
	}
}

func (s *symbols) info() *frameInfo {
	fi := &frameInfo{decls: make([]decl, 0, len(s.order))}
	for _, name := range s.order {
		fi.decls = append(fi.decls, decl{name, s.kinds[name]})
	}
	return fi
}

// frameVisitor is jinja2.idtracking.FrameSymbolVisitor: what a frame's own statements declare.
type frameVisitor struct{ sym *symbols }

func (v *frameVisitor) visit(n syntax.Node, param bool) {
	switch n := n.(type) {
	case nil:
	case *syntax.Name:
		switch {
		case param || n.Ctx == syntax.CtxParam:
			v.sym.declareParameter(n.Name)
		case n.Ctx == syntax.CtxStore:
			v.sym.store(n.Name)
		default:
			v.sym.load(n.Name)
		}
	case *syntax.NSRef:
		v.sym.load(n.Name)
	case *syntax.If:
		v.visit(n.Test, param)
		orig := v.sym
		branch := func(visit func()) *symbols {
			v.sym = orig.copy()
			visit()
			rv := v.sym
			v.sym = orig
			return rv
		}
		body := branch(func() { v.stmts(n.Body, param) })
		elif := branch(func() {
			for _, e := range n.Elif {
				v.visit(e, param)
			}
		})
		els := branch(func() { v.stmts(n.Else, param) })
		v.sym.branchUpdate([]*symbols{body, elif, els})
	case *syntax.Macro:
		v.sym.store(n.Name)
	case *syntax.Import:
		v.visit(n.Template, param)
		v.sym.store(n.Target)
	case *syntax.FromImport:
		v.visit(n.Template, param)
		for _, in := range n.Names {
			v.sym.store(importAlias(in))
		}
	case *syntax.Assign:
		v.visit(n.Node, param)
		v.visit(n.Target, param)
	case *syntax.For:
		v.visit(n.Iter, param)
	case *syntax.CallBlock:
		v.visit(n.Call, param)
	case *syntax.FilterBlock:
		v.visit(n.Filter, param)
	case *syntax.With:
		for _, e := range n.Values {
			v.visit(e, false)
		}
	case *syntax.AssignBlock:
		v.visit(n.Target, param)
	case *syntax.Autoescape, *syntax.Block:
		// a frame of its own
	default:
		for _, c := range syntax.Children(n) {
			v.visit(c, param)
		}
	}
}

func (v *frameVisitor) stmts(ss []syntax.Stmt, param bool) {
	for _, s := range ss {
		v.visit(s, param)
	}
}

func importAlias(in syntax.ImportName) string {
	if in.Alias != "" {
		return in.Alias
	}
	return in.Name
}

// The root visitors (jinja2.idtracking.RootVisitor): what a frame-making node declares in the
// frame it makes.

func analyzeBody(sym *symbols, body []syntax.Stmt) *frameInfo {
	v := &frameVisitor{sym}
	v.stmts(body, false)
	return sym.info()
}

// analyzeMacro analyzes a macro or call block body frame; specials are the parameters the
// body uses without declaring them (caller, kwargs, varargs), declared last.
func analyzeMacro(sym *symbols, args []*syntax.Name, defaults []syntax.Expr, body []syntax.Stmt, specials []string) *frameInfo {
	v := &frameVisitor{sym}
	run := func() {
		for _, a := range args {
			v.visit(a, false)
		}
		for _, d := range defaults {
			v.visit(d, false)
		}
		v.stmts(body, false)
	}
	run()
	for _, s := range specials {
		sym.declareParameter(s)
	}
	run()
	return sym.info()
}

// findUndeclared is jinja2.compiler.find_undeclared: which of names the nodes read before any
// assignment of them, not looking into blocks.
func findUndeclared(nodes []syntax.Node, names ...string) map[string]bool {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	found := map[string]bool{}
	var visit func(n syntax.Node) bool
	visit = func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Name:
			if n.Ctx == syntax.CtxLoad && want[n.Name] {
				found[n.Name] = true
				if sameKeys(found, want) {
					return false
				}
			} else {
				delete(want, n.Name)
			}
			return true
		case *syntax.Block:
			return true
		}
		for _, c := range syntax.Children(n) {
			if !visit(c) {
				return false
			}
		}
		return true
	}
	for _, n := range nodes {
		if !visit(n) {
			break
		}
	}
	return found
}

func stmtNodes(ss []syntax.Stmt) []syntax.Node {
	out := make([]syntax.Node, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func sameKeys(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
