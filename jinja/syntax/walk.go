package syntax

// KindOf is the Jinja2 class name of a node ("Output", "For", "Name", "Add", "Not", ...).
// An Autoescape is "Scope", the node Jinja2 puts in the body for it.
func KindOf(n Node) string {
	switch n := n.(type) {
	case *Output:
		return "Output"
	case *Extends:
		return "Extends"
	case *For:
		return "For"
	case *If:
		return "If"
	case *Macro:
		return "Macro"
	case *CallBlock:
		return "CallBlock"
	case *FilterBlock:
		return "FilterBlock"
	case *With:
		return "With"
	case *Block:
		return "Block"
	case *Include:
		return "Include"
	case *Import:
		return "Import"
	case *FromImport:
		return "FromImport"
	case *Assign:
		return "Assign"
	case *AssignBlock:
		return "AssignBlock"
	case *Autoescape:
		return "Scope"
	case *Data:
		return "TemplateData"
	case *Name:
		return "Name"
	case *NSRef:
		return "NSRef"
	case *Const:
		return "Const"
	case *Tuple:
		return "Tuple"
	case *List:
		return "List"
	case *Dict:
		return "Dict"
	case *Pair:
		return "Pair"
	case *Keyword:
		return "Keyword"
	case *CondExpr:
		return "CondExpr"
	case *Filter:
		return "Filter"
	case *Test:
		return "Test"
	case *Call:
		return "Call"
	case *Getitem:
		return "Getitem"
	case *Getattr:
		return "Getattr"
	case *Slice:
		return "Slice"
	case *Concat:
		return "Concat"
	case *Compare:
		return "Compare"
	case *BinOp:
		return binOpKinds[n.Op]
	case *Unary:
		return unaryKinds[n.Op]
	}
	return ""
}

var binOpKinds = map[BinaryOp]string{
	OpAdd: "Add", OpSub: "Sub", OpMul: "Mul", OpDiv: "Div", OpFloorDiv: "FloorDiv", OpMod: "Mod",
	OpPow: "Pow", OpAnd: "And", OpOr: "Or",
}

var unaryKinds = map[UnaryOp]string{OpNot: "Not", OpNeg: "Neg", OpPos: "Pos"}

// Children lists a node's child nodes in the order of Jinja2's fields (what iter_child_nodes
// yields, nil fields left out; a Compare's operands are its expressions).
func Children(n Node) []Node {
	var out []Node
	add := func(ns ...Node) {
		for _, c := range ns {
			if c != nil && !isNilNode(c) {
				out = append(out, c)
			}
		}
	}
	stmts := func(ss []Stmt) {
		for _, s := range ss {
			add(s)
		}
	}
	exprs := func(es []Expr) {
		for _, e := range es {
			add(e)
		}
	}
	call := func(node Expr, args []Expr, kwargs []*Keyword, dynArgs, dynKwargs Expr) {
		add(node)
		exprs(args)
		for _, k := range kwargs {
			add(k)
		}
		add(dynArgs, dynKwargs)
	}
	switch n := n.(type) {
	case *Output:
		exprs(n.Nodes)
	case *Extends:
		add(n.Template)
	case *For:
		add(n.Target, n.Iter)
		stmts(n.Body)
		stmts(n.Else)
		add(n.Test)
	case *If:
		add(n.Test)
		stmts(n.Body)
		for _, e := range n.Elif {
			add(e)
		}
		stmts(n.Else)
	case *Macro:
		for _, a := range n.Args {
			add(a)
		}
		exprs(n.Defaults)
		stmts(n.Body)
	case *CallBlock:
		add(n.Call)
		for _, a := range n.Args {
			add(a)
		}
		exprs(n.Defaults)
		stmts(n.Body)
	case *FilterBlock:
		stmts(n.Body)
		add(n.Filter)
	case *With:
		exprs(n.Targets)
		exprs(n.Values)
		stmts(n.Body)
	case *Block:
		stmts(n.Body)
	case *Include:
		add(n.Template)
	case *Import:
		add(n.Template)
	case *FromImport:
		add(n.Template)
	case *Assign:
		add(n.Target, n.Node)
	case *AssignBlock:
		add(n.Target, n.Filter)
		stmts(n.Body)
	case *Autoescape:
		add(n.Value)
		stmts(n.Body)
	case *Tuple:
		exprs(n.Items)
	case *List:
		exprs(n.Items)
	case *Dict:
		for _, it := range n.Items {
			add(it)
		}
	case *Pair:
		add(n.Key, n.Value)
	case *Keyword:
		add(n.Value)
	case *CondExpr:
		add(n.Test, n.Expr1, n.Expr2)
	case *Filter:
		call(n.Node, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs)
	case *Test:
		call(n.Node, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs)
	case *Call:
		call(n.Node, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs)
	case *Getitem:
		add(n.Node, n.Arg)
	case *Getattr:
		add(n.Node)
	case *Slice:
		add(n.Start, n.Stop, n.Step)
	case *Concat:
		exprs(n.Nodes)
	case *Compare:
		add(n.Expr)
		for _, op := range n.Ops {
			add(op.Expr)
		}
	case *BinOp:
		add(n.Left, n.Right)
	case *Unary:
		add(n.Node)
	}
	return out
}

// isNilNode catches typed nil pointers stored in an interface (a nil *Filter in AssignBlock).
func isNilNode(n Node) bool {
	switch n := n.(type) {
	case *Filter:
		return n == nil
	case *Call:
		return n == nil
	case *If:
		return n == nil
	}
	return false
}

// Walk visits n and its descendants depth first, each node before its children (the order of
// Jinja2's find_all); when fn returns false the node's children are skipped.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || isNilNode(n) || !fn(n) {
		return
	}
	for _, c := range Children(n) {
		Walk(c, fn)
	}
}

// WalkTemplate walks every statement of the template's body.
func (t *Template) WalkTemplate(fn func(Node) bool) {
	for _, s := range t.Body {
		Walk(s, fn)
	}
}

// FilterNames lists the names of the filters the template uses, each once, in the order
// Jinja2's find_all(nodes.Filter) meets them first (an outer filter of a chain before the inner).
func (t *Template) FilterNames() []string {
	var names []string
	seen := map[string]bool{}
	t.WalkTemplate(func(n Node) bool {
		if f, ok := n.(*Filter); ok && !seen[f.Name] {
			seen[f.Name] = true
			names = append(names, f.Name)
		}
		return true
	})
	return names
}

// TopLevelKinds lists the Jinja2 class names of the template's top-level statements, in order
// (what the SDK checks against "Call", "Import" and "Include").
func (t *Template) TopLevelKinds() []string {
	kinds := make([]string, len(t.Body))
	for i, s := range t.Body {
		kinds[i] = KindOf(s)
	}
	return kinds
}
