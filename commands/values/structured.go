package values

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/schema"
)

// maxExactFloat is the largest integer a float64 holds exactly (2^53).
const maxExactFloat = 1 << 53

// canonJSON checks that v is a JSON value and returns it with numbers made canonical: integers
// (and integral floats up to 2^53) as int64, other numbers as float64; lists as []any and objects
// as map[string]any. path locates v for the error ("" at the top).
func canonJSON(v any, path string) (any, error) {
	at := func() string {
		if path == "" {
			return ""
		}
		return " at " + path
	}
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := canonJSON(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := canonJSON(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("object key %v%s is not a string", k, at())
			}
			c, err := canonJSON(e, path+"."+ks)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	}
	n, isInt, isNum := numeric(v)
	if isInt {
		if f, ok := v.(float64); ok && math.Abs(f) > maxExactFloat {
			return f, nil
		}
		return n, nil
	}
	if isNum {
		f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%v%s is not a finite number", v, at())
		}
		return f, nil
	}
	return nil, fmt.Errorf("a %T%s is not a JSON value", v, at())
}

// list checks a List value: a JSON list, or a string holding one (as Infrahub accepts). A regex
// left on the attribute (the deprecated top-level property) applies to each element's text.
func list(a *schema.Attribute, v any) (any, error) {
	if s, ok := v.(string); ok {
		var d any
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			return nil, fail(a, v, "%q is not a valid JSON list", s)
		}
		if _, ok := d.([]any); !ok {
			return nil, fail(a, v, "%q is not a valid JSON list", s)
		}
		v = d
	}
	switch v.(type) {
	case []any, []string:
	default:
		return nil, wrongType(a, v, "a list")
	}
	out, err := canonJSON(v, "")
	if err != nil {
		return nil, fail(a, v, "invalid list: %v", err)
	}
	if a.Regex != nil && *a.Regex != "" {
		if re, ok := compileRegex(*a.Regex); ok && re != nil {
			for i, e := range out.([]any) {
				if t := fmt.Sprint(e); !re.MatchString(t) {
					return nil, fail(a, v, "element %d %q does not match the regex %q", i, t, *a.Regex)
				}
			}
		}
	}
	return out, nil
}

// jsonValue checks a JSON value: an object or a list, or a string holding one (as Infrahub
// accepts).
func jsonValue(a *schema.Attribute, v any) (any, error) {
	if s, ok := v.(string); ok {
		var d any
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			return nil, fail(a, v, "%q is not valid JSON", s)
		}
		v = d
	}
	switch v.(type) {
	case []any, []string, map[string]any, map[any]any:
	default:
		return nil, wrongType(a, v, "an object or a list")
	}
	return anyValue(a, v)
}

// anyValue checks an Any value: any JSON value.
func anyValue(a *schema.Attribute, v any) (any, error) {
	out, err := canonJSON(v, "")
	if err != nil {
		return nil, fail(a, v, "invalid JSON value: %v", err)
	}
	return out, nil
}

// Compare reports whether x and y, values of attribute a, store the same: both are normalised
// first (a value that does not normalise is compared as given), numbers compare by value, and
// lists of a List, JSON or Any attribute compare regardless of order unless a is ordered.
func Compare(a *schema.Attribute, x, y any) bool {
	if x == nil || y == nil {
		return x == nil && y == nil
	}
	ordered := a.Ordered != nil && *a.Ordered
	return key(normalized(a, x), ordered) == key(normalized(a, y), ordered)
}

func normalized(a *schema.Attribute, v any) any {
	if n, err := Normalize(a, v); err == nil {
		return n
	}
	if c, err := canonJSON(v, ""); err == nil {
		return c
	}
	return v
}

// key is a canonical text of v: object keys sorted, list elements sorted unless ordered.
func key(v any, ordered bool) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = key(e, ordered)
		}
		if !ordered {
			sort.Strings(parts)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, k := range names {
			parts[i] = strconv.Quote(k) + ":" + key(x[k], ordered)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	if n, isInt, _ := numeric(v); isInt {
		return strconv.FormatInt(n, 10)
	}
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
