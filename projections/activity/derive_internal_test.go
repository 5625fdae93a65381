package activity

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
)

// isRelField agrees with nodes.RelField on every direction, and on fields that only look alike.
func TestIsRelFieldMatchesRelField(t *testing.T) {
	ids := []string{"tags", "group_member", "x", ""}
	dirs := []string{"outbound", "inbound", "bidirectional", ""}
	var fields []string
	for _, id := range ids {
		for _, dir := range dirs {
			fields = append(fields, nodes.RelField(id, dir))
		}
	}
	fields = append(fields, "a:tags", "r:tags", "r:tags|", "r:tags|outx", "r:tag|out", "p:tags|out", "")
	for _, f := range fields {
		for _, id := range ids {
			for _, dir := range dirs {
				if got, want := isRelField(f, id, dir), f == nodes.RelField(id, dir); got != want {
					t.Errorf("isRelField(%q, %q, %q) = %v, want %v", f, id, dir, got, want)
				}
			}
		}
	}
}

// sameValue's shortcuts answer what comparing the encodings does.
func TestSameValueAgreesWithEncoding(t *testing.T) {
	values := []any{nil, "", "a", "b", "\xff", "\xfe", "\ufffd", true, false, float64(1), float64(0), "1", "true",
		[]any{}, []any(nil), map[string]any{"a": float64(1)}, map[string]any{"a": float64(1)}}
	for _, a := range values {
		for _, b := range values {
			x, err1 := json.Marshal(a)
			y, err2 := json.Marshal(b)
			want := err1 == nil && err2 == nil && bytes.Equal(x, y)
			if got := sameValue(a, b); got != want {
				t.Errorf("sameValue(%#v, %#v) = %v, want %v", a, b, got, want)
			}
			if got, want := attributeAction(a, b), attributeActionByEncoding(a, b); got != want {
				t.Errorf("attributeAction(%#v, %#v) = %s, want %s", a, b, got, want)
			}
		}
	}
}

// attributeActionByEncoding is attributeAction as it was before its shortcuts.
func attributeActionByEncoding(value, previous any) string {
	x, _ := json.Marshal(value)
	y, _ := json.Marshal(previous)
	switch {
	case previous != nil && value == nil:
		return ActionRemoved
	case previous == nil && value != nil:
		return ActionAdded
	case bytes.Equal(x, y):
		return ActionUnchanged
	}
	return ActionUpdated
}

// knownKinds answers the last kind put for an id, inline and once it moved to a map.
func TestKnownKinds(t *testing.T) {
	var k knownKinds
	want := map[string]string{}
	for i := range 20 {
		id := string(rune('a' + i))
		k.put(id, "K"+id)
		want[id] = "K" + id
		if i%3 == 0 {
			k.put("a", "again"+id)
			want["a"] = "again" + id
		}
		for id, kind := range want {
			if got, ok := k.get(id); !ok || got != kind {
				t.Fatalf("after %d puts: get(%q) = %q, %v; want %q", i+1, id, got, ok, kind)
			}
		}
		if _, ok := k.get("zz"); ok {
			t.Fatal("an id never put is known")
		}
	}
}

// An Index's records hold no pointer, so that the garbage collector never scans them: a server
// keeps one for every event the log derives.
func TestRecordHoldsNoPointer(t *testing.T) {
	var check func(t *testing.T, typ reflect.Type, path string)
	check = func(t *testing.T, typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.Struct:
			for i := range typ.NumField() {
				check(t, typ.Field(i).Type, path+"."+typ.Field(i).Name)
			}
		case reflect.Array:
			check(t, typ.Elem(), path+"[]")
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		default:
			t.Errorf("%s is a %s: the garbage collector scans every record", path, typ.Kind())
		}
	}
	check(t, reflect.TypeOf(record{}), "record")
}
