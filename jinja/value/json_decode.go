package value

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/infrahub-go/infrahub/fault"
)

// MaxJSONDepth is how deeply FromJSONBytes lets arrays and objects nest:
// a deeper document is refused (Python's json.loads raises RecursionError
// near 1000 levels at its default recursion limit).
const MaxJSONDepth = 1000

// FromJSONBytes decodes one JSON document as Python's json.loads does:
// objects are dicts in document order (a repeated key keeps its first
// place and its last value), integral number literals ints (int64, or
// *big.Int beyond, exact), other numbers floats (out of range: ±inf, as
// float()), and the literals NaN, Infinity and -Infinity floats, which
// json.loads accepts (encoding/json does not).
//
// Strings are read as encoding/json reads them: invalid UTF-8 bytes and
// lone surrogate escapes (which a Python str keeps, a Go string cannot)
// become U+FFFD. Whitespace is JSON's (space, tab, CR, LF); a byte order
// mark, trailing data, or nesting deeper than MaxJSONDepth is an error.
// Errors wrap fault.ErrInvalid and name the byte offset.
//
// The result is made of a few shared blocks (strings without escapes are
// slices of one copy of the document; lists and dicts come in chunks): a
// part of it kept alive keeps its blocks alive, which suits a context
// decoded to be rendered as a whole.
func FromJSONBytes(raw []byte) (Value, error) {
	return decodeJSONBytes(raw, MaxJSONDepth, true)
}

func decodeJSONBytes(raw []byte, maxDepth int, nonFinite bool) (Value, error) {
	d := jsonDecoder{data: raw, doc: string(raw), maxDepth: maxDepth, nonFinite: nonFinite,
		items: make([]Value, 0, 32), members: make([]jsonMember, 0, 32)}
	d.skipSpace()
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return nil, d.fail("Extra data", d.pos)
	}
	return v, nil
}

// jsonDecoder is a single-pass recursive-descent reader of a JSON document.
// Array items and object members being read are kept on shared stacks and
// copied out at the closing bracket, so every list and dict is made at its
// final size. Lists, dicts and their items are carved from chunks shared by
// the document (a slice's capacity is its length, so a later append copies
// it out), and an object key repeated in the document is one string with
// one hash key: the decoded document is a few large allocations rather than
// many small ones.
type jsonDecoder struct {
	data      []byte
	doc       string // string(data): unescaped strings are slices of it
	pos       int
	depth     int
	maxDepth  int
	nonFinite bool
	items     []Value
	members   []jsonMember
	scratch   []byte // unescaped string being built

	keySlots []int32 // open-addressing table of keys: place in keys + 1, 0 free
	keys     []jsonKey
	hashes   strings.Builder // the keys' hash keys, end to end (a Builder never changes what it wrote)

	lists   []List
	dicts   []Dict
	values  []Value
	entries []dictEntry
	chunks  [4]int // the last chunk length of lists, dicts, values, entries
}

type jsonMember struct {
	key int32 // in jsonDecoder.keys
	val Value
}

// jsonKey is an object key: its Value and its Dict hash key.
type jsonKey struct {
	key  Value  // hash[1:]
	hash string // "s" + key
	fnv  uint32
}

// chunkLen is the length of the next chunk of slab i: twice the last, from
// 8 to 256, at least n.
func (d *jsonDecoder) chunkLen(i, n int) int {
	size := max(min(max(2*d.chunks[i], 8), 256), n)
	d.chunks[i] = size
	return size
}

func (d *jsonDecoder) newList(items []Value) *List {
	if len(d.lists) == 0 {
		d.lists = make([]List, d.chunkLen(0, 1))
	}
	l := &d.lists[0]
	d.lists = d.lists[1:]
	l.Items = items
	return l
}

func (d *jsonDecoder) newDict(entries []dictEntry) *Dict {
	if len(d.dicts) == 0 {
		d.dicts = make([]Dict, d.chunkLen(1, 1))
	}
	dict := &d.dicts[0]
	d.dicts = d.dicts[1:]
	dict.entries = entries
	return dict
}

// valueSlice is a slice of n values (capacity n) from the values chunk.
func (d *jsonDecoder) valueSlice(n int) []Value {
	if len(d.values) < n {
		d.values = make([]Value, d.chunkLen(2, n))
	}
	s := d.values[:n:n]
	d.values = d.values[n:]
	return s
}

func (d *jsonDecoder) entrySlice(n int) []dictEntry {
	if len(d.entries) < n {
		d.entries = make([]dictEntry, d.chunkLen(3, n))
	}
	s := d.entries[:0:n]
	d.entries = d.entries[n:]
	return s
}

// key is the place in d.keys of the object key k (FNV-1a hashed into
// d.keySlots, kept at most half full).
func (d *jsonDecoder) key(k string) int32 {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h = (h ^ uint32(k[i])) * 16777619
	}
	if len(d.keySlots) == 0 {
		d.keySlots = make([]int32, 64)
		d.keys = make([]jsonKey, 0, 32)
	}
	mask := uint32(len(d.keySlots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		slot := d.keySlots[j]
		if slot == 0 {
			break
		}
		if d.keys[slot-1].hash[1:] == k {
			return slot - 1
		}
	}
	start := d.hashes.Len()
	if d.hashes.Cap()-start < len(k)+1 {
		d.hashes.Grow(max(len(k)+1, 512))
	}
	d.hashes.WriteByte('s')
	d.hashes.WriteString(k)
	hash := d.hashes.String()[start:]
	i := int32(len(d.keys))
	d.keys = append(d.keys, jsonKey{key: hash[1:], hash: hash, fnv: h})
	if 2*len(d.keys) > len(d.keySlots) {
		d.keySlots = make([]int32, 2*len(d.keySlots))
		mask = uint32(len(d.keySlots) - 1)
		for n, e := range d.keys {
			j := e.fnv & mask
			for d.keySlots[j] != 0 {
				j = (j + 1) & mask
			}
			d.keySlots[j] = int32(n + 1)
		}
		return i
	}
	j := h & mask
	for d.keySlots[j] != 0 {
		j = (j + 1) & mask
	}
	d.keySlots[j] = i + 1
	return i
}

func (d *jsonDecoder) fail(msg string, at int) error {
	return fmt.Errorf("%w: JSON document: %s at offset %d", fault.ErrInvalid, msg, at)
}

func (d *jsonDecoder) skipSpace() {
	data, i := d.data, d.pos
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r':
			i++
		case '\n':
			// Indentation: eight spaces at a time.
			i++
			for i+8 <= len(data) && binary.LittleEndian.Uint64(data[i:]) == 0x2020202020202020 {
				i += 8
			}
		default:
			d.pos = i
			return
		}
	}
	d.pos = i
}

// value reads the value starting at d.pos (whitespace already skipped).
func (d *jsonDecoder) value() (Value, error) {
	if d.pos >= len(d.data) {
		return nil, d.fail("Expecting value", d.pos)
	}
	switch c := d.data[d.pos]; c {
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case '{':
		return d.object()
	case '[':
		return d.array()
	case 't':
		return d.literal("true", true)
	case 'f':
		return d.literal("false", false)
	case 'n':
		return d.literal("null", nil)
	case 'N':
		if d.nonFinite {
			return d.literal("NaN", math.NaN())
		}
	case 'I':
		if d.nonFinite {
			return d.literal("Infinity", math.Inf(1))
		}
	case '-':
		if d.nonFinite && d.pos+1 < len(d.data) && d.data[d.pos+1] == 'I' {
			return d.literal("-Infinity", math.Inf(-1))
		}
		return d.number()
	default:
		if c >= '0' && c <= '9' {
			return d.number()
		}
	}
	return nil, d.fail("Expecting value", d.pos)
}

func (d *jsonDecoder) literal(word string, v Value) (Value, error) {
	if !strings.HasPrefix(d.doc[d.pos:], word) {
		return nil, d.fail("Expecting value", d.pos)
	}
	d.pos += len(word)
	return v, nil
}

func (d *jsonDecoder) enter() error {
	d.depth++
	if d.depth > d.maxDepth {
		return d.fail(fmt.Sprintf("nesting deeper than %d levels", d.maxDepth), d.pos)
	}
	return nil
}

func (d *jsonDecoder) array() (Value, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '['
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return d.newList(nil), nil
	}
	mark := len(d.items)
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.items = append(d.items, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("Expecting ',' delimiter", d.pos)
		}
		c := d.data[d.pos]
		d.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			return nil, d.fail("Expecting ',' delimiter", d.pos-1)
		}
		d.skipSpace()
	}
	items := d.valueSlice(len(d.items) - mark)
	copy(items, d.items[mark:])
	clear(d.items[mark:])
	d.items = d.items[:mark]
	d.depth--
	return d.newList(items), nil
}

func (d *jsonDecoder) object() (Value, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '{'
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return d.newDict(nil), nil
	}
	mark := len(d.members)
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail("Expecting property name enclosed in double quotes", d.pos)
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail("Expecting ':' delimiter", d.pos)
		}
		d.pos++
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.members = append(d.members, jsonMember{d.key(k), v})
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("Expecting ',' delimiter", d.pos)
		}
		c := d.data[d.pos]
		d.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, d.fail("Expecting ',' delimiter", d.pos-1)
		}
		d.skipSpace()
	}
	dict := d.buildDict(d.members[mark:])
	clear(d.members[mark:])
	d.members = d.members[:mark]
	d.depth--
	return dict, nil
}

// buildDict is a Dict of members in order, as SetStr of each would make
// it (a repeated key keeps its first place and its last value).
func (d *jsonDecoder) buildDict(members []jsonMember) *Dict {
	dict := d.newDict(d.entrySlice(len(members)))
	for _, m := range members {
		k := &d.keys[m.key]
		dict.set(k.hash, k.key, m.val)
	}
	return dict
}

// str reads the string starting at d.pos (a '"'). Without escapes and
// with valid UTF-8 it is a slice of d.doc.
func (d *jsonDecoder) str() (string, error) {
	start := d.pos
	i := start + 1
	data := d.data
	for i < len(data) {
		c := data[i]
		if c == '"' {
			d.pos = i + 1
			return d.doc[start+1 : i], nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return d.strSlow(start, i)
}

// strSlow continues the string starting at start from i, the first byte
// needing a change: escapes decoded, invalid UTF-8 bytes and lone
// surrogates replaced by U+FFFD (as encoding/json).
func (d *jsonDecoder) strSlow(start, i int) (string, error) {
	data := d.data
	b := append(d.scratch[:0], data[start+1:i]...)
	defer func() { d.scratch = b[:0] }()
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(b), nil
		case c < 0x20:
			return "", d.fail("Invalid control character", i)
		case c == '\\':
			if i+1 >= len(data) {
				return "", d.fail("Unterminated string starting", start)
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(data, i)
				if r < 0 {
					return "", d.fail("Invalid \\uXXXX escape", i)
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, hex4(data, i)); dec != utf8.RuneError {
						i += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", d.fail("Invalid \\escape", i)
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, data[i:i+size]...)
			}
			i += size
		}
	}
	return "", d.fail("Unterminated string starting", start)
}

// hex4 is the rune of the escape \uXXXX at data[i:], or -1.
func hex4(data []byte, i int) rune {
	if i+6 > len(data) || data[i] != '\\' || data[i+1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range data[i+2 : i+6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number reads a number literal per the JSON grammar
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?): an int when integral,
// else a float.
func (d *jsonDecoder) number() (Value, error) {
	data := d.data
	start := d.pos
	i := start
	neg := data[i] == '-'
	if neg {
		i++
	}
	if i >= len(data) || data[i] < '0' || data[i] > '9' {
		return nil, d.fail("Expecting value", start)
	}
	digits := i
	if data[i] == '0' {
		i++
	} else {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	integral := true
	if i < len(data) && data[i] == '.' {
		integral = false
		i++
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == j {
			return nil, d.fail("Invalid number", start)
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integral = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == j {
			return nil, d.fail("Invalid number", start)
		}
	}
	d.pos = i
	lit := d.doc[start:i]
	if integral {
		if i-digits <= 18 { // fits an int64
			var n int64
			for _, c := range data[digits:i] {
				n = n*10 + int64(c-'0')
			}
			if neg {
				n = -n
			}
			return n, nil
		}
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return n, nil
		}
		b, _ := new(big.Int).SetString(lit, 10)
		return b, nil
	}
	f, _ := strconv.ParseFloat(lit, 64) // out of range: ±inf; underflow: ±0
	return f, nil
}
