package nodes

import "github.com/infrahub-go/infrahub/branch/graph"

// names remembers the ids the fold gave to the names it meets (kinds, constraints, stored field
// names, attribute names and the mirrors of relationship fields), so that folding an event
// neither builds stored names (AttrField, Mirror) nor takes the interners' locks for names seen
// before. It is used under the Store's write lock and emptied whenever the interners are
// replaced.
type names struct {
	kinds, constraints, fields, attrs, mirrors map[string]uint32
}

func newNames() names {
	return names{kinds: map[string]uint32{}, constraints: map[string]uint32{}, fields: map[string]uint32{},
		attrs: map[string]uint32{}, mirrors: map[string]uint32{}}
}

// cached is name's id in cache m, interned with in (as stored(name)) on first use.
func cached(m map[string]uint32, in *graph.Interner, name string, stored func(string) string) uint32 {
	if id, ok := m[name]; ok {
		return id
	}
	id := in.ID(stored(name))
	m[name] = id
	return id
}

func same(name string) string { return name }

func (cod codec) field(name string) graph.FieldID {
	return graph.FieldID(cached(cod.s.names.fields, cod.s.fields, name, same))
}

func (cod codec) attrField(name string) graph.FieldID {
	return graph.FieldID(cached(cod.s.names.attrs, cod.s.fields, name, AttrField))
}

func (cod codec) mirror(field string) graph.FieldID {
	return graph.FieldID(cached(cod.s.names.mirrors, cod.s.fields, field, Mirror))
}

func (cod codec) kind(name string) graph.KindID {
	return graph.KindID(cached(cod.s.names.kinds, cod.s.kinds, name, same))
}

func (cod codec) constraint(name string) graph.ConstraintID {
	return graph.ConstraintID(cached(cod.s.names.constraints, cod.s.constraints, name, same))
}
