package nodes

import "github.com/infrahub-go/infrahub/branch/graph"

// names remembers the ids the fold gave to the names it meets (kinds, constraints, stored field
// names, attribute names and the mirrors of relationship fields), so that folding an event
// neither builds stored names (AttrField, Mirror) nor takes the interners' locks for names seen
// before. It is used under the Store's write lock and emptied whenever the interners are
// replaced.
type names struct {
	kinds, constraints, fields, attrs, mirrors nameCache
}

// nameCache is the ids of names: the few met last, compared before the map is looked up (the
// events of a batch repeat the names of a kind, and comparing a short string is cheaper than
// hashing it).
type nameCache struct {
	m      map[string]uint32
	recent [nameRecent]nameID
	next   uint8
}

type nameID struct {
	name string
	id   uint32
}

const nameRecent = 8

func newNames() names {
	return names{kinds: newNameCache(), constraints: newNameCache(), fields: newNameCache(),
		attrs: newNameCache(), mirrors: newNameCache()}
}

func newNameCache() nameCache { return nameCache{m: map[string]uint32{}} }

// cached is name's id in cache c, interned with in (as stored(name)) on first use.
func cached(c *nameCache, in *graph.Interner, name string, stored func(string) string) uint32 {
	for i := range c.recent {
		if r := &c.recent[i]; len(r.name) == len(name) && r.name == name && name != "" {
			return r.id
		}
	}
	id, ok := c.m[name]
	if !ok {
		id = in.ID(stored(name))
		c.m[name] = id
	}
	c.recent[c.next%nameRecent] = nameID{name, id}
	c.next++
	return id
}

func same(name string) string { return name }

func (cod codec) field(name string) graph.FieldID {
	return graph.FieldID(cached(&cod.s.names.fields, cod.s.fields, name, same))
}

func (cod codec) attrField(name string) graph.FieldID {
	return graph.FieldID(cached(&cod.s.names.attrs, cod.s.fields, name, AttrField))
}

func (cod codec) mirror(field string) graph.FieldID {
	return graph.FieldID(cached(&cod.s.names.mirrors, cod.s.fields, field, Mirror))
}

func (cod codec) kind(name string) graph.KindID {
	return graph.KindID(cached(&cod.s.names.kinds, cod.s.kinds, name, same))
}

func (cod codec) constraint(name string) graph.ConstraintID {
	return graph.ConstraintID(cached(&cod.s.names.constraints, cod.s.constraints, name, same))
}
