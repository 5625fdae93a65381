package graph

import "fmt"

// The tables a slot layer's records refer to by number: lineages, actors and shared strings.

// lineages interns the lineages of a slot layer; number 0 is the zero lineage.
type lineages struct {
	list []Lineage
	ids  map[Lineage]uint32
}

func (t *lineages) id(l Lineage) uint32 {
	if l == (Lineage{}) {
		return 0
	}
	if i, ok := t.ids[l]; ok {
		return i
	}
	if t.ids == nil {
		t.ids = map[Lineage]uint32{}
		t.list = []Lineage{{}}
	}
	i := uint32(len(t.list))
	if i >= headDeleted {
		panic(fmt.Sprintf("graph: more than %d distinct lineages", headDeleted-1))
	}
	t.list = append(t.list, l)
	t.ids[l] = i
	return i
}

func (t *lineages) get(i uint32) Lineage {
	if i == 0 {
		return Lineage{}
	}
	return t.list[i]
}

// len is the number of lineages, the zero one included.
func (t *lineages) len() int { return max(1, len(t.list)) }

// actors interns the actors of stamps (Stamp.By): few actors write many values, and a record
// holds an actor's number.
type actors struct {
	list []string
	ids  map[string]uint32
	last uint32 // the actor last looked up
}

func (a *actors) id(by string) uint32 {
	if len(a.list) > 0 && a.list[a.last] == by { // one actor writes a batch
		return a.last
	}
	if i, ok := a.ids[by]; ok {
		a.last = i
		return i
	}
	if a.ids == nil {
		a.ids = map[string]uint32{}
	}
	i := uint32(len(a.list))
	a.list = append(a.list, by)
	a.ids[by] = i
	a.last = i
	return i
}

// sharedStrings are strings that records refer to by number: a string written to a field
// that the field's previous write held too (many nodes hold the same description or status)
// is kept here once rather than in every record. A string stays once shared; at most
// maxShared are.
type sharedStrings struct {
	strTable
	fields []fieldStrings // by field, for fields below maxFieldSlot
	more   map[FieldID]*fieldStrings
}

// fieldStrings is what a field was last written: the string, and 1 + the number of the last
// shared string (0: none), which a bulk load writes again and again.
type fieldStrings struct {
	last   string
	shared uint32
}

const (
	minShared    = 4 // a reference to a shared string takes 1 to 3 bytes
	maxShared    = 1 << 16
	maxFieldSlot = 1 << 12
)

// of is 1 + the number of string s written to field f among the shared strings, 0 when it is
// not one.
func (t *sharedStrings) of(f FieldID, s string) uint32 {
	fs := t.field(f)
	if fs.shared != 0 && t.list[fs.shared-1] == s {
		return fs.shared
	}
	i, ok := t.ids[s]
	switch {
	case ok:
	case fs.last != s || len(s) < minShared || len(t.list) >= maxShared:
		fs.last = s
		return 0
	default:
		i = t.add(s)
	}
	fs.shared = i + 1
	return i + 1
}

func (t *sharedStrings) field(f FieldID) *fieldStrings {
	if f < maxFieldSlot {
		if int(f) >= len(t.fields) {
			t.fields = append(t.fields, make([]fieldStrings, int(f)+1-len(t.fields))...)
		}
		return &t.fields[f]
	}
	fs := t.more[f]
	if fs == nil {
		if t.more == nil {
			t.more = map[FieldID]*fieldStrings{}
		}
		fs = &fieldStrings{}
		t.more[f] = fs
	}
	return fs
}

// strTable numbers strings in the order they are added (shared strings, record shapes).
type strTable struct {
	list []string
	ids  map[string]uint32
}

func (t *strTable) add(s string) uint32 {
	if t.ids == nil {
		t.ids = map[string]uint32{}
	}
	i := uint32(len(t.list))
	t.list = append(t.list, s)
	t.ids[s] = i
	return i
}

// shapes numbers the shapes of records (record.go): the fields and tags of their entries.
// Nodes of a kind have few; at most maxShapes are numbered, and a record of another shape
// spells its own.
type shapes struct {
	strTable
	last int // 1 + the number of the shape last found (a bulk load writes nodes of one shape)
}

const maxShapes = 1 << 12

// number is 1 + the number of shape b, 0 when it has none (and add is not set, or the table
// is full); b is not kept.
func (t *shapes) number(b []byte, add bool) int {
	if t == nil {
		return 0
	}
	if t.last > 0 && t.list[t.last-1] == string(b) {
		return t.last
	}
	if i, ok := t.ids[string(b)]; ok {
		if add { // the write path: a snapshot, under the read lock, changes nothing
			t.last = int(i) + 1
		}
		return int(i) + 1
	}
	if !add || len(t.list) >= maxShapes {
		return 0
	}
	t.last = int(t.add(string(b))) + 1
	return t.last
}
