package graph

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// snapshot writes s and returns the bytes.
func snapshot(t testing.TB, s *State) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		t.Fatalf("WriteSnapshot: %v", err)
	}
	return buf.Bytes()
}

// roundTrip writes s, reads it back, and checks that writing the copy gives the same bytes.
func roundTrip(t testing.TB, s *State) *State {
	t.Helper()
	b := snapshot(t, s)
	r, err := ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	if b2 := snapshot(t, r); !bytes.Equal(b, b2) {
		t.Fatalf("the restored state writes other bytes (%d vs %d)", len(b), len(b2))
	}
	if b3 := snapshot(t, s); !bytes.Equal(b, b3) {
		t.Fatal("two snapshots of one state differ")
	}
	in := bytes.Clone(b)
	rb, err := ReadSnapshotBytes(in)
	if err != nil {
		t.Fatalf("ReadSnapshotBytes: %v", err)
	}
	clear(in) // the state keeps nothing of its input
	if b4 := snapshot(t, rb); !bytes.Equal(b, b4) {
		t.Fatal("the state read in place writes other bytes")
	}
	return r
}

// deepEqualStates compares every field but the mutex.
func deepEqualStates(t testing.TB, a, b *State) {
	t.Helper()
	for _, c := range []struct {
		name string
		x, y any
	}{
		{"position", a.position, b.position},
		{"times", timesCanon(a), timesCanon(b)},
		{"main", mainCanon(a.main), mainCanon(b.main)},
		{"global", a.global, b.global},
		{"branches", a.branches, b.branches},
	} {
		if !reflect.DeepEqual(c.x, c.y) {
			t.Errorf("states differ in %s", c.name)
		}
	}
}

// timesCanon is the positions of the timeline and their times (as Unix nanoseconds and the
// zone's name and offset).
func timesCanon(s *State) []string {
	var out []string
	for i := range s.times.len() {
		at := s.times.time(i)
		name, off := at.Zone()
		out = append(out, fmt.Sprint(s.times.pos(i), at.UnixNano(), name, off))
	}
	return out
}

// mainCanon is main with its slot layer as plain maps (the layer's index depends on the order
// of writes, its content does not).
func mainCanon(m mainState) []any {
	heads := map[Slot]version[Value]{}
	hist := map[Slot][]version[Value]{}
	nodes := map[NodeID][]version[KindID]{}
	for n := range m.table.len() {
		id := m.table.id(uint32(n))
		list := m.slots.entries(uint32(n), nil)
		for i := range list {
			k := Slot{id, list[i].field}
			heads[k] = m.slots.headOf(&list[i])
			if h := m.slots.hist[slotNum{uint32(n), k.Field}]; len(h) > 0 {
				hist[k] = m.slots.unpackChain(h)
			}
		}
		if h, ok := m.nodes.head(id); ok {
			nodes[id] = append(slices.Clone(m.nodes.hist[uint32(n)]), h)
		}
	}
	ok := m.table.nums.n == m.table.len()
	unique := map[uniqueKey][]version[NodeID]{}
	ukeys, uok := m.unique.keys()
	for i, k := range ukeys {
		unique[k] = append(slices.Clone(m.unique.hist[uint32(i)]), m.unique.heads.at(uint32(i)).version())
	}
	ekeys, peers, eok := m.edges.keys()
	edges := map[edgeKey][]version[struct{}]{}
	for i, k := range ekeys {
		edges[k] = append([]version[struct{}]{*m.edges.heads.at(uint32(i))}, m.edges.hist[uint32(i)]...)
	}
	return []any{ok, heads, hist, eok, edges, peers, nodes, uok, unique, m.index, m.counts}
}

// universe is what compareReads asks about.
type universe struct {
	nodes       []NodeID
	fields      []FieldID
	kinds       []KindID
	constraints []ConstraintID
	keys        []string
}

// compareReads asks a and b the same questions on every branch at every position up to past
// the last one, and fails on the first few differences.
func compareReads(t testing.TB, a, b *State, u universe) {
	t.Helper()
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 10 {
			t.Errorf(format, args...)
		}
	}
	if a.Position() != b.Position() {
		fail("Position %d vs %d", a.Position(), b.Position())
	}
	ba, bb := a.Branches(), b.Branches()
	slices.Sort(ba)
	slices.Sort(bb)
	if !slices.Equal(ba, bb) {
		fail("Branches %v vs %v", ba, bb)
	}
	last := a.Position()
	for p := int64(-1); p <= last+2; p++ {
		if x, y := a.PositionAt(at(p)), b.PositionAt(at(p)); x != y {
			fail("PositionAt(%d) %d vs %d", p, x, y)
		}
		if x, y := a.PositionAt(at(p).Add(-time.Second)), b.PositionAt(at(p).Add(-time.Second)); x != y {
			fail("PositionAt(%d-1s) %d vs %d", p, x, y)
		}
		x, okx := a.RecordedAt(p)
		y, oky := b.RecordedAt(p)
		if okx != oky || !x.Equal(y) || x.Location().String() != y.Location().String() {
			fail("RecordedAt(%d) %v %v vs %v %v", p, x, okx, y, oky)
		}
	}
	for _, br := range append([]string{Main, Global, "no-such-branch"}, ba...) {
		x, errx := a.Base(br)
		y, erry := b.Base(br)
		if x != y || fmt.Sprint(errx) != fmt.Sprint(erry) {
			fail("Base(%s) %d %v vs %d %v", br, x, errx, y, erry)
		}
		if br != Main && br != Global {
			dx, errx := a.Diff(br)
			dy, erry := b.Diff(br)
			if !reflect.DeepEqual(dx, dy) || fmt.Sprint(errx) != fmt.Sprint(erry) {
				fail("Diff(%s) differs", br)
			}
		}
		for p := int64(-1); p <= last+2; p++ {
			for _, n := range u.nodes {
				for _, f := range u.fields {
					vx, okx, errx := a.Get(br, Slot{n, f}, p)
					vy, oky, erry := b.Get(br, Slot{n, f}, p)
					if okx != oky || !vx.Equal(vy) || fmt.Sprint(errx) != fmt.Sprint(erry) {
						fail("Get(%s, %v/%d, %d) = %v %v vs %v %v", br, n, f, p, vx, okx, vy, oky)
					}
				}
				kx, okx, errx := a.Exists(br, n, p)
				ky, oky, erry := b.Exists(br, n, p)
				if kx != ky || okx != oky || fmt.Sprint(errx) != fmt.Sprint(erry) {
					fail("Exists(%s, %v, %d) differs", br, n, p)
				}
			}
			for _, f := range u.fields {
				px, errx := a.Peers(br, u.nodes, f, p)
				py, erry := b.Peers(br, u.nodes, f, p)
				if !slices.EqualFunc(px, py, slices.Equal) || fmt.Sprint(errx) != fmt.Sprint(erry) {
					fail("Peers(%s, %d, %d) differs", br, f, p)
				}
			}
			for _, k := range u.kinds {
				nx, errx := a.Nodes(br, k, p)
				ny, erry := b.Nodes(br, k, p)
				if !slices.Equal(nx, ny) || fmt.Sprint(errx) != fmt.Sprint(erry) {
					fail("Nodes(%s, %d, %d) %v vs %v", br, k, p, nx, ny)
				}
				cx, errx := a.Count(br, k, p)
				cy, erry := b.Count(br, k, p)
				if cx != cy || fmt.Sprint(errx) != fmt.Sprint(erry) {
					fail("Count(%s, %d, %d) %d vs %d", br, k, p, cx, cy)
				}
				for _, c := range u.constraints {
					for _, key := range u.keys {
						hx, okx, errx := a.Taken(br, k, c, key, p)
						hy, oky, erry := b.Taken(br, k, c, key, p)
						if hx != hy || okx != oky || fmt.Sprint(errx) != fmt.Sprint(erry) {
							fail("Taken(%s, %d, %d, %q, %d) differs", br, k, c, key, p)
						}
					}
				}
			}
		}
	}
}

func claim(n int, k KindID, key string) Change {
	return Change{Op: OpClaim, Kind: k, Constraint: cName, Key: key, Node: id(n)}
}

func TestSnapshotFixture(t *testing.T) {
	s := fixture(t)
	apply(t, s, Global, 70, create(100, kAcct), set(100, fName, "admin"), set(1, fSite, "paris"),
		Change{Op: OpClaim, Kind: kAcct, Constraint: cName, Key: "admin", Node: id(100)})
	if err := s.CreateBranch("late", 70); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBranch("empty", 50); err != nil {
		t.Fatal(err)
	}
	apply(t, s, "late", 80, peers(OpSetPeers, 1, fTags, 10, 11), claim(1, kDevice, "r1"),
		Change{Op: OpSetAttr, Node: id(4), Field: fDescr, Value: Value{Data: map[string]any{"a": []any{1.5, "x", nil}},
			Lineage: Lineage{Source: id(100), Owner: id(101), IsProtected: true}}})
	r := roundTrip(t, s)
	deepEqualStates(t, s, r)
	compareReads(t, s, r, universe{
		nodes:       ids(1, 2, 3, 4, 5, 10, 11, 100, 101),
		fields:      []FieldID{fName, fDescr, fTags, fSite},
		kinds:       []KindID{kDevice, kTag, kAcct},
		constraints: []ConstraintID{cName},
		keys:        []string{"r1", "admin", "zz"},
	})
}

func TestSnapshotEmpty(t *testing.T) {
	s := NewState()
	r := roundTrip(t, s)
	deepEqualStates(t, s, r)
	apply(t, s, Main, 1, create(1, kDevice))
	apply(t, r, Main, 1, create(1, kDevice))
	deepEqualStates(t, s, r)
}

// randomWorld drives random changes over a small universe, so that chains, deletes, clears,
// claims, releases, peers and global changes all hit the same few keys.
type randomWorld struct {
	r        *rand.Rand
	pos      int64
	branches []string
	nextName int
	u        universe
}

var testZone = time.FixedZone("XST", 2*3600+30*60)

func newRandomWorld(seed uint64) *randomWorld {
	w := &randomWorld{
		r: rand.New(rand.NewPCG(seed, seed*7+1)),
		u: universe{
			fields:      []FieldID{1, 2, 3, 4},
			kinds:       []KindID{1, 2, 3},
			constraints: []ConstraintID{1, 2},
			keys:        []string{"a", "b", "c", ""},
		},
	}
	for n := range 24 {
		w.u.nodes = append(w.u.nodes, id(n*37+1))
	}
	w.u.nodes = append(w.u.nodes, NodeID{0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, NewNodeID())
	return w
}

func (w *randomWorld) node() NodeID { return w.u.nodes[w.r.IntN(len(w.u.nodes))] }

func (w *randomWorld) data(depth int) any {
	switch w.r.IntN(14) {
	case 0:
		return nil
	case 1:
		return w.r.IntN(2) == 0
	case 2:
		return w.r.Int64() - math.MaxInt64/2
	case 3:
		return w.r.IntN(300) - 150
	case 4:
		return w.r.NormFloat64() * 1e6
	case 5:
		if w.r.IntN(2) == 0 {
			return Stamp{At: w.r.Int64(), By: fmt.Sprint("actor", w.r.IntN(3))}
		}
		return json.Number(fmt.Sprint(w.r.IntN(1000)))
	case 6:
		if depth > 2 {
			return "leaf"
		}
		l := make([]any, w.r.IntN(4))
		for i := range l {
			l[i] = w.data(depth + 1)
		}
		return l
	case 7:
		if depth > 2 {
			return int64(7)
		}
		m := map[string]any{}
		for range w.r.IntN(4) {
			m[fmt.Sprint("k", w.r.IntN(10))] = w.data(depth + 1)
		}
		return m
	case 8:
		return []any(nil)
	case 9:
		return map[string]any(nil)
	default:
		return fmt.Sprintf("v%d-é", w.r.IntN(1000))
	}
}

func (w *randomWorld) lineage() Lineage {
	var l Lineage
	if w.r.IntN(3) == 0 {
		l.Source = w.node()
	}
	if w.r.IntN(3) == 0 {
		l.Owner = w.node()
	}
	l.IsProtected = w.r.IntN(4) == 0
	return l
}

func (w *randomWorld) change() Change {
	c := Change{
		Op:         Op(1 + w.r.IntN(int(opEnd)-1)),
		Node:       w.node(),
		Kind:       w.u.kinds[w.r.IntN(len(w.u.kinds))],
		Field:      w.u.fields[w.r.IntN(len(w.u.fields))],
		Constraint: w.u.constraints[w.r.IntN(len(w.u.constraints))],
		Key:        w.u.keys[w.r.IntN(len(w.u.keys))],
		Global:     w.r.IntN(10) == 0,
	}
	if w.r.IntN(4) == 0 { // creates make everything else meaningful: more of them
		c.Op = OpCreate
	}
	switch c.Op {
	case OpSetAttr:
		c.Value = Value{Data: w.data(0), Lineage: w.lineage()}
	case OpSetPeers, OpAddPeers, OpRemovePeers:
		for range w.r.IntN(4) {
			c.Value.Peers = append(c.Value.Peers, w.node())
		}
		c.Value.Lineage = w.lineage()
	}
	return c
}

// step is one write to a state, generated once and run on several states.
type step func(s *State) error

func (w *randomWorld) steps(n int) []step {
	var out []step
	for range n {
		switch x := w.r.IntN(20); {
		case x == 0 || len(w.branches) == 0 && x < 3:
			name := fmt.Sprintf("br%d", w.nextName)
			w.nextName++
			base := w.r.Int64N(w.pos + 1)
			w.branches = append(w.branches, name)
			out = append(out, func(s *State) error { return s.CreateBranch(name, base) })
		case x == 1 && len(w.branches) > 2:
			i := w.r.IntN(len(w.branches))
			name := w.branches[i]
			w.branches = slices.Delete(w.branches, i, i+1)
			out = append(out, func(s *State) error { return s.DeleteBranch(name) })
		default:
			branch := Main
			switch y := w.r.IntN(10); {
			case y == 0:
				branch = Global
			case y < 6 && len(w.branches) > 0:
				branch = w.branches[w.r.IntN(len(w.branches))]
			}
			w.pos += 1 + w.r.Int64N(2)
			pos := w.pos
			rec := at(pos)
			switch w.r.IntN(8) {
			case 0:
				rec = at(pos - 3) // clock skew
			case 1:
				rec = rec.In(testZone)
			case 2:
				rec = rec.In(time.Local)
			case 3:
				rec = rec.Add(time.Duration(w.r.IntN(1e9)))
			}
			cs := make([]Change, 1+w.r.IntN(6))
			for i := range cs {
				cs[i] = w.change()
			}
			out = append(out, func(s *State) error { return s.Apply(branch, pos, rec, cs...) })
		}
	}
	return out
}

func run(t testing.TB, steps []step, states ...*State) {
	t.Helper()
	for i, st := range steps {
		var errs []string
		for _, s := range states {
			errs = append(errs, fmt.Sprint(st(s)))
		}
		if len(slices.Compact(slices.Clone(errs))) != 1 {
			t.Fatalf("step %d: states answer differently: %v", i, errs)
		}
	}
}

func TestSnapshotRandom(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newRandomWorld(seed)
			s := NewState()
			run(t, w.steps(150), s)
			r := roundTrip(t, s)
			deepEqualStates(t, s, r)
			compareReads(t, s, r, w.u)

			// Both go on identically.
			more := w.steps(60)
			run(t, more, s, r)
			deepEqualStates(t, s, r)
			compareReads(t, s, r, w.u)
			r2 := roundTrip(t, r)
			deepEqualStates(t, s, r2)
		})
	}
}

func TestSnapshotData(t *testing.T) {
	values := []any{
		nil, true, false, int64(0), int64(math.MaxInt64), int64(math.MinInt64), 0, -1, math.MaxInt,
		0.0, math.Copysign(0, -1), math.Inf(1), math.SmallestNonzeroFloat64, "", "héllo\x00wörld",
		json.Number("12.5e3"), []any{}, []any(nil), map[string]any{}, map[string]any(nil),
		[]any{1, "a", []any{int64(2), map[string]any{"x": nil, "y": []any{false}}}},
		map[string]any{"z": 1.0, "a": map[string]any{"b": map[string]any{"c": json.Number("1")}}},
		strings.Repeat("long ", 10_000),
		Stamp{At: 1_765_000_000_123_456_789, By: "admin"}, Stamp{At: math.MinInt64}, []any{Stamp{At: -1, By: "admin"}},
	}
	s := NewState()
	for i, v := range values {
		apply(t, s, Main, int64(i+1), Change{Op: OpSetAttr, Node: id(1), Field: FieldID(i + 1), Value: Value{Data: v}})
	}
	r := roundTrip(t, s)
	deepEqualStates(t, s, r)
	for i, v := range values {
		got, ok, err := r.Get(Main, Slot{id(1), FieldID(i + 1)}, 1000)
		if err != nil || !ok || !reflect.DeepEqual(got.Data, v) || reflect.TypeOf(got.Data) != reflect.TypeOf(v) {
			t.Errorf("value %d: got %#v (%T), want %#v (%T)", i, got.Data, got.Data, v, v)
		}
	}
}

func TestSnapshotUnsupportedData(t *testing.T) {
	for _, v := range []any{int32(1), []string{"a"}, struct{}{}, map[string]string{}, &Value{}} {
		s := NewState()
		if err := s.CreateBranch("b", 0); err != nil {
			t.Fatal(err)
		}
		apply(t, s, "b", 1, Change{Op: OpSetAttr, Node: id(1), Field: fName, Value: Value{Data: []any{"ok", v}}})
		err := s.WriteSnapshot(&bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%T", v)) {
			t.Errorf("%T: err = %v, want one naming the type", v, err)
		}
	}
	// A cycle is refused, not a stack overflow.
	l := []any{nil}
	l[0] = l
	s := NewState()
	apply(t, s, Main, 1, set(1, fName, l))
	if err := s.WriteSnapshot(&bytes.Buffer{}); err == nil {
		t.Error("a cyclic value was written")
	}
}

func TestSnapshotRefusesBadInput(t *testing.T) {
	s := fixture(t)
	good := snapshot(t, s)
	bad := func(name string, b []byte) {
		t.Helper()
		if _, err := ReadSnapshot(bytes.NewReader(b)); !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s: err = %v, want ErrBadSnapshot", name, err)
		}
		if _, err := ReadSnapshotBytes(b); !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s, read in place: err = %v, want ErrBadSnapshot", name, err)
		}
	}
	for i := range good {
		b := slices.Clone(good)
		b[i] ^= 1 << (i % 8)
		bad(fmt.Sprintf("flip byte %d", i), b)
		// The payload decodes while the checksum is computed: a mismatch is what is reported.
		if _, err := ReadSnapshotBytes(b); i >= snapHeaderMin && !strings.Contains(err.Error(), "checksum") {
			t.Errorf("flip byte %d, read in place: %v, want a checksum mismatch", i, err)
		}
	}
	for n := range len(good) {
		bad(fmt.Sprintf("truncated to %d", n), good[:n])
	}
	bad("trailing byte", append(slices.Clone(good), 0))

	// Another kind of snapshot.
	var ib bytes.Buffer
	if err := NewInterner().WriteSnapshot(&ib); err != nil {
		t.Fatal(err)
	}
	bad("interner", ib.Bytes())
	if _, err := ReadInterner(bytes.NewReader(good)); !errors.Is(err, ErrBadSnapshot) {
		t.Errorf("state read as an interner: %v", err)
	}

	v := slices.Clone(good)
	v[4+1] = snapVersion + 1
	_, err := ReadSnapshot(bytes.NewReader(reseal(v)))
	if !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), "version") {
		t.Errorf("future version: %v", err)
	}
	forgeries(t, good, 3000)
}

// reseal recomputes the checksum of a snapshot (the last 4 bytes).
func reseal(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(slices.Clone(body), crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
}

// forgeries reads inputs whose checksum is right and content is not: errors, never panics.
func forgeries(t *testing.T, good []byte, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		b := slices.Clone(good)
		for range 1 + r.IntN(3) {
			b[6+r.IntN(len(b)-10)] = byte(r.IntN(256))
		}
		if st, err := ReadSnapshot(bytes.NewReader(reseal(b))); err == nil {
			_ = snapshot(t, st) // whatever decoded must be usable
		} else if !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("forged input: %v", err)
		}
	}
	payload := make([]byte, 200)
	for range n / 3 {
		for i := range payload {
			payload[i] = byte(r.IntN(256))
		}
		b := reseal(append(append([]byte("IHGS"), snapKindState, snapVersion), append(payload, 0, 0, 0, 0)...))
		if _, err := ReadSnapshot(bytes.NewReader(b)); err != nil && !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("random payload: %v", err)
		}
	}
}

// The node table's map is filled in the background while the layers decode: a random state
// round-trips, and a node twice in the table is refused once the filling ends.
func TestSnapshotNodeTable(t *testing.T) {
	w := newRandomWorld(42)
	s := NewState()
	run(t, w.steps(100), s)
	r := roundTrip(t, s)
	deepEqualStates(t, s, r)
	compareReads(t, s, r, w.u)

	// A node twice in main's node table, checksum fixed: refused.
	s = NewState()
	apply(t, s, Main, 1, create(1, kDevice), create(2, kDevice))
	b := snapshot(t, s)
	// Node table: count 2, id(1) (15 bytes shared with the zero id, then 1), id(2) (15 bytes
	// shared with id(1), then 2).
	i := bytes.Index(b, []byte{2, 15, 1, 15, 2})
	if i < 0 {
		t.Fatal("node table not found")
	}
	b = slices.Delete(slices.Clone(b), i+4, i+5) // id(2) becomes "all 16 bytes as before": id(1)
	b[i+3] = 16
	if _, err := ReadSnapshot(bytes.NewReader(reseal(b))); !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate node: %v", err)
	}
	forgeries(t, snapshot(t, fixture(t)), 500)
}

func TestSnapshotWhileApplying(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 1, create(0, kDevice), set(0, fName, int64(0)))
	if err := s.CreateBranch("b", 1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for p := int64(2); p < 300; p++ {
			branch := Main
			if p%3 == 0 {
				branch = "b"
			}
			if err := s.Apply(branch, p, at(p), create(int(p), kDevice), set(0, fName, p), set(int(p), fDescr, "x")); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 30 {
				var buf bytes.Buffer
				if err := s.WriteSnapshot(&buf); err != nil {
					t.Error(err)
					return
				}
				r, err := ReadSnapshot(&buf)
				if err != nil {
					t.Error(err)
					return
				}
				// A consistent cut: the count on main matches the position of the snapshot.
				p := r.Position()
				n, _ := r.Count(Main, kDevice, p)
				nb, _ := r.Count("b", kDevice, p)
				if v, _, _ := r.Get(Main, Slot{id(0), fName}, p); n+nb != p+1 || (p > 1 && v.Data != p && v.Data != p-1) {
					t.Errorf("snapshot at %d: counts %d+%d, name %v", p, n, nb, v.Data)
					return
				}
			}
		})
	}
	wg.Wait()
	deepEqualStates(t, s, roundTrip(t, s))
}

func TestInternerSnapshot(t *testing.T) {
	in := NewInterner()
	for _, n := range []string{"InfraDevice", "name", "", "é", "name__value"} {
		in.ID(n)
	}
	var buf bytes.Buffer
	if err := in.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	b := slices.Clone(buf.Bytes())
	got, err := ReadInterner(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.names, in.names) || !reflect.DeepEqual(got.ids, in.ids) {
		t.Fatalf("interner differs: %q vs %q", got.names, in.names)
	}
	if got.ID("new") != in.ID("new") || got.Len() != in.Len() {
		t.Error("interners diverge after the restore")
	}
	b[len(b)-6] ^= 0x40
	if _, err := ReadInterner(bytes.NewReader(b)); !errors.Is(err, ErrBadSnapshot) {
		t.Errorf("corrupted interner: %v", err)
	}
	empty, err := ReadInterner(bytes.NewReader(func() []byte {
		var e bytes.Buffer
		_ = NewInterner().WriteSnapshot(&e)
		return e.Bytes()
	}()))
	if err != nil || !reflect.DeepEqual(empty.names, NewInterner().names) || empty.ID("a") != 1 {
		t.Errorf("empty interner: %v", err)
	}
}

// populateSlots builds main with nodes × fields attribute slots, one in ten of the nodes
// updated once (so with a chain), a branch and a few global changes.
func populateSlots(tb testing.TB, nodes, fields int) *State {
	s := NewState()
	pos := int64(1)
	cs := make([]Change, 0, (fields+1)*1000)
	for start := 0; start < nodes; start += 1000 {
		cs = cs[:0]
		for i := start; i < min(start+1000, nodes); i++ {
			cs = append(cs, create(i, kDevice))
			for f := 1; f <= fields; f++ {
				cs = append(cs, set(i, FieldID(f), fmt.Sprintf("n%d-f%d", i, f)))
			}
		}
		apply(tb, s, Main, pos, cs...)
		pos++
	}
	for start := 0; start < nodes; start += 10_000 {
		cs = cs[:0]
		for i := start; i < min(start+10_000, nodes); i += 10 {
			cs = append(cs, set(i, fName, "updated"))
		}
		apply(tb, s, Main, pos, cs...)
		pos++
	}
	if err := s.CreateBranch("b", pos/2); err != nil {
		tb.Fatal(err)
	}
	apply(tb, s, "b", pos, set(5, fName, "b"), del(7), create(nodes+1, kDevice))
	apply(tb, s, Global, pos+1, create(nodes+2, kAcct), set(nodes+2, fName, "admin"))
	return s
}

// BenchmarkSnapshot writes and reads 1M nodes × 3 slots.
func BenchmarkSnapshot(b *testing.B) {
	const nodes, fields = 1_000_000, 3
	s := populateSlots(b, nodes, fields)
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		b.Fatal(err)
	}
	size := float64(buf.Len()) / 1e6
	ms := func(b *testing.B) float64 { return float64(b.Elapsed().Microseconds()) / 1e3 / float64(b.N) }
	b.Run("write", func(b *testing.B) {
		var out bytes.Buffer
		out.Grow(buf.Len())
		for b.Loop() {
			out.Reset()
			if err := s.WriteSnapshot(&out); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(size, "MB")
		b.ReportMetric(ms(b), "ms")
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := ReadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(size, "MB")
		b.ReportMetric(ms(b), "ms")
	})
}
