package value

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// Python's int(), float(), round() and abs(), which the int, float, round
// and abs filters are built on.

// Int is Python's int(v) (base nil) or int(v, base) for a str v.
func Int(v, base Value) (Value, error) {
	v = norm(v)
	if base != nil {
		b, err := argIndex(norm(base))
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, typeError("int() can't convert non-string with explicit base")
		}
		return ParseInt(s, int(b))
	}
	switch x := v.(type) {
	case string:
		return ParseInt(x, 10)
	case bool, int64, *big.Int:
		return Pos(x)
	case float64:
		return truncFloat(x)
	case *Undefined:
		return nil, x.Err()
	}
	return nil, typeError("int() argument must be a string, a bytes-like object or a real number, not '%s'", TypeName(v))
}

// ParseInt is Python's int(s, base): surrounding whitespace, a sign, the
// base prefix (0x, 0o, 0b), underscores between digits, Unicode digits.
func ParseInt(s string, base int) (Value, error) {
	if base != 0 && (base < 2 || base > 36) {
		return nil, valueError("int() base must be >= 2 and <= 36, or 0")
	}
	bad := func() error {
		return valueError("invalid literal for int() with base %d: %s", base, ReprString(s))
	}
	t := asciiDigits(strings.TrimFunc(s, pyIsSpace))
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	if len(t) >= 2 && t[0] == '0' {
		p := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[t[1]]
		if p != 0 && (base == 0 || base == p) {
			base, t = p, strings.TrimPrefix(t[2:], "_")
		} else if base == 0 {
			if strings.Trim(t, "0_") != "" || !validUnderscores(t) {
				return nil, bad()
			}
			return int64(0), nil
		}
	}
	if base == 0 {
		base = 10
	}
	if t == "" || !validUnderscores(t) {
		return nil, bad()
	}
	t = strings.ReplaceAll(t, "_", "")
	if base == 10 && len(t) > MaxStrDigits {
		return nil, valueError("Exceeds the limit (%d digits) for integer string conversion: value has %d digits; use sys.set_int_max_str_digits() to increase the limit", MaxStrDigits, len(t))
	}
	n, ok := new(big.Int).SetString(t, base)
	if !ok {
		return nil, bad()
	}
	if neg {
		n.Neg(n)
	}
	return normBig(n), nil
}

// validUnderscores: underscores only single and between digits.
func validUnderscores(t string) bool {
	return !strings.HasPrefix(t, "_") && !strings.HasSuffix(t, "_") && !strings.Contains(t, "__")
}

// asciiDigits replaces Unicode decimal digits by ASCII ones, as CPython
// does before parsing numbers.
func asciiDigits(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r > 0x7f && unicode.IsDigit(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r > 0x7f && unicode.IsDigit(r) {
			zero := r
			for unicode.IsDigit(zero - 1) {
				zero--
			}
			r = '0' + (r-zero)%10
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Float is Python's float(v).
func Float(v Value) (float64, error) {
	v = norm(v)
	switch x := v.(type) {
	case string:
		return ParseFloat(x)
	case bool, int64, *big.Int:
		return intToFloat(x)
	case float64:
		return x, nil
	case *Undefined:
		return 0, x.Err()
	}
	return 0, typeError("float() argument must be a string or a real number, not '%s'", TypeName(v))
}

// ParseFloat is Python's float(s) for a str.
func ParseFloat(s string) (float64, error) {
	t := asciiDigits(strings.TrimFunc(s, pyIsSpace))
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) <= 1 {
		switch strings.ToLower(body) {
		case "inf", "infinity":
			if t[0] == '-' {
				return math.Inf(-1), nil
			}
			return math.Inf(1), nil
		case "nan":
			return math.NaN(), nil
		}
		if floatSyntax(body) {
			f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
			if err == nil || math.IsInf(f, 0) {
				return f, nil
			}
		}
	}
	return 0, valueError("could not convert string to float: %s", ReprString(s))
}

// floatSyntax checks digits[.digits][e[sign]digits] with underscores only
// between digits.
func floatSyntax(s string) bool {
	digits := func(i int) int { // end of a digit group with underscores
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_' && j > i && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9') {
			j++
		}
		return j
	}
	i := digits(0)
	mant := i > 0
	if i < len(s) && s[i] == '.' {
		j := digits(i + 1)
		mant = mant || j > i+1
		i = j
	}
	if !mant {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

// Round is Python's round(v) (ndigits nil: an int) or round(v, ndigits),
// rounding half to even on the exact binary value as CPython.
func Round(v, ndigits Value) (Value, error) {
	v = norm(v)
	if !isNumber(v) {
		return nil, typeError("type %s doesn't define __round__ method", TypeName(v))
	}
	if ndigits == nil {
		if f, ok := v.(float64); ok {
			return truncFloat(math.RoundToEven(f))
		}
		return Pos(v)
	}
	nd, err := argIndex(norm(ndigits))
	if err != nil {
		return nil, err
	}
	f, isFloat := v.(float64)
	if !isFloat {
		if nd >= 0 {
			return Pos(v)
		}
		if nd < -MaxStrDigits {
			return int64(0), nil
		}
		unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(-nd), nil)
		q := roundHalfEven(new(big.Rat).SetFrac(bigOf(v), unit))
		return normBig(q.Mul(q, unit)), nil
	}
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || f == 0 || nd > 323:
		return f, nil
	case nd < -308:
		return math.Copysign(0, f), nil
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(absI(nd)), nil))
	r := new(big.Rat).SetFloat64(f)
	if nd >= 0 {
		r.Mul(r, scale)
	} else {
		r.Quo(r, scale)
	}
	r.SetInt(roundHalfEven(r))
	if nd >= 0 {
		r.Quo(r, scale)
	} else {
		r.Mul(r, scale)
	}
	out, _ := r.Float64()
	if math.IsInf(out, 0) {
		return nil, Errorf("OverflowError", "rounded value too large to represent")
	}
	if out == 0 {
		out = math.Copysign(0, f)
	}
	return out, nil
}

func absI(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// roundHalfEven rounds r to the nearest integer, ties to even.
func roundHalfEven(r *big.Rat) *big.Int {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).DivMod(num, den, new(big.Int)) // floor division, 0 <= m < den
	c := new(big.Int).Lsh(m, 1).Cmp(den)
	if c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// Abs is Python's abs(v).
func Abs(v Value) (Value, error) {
	v = norm(v)
	switch x := v.(type) {
	case bool, int64, *big.Int:
		if intSign(x) < 0 {
			return Neg(x)
		}
		return Pos(x)
	case float64:
		return math.Abs(x), nil
	}
	return nil, typeError("bad operand type for abs(): '%s'", TypeName(v))
}
