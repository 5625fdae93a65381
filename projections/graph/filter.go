package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/schema"
)

// Op is what a Filter tests.
type Op int

// Filter operations.
const (
	OpIDs      Op = iota + 1 // "ids": the node's id is one of Values
	OpHFID                   // "hfid": the node's human-friendly id is Values (its components, in order)
	OpAny                    // "any__value": some attribute matches Values[0]
	OpAttr                   // "<attr>__value" (one value) or "<attr>__values": the attribute matches one of Values
	OpAttrNull               // "<attr>__isnull": the attribute's value is nil (Null) or not
	OpRelIDs                 // "<rel>__ids": some live peer's id is one of Values
	OpRelAttr                // "<rel>__<attr>__value(s)": some live peer's attribute matches one of Values
	OpRelNull                // "<rel>__isnull": the relationship has no live peer (Null) or has one
)

// Filter is one parsed filter.
type Filter struct {
	Name    string // as given
	Op      Op
	Attr    string               // OpAttr, OpAttrNull, OpRelAttr
	Rel     *schema.Relationship // OpRel*
	Values  []any                // normalised (see Normalize); ids and hfid components as strings
	Null    bool                 // OpAttrNull, OpRelNull
	Partial bool                 // partial_match: strings match as case-insensitive substrings
}

// ParseFilters checks filters against the schema of kind (a node kind or a generic) and returns
// them sorted by name. Known names:
//
//	ids                      list of node ids
//	hfid                     list of strings: the components of one human-friendly id
//	any__value               a value: any attribute equal to it (with partial_match: containing it)
//	partial_match            bool: string __value(s) filters and any__value match substrings, ignoring case
//	<attr>__value            a value
//	<attr>__values           a list of values: any of them
//	<attr>__isnull           bool
//	<rel>__ids               list of peer ids: any peer among them
//	<rel>__isnull            bool: the relationship has no peer
//	<rel>__<attr>__value(s)  any peer's attribute matches (cardinality one or many)
//
// Anything else is an error wrapping ErrInvalidQuery that names the filter.
func ParseFilters(set *schema.Set, kind string, filters map[string]any, partialMatch bool) ([]Filter, error) {
	m, ok := set.Model(kind)
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", ErrInvalidQuery, kind)
	}
	if pm, ok := filters["partial_match"]; ok {
		b, ok := pm.(bool)
		if !ok {
			return nil, fmt.Errorf("%w: filter %q: want a boolean, got %T", ErrInvalidQuery, "partial_match", pm)
		}
		partialMatch = partialMatch || b
	}
	names := make([]string, 0, len(filters))
	for name := range filters {
		if name != "partial_match" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]Filter, 0, len(names))
	for _, name := range names {
		f, err := parseFilter(set, m, name, filters[name], partialMatch)
		if err != nil {
			return nil, fmt.Errorf("%w: filter %q on %s: %v", ErrInvalidQuery, name, kind, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func parseFilter(set *schema.Set, m *schema.Model, name string, v any, partial bool) (Filter, error) {
	f := Filter{Name: name}
	switch name {
	case "ids":
		f.Op = OpIDs
		return f, f.strings(v)
	case "hfid":
		f.Op = OpHFID
		return f, f.strings(v)
	case "any__value":
		f.Op, f.Partial = OpAny, partial
		return f, f.one(v)
	}
	parts := strings.Split(name, "__")
	switch len(parts) {
	case 2:
		if a := attrOf(m, parts[0]); a != nil {
			f.Attr = a.Name
			switch parts[1] {
			case "value":
				f.Op, f.Partial = OpAttr, partial
				return f, f.one(v)
			case "values":
				f.Op, f.Partial = OpAttr, partial
				return f, f.list(v)
			case "isnull":
				f.Op = OpAttrNull
				return f, f.null(v)
			}
			return f, fmt.Errorf("unknown operator %q of attribute %s", parts[1], a.Name)
		}
		if r := relOf(m, parts[0]); r != nil {
			f.Rel = r
			switch parts[1] {
			case "ids":
				f.Op = OpRelIDs
				return f, f.strings(v)
			case "isnull":
				f.Op = OpRelNull
				return f, f.null(v)
			}
			return f, fmt.Errorf("unknown operator %q of relationship %s", parts[1], r.Name)
		}
	case 3:
		if r := relOf(m, parts[0]); r != nil {
			pm, ok := set.Model(r.Peer)
			if !ok {
				return f, fmt.Errorf("unknown peer kind %q", r.Peer)
			}
			a := attrOf(pm, parts[1])
			if a == nil {
				return f, fmt.Errorf("%s has no attribute %q", r.Peer, parts[1])
			}
			f.Op, f.Rel, f.Attr, f.Partial = OpRelAttr, r, a.Name, partial
			switch parts[2] {
			case "value":
				return f, f.one(v)
			case "values":
				return f, f.list(v)
			}
			return f, fmt.Errorf("unknown operator %q of %s", parts[2], parts[0]+"__"+parts[1])
		}
	}
	return f, fmt.Errorf("no attribute or relationship %q", parts[0])
}

func attrOf(m *schema.Model, name string) *schema.Attribute {
	if a := m.Attribute(name); a != nil && a.State != schema.StateAbsent {
		return a
	}
	return nil
}

func relOf(m *schema.Model, name string) *schema.Relationship {
	if r := m.Relationship(name); r != nil && r.State != schema.StateAbsent {
		return r
	}
	return nil
}

func (f *Filter) one(v any) error {
	if _, isList := asList(v); isList {
		return fmt.Errorf("want one value, got a list (use __values)")
	}
	f.Values = []any{Normalize(v)}
	return nil
}

func (f *Filter) list(v any) error {
	l, ok := asList(v)
	if !ok {
		return fmt.Errorf("want a list, got %T", v)
	}
	f.Values = make([]any, len(l))
	for i, x := range l {
		f.Values[i] = Normalize(x)
	}
	return nil
}

func (f *Filter) strings(v any) error {
	l, ok := asList(v)
	if !ok {
		return fmt.Errorf("want a list of strings, got %T", v)
	}
	f.Values = make([]any, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			return fmt.Errorf("want a list of strings, got a %T in it", x)
		}
		f.Values[i] = s
	}
	return nil
}

func (f *Filter) null(v any) error {
	b, ok := v.(bool)
	if !ok {
		return fmt.Errorf("want a boolean, got %T", v)
	}
	f.Null = b
	return nil
}

// asList returns the elements of a slice or array (but not of a []byte or a string).
func asList(v any) ([]any, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// Normalize returns v as stored values are compared: numbers (any Go integer or float type, or
// json.Number) as float64, lists as []any and objects as map[string]any (as encoding/json
// decodes them); strings, booleans and nil as they are.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x
	case int:
		return float64(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return v
	}
	return out
}

// Match reports whether a stored value matches one of the filter's values: equal after
// Normalize or, with Partial, a string containing a string filter value, ignoring case.
func (f *Filter) Match(stored any) bool {
	stored = Normalize(stored)
	for _, want := range f.Values {
		if matchOne(stored, want, f.Partial) {
			return true
		}
	}
	return false
}

func matchOne(stored, want any, partial bool) bool {
	if partial {
		if w, ok := want.(string); ok {
			s, ok := stored.(string)
			return ok && strings.Contains(strings.ToLower(s), strings.ToLower(w))
		}
	}
	switch s := stored.(type) {
	case string, bool, float64, nil:
		if s == want {
			return true
		}
		// A value given as text (a URL query) matches a number or boolean of the same text.
		if w, ok := want.(string); ok {
			if t, ok := Text(s); ok && s != nil {
				return t == w
			}
		}
		return false
	}
	return reflect.DeepEqual(stored, want)
}

// MatchAny is any__value on one stored attribute value: equal (numbers and booleans also to
// their text) or, with Partial, containing the value as text, ignoring case.
func (f *Filter) MatchAny(stored any) bool {
	stored = Normalize(stored)
	want := f.Values[0]
	if matchOne(stored, want, false) {
		return true
	}
	w, ok := want.(string)
	if !ok {
		return false
	}
	s, ok := Text(stored)
	if !ok {
		return false
	}
	if f.Partial {
		return strings.Contains(strings.ToLower(s), strings.ToLower(w))
	}
	return s == w
}

// Text is a scalar value as text (numbers without a trailing ".0"); false for nil, lists and
// objects.
func Text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// Compare orders two stored values for sorting: nil after everything, then booleans (false
// first) before numbers before strings; lists and objects by their JSON text, after strings.
func Compare(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case nil:
		return 0
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return strings.Compare(string(ja), string(jb))
}

func rank(v any) int {
	switch v.(type) {
	case bool:
		return 0
	case float64:
		return 1
	case string:
		return 2
	case nil:
		return 4
	}
	return 3
}

// HasOp reports whether filters hold one of ops.
func HasOp(filters []Filter, ops ...Op) bool {
	return slices.ContainsFunc(filters, func(f Filter) bool { return slices.Contains(ops, f.Op) })
}
