package syntax

import "strings"

var (
	endFor        = []string{"endfor", "else"}
	endForOnly    = []string{"endfor"}
	endIf         = []string{"elif", "else", "endif"}
	endIfOnly     = []string{"endif"}
	endSet        = []string{"endset"}
	endWith       = []string{"endwith"}
	endAutoescape = []string{"endautoescape"}
	endBlock      = []string{"endblock"}
	endCall       = []string{"endcall"}
	endFilter     = []string{"endfilter"}
	endMacro      = []string{"endmacro"}
)

func (p *parser) parseSet() Stmt {
	line := p.next().Line
	target := p.parseAssignTarget(assignOpts{withTuple: true, withNamespace: true})
	if p.skipIf(TokAssign) {
		return &Assign{Pos: Pos{line}, Target: target, Node: p.parseTuple(tupleOpts{withCondexpr: true})}
	}
	filter := p.parseFilter(nil, false)
	body := p.parseStatements(endSet, true)
	n := &AssignBlock{Pos: Pos{line}, Target: target, Body: body}
	if filter != nil {
		n.Filter = filter.(*Filter)
	}
	return n
}

func (p *parser) parseFor() Stmt {
	line := p.expectName("for").Line
	target := p.parseAssignTarget(assignOpts{withTuple: true})
	p.expectName("in")
	iter := p.parseTuple(tupleOpts{})
	n := &For{Pos: Pos{line}, Target: target, Iter: iter}
	if p.skipIfName("if") {
		n.Test = p.parseExpression(true)
	}
	n.Recursive = p.skipIfName("recursive")
	n.Body = p.parseStatements(endFor, false)
	if p.next().Value != "endfor" {
		n.Else = p.parseStatements(endForOnly, true)
	}
	return n
}

func (p *parser) parseIf() Stmt {
	result := &If{Pos: Pos{p.expectName("if").Line}}
	node := result
	for {
		node.Test = p.parseTuple(tupleOpts{})
		node.Body = p.parseStatements(endIf, false)
		tok := p.next()
		if tok.isName("elif") {
			node = &If{Pos: Pos{p.cur.Line}}
			result.Elif = append(result.Elif, node)
			continue
		}
		if tok.isName("else") {
			result.Else = p.parseStatements(endIfOnly, true)
		}
		return result
	}
}

func (p *parser) parseWith() Stmt {
	n := &With{Pos: Pos{p.next().Line}}
	for p.cur.Kind != TokBlockEnd {
		if len(n.Targets) > 0 {
			p.expect(TokComma)
		}
		target := p.parseAssignTarget(assignOpts{withTuple: true})
		setCtx(target, CtxParam)
		n.Targets = append(n.Targets, target)
		p.expect(TokAssign)
		n.Values = append(n.Values, p.parseExpression(true))
	}
	n.Body = p.parseStatements(endWith, true)
	return n
}

func (p *parser) parseAutoescape() Stmt {
	n := &Autoescape{Pos: Pos{p.next().Line}}
	n.Value = p.parseExpression(true)
	n.Body = p.parseStatements(endAutoescape, true)
	return n
}

func (p *parser) parseBlock() Stmt {
	n := &Block{Pos: Pos{p.next().Line}}
	n.Name = p.expect(TokName).Value
	n.Scoped = p.skipIfName("scoped")
	n.Required = p.skipIfName("required")
	if p.cur.Kind == TokSub {
		p.fail("Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.", p.cur.Line)
	}
	n.Body = p.parseStatements(endBlock, true)
	if n.Required {
		for _, s := range n.Body {
			out, ok := s.(*Output)
			if ok {
				for _, e := range out.Nodes {
					if d, isData := e.(*Data); !isData || !isPySpaceString(d.Data) {
						ok = false
						break
					}
				}
			}
			if !ok {
				p.fail("Required blocks can only contain comments or whitespace", p.cur.Line)
			}
		}
	}
	p.skipIfName(n.Name)
	return n
}

// isPySpaceString is Python's str.isspace: not empty and only whitespace.
func isPySpaceString(s string) bool { return s != "" && allPySpace(s) }

func (p *parser) parseExtends() Stmt {
	n := &Extends{Pos: Pos{p.next().Line}}
	n.Template = p.parseExpression(true)
	return n
}

// parseImportContext reads an optional `with context` / `without context`.
func (p *parser) parseImportContext(def bool) bool {
	if (p.cur.isName("with") || p.cur.isName("without")) && p.look().isName("context") {
		with := p.next().Value == "with"
		p.next()
		return with
	}
	return def
}

func (p *parser) parseInclude() Stmt {
	n := &Include{Pos: Pos{p.next().Line}}
	n.Template = p.parseExpression(true)
	if p.cur.isName("ignore") && p.look().isName("missing") {
		n.IgnoreMissing = true
		p.next()
		p.next()
	}
	n.WithContext = p.parseImportContext(true)
	return n
}

func (p *parser) parseImport() Stmt {
	n := &Import{Pos: Pos{p.next().Line}}
	n.Template = p.parseExpression(true)
	p.expectName("as")
	n.Target = p.parseAssignTarget(assignOpts{nameOnly: true}).(*Name).Name
	n.WithContext = p.parseImportContext(false)
	return n
}

func (p *parser) parseFrom() Stmt {
	n := &FromImport{Pos: Pos{p.next().Line}}
	n.Template = p.parseExpression(true)
	p.expectName("import")
	// Jinja2 checks the value of the current token here whatever its type, so a string
	// 'with' followed by `context` is taken too.
	context := func() bool {
		if (p.cur.Kind == TokName || p.cur.Kind == TokString) && (p.cur.Value == "with" || p.cur.Value == "without") &&
			p.look().isName("context") {
			n.WithContext = p.next().Value == "with"
			p.next()
			return true
		}
		return false
	}
	for {
		if len(n.Names) > 0 {
			p.expect(TokComma)
		}
		if p.cur.Kind != TokName {
			p.expect(TokName)
		}
		if context() {
			break
		}
		target := p.parseAssignTarget(assignOpts{nameOnly: true}).(*Name)
		if strings.HasPrefix(target.Name, "_") {
			panic(&Error{Message: "names starting with an underline can not be imported", Line: target.Line, Name: p.name, Assertion: true})
		}
		imp := ImportName{Name: target.Name}
		if p.skipIfName("as") {
			imp.Alias = p.parseAssignTarget(assignOpts{nameOnly: true}).(*Name).Name
		}
		n.Names = append(n.Names, imp)
		if context() || p.cur.Kind != TokComma {
			break
		}
	}
	return n
}

// parseSignature reads a macro's or call block's parameters `(a, b=1)`.
func (p *parser) parseSignature() (args []*Name, defaults []Expr) {
	p.expect(TokLParen)
	for p.cur.Kind != TokRParen {
		if len(args) > 0 {
			p.expect(TokComma)
		}
		arg := p.parseAssignTarget(assignOpts{nameOnly: true}).(*Name)
		arg.Ctx = CtxParam
		if p.skipIf(TokAssign) {
			defaults = append(defaults, p.parseExpression(true))
		} else if len(defaults) > 0 {
			p.fail("non-default argument follows default argument", p.cur.Line)
		}
		args = append(args, arg)
	}
	p.expect(TokRParen)
	return args, defaults
}

func (p *parser) parseCallBlock() Stmt {
	n := &CallBlock{Pos: Pos{p.next().Line}}
	if p.cur.Kind == TokLParen {
		n.Args, n.Defaults = p.parseSignature()
	}
	call, ok := p.parseExpression(true).(*Call)
	if !ok {
		p.fail("expected call", n.Line)
	}
	n.Call = call
	n.Body = p.parseStatements(endCall, true)
	return n
}

func (p *parser) parseFilterBlock() Stmt {
	n := &FilterBlock{Pos: Pos{p.next().Line}}
	n.Filter = p.parseFilter(nil, true).(*Filter)
	n.Body = p.parseStatements(endFilter, true)
	return n
}

func (p *parser) parseMacro() Stmt {
	n := &Macro{Pos: Pos{p.next().Line}}
	n.Name = p.parseAssignTarget(assignOpts{nameOnly: true}).(*Name).Name
	n.Args, n.Defaults = p.parseSignature()
	n.Body = p.parseStatements(endMacro, true)
	return n
}

func (p *parser) parsePrint() Stmt {
	n := &Output{Pos: Pos{p.next().Line}}
	for p.cur.Kind != TokBlockEnd {
		if len(n.Nodes) > 0 {
			p.expect(TokComma)
		}
		n.Nodes = append(n.Nodes, p.parseExpression(true))
	}
	return n
}
