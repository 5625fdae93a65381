package graph

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"
)

// The encoder of snapshots: varints, strings, node ids and values, with a running checksum.

// ---- encoder ----

type encoder struct {
	out   io.Writer
	w     *bufio.Writer
	h     hash.Hash32
	last  NodeID // previous id written, for prefix coding
	tmp   [17]byte
	depth int
}

// encodeError carries an error out of the encoder through panic; recover turns it back.
type encodeError struct{ err error }

func newEncoder(w io.Writer, kind byte) *encoder {
	h := crc32.New(snapCRC)
	e := &encoder{out: w, w: bufio.NewWriterSize(io.MultiWriter(w, h), 256<<10), h: h}
	e.w.WriteString(snapMagic)
	e.byte(kind)
	e.uvarint(snapVersion)
	return e
}

func (e *encoder) recover(err *error) {
	if r := recover(); r != nil {
		ee, ok := r.(encodeError)
		if !ok {
			panic(r)
		}
		*err = ee.err
	}
}

func (e *encoder) fail(format string, args ...any) {
	panic(encodeError{fmt.Errorf("graph: snapshot: "+format, args...)})
}

// finish flushes the payload and writes the checksum trailer.
func (e *encoder) finish() error {
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("graph: snapshot: %w", err)
	}
	binary.LittleEndian.PutUint32(e.tmp[:4], e.h.Sum32())
	if _, err := e.out.Write(e.tmp[:4]); err != nil {
		return fmt.Errorf("graph: snapshot: %w", err)
	}
	return nil
}

func (e *encoder) byte(b byte) { e.w.WriteByte(b) }

func (e *encoder) uvarint(v uint64) {
	if v < 0x80 {
		e.w.WriteByte(byte(v))
		return
	}
	n := binary.PutUvarint(e.tmp[:], v)
	e.w.Write(e.tmp[:n])
}

func (e *encoder) varint(v int64) {
	e.uvarint(uint64(v<<1) ^ uint64(v>>63))
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.w.WriteString(s)
}

// id writes the length of the prefix x shares with the previous id, then the rest of x.
func (e *encoder) id(x NodeID) {
	k := 16
	if a := binary.BigEndian.Uint64(x[:8]) ^ binary.BigEndian.Uint64(e.last[:8]); a != 0 {
		k = bits.LeadingZeros64(a) / 8
	} else if b := binary.BigEndian.Uint64(x[8:]) ^ binary.BigEndian.Uint64(e.last[8:]); b != 0 {
		k = 8 + bits.LeadingZeros64(b)/8
	}
	e.tmp[0] = byte(k)
	n := copy(e.tmp[1:], x[k:])
	e.w.Write(e.tmp[:1+n])
	e.last = x
}

func (e *encoder) data(x any) {
	switch x := x.(type) {
	case nil:
		e.byte(dataNil)
	case bool:
		if x {
			e.byte(dataTrue)
		} else {
			e.byte(dataFalse)
		}
	case int64:
		e.byte(dataInt64)
		e.varint(x)
	case int:
		e.byte(dataInt)
		e.varint(int64(x))
	case float64:
		e.byte(dataFloat64)
		binary.LittleEndian.PutUint64(e.tmp[:8], math.Float64bits(x))
		e.w.Write(e.tmp[:8])
	case string:
		e.byte(dataString)
		e.str(x)
	case json.Number:
		e.byte(dataNumber)
		e.str(string(x))
	case Stamp:
		e.byte(dataStamp)
		e.varint(x.At)
		e.str(x.By)
	case []any:
		if x == nil {
			e.byte(dataNilList)
			return
		}
		e.nest()
		e.byte(dataList)
		e.uvarint(uint64(len(x)))
		for _, v := range x {
			e.data(v)
		}
		e.depth--
	case map[string]any:
		if x == nil {
			e.byte(dataNilMap)
			return
		}
		e.nest()
		e.byte(dataMap)
		e.uvarint(uint64(len(x)))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e.str(k)
			e.data(x[k])
		}
		e.depth--
	default:
		e.fail("unsupported Value.Data type %T", x)
	}
}

func (e *encoder) nest() {
	if e.depth++; e.depth > snapMaxDepth {
		e.fail("Value.Data nested deeper than %d (a cycle?)", snapMaxDepth)
	}
}

func (e *encoder) kindNodes(m map[KindID][]NodeID) {
	if m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ids := m[k]
		e.uvarint(uint64(k))
		e.uvarint(uint64(len(ids)))
		for _, x := range ids {
			e.id(x)
		}
	}
}

// slotPeers writes a slot → sorted peers index (nil map: 0), in slot order.
func (e *encoder) slotPeers(m map[Slot][]NodeID) {
	if m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	keys := slices.SortedFunc(maps.Keys(m), Slot.compare)
	for _, k := range keys {
		slotCodec.putK(e, k)
		ids := m[k]
		e.uvarint(uint64(len(ids)))
		for _, x := range ids {
			e.id(x)
		}
	}
}

func (e *encoder) counts(m map[KindID]*counter) {
	if m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.uvarint(uint64(k))
		var c counter
		if m[k] != nil {
			c = *m[k]
		}
		e.uvarint(uint64(len(c)))
		var pos, n int64
		for _, x := range c {
			e.varint(x.pos - pos)
			e.varint(x.n - n)
			pos, n = x.pos, x.n
		}
	}
}

func (e *encoder) overlayState(o *overlayState) {
	e.str(o.name)
	e.varint(o.base)
	writeOverlay(e, slotCodec, &o.slots)
	writeOverlay(e, edgeCodec, &o.edges)
	e.slotPeers(o.peers)
	writeOverlay(e, nodeCodec, &o.nodes)
	writeOverlay(e, uniqueCodec, &o.unique)
	e.kindNodes(o.added)
	e.counts(o.counts)
}
