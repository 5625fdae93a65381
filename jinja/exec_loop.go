package jinja

import (
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/infrahub-go/infrahub/jinja/syntax"
	"github.com/infrahub-go/infrahub/jinja/value"
)

// itemIter walks the items of an iterable.
type itemIter interface {
	next() (value.Value, bool, error)
	stop()
}

type sliceIter struct {
	items []value.Value
	i     int
}

func (s *sliceIter) next() (value.Value, bool, error) {
	if s.i >= len(s.items) {
		return nil, false, nil
	}
	s.i++
	return s.items[s.i-1], true, nil
}
func (s *sliceIter) stop() {}

// listIter walks a list live, as Python's list iterator does.
type listIter struct {
	l *value.List
	i int
}

func (s *listIter) next() (value.Value, bool, error) {
	if s.i >= len(s.l.Items) {
		return nil, false, nil
	}
	s.i++
	return s.l.Items[s.i-1], true, nil
}
func (s *listIter) stop() {}

type strIter struct{ s string }

func (s *strIter) next() (value.Value, bool, error) {
	if s.s == "" {
		return nil, false, nil
	}
	_, n := utf8.DecodeRuneInString(s.s)
	c := s.s[:n]
	s.s = s.s[n:]
	return c, true, nil
}
func (s *strIter) stop() {}

type rangeIter struct {
	r    *value.Range
	i, n int64
}

func (s *rangeIter) next() (value.Value, bool, error) {
	if s.i >= s.n {
		return nil, false, nil
	}
	s.i++
	return s.r.At(s.i - 1), true, nil
}
func (s *rangeIter) stop() {}

type pullIter struct {
	nextFn func() (value.Value, bool)
	stopFn func()
}

func (s *pullIter) next() (value.Value, bool, error) {
	v, ok := s.nextFn()
	return v, ok, nil
}
func (s *pullIter) stop() { s.stopFn() }

// iterate is `for x in v` of an async render: an Undefined (even a strict one) has no items.
func iterate(v value.Value) (itemIter, error) {
	switch x := v.(type) {
	case *value.Undefined:
		return &sliceIter{}, nil
	case *value.List:
		return &listIter{l: x}, nil
	case value.Tuple:
		return &sliceIter{items: x}, nil
	case string:
		return &strIter{s: x}, nil
	case value.Markup: // iterating a Markup gives plain str
		return &strIter{s: string(x)}, nil
	case *value.Range:
		return &rangeIter{r: x, n: x.Len()}, nil
	case *value.Dict:
		return &sliceIter{items: x.Keys()}, nil
	}
	seq, err := value.Iterate(v)
	if err != nil {
		return nil, err
	}
	next, stop := iter.Pull(seq)
	return &pullIter{nextFn: next, stopFn: stop}, nil
}

func (f *frame) execFor(n *syntax.For) error {
	r := f.r
	info := f.cf.tpl.prog.fors[n]
	f.cf.line = n.Line
	v, err := r.eval(f, n.Iter)
	if err != nil {
		return err
	}
	if !n.Recursive {
		return f.runLoop(n, info, v, 0, f.out)
	}
	s, err := f.recursiveLoop(n, info, v, 0)
	if err != nil {
		return err
	}
	return f.write(s)
}

// recursiveLoop renders one level of a recursive loop into its own text (loop(...)).
func (f *frame) recursiveLoop(n *syntax.For, info *forInfo, v value.Value, depth0 int) (string, error) {
	r := f.r
	if depth0 > 0 {
		if err := r.enter(); err != nil {
			return "", err
		}
		defer r.leave()
	}
	var buf strings.Builder
	err := f.runLoop(n, info, v, depth0, &buf)
	return buf.String(), err
}

func (f *frame) runLoop(n *syntax.For, info *forInfo, v value.Value, depth0 int, out *strings.Builder) error {
	r := f.r
	it, err := iterate(v)
	if err != nil {
		return err
	}
	defer it.stop()
	var lc *loopCtx
	if n.Test != nil {
		it = &filterIter{r: r, f: f, n: n, info: info, src: it}
	}
	if info.extended {
		lc = &loopCtx{r: r, it: it, index0: -1, after: missing, current: missing, before: missing, lastChanged: missing, depth0: depth0}
		if n.Test == nil {
			lc.src = v
		}
		if n.Recursive {
			lc.recurse = func(v value.Value) (value.Value, error) {
				return f.recursiveLoop(n, info, v, lc.depth0+1)
			}
		}
	}
	iterated := false
	for {
		f.cf.line = n.Line
		var item value.Value
		var ok bool
		if lc != nil {
			item, ok, err = lc.next()
		} else {
			item, ok, err = it.next()
		}
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := r.tick(); err != nil {
			return err
		}
		iterated = true
		lf := f.inner(info.loop)
		lf.out = out
		if err := lf.assign(n.Target, item); err != nil {
			return err
		}
		if lc != nil {
			lf.sc.set("loop", lc)
		}
		if err := lf.execBody(n.Body); err != nil {
			return err
		}
	}
	if !iterated && n.Else != nil {
		ef := f.inner(info.els)
		ef.out = out
		return ef.execBody(n.Else)
	}
	return nil
}

// filterIter yields the items passing a loop's `if` (Jinja2's loop filter function): the test
// runs in a frame of its own where the target is assigned, and the target is yielded again.
type filterIter struct {
	r    *renderer
	f    *frame
	tf   *frame
	n    *syntax.For
	info *forInfo
	src  itemIter
}

func (fi *filterIter) next() (value.Value, bool, error) {
	if fi.tf == nil {
		fi.tf = fi.f.inner(fi.info.test)
	}
	for {
		v, ok, err := fi.src.next()
		if err != nil || !ok {
			return nil, false, err
		}
		fi.f.cf.line = fi.n.Test.Lineno()
		if err := fi.tf.assign(fi.n.Target, v); err != nil {
			return nil, false, err
		}
		pass, err := fi.r.truth(fi.tf, fi.n.Test)
		if err != nil {
			return nil, false, err
		}
		if pass {
			return repack(fi.tf.sc, fi.n.Target), true, nil
		}
		if err := fi.r.tick(); err != nil {
			return nil, false, err
		}
	}
}

func (fi *filterIter) stop() { fi.src.stop() }

func repack(sc *scope, target syntax.Expr) value.Value {
	switch t := target.(type) {
	case *syntax.Name:
		v, _ := sc.get(t.Name)
		return v
	case *syntax.Tuple:
		out := make(value.Tuple, len(t.Items))
		for i, it := range t.Items {
			out[i] = repack(sc, it)
		}
		return out
	}
	return nil
}
