package values

import (
	"encoding/json"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

func TestListJSON(t *testing.T) {
	l := attr("tags", KindList)
	j := attr("data", KindJSON)
	anyA := attr("extra", KindAny)
	runRows(t, []row{
		{"list", l, []any{"a", 1.0, true}, []any{"a", int64(1), true}, ""},
		{"empty list", l, []any{}, []any{}, ""},
		{"string list", l, []string{"x"}, []any{"x"}, ""},
		{"list of objects", l, []any{map[string]any{"k": 2}}, []any{map[string]any{"k": int64(2)}}, ""},
		{"list refused string", l, "a,b", nil, `"a,b" is not a valid JSON list`},
		{"list from JSON string", l, `["a", 2]`, []any{"a", int64(2)}, ""},
		{"list JSON string not a list", l, `{"a": 1}`, nil, `"{\"a\": 1}" is not a valid JSON list`},
		{"list number", l, 3, nil, "expected a list for kind List, got number 3"},
		{"list legacy regex", attr("protocols", KindList, func(a *schema.Attribute) { a.Regex = ptr(`(ssh|ping)$`) }), []any{"ssh", "http"}, nil, `element 1 "http" does not match the regex "(ssh|ping)$"`},
		{"list legacy regex ok", attr("protocols", KindList, func(a *schema.Attribute) { a.Regex = ptr(`(ssh|ping)$`) }), []any{"ssh", "ping"}, []any{"ssh", "ping"}, ""},
		{"list refused object", l, map[string]any{}, nil, "expected a list for kind List, got an object"},
		{"list bad element", l, []any{struct{}{}}, nil, "invalid list: a struct {} at [0] is not a JSON value"},
		{"json object", j, map[string]any{"a": []any{1.5, nil}}, map[string]any{"a": []any{1.5, nil}}, ""},
		{"json list", j, []any{json.Number("12")}, []any{int64(12)}, ""},
		{"json from string", j, `{"a": [1, 2.5]}`, map[string]any{"a": []any{int64(1), 2.5}}, ""},
		{"json bad string", j, "text", nil, `"text" is not valid JSON`},
		{"json scalar string refused", j, `"text"`, nil, "expected an object or a list for kind JSON, got string \"text\""},
		{"json number refused", j, 12, nil, "expected an object or a list for kind JSON, got number 12"},
		{"any scalar", anyA, "text", "text", ""},
		{"any number", anyA, json.Number("1.5"), 1.5, ""},
		{"any nested bad", anyA, []any{make(chan int)}, nil, "invalid JSON value: a chan int at [0] is not a JSON value"},
		{"json yaml map", j, map[any]any{"a": 1}, map[string]any{"a": int64(1)}, ""},
		{"json yaml bad key", j, map[any]any{1: 1}, nil, "invalid JSON value: object key 1 is not a string"},
		{"json nested bad", j, map[string]any{"a": map[string]any{"b": make(chan int)}}, nil, "at .a.b is not a JSON value"},
		{"any bool", anyA, false, false, ""},
		{"any nil optional", attr("extra", KindAny, optional), nil, nil, ""},
	})
}

func TestCompare(t *testing.T) {
	l := attr("tags", KindList)
	lo := attr("tags", KindList, ordered(true))
	j := attr("data", KindJSON)
	h := attr("address", KindIPHost)
	n := attr("mtu", KindNumber)
	for _, c := range []struct {
		name string
		a    *schema.Attribute
		x, y any
		want bool
	}{
		{"list order-insensitive", l, []any{"a", "b"}, []any{"b", "a"}, true},
		{"list ordered", lo, []any{"a", "b"}, []any{"b", "a"}, false},
		{"list ordered same", lo, []any{"a", "b"}, []any{"a", "b"}, true},
		{"list multiset", l, []any{"a", "a", "b"}, []any{"a", "b", "b"}, false},
		{"list length", l, []any{"a"}, []any{"a", "a"}, false},
		{"json maps", j, map[string]any{"a": 1, "b": []any{1, 2}}, map[string]any{"b": []any{2.0, 1.0}, "a": 1.0}, true},
		{"json differs", j, map[string]any{"a": 1}, map[string]any{"a": 2}, false},
		{"json string vs number", j, "1", 1, false},
		{"ip forms", h, "10.0.0.1", "10.0.0.1/32", true},
		{"ip differ", h, "10.0.0.1/24", "10.0.0.1/25", false},
		{"numbers", n, 1500, 1500.0, true},
		{"nil both", n, nil, nil, true},
		{"nil one", n, nil, 0, false},
		{"invalid compared as given", n, "x", "x", true},
	} {
		if got := Compare(c.a, c.x, c.y); got != c.want {
			t.Errorf("%s: Compare(%v, %v) = %v, want %v", c.name, c.x, c.y, got, c.want)
		}
	}
}

func TestDefault(t *testing.T) {
	for _, c := range []struct {
		a    *schema.Attribute
		want any
		ok   bool
	}{
		{attr("mtu", KindNumber, func(a *schema.Attribute) { a.DefaultValue = 1500 }), int64(1500), true},
		{attr("enabled", KindBoolean, func(a *schema.Attribute) { a.DefaultValue = true }), true, true},
		{attr("status", KindDropdown, choices("active"), func(a *schema.Attribute) { a.DefaultValue = "active" }), "active", true},
		{attr("ip", KindIPHost, func(a *schema.Attribute) { a.DefaultValue = "10.0.0.1" }), "10.0.0.1/32", true},
		{attr("name", KindText), nil, false},
		{attr("status", KindDropdown, choices("active"), func(a *schema.Attribute) { a.DefaultValue = "gone" }), nil, false},
	} {
		got, ok := Default(c.a)
		if ok != c.ok || got != c.want {
			t.Errorf("Default(%s) = %v, %v; want %v, %v", c.a.Name, got, ok, c.want, c.ok)
		}
	}
}
