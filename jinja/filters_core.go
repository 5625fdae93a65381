package jinja

import (
	"errors"
	"fmt"
	"iter"
	"math/big"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// The machinery the builtin filters, tests and globals share: Python's argument binding with
// its TypeErrors, iteration as Jinja2's sync and async code paths do it, Python's lazy
// generators and iterators, and make_attrgetter. The package-level names of the builtins'
// files start with "bi": they share package jinja with the evaluator.

// biPySig is the signature of the Python function behind a builtin, named as Python names it
// in its TypeErrors.
type biPySig struct {
	fn       string        // the function: "do_center"
	hidden   int           // leading environment/context parameters Python counts in its messages
	params   []string      // the parameters, the filtered or tested value first
	defaults []value.Value // the defaults of the last len(defaults) parameters
	varargs  bool          // *args: extra positional arguments go to biBound.rest
	varkw    bool          // **kwargs: unknown keywords go to biBound.kw
	style    biSigStyle
}

type biSigStyle int

const (
	biPyFunc    biSigStyle = iota // a Python function
	biCBuiltin                    // a C builtin of one argument: "abs() takes exactly one argument (2 given)"
	biCOperator                   // operator.eq and friends: "eq expected 2 arguments, got 1"
)

// biBound holds the arguments matched to a signature.
type biBound struct {
	p    []value.Value // one per parameter, defaults filled in
	rest []value.Value // extra positional arguments (*args)
	kw   []value.Kwarg // extra keyword arguments (**kwargs), in call order
}

// biSig builds a Python function signature: params with defaults for the last ones.
func biSig(fn string, hidden int, params []string, defaults ...value.Value) *biPySig {
	return &biPySig{fn: fn, hidden: hidden, params: params, defaults: defaults}
}

func biPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// bind matches the value and the arguments to the parameters as CPython does, failing with
// its TypeErrors (unexpected or repeated keyword, too many positional arguments, missing ones).
func (s *biPySig) bind(v value.Value, a Args) (biBound, error) {
	return s.bindArgs(Args{Pos: append([]value.Value{v}, a.Pos...), Kw: a.Kw})
}

// bindArgs binds the arguments of a call (the value, if any, is the first positional one).
func (s *biPySig) bindArgs(a Args) (biBound, error) {
	args := a.Pos
	switch s.style {
	case biCBuiltin:
		if len(a.Kw) > 0 {
			return biBound{}, value.Errorf("TypeError", "%s() takes no keyword arguments", s.fn)
		}
		if len(args) != 1 {
			return biBound{}, value.Errorf("TypeError", "%s() takes exactly one argument (%d given)", s.fn, len(args))
		}
		return biBound{p: args}, nil
	case biCOperator:
		if len(a.Kw) > 0 {
			return biBound{}, value.Errorf("TypeError", "_operator.%s() takes no keyword arguments", s.fn)
		}
		if len(args) != 2 {
			return biBound{}, value.Errorf("TypeError", "%s expected 2 arguments, got %d", s.fn, len(args))
		}
		return biBound{p: args}, nil
	}
	var b biBound
	n := len(s.params)
	b.p = make([]value.Value, n)
	set := make([]bool, n)
	for i := 0; i < len(args) && i < n; i++ {
		b.p[i], set[i] = args[i], true
	}
	if len(args) > n {
		b.rest = args[n:]
	}
	for _, kw := range a.Kw {
		i := biIndexOf(s.params, kw.Name)
		switch {
		case i < 0 && s.varkw:
			b.kw = append(b.kw, kw)
		case i < 0:
			return biBound{}, value.Errorf("TypeError", "%s() got an unexpected keyword argument '%s'", s.fn, kw.Name)
		case set[i]:
			return biBound{}, value.Errorf("TypeError", "%s() got multiple values for argument '%s'", s.fn, kw.Name)
		default:
			b.p[i], set[i] = kw.Value, true
		}
	}
	required := n - len(s.defaults)
	if len(args) > n && !s.varargs {
		given := s.hidden + len(args)
		if required == n {
			return biBound{}, value.Errorf("TypeError", "%s() takes %d positional %s but %d %s given",
				s.fn, s.hidden+n, biPlural(s.hidden+n, "argument", "arguments"), given, biPlural(given, "was", "were"))
		}
		return biBound{}, value.Errorf("TypeError", "%s() takes from %d to %d positional arguments but %d were given",
			s.fn, s.hidden+required, s.hidden+n, given)
	}
	var missing []string
	for i := 0; i < required; i++ {
		if !set[i] {
			missing = append(missing, "'"+s.params[i]+"'")
		}
	}
	if len(missing) > 0 {
		names := missing[0]
		switch len(missing) {
		case 1:
		case 2:
			names = missing[0] + " and " + missing[1]
		default:
			names = strings.Join(missing[:len(missing)-1], ", ") + ", and " + missing[len(missing)-1]
		}
		return biBound{}, value.Errorf("TypeError", "%s() missing %d required positional %s: %s",
			s.fn, len(missing), biPlural(len(missing), "argument", "arguments"), names)
	}
	for i := required; i < n; i++ {
		if !set[i] {
			b.p[i] = s.defaults[i-required]
		}
	}
	return b, nil
}

func biIndexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// biFilter makes a Filter of a signature and a body over the bound arguments.
func biFilter(s *biPySig, body func(r Runtime, b biBound) (value.Value, error)) Filter {
	return func(r Runtime, v value.Value, a Args) (value.Value, error) {
		b, err := s.bind(v, a)
		if err != nil {
			return nil, err
		}
		return body(r, b)
	}
}

// biTest makes a Test of a signature and a body over the bound arguments.
func biTest(s *biPySig, body func(r Runtime, b biBound) (bool, error)) Test {
	return func(r Runtime, v value.Value, a Args) (bool, error) {
		b, err := s.bind(v, a)
		if err != nil {
			return false, err
		}
		return body(r, b)
	}
}

// biTruth is Python's bool(v).
func biTruth(v value.Value) (bool, error) { return value.Truth(v) }

func biIsUndefined(v value.Value) bool {
	_, ok := v.(*value.Undefined)
	return ok
}

// biStr is Python's str(v) (markupsafe's soft_str: the same without Markup).
func biStr(v value.Value) (string, error) { return value.Str(v) }

// biAugmented rewords a binary operator's TypeError for its augmented assignment (Jinja2's async
// sum and indent use +=): "unsupported operand type(s) for +=: 'int' and 'str'".
func biAugmented(err error, op string) error {
	var e *value.Error
	if errors.As(err, &e) && e.Kind == "TypeError" {
		prefix := "unsupported operand type(s) for " + op + ":"
		if strings.HasPrefix(e.Message, prefix) {
			return value.Errorf("TypeError", "unsupported operand type(s) for %s=:%s", op, strings.TrimPrefix(e.Message, prefix))
		}
	}
	return err
}

// biIadd is Python's a += b: a list extends itself in place with any iterable, the other types add.
func biIadd(a, b value.Value) (value.Value, error) {
	if l, ok := a.(*value.List); ok {
		items, err := value.ToList(b)
		if err != nil {
			return nil, err
		}
		if len(l.Items)+len(items) > value.MaxSize {
			return nil, biTooLarge()
		}
		l.Items = append(l.Items, items...)
		return l, nil
	}
	out, err := value.Add(a, b)
	return out, biAugmented(err, "+")
}

// biTooLarge is the MemoryError of a result over value.MaxSize (a bound of this engine, not
// Python's: IsLimit, wrapping fault.ErrTooLarge), as package value raises it.
func biTooLarge() error {
	_, err := value.Mul("x", int64(value.MaxSize)+1)
	return err
}

// ---- iteration ----

// biPuller yields the next item; ok is false at the end.
type biPuller func() (v value.Value, ok bool, err error)

// biPull iterates v as Python's iter(v) (async false) or as Jinja2's auto_aiter in its async
// mode (async true): there an Undefined, even a StrictUndefined, iterates empty, and an
// async generator is iterable. A list is iterated live, a range lazily, the others from a
// snapshot of their items. A long range stops when the render's context ends (r may be nil).
func biPull(r Runtime, v value.Value, async bool) (biPuller, error) {
	switch x := v.(type) {
	case *biLazyIter:
		if x.async && !async {
			return nil, value.Errorf("TypeError", "'%s' object is not iterable", x.typ)
		}
		return x.pull, nil
	case *value.Undefined:
		if async || !x.Strict {
			return func() (value.Value, bool, error) { return nil, false, nil }, nil
		}
		return nil, x.Err()
	case *value.List:
		i := 0
		return func() (value.Value, bool, error) {
			if i >= len(x.Items) {
				return nil, false, nil
			}
			i++
			return x.Items[i-1], true, nil
		}, nil
	case *value.Range:
		n, i := x.Len(), int64(0)
		return func() (value.Value, bool, error) {
			if i >= n {
				return nil, false, nil
			}
			if i&0xfff == 0xfff && r != nil {
				if err := r.Context().Err(); err != nil {
					return nil, false, err
				}
			}
			i++
			return x.At(i - 1), true, nil
		}, nil
	}
	items, err := value.ToList(v)
	if err != nil {
		return nil, err
	}
	return biSliceIter(items), nil
}

func biSliceIter(items []value.Value) biPuller {
	i := 0
	return func() (value.Value, bool, error) {
		if i >= len(items) {
			return nil, false, nil
		}
		i++
		return items[i-1], true, nil
	}
}

// biToList is list(v) through pull.
func biToList(r Runtime, v value.Value, async bool) ([]value.Value, error) {
	next, err := biPull(r, v, async)
	if err != nil {
		return nil, err
	}
	var out []value.Value
	for {
		x, ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if len(out) >= value.MaxSize {
			return nil, biTooLarge()
		}
		out = append(out, x)
	}
}

// biLazyIter is a Python generator or iterator a filter returns: select and map give an
// async_generator, unique, batch, slice and items a generator, reverse an iterator. It runs
// as it is consumed, once: iterated a second time it is empty. It has no len() and is not
// reversible; printed, it shows its type (without Python's address).
type biLazyIter struct {
	typ   string   // the Python type: "async_generator", "generator", "list_reverseiterator"...
	fn    string   // the generator function ("do_map"), empty for an iterator
	async bool     // an async generator: only Jinja2's async code paths iterate it
	next  biPuller // nil once exhausted
}

func biNewGenerator(fn string, async bool, next biPuller) *biLazyIter {
	typ := "generator"
	if async {
		typ = "async_generator"
	}
	return &biLazyIter{typ: typ, fn: fn, async: async, next: next}
}

func (g *biLazyIter) pull() (value.Value, bool, error) {
	if g.next == nil {
		return nil, false, nil
	}
	v, ok, err := g.next()
	if err != nil || !ok {
		g.next = nil
	}
	return v, ok, err
}

// TypeName is the Python type.
func (g *biLazyIter) TypeName() string { return g.typ }

// Attr: generators expose no attribute to templates.
func (g *biLazyIter) Attr(string) (value.Value, bool) { return nil, false }

// PyRepr is Python's repr without the address.
func (g *biLazyIter) PyRepr() string {
	if g.fn != "" {
		return fmt.Sprintf("<%s object %s>", g.typ, g.fn)
	}
	return fmt.Sprintf("<%s object>", g.typ)
}

// PyIter runs the generator to its end first, so that an error it raises reaches the
// consumer (a for loop, list()) before any item.
func (g *biLazyIter) PyIter() (iter.Seq[value.Value], error) {
	items, err := biToList(nil, g, true)
	if err != nil {
		return nil, err
	}
	return func(yield func(value.Value) bool) {
		for _, it := range items {
			if !yield(it) {
				return
			}
		}
	}, nil
}

// ---- make_attrgetter ----

// biAttrParts is Jinja2's _prepare_attribute_parts: None gives no part, a str its dotted
// pieces (digit pieces as ints), anything else itself.
func biAttrParts(attr value.Value) []value.Value {
	switch x := attr.(type) {
	case nil:
		return nil
	case string:
		var parts []value.Value
		for _, p := range strings.Split(x, ".") {
			if p != "" && strings.Trim(p, "0123456789") == "" {
				n, ok := new(big.Int).SetString(p, 10)
				if ok && n.IsInt64() {
					parts = append(parts, n.Int64())
					continue
				}
				if ok {
					parts = append(parts, n)
					continue
				}
			}
			parts = append(parts, p)
		}
		return parts
	}
	return []value.Value{attr}
}

// biLookupPath looks the parts up one after the other with environment.getitem; an Undefined
// along the way fails with its error, as Jinja2's Undefined.__getitem__ does. A non-None
// dflt replaces an Undefined after each step.
func biLookupPath(r Runtime, item value.Value, parts []value.Value, dflt value.Value) (value.Value, error) {
	for _, p := range parts {
		if u, ok := item.(*value.Undefined); ok {
			return nil, u.Err()
		}
		item = r.GetItem(item, p)
		if dflt != nil && biIsUndefined(item) {
			item = dflt
		}
	}
	return item, nil
}

// biIgnoreCase lowers a str (Jinja2's ignore_case postprocessor).
func biIgnoreCase(v value.Value) value.Value {
	if s, ok := v.(string); ok {
		return value.Lower(s)
	}
	return v
}

// biAttrGetter is make_attrgetter: the key of an item at attribute, lowered unless caseSensitive.
func biAttrGetter(r Runtime, attribute value.Value, caseSensitive bool, dflt value.Value) func(value.Value) (value.Value, error) {
	parts := biAttrParts(attribute)
	return func(item value.Value) (value.Value, error) {
		v, err := biLookupPath(r, item, parts, dflt)
		if err != nil || caseSensitive {
			return v, err
		}
		return biIgnoreCase(v), nil
	}
}

// biMultiAttrGetter is make_multi_attrgetter: a list of keys, one per comma-separated attribute.
func biMultiAttrGetter(r Runtime, attribute value.Value, caseSensitive bool) func(value.Value) (value.Value, error) {
	var getters []func(value.Value) (value.Value, error)
	if s, ok := attribute.(string); ok {
		for _, a := range strings.Split(s, ",") {
			getters = append(getters, biAttrGetter(r, a, caseSensitive, nil))
		}
	} else {
		getters = append(getters, biAttrGetter(r, attribute, caseSensitive, nil))
	}
	return func(item value.Value) (value.Value, error) {
		keys := make([]value.Value, len(getters))
		for i, g := range getters {
			k, err := g(item)
			if err != nil {
				return nil, err
			}
			keys[i] = k
		}
		return value.NewList(keys...), nil
	}
}
