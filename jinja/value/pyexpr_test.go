package value

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small evaluator of Python expressions over this package, for the table
// tests: each case is a Python expression whose repr (or exception) was
// recorded by running it in python3 (testdata/pycases.py).

type pyTok struct {
	kind string // "num", "str", "name", "op", "eof"
	text string
	val  Value
}

func pyLex(src string) ([]pyTok, error) {
	var toks []pyTok
	ops := []string{":=", "**", "//", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ":", ".", "<", ">", "+", "-", "*", "/", "%", "="}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ':
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			isFloat := false
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				(src[j] == '-' || src[j] == '+') && (src[j-1] == 'e' || src[j-1] == 'E')) {
				if src[j] == '.' || src[j] == 'e' || src[j] == 'E' {
					isFloat = true
				}
				j++
			}
			text := src[i:j]
			if isFloat {
				f, err := strconv.ParseFloat(text, 64)
				if err != nil {
					return nil, err
				}
				toks = append(toks, pyTok{kind: "num", text: text, val: f})
			} else {
				b, _ := new(big.Int).SetString(text, 10)
				toks = append(toks, pyTok{kind: "num", text: text, val: normBig(b)})
			}
			i = j
		case c == '\'' || c == '"':
			s, n, err := pyString(src[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, pyTok{kind: "str", val: s})
			i += n
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, pyTok{kind: "name", text: src[i:j]})
			i = j
		default:
			found := false
			for _, op := range ops {
				if strings.HasPrefix(src[i:], op) {
					toks = append(toks, pyTok{kind: "op", text: op})
					i += len(op)
					found = true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("bad character %q", c)
			}
		}
	}
	return append(toks, pyTok{kind: "eof"}), nil
}

// pyString reads a quoted Python string literal at the start of s.
func pyString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
			continue
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			r, err := strconv.ParseUint(s[i:i+n], 16, 32)
			if err != nil {
				return "", 0, err
			}
			b.WriteRune(rune(r))
			i += n
		default:
			b.WriteByte(e)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

type pyParser struct {
	toks []pyTok
	pos  int
	env  map[string]Value
}

func (p *pyParser) peek() pyTok { return p.toks[p.pos] }
func (p *pyParser) next() pyTok { t := p.toks[p.pos]; p.pos++; return t }
func (p *pyParser) is(text string) bool {
	t := p.peek()
	return (t.kind == "op" || t.kind == "name") && t.text == text
}
func (p *pyParser) accept(text string) bool {
	if p.is(text) {
		p.pos++
		return true
	}
	return false
}
func (p *pyParser) expect(text string) {
	if !p.accept(text) {
		panic(fmt.Sprintf("expected %q at token %d (%q)", text, p.pos, p.peek().text))
	}
}

// Every parse function evaluates as it goes; an error stops evaluation.
type pyErr struct{ err error }

func must(v Value, err error) Value {
	if err != nil {
		panic(pyErr{err})
	}
	return v
}

func (p *pyParser) expr() Value {
	if t := p.peek(); t.kind == "name" && p.toks[p.pos+1].text == ":=" {
		p.pos += 2
		v := p.expr()
		p.env[t.text] = v
		return v
	}
	return p.or()
}

func (p *pyParser) or() Value {
	v := p.and()
	for p.accept("or") {
		w := p.and()
		if !must(Truth(v)).(bool) {
			v = w
		}
	}
	return v
}

func (p *pyParser) and() Value {
	v := p.not()
	for p.accept("and") {
		w := p.not()
		if must(Truth(v)).(bool) {
			v = w
		}
	}
	return v
}

func (p *pyParser) not() Value {
	if p.accept("not") {
		return must(Not(p.not()))
	}
	return p.comparison()
}

func (p *pyParser) comparison() Value {
	v := p.arith()
	t := p.peek()
	switch {
	case t.kind == "op" && strings.Contains("== != < <= > >=", t.text) && len(t.text) <= 2:
		p.pos++
		return must(Compare(t.text, v, p.arith()))
	case p.accept("in"):
		return must(Contains(p.arith(), v))
	case p.is("not") && p.toks[p.pos+1].text == "in":
		p.pos += 2
		in := must(Contains(p.arith(), v)).(bool)
		return !in
	}
	return v
}

func (p *pyParser) arith() Value {
	v := p.term()
	for p.is("+") || p.is("-") {
		op := p.next().text
		v = must(BinaryOp(op, v, p.term()))
	}
	return v
}

func (p *pyParser) term() Value {
	v := p.factor()
	for p.is("*") || p.is("/") || p.is("//") || p.is("%") {
		op := p.next().text
		v = must(BinaryOp(op, v, p.factor()))
	}
	return v
}

func (p *pyParser) factor() Value {
	switch {
	case p.accept("-"):
		return must(Neg(p.factor()))
	case p.accept("+"):
		return must(Pos(p.factor()))
	}
	v := p.postfix()
	if p.accept("**") {
		return must(Pow(v, p.factor()))
	}
	return v
}

func (p *pyParser) postfix() Value {
	v := p.atom()
	for {
		switch {
		case p.accept("."):
			v = must(Attr(v, p.next().text))
		case p.accept("("):
			args, kwargs := p.args()
			fn, ok := v.(Callable)
			if !ok {
				panic(pyErr{typeError("'%s' object is not callable", TypeName(v))})
			}
			v = must(fn.Call(args, kwargs))
		case p.accept("["):
			v = must(GetItem(v, p.subscript()))
			p.expect("]")
		default:
			return v
		}
	}
}

func (p *pyParser) subscript() Value {
	var parts [3]Value
	isSlice := false
	for i := 0; i < 3; i++ {
		if !p.is(":") && !p.is("]") {
			parts[i] = p.expr()
		}
		if !p.accept(":") {
			break
		}
		isSlice = true
	}
	if !isSlice {
		return parts[0]
	}
	return &Slice{Start: parts[0], Stop: parts[1], Step: parts[2]}
}

func (p *pyParser) args() ([]Value, []Kwarg) {
	var args []Value
	var kwargs []Kwarg
	for !p.accept(")") {
		if t := p.peek(); t.kind == "name" && p.toks[p.pos+1].text == "=" {
			p.pos += 2
			kwargs = append(kwargs, Kwarg{Name: t.text, Value: p.expr()})
		} else if p.accept("*") {
			args = append(args, must(ToList(p.expr())).([]Value)...)
		} else {
			args = append(args, p.expr())
		}
		if !p.accept(",") {
			p.expect(")")
			break
		}
	}
	return args, kwargs
}

func (p *pyParser) atom() Value {
	t := p.next()
	switch t.kind {
	case "num":
		return t.val
	case "str":
		s := t.val.(string)
		for p.peek().kind == "str" {
			s += p.next().val.(string)
		}
		return s
	case "name":
		switch t.text {
		case "None":
			return nil
		case "True":
			return true
		case "False":
			return false
		}
		if v, ok := p.env[t.text]; ok {
			return v
		}
		panic(fmt.Sprintf("unknown name %s", t.text))
	}
	switch t.text {
	case "(":
		if p.accept(")") {
			return Tuple{}
		}
		v := p.expr()
		if p.accept(")") {
			return v
		}
		items := Tuple{v}
		for p.accept(",") && !p.is(")") {
			items = append(items, p.expr())
		}
		p.expect(")")
		return items
	case "[":
		var items []Value
		for !p.accept("]") {
			items = append(items, p.expr())
			if !p.accept(",") {
				p.expect("]")
				break
			}
		}
		return NewList(items...)
	case "{":
		d := NewDict()
		for !p.accept("}") {
			k := p.expr()
			p.expect(":")
			must(nil, d.Set(k, p.expr()))
			if !p.accept(",") {
				p.expect("}")
				break
			}
		}
		return d
	}
	panic(fmt.Sprintf("unexpected token %q", t.text))
}

// evalPy evaluates a Python expression and returns repr(result) or
// "!Kind: message" as testdata/pycases.py prints them.
func evalPy(src string) (out string) {
	toks, err := pyLex(src)
	if err != nil {
		return "lex error: " + err.Error()
	}
	p := &pyParser{toks: toks, env: pyBuiltins()}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(pyErr); ok {
				if ve, ok := e.err.(*Error); ok {
					out = "!" + ve.Kind + ": " + ve.Message
					return
				}
				out = "!error: " + e.err.Error()
				return
			}
			out = fmt.Sprintf("parse error: %v", r)
		}
	}()
	v := p.expr()
	if p.peek().kind != "eof" {
		return "parse error: trailing " + p.peek().text
	}
	return must(Repr(v)).(string)
}
