package value

import (
	"math"
	"strconv"
	"strings"
)

// FloatRepr is Python's repr (and str) of a float: the shortest string that
// rounds back, in exponent notation below 1e-4 and from 1e16.
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	neg, digits, exp := shortestDigits(f)
	decpt := exp + 1
	var s string
	if decpt > -4 && decpt <= 16 {
		s = fixedLayout(digits, decpt, true)
	} else {
		s = sciLayout(digits, exp)
	}
	if neg {
		return "-" + s
	}
	return s
}

// shortestDigits returns the sign, the shortest round-trip digits and the
// decimal exponent of the first digit of f (finite).
func shortestDigits(f float64) (neg bool, digits string, exp int) {
	s := strconv.FormatFloat(f, 'e', -1, 64) // "-1.2345e+17"
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	i := strings.IndexByte(s, 'e')
	exp, _ = strconv.Atoi(s[i+1:])
	digits = strings.Replace(s[:i], ".", "", 1)
	return neg, digits, exp
}

// fixedLayout writes digits with the decimal point after decpt digits;
// dot0 adds ".0" to an integral result.
func fixedLayout(digits string, decpt int, dot0 bool) string {
	switch {
	case decpt <= 0:
		return "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		s := digits + strings.Repeat("0", decpt-len(digits))
		if dot0 {
			s += ".0"
		}
		return s
	}
	return digits[:decpt] + "." + digits[decpt:]
}

func sciLayout(digits string, exp int) string {
	s := digits[:1]
	if len(digits) > 1 {
		s += "." + digits[1:]
	}
	return s + expSuffix(exp)
}

// expSuffix is Python's exponent: "e+05", "e-07", "e+123".
func expSuffix(exp int) string {
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	e := strconv.Itoa(exp)
	if len(e) < 2 {
		e = "0" + e
	}
	return "e" + sign + e
}

// formatFloat formats the absolute value of f (finite) with the printf
// conversion verb ('e', 'f', 'g', 'r' for repr-like 'g' with ".0") and
// precision; alt is the '#' flag. The sign is the caller's.
func formatFloat(f float64, verb byte, prec int, alt bool) string {
	f = math.Abs(f)
	switch verb {
	case 'e':
		s := strconv.FormatFloat(f, 'e', prec, 64)
		if alt && prec == 0 {
			i := strings.IndexByte(s, 'e')
			s = s[:i] + "." + s[i:]
		}
		return s
	case 'f':
		s := strconv.FormatFloat(f, 'f', prec, 64)
		if alt && prec == 0 {
			s += "."
		}
		return s
	}
	// 'g' and 'r' (no type with a precision: 'g' keeping a digit after the point)
	if prec == 0 {
		prec = 1
	}
	s := strconv.FormatFloat(f, 'e', prec-1, 64)
	i := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[i+1:])
	digits := strings.Replace(s[:i], ".", "", 1)
	limit := prec
	if verb == 'r' {
		limit = prec - 1
	}
	if !alt {
		digits = strings.TrimRight(digits, "0")
		if digits == "" {
			digits = "0"
		}
	}
	if exp < -4 || exp >= limit {
		return sciLayout(digits, exp)
	}
	out := fixedLayout(digits, exp+1, false)
	if alt && !strings.Contains(out, ".") {
		out += "."
	}
	if verb == 'r' && !strings.Contains(out, ".") {
		out += ".0"
	}
	return out
}

// floatDivMod is CPython's float_divmod: floor quotient and modulo with
// the sign of the divisor (w != 0).
func floatDivMod(v, w float64) (float64, float64) {
	mod := math.Mod(v, w)
	div := (v - mod) / w
	if mod != 0 {
		if (w < 0) != (mod < 0) {
			mod += w
			div -= 1
		}
	} else {
		mod = math.Copysign(0, w)
	}
	var floordiv float64
	if div != 0 {
		floordiv = math.Floor(div)
		if div-floordiv > 0.5 {
			floordiv += 1
		}
	} else {
		floordiv = math.Copysign(0, v/w)
	}
	return floordiv, mod
}

// floatPow is Python's float ** float.
func floatPow(x, y float64) (float64, error) {
	if y == 0 {
		return 1, nil
	}
	if math.IsNaN(x) {
		return x, nil
	}
	if x == 0 && y < 0 && !math.IsInf(y, 0) {
		return 0, Errorf("ZeroDivisionError", "0.0 cannot be raised to a negative power")
	}
	if x < 0 && !math.IsInf(x, 0) && !math.IsInf(y, 0) && y != math.Floor(y) {
		return 0, valueError("complex results are not supported")
	}
	r := math.Pow(x, y)
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return 0, Errorf("OverflowError", "(34, 'Numerical result out of range')")
	}
	return r, nil
}
