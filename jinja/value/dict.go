package value

import (
	"fmt"
	"iter"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Dict is a Python dict: insertion-ordered, keys compared as Python does
// (1, 1.0 and True are one key). It is shared by reference.
type Dict struct {
	entries []dictEntry
	// index maps a hash key to its position in entries, once the dict holds more than
	// smallDict keys; a smaller dict (most JSON objects) is searched in order, without a map.
	index map[string]int
}

// smallDict is the most keys a dict holds without an index map.
const smallDict = 8

type dictEntry struct {
	Key, Value Value
	h          string // hashKey(Key)
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{} }

// find is the position of the key of hash key h.
func (d *Dict) find(h string) (int, bool) {
	if d.index != nil {
		i, ok := d.index[h]
		return i, ok
	}
	for i := range d.entries {
		if d.entries[i].h == h {
			return i, true
		}
	}
	return 0, false
}

// reindex builds the index map when the dict is over smallDict keys, drops it otherwise.
func (d *Dict) reindex() {
	if len(d.entries) <= smallDict {
		d.index = nil
		return
	}
	d.index = make(map[string]int, len(d.entries))
	for j := range d.entries {
		d.index[d.entries[j].h] = j
	}
}

// Len is the number of keys.
func (d *Dict) Len() int { return len(d.entries) }

// Get returns the value of key; it fails when key is unhashable.
func (d *Dict) Get(key Value) (Value, bool, error) {
	h, err := hashKey(key)
	if err != nil {
		return nil, false, err
	}
	i, ok := d.find(h)
	if !ok {
		return nil, false, nil
	}
	return d.entries[i].Value, true, nil
}

// GetStr returns the value of the str key.
func (d *Dict) GetStr(key string) (Value, bool) {
	if d.index == nil { // the hash key of a str is "s"+key
		for i := range d.entries {
			if h := d.entries[i].h; len(h) == len(key)+1 && h[0] == 's' && h[1:] == key {
				return d.entries[i].Value, true
			}
		}
		return nil, false
	}
	// Built on the stack: the map lookup of a []byte conversion does not allocate.
	var buf [64]byte
	b := buf[:0]
	if len(key)+1 > len(buf) {
		b = make([]byte, 0, len(key)+1)
	}
	b = append(append(b, 's'), key...)
	i, ok := d.index[string(b)]
	if !ok {
		return nil, false
	}
	return d.entries[i].Value, true
}

// Set sets key to v (an existing key keeps its place and its original
// key object, as in Python); it fails when key is unhashable.
func (d *Dict) Set(key, v Value) error {
	h, err := hashKey(key)
	if err != nil {
		return err
	}
	d.set(h, key, v)
	return nil
}

// SetStr sets the str key to v.
func (d *Dict) SetStr(key string, v Value) { d.set("s"+key, key, v) }

func (d *Dict) set(h string, key, v Value) {
	if i, ok := d.find(h); ok {
		d.entries[i].Value = v
		return
	}
	if _, ok := key.(Markup); !ok {
		key = norm(key)
	}
	d.entries = append(d.entries, dictEntry{Key: key, Value: v, h: h})
	switch {
	case d.index != nil:
		d.index[h] = len(d.entries) - 1
	case len(d.entries) > smallDict:
		d.reindex()
	}
}

// Delete removes key and returns its value.
func (d *Dict) Delete(key Value) (Value, bool, error) {
	h, err := hashKey(key)
	if err != nil {
		return nil, false, err
	}
	i, ok := d.find(h)
	if !ok {
		return nil, false, nil
	}
	v := d.entries[i].Value
	d.removeAt(i)
	return v, true, nil
}

func (d *Dict) removeAt(i int) {
	d.entries = append(d.entries[:i], d.entries[i+1:]...)
	d.reindex()
}

// Clear removes every key.
func (d *Dict) Clear() {
	d.entries = nil
	d.index = nil
}

// Keys returns the keys in order (a new slice).
func (d *Dict) Keys() []Value {
	out := make([]Value, len(d.entries))
	for i, e := range d.entries {
		out[i] = e.Key
	}
	return out
}

// Values returns the values in order (a new slice).
func (d *Dict) Values() []Value {
	out := make([]Value, len(d.entries))
	for i, e := range d.entries {
		out[i] = e.Value
	}
	return out
}

// Items returns the (key, value) pairs in order.
func (d *Dict) Items() []Tuple {
	out := make([]Tuple, len(d.entries))
	for i, e := range d.entries {
		out[i] = Tuple{e.Key, e.Value}
	}
	return out
}

// All iterates over a snapshot of the keys and values in order.
func (d *Dict) All() iter.Seq2[Value, Value] {
	entries := append([]dictEntry(nil), d.entries...)
	return func(yield func(Value, Value) bool) {
		for _, e := range entries {
			if !yield(e.Key, e.Value) {
				return
			}
		}
	}
}

// Copy returns a shallow copy.
func (d *Dict) Copy() *Dict {
	c := &Dict{entries: append([]dictEntry(nil), d.entries...)}
	if d.index != nil {
		c.index = make(map[string]int, len(d.index))
		for k, v := range d.index {
			c.index[k] = v
		}
	}
	return c
}

// DictFrom builds a dict from keys and values in order (later keys win).
func DictFrom(kv ...Value) (*Dict, error) {
	d := NewDict()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := d.Set(kv[i], kv[i+1]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Hashable fails with Python's TypeError "unhashable type: 'list'" when v
// cannot be a dict key (or with the UndefinedError of a strict Undefined).
func Hashable(v Value) error {
	_, err := hashKey(v)
	return err
}

// hashKey encodes v so that two keys Python finds equal (hash and ==)
// encode the same.
func hashKey(v Value) (string, error) {
	switch x := norm(v).(type) {
	case nil:
		return "N", nil
	case bool, int64:
		n, _ := small(x)
		return "i" + strconv.FormatInt(n, 10), nil
	case *big.Int:
		return "i" + x.String(), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) {
			return "f" + strconv.FormatFloat(x, 'g', -1, 64), nil
		}
		if math.Abs(x) < 1<<62 {
			return "i" + strconv.FormatInt(int64(x), 10), nil
		}
		b, _ := big.NewFloat(x).Int(nil)
		return "i" + b.String(), nil
	case string:
		return "s" + x, nil
	case Tuple:
		var b strings.Builder
		b.WriteString("t")
		for _, it := range x {
			h, err := hashKey(it)
			if err != nil {
				return "", err
			}
			b.WriteString(strconv.Itoa(len(h)))
			b.WriteString(":")
			b.WriteString(h)
		}
		return b.String(), nil
	case *Range:
		n := x.Len()
		switch n {
		case 0:
			return "r0", nil
		case 1:
			return fmt.Sprintf("r1,%d", x.Start), nil
		}
		return fmt.Sprintf("r%d,%d,%d", n, x.Start, x.Step), nil
	case *Undefined:
		if x.Strict {
			return "", x.Err()
		}
		return "U", nil
	case *List, *Dict, *DictView:
		return "", typeError("unhashable type: '%s'", TypeName(x))
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Chan, reflect.UnsafePointer:
		return fmt.Sprintf("p%T:%x", v, rv.Pointer()), nil
	}
	if rv.Comparable() {
		return fmt.Sprintf("o%T:%#v", v, v), nil
	}
	return "", typeError("unhashable type: '%s'", TypeName(v))
}

// DictView is dict.keys(), dict.values() or dict.items(): a live view.
type DictView struct {
	Dict *Dict
	Kind ViewKind
}

// ViewKind is what a DictView shows.
type ViewKind int

// The kinds of dict views.
const (
	ViewKeys ViewKind = iota
	ViewValues
	ViewItems
)

func (v *DictView) typeName() string {
	return [...]string{"dict_keys", "dict_values", "dict_items"}[v.Kind]
}

// seq iterates over the view's elements.
func (v *DictView) seq() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		for k, val := range v.Dict.All() {
			var e Value
			switch v.Kind {
			case ViewKeys:
				e = k
			case ViewValues:
				e = val
			default:
				e = Tuple{k, val}
			}
			if !yield(e) {
				return
			}
		}
	}
}
