package jinja

import (
	"math"
	"math/big"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// The builtin filters over numbers: abs, int, float, round, filesizeformat.

func init() {
	builtinFilters["abs"] = biFilter(&biPySig{fn: "abs", style: biCBuiltin}, func(_ Runtime, b biBound) (value.Value, error) {
		return value.Abs(b.p[0])
	})
	builtinFilters["int"] = biFilter(biSig("do_int", 0, []string{"value", "default", "base"}, int64(0), int64(10)), biFilterInt)
	builtinFilters["float"] = biFilter(biSig("do_float", 0, []string{"value", "default"}, 0.0), func(_ Runtime, b biBound) (value.Value, error) {
		f, err := value.Float(b.p[0])
		if value.IsKind(err, "TypeError", "ValueError") {
			return b.p[1], nil
		}
		if err != nil {
			return nil, err
		}
		return f, nil
	})
	builtinFilters["round"] = biFilter(biSig("do_round", 0, []string{"value", "precision", "method"}, int64(0), "common"), biFilterRound)
	builtinFilters["filesizeformat"] = biFilter(biSig("do_filesizeformat", 0, []string{"value", "binary"}, false), biFilterFilesize)
}

// biFilterInt is do_int: int(value) (int(value, base) for a str), else int(float(value)), else
// the default.
func biFilterInt(_ Runtime, b biBound) (value.Value, error) {
	v, dflt, base := b.p[0], b.p[1], b.p[2]
	var out value.Value
	var err error
	if _, ok := v.(string); ok {
		if base == nil {
			err = value.Errorf("TypeError", "'NoneType' object cannot be interpreted as an integer")
		} else {
			out, err = value.Int(v, base)
		}
	} else {
		out, err = value.Int(v, nil)
	}
	if err == nil {
		return out, nil
	}
	if !value.IsKind(err, "TypeError", "ValueError") {
		return nil, err
	}
	f, err := value.Float(v)
	if err == nil {
		out, err = value.Int(f, nil)
	}
	if err == nil {
		return out, nil
	}
	if value.IsKind(err, "TypeError", "ValueError", "OverflowError") {
		return dflt, nil
	}
	return nil, err
}

func biFilterRound(_ Runtime, b biBound) (value.Value, error) {
	v, precision := b.p[0], b.p[1]
	method, _ := b.p[2].(string)
	if method != "common" && method != "ceil" && method != "floor" {
		if err := value.Hashable(b.p[2]); err != nil {
			return nil, err
		}
		return nil, value.Errorf("FilterArgumentError", "method must be common, ceil or floor")
	}
	if method == "common" {
		return value.Round(v, precision)
	}
	scale, err := value.Pow(int64(10), precision)
	if err != nil {
		return nil, err
	}
	x, err := value.Mul(v, scale)
	if err != nil {
		return nil, err
	}
	n, err := biCeilFloor(x, method == "ceil")
	if err != nil {
		return nil, err
	}
	return value.Div(n, scale)
}

// biCeilFloor is math.ceil(x) or math.floor(x): an int.
func biCeilFloor(x value.Value, up bool) (value.Value, error) {
	switch f := x.(type) {
	case bool, int, int64, *big.Int:
		return value.Int(f, nil)
	case float64:
		if up {
			return value.Int(math.Ceil(f), nil)
		}
		return value.Int(math.Floor(f), nil)
	case *value.Undefined:
		return nil, f.Err()
	}
	return nil, value.Errorf("TypeError", "must be real number, not %s", value.TypeName(x))
}

var biSizePrefixes = [2][8]string{
	{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"},
	{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"},
}

func biFilterFilesize(_ Runtime, b biBound) (value.Value, error) {
	f, err := value.Float(b.p[0])
	if err != nil {
		return nil, err
	}
	binary, err := biTruth(b.p[1])
	if err != nil {
		return nil, err
	}
	base, prefixes := int64(1000), biSizePrefixes[0]
	if binary {
		base, prefixes = 1024, biSizePrefixes[1]
	}
	switch {
	case f == 1:
		return "1 Byte", nil
	case f < float64(base):
		n, err := value.Int(f, nil)
		if err != nil {
			return nil, err
		}
		s, err := biStr(n)
		if err != nil {
			return nil, err
		}
		return s + " Bytes", nil
	}
	var unit *big.Int
	var prefix string
	for i, p := range prefixes {
		unit = new(big.Int).Exp(big.NewInt(base), big.NewInt(int64(i+2)), nil)
		prefix = p
		if math.IsNaN(f) || new(big.Float).SetFloat64(f).Cmp(new(big.Float).SetInt(unit)) < 0 {
			if math.IsNaN(f) {
				continue
			}
			break
		}
	}
	u, _ := new(big.Float).SetInt(unit).Float64()
	s, err := value.Format(float64(base)*f/u, ".1f")
	if err != nil {
		return nil, err
	}
	return s + " " + prefix, nil
}
