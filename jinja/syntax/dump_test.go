package syntax

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// The test dump writes an AST as testdata/gen.py writes Jinja2's: Class@lineno(field=value, ...)
// in Jinja2's field order, strings as Python's json.dumps, numbers as Python's repr.

func dumpTemplate(t *Template) string {
	return "Template@1(body=" + dumpStmts(t.Body) + ")"
}

func dumpStmts(ss []Stmt) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = dumpNode(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func dumpExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = dumpNode(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func dumpKwargs(ks []*Keyword) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = dumpNode(k)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func dumpNames(ns []*Name) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = dumpNode(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func node(kind string, line int, fields ...string) string {
	l := "None"
	if line > 0 {
		l = strconv.Itoa(line)
	}
	return kind + "@" + l + "(" + strings.Join(fields, ", ") + ")"
}

func f(name, value string) string { return name + "=" + value }

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func dumpNode(n Node) string {
	if n == nil || isNilNode(n) {
		return "None"
	}
	if e, ok := n.(Expr); ok && e == nil {
		return "None"
	}
	line := n.Lineno()
	switch n := n.(type) {
	case *Output:
		return node("Output", line, f("nodes", dumpExprs(n.Nodes)))
	case *Extends:
		return node("Extends", line, f("template", dumpNode(n.Template)))
	case *For:
		return node("For", line, f("target", dumpNode(n.Target)), f("iter", dumpNode(n.Iter)), f("body", dumpStmts(n.Body)),
			f("else_", dumpStmts(n.Else)), f("test", dumpExpr(n.Test)), f("recursive", pyBool(n.Recursive)))
	case *If:
		elifs := make([]string, len(n.Elif))
		for i, e := range n.Elif {
			elifs[i] = dumpNode(e)
		}
		return node("If", line, f("test", dumpNode(n.Test)), f("body", dumpStmts(n.Body)),
			f("elif_", "["+strings.Join(elifs, ", ")+"]"), f("else_", dumpStmts(n.Else)))
	case *Macro:
		return node("Macro", line, f("name", jsonString(n.Name)), f("args", dumpNames(n.Args)), f("defaults", dumpExprs(n.Defaults)), f("body", dumpStmts(n.Body)))
	case *CallBlock:
		return node("CallBlock", line, f("call", dumpNode(n.Call)), f("args", dumpNames(n.Args)), f("defaults", dumpExprs(n.Defaults)), f("body", dumpStmts(n.Body)))
	case *FilterBlock:
		return node("FilterBlock", line, f("body", dumpStmts(n.Body)), f("filter", dumpNode(n.Filter)))
	case *With:
		return node("With", line, f("targets", dumpExprs(n.Targets)), f("values", dumpExprs(n.Values)), f("body", dumpStmts(n.Body)))
	case *Block:
		return node("Block", line, f("name", jsonString(n.Name)), f("body", dumpStmts(n.Body)), f("scoped", pyBool(n.Scoped)), f("required", pyBool(n.Required)))
	case *Include:
		return node("Include", line, f("template", dumpNode(n.Template)), f("with_context", pyBool(n.WithContext)), f("ignore_missing", pyBool(n.IgnoreMissing)))
	case *Import:
		return node("Import", line, f("template", dumpNode(n.Template)), f("target", jsonString(n.Target)), f("with_context", pyBool(n.WithContext)))
	case *FromImport:
		names := make([]string, len(n.Names))
		for i, in := range n.Names {
			names[i] = jsonString(in.Name)
			if in.Alias != "" {
				names[i] = "(" + jsonString(in.Name) + ", " + jsonString(in.Alias) + ")"
			}
		}
		return node("FromImport", line, f("template", dumpNode(n.Template)), f("names", "["+strings.Join(names, ", ")+"]"), f("with_context", pyBool(n.WithContext)))
	case *Assign:
		return node("Assign", line, f("target", dumpNode(n.Target)), f("node", dumpNode(n.Node)))
	case *AssignBlock:
		return node("AssignBlock", line, f("target", dumpNode(n.Target)), f("filter", dumpNode(n.Filter)), f("body", dumpStmts(n.Body)))
	case *Autoescape:
		kw := node("Keyword", 0, f("key", jsonString("autoescape")), f("value", dumpNode(n.Value)))
		mod := node("ScopedEvalContextModifier", line, f("options", "["+kw+"]"), f("body", dumpStmts(n.Body)))
		return node("Scope", 0, f("body", "["+mod+"]"))
	case *Data:
		return node("TemplateData", line, f("data", jsonString(n.Data)))
	case *Name:
		return node("Name", line, f("name", jsonString(n.Name)), f("ctx", jsonString(string(n.Ctx))))
	case *NSRef:
		return node("NSRef", line, f("name", jsonString(n.Name)), f("attr", jsonString(n.Attr)))
	case *Const:
		return node("Const", line, f("value", pyValue(n.Value)))
	case *Tuple:
		return node("Tuple", line, f("items", dumpExprs(n.Items)), f("ctx", jsonString(string(n.Ctx))))
	case *List:
		return node("List", line, f("items", dumpExprs(n.Items)))
	case *Dict:
		items := make([]string, len(n.Items))
		for i, it := range n.Items {
			items[i] = dumpNode(it)
		}
		return node("Dict", line, f("items", "["+strings.Join(items, ", ")+"]"))
	case *Pair:
		return node("Pair", line, f("key", dumpNode(n.Key)), f("value", dumpNode(n.Value)))
	case *Keyword:
		return node("Keyword", line, f("key", jsonString(n.Key)), f("value", dumpNode(n.Value)))
	case *CondExpr:
		return node("CondExpr", line, f("test", dumpNode(n.Test)), f("expr1", dumpNode(n.Expr1)), f("expr2", dumpExpr(n.Expr2)))
	case *Filter:
		return node("Filter", line, callFields(dumpExpr(n.Node), n.Name, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs)...)
	case *Test:
		return node("Test", line, callFields(dumpExpr(n.Node), n.Name, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs)...)
	case *Call:
		return node("Call", line, f("node", dumpNode(n.Node)), f("args", dumpExprs(n.Args)), f("kwargs", dumpKwargs(n.Kwargs)),
			f("dyn_args", dumpExpr(n.DynArgs)), f("dyn_kwargs", dumpExpr(n.DynKwargs)))
	case *Getitem:
		return node("Getitem", line, f("node", dumpNode(n.Node)), f("arg", dumpNode(n.Arg)), f("ctx", jsonString("load")))
	case *Getattr:
		return node("Getattr", line, f("node", dumpNode(n.Node)), f("attr", jsonString(n.Attr)), f("ctx", jsonString("load")))
	case *Slice:
		return node("Slice", line, f("start", dumpExpr(n.Start)), f("stop", dumpExpr(n.Stop)), f("step", dumpExpr(n.Step)))
	case *Concat:
		return node("Concat", line, f("nodes", dumpExprs(n.Nodes)))
	case *Compare:
		ops := make([]string, len(n.Ops))
		for i, op := range n.Ops {
			ops[i] = node("Operand", 0, f("op", jsonString(string(op.Op))), f("expr", dumpNode(op.Expr)))
		}
		return node("Compare", line, f("expr", dumpNode(n.Expr)), f("ops", "["+strings.Join(ops, ", ")+"]"))
	case *BinOp:
		return node(KindOf(n), line, f("left", dumpNode(n.Left)), f("right", dumpNode(n.Right)))
	case *Unary:
		return node(KindOf(n), line, f("node", dumpNode(n.Node)))
	}
	return fmt.Sprintf("<unknown %T>", n)
}

func dumpExpr(e Expr) string {
	if e == nil {
		return "None"
	}
	return dumpNode(e)
}

func callFields(nodeDump, name string, args []Expr, kwargs []*Keyword, dynArgs, dynKwargs Expr) []string {
	return []string{f("node", nodeDump), f("name", jsonString(name)), f("args", dumpExprs(args)), f("kwargs", dumpKwargs(kwargs)),
		f("dyn_args", dumpExpr(dynArgs)), f("dyn_kwargs", dumpExpr(dynKwargs))}
}

func pyValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return pyBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case *big.Int:
		return v.String()
	case float64:
		return pyFloat(v)
	case string:
		return jsonString(v)
	}
	return fmt.Sprintf("<%T>", v)
}

// pyFloat is Python's repr of a float.
func pyFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsNaN(v):
		return "nan"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// jsonString is Python's json.dumps of a str (ASCII only).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// dumpTokens writes tokens one per line as "line type value".
func dumpTokens(toks []Token) string {
	var b strings.Builder
	for _, t := range toks {
		v := jsonString(t.Value)
		if t.Kind == TokInteger || t.Kind == TokFloat {
			v = pyValue(t.Literal)
		}
		fmt.Fprintf(&b, "%d %s %s\n", t.Line, t.Kind, v)
	}
	return b.String()
}
