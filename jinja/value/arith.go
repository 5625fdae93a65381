package value

import (
	"math/big"
	"strings"
)

// MaxSize bounds the length of a str (in bytes), list or tuple one operation
// may produce (repetition, concatenation, padding): a bigger result is a
// MemoryError.
const MaxSize = 1 << 25

func tooLarge() *Error {
	e := Errorf("MemoryError", "result too large (more than %d items)", MaxSize)
	e.limit = true
	return e
}

// BinaryOp applies the Python operator op (+ - * / // % **) to a and b.
func BinaryOp(op string, a, b Value) (Value, error) {
	switch op {
	case "+":
		return Add(a, b)
	case "-":
		return Sub(a, b)
	case "*":
		return Mul(a, b)
	case "/":
		return Div(a, b)
	case "//":
		return FloorDiv(a, b)
	case "%":
		return Mod(a, b)
	case "**":
		return Pow(a, b)
	}
	return nil, valueError("unknown operator %q", op)
}

func unsupported(op string, a, b Value) *Error {
	return typeError("unsupported operand type(s) for %s: '%s' and '%s'", op, TypeName(a), TypeName(b))
}

// toFloats converts two numbers, one of them a float, to floats.
func toFloats(a, b Value) (float64, float64, error) {
	x, err := asFloat(a)
	if err != nil {
		return 0, 0, err
	}
	y, err := asFloat(b)
	return x, y, err
}

func asFloat(v Value) (float64, error) {
	if f, ok := v.(float64); ok {
		return f, nil
	}
	return intToFloat(v)
}

func isFloatOp(a, b Value) bool {
	_, fa := a.(float64)
	_, fb := b.(float64)
	return fa || fb
}

// Add is Python's a + b.
func Add(a, b Value) (Value, error) {
	if isMarkup(a) || isMarkup(b) {
		return markupBinary("+", a, b)
	}
	a, b = norm(a), norm(b)
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if isNumber(a) && isNumber(b) {
		if isFloatOp(a, b) {
			x, y, err := toFloats(a, b)
			return x + y, err
		}
		return intAdd(a, b)
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			if len(x)+len(y) > MaxSize {
				return nil, tooLarge()
			}
			return x + y, nil
		}
		return nil, typeError("can only concatenate str (not \"%s\") to str", TypeName(b))
	case *List:
		if y, ok := b.(*List); ok {
			if len(x.Items)+len(y.Items) > MaxSize {
				return nil, tooLarge()
			}
			return NewList(concat(x.Items, y.Items)...), nil
		}
		return nil, typeError("can only concatenate list (not \"%s\") to list", TypeName(b))
	case Tuple:
		if y, ok := b.(Tuple); ok {
			if len(x)+len(y) > MaxSize {
				return nil, tooLarge()
			}
			return Tuple(concat(x, y)), nil
		}
		return nil, typeError("can only concatenate tuple (not \"%s\") to tuple", TypeName(b))
	}
	return nil, unsupported("+", a, b)
}

func concat(x, y []Value) []Value {
	out := make([]Value, 0, len(x)+len(y))
	return append(append(out, x...), y...)
}

// Sub is Python's a - b.
func Sub(a, b Value) (Value, error) {
	if isMarkup(a) || isMarkup(b) {
		return markupBinary("-", a, b)
	}
	a, b = norm(a), norm(b)
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if isNumber(a) && isNumber(b) {
		if isFloatOp(a, b) {
			x, y, err := toFloats(a, b)
			return x - y, err
		}
		return intSub(a, b)
	}
	return nil, unsupported("-", a, b)
}

func isSeq(v Value) bool {
	switch v.(type) {
	case string, *List, Tuple:
		return true
	}
	return false
}

// Mul is Python's a * b.
func Mul(a, b Value) (Value, error) {
	if isMarkup(a) || isMarkup(b) {
		return markupBinary("*", a, b)
	}
	a, b = norm(a), norm(b)
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if isNumber(a) && isNumber(b) {
		if isFloatOp(a, b) {
			x, y, err := toFloats(a, b)
			return x * y, err
		}
		return intMul(a, b)
	}
	seq, n := a, b
	if !isSeq(a) {
		seq, n = b, a
	}
	if !isSeq(seq) {
		return nil, unsupported("*", a, b)
	}
	if !isInt(n) {
		return nil, typeError("can't multiply sequence by non-int of type '%s'", TypeName(n))
	}
	count, ok := small(n)
	if !ok {
		if intSign(n) < 0 {
			count = 0
		} else {
			return nil, Errorf("OverflowError", "cannot fit 'int' into an index-sized integer")
		}
	}
	if count < 0 {
		count = 0
	}
	return repeat(seq, count)
}

func repeat(seq Value, count int64) (Value, error) {
	switch x := seq.(type) {
	case string:
		if count > 0 && int64(len(x)) > MaxSize/count {
			return nil, tooLarge()
		}
		return strings.Repeat(x, int(count)), nil
	case *List:
		items, err := repeatItems(x.Items, count)
		return NewList(items...), err
	default:
		items, err := repeatItems(seq.(Tuple), count)
		return Tuple(items), err
	}
}

func repeatItems(items []Value, count int64) ([]Value, error) {
	if count > 0 && int64(len(items)) > MaxSize/count {
		return nil, tooLarge()
	}
	out := make([]Value, 0, int64(len(items))*count)
	for i := int64(0); i < count; i++ {
		out = append(out, items...)
	}
	return out, nil
}

// Div is Python's a / b.
func Div(a, b Value) (Value, error) {
	if isMarkup(a) || isMarkup(b) {
		return markupBinary("/", a, b)
	}
	a, b = norm(a), norm(b)
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, unsupported("/", a, b)
	}
	if isFloatOp(a, b) {
		x, y, err := toFloats(a, b)
		if err != nil {
			return nil, err
		}
		if y == 0 {
			return nil, Errorf("ZeroDivisionError", "float division by zero")
		}
		return x / y, nil
	}
	if intSign(b) == 0 {
		return nil, Errorf("ZeroDivisionError", "division by zero")
	}
	return intTrueDiv(a, b)
}

// FloorDiv is Python's a // b.
func FloorDiv(a, b Value) (Value, error) {
	if isMarkup(a) || isMarkup(b) {
		return markupBinary("//", a, b)
	}
	a, b = norm(a), norm(b)
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, unsupported("//", a, b)
	}
	if isFloatOp(a, b) {
		x, y, err := toFloats(a, b)
		if err != nil {
			return nil, err
		}
		if y == 0 {
			return nil, Errorf("ZeroDivisionError", "float floor division by zero")
		}
		q, _ := floatDivMod(x, y)
		return q, nil
	}
	if intSign(b) == 0 {
		return nil, Errorf("ZeroDivisionError", "integer division or modulo by zero")
	}
	q, _ := intDivMod(a, b)
	return q, nil
}

// Mod is Python's a % b: the modulo of numbers, printf-style formatting
// when a is a str.
func Mod(a, b Value) (Value, error) {
	if isMarkup(a) || isMarkup(b) {
		return markupBinary("%", a, b)
	}
	a, b = norm(a), norm(b)
	if s, ok := a.(string); ok {
		return Percent(s, b)
	}
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, unsupported("%", a, b)
	}
	if isFloatOp(a, b) {
		x, y, err := toFloats(a, b)
		if err != nil {
			return nil, err
		}
		if y == 0 {
			return nil, Errorf("ZeroDivisionError", "float modulo")
		}
		_, m := floatDivMod(x, y)
		return m, nil
	}
	if intSign(b) == 0 {
		return nil, Errorf("ZeroDivisionError", "integer modulo by zero")
	}
	_, m := intDivMod(a, b)
	return m, nil
}

// Pow is Python's a ** b (a complex result is a ValueError).
func Pow(a, b Value) (Value, error) {
	if isMarkup(a) || isMarkup(b) {
		return markupBinary("**", a, b)
	}
	a, b = norm(a), norm(b)
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, unsupported("** or pow()", a, b)
	}
	if !isFloatOp(a, b) && intSign(b) >= 0 {
		return intPow(a, b)
	}
	x, y, err := toFloats(a, b)
	if err != nil {
		return nil, err
	}
	return floatPow(x, y)
}

// Neg is Python's -v.
func Neg(v Value) (Value, error) {
	orig := v
	v = norm(v)
	if err := undefErr(v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case bool, int64:
		return intSub(int64(0), x)
	case *big.Int:
		return normBig(new(big.Int).Neg(x)), nil
	case float64:
		return -x, nil
	}
	return nil, typeError("bad operand type for unary -: '%s'", TypeName(orig))
}

// Pos is Python's +v.
func Pos(v Value) (Value, error) {
	orig := v
	v = norm(v)
	if err := undefErr(v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case bool:
		n, _ := small(x)
		return n, nil
	case int64, *big.Int, float64:
		return x, nil
	}
	return nil, typeError("bad operand type for unary +: '%s'", TypeName(orig))
}

// Not is Python's not v.
func Not(v Value) (bool, error) {
	t, err := Truth(v)
	return !t, err
}
