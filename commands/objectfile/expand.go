package objectfile

import (
	"go.yaml.in/yaml/v3"
)

// expandItem expands the ranges of an item's string fields: the item is repeated once per
// expanded value, and all ranged fields of one item must expand to the same number of values.
func (r *resolver) expandItem(cx scope, it Item) ([][]Field, bool) {
	expanded := map[int][]string{}
	count, first := 0, ""
	ok := true
	for i, f := range it.Fields {
		v := f.Value
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" || !hasRange(v.Value) {
			continue
		}
		values, err := expandRange(v.Value)
		if err != nil {
			r.add(cx, f.Line, cx.path(fieldSeg(f.Name)), "%v", err)
			ok = false
			continue
		}
		if first == "" {
			count, first = len(values), f.Name
		} else if len(values) != count {
			r.add(cx, f.Line, cx.path(fieldSeg(f.Name)), "range %q expands to %d values but field %q to %d: ranges of one item must have the same length",
				v.Value, len(values), first, count)
			ok = false
			continue
		}
		expanded[i] = values
	}
	if !ok {
		return nil, false
	}
	if len(expanded) == 0 {
		return [][]Field{it.Fields}, true
	}
	out := make([][]Field, count)
	for k := range count {
		fields := make([]Field, len(it.Fields))
		copy(fields, it.Fields)
		for i, values := range expanded {
			n := *fields[i].Value
			n.Value = values[k]
			fields[i].Value = &n
		}
		out[k] = fields
	}
	return out, true
}
