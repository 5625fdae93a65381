package syntax

import "fmt"

type assignOpts struct {
	withTuple     bool
	nameOnly      bool
	withNamespace bool // allow `ns.attr`
}

// parseAssignTarget parses what may be assigned to: a name, a tuple of targets, or a namespace
// attribute; anything else is "can't assign to ...".
func (p *exprParser) parseAssignTarget(o assignOpts) Expr {
	var target Expr
	if o.nameOnly {
		tok := p.expect(TokName)
		target = &Name{Pos: Pos{tok.Line}, Name: tok.Value, Ctx: CtxStore}
	} else {
		if o.withTuple {
			target = p.parseTuple(tupleOpts{simplified: true, withNamespace: o.withNamespace})
		} else {
			target = p.parsePrimary(o.withNamespace)
		}
		setCtx(target, CtxStore)
	}
	if !canAssign(target) {
		p.fail(fmt.Sprintf("can't assign to %s", pyRepr(lowerKind(target))), target.Lineno())
	}
	return target
}

// setCtx sets the context of the names and tuples of an assignment target.
func setCtx(e Expr, ctx Ctx) {
	switch n := e.(type) {
	case *Name:
		n.Ctx = ctx
	case *Tuple:
		n.Ctx = ctx
		for _, it := range n.Items {
			setCtx(it, ctx)
		}
	}
}

func canAssign(e Expr) bool {
	switch n := e.(type) {
	case *Name:
		switch n.Name {
		case "true", "false", "none", "True", "False", "None":
			return false
		}
		return true
	case *NSRef:
		return true
	case *Tuple:
		for _, it := range n.Items {
			if !canAssign(it) {
				return false
			}
		}
		return true
	}
	return false
}

// lowerKind is the lower-cased Jinja2 class name, as "can't assign to" names it.
func lowerKind(n Node) string {
	k := KindOf(n)
	b := []byte(k)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func (p *exprParser) parseExpression(withCondexpr bool) Expr {
	if withCondexpr {
		return p.parseCondExpr()
	}
	return p.parseOr()
}

func (p *exprParser) parseCondExpr() Expr {
	p.enter()
	defer p.leave()
	line := p.cur.Line
	expr1 := p.parseOr()
	links := 0
	for p.skipIfName("if") {
		p.chain(&links)
		test := p.parseOr()
		var expr2 Expr
		if p.skipIfName("else") {
			expr2 = p.parseCondExpr()
		}
		expr1 = &CondExpr{Pos: Pos{line}, Test: test, Expr1: expr1, Expr2: expr2}
		line = p.cur.Line
	}
	p.unchain(links)
	return expr1
}

func (p *exprParser) parseOr() Expr {
	line := p.cur.Line
	left := p.parseAnd()
	links := 0
	for p.skipIfName("or") {
		p.chain(&links)
		left = &BinOp{Pos: Pos{line}, Op: OpOr, Left: left, Right: p.parseAnd()}
		line = p.cur.Line
	}
	p.unchain(links)
	return left
}

func (p *exprParser) parseAnd() Expr {
	line := p.cur.Line
	left := p.parseNot()
	links := 0
	for p.skipIfName("and") {
		p.chain(&links)
		left = &BinOp{Pos: Pos{line}, Op: OpAnd, Left: left, Right: p.parseNot()}
		line = p.cur.Line
	}
	p.unchain(links)
	return left
}

func (p *exprParser) parseNot() Expr {
	if p.cur.isName("not") {
		p.enter()
		defer p.leave()
		line := p.next().Line
		return &Unary{Pos: Pos{line}, Op: OpNot, Node: p.parseNot()}
	}
	return p.parseCompare()
}

var compareOps = map[TokenKind]CmpOp{
	TokEq: CmpEq, TokNe: CmpNe, TokLt: CmpLt, TokLtEq: CmpLtEq, TokGt: CmpGt, TokGtEq: CmpGtEq,
}

func (p *exprParser) parseCompare() Expr {
	line := p.cur.Line
	expr := p.parseMath1()
	var ops []Operand
	for {
		if op, ok := compareOps[p.cur.Kind]; ok {
			p.next()
			ops = append(ops, Operand{Op: op, Expr: p.parseMath1()})
		} else if p.skipIfName("in") {
			ops = append(ops, Operand{Op: CmpIn, Expr: p.parseMath1()})
		} else if p.cur.isName("not") && p.look().isName("in") {
			p.next()
			p.next()
			ops = append(ops, Operand{Op: CmpNotIn, Expr: p.parseMath1()})
		} else {
			break
		}
		line = p.cur.Line
	}
	if len(ops) == 0 {
		return expr
	}
	return &Compare{Pos: Pos{line}, Expr: expr, Ops: ops}
}

func (p *exprParser) parseMath1() Expr {
	line := p.cur.Line
	left := p.parseConcat()
	links := 0
	for p.cur.Kind == TokAdd || p.cur.Kind == TokSub {
		p.chain(&links)
		op := OpAdd
		if p.next().Kind == TokSub {
			op = OpSub
		}
		left = &BinOp{Pos: Pos{line}, Op: op, Left: left, Right: p.parseConcat()}
		line = p.cur.Line
	}
	p.unchain(links)
	return left
}

func (p *exprParser) parseConcat() Expr {
	line := p.cur.Line
	first := p.parseMath2()
	if p.cur.Kind != TokTilde {
		return first
	}
	args := []Expr{first}
	for p.skipIf(TokTilde) {
		args = append(args, p.parseMath2())
	}
	return &Concat{Pos: Pos{line}, Nodes: args}
}

var math2Ops = map[TokenKind]BinaryOp{TokMul: OpMul, TokDiv: OpDiv, TokFloorDiv: OpFloorDiv, TokMod: OpMod}

func (p *exprParser) parseMath2() Expr {
	line := p.cur.Line
	left := p.parsePow()
	links := 0
	for {
		op, ok := math2Ops[p.cur.Kind]
		if !ok {
			p.unchain(links)
			return left
		}
		p.chain(&links)
		p.next()
		left = &BinOp{Pos: Pos{line}, Op: op, Left: left, Right: p.parsePow()}
		line = p.cur.Line
	}
}

// parsePow parses `**`, which Jinja2 makes left-associative (2**3**2 is 64) and binds tighter
// than unary minus on its left (-2**2 is 4).
func (p *exprParser) parsePow() Expr {
	line := p.cur.Line
	left := p.parseUnary(true)
	links := 0
	for p.skipIf(TokPow) {
		p.chain(&links)
		left = &BinOp{Pos: Pos{line}, Op: OpPow, Left: left, Right: p.parseUnary(true)}
		line = p.cur.Line
	}
	p.unchain(links)
	return left
}

func (p *exprParser) parseUnary(withFilter bool) Expr {
	p.enter()
	defer p.leave()
	line := p.cur.Line
	var node Expr
	switch p.cur.Kind {
	case TokSub:
		p.next()
		node = &Unary{Pos: Pos{line}, Op: OpNeg, Node: p.parseUnary(false)}
	case TokAdd:
		p.next()
		node = &Unary{Pos: Pos{line}, Op: OpPos, Node: p.parseUnary(false)}
	default:
		node = p.parsePrimary(false)
	}
	node = p.parsePostfix(node)
	if withFilter {
		node = p.parseFilterExpr(node)
	}
	return node
}

func (p *exprParser) parsePrimary(withNamespace bool) Expr {
	p.enter()
	defer p.leave()
	tok := p.cur
	switch tok.Kind {
	case TokName:
		p.next()
		switch tok.Value {
		case "true", "True":
			return &Const{Pos: Pos{tok.Line}, Value: true}
		case "false", "False":
			return &Const{Pos: Pos{tok.Line}, Value: false}
		case "none", "None":
			return &Const{Pos: Pos{tok.Line}, Value: nil}
		}
		if withNamespace && p.cur.Kind == TokDot {
			p.next()
			attr := p.expect(TokName)
			return &NSRef{Pos: Pos{tok.Line}, Name: tok.Value, Attr: attr.Value}
		}
		return &Name{Pos: Pos{tok.Line}, Name: tok.Value, Ctx: CtxLoad}
	case TokString:
		p.next()
		if p.cur.Kind != TokString {
			return &Const{Pos: Pos{tok.Line}, Value: tok.Value}
		}
		buf := []byte(tok.Value)
		for p.cur.Kind == TokString {
			buf = append(buf, p.next().Value...)
		}
		return &Const{Pos: Pos{tok.Line}, Value: string(buf)}
	case TokInteger, TokFloat:
		p.next()
		return &Const{Pos: Pos{tok.Line}, Value: tok.Literal}
	case TokLParen:
		p.next()
		node := p.parseTuple(tupleOpts{explicitParens: true, withCondexpr: true})
		p.expect(TokRParen)
		return node
	case TokLBracket:
		return p.parseList()
	case TokLBrace:
		return p.parseDict()
	}
	p.fail(fmt.Sprintf("unexpected %s", pyRepr(tok.Describe())), tok.Line)
	return nil
}

type tupleOpts struct {
	simplified     bool // only primaries (assignment targets)
	withCondexpr   bool
	explicitParens bool
	withNamespace  bool
}

// isTupleEnd is where a tuple may end. Jinja2 also passes "extra end rules" (`in` after a for
// target, `recursive` after its iterable) but tests them in a way that never matches, so
// `{% for a, in b %}` reads `in` as a second target; we do the same.
func (p *exprParser) isTupleEnd() bool {
	switch p.cur.Kind {
	case TokVariableEnd, TokBlockEnd, TokRParen:
		return true
	}
	return false
}

// parseTuple parses an expression, or a tuple when expressions are separated by commas (a
// trailing comma allowed); `()` is the empty tuple only inside explicit parentheses.
func (p *exprParser) parseTuple(o tupleOpts) Expr {
	line := p.cur.Line
	var args []Expr
	isTuple := false
	for {
		if len(args) > 0 {
			p.expect(TokComma)
		}
		if p.isTupleEnd() {
			break
		}
		if o.simplified {
			args = append(args, p.parsePrimary(o.withNamespace))
		} else {
			args = append(args, p.parseExpression(o.withCondexpr))
		}
		if p.cur.Kind != TokComma {
			break
		}
		isTuple = true
		line = p.cur.Line
	}
	if !isTuple {
		if len(args) > 0 {
			return args[0]
		}
		if !o.explicitParens {
			p.fail(fmt.Sprintf("Expected an expression, got %s", pyRepr(p.cur.Describe())), p.cur.Line)
		}
	}
	return &Tuple{Pos: Pos{line}, Items: args, Ctx: CtxLoad}
}

func (p *exprParser) parseList() Expr {
	tok := p.expect(TokLBracket)
	n := &List{Pos: Pos{tok.Line}}
	for p.cur.Kind != TokRBracket {
		if len(n.Items) > 0 {
			p.expect(TokComma)
		}
		if p.cur.Kind == TokRBracket {
			break
		}
		n.Items = append(n.Items, p.parseExpression(true))
	}
	p.expect(TokRBracket)
	return n
}

func (p *exprParser) parseDict() Expr {
	tok := p.expect(TokLBrace)
	n := &Dict{Pos: Pos{tok.Line}}
	for p.cur.Kind != TokRBrace {
		if len(n.Items) > 0 {
			p.expect(TokComma)
		}
		if p.cur.Kind == TokRBrace {
			break
		}
		key := p.parseExpression(true)
		p.expect(TokColon)
		value := p.parseExpression(true)
		n.Items = append(n.Items, &Pair{Pos: Pos{key.Lineno()}, Key: key, Value: value})
	}
	p.expect(TokRBrace)
	return n
}

func (p *exprParser) parsePostfix(node Expr) Expr {
	links := 0
	for {
		switch p.cur.Kind {
		case TokDot, TokLBracket:
			p.chain(&links)
			node = p.parseSubscript(node)
		case TokLParen:
			p.chain(&links)
			node = p.parseCall(node)
		default:
			p.unchain(links)
			return node
		}
	}
}

func (p *exprParser) parseFilterExpr(node Expr) Expr {
	links := 0
	for {
		switch {
		case p.cur.Kind == TokPipe:
			node = p.parseFilter(node, false) // counts its own links
		case p.cur.isName("is"):
			p.chain(&links)
			node = p.parseTest(node)
		case p.cur.Kind == TokLParen:
			p.chain(&links)
			node = p.parseCall(node)
		default:
			p.unchain(links)
			return node
		}
	}
}

func (p *exprParser) parseSubscript(node Expr) Expr {
	tok := p.next()
	if tok.Kind == TokDot {
		attr := p.next()
		switch attr.Kind {
		case TokName:
			return &Getattr{Pos: Pos{tok.Line}, Node: node, Attr: attr.Value}
		case TokInteger:
			return &Getitem{Pos: Pos{tok.Line}, Node: node, Arg: &Const{Pos: Pos{attr.Line}, Value: attr.Literal}}
		}
		p.fail("expected name or number", attr.Line)
	}
	var args []Expr
	for p.cur.Kind != TokRBracket {
		if len(args) > 0 {
			p.expect(TokComma)
		}
		args = append(args, p.parseSubscribed())
	}
	p.expect(TokRBracket)
	if len(args) == 1 {
		return &Getitem{Pos: Pos{tok.Line}, Node: node, Arg: args[0]}
	}
	return &Getitem{Pos: Pos{tok.Line}, Node: node, Arg: &Tuple{Pos: Pos{tok.Line}, Items: args, Ctx: CtxLoad}}
}

// parseSubscribed parses one subscript: an expression or a slice `start:stop:step`.
func (p *exprParser) parseSubscribed() Expr {
	line := p.cur.Line
	s := &Slice{Pos: Pos{line}}
	if p.cur.Kind == TokColon {
		p.next()
	} else {
		node := p.parseExpression(true)
		if p.cur.Kind != TokColon {
			return node
		}
		p.next()
		s.Start = node
	}
	if p.cur.Kind != TokColon && p.cur.Kind != TokRBracket && p.cur.Kind != TokComma {
		s.Stop = p.parseExpression(true)
	}
	if p.cur.Kind == TokColon {
		p.next()
		if p.cur.Kind != TokRBracket && p.cur.Kind != TokComma {
			s.Step = p.parseExpression(true)
		}
	}
	return s
}

type callArgs struct {
	args      []Expr
	kwargs    []*Keyword
	dynArgs   Expr
	dynKwargs Expr
}

// parseCallArgs parses `(a, b, k=v, *args, **kwargs)` in Jinja2's order rules.
func (p *exprParser) parseCallArgs() callArgs {
	tok := p.expect(TokLParen)
	var c callArgs
	ensure := func(ok bool) {
		if !ok {
			p.fail("invalid syntax for function call expression", tok.Line)
		}
	}
	requireComma := false
	for p.cur.Kind != TokRParen {
		if requireComma {
			p.expect(TokComma)
			if p.cur.Kind == TokRParen {
				break
			}
		}
		switch {
		case p.cur.Kind == TokMul:
			ensure(c.dynArgs == nil && c.dynKwargs == nil)
			p.next()
			c.dynArgs = p.parseExpression(true)
		case p.cur.Kind == TokPow:
			ensure(c.dynKwargs == nil)
			p.next()
			c.dynKwargs = p.parseExpression(true)
		case p.cur.Kind == TokName && p.look().Kind == TokAssign:
			ensure(c.dynKwargs == nil)
			key := p.cur.Value
			p.next()
			p.next()
			value := p.parseExpression(true)
			c.kwargs = append(c.kwargs, &Keyword{Pos: Pos{value.Lineno()}, Key: key, Value: value})
		default:
			ensure(c.dynArgs == nil && c.dynKwargs == nil && len(c.kwargs) == 0)
			c.args = append(c.args, p.parseExpression(true))
		}
		requireComma = true
	}
	p.expect(TokRParen)
	return c
}

func (p *exprParser) parseCall(node Expr) Expr {
	line := p.cur.Line
	c := p.parseCallArgs()
	return &Call{Pos: Pos{line}, Node: node, Args: c.args, Kwargs: c.kwargs, DynArgs: c.dynArgs, DynKwargs: c.dynKwargs}
}

// parseFilter parses `|f(args)|g...` after node (nil in filter blocks and block sets, where
// startInline means the first filter has no pipe). It returns nil when there is no filter.
func (p *exprParser) parseFilter(node Expr, startInline bool) Expr {
	links := 0
	for p.cur.Kind == TokPipe || startInline {
		p.chain(&links)
		if !startInline {
			p.next()
		}
		tok := p.expect(TokName)
		name := tok.Value
		for p.skipIf(TokDot) {
			name += "." + p.expect(TokName).Value
		}
		var c callArgs
		if p.cur.Kind == TokLParen {
			c = p.parseCallArgs()
		}
		node = &Filter{Pos: Pos{tok.Line}, Node: node, Name: name, Args: c.args, Kwargs: c.kwargs, DynArgs: c.dynArgs, DynKwargs: c.dynKwargs}
		startInline = false
	}
	p.unchain(links)
	return node
}

func (p *exprParser) parseTest(node Expr) Expr {
	tok := p.next()
	negated := p.skipIfName("not")
	name := p.expect(TokName).Value
	for p.skipIf(TokDot) {
		name += "." + p.expect(TokName).Value
	}
	var c callArgs
	switch p.cur.Kind {
	case TokLParen:
		c = p.parseCallArgs()
	case TokName, TokString, TokInteger, TokFloat, TokLBracket, TokLBrace:
		if p.cur.isName("else") || p.cur.isName("or") || p.cur.isName("and") {
			break
		}
		if p.cur.isName("is") {
			p.fail("You cannot chain multiple tests with is", p.cur.Line)
		}
		c.args = []Expr{p.parsePostfix(p.parsePrimary(false))}
	}
	var out Expr = &Test{Pos: Pos{tok.Line}, Node: node, Name: name, Args: c.args, Kwargs: c.kwargs, DynArgs: c.dynArgs, DynKwargs: c.dynKwargs}
	if negated {
		out = &Unary{Pos: Pos{tok.Line}, Op: OpNot, Node: out}
	}
	return out
}
