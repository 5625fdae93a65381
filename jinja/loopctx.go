package jinja

import (
	"fmt"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// loopCtx is Jinja2's (Async)LoopContext, the `loop` variable.
type loopCtx struct {
	r                     *renderer
	it                    itemIter
	src                   value.Value // the iterable when its len() is the loop's length
	index0                int
	length                int
	hasLength             bool
	after, current        value.Value
	before, lastChanged   value.Value
	depth0                int
	recurse               func(value.Value) (value.Value, error)
	cycleFunc, changeFunc *value.Func
}

func (l *loopCtx) next() (value.Value, bool, error) {
	var rv value.Value
	if l.after != missing {
		rv, l.after = l.after, missing
	} else {
		v, ok, err := l.it.next()
		if err != nil || !ok {
			return nil, false, err
		}
		rv = v
	}
	l.index0++
	l.before, l.current = l.current, rv
	return rv, true, nil
}

func (l *loopCtx) peek() (value.Value, error) {
	if l.after != missing {
		return l.after, nil
	}
	v, ok, err := l.it.next()
	if err != nil {
		return nil, err
	}
	if ok {
		l.after = v
	}
	return l.after, nil
}

func (l *loopCtx) len() (int, error) {
	if l.hasLength {
		return l.length, nil
	}
	if l.src != nil {
		if n, err := value.Len(l.src); err == nil {
			l.length, l.hasLength = n, true
			return n, nil
		}
	}
	var rest []value.Value
	for {
		v, ok, err := l.it.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		rest = append(rest, v)
	}
	l.it = &sliceIter{items: rest}
	l.length = len(rest) + l.index0 + 1
	if l.after != missing {
		l.length++
	}
	l.hasLength = true
	return l.length, nil
}

func (l *loopCtx) TypeName() string { return "AsyncLoopContext" }
func (l *loopCtx) PyModule() string { return "jinja2.runtime" }
func (l *loopCtx) PyRepr() string {
	n, _ := l.len()
	return fmt.Sprintf("<LoopContext %d/%d>", l.index0+1, n)
}
func (l *loopCtx) Attr(name string) (value.Value, bool) {
	v, ok, err := l.attr(name)
	return v, ok && err == nil
}

func (l *loopCtx) attr(name string) (value.Value, bool, error) {
	switch name {
	case "index":
		return int64(l.index0 + 1), true, nil
	case "index0":
		return int64(l.index0), true, nil
	case "first":
		return l.index0 == 0, true, nil
	case "depth":
		return int64(l.depth0 + 1), true, nil
	case "depth0":
		return int64(l.depth0), true, nil
	case "length", "revindex", "revindex0":
		n, err := l.len()
		if err != nil {
			return nil, true, err
		}
		switch name {
		case "revindex":
			return int64(n - l.index0), true, nil
		case "revindex0":
			return int64(n - l.index0 - 1), true, nil
		}
		return int64(n), true, nil
	case "last", "nextitem":
		v, err := l.peek()
		if err != nil {
			return nil, true, err
		}
		if name == "last" {
			return v == missing, true, nil
		}
		if v == missing {
			return l.r.undefinedHint("there is no next item"), true, nil
		}
		return v, true, nil
	case "previtem":
		if l.index0 == 0 {
			return l.r.undefinedHint("there is no previous item"), true, nil
		}
		return l.before, true, nil
	case "cycle":
		if l.cycleFunc == nil {
			l.cycleFunc = &value.Func{Name: "cycle", Bound: true, Self: l, Fn: func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
				if len(kw) > 0 {
					return nil, value.Errorf("TypeError", "LoopContext.cycle() got an unexpected keyword argument %s", pyQuote(kw[0].Name))
				}
				if len(args) == 0 {
					return nil, value.Errorf("TypeError", "no items for cycling given")
				}
				return args[l.index0%len(args)], nil
			}}
		}
		return l.cycleFunc, true, nil
	case "changed":
		if l.changeFunc == nil {
			l.changeFunc = &value.Func{Name: "changed", Bound: true, Self: l, Fn: func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
				if len(kw) > 0 {
					return nil, value.Errorf("TypeError", "LoopContext.changed() got an unexpected keyword argument %s", pyQuote(kw[0].Name))
				}
				cur := value.Tuple(append([]value.Value(nil), args...))
				if l.lastChanged != missing {
					same, err := value.Equal(l.lastChanged, cur)
					if err != nil || same {
						return false, err
					}
				}
				l.lastChanged = cur
				return true, nil
			}}
		}
		return l.changeFunc, true, nil
	}
	return nil, false, nil
}

// Call is loop(iterable) of a recursive loop.
func (l *loopCtx) Call(args []value.Value, kwargs []value.Kwarg) (value.Value, error) {
	if l.recurse == nil {
		return nil, value.Errorf("TypeError", "The loop must have the 'recursive' marker to be called recursively.")
	}
	if len(args) != 1 || len(kwargs) > 0 {
		return nil, value.Errorf("TypeError", "LoopContext.__call__() takes 2 positional arguments but %d were given", len(args)+1)
	}
	return l.recurse(args[0])
}
