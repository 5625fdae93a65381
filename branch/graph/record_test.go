package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// recordValues are data of every kind a record stores inline or boxed, with repeats (a same
// entry, and chains of them past the encoder's window).
func recordValues() []any {
	vs := []any{
		Stamp{At: 1_765_000_000_123_456_789, By: "admin"}, Stamp{At: 1_765_000_000_123_456_789, By: "admin"},
		"d-1", "d-1", "d-1", nil, true, false, int64(-5), int64(math.MinInt64), 7, -1,
		64512.0, 0.5, math.Copysign(0, -1), 0.0, math.Inf(-1), float64(1 << 53), -float64(1<<53) + 1,
		json.Number("1e3"), json.Number("1e3"), "", strings.Repeat("x", maxInline), strings.Repeat("y", maxInline+1),
		[]any{"a", 1.0}, map[string]any{"k": nil}, []any(nil), Stamp{By: strings.Repeat("z", maxInline+1)},
	}
	for i := range 2 * sameWindow {
		vs = append(vs, "d-1", fmt.Sprint("v", i%3))
	}
	return vs
}

// A node's slots go through its record unchanged: values with their Go types, positions,
// lineages and deletions, whether read from the record, from the node being written or after
// a snapshot.
func TestRecordKeepsValues(t *testing.T) {
	vs := recordValues()
	s := NewState()
	lin := Lineage{Source: id(9), IsDefault: true}
	var cs []Change
	for i, v := range vs {
		c := Change{Op: OpSetAttr, Node: id(1), Field: FieldID(i + 1), Value: Value{Data: v}}
		if i%5 == 0 {
			c.Value.Lineage = lin
		}
		if cs = append(cs, c); i%3 == 2 || i == len(vs)-1 {
			apply(t, s, Main, int64(1+i/3), cs...)
			cs = cs[:0]
		}
	}
	apply(t, s, Main, 100, Change{Op: OpClear, Node: id(1), Field: 2}, create(2, kDevice)) // node 1 written
	apply(t, s, Main, 101, set(2, fName, "other"))                                         // node 2 pending, 1 a record
	for n := 10; n < 15; n++ {                                                             // a string many nodes hold
		apply(t, s, Main, int64(100+n), set(n, fDescr, "shared"), set(n, fName, fmt.Sprint("n", n)))
	}
	check := func(name string, s *State) {
		t.Helper()
		for i, v := range vs {
			got, ok, err := s.Get(Main, Slot{id(1), FieldID(i + 1)}, 99)
			wantLin := Lineage{}
			if i%5 == 0 {
				wantLin = lin
			}
			if err != nil || !ok || !reflect.DeepEqual(got.Data, v) || reflect.TypeOf(got.Data) != reflect.TypeOf(v) || got.Lineage != wantLin {
				t.Errorf("%s: value %d: got %#v (%T) %v, want %#v (%T)", name, i, got.Data, got.Data, got.Lineage, v, v)
			}
			if r, ok := s.main.slots.at(Slot{id(1), FieldID(i + 1)}, 99); !ok || r.pos != int64(1+i/3) {
				t.Errorf("%s: value %d at position %d, want %d", name, i, r.pos, 1+i/3)
			}
		}
		if _, ok, _ := s.Get(Main, Slot{id(1), 2}, 100); ok {
			t.Errorf("%s: a cleared slot reads", name)
		}
		if v, ok, _ := s.Get(Main, Slot{id(1), 2}, 99); !ok || v.Data != vs[1] {
			t.Errorf("%s: the cleared slot's past: %v", name, v.Data)
		}
		for n := 10; n < 15; n++ {
			d, _, _ := s.Get(Main, Slot{id(n), fDescr}, 200)
			nm, _, _ := s.Get(Main, Slot{id(n), fName}, 200)
			if d.Data != "shared" || nm.Data != fmt.Sprint("n", n) {
				t.Errorf("%s: node %d: %v, %v", name, n, d.Data, nm.Data)
			}
		}
	}
	check("written", s)
	if len(s.main.slots.shared.list) != 1 {
		t.Errorf("shared strings %q, want the description", s.main.slots.shared.list)
	}
	r := roundTrip(t, s)
	check("read back", r)
	deepEqualStates(t, s, r)
	// Rewriting the node (one slot changed) keeps the others.
	apply(t, s, Main, 202, set(1, FieldID(len(vs)+1), "new"))
	apply(t, s, Main, 203, set(3, fName, "flush"))
	check("rewritten", s)
}

// The record's entries are the layer's, and the encoder writes as many bytes as it counted.
func TestRecordEncoding(t *testing.T) {
	l := newSlotLayer(newNodeTable(0), &timeline{})
	var es []entry
	for i, v := range append(recordValues(), int32(3)) {
		d := datumOf(v)
		if d.kind == rkStamp {
			d.aux = l.actors.id(d.s)
		}
		es = append(es, entry{d: d, pos: int64(i / 4), field: FieldID(i*37 + 1), lin: uint32(i%2) << 31})
	}
	var enc recEncoder
	rec, boxes := enc.append(nil, es, nil, nil, nil, false)
	if len(recordOf(&rec[0])) != len(rec) {
		t.Fatalf("record of %d bytes reads as %d", len(rec), len(recordOf(&rec[0])))
	}
	var c recChecker
	nbox, ok := c.check(rec, 1, len(l.actors.list), 0, nil)
	if !ok || nbox != len(boxes) {
		t.Fatalf("check: %v %s, %d boxes for %d", ok, c.why, nbox, len(boxes))
	}
	l.recs.grow(1)
	*l.recs.at(0) = &rec[0]
	l.boxes[0] = boxes
	got := l.decode(0, nil)
	if len(got) != len(es) {
		t.Fatalf("%d entries decode as %d", len(es), len(got))
	}
	for i := range es {
		if got[i].field != es[i].field || got[i].pos != es[i].pos || got[i].lin != es[i].lin || !reflect.DeepEqual(got[i].d.any(), es[i].d.any()) {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], es[i])
		}
	}
	// Referring to its shape, the record holds the same entries in fewer bytes.
	shaped, _ := enc.append(nil, es, nil, nil, &l.shapes, true)
	again, _ := enc.append(nil, es, nil, nil, &l.shapes, false)
	if len(l.shapes.list) != 1 || !slices.Equal(shaped, again) || len(shaped) >= len(rec) {
		t.Fatalf("%d shapes; shaped records of %d and %d bytes, %d spelled", len(l.shapes.list), len(shaped), len(again), len(rec))
	}
	if _, ok := c.check(shaped, 1, len(l.actors.list), 0, &l.shapes); !ok {
		t.Fatalf("check of the shaped record: %s", c.why)
	}
	*l.recs.at(0) = &shaped[0]
	if got := l.decode(0, nil); !reflect.DeepEqual(got, l.decode(0, nil)) || len(got) != len(es) || got[len(es)-1].field != es[len(es)-1].field {
		t.Fatalf("the shaped record decodes as %d entries", len(got))
	}
	for i, e := range l.decode(0, nil) {
		if e.field != es[i].field || e.pos != es[i].pos || e.lin != es[i].lin || !reflect.DeepEqual(e.d.any(), es[i].d.any()) {
			t.Errorf("shaped entry %d: got %+v, want %+v", i, e, es[i])
		}
	}
	// Every byte changed: refused or read whole, never a panic.
	r := rand.New(rand.NewPCG(3, 4))
	for i := range len(rec) * 8 {
		b := slices.Clone(rec)
		b[i/8] ^= 1 << (i % 8)
		if r.IntN(4) == 0 {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		sh := (*shapes)(nil)
		if i%2 == 1 {
			b = slices.Clone(shaped)
			b[(i/8)%len(b)] ^= 1 << (i % 8)
			sh = &l.shapes
		}
		if _, ok := c.check(b, 1, len(l.actors.list), 0, sh); ok {
			rd := newRecReader(b, sh)
			var e entry
			for rd.next(&e) {
				_ = e.d.any()
			}
		}
	}
}

// A stamp of the time its position was recorded at refers to the timeline: it reads back as
// written, in the present and the past, also after a snapshot.
func TestRecordStampAtPosition(t *testing.T) {
	s := NewState()
	want := map[Slot][]any{} // by position 1..4
	for p := int64(1); p <= 4; p++ {
		cs := []Change{
			set(1, fName, Stamp{At: at(p).UnixNano(), By: "a"}),         // at its position
			set(1, FieldID(10+p), Stamp{At: at(p).UnixNano(), By: "a"}), // the same, repeated
			set(int(p)+1, fName, Stamp{At: at(1).UnixNano(), By: "b"}),  // at another
		}
		if err := s.Apply(Main, p, at(p), cs...); err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			sl := Slot{c.Node, c.Field}
			for len(want[sl]) < int(p)-1 {
				want[sl] = append(want[sl], nil)
			}
			want[sl] = append(want[sl], c.Value.Data)
		}
	}
	// clock skew: recorded at the previous time, the stamp says otherwise
	if err := s.Apply(Main, 5, at(3), set(1, fDescr, Stamp{At: at(3).UnixNano(), By: "a"})); err != nil {
		t.Fatal(err)
	}
	apply(t, s, Main, 6, set(9, fName, "flush"))
	check := func(name string, s *State) {
		t.Helper()
		for sl, vs := range want {
			for p := int64(1); p <= 6; p++ {
				v := vs[min(int(p), len(vs))-1]
				got, ok, _ := s.Get(Main, sl, p)
				if v == nil && ok || v != nil && got.Data != v {
					t.Errorf("%s: %v at %d: %#v, want %#v", name, sl, p, got.Data, v)
				}
			}
		}
		if got, _, _ := s.Get(Main, Slot{id(1), fDescr}, 5); got.Data != (Stamp{At: at(3).UnixNano(), By: "a"}) {
			t.Errorf("%s: a stamp written with a skewed clock: %#v", name, got.Data)
		}
	}
	check("written", s)
	var e entry
	refers := false
	for r := newRecReader(s.main.slots.record(0), &s.main.slots.shapes); r.next(&e); {
		refers = refers || e.d.atPos
	}
	if !refers {
		t.Error("no stamp refers to the timeline")
	}
	check("read back", roundTrip(t, s))
}
