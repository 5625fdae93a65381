package jinja

import (
	"iter"
	"math/big"
	"math/rand/v2"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// The global functions of every environment (jinja2.defaults.DEFAULT_NAMESPACE): range, dict,
// biLipsum, cycler, joiner, namespace.

// biRuntimeCallable is a callable that needs the render calling it: the evaluator calls
// CallRuntime rather than value.Callable's Call when a value implements it.
type biRuntimeCallable interface {
	CallRuntime(r Runtime, a Args) (value.Value, error)
}

// biGlobalFunc is a global function (or class) of the environment. Its Call runs it without a
// render, as the unsandboxed environment does.
type biGlobalFunc struct {
	typ  string // Python's type of the global: "type" for a class, "function"
	repr string // "<class 'range'>"
	fn   func(r Runtime, a Args) (value.Value, error)
}

func (g *biGlobalFunc) CallRuntime(r Runtime, a Args) (value.Value, error) { return g.fn(r, a) }

func (g *biGlobalFunc) Call(args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
	return g.fn(nil, Args{Pos: args, Kw: kwargs})
}

func (g *biGlobalFunc) TypeName() string                { return g.typ }
func (g *biGlobalFunc) Attr(string) (value.Value, bool) { return nil, false }
func (g *biGlobalFunc) PyRepr() string                  { return g.repr }

func init() {
	builtinGlobals["range"] = &biGlobalFunc{typ: "type", repr: "<class 'range'>", fn: biGlobalRange}
	builtinGlobals["dict"] = &biGlobalFunc{typ: "type", repr: "<class 'dict'>", fn: func(_ Runtime, a Args) (value.Value, error) {
		return biNewDict("dict", a)
	}}
	builtinGlobals["namespace"] = &biGlobalFunc{typ: "type", repr: "<class 'jinja2.utils.Namespace'>", fn: func(_ Runtime, a Args) (value.Value, error) {
		d, err := biNewDict("dict", a)
		if err != nil {
			return nil, err
		}
		return &value.Namespace{Attrs: d}, nil
	}}
	builtinGlobals["cycler"] = &biGlobalFunc{typ: "type", repr: "<class 'jinja2.utils.Cycler'>", fn: func(_ Runtime, a Args) (value.Value, error) {
		if len(a.Kw) > 0 {
			return nil, value.Errorf("TypeError", "Cycler.__init__() got an unexpected keyword argument '%s'", a.Kw[0].Name)
		}
		if len(a.Pos) == 0 {
			return nil, value.Errorf("RuntimeError", "at least one item has to be provided")
		}
		return &biCycler{items: append(value.Tuple(nil), a.Pos...)}, nil
	}}
	joinerSig := biSig("Joiner.__init__", 1, []string{"sep"}, ", ")
	builtinGlobals["joiner"] = &biGlobalFunc{typ: "type", repr: "<class 'jinja2.utils.Joiner'>", fn: func(_ Runtime, a Args) (value.Value, error) {
		b, err := joinerSig.bindArgs(a)
		if err != nil {
			return nil, err
		}
		return &biJoiner{sep: b.p[0]}, nil
	}}
	lipsumSig := biSig("generate_lorem_ipsum", 0, []string{"n", "html", "min", "max"}, int64(5), true, int64(20), int64(100))
	builtinGlobals["lipsum"] = &biGlobalFunc{typ: "function", repr: "<function generate_lorem_ipsum>", fn: func(_ Runtime, a Args) (value.Value, error) {
		b, err := lipsumSig.bindArgs(a)
		if err != nil {
			return nil, err
		}
		return biLipsum(b.p)
	}}
}

// biNewDict is dict(*args, **kwargs).
func biNewDict(name string, a Args) (*value.Dict, error) {
	if len(a.Pos) > 1 {
		return nil, value.Errorf("TypeError", "%s expected at most 1 argument, got %d", name, len(a.Pos))
	}
	if len(a.Pos) == 1 {
		if u, ok := a.Pos[0].(*value.Undefined); ok {
			return nil, u.Err()
		}
	}
	d := value.NewDict()
	if err := value.DictUpdate(d, a.Pos, a.Kw); err != nil {
		return nil, err
	}
	return d, nil
}

// MaxSandboxRange is the sandbox's MAX_RANGE: the most items range() may give there.
const MaxSandboxRange = 100000

// biGlobalRange is range(); the sandbox refuses more than MaxSandboxRange items.
func biGlobalRange(r Runtime, a Args) (value.Value, error) {
	if len(a.Kw) > 0 {
		if r != nil && r.Sandboxed() {
			return nil, value.Errorf("TypeError", "safe_range() got an unexpected keyword argument '%s'", a.Kw[0].Name)
		}
		return nil, value.Errorf("TypeError", "range() takes no keyword arguments")
	}
	for _, x := range a.Pos {
		if b, ok := x.(*big.Int); ok && !b.IsInt64() && len(a.Pos) <= 3 {
			return biNewBigRange(r, a.Pos)
		}
	}
	rg, err := value.NewRange(a.Pos...)
	if err != nil {
		return nil, err
	}
	if r != nil && r.Sandboxed() && rg.Len() > MaxSandboxRange {
		return nil, biSandboxRangeError()
	}
	return rg, nil
}

func biSandboxRangeError() error {
	return value.Errorf("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", MaxSandboxRange)
}

// biBigRange is a range whose bounds do not fit an int64 (value.Range's).
type biBigRange struct{ start, stop, step *big.Int }

func biNewBigRange(r Runtime, args []value.Value) (value.Value, error) {
	n := make([]*big.Int, len(args))
	for i, x := range args {
		switch v := x.(type) {
		case *big.Int:
			n[i] = v
		case int64:
			n[i] = big.NewInt(v)
		case int:
			n[i] = big.NewInt(int64(v))
		case bool:
			n[i] = big.NewInt(0)
			if v {
				n[i] = big.NewInt(1)
			}
		default:
			return nil, value.Errorf("TypeError", "'%s' object cannot be interpreted as an integer", value.TypeName(x))
		}
	}
	br := &biBigRange{start: big.NewInt(0), step: big.NewInt(1)}
	switch len(n) {
	case 1:
		br.stop = n[0]
	case 2:
		br.start, br.stop = n[0], n[1]
	default:
		br.start, br.stop, br.step = n[0], n[1], n[2]
		if br.step.Sign() == 0 {
			return nil, value.Errorf("ValueError", "range() arg 3 must not be zero")
		}
	}
	if r != nil && r.Sandboxed() && br.length().Cmp(big.NewInt(MaxSandboxRange)) > 0 {
		return nil, biSandboxRangeError()
	}
	return br, nil
}

func (br *biBigRange) length() *big.Int {
	d := new(big.Int).Sub(br.stop, br.start)
	step := br.step
	if step.Sign() < 0 {
		d.Neg(d)
		step = new(big.Int).Neg(step)
	}
	if d.Sign() <= 0 {
		return new(big.Int)
	}
	d.Sub(d, big.NewInt(1)).Quo(d, step)
	return d.Add(d, big.NewInt(1))
}

func (br *biBigRange) at(i *big.Int) value.Value {
	v := new(big.Int).Mul(i, br.step)
	v.Add(v, br.start)
	if v.IsInt64() {
		return v.Int64()
	}
	return v
}

func (br *biBigRange) TypeName() string { return "range" }

func (br *biBigRange) Attr(name string) (value.Value, bool) {
	switch name {
	case "start":
		return br.start, true
	case "stop":
		return br.stop, true
	case "step":
		return br.step, true
	}
	return nil, false
}

func (br *biBigRange) PyRepr() string {
	if br.step.Cmp(big.NewInt(1)) == 0 {
		return "range(" + br.start.String() + ", " + br.stop.String() + ")"
	}
	return "range(" + br.start.String() + ", " + br.stop.String() + ", " + br.step.String() + ")"
}

// PyLen is the length, bounded by value.MaxSize (Python's len() overflows beyond ssize_t).
func (br *biBigRange) PyLen() int {
	n := br.length()
	if n.Cmp(big.NewInt(value.MaxSize)) > 0 {
		return value.MaxSize + 1
	}
	return int(n.Int64())
}

func (br *biBigRange) PyTruth() bool { return br.length().Sign() > 0 }

// PyIter yields the items, at most value.MaxSize + 1 of them.
func (br *biBigRange) PyIter() (iter.Seq[value.Value], error) {
	n := br.length()
	return func(yield func(value.Value) bool) {
		for i := big.NewInt(0); i.Cmp(n) < 0 && i.Cmp(big.NewInt(value.MaxSize)) <= 0; i.Add(i, big.NewInt(1)) {
			if !yield(br.at(i)) {
				return
			}
		}
	}, nil
}

func (br *biBigRange) PyGetItem(key value.Value) (value.Value, error) {
	var i *big.Int
	switch k := key.(type) {
	case int64:
		i = big.NewInt(k)
	case int:
		i = big.NewInt(int64(k))
	case *big.Int:
		i = new(big.Int).Set(k)
	default:
		return nil, value.Errorf("TypeError", "range indices must be integers or slices, not %s", value.TypeName(key))
	}
	n := br.length()
	if i.Sign() < 0 {
		i.Add(i, n)
	}
	if i.Sign() < 0 || i.Cmp(n) >= 0 {
		return nil, value.Errorf("IndexError", "range object index out of range")
	}
	return br.at(i), nil
}

// biCycler is jinja2.utils.Cycler.
type biCycler struct {
	items value.Tuple
	pos   int
}

func (c *biCycler) TypeName() string { return "Cycler" }
func (c *biCycler) PyModule() string { return "jinja2.utils" }
func (c *biCycler) PyRepr() string   { return "<jinja2.utils.Cycler object>" }

func (c *biCycler) method(name string, fn func() value.Value) *value.Func {
	return &value.Func{Name: name, Bound: true, Self: c, Fn: func(args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
		if len(kwargs) > 0 {
			return nil, value.Errorf("TypeError", "Cycler.%s() got an unexpected keyword argument '%s'", name, kwargs[0].Name)
		}
		if len(args) > 0 {
			return nil, value.Errorf("TypeError", "Cycler.%s() takes 1 positional argument but %d were given", name, len(args)+1)
		}
		return fn(), nil
	}}
}

func (c *biCycler) Attr(name string) (value.Value, bool) {
	switch name {
	case "items":
		return c.items, true
	case "pos":
		return int64(c.pos), true
	case "current":
		return c.items[c.pos], true
	case "next", "__next__":
		return c.method(name, func() value.Value {
			rv := c.items[c.pos]
			c.pos = (c.pos + 1) % len(c.items)
			return rv
		}), true
	case "reset":
		return c.method(name, func() value.Value { c.pos = 0; return nil }), true
	}
	return nil, false
}

// biJoiner is jinja2.utils.Joiner: "" the first time it is called, then its separator.
type biJoiner struct {
	sep  value.Value
	used bool
}

func (j *biJoiner) TypeName() string { return "Joiner" }
func (j *biJoiner) PyModule() string { return "jinja2.utils" }
func (j *biJoiner) PyRepr() string   { return "<jinja2.utils.Joiner object>" }

func (j *biJoiner) Attr(name string) (value.Value, bool) {
	switch name {
	case "sep":
		return j.sep, true
	case "used":
		return j.used, true
	}
	return nil, false
}

func (j *biJoiner) Call(args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
	if len(kwargs) > 0 {
		return nil, value.Errorf("TypeError", "Joiner.__call__() got an unexpected keyword argument '%s'", kwargs[0].Name)
	}
	if len(args) > 0 {
		return nil, value.Errorf("TypeError", "Joiner.__call__() takes 1 positional argument but %d were given", len(args)+1)
	}
	if !j.used {
		j.used = true
		return "", nil
	}
	return j.sep, nil
}

// biLipsum is generate_lorem_ipsum(n, html, min, max): n paragraphs of min to max-1 random
// words, as <p> elements (html) or separated by blank lines.
func biLipsum(p []value.Value) (value.Value, error) {
	n, err := biIntArg(p[0])
	if err != nil {
		return nil, err
	}
	lo, err := biIntArg(p[2])
	if err != nil {
		return nil, err
	}
	hi, err := biIntArg(p[3])
	if err != nil {
		return nil, err
	}
	html, err := biTruth(p[1])
	if err != nil {
		return nil, err
	}
	if n > 0 && hi > value.MaxSize/8/n {
		return nil, biTooLarge()
	}
	words := strings.Fields(biLipsumWords)
	var result []string
	for range max(n, 0) {
		if lo >= hi {
			return nil, value.Errorf("ValueError", "empty range for randrange() (%d, %d, %d)", lo, hi, hi-lo)
		}
		nextCap := true
		lastComma, lastFullstop := int64(0), int64(0)
		last := ""
		var para []string
		count := lo + rand.Int64N(hi-lo)
		for idx := int64(0); idx < count; idx++ {
			word := words[rand.IntN(len(words))]
			for word == last {
				word = words[rand.IntN(len(words))]
			}
			last = word
			if nextCap {
				word = value.Capitalize(word)
				nextCap = false
			}
			if idx-(3+rand.Int64N(5)) > lastComma {
				lastComma = idx
				lastFullstop += 2
				word += ","
			}
			if idx-(10+rand.Int64N(10)) > lastFullstop {
				lastComma, lastFullstop = idx, idx
				word += "."
				nextCap = true
			}
			para = append(para, word)
		}
		s := strings.Join(para, " ")
		switch {
		case strings.HasSuffix(s, ","):
			s = s[:len(s)-1] + "."
		case !strings.HasSuffix(s, "."):
			s += "."
		}
		result = append(result, s)
	}
	if !html {
		return strings.Join(result, "\n\n"), nil
	}
	for i, s := range result {
		result[i] = "<p>" + biEscapeHTML(s) + "</p>"
	}
	return strings.Join(result, "\n"), nil
}

func biIntArg(v value.Value) (int64, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	}
	return 0, value.Errorf("TypeError", "'%s' object cannot be interpreted as an integer", value.TypeName(v))
}
