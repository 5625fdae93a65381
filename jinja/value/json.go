package value

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// FromJSON converts a value decoded by encoding/json (with UseNumber:
// json.Number with an integral literal is an int, else a float) or a plain
// Go value (ints, floats, strings, slices, maps with string keys) to a
// Value. A Go map has no order: its keys are sorted; FromJSONBytes keeps
// the document's order as Python's json.loads does. Values of this package
// pass through unchanged.
func FromJSON(v any) Value {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, *big.Int, *List, Tuple, *Dict, *DictView, *Range,
		*Undefined, *Namespace, Callable, Object:
		return x
	case json.Number:
		return numberFromJSON(string(x))
	case []any:
		items := make([]Value, len(x))
		for i, it := range x {
			items[i] = FromJSON(it)
		}
		return NewList(items...)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := NewDict()
		for _, k := range keys {
			d.SetStr(k, FromJSON(x[k]))
		}
		return d
	}
	switch v.(type) {
	case int, int8, int16, int32, uint, uint8, uint16, uint32, uint64, float32:
		return norm(v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]Value, rv.Len())
		for i := range items {
			items[i] = FromJSON(rv.Index(i).Interface())
		}
		return NewList(items...)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			keys := rv.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
			d := NewDict()
			for _, k := range keys {
				d.SetStr(k.String(), FromJSON(rv.MapIndex(k).Interface()))
			}
			return d
		}
	case reflect.Pointer:
		if !rv.IsNil() {
			return FromJSON(rv.Elem().Interface())
		}
		return nil
	}
	return v
}

// numberFromJSON is Python's json number: int for an integral literal,
// else float (out of range: inf, as float()).
func numberFromJSON(s string) Value {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		if b, ok := new(big.Int).SetString(s, 10); ok {
			return normBig(b)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return s
	}
	return f
}

// JSONOptions are the arguments of json.dumps that Jinja2's tojson passes.
type JSONOptions struct {
	SortKeys bool
	Indent   *int // nil: one line with ", " and ": "
}

// ToJSON is Python's json.dumps(v, sort_keys=..., indent=...) with
// ensure_ascii: the text Jinja2's tojson filter escapes further.
func ToJSON(v Value, opts JSONOptions) (string, error) {
	var b strings.Builder
	w := jsonWriter{b: &b, opts: opts}
	if err := w.write(v, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

type jsonWriter struct {
	b    *strings.Builder
	opts JSONOptions
	seen []any
}

func (w *jsonWriter) newline(level int) {
	if w.opts.Indent != nil {
		w.b.WriteString("\n" + strings.Repeat(" ", *w.opts.Indent*level))
	}
}

func (w *jsonWriter) sep() string {
	if w.opts.Indent != nil {
		return ","
	}
	return ", "
}

func (w *jsonWriter) write(v Value, level int) error {
	if w.b.Len() > MaxSize {
		return tooLarge()
	}
	switch x := norm(v).(type) {
	case nil:
		w.b.WriteString("null")
	case bool:
		w.b.WriteString(strconv.FormatBool(x))
	case int64, *big.Int:
		s, err := Repr(x)
		if err != nil {
			return err
		}
		w.b.WriteString(s)
	case float64:
		w.b.WriteString(jsonFloat(x))
	case string:
		w.b.WriteString(jsonString(x))
	case *List:
		return w.array(x, x.Items, level)
	case Tuple:
		return w.array(nil, x, level)
	case *Dict:
		return w.object(x, level)
	default:
		return typeError("Object of type %s is not JSON serializable", TypeName(v))
	}
	return nil
}

func (w *jsonWriter) enter(p any) error {
	if p != nil && isSeen(w.seen, p) {
		return valueError("Circular reference detected")
	}
	w.seen = append(w.seen, p)
	return nil
}

func (w *jsonWriter) array(p any, items []Value, level int) error {
	if len(items) == 0 {
		w.b.WriteString("[]")
		return nil
	}
	if err := w.enter(p); err != nil {
		return err
	}
	w.b.WriteString("[")
	for i, it := range items {
		if i > 0 {
			w.b.WriteString(w.sep())
		}
		w.newline(level + 1)
		if err := w.write(it, level+1); err != nil {
			return err
		}
	}
	w.newline(level)
	w.b.WriteString("]")
	w.seen = w.seen[:len(w.seen)-1]
	return nil
}

func (w *jsonWriter) object(d *Dict, level int) error {
	if d.Len() == 0 {
		w.b.WriteString("{}")
		return nil
	}
	if err := w.enter(d); err != nil {
		return err
	}
	keys := d.Keys()
	if w.opts.SortKeys {
		if err := Sort(keys, false); err != nil {
			return err
		}
	}
	w.b.WriteString("{")
	for i, k := range keys {
		var ks string
		switch x := norm(k).(type) {
		case string:
			ks = x
		case nil:
			ks = "null"
		case bool:
			ks = strconv.FormatBool(x)
		case float64:
			ks = jsonFloat(x)
		case int64, *big.Int:
			s, err := Repr(x)
			if err != nil {
				return err
			}
			ks = s
		default:
			return typeError("keys must be str, int, float, bool or None, not %s", TypeName(k))
		}
		if i > 0 {
			w.b.WriteString(w.sep())
		}
		w.newline(level + 1)
		w.b.WriteString(jsonString(ks) + ": ")
		val, _, _ := d.Get(k)
		if err := w.write(val, level+1); err != nil {
			return err
		}
	}
	w.newline(level)
	w.b.WriteString("}")
	w.seen = w.seen[:len(w.seen)-1]
	return nil
}

func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return FloatRepr(f)
}

// jsonString is a JSON string with json.dumps' ensure_ascii escapes.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r < 0x10000:
			b.WriteString(`\u` + hex(int64(r), 4))
		default:
			r -= 0x10000
			b.WriteString(`\u` + hex(int64(0xd800+(r>>10)), 4) + `\u` + hex(int64(0xdc00+(r&0x3ff)), 4))
		}
	}
	b.WriteByte('"')
	return b.String()
}
