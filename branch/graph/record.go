package graph

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
)

// A node's record is how main keeps the head versions of the node's slots: one byte string per
// node, written whole when the node changes, never modified after. Values are kept unboxed:
// numbers, booleans and stamps as varints or 8 bytes, strings as their bytes (a read hands out
// a string pointing into the record), so a node of 9 attributes takes about 35 bytes where its
// 9 slot heads holding interface values took 288 bytes plus the values' boxes. Lists, maps, long
// strings and types the record does not know stay boxed, in the layer's per-node side list.
// The snapshot writes records as they are, so reading one back is a check and a copy.
//
//	record  uvarint(len(body)) body
//	body    uvarint(0) entry... | uvarint(1 + shape number) rest...   (at least one entry)
//	entry   head rest
//	head    uvarint(field) tag
//	rest    [varint(pos - previous entry's pos) if tagPos] [uvarint(lineage number) if tagLin]
//	        payload
//	tag     kind (low 4 bits) | tagDeleted | tagLin | tagPos
//
// A shape is the heads of a record's entries, in order: nodes of a kind have few shapes, which
// the layer numbers (shapes), so that most records hold the rest of their entries only.
// The first entry's previous position is 0. Payloads by kind: nil, false, true: none; int64,
// int: a zigzag varint; float: 8 bytes little endian; integral float: a zigzag varint (an
// exact float64 of magnitude below 2^53, not -0); string, json.Number: uvarint length, bytes;
// stamp: zigzag varint At, uvarint actor number; boxed: uvarint index in the node's boxed
// values (0, 1, ... in entry order); same: uvarint index of an earlier entry whose data is
// equal (created and updated stamps, a name repeated as label and hfid), which may be a same
// too; shared: uvarint index of a string in the layer's shared strings (a value many nodes
// hold in a field, a description or a status, is kept once); stamp at: uvarint actor number,
// At being the time the entry's position was recorded at (the last position at or before it
// in the State's timeline, as Unix nanoseconds; 0 when none): what m:created and m:updated
// hold.
const (
	rkNil = iota
	rkFalse
	rkTrue
	rkInt64
	rkInt
	rkFloat
	rkFloatInt
	rkString
	rkNumber
	rkStamp
	rkBoxed
	rkSame
	rkShared
	rkStampAt

	tagKind    = 0x0f
	tagDeleted = 1 << 4
	tagLin     = 1 << 5
	tagPos     = 1 << 6
)

// maxInline is the longest string a record holds; a longer one stays boxed, so that rewriting
// a node (any change to it) does not copy it.
const maxInline = 256

// sameWindow bounds how many earlier entries the encoder compares a value with.
const sameWindow = 16

// datum is a slot's data unboxed: what a record entry decodes to without allocating.
type datum struct {
	s   string // string, json.Number: the text; stamp: By
	x   uint64 // int64, int: the value; float: its bits; stamp: At
	box any    // boxed: the value itself
	// stamp: the actor's number; string: 1 + its number among the shared strings, 0 when not
	// shared; boxed (in a record only): the index; same: the entry
	aux  uint32
	kind uint8 // rk*: never rkFloatInt, rkShared nor rkStampAt (record details), nor rkSame once resolved
	// a stamp read from a record whose At is the time of its entry's position (the reader
	// resolves it; never set once resolved)
	atPos bool
}

// any is d as Value.Data: what was stored, with its Go type.
func (d *datum) any() any {
	switch d.kind {
	case rkFalse:
		return false
	case rkTrue:
		return true
	case rkInt64:
		return int64(d.x)
	case rkInt:
		return int(int64(d.x))
	case rkFloat:
		return math.Float64frombits(d.x)
	case rkString:
		return d.s
	case rkNumber:
		return json.Number(d.s)
	case rkStamp:
		return Stamp{At: int64(d.x), By: d.s}
	case rkBoxed:
		return d.box
	}
	return nil
}

// detached is d as Value.Data holding no string of a record (for a history chain, which would
// otherwise keep a whole record alive for one old string).
func (d *datum) detached() any {
	switch d.kind {
	case rkString:
		if d.aux != 0 { // a shared string: not a record's
			return d.s
		}
		return strings.Clone(d.s)
	case rkNumber:
		return json.Number(strings.Clone(d.s))
	}
	return d.any()
}

// same reports whether two data are equal as a record stores them (boxed data never are).
func (d *datum) same(o *datum) bool {
	return d.kind == o.kind && d.kind != rkBoxed && d.x == o.x && d.aux == o.aux && d.s == o.s
}

// entry is one slot of a node: its field, head version and data.
type entry struct {
	d     datum
	pos   int64
	field FieldID
	lin   uint32 // lineage number, with headDeleted
}

// recEncoder encodes records; it keeps its scratch space from one record to the next.
type recEncoder struct {
	tags  []byte
	sames []int
}

// append appends the record of es to dst and the boxed data of es to boxes. times, when not
// nil, is the timeline stamps may refer to; sh, when not nil, the shapes the record may refer
// to, to which it adds its own when add is set.
func (c *recEncoder) append(dst []byte, es []entry, boxes []any, times *timeline, sh *shapes, add bool) ([]byte, []any) {
	start := len(dst)
	dst = append(dst, 0) // the prefix, if the body is shorter than 128 bytes
	c.tags, c.sames = c.tags[:0], c.sames[:0]
	var prev int64
	for i := range es { // the shape first, in place
		tag, same := tagOf(es, i, prev, times)
		c.tags, c.sames = append(c.tags, tag), append(c.sames, same)
		dst = binary.AppendUvarint(dst, uint64(es[i].field))
		dst = append(dst, tag)
		prev = es[i].pos
	}
	shape := sh.number(dst[start+1:], add)
	dst = binary.AppendUvarint(dst[:start+1], uint64(shape))
	prev = 0
	for i := range es {
		if shape == 0 {
			dst = binary.AppendUvarint(dst, uint64(es[i].field))
			dst = append(dst, c.tags[i])
		}
		dst, boxes = appendRest(dst, &es[i], c.tags[i], c.sames[i], prev, boxes)
		prev = es[i].pos
	}
	size := len(dst) - start - 1
	if size < 0x80 {
		dst[start] = byte(size)
		return dst, boxes
	}
	k := uvarintLen(uint64(size)) // a longer prefix: the body moves
	dst = append(dst, make([]byte, k-1)...)
	copy(dst[start+k:], dst[start+1:start+1+size])
	binary.PutUvarint(dst[start:], uint64(size))
	return dst, boxes
}

// sameAs is the index of an earlier entry of es whose data equals es[i]'s, or -1.
func sameAs(es []entry, i int) int {
	d := &es[i].d
	if d.kind < rkInt64 || d.kind == rkBoxed || d.kind == rkFloat && floatInt(d.x) || d.kind == rkString && d.aux != 0 {
		return -1 // a byte or two of payload: a reference saves nothing
	}
	for j := max(0, i-sameWindow); j < i; j++ { // the first: a name repeated twice refers to it twice
		if es[j].d.same(d) {
			return j
		}
	}
	return -1
}

// floatInt reports whether the float64 of bits x is stored as an integer: integral, of
// magnitude below 2^53 (so exact) and not -0.
func floatInt(x uint64) bool {
	f := math.Float64frombits(x)
	return f == math.Trunc(f) && math.Abs(f) < 1<<53 && x != 1<<63
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// tagOf is the tag and payload kind of es[i] (rkSame, rkFloatInt, rkShared or rkStampAt where
// they apply) and the entry it repeats.
func tagOf(es []entry, i int, prev int64, times *timeline) (tag byte, same int) {
	e := &es[i]
	kind := e.d.kind
	same = sameAs(es, i)
	switch {
	case same >= 0:
		kind = rkSame
	case kind == rkFloat && floatInt(e.d.x):
		kind = rkFloatInt
	case kind == rkString && e.d.aux != 0:
		kind = rkShared
	case kind == rkStamp && times != nil:
		if at, ok := times.nsAt(e.pos); ok && at == int64(e.d.x) {
			kind = rkStampAt
		}
	}
	tag = kind
	if e.lin&headDeleted != 0 {
		tag |= tagDeleted
	}
	if e.lin&^headDeleted != 0 {
		tag |= tagLin
	}
	if e.pos != prev {
		tag |= tagPos
	}
	return tag, same
}

// appendRest appends the rest of entry e, of tag tag, repeating entry same if a same.
func appendRest(dst []byte, e *entry, tag byte, same int, prev int64, boxes []any) ([]byte, []any) {
	if tag&tagPos != 0 {
		dst = binary.AppendUvarint(dst, zigzag(e.pos-prev))
	}
	if tag&tagLin != 0 {
		dst = binary.AppendUvarint(dst, uint64(e.lin&^headDeleted))
	}
	switch tag & tagKind {
	case rkInt64, rkInt:
		dst = binary.AppendUvarint(dst, zigzag(int64(e.d.x)))
	case rkFloat:
		dst = binary.LittleEndian.AppendUint64(dst, e.d.x)
	case rkFloatInt:
		dst = binary.AppendUvarint(dst, zigzag(int64(math.Float64frombits(e.d.x))))
	case rkString, rkNumber:
		dst = binary.AppendUvarint(dst, uint64(len(e.d.s)))
		dst = append(dst, e.d.s...)
	case rkStamp:
		dst = binary.AppendUvarint(dst, zigzag(int64(e.d.x)))
		dst = binary.AppendUvarint(dst, uint64(e.d.aux))
	case rkStampAt:
		dst = binary.AppendUvarint(dst, uint64(e.d.aux))
	case rkBoxed:
		dst = binary.AppendUvarint(dst, uint64(len(boxes)))
		boxes = append(boxes, e.d.box)
	case rkSame:
		dst = binary.AppendUvarint(dst, uint64(same))
	case rkShared:
		dst = binary.AppendUvarint(dst, uint64(e.d.aux-1))
	}
	return dst, boxes
}

// datumOf is v unboxed; strings too long for a record, lists, maps and unknown types stay
// boxed. The caller sets aux of a stamp (the actor's number).
func datumOf(v any) datum {
	switch x := v.(type) {
	case nil:
		return datum{kind: rkNil}
	case bool:
		if x {
			return datum{kind: rkTrue}
		}
		return datum{kind: rkFalse}
	case int64:
		return datum{kind: rkInt64, x: uint64(x)}
	case int:
		return datum{kind: rkInt, x: uint64(x)}
	case float64:
		return datum{kind: rkFloat, x: math.Float64bits(x)}
	case string:
		if len(x) <= maxInline {
			return datum{kind: rkString, s: x}
		}
	case json.Number:
		if len(x) <= maxInline {
			return datum{kind: rkNumber, s: string(x)}
		}
	case Stamp:
		if len(x.By) <= maxInline {
			return datum{kind: rkStamp, x: uint64(x.At), s: x.By}
		}
	}
	return datum{kind: rkBoxed, box: v}
}
