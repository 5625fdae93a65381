package value

import (
	"math"
	"math/big"
	"reflect"
	"strings"
)

// maxDepth bounds the nesting Equal and Compare follow (CPython raises
// RecursionError on deeper or self-referencing containers).
const maxDepth = 500

func recursionError() *Error {
	return Errorf("RecursionError", "maximum recursion depth exceeded in comparison")
}

// Truth is Python's bool(v); it fails on a strict Undefined.
func Truth(v Value) (bool, error) {
	switch x := norm(v).(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case *big.Int:
		return x.Sign() != 0, nil
	case float64:
		return x != 0, nil
	case string:
		return x != "", nil
	case *List:
		return len(x.Items) > 0, nil
	case Tuple:
		return len(x) > 0, nil
	case *Dict:
		return x.Len() > 0, nil
	case *DictView:
		return x.Dict.Len() > 0, nil
	case *Range:
		return x.Len() > 0, nil
	case *Undefined:
		if x.Strict {
			return false, x.Err()
		}
		return false, nil
	case Truther:
		return x.PyTruth(), nil
	case Sized:
		return x.PyLen() > 0, nil
	}
	return true, nil
}

// Equal is Python's a == b; it fails on a strict Undefined.
func Equal(a, b Value) (bool, error) { return equal(norm(a), norm(b), 0) }

func equal(a, b Value, depth int) (bool, error) {
	if depth > maxDepth {
		return false, recursionError()
	}
	if err := strictErr(a, b); err != nil {
		return false, err
	}
	if isNumber(a) && isNumber(b) {
		return numCmp(a, b) == 0, nil
	}
	switch x := a.(type) {
	case nil:
		return b == nil, nil
	case string:
		y, ok := b.(string)
		return ok && x == y, nil
	case *List:
		y, ok := b.(*List)
		if !ok {
			return false, nil
		}
		if x == y {
			return true, nil
		}
		return seqEqual(x.Items, y.Items, depth)
	case Tuple:
		y, ok := b.(Tuple)
		if !ok {
			return false, nil
		}
		return seqEqual(x, y, depth)
	case *Dict:
		y, ok := b.(*Dict)
		if !ok {
			return false, nil
		}
		return dictEqual(x, y, depth)
	case *Range:
		y, ok := b.(*Range)
		if !ok {
			return false, nil
		}
		n := x.Len()
		return n == y.Len() && (n == 0 || x.Start == y.Start && (n == 1 || x.Step == y.Step)), nil
	case *DictView:
		y, ok := b.(*DictView)
		if !ok || x.Kind == ViewValues || y.Kind == ViewValues {
			return ok && x == y, nil
		}
		if x.Dict.Len() != y.Dict.Len() {
			return false, nil
		}
		for e := range x.seq() {
			in, err := Contains(y, e)
			if err != nil || !in {
				return false, err
			}
		}
		return true, nil
	case *Undefined:
		y, ok := b.(*Undefined)
		return ok && !y.Strict, nil
	}
	if _, ok := b.(*Undefined); ok {
		return false, nil
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta == nil || ta != tb || !ta.Comparable() {
		return false, nil
	}
	return a == b, nil
}

func seqEqual(x, y []Value, depth int) (bool, error) {
	if len(x) != len(y) {
		return false, nil
	}
	for i := range x {
		eq, err := equal(norm(x[i]), norm(y[i]), depth+1)
		if err != nil || !eq {
			return false, err
		}
	}
	return true, nil
}

func dictEqual(x, y *Dict, depth int) (bool, error) {
	if x == y {
		return true, nil
	}
	if x.Len() != y.Len() {
		return false, nil
	}
	for _, e := range x.entries {
		i, ok := y.find(e.h)
		if !ok {
			return false, nil
		}
		eq, err := equal(norm(e.Value), norm(y.entries[i].Value), depth+1)
		if err != nil || !eq {
			return false, err
		}
	}
	return true, nil
}

// numCmp compares two numbers: -1, 0, 1, or 2 when one is NaN.
func numCmp(a, b Value) int {
	fa, aFloat := a.(float64)
	fb, bFloat := b.(float64)
	switch {
	case aFloat && bFloat:
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		case fa == fb:
			return 0
		}
		return 2
	case aFloat:
		if math.IsNaN(fa) {
			return 2
		}
		return -cmpIntFloat(b, fa)
	case bFloat:
		if math.IsNaN(fb) {
			return 2
		}
		return cmpIntFloat(a, fb)
	}
	return cmpInt(a, b)
}

// Compare is Python's comparison a op b for op in ==, !=, <, <=, >, >=.
// Ordering fails with Python's TypeError on types without an order, and
// with the UndefinedError of any Undefined.
func Compare(op string, a, b Value) (bool, error) {
	a0, b0 := a, b
	a, b = norm(a), norm(b)
	switch op {
	case "==":
		return equal(a, b, 0)
	case "!=":
		eq, err := equal(a, b, 0)
		return !eq, err
	case "<", "<=", ">", ">=":
		ok, err := order(op, a, b, 0)
		return ok, markupOrderError(op, a0, b0, err)
	}
	return false, valueError("unknown comparison %q", op)
}

// Less is Python's a < b.
func Less(a, b Value) (bool, error) {
	ok, err := order("<", norm(a), norm(b), 0)
	return ok, markupOrderError("<", a, b, err)
}

// markupOrderError names a Markup operand "Markup" in the TypeError of an ordering.
func markupOrderError(op string, a, b Value, err error) error {
	if err != nil && (isMarkup(a) || isMarkup(b)) && IsKind(err, "TypeError") {
		return typeError("'%s' not supported between instances of '%s' and '%s'", op, TypeName(a), TypeName(b))
	}
	return err
}

func order(op string, a, b Value, depth int) (bool, error) {
	if depth > maxDepth {
		return false, recursionError()
	}
	if err := undefErr(a, b); err != nil {
		return false, err
	}
	if isNumber(a) && isNumber(b) {
		return cmpResult(op, numCmp(a, b)), nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return cmpResult(op, strings.Compare(x, y)), nil
		}
	case *List:
		if y, ok := b.(*List); ok {
			return seqOrder(op, x.Items, y.Items, depth)
		}
	case Tuple:
		if y, ok := b.(Tuple); ok {
			return seqOrder(op, x, y, depth)
		}
	}
	return false, typeError("'%s' not supported between instances of '%s' and '%s'", op, TypeName(a), TypeName(b))
}

func seqOrder(op string, x, y []Value, depth int) (bool, error) {
	for i := 0; i < len(x) && i < len(y); i++ {
		xi, yi := norm(x[i]), norm(y[i])
		eq, err := equal(xi, yi, depth+1)
		if err != nil {
			return false, err
		}
		if !eq {
			return order(op, xi, yi, depth+1)
		}
	}
	c := 0
	switch {
	case len(x) < len(y):
		c = -1
	case len(x) > len(y):
		c = 1
	}
	return cmpResult(op, c), nil
}

// cmpResult applies op to a three-way result (2: unordered, NaN).
func cmpResult(op string, c int) bool {
	if c == 2 {
		return false
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "==":
		return c == 0
	}
	return c != 0
}
