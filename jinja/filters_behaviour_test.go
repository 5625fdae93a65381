package jinja

import (
	"sort"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// Behaviours of the builtins a table of single calls cannot show (the expectations are
// Python Jinja2 3.1.6's, checked by rendering the template in each comment).

// TestBuiltinNames checks that the tables hold exactly Jinja2 3.1's filters, tests and globals.
func TestBuiltinNames(t *testing.T) {
	names := func(m []string) string { sort.Strings(m); return strings.Join(m, " ") }
	var fs, ts, gs []string
	for n := range builtinFilters {
		fs = append(fs, n)
	}
	for n := range builtinTests {
		ts = append(ts, n)
	}
	for n := range builtinGlobals {
		gs = append(gs, n)
	}
	for _, c := range []struct{ got, want string }{
		{names(fs), "abs attr batch capitalize center count d default dictsort e escape filesizeformat first float " +
			"forceescape format groupby indent int items join last length list lower map max min pprint random reject " +
			"rejectattr replace reverse round safe select selectattr slice sort string striptags sum title tojson trim " +
			"truncate unique upper urlencode urlize wordcount wordwrap xmlattr"},
		{names(ts), "!= < <= == > >= boolean callable defined divisibleby eq equalto escaped even false filter float " +
			"ge greaterthan gt in integer iterable le lessthan lower lt mapping ne none number odd sameas sequence " +
			"string test true undefined upper"},
		{names(gs), "cycler dict joiner lipsum namespace range"},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}

func biCall(t *testing.T, r Runtime, name string, v value.Value, args ...value.Value) value.Value {
	t.Helper()
	out, err := builtinFilters[name](r, v, Args{Pos: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func biShown(t *testing.T, v value.Value) string {
	t.Helper()
	s, err := biShow(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBuiltinGeneratorsRunOnce: {% set g = [1,2,3]|select %}{{ g|list }}{{ g|list }} gives
// "[1, 2, 3][]"; {{ g|first }}{{ g|list }} gives "1[2, 3]".
func TestBuiltinGeneratorsRunOnce(t *testing.T) {
	r := biRuntimeOf("file")
	in := value.NewList(int64(1), int64(2), int64(3))
	g := biCall(t, r, "select", in)
	if got := biShown(t, biCall(t, r, "list", g)) + biShown(t, biCall(t, r, "list", g)); got != "[1, 2, 3][]" {
		t.Errorf("list twice: %s", got)
	}
	g = biCall(t, r, "select", in)
	if got := biShown(t, biCall(t, r, "first", g)) + biShown(t, biCall(t, r, "list", g)); got != "1[2, 3]" {
		t.Errorf("first then list: %s", got)
	}
	for _, name := range []string{"unique", "batch", "slice", "reverse", "map"} {
		args := []value.Value{int64(2)}
		switch name {
		case "unique", "reverse":
			args = nil
		case "map":
			args = []value.Value{"string"}
		}
		g := biCall(t, r, name, in, args...)
		first, second := biShown(t, biCall(t, r, "list", g)), biShown(t, biCall(t, r, "list", g))
		if first == "[]" || second != "[]" {
			t.Errorf("%s: %s then %s", name, first, second)
		}
	}
}

// TestBuiltinGeneratorErrorBeforeItems: a for loop (value.Iterate) over [1]|map('nosuch') fails with
// the TemplateRuntimeError before any item, and a generator is not run until consumed.
func TestBuiltinGeneratorErrorBeforeItems(t *testing.T) {
	r := biRuntimeOf("file")
	g := biCall(t, r, "map", value.NewList(int64(1), int64(2)), "nosuch")
	_, err := value.Iterate(g)
	if got := biErrText(err); got != "TemplateRuntimeError: No filter named 'nosuch'." {
		t.Errorf("iterate: %s", got)
	}
	if _, err := value.Len(biCall(t, r, "select", value.NewList())); biErrText(err) != "TypeError: object of type 'async_generator' has no len()" {
		t.Errorf("len: %v", err)
	}
	if ok, _ := value.Truth(biCall(t, r, "select", value.NewList())); !ok {
		t.Error("a generator is true")
	}
}

// TestBuiltinSumStartListExtendsInPlace: {% set l = [] %}{{ [[1],[2]]|sum(start=l) }}{{ l }} gives
// "[1, 2][1, 2]" (the async sum does rv += item).
func TestBuiltinSumStartListExtendsInPlace(t *testing.T) {
	r := biRuntimeOf("file")
	l := value.NewList()
	out := biCall(t, r, "sum", value.NewList(value.NewList(int64(1)), value.NewList(int64(2))), nil, l)
	if got := biShown(t, out) + biShown(t, l); got != "[1, 2][1, 2]" {
		t.Errorf("got %s", got)
	}
}

// TestBuiltinGroupTuple: groupby's items are (grouper, list) named tuples.
func TestBuiltinGroupTuple(t *testing.T) {
	r := biRuntimeOf("file")
	rows := value.NewList(value.NewList("b", int64(1)), value.NewList("a", int64(2)), value.NewList("b", int64(3)))
	groups := biCall(t, r, "groupby", rows, int64(0)).(*value.List)
	g := groups.Items[1]
	if got := biShown(t, r.GetAttr(g, "grouper")) + " " + biShown(t, r.GetAttr(g, "list")); got != "b [['b', 1], ['b', 3]]" {
		t.Errorf("attrs: %s", got)
	}
	if n, err := value.Len(g); n != 2 || err != nil {
		t.Errorf("len %d %v", n, err)
	}
	if v, err := value.GetItem(g, int64(-2)); err != nil || v != "b" {
		t.Errorf("g[-2] = %v %v", v, err)
	}
	items, err := value.ToList(g)
	if err != nil || len(items) != 2 || items[0] != "b" {
		t.Errorf("unpack: %v %v", items, err)
	}
	if got := biShown(t, g); got != "('b', [['b', 1], ['b', 3]])" {
		t.Errorf("str: %s", got)
	}
	if ok, _ := builtinTests["sequence"](r, g, Args{}); !ok {
		t.Error("a group is a sequence")
	}
}

// TestBuiltinCyclerAndJoiner: {% set c = cycler('a','b') %}{{ c.next() }}{{ c.current }}{{ c.pos }}
// {{ c.next() }}{{ c.next() }}{% set _ = c.reset() %}{{ c.current }} gives "ab1baa"; a joiner
// gives "", then its separator.
func TestBuiltinCyclerAndJoiner(t *testing.T) {
	r := biRuntimeOf("file")
	c, err := r.Call(builtinGlobals["cycler"], Args{Pos: []value.Value{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	method := func(name string) value.Value {
		m, _ := value.Attr(c, name)
		out, err := r.Call(m, Args{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	attr := func(name string) value.Value { v, _ := value.Attr(c, name); return v }
	got := biShown(t, method("next")) + biShown(t, attr("current")) + biShown(t, attr("pos")) +
		biShown(t, method("next")) + biShown(t, method("next"))
	method("reset")
	if got += biShown(t, attr("current")); got != "ab1baa" {
		t.Errorf("cycler: %s", got)
	}
	j, err := r.Call(builtinGlobals["joiner"], Args{Kw: []value.Kwarg{{Name: "sep", Value: " | "}}})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for range 3 {
		out, err := r.Call(j, Args{})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, out.(string))
	}
	if got := strings.Join(parts, "x"); got != "x | x | " {
		t.Errorf("joiner: %q", got)
	}
	if ok, _ := builtinTests["callable"](r, j, Args{}); !ok {
		t.Error("a joiner is callable")
	}
	if ok, _ := builtinTests["callable"](r, c, Args{}); ok {
		t.Error("a cycler is not callable")
	}
}

// TestBuiltinLipsum: lipsum() is five <p> paragraphs of 20 to 99 words ending with a full stop;
// html=false separates them by blank lines.
func TestBuiltinLipsum(t *testing.T) {
	r := biRuntimeOf("file")
	out, err := r.Call(builtinGlobals["lipsum"], Args{})
	if err != nil {
		t.Fatal(err)
	}
	paras := strings.Split(out.(string), "\n")
	if len(paras) != 5 {
		t.Fatalf("%d paragraphs: %q", len(paras), out)
	}
	for _, p := range paras {
		words := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(p, "<p>"), "</p>"))
		if !strings.HasPrefix(p, "<p>") || !strings.HasSuffix(p, ".</p>") || len(words) < 20 || len(words) > 99 {
			t.Errorf("paragraph %q", p)
		}
	}
	out, err = r.Call(builtinGlobals["lipsum"], Args{Pos: []value.Value{int64(2), false}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(out.(string), "\n\n")); n != 2 || strings.Contains(out.(string), "<p>") {
		t.Errorf("text: %q", out)
	}
}

// TestBuiltinRangeSandbox: the sandbox refuses ranges over MAX_RANGE (100000) items; the file
// environment and a call without a render do not.
func TestBuiltinRangeSandbox(t *testing.T) {
	big := Args{Pos: []value.Value{int64(100001)}}
	if _, err := biRuntimeOf("file").Call(builtinGlobals["range"], big); err != nil {
		t.Errorf("file: %v", err)
	}
	if _, err := builtinGlobals["range"].(value.Callable).Call(big.Pos, nil); err != nil {
		t.Errorf("no render: %v", err)
	}
	_, err := biRuntimeOf("string").Call(builtinGlobals["range"], big)
	if got := biErrText(err); got != "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)." {
		t.Errorf("sandbox: %s", got)
	}
	if _, err := biRuntimeOf("string").Call(builtinGlobals["range"], Args{Pos: []value.Value{int64(100000)}}); err != nil {
		t.Errorf("sandbox at the cap: %v", err)
	}
}

// biListerRuntime answers the filter and test tests from its own lists.
type biListerRuntime struct{ *biFakeRuntime }

func (biListerRuntime) HasFilter(name string) bool { return name == "netutils_only" }
func (biListerRuntime) HasTest(name string) bool   { return name == "custom" }

// TestBuiltinFilterAndTestTests: `'upper' is filter` asks the environment (through HasFilter when
// the runtime has it, else by calling the filter and looking for "No filter named").
func TestBuiltinFilterAndTestTests(t *testing.T) {
	probe := biRuntimeOf("file")
	lister := biListerRuntime{probe}
	for _, c := range []struct {
		r          Runtime
		test, name string
		want       bool
	}{
		{probe, "filter", "upper", true}, {probe, "filter", "nosuch", false}, {probe, "filter", "map", true},
		{probe, "test", "==", true}, {probe, "test", "filter", true}, {probe, "test", "nosuch", false},
		{lister, "filter", "netutils_only", true}, {lister, "filter", "upper", false}, {lister, "test", "custom", true},
	} {
		got, err := builtinTests[c.test](c.r, c.name, Args{})
		if err != nil || got != c.want {
			t.Errorf("%q is %s: %v %v", c.name, c.test, got, err)
		}
	}
}

// TestBuiltinAttrDelegatesToGetAttr: an attribute that exists, and a dunder name (the sandbox's
// concern), go through the runtime's GetAttr; a missing one is an Undefined naming it.
func TestBuiltinAttrDelegatesToGetAttr(t *testing.T) {
	r := &biRecordingRuntime{biFakeRuntime: biRuntimeOf("file")}
	biCall(t, r, "attr", "abc", "upper")
	biCall(t, r, "attr", "abc", "__class__")
	u := biCall(t, r, "attr", value.NewDict(), "a")
	if strings.Join(r.names, ",") != "upper,__class__" {
		t.Errorf("GetAttr calls: %v", r.names)
	}
	if _, err := value.Str(&value.Undefined{Strict: true, Hint: u.(*value.Undefined).Hint}); biErrText(err) != "UndefinedError: 'dict object' has no attribute 'a'" {
		t.Errorf("undefined: %v", err)
	}
}

type biRecordingRuntime struct {
	*biFakeRuntime
	names []string
}

func (r *biRecordingRuntime) GetAttr(obj value.Value, name string) value.Value {
	r.names = append(r.names, name)
	return r.biFakeRuntime.GetAttr(obj, name)
}

// TestBuiltinToJSONIndentString: tojson(indent='\t') indents with the string, as json.dumps does.
func TestBuiltinToJSONIndentString(t *testing.T) {
	d := value.NewDict()
	d.SetStr("a", value.NewList(int64(1), value.NewDict()))
	out := biCall(t, biRuntimeOf("file"), "tojson", d, "\t")
	if out != value.Markup("{\n\t\"a\": [\n\t\t1,\n\t\t{}\n\t]\n}") { // tojson returns Markup
		t.Errorf("got %q", out)
	}
}
