package values

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/schema"
)

// numeric reads v as a number: i is its value when it is an integer that fits an int64 (isInt),
// isNum tells whether v is a number at all.
func numeric(v any) (i int64, isInt, isNum bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true, true
	case int8:
		return int64(x), true, true
	case int16:
		return int64(x), true, true
	case int32:
		return int64(x), true, true
	case int64:
		return x, true, true
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64, true
	case uint8:
		return int64(x), true, true
	case uint16:
		return int64(x), true, true
	case uint32:
		return int64(x), true, true
	case uint64:
		return int64(x), x <= math.MaxInt64, true
	case float32:
		return floatInt(float64(x))
	case float64:
		return floatInt(x)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true, true
		}
		if f, err := x.Float64(); err == nil {
			return floatInt(f)
		}
	}
	return 0, false, false
}

func floatInt(f float64) (int64, bool, bool) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false, !math.IsNaN(f)
	}
	return int64(f), true, true
}

// toNumber reports whether v is a number.
func toNumber(v any) (int64, bool) {
	_, _, isNum := numeric(v)
	return 0, isNum
}

// integer returns v as an int64 or the error saying why it is not one.
func integer(a *schema.Attribute, v any) (int64, error) {
	n, isInt, isNum := numeric(v)
	switch {
	case isInt:
		return n, nil
	case isNum:
		return 0, fail(a, v, "%v is not an integer", v)
	}
	return 0, wrongType(a, v, "an integer")
}

// number checks a Number value against min_value, max_value and excluded_values.
func number(a *schema.Attribute, v any) (any, error) {
	n, err := integer(a, v)
	if err != nil {
		return nil, err
	}
	p := a.Parameters
	if p == nil {
		return n, nil
	}
	if p.MinValue != nil && n < *p.MinValue {
		return nil, fail(a, v, "%d is less than min_value %d", n, *p.MinValue)
	}
	if p.MaxValue != nil && n > *p.MaxValue {
		return nil, fail(a, v, "%d is greater than max_value %d", n, *p.MaxValue)
	}
	if p.ExcludedValues != nil && excluded(*p.ExcludedValues, n) {
		return nil, fail(a, v, "%d is one of the excluded values %s", n, *p.ExcludedValues)
	}
	return n, nil
}

// excluded reports whether n is in list, Infrahub's excluded_values: comma-separated values and
// inclusive ranges, e.g. "1,3,10-20". Entries that are not numbers or ranges are ignored.
func excluded(list string, n int64) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if x, err := strconv.ParseInt(e, 10, 64); err == nil {
			if x == n {
				return true
			}
			continue
		}
		// a range; the separator is the first '-' after the first character (a negative start)
		if k := strings.Index(e[1:], "-"); k >= 0 {
			lo, err1 := strconv.ParseInt(strings.TrimSpace(e[:k+1]), 10, 64)
			hi, err2 := strconv.ParseInt(strings.TrimSpace(e[k+2:]), 10, 64)
			if err1 == nil && err2 == nil && lo <= n && n <= hi {
				return true
			}
		}
	}
	return false
}

// numberPool checks a NumberPool value: an integer (the pool's range is the pool's business).
func numberPool(a *schema.Attribute, v any) (any, error) {
	n, err := integer(a, v)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// bandwidth checks a Bandwidth value: a non-negative integer number of kbps.
func bandwidth(a *schema.Attribute, v any) (any, error) {
	n, err := integer(a, v)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fail(a, v, "%d is negative, a bandwidth is a number of kbps", n)
	}
	return n, nil
}

// boolean checks a Boolean or Checkbox value: true or false, also given as the strings "true" or
// "false" (any case).
func boolean(a *schema.Attribute, v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return nil, wrongType(a, v, "true or false")
}
