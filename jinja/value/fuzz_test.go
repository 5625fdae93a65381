package value

import (
	"math"
	"math/big"
	"testing"
)

// The fuzz targets check that no input makes the formatting and parsing
// code panic or hang: every outcome is a value or an *Error.

var fuzzValues = []Value{nil, true, int64(-42), new(big.Int).Lsh(big.NewInt(3), 80), -0.0, 2.5e-7, math.Inf(-1), math.NaN(),
	"", "héllo", NewList(int64(1), "a"), Tuple{int64(1)}, mustDictF("k", int64(2)), NewUndefined("u", false), NewUndefined("s", true)}

func mustDictF(kv ...Value) *Dict {
	d, _ := DictFrom(kv...)
	return d
}

func checkErr(t *testing.T, err error) {
	if err == nil {
		return
	}
	if _, ok := err.(*Error); !ok {
		t.Fatalf("not an *Error: %T %v", err, err)
	}
}

func FuzzFormatSpec(f *testing.F) {
	for _, s := range []string{"", ">10", "*^7.3f", "+#010_x", "z,.2%", "0=20,g", ".", "x<", "c", "#o"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		for _, v := range fuzzValues {
			_, err := Format(v, spec)
			checkErr(t, err)
		}
	})
}

func FuzzPercent(f *testing.F) {
	for _, s := range []string{"%s", "%(k)05.1f", "%-*.*d|%c", "%#x %e %g %r %a %%", "%", "%(k", "%5%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, format string) {
		for _, args := range []Value{int64(3), Tuple{int64(5), int64(2), 3.25, "x"}, mustDictF("k", 1.5), NewList()} {
			_, err := Percent(format, args)
			checkErr(t, err)
		}
	})
}

func FuzzStrFormat(f *testing.F) {
	for _, s := range []string{"{}", "{0[0]}{k.real:{1}}", "{{}}{!r:>5}", "{", "}", "{0.}", "{0[}", "{k!s:{k}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, format string) {
		_, err := StrFormat(format, []Value{NewList(int64(1)), int64(4)}, []Kwarg{{Name: "k", Value: 2.5}})
		checkErr(t, err)
	})
}

func FuzzParseNumbers(f *testing.F) {
	for _, s := range []string{"12", " -0x_1f ", "1_0.5e-3", "inf", "١٢", "0b", "1e400", "_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, base := range []int{0, 10, 16, 36} {
			_, err := ParseInt(s, base)
			checkErr(t, err)
		}
		_, err := ParseFloat(s)
		checkErr(t, err)
		for _, m := range []string{"split", "rsplit", "splitlines", "strip", "title", "swapcase", "expandtabs", "zfill", "center", "find", "count"} {
			fn, _ := Method(s, m)
			var args []Value
			switch m {
			case "zfill", "center":
				args = []Value{int64(9)}
			case "find", "count":
				args = []Value{"a", int64(-3)}
			}
			_, err := fn.Call(args, nil)
			checkErr(t, err)
		}
	})
}
