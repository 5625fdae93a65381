package objectfile

import (
	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/limits"
)

// expandItem expands the ranges of an item's string fields: the item is repeated once per
// expanded value, and all ranged fields of one item must expand to the same number of values.
// The values are counted before anything is expanded: a string expanding to more than
// RangeExpansion values, or an item taking the file past ObjectsPerFile objects, stops the
// reader with the limit named.
func (r *resolver) expandItem(cx scope, it Item) ([][]Field, bool) {
	count, first := 0, ""
	ranged := map[int]bool{}
	ok := true
	for i, f := range it.Fields {
		v := f.Value
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" || !hasRange(v.Value) {
			continue
		}
		n, err := rangeCount(v.Value, r.lim.RangeExpansion)
		switch {
		case err != nil:
			r.add(cx, f.Line, cx.path(fieldSeg(f.Name)), "%v", err)
			ok = false
			continue
		case n > r.lim.RangeExpansion:
			r.c.exceeded(cx.file, f.Line, cx.doc, cx.path(fieldSeg(f.Name)), "values of range "+quote(v.Value), n, r.lim.RangeExpansion, limits.Setting("RangeExpansion"))
			return nil, false
		}
		if first == "" {
			count, first = n, f.Name
		} else if n != count {
			r.add(cx, f.Line, cx.path(fieldSeg(f.Name)), "range %q expands to %d values but field %q to %d: ranges of one item must have the same length",
				v.Value, n, first, count)
			ok = false
			continue
		}
		ranged[i] = true
	}
	if !ok {
		return nil, false
	}
	if len(ranged) == 0 {
		return [][]Field{it.Fields}, true
	}
	if r.count+count > r.lim.ObjectsPerFile {
		r.c.exceeded(cx.file, it.Line, cx.doc, cx.path(), "objects of the file", r.count+count, r.lim.ObjectsPerFile, limits.Setting("ObjectsPerFile"))
		return nil, false
	}
	expanded := make(map[int][]string, len(ranged))
	for i := range ranged {
		values, err := expandRange(it.Fields[i].Value.Value)
		if err != nil {
			r.add(cx, it.Fields[i].Line, cx.path(fieldSeg(it.Fields[i].Name)), "%v", err)
			return nil, false
		}
		expanded[i] = values
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

// quote shows a value in a limit's message, shortened when long.
func quote(s string) string {
	const most = 60
	if len(s) > most {
		s = s[:most] + "..."
	}
	return `"` + s + `"`
}
