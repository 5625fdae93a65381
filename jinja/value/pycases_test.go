package value

import (
	"math"
	"testing"
)

type pyCase struct{ expr, want string }

// pyCases: {Python expression, repr of its value or "!Exception: message"},
// recorded by running each expression in python3 with testdata/pycases.py
// (which also checks them: python3 testdata/pycases.py --check). They are
// in the cases_*_test.go files.
func pyCases() []pyCase {
	var all []pyCase
	for _, group := range [][]pyCase{scalarCases, opCases, formatCases, strMethodCases, containerCases, markupCases} {
		all = append(all, group...)
	}
	return all
}

func pyBuiltins() map[string]Value {
	fn := func(name string, f func(args []Value, kw []Kwarg) (Value, error)) Value { return NewFunc(name, f) }
	one := func(name string, f func(Value) (Value, error)) Value {
		return fn(name, func(args []Value, _ []Kwarg) (Value, error) { return f(args[0]) })
	}
	ns := NewNamespace()
	ns.Attrs.SetStr("a", int64(1))
	return map[string]Value{
		"nan": math.NaN(), "inf": math.Inf(1),
		"U": NewUndefined("x", false), "SU": NewUndefined("x", true),
		"UL":    UndefinedLookup(NewList(int64(1)), int64(3), false),
		"UD":    UndefinedLookup(NewDict(), "y", false),
		"UN":    UndefinedLookup(nil, "z", false),
		"SUD":   UndefinedLookup(NewDict(), "y", true),
		"ns":    ns,
		"str":   one("str", func(v Value) (Value, error) { return Str(v) }),
		"repr":  one("repr", func(v Value) (Value, error) { return Repr(v) }),
		"ascii": one("ascii", func(v Value) (Value, error) { return ASCII(v) }),
		"len": one("len", func(v Value) (Value, error) {
			n, err := Len(v)
			return int64(n), err
		}),
		"bool": one("bool", func(v Value) (Value, error) { return Truth(v) }),
		"list": one("list", func(v Value) (Value, error) {
			items, err := ToList(v)
			return NewList(items...), err
		}),
		"float": one("float", func(v Value) (Value, error) { return Float(v) }),
		"int": fn("int", func(args []Value, _ []Kwarg) (Value, error) {
			if len(args) == 2 {
				return Int(args[0], args[1])
			}
			return Int(args[0], nil)
		}),
		"round": fn("round", func(args []Value, _ []Kwarg) (Value, error) {
			if len(args) == 2 {
				return Round(args[0], args[1])
			}
			return Round(args[0], nil)
		}),
		"abs":    one("abs", Abs),
		"escape": one("escape", func(v Value) (Value, error) { return Escape(v) }),
		"Markup": one("Markup", func(v Value) (Value, error) { // Markup(obj): str(obj), unescaped
			if h, ok := v.(HTMLer); ok {
				return Markup(h.HTML()), nil
			}
			s, err := Str(v)
			return Markup(s), err
		}),
		"range":  fn("range", func(args []Value, _ []Kwarg) (Value, error) { return NewRange(args...) }),
		"format": fn("format", func(args []Value, _ []Kwarg) (Value, error) { return Format(args[0], args[1].(string)) }),
		"sorted": fn("sorted", func(args []Value, kw []Kwarg) (Value, error) {
			items, err := ToList(args[0])
			if err != nil {
				return nil, err
			}
			reverse := len(kw) == 1 && kw[0].Value == true
			return NewList(items...), Sort(items, reverse)
		}),
		"json_dumps": fn("json_dumps", func(args []Value, kw []Kwarg) (Value, error) {
			var opts JSONOptions
			for _, k := range kw {
				switch k.Name {
				case "sort_keys":
					opts.SortKeys = k.Value == true
				case "indent":
					n := int(k.Value.(int64))
					opts.Indent = &n
				}
			}
			return ToJSON(args[0], opts)
		}),
	}
}

func TestPythonCases(t *testing.T) {
	if len(pyCases()) < 250 {
		t.Fatalf("only %d cases", len(pyCases()))
	}
	for _, c := range pyCases() {
		if got := evalPy(c.expr); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
}
