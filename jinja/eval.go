package jinja

import (
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/syntax"
	"github.com/infrahub-go/infrahub/jinja/value"
)

// eval evaluates an expression as Jinja2's generated Python does.
func (r *renderer) eval(f *frame, e syntax.Expr) (value.Value, error) {
	switch n := e.(type) {
	case *syntax.Const:
		return n.Value, nil
	case *syntax.Data:
		return n.Data, nil
	case *syntax.Name:
		return f.lookup(n.Name), nil
	case *syntax.Getattr:
		obj, err := r.eval(f, n.Node)
		if err != nil {
			return nil, err
		}
		return r.getattr(obj, n.Attr)
	case *syntax.Getitem:
		obj, err := r.eval(f, n.Node)
		if err != nil {
			return nil, err
		}
		if s, ok := n.Arg.(*syntax.Slice); ok {
			// slices bypass the environment's getitem
			sl, err := r.evalSlice(f, s)
			if err != nil {
				return nil, err
			}
			return value.GetItem(obj, sl)
		}
		key, err := r.eval(f, n.Arg)
		if err != nil {
			return nil, err
		}
		return r.getitem(obj, key)
	case *syntax.Slice:
		return r.evalSlice(f, n)
	case *syntax.Tuple:
		items, err := r.evalList(f, n.Items)
		return value.Tuple(items), err
	case *syntax.List:
		items, err := r.evalList(f, n.Items)
		if err != nil {
			return nil, err
		}
		return value.NewList(items...), nil
	case *syntax.Dict:
		return r.evalDict(f, n)
	case *syntax.BinOp:
		return r.evalBinOp(f, n)
	case *syntax.Unary:
		v, err := r.eval(f, n.Node)
		if err != nil {
			return nil, err
		}
		switch n.Op {
		case syntax.OpNot:
			return value.Not(v)
		case syntax.OpNeg:
			return value.Neg(v)
		}
		return value.Pos(v)
	case *syntax.Concat:
		vals, err := r.evalList(f, n.Nodes)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, v := range vals {
			s, err := value.Str(v)
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
		}
		return b.String(), nil
	case *syntax.Compare:
		return r.evalCompare(f, n)
	case *syntax.CondExpr:
		ok, err := r.truth(f, n.Test)
		switch {
		case err != nil:
			return nil, err
		case ok:
			return r.eval(f, n.Expr1)
		case n.Expr2 != nil:
			return r.eval(f, n.Expr2)
		}
		// the implicit else is always the lenient Undefined
		return &value.Undefined{Hint: fmt.Sprintf("the inline if-expression on %s evaluated to false and no else section was defined.", position(f.cf.tpl, n.Line))}, nil
	case *syntax.Filter:
		return r.evalFilter(f, n, nil)
	case *syntax.Test:
		return r.evalTest(f, n)
	case *syntax.Call:
		return r.evalCall(f, n, nil)
	}
	return nil, &Error{Kind: "InternalError", Message: fmt.Sprintf("cannot evaluate a %s", syntax.KindOf(e))}
}

// position is Jinja2's compiler position(): "line N in 'name'".
func position(t *Template, line int) string {
	if t.name == stringTemplateName {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("line %d in %s", line, pyQuote(t.name))
}

func (r *renderer) truth(f *frame, e syntax.Expr) (bool, error) {
	v, err := r.eval(f, e)
	if err != nil {
		return false, err
	}
	return value.Truth(v)
}

func (r *renderer) evalList(f *frame, es []syntax.Expr) ([]value.Value, error) {
	out := make([]value.Value, len(es))
	for i, e := range es {
		v, err := r.eval(f, e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (r *renderer) evalSlice(f *frame, s *syntax.Slice) (*value.Slice, error) {
	out := &value.Slice{}
	for _, p := range []struct {
		e   syntax.Expr
		dst *value.Value
	}{{s.Start, &out.Start}, {s.Stop, &out.Stop}, {s.Step, &out.Step}} {
		if p.e == nil {
			continue
		}
		v, err := r.eval(f, p.e)
		if err != nil {
			return nil, err
		}
		*p.dst = v
	}
	return out, nil
}

func (r *renderer) evalDict(f *frame, n *syntax.Dict) (value.Value, error) {
	d := value.NewDict()
	for _, p := range n.Items {
		k, err := r.eval(f, p.Key)
		if err != nil {
			return nil, err
		}
		v, err := r.eval(f, p.Value)
		if err != nil {
			return nil, err
		}
		if err := d.Set(k, v); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (r *renderer) evalBinOp(f *frame, n *syntax.BinOp) (value.Value, error) {
	left, err := r.eval(f, n.Left)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case syntax.OpAnd, syntax.OpOr:
		t, err := value.Truth(left)
		if err != nil {
			return nil, err
		}
		if t == (n.Op == syntax.OpOr) {
			return left, nil
		}
		return r.eval(f, n.Right)
	}
	right, err := r.eval(f, n.Right)
	if err != nil {
		return nil, err
	}
	return value.BinaryOp(string(n.Op), left, right)
}

var cmpOps = map[syntax.CmpOp]string{
	syntax.CmpEq: "==", syntax.CmpNe: "!=", syntax.CmpLt: "<", syntax.CmpLtEq: "<=", syntax.CmpGt: ">", syntax.CmpGtEq: ">=",
}

func (r *renderer) evalCompare(f *frame, n *syntax.Compare) (value.Value, error) {
	left, err := r.eval(f, n.Expr)
	if err != nil {
		return nil, err
	}
	for _, op := range n.Ops {
		right, err := r.eval(f, op.Expr)
		if err != nil {
			return nil, err
		}
		var ok bool
		switch op.Op {
		case syntax.CmpIn, syntax.CmpNotIn:
			ok, err = value.Contains(right, left)
			if op.Op == syntax.CmpNotIn {
				ok = !ok
			}
		default:
			ok, err = value.Compare(cmpOps[op.Op], left, right)
		}
		if err != nil {
			return nil, err
		}
		if !ok {
			return false, nil
		}
		left = right
	}
	return true, nil
}

// ---- filters, tests and calls ----

// evalFilter applies a filter; in a filter block or a block set the innermost filter of the
// chain takes input, the rendered body.
func (r *renderer) evalFilter(f *frame, n *syntax.Filter, input value.Value) (value.Value, error) {
	var v value.Value
	var err error
	switch node := n.Node.(type) {
	case nil:
		v = input
	case *syntax.Filter:
		v, err = r.evalFilter(f, node, input)
	default:
		v, err = r.eval(f, node)
	}
	if err != nil {
		return nil, err
	}
	pos, kw, err := r.evalArgs(f, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs, nil, "")
	if err != nil {
		return nil, err
	}
	fn, ok := r.env.filters[n.Name]
	if !ok {
		return nil, runtimeError("No filter named %s found.", pyQuote(n.Name))
	}
	return fn(r.api, v, Args{Pos: pos, Kw: kw})
}

func (r *renderer) evalTest(f *frame, n *syntax.Test) (value.Value, error) {
	v, err := r.eval(f, n.Node)
	if err != nil {
		return nil, err
	}
	pos, kw, err := r.evalArgs(f, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs, nil, "")
	if err != nil {
		return nil, err
	}
	fn, ok := r.env.tests[n.Name]
	if !ok {
		return nil, runtimeError("No test named %s found.", pyQuote(n.Name))
	}
	ok, err = fn(r.api, v, Args{Pos: pos, Kw: kw})
	return ok, err
}

// evalCall calls n; caller, when set, is passed as the keyword argument caller (a call block).
func (r *renderer) evalCall(f *frame, n *syntax.Call, caller value.Value) (value.Value, error) {
	fn, err := r.eval(f, n.Node)
	if err != nil {
		return nil, err
	}
	var extra []value.Kwarg
	if caller != nil {
		extra = []value.Kwarg{{Name: "caller", Value: caller}}
	}
	callee := "jinja2.runtime.Context.call() "
	if r.env.cfg.Sandboxed {
		callee = "jinja2.sandbox.SandboxedEnvironment.call() "
	}
	pos, kw, err := r.evalArgs(f, n.Args, n.Kwargs, n.DynArgs, n.DynKwargs, extra, callee)
	if err != nil {
		return nil, err
	}
	return r.call(fn, pos, kw)
}

// evalArgs evaluates arguments in Python's order: positional, keyword, *args, **kwargs; callee
// prefixes the messages Python words with the function called.
func (r *renderer) evalArgs(f *frame, args []syntax.Expr, kwargs []*syntax.Keyword, dynArgs, dynKwargs syntax.Expr, extra []value.Kwarg, callee string) ([]value.Value, []value.Kwarg, error) {
	pos, err := r.evalList(f, args)
	if err != nil {
		return nil, nil, err
	}
	var kw []value.Kwarg
	if len(kwargs)+len(extra) > 0 {
		kw = make([]value.Kwarg, 0, len(kwargs)+len(extra))
	}
	for _, k := range kwargs {
		v, err := r.eval(f, k.Value)
		if err != nil {
			return nil, nil, err
		}
		kw = append(kw, value.Kwarg{Name: k.Key, Value: v})
	}
	kw = append(kw, extra...)
	if dynArgs != nil {
		v, err := r.eval(f, dynArgs)
		if err != nil {
			return nil, nil, err
		}
		items, err := value.ToList(v)
		if err != nil {
			if value.IsKind(err, "TypeError") {
				return nil, nil, value.Errorf("TypeError", "Value after * must be an iterable, not %s", value.TypeName(v))
			}
			return nil, nil, err
		}
		pos = append(pos, items...)
	}
	if dynKwargs != nil {
		v, err := r.eval(f, dynKwargs)
		if err != nil {
			return nil, nil, err
		}
		d, ok := v.(*value.Dict)
		if !ok {
			return nil, nil, value.Errorf("TypeError", "%sargument after ** must be a mapping, not %s", callee, value.TypeName(v))
		}
		for k, val := range d.All() {
			ks, ok := k.(string)
			if !ok {
				return nil, nil, value.Errorf("TypeError", "keywords must be strings")
			}
			for _, prev := range kw {
				if prev.Name == ks {
					return nil, nil, value.Errorf("TypeError", "%sgot multiple values for keyword argument %s", callee, pyQuote(ks))
				}
			}
			kw = append(kw, value.Kwarg{Name: ks, Value: val})
		}
	}
	return pos, kw, nil
}

// call calls fn as Jinja2's Context.call does.
func (r *renderer) call(fn value.Value, args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
	switch x := fn.(type) {
	case *value.Undefined:
		return nil, x.Err()
	case *macro:
		return x.call(args, kwargs)
	case biRuntimeCallable:
		return x.CallRuntime(r.api, Args{Pos: args, Kw: kwargs})
	case value.Callable:
		return x.Call(args, kwargs)
	}
	return nil, value.Errorf("TypeError", "'%s' object is not callable", value.TypeName(fn))
}
