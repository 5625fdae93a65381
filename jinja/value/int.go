package value

import (
	"math"
	"math/big"
	"math/bits"
)

// MaxIntBits bounds the size of an integer an operation may produce (Python
// has no bound; a template must not exhaust the server): a bigger result
// is an OverflowError. CPython already refuses to print an int of more than
// 4300 digits (about 14300 bits).
const MaxIntBits = 1 << 16

// isInt reports whether v is an int (bool included), normalized.
func isInt(v Value) bool {
	switch v.(type) {
	case bool, int64, *big.Int:
		return true
	}
	return false
}

// isNumber reports whether v is an int or a float (bool included), normalized.
func isNumber(v Value) bool {
	_, ok := v.(float64)
	return ok || isInt(v)
}

// bigOf returns a new big.Int of the int v (bool, int64 or *big.Int).
func bigOf(v Value) *big.Int {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	case int64:
		return big.NewInt(x)
	case *big.Int:
		return new(big.Int).Set(x)
	}
	return big.NewInt(0)
}

// small returns the int v as int64 when it fits.
func small(v Value) (int64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return x, true
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
	}
	return 0, false
}

// normBig returns b as int64 when it fits.
func normBig(b *big.Int) Value {
	if b.IsInt64() {
		return b.Int64()
	}
	return b
}

// checkBig fails when b is bigger than MaxIntBits.
func checkBig(b *big.Int) (Value, error) {
	if b.BitLen() > MaxIntBits {
		e := Errorf("OverflowError", "integer result too large (more than %d bits)", MaxIntBits)
		e.limit = true
		return nil, e
	}
	return normBig(b), nil
}

func intAdd(a, b Value) (Value, error) {
	x, ok1 := small(a)
	y, ok2 := small(b)
	if ok1 && ok2 {
		s := x + y
		if (x >= 0) == (y >= 0) && (s >= 0) != (x >= 0) {
			return new(big.Int).Add(big.NewInt(x), big.NewInt(y)), nil
		}
		return s, nil
	}
	return checkBig(new(big.Int).Add(bigOf(a), bigOf(b)))
}

func intSub(a, b Value) (Value, error) {
	x, ok1 := small(a)
	y, ok2 := small(b)
	if ok1 && ok2 {
		s := x - y
		if (x >= 0) != (y >= 0) && (s >= 0) != (x >= 0) {
			return new(big.Int).Sub(big.NewInt(x), big.NewInt(y)), nil
		}
		return s, nil
	}
	return checkBig(new(big.Int).Sub(bigOf(a), bigOf(b)))
}

func intMul(a, b Value) (Value, error) {
	x, ok1 := small(a)
	y, ok2 := small(b)
	if ok1 && ok2 {
		hi, lo := bits.Mul64(absU(x), absU(y))
		neg := (x < 0) != (y < 0)
		if hi == 0 && (lo <= math.MaxInt64 || (neg && lo == 1<<63)) {
			if neg {
				return int64(-lo), nil
			}
			return int64(lo), nil
		}
	}
	bx, by := bigOf(a), bigOf(b)
	if bx.BitLen()+by.BitLen() > MaxIntBits+1 {
		return checkBig(new(big.Int).Lsh(big.NewInt(1), MaxIntBits+1))
	}
	return checkBig(bx.Mul(bx, by))
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

func intSign(v Value) int {
	switch x := v.(type) {
	case bool:
		if x {
			return 1
		}
	case int64:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
	case *big.Int:
		return x.Sign()
	}
	return 0
}

// intDivMod is Python's floor division and modulo of ints (b != 0).
func intDivMod(a, b Value) (q, r Value) {
	x, ok1 := small(a)
	y, ok2 := small(b)
	if ok1 && ok2 && !(x == math.MinInt64 && y == -1) {
		qq, rr := x/y, x%y
		if rr != 0 && (rr < 0) != (y < 0) {
			qq--
			rr += y
		}
		return qq, rr
	}
	bx, by := bigOf(a), bigOf(b)
	bq, br := new(big.Int).QuoRem(bx, by, new(big.Int))
	if br.Sign() != 0 && (br.Sign() < 0) != (by.Sign() < 0) {
		bq.Sub(bq, big.NewInt(1))
		br.Add(br, by)
	}
	return normBig(bq), normBig(br)
}

// intPow is a ** b for ints with b >= 0.
func intPow(a, b Value) (Value, error) {
	bx := bigOf(a)
	e, ok := small(b)
	if bx.CmpAbs(big.NewInt(1)) <= 0 {
		switch {
		case bx.Sign() == 0 && intSign(b) == 0:
			return int64(1), nil
		case bx.Sign() >= 0:
			return normBig(bx), nil
		case ok && e%2 == 0 || !ok && bigOf(b).Bit(0) == 0:
			return int64(1), nil
		}
		return int64(-1), nil
	}
	if !ok || e > MaxIntBits || int64(bx.BitLen()-1)*e > MaxIntBits {
		return checkBig(new(big.Int).Lsh(big.NewInt(1), MaxIntBits+1))
	}
	return checkBig(bx.Exp(bx, big.NewInt(e), nil))
}

// intToFloat converts an int to float as Python does (correctly rounded).
func intToFloat(v Value) (float64, error) {
	if x, ok := small(v); ok {
		if x > -1<<53 && x < 1<<53 {
			return float64(x), nil
		}
	}
	f, _ := new(big.Float).SetInt(bigOf(v)).Float64()
	if math.IsInf(f, 0) {
		return 0, Errorf("OverflowError", "int too large to convert to float")
	}
	return f, nil
}

// intTrueDiv is a / b for ints (b != 0), correctly rounded as Python.
func intTrueDiv(a, b Value) (float64, error) {
	x, ok1 := small(a)
	y, ok2 := small(b)
	if ok1 && ok2 && x > -1<<53 && x < 1<<53 && y > -1<<53 && y < 1<<53 {
		return float64(x) / float64(y), nil
	}
	f, _ := new(big.Rat).SetFrac(bigOf(a), bigOf(b)).Float64()
	if math.IsInf(f, 0) {
		return 0, Errorf("OverflowError", "integer division result too large for a float")
	}
	return f, nil
}

// cmpIntFloat compares the int a and the float f exactly (f not NaN).
func cmpIntFloat(a Value, f float64) int {
	if math.IsInf(f, 1) {
		return -1
	}
	if math.IsInf(f, -1) {
		return 1
	}
	r := new(big.Rat).SetFloat64(f)
	return new(big.Rat).SetInt(bigOf(a)).Cmp(r)
}

// cmpInt compares two ints.
func cmpInt(a, b Value) int {
	x, ok1 := small(a)
	y, ok2 := small(b)
	if ok1 && ok2 {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return bigOf(a).Cmp(bigOf(b))
}

// toIndex converts an int to an index clamped into int64 (Python's
// PyNumber_AsSsize_t with clamping, used by slices).
func clampIndex(v Value) int64 {
	if x, ok := small(v); ok {
		return x
	}
	if intSign(v) < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}
