package syntax

import (
	"fmt"
	"strings"
)

// MaxNesting bounds how deeply expressions and statements may nest: each parenthesis, bracket,
// unary operator, statement body and each link of a chain (a+b+c, x|f|g, x.a.b) is a level,
// some constructs count more than one. Python Jinja2 fails around the same depth (a
// RecursionError while parsing, or Python's "too many nested parentheses" while compiling).
const MaxNesting = 250

// Parse parses a template source with the given lexer options.
func Parse(src string, opts Options) (tpl *Template, err error) {
	p := &parser{exprParser: exprParser{stream: stream{lx: newLexer(src, opts), name: opts.Name, lastLine: 1}}}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			tpl, err = nil, e
		}
	}()
	p.cur = p.fetch()
	return &Template{Name: opts.Name, Body: p.subparse(nil)}, nil
}

// The parser is recursive descent in three layers: stream (the tokens, read on demand as
// Jinja2's TokenStream does, so that a lexer error is raised only when the parser reaches it,
// after the parser errors before it), exprParser (expressions) and parser (statements). It
// fails by panicking with an *Error, which Parse recovers.
type stream struct {
	lx       *lexer
	cur      Token
	peeked   Token // a token look pushed back
	hasPeek  bool
	lastLine int // the line of the last token read: the end of template's line
	name     string
	depth    int
}

type exprParser struct{ stream }

type parser struct {
	exprParser
	tagStack []string   // the statements being parsed, innermost last
	endStack [][]string // the end tags each open body waits for, innermost last
}

// ---- token stream ----

func (p *stream) fetch() Token {
	tok, ok := p.lx.next()
	if !ok {
		if p.lx.err != nil {
			panic(p.lx.err)
		}
		return Token{Kind: TokEOF, Line: p.lastLine}
	}
	p.lastLine = tok.Line
	return tok
}

// next moves to the next token and returns the one it leaves.
func (p *stream) next() Token {
	old := p.cur
	if p.hasPeek {
		p.cur, p.hasPeek = p.peeked, false
	} else if p.cur.Kind != TokEOF {
		p.cur = p.fetch()
	}
	return old
}

// look is the token after the current one.
func (p *stream) look() Token {
	old := p.next()
	result := p.cur
	p.peeked, p.hasPeek = result, true
	p.cur = old
	return result
}

func (p *stream) skipIf(k TokenKind) bool {
	if p.cur.Kind == k {
		p.next()
		return true
	}
	return false
}

func (p *stream) skipIfName(v string) bool {
	if p.cur.isName(v) {
		p.next()
		return true
	}
	return false
}

func (p *stream) expect(k TokenKind) Token {
	if p.cur.Kind != k {
		p.failExpected(k.Describe())
	}
	return p.next()
}

func (p *stream) expectName(v string) Token {
	if !p.cur.isName(v) {
		p.failExpected(v)
	}
	return p.next()
}

func (p *stream) failExpected(desc string) {
	if p.cur.Kind == TokEOF {
		p.fail(fmt.Sprintf("unexpected end of template, expected %s.", pyRepr(desc)), p.cur.Line)
	}
	p.fail(fmt.Sprintf("expected token %s, got %s", pyRepr(desc), pyRepr(p.cur.Describe())), p.cur.Line)
}

func (p *stream) fail(msg string, line int) {
	panic(&Error{Message: msg, Line: line, Name: p.name})
}

func (p *stream) enter() {
	p.depth++
	if p.depth > MaxNesting {
		p.fail(fmt.Sprintf("the template nests deeper than %d levels", MaxNesting), p.cur.Line)
	}
}

func (p *stream) leave() { p.depth-- }

// chain counts one more node wrapped around the previous ones in a loop (a+b+c, x|f|g, x.a.b),
// which nests the tree as deeply as parentheses do; unchain gives the levels back.
func (p *stream) chain(n *int) {
	p.enter()
	*n++
}

func (p *stream) unchain(n int) { p.depth -= n }

// failUnknownTag and failEOF build Jinja2's messages for a tag no open body expects and for a
// template that ends inside a body.
func (p *parser) failUnknownTag(name string, line int) {
	p.failTagOrEOF(name, true, p.endStack, line)
}

func (p *parser) failEOF(end []string) {
	stack := append(append([][]string(nil), p.endStack...), end)
	p.failTagOrEOF("", false, stack, p.cur.Line)
}

func (p *parser) failTagOrEOF(name string, isTag bool, stack [][]string, line int) {
	var msg []string
	if isTag {
		msg = append(msg, fmt.Sprintf("Encountered unknown tag %s.", pyRepr(name)))
	} else {
		msg = append(msg, "Unexpected end of template.")
	}
	if len(stack) > 0 && len(stack[len(stack)-1]) > 0 {
		top := stack[len(stack)-1]
		quoted := make([]string, len(top))
		for i, t := range top {
			quoted[i] = pyRepr(t)
		}
		looking := strings.Join(quoted, " or ")
		expected := false
		for _, ends := range stack {
			for _, t := range ends {
				expected = expected || (isTag && t == name)
			}
		}
		if expected {
			msg = append(msg, "You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for "+looking+".")
		} else {
			msg = append(msg, "Jinja was looking for the following tags: "+looking+".")
		}
	}
	if len(p.tagStack) > 0 {
		msg = append(msg, fmt.Sprintf("The innermost block that needs to be closed is %s.", pyRepr(p.tagStack[len(p.tagStack)-1])))
	}
	p.fail(strings.Join(msg, " "), line)
}

// ---- bodies and statements ----

func (p *parser) atEnd(end []string) bool {
	if p.cur.Kind != TokName {
		return false
	}
	for _, e := range end {
		if p.cur.Value == e {
			return true
		}
	}
	return false
}

// subparse parses template data, prints and statements until EOF or, when end is set, a block
// tag whose name is in end (left as the current token).
func (p *parser) subparse(end []string) []Stmt {
	p.enter()
	defer p.leave()
	if end != nil {
		p.endStack = append(p.endStack, end)
		defer func() { p.endStack = p.endStack[:len(p.endStack)-1] }()
	}
	var body []Stmt
	var data []Expr
	flush := func() {
		if len(data) > 0 {
			body = append(body, &Output{Pos: Pos{data[0].Lineno()}, Nodes: data})
			data = nil
		}
	}
	for p.cur.Kind != TokEOF {
		switch p.cur.Kind {
		case TokData:
			data = append(data, &Data{Pos: Pos{p.cur.Line}, Data: p.cur.Value})
			p.next()
		case TokVariableBegin:
			p.next()
			data = append(data, p.parseTuple(tupleOpts{withCondexpr: true}))
			p.expect(TokVariableEnd)
		case TokBlockBegin:
			flush()
			p.next()
			if end != nil && p.atEnd(end) {
				return body
			}
			body = append(body, p.parseStatement())
			p.expect(TokBlockEnd)
		default:
			p.fail("internal parsing error", p.cur.Line)
		}
	}
	flush()
	return body
}

// parseStatements parses a body after a statement's header: an optional colon, the end of the
// tag, then statements up to one of the end tags (consumed when dropNeedle).
func (p *parser) parseStatements(end []string, dropNeedle bool) []Stmt {
	p.skipIf(TokColon)
	p.expect(TokBlockEnd)
	body := p.subparse(end)
	if p.cur.Kind == TokEOF {
		p.failEOF(end)
	}
	if dropNeedle {
		p.next()
	}
	return body
}

func (p *parser) parseStatement() Stmt {
	tok := p.cur
	if tok.Kind != TokName {
		p.fail("tag name expected", tok.Line)
	}
	parse, ok := statementParsers[tok.Value]
	if !ok {
		p.failUnknownTag(tok.Value, tok.Line)
	}
	p.tagStack = append(p.tagStack, tok.Value)
	defer func() { p.tagStack = p.tagStack[:len(p.tagStack)-1] }()
	return parse(p)
}

var statementParsers map[string]func(*parser) Stmt

func init() {
	statementParsers = map[string]func(*parser) Stmt{
		"for":        (*parser).parseFor,
		"if":         (*parser).parseIf,
		"block":      (*parser).parseBlock,
		"extends":    (*parser).parseExtends,
		"print":      (*parser).parsePrint,
		"macro":      (*parser).parseMacro,
		"include":    (*parser).parseInclude,
		"from":       (*parser).parseFrom,
		"import":     (*parser).parseImport,
		"set":        (*parser).parseSet,
		"with":       (*parser).parseWith,
		"autoescape": (*parser).parseAutoescape,
		"call":       (*parser).parseCallBlock,
		"filter":     (*parser).parseFilterBlock,
	}
}
