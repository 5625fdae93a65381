package value

import (
	"encoding/json"
	"errors"
	"iter"
	"math/big"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/fault"
)

func mustRepr(t *testing.T, v Value) string {
	t.Helper()
	s, err := Repr(v)
	if err != nil {
		t.Fatalf("repr: %v", err)
	}
	return s
}

// python3 -c 'import json; print(repr(json.loads(DOC)))'
func TestFromJSONBytesKeepsPythonOrderAndNumbers(t *testing.T) {
	doc := `{"b": 1, "a": [1.0, 2, 1e400, -0, -0.0, 12345678901234567890123, 1E2, "x\u00e9"], "b": 3, "c": {"z": null, "y": true}}`
	v, err := FromJSONBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := `{'b': 3, 'a': [1.0, 2, inf, 0, -0.0, 12345678901234567890123, 100.0, 'xé'], 'c': {'z': None, 'y': True}}`
	if got := mustRepr(t, v); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for _, bad := range []string{`{"a":`, `[1] [2]`, ``} {
		if _, err := FromJSONBytes([]byte(bad)); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", bad, err)
		}
	}
}

func TestFromJSONDecodedAndGoValues(t *testing.T) {
	var decoded any
	dec := json.NewDecoder(strings.NewReader(`{"z": [1, 2.5, 1e2, 99999999999999999999], "a": {"n": null}}`))
	dec.UseNumber()
	if err := dec.Decode(&decoded); err != nil {
		t.Fatal(err)
	}
	// Go maps have no order: the keys come sorted.
	if got, want := mustRepr(t, FromJSON(decoded)), `{'a': {'n': None}, 'z': [1, 2.5, 100.0, 99999999999999999999]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	goVals := map[string]any{"ints": []int{1, 2}, "m": map[string]string{"k": "v"}, "u": uint64(1 << 63), "f": float32(0.5)}
	if got, want := mustRepr(t, FromJSON(goVals)), `{'f': 0.5, 'ints': [1, 2], 'm': {'k': 'v'}, 'u': 9223372036854775808}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	l := NewList(int64(1))
	if FromJSON(l) != l {
		t.Error("a *List is not passed through")
	}
}

type loopObj struct{ items []Value }

func (o *loopObj) TypeName() string { return "LoopContext" }
func (o *loopObj) PyModule() string { return "jinja2.runtime" }
func (o *loopObj) Attr(name string) (Value, bool) {
	if name == "length" {
		return int64(len(o.items)), true
	}
	return nil, false
}
func (o *loopObj) PyLen() int                       { return len(o.items) }
func (o *loopObj) PyIter() (iter.Seq[Value], error) { return seqOf(o.items), nil }

func TestObjects(t *testing.T) {
	o := &loopObj{items: []Value{int64(1), int64(2)}}
	if v, err := Attr(o, "length"); err != nil || v != int64(2) {
		t.Errorf("length: %v %v", v, err)
	}
	if _, err := Attr(o, "nope"); !IsKind(err, "AttributeError") || !IsLookupFailure(err) {
		t.Errorf("missing attribute: %v", err)
	}
	// python3: LoopContext(...) + 1
	if _, err := Add(o, int64(1)); err == nil || err.Error() != "TypeError: unsupported operand type(s) for +: 'LoopContext' and 'int'" {
		t.Errorf("add: %v", err)
	}
	// python3: Undefined(obj=lc, name='x')._undefined_message
	u := UndefinedLookup(o, "x", false)
	if got := u.Message(); got != "'jinja2.runtime.LoopContext object' has no attribute 'x'" {
		t.Errorf("message %q", got)
	}
	if got := UndefinedLookup(NewUndefined("u", false), "x", false).Message(); got != "'jinja2.runtime.Undefined object' has no attribute 'x'" {
		t.Errorf("message %q", got)
	}
	if got := UndefinedLookup(NewNamespace(), int64(0), false).Message(); got != "jinja2.utils.Namespace object has no element 0" {
		t.Errorf("message %q", got)
	}
	if got := (&Undefined{Hint: "custom hint"}).Message(); got != "custom hint" {
		t.Errorf("hint %q", got)
	}
	if got := mustRepr(t, o); got != "<LoopContext object>" {
		t.Errorf("repr %q", got)
	}
	if n, err := Len(o); err != nil || n != 2 {
		t.Errorf("len %v %v", n, err)
	}
	items, err := ToList(o)
	if err != nil || len(items) != 2 {
		t.Errorf("list %v %v", items, err)
	}
	if ok, _ := Truth(&loopObj{}); ok {
		t.Error("an empty sized object is true")
	}
	if err := Hashable(o); err != nil {
		t.Errorf("objects hash by identity: %v", err)
	}
}

// python3: l=[1,2]; for x in l: (out.append(x), x == 1 and l.append(3)) -> out == [1, 2, 3]
func TestIterateListIsLive(t *testing.T) {
	l := NewList(int64(1), int64(2))
	seq, err := Iterate(l)
	if err != nil {
		t.Fatal(err)
	}
	var out []Value
	for x := range seq {
		out = append(out, x)
		if x == int64(1) {
			l.Items = append(l.Items, int64(3))
		}
	}
	if got := mustRepr(t, NewList(out...)); got != "[1, 2, 3]" {
		t.Errorf("got %s", got)
	}
}

func TestDictAPI(t *testing.T) {
	d := NewDict()
	d.SetStr("a", int64(1))
	must2 := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must2(d.Set(int64(1), "one"))
	must2(d.Set(1.0, "float one")) // same key: keeps the int key, takes the value
	must2(d.Set(Tuple{int64(1), "x"}, nil))
	if _, _, err := d.Delete("a"); err != nil {
		t.Fatal(err)
	}
	d.SetStr("a", int64(2)) // re-added at the end
	if got, want := mustRepr(t, d), `{1: 'float one', (1, 'x'): None, 'a': 2}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if v, ok, _ := d.Get(true); !ok || v != "float one" {
		t.Errorf("True key: %v %v", v, ok)
	}
	if _, _, err := d.Get(NewList()); err == nil || err.Error() != "TypeError: unhashable type: 'list'" {
		t.Errorf("unhashable: %v", err)
	}
	if err := Hashable(Tuple{int64(1), NewDict()}); err == nil || err.Error() != "TypeError: unhashable type: 'dict'" {
		t.Errorf("tuple with a dict: %v", err)
	}
	c := d.Copy()
	c.Clear()
	if d.Len() != 3 || c.Len() != 0 {
		t.Errorf("copy shares entries: %d %d", d.Len(), c.Len())
	}
	n := 0
	for k, v := range d.All() {
		if err := d.Set(k, v); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("iterated %d", n)
	}
}

// python3: sorted([3, 1, 2], key=lambda x: -x) == [3, 2, 1]
func TestSortByKey(t *testing.T) {
	items := []Value{int64(3), int64(1), int64(2)}
	keys := []Value{int64(-3), int64(-1), int64(-2)}
	if err := SortByKey(items, keys, false); err != nil {
		t.Fatal(err)
	}
	if got := mustRepr(t, NewList(items...)); got != "[3, 2, 1]" {
		t.Errorf("items %s", got)
	}
	if got := mustRepr(t, NewList(keys...)); got != "[-3, -2, -1]" {
		t.Errorf("keys %s", got)
	}
	// stable, reverse keeps the order of equal keys (python3: sorted(..., key=lambda p: p[0], reverse=True))
	pairs := []Value{Tuple{int64(1), "a"}, Tuple{int64(2), "b"}, Tuple{int64(1), "c"}, Tuple{int64(2), "d"}}
	pk := []Value{int64(1), int64(2), int64(1), int64(2)}
	if err := SortByKey(pairs, pk, true); err != nil {
		t.Fatal(err)
	}
	if got := mustRepr(t, NewList(pairs...)); got != "[(2, 'b'), (2, 'd'), (1, 'a'), (1, 'c')]" {
		t.Errorf("stable reverse: %s", got)
	}
	long := make([]Value, 100)
	for i := range long {
		long[i] = int64((i * 37) % 100)
	}
	if err := Sort(long, false); err != nil {
		t.Fatal(err)
	}
	for i := range long {
		if long[i] != int64(i) {
			t.Fatalf("long sort: %v", long)
		}
	}
	long[50] = "x"
	if err := Sort(long, false); !IsKind(err, "TypeError") {
		t.Errorf("long mixed sort: %v", err)
	}
}

func TestLimitsAndErrorKinds(t *testing.T) {
	_, err := Mul("ab", int64(MaxSize))
	var e *Error
	if !errors.As(err, &e) || e.Kind != "MemoryError" || !e.IsLimit() || !errors.Is(err, fault.ErrTooLarge) {
		t.Errorf("repetition over MaxSize: %v", err)
	}
	if _, err := Pow(int64(2), int64(100000)); !IsKind(err, "OverflowError") || !errors.Is(err, fault.ErrTooLarge) {
		t.Errorf("2 ** 100000: %v", err)
	}
	if v, err := Pow(int64(3), int64(1000)); err != nil || len(mustRepr(t, v)) != 478 {
		t.Errorf("3 ** 1000: %v", err)
	}
	if _, err := Add(int64(1), "a"); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("a Python error is ErrInvalid: %v", err)
	}
	// python3 returns a complex number; we refuse
	if _, err := Pow(int64(-8), 1.0/3); !IsKind(err, "ValueError") {
		t.Errorf("complex result: %v", err)
	}
	if _, err := GetItem(NewDict(), "k"); !IsLookupFailure(err) {
		t.Errorf("KeyError is a lookup failure: %v", err)
	}
	if _, err := NewRange(new(bigIntT).Lsh(bigOne(), 70)); !IsKind(err, "OverflowError") {
		t.Errorf("range of a big int: %v", err)
	}
}

func TestCallablesAndFormattingAPI(t *testing.T) {
	m, ok := Method("abc", "upper")
	if !ok {
		t.Fatal("no upper")
	}
	if got := mustRepr(t, m); got != "<built-in method upper of str object>" {
		t.Errorf("repr %q", got)
	}
	if _, ok := Method(int64(1), "upper"); ok {
		t.Error("int has upper")
	}
	s, err := StrFormat("{a}-{0:>3}", []Value{int64(7)}, []Kwarg{{Name: "a", Value: "x"}})
	if err != nil || s != "x-  7" {
		t.Errorf("StrFormat %q %v", s, err)
	}
	p, err := Percent("%(n)03d", mustDict(t, "n", int64(5)))
	if err != nil || p != "005" {
		t.Errorf("Percent %q %v", p, err)
	}
	ns := NewNamespace()
	inner := NewNamespace()
	inner.Attrs.SetStr("b", NewList(int64(1)))
	ns.Attrs.SetStr("a", inner)
	// python3: repr(Namespace(a=Namespace(b=[1])))
	if got := mustRepr(t, ns); got != "<Namespace {'a': <Namespace {'b': [1]}>}>" {
		t.Errorf("namespace %s", got)
	}
	d := NewDict()
	if err := DictUpdate(d, []Value{NewList(Tuple{"k", int64(1)})}, []Kwarg{{Name: "z", Value: nil}}); err != nil {
		t.Fatal(err)
	}
	if got := mustRepr(t, d); got != "{'k': 1, 'z': None}" {
		t.Errorf("dict update %s", got)
	}
}

func mustDict(t *testing.T, kv ...Value) *Dict {
	d, err := DictFrom(kv...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type bigIntT = big.Int

func bigOne() *big.Int { return big.NewInt(1) }

func TestReprIsBounded(t *testing.T) {
	a := make([]Value, 1000)
	for i := range a {
		a[i] = int64(i)
	}
	la := NewList(a...)
	b := NewList()
	for range 1000 {
		b.Items = append(b.Items, la)
	}
	c := NewList(b, b, b, b, b, b, b, b, b, b)
	if _, err := Repr(c); !IsKind(err, "MemoryError") {
		t.Errorf("repr of 10M shared items: %v", err)
	}
	if _, err := ToJSON(c, JSONOptions{}); !IsKind(err, "MemoryError") {
		t.Errorf("json of 10M shared items: %v", err)
	}
}
