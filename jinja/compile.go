package jinja

import (
	"fmt"

	"github.com/infrahub-go/infrahub/jinja/syntax"
)

// program is a parsed template with what Jinja2's compiler works out before running it: the
// names each frame owns (symbols.go), its blocks, and the checks Jinja2 makes at compile time
// (a block defined twice, extends below the top level, assigning 'loop', a macro's caller
// argument without default, an unknown filter or test outside an if).
type program struct {
	name       string
	body       []syntax.Stmt
	hasExtends bool
	root       *frameInfo
	rootSelf   bool
	blocks     map[string]*blockInfo
	blockOrder []string
	frames     map[syntax.Node]*frameInfo // With, AssignBlock, FilterBlock, Autoescape
	fors       map[*syntax.For]*forInfo
	macros     map[syntax.Node]*macroInfo // Macro, CallBlock
	// withLines is the line a runtime error in a With's values reports: Jinja2 marks no line for
	// them, so the traceback names the last line marked before in the generated code.
	withLines map[*syntax.With]int
}

type blockInfo struct {
	node        *syntax.Block
	frame       *frameInfo
	self, super bool
}

type forInfo struct {
	loop, els, test *frameInfo
	extended        bool // the body needs the loop object
}

type macroInfo struct {
	frame          *frameInfo
	args           []string
	caller         bool // the body reads caller (and no argument declares it)
	kwargs         bool
	varargs        bool
	explicitCaller bool
}

// cframe is the compiler's view of a frame.
type cframe struct {
	sym                *symbols
	toplevel, soft     bool
	rootlevel          bool
	requireOutputCheck bool
}

func (f cframe) inner() cframe {
	return cframe{sym: newSymbols(f.sym), requireOutputCheck: f.requireOutputCheck}
}

type compiler struct {
	p              *program
	hasFilter      func(string) bool
	hasTest        func(string) bool
	extendsSoFar   int
	hasKnownExtend bool
	lastMark       int    // the line of the last node marked in the generated code
	pySyntax       *Error // the first error Python's compile() would raise on the generated code
}

type compilerExit struct{}

// compile checks and analyzes a parsed template; a failure is a TemplateAssertionError.
func compile(tpl *syntax.Template, name string, hasFilter, hasTest func(string) bool) (p *program, err error) {
	p = &program{name: name, body: tpl.Body, blocks: map[string]*blockInfo{}, frames: map[syntax.Node]*frameInfo{},
		fors: map[*syntax.For]*forInfo{}, macros: map[syntax.Node]*macroInfo{}, withLines: map[*syntax.With]int{}}
	c := &compiler{p: p, hasFilter: hasFilter, hasTest: hasTest, lastMark: 1}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*syntax.Error)
			if !ok {
				panic(r)
			}
			p, err = nil, e
		}
	}()
	tpl.WalkTemplate(func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Extends:
			p.hasExtends = true
		case *syntax.Block:
			if _, dup := p.blocks[n.Name]; dup {
				c.fail(fmt.Sprintf("block %s defined twice", pyQuote(n.Name)), n.Line)
			}
			p.blocks[n.Name] = &blockInfo{node: n}
			p.blockOrder = append(p.blockOrder, n.Name)
		}
		return true
	})
	sym := newSymbols(nil)
	if findUndeclared(stmtNodes(tpl.Body), "self")["self"] {
		sym.declareParameter("self")
		p.rootSelf = true
	}
	p.root = analyzeBody(sym, tpl.Body)
	c.blockvisit(tpl.Body, cframe{sym: sym, toplevel: true, rootlevel: true, requireOutputCheck: p.hasExtends})
	for _, name := range p.blockOrder {
		b := p.blocks[name]
		bsym := newSymbols(nil)
		und := findUndeclared(stmtNodes(b.node.Body), "self", "super")
		if und["self"] {
			bsym.declareParameter("self")
			b.self = true
		}
		if und["super"] {
			bsym.declareParameter("super")
			b.super = true
		}
		b.frame = analyzeBody(bsym, b.node.Body)
		c.lastMark = b.node.Line
		c.blockvisit(b.node.Body, cframe{sym: bsym})
	}
	if c.pySyntax != nil {
		return nil, c.pySyntax
	}
	return p, nil
}

// pythonSyntaxError records what Python's compile() refuses in the code Jinja2 generates (a
// repeated macro argument or keyword argument, a slice in a tuple); it is raised after Jinja2's
// own checks. As in Python, the error has no template line (0): the message names it.
func (c *compiler) pythonSyntaxError(msg string, line int) {
	if c.pySyntax == nil {
		c.pySyntax = &Error{Kind: "SyntaxError", Message: fmt.Sprintf("%s (line %d)", msg, line), Name: c.p.name}
	}
}

func (c *compiler) fail(msg string, line int) {
	panic(&syntax.Error{Message: msg, Line: line, Name: c.p.name, Assertion: true})
}

// blockvisit compiles statements; a second extends after a known one ends them (CompilerExit).
func (c *compiler) blockvisit(ss []syntax.Stmt, f cframe) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(compilerExit); !ok {
				panic(r)
			}
		}
	}()
	for _, s := range ss {
		c.stmt(s, f)
	}
}

func (c *compiler) stmt(s syntax.Stmt, f cframe) {
	switch n := s.(type) {
	case *syntax.Output:
		if c.hasKnownExtend && f.requireOutputCheck {
			return
		}
		for _, e := range n.Nodes {
			if _, isData := e.(*syntax.Data); !isData {
				c.lastMark = e.Lineno()
			}
			c.expr(e, f)
		}
	case *syntax.Extends:
		if !f.toplevel {
			c.fail("cannot use extend from a non top-level scope", n.Line)
		}
		if c.extendsSoFar > 0 && c.hasKnownExtend {
			panic(compilerExit{})
		}
		c.lastMark = n.Line
		c.expr(n.Template, f)
		if f.rootlevel {
			c.hasKnownExtend = true
		}
		c.extendsSoFar++
	case *syntax.For:
		c.forStmt(n, f)
	case *syntax.If:
		soft := f
		soft.soft, soft.rootlevel = true, false
		c.lastMark = n.Line
		c.expr(n.Test, soft)
		c.blockvisit(n.Body, soft)
		for _, e := range n.Elif {
			c.lastMark = e.Line
			c.expr(e.Test, soft)
			c.blockvisit(e.Body, soft)
		}
		c.blockvisit(n.Else, soft)
	case *syntax.Macro:
		c.macroBody(n, n.Args, n.Defaults, n.Body, f)
	case *syntax.CallBlock:
		c.macroBody(n, n.Args, n.Defaults, n.Body, f)
		c.lastMark = n.Line
		c.expr(n.Call, f)
	case *syntax.FilterBlock:
		inner := f.inner()
		v := &frameVisitor{inner.sym}
		v.stmts(n.Body, false)
		v.visit(n.Filter, false)
		c.p.frames[n] = inner.sym.info()
		c.blockvisit(n.Body, inner)
		c.lastMark = n.Line
		c.expr(n.Filter, inner)
	case *syntax.With:
		inner := f.inner()
		v := &frameVisitor{inner.sym}
		for _, t := range n.Targets {
			v.visit(t, false)
		}
		v.stmts(n.Body, false)
		c.p.frames[n] = inner.sym.info()
		c.p.withLines[n] = c.lastMark
		for _, e := range n.Values {
			c.expr(e, f)
		}
		c.blockvisit(n.Body, inner)
	case *syntax.Block:
		// the body is compiled as the block's own function
		if !(f.toplevel && c.hasKnownExtend) {
			c.lastMark = n.Line
		}
	case *syntax.Include:
		c.lastMark = n.Line
		c.expr(n.Template, f)
	case *syntax.Import:
		c.lastMark = n.Line
		c.expr(n.Template, f)
	case *syntax.FromImport:
		c.lastMark = n.Line
		c.expr(n.Template, f)
	case *syntax.Assign:
		c.lastMark = n.Line
		c.expr(n.Node, f)
	case *syntax.AssignBlock:
		inner := f.inner()
		inner.requireOutputCheck = false
		c.p.frames[n] = analyzeBody(inner.sym, n.Body)
		c.blockvisit(n.Body, inner)
		c.lastMark = n.Line
		if n.Filter != nil {
			c.expr(n.Filter, inner)
		}
	case *syntax.Autoescape:
		inner := f.inner()
		v := &frameVisitor{inner.sym}
		v.visit(n.Value, false)
		v.stmts(n.Body, false)
		c.p.frames[n] = inner.sym.info()
		c.expr(n.Value, inner)
		c.blockvisit(n.Body, inner)
	}
}

func (c *compiler) forStmt(n *syntax.For, f cframe) {
	info := &forInfo{}
	c.p.fors[n] = info
	loop, test, els := f.inner(), f.inner(), f.inner()
	info.extended = n.Recursive || findUndeclared(stmtNodes(n.Body), "loop")["loop"]
	if !info.extended {
		syntax.Walk(n, func(x syntax.Node) bool {
			if b, ok := x.(*syntax.Block); ok && b.Scoped {
				info.extended = true
			}
			return !info.extended
		})
	}
	if info.extended {
		loop.sym.declareParameter("loop")
	}
	lv := &frameVisitor{loop.sym}
	lv.visit(n.Target, true)
	lv.stmts(n.Body, false)
	info.loop = loop.sym.info()
	if n.Else != nil {
		info.els = analyzeBody(els.sym, n.Else)
	}
	if n.Test != nil {
		tv := &frameVisitor{test.sym}
		tv.visit(n.Target, true)
		tv.visit(n.Test, false)
		info.test = test.sym.info()
		c.lastMark = n.Test.Lineno()
		c.expr(n.Test, test)
	}
	syntax.Walk(n, func(x syntax.Node) bool {
		if name, ok := x.(*syntax.Name); ok && name.Ctx == syntax.CtxStore && name.Name == "loop" {
			c.fail("Can't assign to special loop variable in for-loop target", name.Line)
		}
		return true
	})
	c.lastMark = n.Line
	if !n.Recursive {
		c.expr(n.Iter, f)
	}
	c.blockvisit(n.Body, loop)
	if n.Else != nil {
		c.blockvisit(n.Else, els)
	}
	if n.Recursive {
		c.expr(n.Iter, f)
	}
}

func (c *compiler) macroBody(node syntax.Node, args []*syntax.Name, defaults []syntax.Expr, body []syntax.Stmt, f cframe) {
	mf := f.inner()
	mf.requireOutputCheck = false
	info := &macroInfo{}
	explicitCaller := -1
	skip := map[string]bool{}
	for i, a := range args {
		info.args = append(info.args, a.Name)
		if a.Name == "caller" {
			explicitCaller = i
		}
		if a.Name == "kwargs" || a.Name == "varargs" {
			skip[a.Name] = true
		}
	}
	und := findUndeclared(stmtNodes(body), "caller", "kwargs", "varargs")
	var specials []string
	if und["caller"] {
		if explicitCaller >= 0 {
			// Python's defaults[explicit_caller - len(args)]: a negative index
			if idx := explicitCaller - len(args) + len(defaults); idx < 0 {
				c.fail("When defining macros or call blocks the special \"caller\" argument must be omitted or be given a default.", node.Lineno())
			}
			info.explicitCaller = true
		} else {
			specials = append(specials, "caller")
		}
		info.caller = true
	}
	if und["kwargs"] && !skip["kwargs"] {
		specials = append(specials, "kwargs")
		info.kwargs = true
	}
	if und["varargs"] && !skip["varargs"] {
		specials = append(specials, "varargs")
		info.varargs = true
	}
	info.frame = analyzeMacro(mf.sym, args, defaults, body, specials)
	c.p.macros[node] = info
	seen := map[string]bool{}
	for _, a := range args {
		if seen[a.Name] {
			c.pythonSyntaxError(fmt.Sprintf("duplicate argument %s in macro definition", pyQuote(a.Name)), a.Line)
		}
		seen[a.Name] = true
	}
	c.lastMark = node.Lineno()
	for _, d := range defaults {
		c.expr(d, mf)
	}
	c.blockvisit(body, mf)
}

func (c *compiler) expr(e syntax.Node, f cframe) {
	switch n := e.(type) {
	case nil:
		return
	case *syntax.Filter:
		if n == nil {
			return
		}
		if !c.hasFilter(n.Name) && !f.soft {
			c.fail(fmt.Sprintf("No filter named %s.", pyQuote(n.Name)), n.Line)
		}
		c.repeatedKeywords(n.Kwargs)
	case *syntax.Test:
		if !c.hasTest(n.Name) && !f.soft {
			c.fail(fmt.Sprintf("No test named %s.", pyQuote(n.Name)), n.Line)
		}
		c.repeatedKeywords(n.Kwargs)
	case *syntax.Call:
		c.repeatedKeywords(n.Kwargs)
	case *syntax.Tuple:
		for _, it := range n.Items {
			if _, ok := it.(*syntax.Slice); ok {
				// Jinja2 writes the slice as `a:b` inside a Python tuple
				c.pythonSyntaxError("invalid syntax (a slice inside a tuple of subscripts)", n.Line)
			}
		}
	case *syntax.CondExpr:
		soft := f
		soft.soft, soft.rootlevel = true, false
		c.expr(n.Expr1, soft)
		c.expr(n.Test, soft)
		c.expr(n.Expr2, soft)
		return
	}
	for _, ch := range syntax.Children(e) {
		c.expr(ch, f)
	}
}

func (c *compiler) repeatedKeywords(kws []*syntax.Keyword) {
	seen := map[string]bool{}
	for _, k := range kws {
		if seen[k.Key] {
			c.pythonSyntaxError("keyword argument repeated: "+k.Key, k.Line)
		}
		seen[k.Key] = true
	}
}
